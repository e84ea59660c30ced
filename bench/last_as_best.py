"""What a kept benchmark run would answer had its best/ been its last/ checkpoint (docs/results.md, stop 23).

`bench/quality.py --keep-runs DIR` keeps each `ours` run (DIR/<data set>/run). Where a different rule for choosing
the checkpoint would have picked the last evaluation, and the run trained to its end either way, a run with that rule
trains exactly the same steps; this script gives its answer without training again: it copies the run to OUT, puts
last/'s weights into best/, runs the product's validation choice (`classifier.ensemble.choose_on_validation`: the
TF-IDF model, the ensemble weight) on the run's own splits, and scores OUT on the held-out test file with
`python -m classifier evaluate`, with and without `--model-only`.

    python bench/last_as_best.py DIR/bbc_news/run \\
        ~/.cache/text-classifier-studio/quality-data/bbc_news/test.tsv /tmp/bbc-last

Prints the chosen weight and the two scores; OUT-answered.json and OUT-alone.json hold the evaluate output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a kept run folder (with best/ and last/)")
    parser.add_argument("test", type=Path, help="the held-out test file (label TAB text)")
    parser.add_argument("out", type=Path, help="where the copy goes (replaced)")
    args = parser.parse_args(argv)

    from classifier.config import TrainConfig
    from classifier.ensemble import choose_on_validation
    from classifier.events import EventWriter
    from classifier.training.inputs import load_data

    shutil.rmtree(args.out, ignore_errors=True)
    shutil.copytree(args.run, args.out, ignore=shutil.ignore_patterns("checkpoints"))
    shutil.copy(args.run / "last" / "model.safetensors", args.out / "best" / "model.safetensors")
    for name in ("tfidf.json", "tfidf.safetensors"):
        (args.out / "best" / name).unlink(missing_ok=True)
    saved = json.loads((args.out / "config.json").read_text(encoding="utf-8"))
    config = TrainConfig(**{k: v for k, v in saved.items() if k in TrainConfig.__dataclass_fields__})
    data = load_data(config, EventWriter(os.devnull, enabled=False))  # the run's own splits, as training made them
    decided = choose_on_validation(args.out, data, config)
    result = {"weight": decided.choice.weight if decided.choice else None}
    for name, extra in (("answered", []), ("alone", ["--model-only"])):
        target = args.out.parent / f"{args.out.name}-{name}.json"
        subprocess.run([sys.executable, "-m", "classifier", "evaluate", "--run", str(args.out), "--data",
                        str(args.test), "--output", str(target), *extra], cwd=ROOT, check=True, capture_output=True)
        scores = json.loads(target.read_text(encoding="utf-8"))
        result[name] = {k: scores[k] for k in ("accuracy", "macro_f1", "micro_f1") if k in scores}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
