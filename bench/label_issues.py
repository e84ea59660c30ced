"""Label-error benchmark: plant label flips in the two sample data sets and see whether label-issues finds them.

For SMS spam (assets/sms_spam.tsv) and THUCNews titles (assets/thucnews_titles.tsv): read the file as train does
(classifier.label_issues.read_labelled), flip FLIP_SHARE of the distinct texts' labels at random (seeded; each to
another class, chosen uniformly), run classifier.label_issues.find_label_issues on the noisy labels, and score the
flagged texts against the flipped ones: precision (flagged texts that were flipped) and recall (flipped texts that
were flagged). Also the precision of the top-N ranked, N = the number of flips.

    python bench/label_issues.py                          # both data sets, both methods (~5 min on 2 CPU cores)
    python bench/label_issues.py --methods tfidf --datasets sms
    python bench/label_issues.py --limit 400              # a quick check on the first 400 texts of each

Results: bench/results/label_issues.json (one record per data set and method).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifier import label_issues  # noqa: E402
from classifier.label_issues import UNLIKELY_SHARE, find_label_issues, read_labelled  # noqa: E402

_vectors: dict = {}
_sentence_features = label_issues.sentence_features


def cached_features(texts, model="auto", **kwargs):
    """The backbone's vectors once per data set, shared by `features` and `both` (the CLI computes them once too)."""
    key = (len(texts), texts[0], texts[-1], model)
    if key not in _vectors:
        _vectors[key] = _sentence_features(texts, model, **kwargs)
    return _vectors[key]


label_issues.sentence_features = cached_features
DATASETS = {"sms": ROOT / "assets" / "sms_spam.tsv", "thucnews": ROOT / "assets" / "thucnews_titles.tsv"}
FLIP_SHARE = 0.05


def flip_labels(labels: list[int], n_labels: int, share: float, seed: int) -> tuple[list[int], np.ndarray]:
    """A copy of `labels` with round(share x n) of them changed to another class; the indices flipped."""
    rng = np.random.default_rng(seed)
    flipped = rng.choice(len(labels), size=round(share * len(labels)), replace=False)
    noisy = list(labels)
    for i in flipped:
        noisy[i] = int(rng.choice([k for k in range(n_labels) if k != labels[i]]))
    return noisy, np.sort(flipped)


def measure(name: str, method: str, seed: int, limit: int | None) -> dict:
    data = read_labelled(DATASETS[name])
    if limit:
        data.texts, data.labels, data.rows = data.texts[:limit], data.labels[:limit], data.rows[:limit]
    data.labels, flipped = flip_labels(data.labels, len(data.names), FLIP_SHARE, seed)
    index = {text: i for i, text in enumerate(data.texts)}
    start = time.perf_counter()
    report = find_label_issues(data, method=method, seed=seed, max_score=1.0)  # all cleanlab finds; cut below
    seconds = time.perf_counter() - start
    cut = UNLIKELY_SHARE / len(data.names)
    truth = set(flipped.tolist())

    def scored(issues) -> dict:
        flagged = [index[issue.text] for issue in issues]
        hits = sum(1 for i in flagged if i in truth)
        return {"flagged": len(flagged), "precision": round(hits / len(flagged), 3) if flagged else None,
                "recall": round(hits / len(flipped), 3)}

    top = [index[issue.text] for issue in report.issues[:len(flipped)]]
    record = {
        "dataset": name, "method": method, "model": report.model, "seed": seed, "texts": len(data.texts),
        "classes": len(data.names), "flipped": len(flipped), "max_score": round(cut, 4),
        **scored([issue for issue in report.issues if issue.score < cut]),  # what label-issues lists
        "cleanlab": scored(report.issues),  # cleanlab's own set, before the score cut
        "precision_at_flips": round(sum(1 for i in top if i in truth) / len(flipped), 3),
        "seconds": round(seconds, 1), "folds": report.folds,
        "date": dt.date.today().isoformat(), "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
    }
    print(json.dumps(record), flush=True)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="sms,thucnews")
    parser.add_argument("--methods", default="features,tfidf,both")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--limit", type=int, help="only the first N texts of each data set")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "label_issues.json"))
    args = parser.parse_args(argv)
    records = [measure(name, method, args.seed, args.limit)
               for name in args.datasets.split(",") for method in args.methods.split(",")]
    if not args.limit:
        Path(args.output).write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
