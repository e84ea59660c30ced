"""Quality benchmark: the engine's defaults against TF-IDF + LR and a plain fine-tune, on held-out test files.

For every data set of `bench/quality_data.py` (public labelled sets that ship inside PyPI packages, split once into
a training file and a test file that no run ever sees):

- `ours`     `python -m classifier train --data train.tsv` with nothing else set (the CLI a user runs), then
             `python -m classifier evaluate --run RUN --data test.tsv`: what Predictor answers on the test file
             (the ensemble with the TF-IDF model where the run's validation chose it).
- `tfidf`    TF-IDF (word 1-2-grams + char 1-3-grams) + logistic regression on the whole training file (one-vs-rest
             with threshold 0.5 for multi-label), scored on the same test file.
- `plain`    the plain fine-tune recipe of the tutorials: HF Trainer with default TrainingArguments (batch 8,
             lr 5e-5, linear schedule, no warm-up, no evaluation), 3 epochs on every training text, the same
             backbone as `ours` chose, texts truncated at the model's limit, [CLS]/last-token head of
             AutoModelForSequenceClassification (threshold 0.5 for multi-label).

    python bench/quality.py                      # every data set, every method (about an hour on 2 cores)
    python bench/quality.py --quick              # a subset in under 15 minutes on 2 cores
    python bench/quality.py --only ours --datasets sms,reviews_zh --tag after
    python bench/quality.py --smoke              # tiny sizes, checks that it runs (tests/test_bench.py)

Results go to `bench/results/quality-<tag>.json` (one record per data set and method, merged with earlier records
of the same tag) and, with `--table`, into the table printed for `docs/results.md`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
for _path in (str(ROOT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

METHODS = ("ours", "tfidf", "plain")
QUICK = ("sms", "reviews_zh", "thucnews_multilabel")  # a subset under 15 minutes on 2 cores (ours + tfidf)
SMOKE_ROWS = {"train": 160, "test": 80}


# ----------------------------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------------------------
def read_split(path: Path, multi_label: bool) -> tuple[list[str], list]:
    """Texts and labels of a benchmark file: `label<TAB>text` TSV, or JSONL {"text", "labels"} for multi-label."""
    texts, labels = [], []
    if multi_label:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(list(row["labels"]))
        return texts, labels
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        if "\t" in line:
            label, text = line.split("\t", 1)
            texts.append(text)
            labels.append(label)
    return texts, labels


def shrink(source: Path, target: Path, rows: int, multi_label: bool) -> Path:
    """The first `rows` records of a benchmark file (files are shuffled when built), for smoke runs."""
    lines = source.read_text(encoding="utf-8").splitlines()
    keep = lines[:rows] if multi_label else lines[:1] + lines[1:rows + 1]
    target.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return target


# ----------------------------------------------------------------------------------------------------------------
# methods
# ----------------------------------------------------------------------------------------------------------------
def run_ours(train: Path, test: Path, work: Path, extra: list[str]) -> dict[str, Any]:
    run = work / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "classifier", "train", "--data", str(train), "--output", str(run),
                           "--quiet", *extra], cwd=ROOT, env=env, capture_output=True, text=True)
    train_wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout)[-2000:]}
    out = work / "evaluate.json"
    proc = subprocess.run([sys.executable, "-m", "classifier", "evaluate", "--run", str(run), "--data", str(test),
                           "--output", str(out)], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout)[-2000:]}
    scores = json.loads(out.read_text(encoding="utf-8"))
    alone_file = work / "evaluate-model-only.json"
    proc = subprocess.run([sys.executable, "-m", "classifier", "evaluate", "--run", str(run), "--data", str(test),
                           "--model-only", "--output", str(alone_file)], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    alone = json.loads(alone_file.read_text(encoding="utf-8")) if proc.returncode == 0 else {}
    from classifier.run_folder import RunFolder

    metrics, config = RunFolder(run).read_metrics(), RunFolder(run).read_config()
    result = {
        "accuracy": scores.get("accuracy", scores.get("subset_accuracy")), "macro_f1": scores.get("macro_f1"),
        "micro_f1": scores.get("micro_f1"), "wall_seconds": round(train_wall, 1),
        "train_seconds": metrics.get("train_seconds"), "model": config.get("model"),
        "strategy": config.get("strategy"), "epochs": config.get("epochs"), "max_length": config.get("max_length"),
        "learning_rate": config.get("learning_rate"), "steps": metrics.get("steps_trained"),
        "best_step": metrics.get("best_step"), "decision": scores.get("decision") or metrics.get("decision"),
        "run_test_accuracy": metrics.get("accuracy"), "run_test_macro_f1": metrics.get("macro_f1"),
        "extra_args": extra,
        "model_only": {k: alone.get(k) for k in ("accuracy", "macro_f1", "micro_f1")} if alone else None,
        "ensemble": metrics.get("ensemble"),
    }
    return result


def run_tfidf(train: Path, test: Path, multi_label: bool, seed: int = 42) -> dict[str, Any]:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.preprocessing import MultiLabelBinarizer

    texts, labels = read_split(train, multi_label)
    test_texts, test_labels = read_split(test, multi_label)
    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, max_features=200_000),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True, max_features=300_000),
    )
    t0 = time.perf_counter()
    if multi_label:
        binarizer = MultiLabelBinarizer().fit(labels + test_labels)
        model = make_pipeline(features, OneVsRestClassifier(LogisticRegression(max_iter=2000, C=10.0,
                                                                                random_state=seed)))
        model.fit(texts, binarizer.transform(labels))
        gold = binarizer.transform(test_labels)
        probs = model.predict_proba(test_texts)
        predicted = (probs >= 0.5).astype(int)
        low = (probs >= 0.3).astype(int)  # the threshold a user of one-vs-rest LR often lowers to (issue 11's 0.3)
        return {"accuracy": float(np.mean((gold == predicted).all(1))),
                "micro_f1": float(f1_score(gold, predicted, average="micro", zero_division=0)),
                "macro_f1": float(f1_score(gold, predicted, average="macro", zero_division=0)),
                "micro_f1_at_0.3": float(f1_score(gold, low, average="micro", zero_division=0)),
                "train_seconds": round(time.perf_counter() - t0, 1)}
    model = make_pipeline(features, LogisticRegression(max_iter=2000, C=10.0, random_state=seed))
    model.fit(texts, labels)
    predicted = model.predict(test_texts)
    return {"accuracy": float(accuracy_score(test_labels, predicted)),
            "macro_f1": float(f1_score(test_labels, predicted, average="macro", zero_division=0)),
            "train_seconds": round(time.perf_counter() - t0, 1)}


def run_plain(train: Path, test: Path, multi_label: bool, model: str, epochs: float = 3.0, seed: int = 42
              ) -> dict[str, Any]:
    """The tutorials' recipe (see the module docstring), in this process (call it in a child: `--job plain`)."""
    import numpy as np
    import torch
    from datasets import Dataset
    from sklearn.metrics import accuracy_score, f1_score
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
        set_seed,
    )

    from classifier.backbones import resolve_model

    set_seed(seed)
    train, test = Path(train), Path(test)
    texts, labels = read_split(train, multi_label)
    test_texts, test_labels = read_split(test, multi_label)
    names = sorted({n for row in labels for n in row}) if multi_label else sorted(set(labels))
    index = {n: i for i, n in enumerate(names)}
    path = resolve_model(model)[0]
    tokenizer = AutoTokenizer.from_pretrained(path)
    from classifier.padding import fix_padding, match_padding

    fix_padding(tokenizer)
    net = AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=len(names), id2label=dict(enumerate(names)), label2id=index, ignore_mismatched_sizes=True,
        problem_type="multi_label_classification" if multi_label else "single_label_classification")
    match_padding(net, tokenizer)
    if multi_label:
        targets = np.zeros((len(labels), len(names)), dtype=np.float32)
        for i, row in enumerate(labels):
            targets[i, [index[n] for n in row]] = 1.0
        target_list: list = targets.tolist()
    else:
        target_list = [index[n] for n in labels]
    limit = min(int(getattr(net.config, "max_position_embeddings", 512) or 512), 512)

    def tokenize(batch):
        return tokenizer(batch["text"], truncation=True, max_length=limit)

    train_set = Dataset.from_dict({"text": texts, "label": target_list}).map(tokenize, batched=True)
    test_set = Dataset.from_dict({"text": test_texts}).map(tokenize, batched=True)
    with tempfile.TemporaryDirectory(prefix="quality-plain-") as out:
        args = TrainingArguments(output_dir=out, num_train_epochs=epochs, seed=seed, save_strategy="no",
                                 report_to="none", disable_tqdm=True, use_cpu=not torch.cuda.is_available())
        trainer = Trainer(model=net, args=args, train_dataset=train_set, processing_class=tokenizer,
                          data_collator=DataCollatorWithPadding(tokenizer))
        t0 = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - t0
        logits = trainer.predict(test_set).predictions
    logits = np.asarray(logits[0] if isinstance(logits, tuple) else logits)
    if multi_label:
        gold = np.zeros((len(test_labels), len(names)), dtype=int)
        for i, row in enumerate(test_labels):
            gold[i, [index[n] for n in row if n in index]] = 1
        predicted = (logits >= 0).astype(int)  # sigmoid >= 0.5
        return {"accuracy": float(np.mean((gold == predicted).all(1))),
                "micro_f1": float(f1_score(gold, predicted, average="micro", zero_division=0)),
                "macro_f1": float(f1_score(gold, predicted, average="macro", zero_division=0)),
                "train_seconds": round(seconds, 1), "model": model}
    predicted = [names[i] for i in logits.argmax(-1)]
    return {"accuracy": float(accuracy_score(test_labels, predicted)),
            "macro_f1": float(f1_score(test_labels, predicted, average="macro", zero_division=0)),
            "train_seconds": round(seconds, 1), "model": model}


def model_for(language: str) -> str:
    from classifier.backbones import default_model_for

    return default_model_for(language)


def run_child(job: str, **kwargs) -> dict[str, Any]:
    """A method in a fresh process (clean memory and threads); returns its dict or {"error": ...}."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    args = [sys.executable, str(Path(__file__)), "--job", job, "--job-args", json.dumps(kwargs), "--job-out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    try:
        if proc.returncode != 0:
            return {"error": (proc.stderr or proc.stdout)[-2000:]}
        result = json.loads(out.read_text(encoding="utf-8"))
        result["wall_seconds"] = round(time.perf_counter() - t0, 1)
        return result
    finally:
        out.unlink(missing_ok=True)


# ----------------------------------------------------------------------------------------------------------------
# the run
# ----------------------------------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = ""
    return {"date": dt.datetime.now().isoformat(timespec="minutes"), "commit": commit,
            "cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def benchmark(names: list[str], methods: list[str], smoke: bool, extra: list[str], log=print,
              save=lambda records: None, keep: Path | None = None) -> list[dict]:
    """`keep`: a folder that receives each `ours` run (KEEP/<data set>/run, with its evaluate*.json), for analyses
    after the fact (e.g. of the ensemble: the run's validation split and best/ are all one needs)."""
    import quality_data

    records = []
    for name in names:
        built = quality_data.build(name)
        multi = bool(built["multi_label"])
        train, test = Path(built["train"]), Path(built["test"])
        with tempfile.TemporaryDirectory(prefix=f"quality-{name}-") as tmp:
            work = Path(tmp)
            if smoke:
                suffix = ".jsonl" if multi else ".tsv"
                train = shrink(train, work / f"train{suffix}", SMOKE_ROWS["train"], multi)
                test = shrink(test, work / f"test{suffix}", SMOKE_ROWS["test"], multi)
            for method in methods:
                log(f"[{dt.datetime.now():%H:%M:%S}] {name}: {method} ...")
                load0 = os.getloadavg()[0]
                t0 = time.perf_counter()
                if method == "ours":
                    smoke_args = ["--epochs", "1", "--no-baseline"] if smoke else []
                    result = run_ours(train, test, work / "ours", smoke_args + extra)
                    if keep is not None and (work / "ours").exists():
                        shutil.copytree(work / "ours", Path(keep) / name, dirs_exist_ok=True)
                elif method == "tfidf":
                    result = run_tfidf(train, test, multi)
                else:
                    result = run_child("plain", train=str(train), test=str(test), multi_label=multi,
                                       model=model_for(built["language"]), epochs=1.0 if smoke else 3.0)
                result.update({"dataset": name, "method": method, "multi_label": multi,
                               "load_average_1min": [round(load0, 2), round(os.getloadavg()[0], 2)],
                               "seconds": round(time.perf_counter() - t0, 1)})
                shown = {k: result.get(k) for k in ("accuracy", "macro_f1", "micro_f1", "seconds", "error")}
                log(f"    {json.dumps(shown)}")
                records.append(result)
                save(records)  # after every record: a long run that is stopped keeps what it measured
    return records


def merge(path: Path, records: list[dict], meta: dict) -> dict:
    """Keep earlier records of other (dataset, method) pairs under the same tag; replace those measured now."""
    old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"records": []}
    fresh = {(r["dataset"], r["method"]) for r in records}
    kept = [r for r in old.get("records", []) if (r["dataset"], r["method"]) not in fresh]
    for r in records:
        r["measured"] = meta
    return {"records": kept + records}


def table(records: list[dict]) -> str:
    """Markdown: one row per data set, headline metric (micro-F1 for multi-label, else macro-F1) per method."""
    by = {(r["dataset"], r["method"]): r for r in records}
    names = list(dict.fromkeys(r["dataset"] for r in records))
    lines = ["| data | metric | TF-IDF + LR | plain fine-tune | ours: model alone | ours: what it answers "
             "(decision, weight) | ours − TF-IDF | ours − plain | ours time / plain time |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name in names:
        multi = any(r.get("multi_label") for r in records if r["dataset"] == name)
        key = "micro_f1" if multi else "macro_f1"

        def value(method: str, name: str = name, key: str = key) -> float | None:
            r = by.get((name, method))
            return None if not r or r.get("error") else r.get(key)

        def fmt(v: float | None) -> str:
            return "—" if v is None else f"{v:.4f}"

        ours, tfidf, plain = by.get((name, "ours")) or {}, value("tfidf"), value("plain")
        answered = value("ours")
        alone = (ours.get("model_only") or {}).get(key) if not ours.get("error") else None
        weight = (ours.get("ensemble") or {}).get("weight")
        decision = f" ({ours.get('decision')}, {weight:.1f})" if ours.get("decision") and weight is not None else ""

        def gap(other: float | None, answered: float | None = answered) -> str:
            return "—" if answered is None or other is None else f"{(answered - other) * 100:+.1f} pts"

        plain_rec = by.get((name, "plain")) or {}
        ratio = (f"{ours['seconds'] / plain_rec['seconds']:.2f}" if ours.get("seconds") and plain_rec.get("seconds")
                 and not ours.get("error") and not plain_rec.get("error") else "—")
        lines.append(f"| {name} | {key} | {fmt(tfidf)} | {fmt(plain)} | {fmt(alone)} | {fmt(answered)}{decision} "
                     f"| {gap(tfidf)} | {gap(plain)} | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", help="comma-separated names (default: all; see bench/quality_data.py)")
    parser.add_argument("--only", help="comma-separated methods: ours, tfidf, plain (default: all)")
    parser.add_argument("--quick", action="store_true", help=f"data sets {', '.join(QUICK)}; ours and tfidf only")
    parser.add_argument("--smoke", action="store_true", help="tiny files and 1 epoch: checks that it runs")
    parser.add_argument("--tag", default="current", help="results file bench/results/quality-TAG.json")
    parser.add_argument("--output", help="results file (default from --tag)")
    parser.add_argument("--table", action="store_true", help="print the markdown table of the results file(s) of "
                        "--tag (several: --tag final,baselines)")
    parser.add_argument("--train-args", default="", help="extra `train` flags for ours, e.g. '--epochs 5'")
    parser.add_argument("--keep-runs", type=Path, help="copy each `ours` run into KEEP_RUNS/<data set>/ (default: "
                        "runs are deleted)")
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("--job-args", help=argparse.SUPPRESS)
    parser.add_argument("--job-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.job:
        result = run_plain(**json.loads(args.job_args))
        Path(args.job_out).write_text(json.dumps(result), encoding="utf-8")
        return 0
    import quality_data

    output = Path(args.output) if args.output else HERE / "results" / f"quality-{args.tag}.json"
    if args.table:
        # --tag a,b: the records of several results files together (e.g. ours from one, the baselines from another)
        records = []
        for tag in args.tag.split(","):
            path = Path(args.output) if args.output else HERE / "results" / f"quality-{tag}.json"
            records += json.loads(path.read_text(encoding="utf-8"))["records"]
        print(table(records))
        return 0
    names = args.datasets.split(",") if args.datasets else (list(QUICK) if args.quick else list(quality_data.DATASETS))
    methods = args.only.split(",") if args.only else (["ours", "tfidf"] if args.quick else list(METHODS))
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown method(s) {', '.join(unknown)}; use {', '.join(METHODS)}")
    meta = machine()
    output.parent.mkdir(parents=True, exist_ok=True)

    def save(records: list[dict]) -> dict:
        result = merge(output, records, meta)
        output.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return result

    records = benchmark(names, methods, args.smoke, args.train_args.split(), save=save, keep=args.keep_runs)
    result = save(records)
    print(table(result["records"]))
    errors = [r for r in records if r.get("error")]
    print(json.dumps({"records": len(records), "errors": len(errors), "output": str(output)}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
