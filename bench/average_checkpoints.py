"""The model alone with a kept run's best/, its last/ and their weight-by-weight average, on a held-out test file
(single-label runs; docs/results.md, stop 23).

    python bench/average_checkpoints.py DIR/reviews_zh/run \\
        ~/.cache/text-classifier-studio/quality-data/reviews_zh/test.tsv

Prints one JSON object: macro-F1 and accuracy (in points) of `best`, `last` and `average`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a kept run folder (with best/ and last/)")
    parser.add_argument("test", type=Path, help="the held-out test file (label TAB text)")
    args = parser.parse_args(argv)

    from quality import read_split
    from safetensors.torch import load_file, save_file
    from sklearn.metrics import accuracy_score, f1_score

    from classifier.predict import Predictor

    id2label = json.loads((args.run / "best" / "config.json").read_text(encoding="utf-8"))["id2label"]
    names = [id2label[str(i)] for i in range(len(id2label))]
    texts, labels = read_split(args.test, False)
    gold = np.asarray([names.index(label) for label in labels])
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        average = Path(tmp) / "average"
        shutil.copytree(args.run / "best", average)
        best = load_file(args.run / "best" / "model.safetensors")
        last = load_file(args.run / "last" / "model.safetensors")
        save_file({k: ((v.float() + last[k].float()) / 2).to(v.dtype) if v.is_floating_point() else v
                   for k, v in best.items()}, average / "model.safetensors", metadata={"format": "pt"})
        for name, folder in (("best", args.run / "best"), ("last", args.run / "last"), ("average", average)):
            predicted = Predictor(folder, ensemble=False).model_proba(texts).argmax(axis=1)
            out[name] = {"macro_f1": round(100 * f1_score(gold, predicted, average="macro"), 2),
                         "accuracy": round(100 * accuracy_score(gold, predicted), 2)}
    print(json.dumps({"run": str(args.run), **out}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
