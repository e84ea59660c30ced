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

With --train, what the found errors cost and what cleaning wins back: each data set's distinct texts are cut into a
clean, held-out test split (TEST_SHARE, stratified) and a training part whose labels get the 5% flips; label-issues
(--methods, default `both`) runs on the noisy training file as the tool does (read_labelled from that file), and
apply_corrections writes the cleaned files the Data tab's "Save the corrected file" writes: `drop` (every flagged
row removed) and `relabel` (every flagged row set to its suggestion: "Relabel every row to its suggestion").
Then one model per training file, each tested on the SAME clean test file: noisy, drop, relabel, and the training
part with its original labels (`clean`, the ceiling). The test accuracy is the run's answer (the model, or its
validated mix with TF-IDF) and, beside it, the fine-tuned model alone.

    python bench/label_issues.py --train                          # head strategy (frozen backbone), both data sets
    python bench/label_issues.py --train --strategy full --datasets sms

Results: bench/results/label_issues_train-<strategy>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
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
TEST_SHARE = 0.2  # --train: the clean held-out test split


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


def _write(path: Path, texts: list[str], labels: list[int], names: list[str]) -> Path:
    import pandas as pd

    pd.DataFrame({"text": texts, "label": [names[i] for i in labels]}).to_csv(path, sep="\t", index=False)
    return path


def _train_and_test(data_file: Path, test_file: Path, out: Path, strategy: str, seed: int) -> dict:
    from classifier.config import TrainConfig
    from classifier.training import train

    start = time.perf_counter()
    result = train(TrainConfig(data=str(data_file), test_file=str(test_file), output=str(out), strategy=strategy,
                               seed=seed), progress=False)
    metrics = result.metrics or {}
    model = metrics.get("model_only") or metrics
    return {"rows": sum(1 for _ in open(data_file, encoding="utf-8")) - 1,
            "accuracy": round(metrics["accuracy"], 4), "macro_f1": round(metrics["macro_f1"], 4),
            "model_accuracy": round(model["accuracy"], 4), "model_macro_f1": round(model["macro_f1"], 4),
            "decision": metrics.get("decision"), "seconds": round(time.perf_counter() - start, 1)}


def measure_training(name: str, method: str, strategy: str, seed: int, limit: int | None, work: Path) -> dict:
    """Noisy vs cleaned training files, each model scored on the same clean test split (see the module's doc)."""
    from sklearn.model_selection import train_test_split

    from classifier.label_issues import DROP, apply_corrections

    data = read_labelled(DATASETS[name])
    texts, labels = data.texts[:limit] if limit else data.texts, data.labels[:limit] if limit else data.labels
    train_i, test_i = train_test_split(np.arange(len(texts)), test_size=TEST_SHARE, random_state=seed,
                                       stratify=labels)
    train_texts, train_labels = [texts[i] for i in train_i], [labels[i] for i in train_i]
    noisy_labels, flipped = flip_labels(train_labels, len(data.names), FLIP_SHARE, seed)
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    test_file = _write(folder / "test.tsv", [texts[i] for i in test_i], [labels[i] for i in test_i], data.names)
    clean_file = _write(folder / "clean.tsv", train_texts, train_labels, data.names)
    noisy_file = _write(folder / "noisy.tsv", train_texts, noisy_labels, data.names)
    noisy = read_labelled(noisy_file)  # the file as the tool reads it
    report = find_label_issues(noisy, method=method, seed=seed)
    truth = {train_texts[i] for i in flipped}
    hits = sum(1 for issue in report.issues if issue.text in truth)
    files = {"noisy": noisy_file, "clean": clean_file}
    files["drop"], dropped = apply_corrections(noisy_file, {i.row: DROP for i in report.issues}, folder / "drop.csv")
    files["relabel"], relabelled = apply_corrections(noisy_file, {i.row: i.suggested_label for i in report.issues},
                                                     folder / "relabel.csv")
    record = {"dataset": name, "method": method, "strategy": strategy, "seed": seed, "train_texts": len(train_texts),
              "test_texts": len(test_i), "flipped": len(flipped), "flagged": len(report.issues),
              "precision": round(hits / len(report.issues), 3) if report.issues else None,
              "recall": round(hits / len(flipped), 3), "dropped": dropped["dropped"],
              "relabelled": relabelled["relabelled"], "models": {}}
    for kind in ("noisy", "drop", "relabel", "clean"):
        record["models"][kind] = _train_and_test(files[kind], test_file, folder / f"run-{kind}", strategy, seed)
        print(json.dumps({"dataset": name, "kind": kind, **record["models"][kind]}), flush=True)
    record.update(date=dt.date.today().isoformat(), load1=round(os.getloadavg()[0], 2),
                  machine=f"{platform.machine()} {os.cpu_count()} cores")
    print(json.dumps(record), flush=True)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="sms,thucnews")
    parser.add_argument("--methods", default="features,tfidf,both")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--limit", type=int, help="only the first N texts of each data set")
    parser.add_argument("--output", help="default: bench/results/label_issues.json, with --train "
                        "bench/results/label_issues_train-STRATEGY.json")
    parser.add_argument("--train", action="store_true", help="noisy vs cleaned training files, test accuracy of each")
    parser.add_argument("--strategy", default="head", help="--train: the training strategy (default head)")
    args = parser.parse_args(argv)
    if args.train:
        import tempfile

        method = args.methods if args.methods in label_issues.METHODS else label_issues.DEFAULT_METHOD
        with tempfile.TemporaryDirectory(prefix="label-issues-train-") as work:
            records = [measure_training(name, method, args.strategy, args.seed, args.limit, Path(work))
                       for name in args.datasets.split(",")]
        output = args.output or ROOT / "bench" / "results" / f"label_issues_train-{args.strategy}.json"
        if not args.limit:
            Path(output).write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
        return 0
    records = [measure(name, method, args.seed, args.limit)
               for name in args.datasets.split(",") for method in args.methods.split(",")]
    if not args.limit:
        output = args.output or ROOT / "bench" / "results" / "label_issues.json"
        Path(output).write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
