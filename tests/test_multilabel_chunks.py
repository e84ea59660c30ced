"""Multi-label data (JSON lists, `a|b` strings, 0/1 columns), long texts read in windows, and training under
torchrun with two CPU processes: each trains something real and checks the outcome."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from classifier.config import TrainConfig
from classifier.data import prepare_data
from classifier.events import last_status, read_events
from classifier.metrics import multilabel_metrics, tune_thresholds
from classifier.predict import Predictor

from .conftest import ROOT, SMS

MULTILABEL = ROOT / "assets" / "thucnews_multilabel.jsonl"


def _rows(n: int) -> list[dict]:
    return [json.loads(line) for line in MULTILABEL.read_text(encoding="utf-8").splitlines()[:n]]


def test_multilabel_is_detected_in_all_three_layouts(tmp_path):
    rows = _rows(300)
    (tmp_path / "lists.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                          encoding="utf-8")
    pd.DataFrame({"text": [r["text"] for r in rows], "topics": ["|".join(r["label"]) for r in rows]}).to_csv(
        tmp_path / "piped.csv", index=False)
    names = sorted({n for r in rows for n in r["label"]})
    wide = pd.DataFrame({"text": [r["text"] for r in rows]})
    for name in names:
        wide[name] = [int(name in r["label"]) for r in rows]
    wide.to_csv(tmp_path / "wide.csv", index=False)

    for file in ("lists.jsonl", "piped.csv", "wide.csv"):
        data = prepare_data(tmp_path / file)
        assert data.multi_label, file
        assert sorted(data.labels.names) == names, file
        assert any("multi-label" in w for w in data.warnings), file
        everything = pd.concat([data.train, data.validation, data.test])
        by_text = dict(zip(everything["text"], everything["label"]))
        first = rows[0]
        assert sorted(data.labels.names[i] for i in by_text[first["text"]]) == sorted(first["label"]), file
        assert not set(data.train["text"]) & set(data.test["text"])
    # the user can say no: each distinct value is then a class of its own
    single = prepare_data(tmp_path / "piped.csv", multi_label="no")
    assert not single.multi_label and any("|" in n for n in single.labels.names)


def test_multilabel_metrics_and_thresholds():
    gold = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    predicted = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
    m = multilabel_metrics(gold, predicted, ["a", "b", "c"])
    assert m["subset_accuracy"] == 0.5 and m["hamming_loss"] == pytest.approx(2 / 12)
    assert m["micro_f1"] == pytest.approx(2 * 4 / (2 * 4 + 1 + 1))
    assert m["per_label_confusion"]["c"] == {"tn": 2, "fp": 1, "fn": 1, "tp": 0}
    probs = np.array([[0.9, 0.2], [0.3, 0.8], [0.35, 0.1], [0.1, 0.6]])
    assert tune_thresholds(np.array([[1, 0], [0, 1], [1, 0], [0, 0]]), probs) == [0.35, 0.65]


@pytest.mark.slow
def test_multilabel_training_beats_chance_and_predicts_several_labels(tmp_path):
    from classifier.training import train

    data = tmp_path / "news.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _rows(1500)), encoding="utf-8")
    result = train(TrainConfig(data=str(data), strategy="head", epochs=30, output=str(tmp_path / "run")),
                   progress=False)
    m = result.metrics
    assert m["multi_label"] and {"micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"} <= set(m)
    # about 1.65 labels a text among 10: predicting every label scores micro-F1 ~0.28, none scores 0
    assert m["micro_f1"] >= 0.6, m["micro_f1"]
    assert m["baseline"]["micro_f1"] > 0
    meta = json.loads((result.run_dir / "best" / "classifier.json").read_text(encoding="utf-8"))
    assert meta["multi_label"] and len(meta["thresholds"]) == 10 and meta["thresholds"] != [0.5] * 10
    predictor = Predictor(result.run_dir)
    [both] = predictor.predict("姚明率火箭队大胜湖人；沪指收涨1.2% 券商股领涨")
    assert "体育" in both.labels and both.label == "|".join(both.labels)
    assert abs(sum(both.probabilities.values()) - 1) > 1e-3  # sigmoids, not a softmax
    table = pd.read_csv(result.run_dir / "predictions.csv")
    assert {"gold", "predicted", "p_体育"} <= set(table.columns)
    # the CLI evaluate contract for multi-label runs (on 200 of the texts, about 30% of them held out from training)
    sample = tmp_path / "sample.jsonl"
    sample.write_text("".join(data.read_text(encoding="utf-8").splitlines(keepends=True)[-200:]), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "classifier", "evaluate", "--run", str(result.run_dir),
                          "--data", str(sample)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    scores = json.loads(out.stdout)
    assert {"micro_f1", "macro_f1", "subset_accuracy"} <= set(scores) and scores["micro_f1"] > 0.6


def _long_documents(n: int, seed: int = 0) -> pd.DataFrame:
    """Documents of seven SMS messages; `spam` ones hide a single spam message in their last three messages,
    beyond what the first 64 tokens show."""
    table = pd.read_csv(SMS, sep="\t")
    ham = table.loc[table["label"] == "ham", "text"].tolist()
    spam = table.loc[table["label"] == "spam", "text"].tolist()
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        messages = rng.sample(ham, 7)
        label = "spam" if i % 2 else "ham"
        if label == "spam":
            messages[rng.randrange(4, 7)] = rng.choice(spam)
        docs.append({"text": " ".join(messages), "label": label})
    return pd.DataFrame(docs)


@pytest.mark.slow
def test_chunking_reads_what_truncation_cuts_off(tmp_path):
    from classifier.training import train

    data = tmp_path / "docs.csv"
    _long_documents(400).to_csv(data, index=False)
    common = dict(data=str(data), model="all-MiniLM-L6-v2", max_length=64, epochs=3, baseline=False)
    cut = train(TrainConfig(**common, truncation="head", output=str(tmp_path / "cut")), progress=False)
    chunked = train(TrainConfig(**common, truncation="chunk", output=str(tmp_path / "chunk")), progress=False)
    assert cut.metrics["accuracy"] <= 0.7, cut.metrics["accuracy"]  # the spam is never in its 64 tokens
    assert chunked.metrics["accuracy"] >= 0.85, chunked.metrics["accuracy"]
    predictor = Predictor(chunked.run_dir)
    assert predictor.truncation == "chunk"
    doc = _long_documents(2, seed=99)["text"].tolist()[1]
    assert predictor.predict(doc)[0].label == "spam"


@pytest.mark.slow
def test_torchrun_with_two_cpu_processes(tmp_path):
    run = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29517",
         "-m", "classifier", "train", "--data", str(SMS), "--max-train-samples", "400", "--epochs", "1",
         "--strategy", "last-n", "--no-baseline", "--quiet", "--output", str(run)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    events = read_events(run / "events.jsonl")
    assert last_status(events)["status"] == "finished"
    starts = [e for e in events if e.get("status") == "started"]
    assert len(starts) == 1  # rank 0 alone writes events
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["world_size"] == 2
    # 400 texts, batch 16 on each of the 2 processes: 13 steps of 32 texts, not 25 of 16
    assert metrics["steps_trained"] == 13
    assert metrics["accuracy"] > 0.86  # above the majority share (0.86): it learnt something
