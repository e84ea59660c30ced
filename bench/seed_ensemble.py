"""Averaging several kept runs of the same data set (other seeds, or other settings) on a held-out test file:
the model alone and what each run answers (its validated mix with TF-IDF), each run on its own and the mean of the
runs' probabilities (single-label runs; docs/results.md, stop 24).

    python bench/seed_ensemble.py ~/.cache/text-classifier-studio/quality-data/thucnews_titles_7k/test.tsv \\
        KEPT42/thucnews_titles_7k/run KEPT1/thucnews_titles_7k/run

Prints one JSON object: macro-F1 (in points) of each run and of the average, the model alone and answered.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("test", type=Path, help="the held-out test file (label TAB text)")
    parser.add_argument("runs", type=Path, nargs="+", help="kept run folders of the same data set")
    args = parser.parse_args(argv)

    from quality import read_split

    from classifier.errors import ClassifierError
    from classifier.predict import Predictor

    try:
        texts, labels = read_split(args.test, False)
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"{args.test}: cannot read it as a UTF-8 label<TAB>text file ({exc})") from None
    if not texts:
        raise SystemExit(f"{args.test}: no label<TAB>text rows below the header line")
    result: dict[str, dict] = {}
    alone, answered, names = [], [], None
    for run in args.runs:
        try:
            predictor = Predictor(run)
        except ClassifierError as exc:
            raise SystemExit(f"{run}: {exc}") from None
        if predictor.multi_label:
            raise SystemExit(f"{run}: a multi-label run; this script averages single-label runs")
        if names is not None and predictor.labels != names:
            raise SystemExit(f"{run}: its labels {predictor.labels} differ from the first run's {names}")
        names = predictor.labels
        alone.append(predictor.model_proba(texts))
        answered.append(predictor.predict_proba(texts))
        result[str(run)] = {"decision": predictor.decision,
                            "alone": _f1(labels, names, alone[-1]),
                            "answered": _f1(labels, names, answered[-1])}
    result["average"] = {"alone": _f1(labels, names, np.mean(alone, 0)),
                         "answered": _f1(labels, names, np.mean(answered, 0))}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def _f1(labels: list[str], names: list[str], probs: np.ndarray) -> float:
    return round(100 * f1_score(labels, [names[i] for i in probs.argmax(1)], average="macro"), 2)


if __name__ == "__main__":
    raise SystemExit(main())
