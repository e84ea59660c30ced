"""Real training on the real samples: the run folder, its metrics, prediction, the CLI, stopping, strategies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from classifier.config import TrainConfig
from classifier.events import last_status, read_events
from classifier.predict import Predictor
from classifier.runs import list_runs, request_stop

from .conftest import ROOT, SMS, THUCNEWS

pytestmark = pytest.mark.slow


def cli(*args: str, timeout: int = 600, env: dict | None = None, input: str | None = None
        ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "classifier", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, input=input)


def test_sms_default_model_reaches_97_percent(sms_run):
    metrics = sms_run.metrics
    assert sms_run.status == "finished"
    assert metrics["model"] == "all-MiniLM-L6-v2"  # English data -> the bundled English model
    assert metrics["accuracy"] >= 0.97, metrics["accuracy"]
    assert metrics["per_class"]["spam"]["f1"] >= 0.85
    assert sum(map(sum, metrics["confusion_matrix"])) == metrics["samples"] == 680
    assert metrics["baseline"]["accuracy"] > 0.9  # reported beside, computed on the same split


def test_run_folder_follows_the_contract(sms_run):
    run = sms_run.run_dir
    for name in ("config.json", "events.jsonl", "data.json", "metrics.json", "predictions.csv"):
        assert (run / name).is_file(), name
    for sub in ("best", "last"):
        assert (run / sub / "model.safetensors").is_file() and (run / sub / "tokenizer.json").is_file()
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == "all-MiniLM-L6-v2" and config["strategy"] == "full"
    assert isinstance(config["max_length"], int) and config["learning_rate"] > 0
    saved = json.loads((run / "best" / "config.json").read_text())
    assert saved["id2label"] == {"0": "ham", "1": "spam"}

    events = read_events(run / "events.jsonl")
    statuses = [e["status"] for e in events if e["type"] == "status"]
    assert statuses[0] == "started" and statuses[-1] == "finished"
    train = [e for e in events if e["type"] == "train"]
    assert len(train) >= 20
    for key in ("step", "total_steps", "epoch", "loss", "learning_rate", "samples_per_second", "eta_seconds"):
        assert key in train[-1]
    evals = [e for e in events if e["type"] == "eval"]
    assert len(evals) >= 3 and all(e["eval_accuracy"] is not None for e in evals)
    assert any(e["is_best"] for e in evals)

    table = pd.read_csv(run / "predictions.csv")
    assert len(table) == 680
    assert {"text", "gold", "predicted", "confidence", "p_ham", "p_spam"} <= set(table.columns)
    assert abs(table["correct"].mean() - sms_run.metrics["accuracy"]) < 1e-9


def test_pipeline_loads_best_and_agrees_with_predictor(sms_run):
    from transformers import pipeline

    best = sms_run.run_dir / "best"
    classify = pipeline("text-classification", model=str(best), device="cpu")
    texts = ["WINNER!! You have won a 1000 cash prize. Call 09061701461 to claim now", "Sorry, I'll call later"]
    labels = [r["label"] for r in classify(texts)]
    assert labels == ["spam", "ham"]
    predictor = Predictor(sms_run.run_dir)
    predictions = predictor.predict(texts)
    assert [p.label for p in predictions] == labels
    assert abs(sum(predictions[0].probabilities.values()) - 1) < 1e-5


def test_int8_predictor_agrees_with_the_full_precision_model(sms_run):
    table = pd.read_csv(sms_run.run_dir / "predictions.csv")
    texts = table["text"].astype(str).tolist()
    exact = Predictor(sms_run.run_dir).predict_proba(texts)
    int8 = Predictor(sms_run.run_dir, int8=True)
    assert any("quantized" in type(m).__module__ for m in int8.model.modules())  # the Linear layers really changed
    quantized = int8.predict_proba(texts)
    agreement = (quantized.argmax(-1) == exact.argmax(-1)).mean()
    assert agreement >= 0.99, agreement
    # int8 moves most probabilities by well under a hundredth; a text near the boundary may move far more (seen:
    # 0.69 for one text of 680, and 1% of texts by > 0.1), so only the typical and the average shift are bounded
    difference = np.abs(quantized - exact).max(-1)
    assert np.median(difference) < 0.01 and difference.mean() < 0.02, (np.median(difference), difference.mean())


def test_cli_evaluate_predict_and_runs(sms_run, tmp_path):
    run = str(sms_run.run_dir)
    from classifier.security import from_spreadsheet_cell

    table = pd.read_csv(run + "/predictions.csv")
    table["text"] = table["text"].map(from_spreadsheet_cell)  # the file is written safe for spreadsheets
    labelled = tmp_path / "test.csv"
    table[["text", "gold"]].rename(columns={"gold": "label"}).to_csv(labelled, index=False)
    result = cli("evaluate", "--run", run, "--data", str(labelled))
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert abs(scores["accuracy"] - sms_run.metrics["accuracy"]) < 1e-9
    assert {"macro_f1", "per_class", "confusion_matrix"} <= set(scores)

    result = cli("predict", "--run", run, "Free entry! Win a brand new phone, text WIN to 87121")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[0])["label"] == "spam"

    # no texts, standard input a pipe: one JSON line per text line, in order (blank lines skipped)
    piped = cli("predict", "--run", run, input="Are we still on for lunch?\n\nWINNER!! Claim your 1000 prize now, "
                "call 09061701461\nok see you at 7\n")
    assert piped.returncode == 0, piped.stderr
    answers = [json.loads(line) for line in piped.stdout.strip().splitlines()]
    assert [a["label"] for a in answers] == ["ham", "spam", "ham"]
    assert answers[1]["text"].startswith("WINNER") and set(answers[1]["probabilities"]) == {"ham", "spam"}
    # a piped line over CLASSIFIER_MAX_TEXT_CHARS is cut there (never held whole); the next line is still answered
    piped = cli("predict", "--run", run, input="WINNER!! Claim your prize " * 4000 + "\nok see you at 7\n",
                env={"CLASSIFIER_MAX_TEXT_CHARS": "60"})
    assert piped.returncode == 0, piped.stderr
    answers = [json.loads(line) for line in piped.stdout.strip().splitlines()]
    assert [len(a["text"]) for a in answers] == [60, len("ok see you at 7")] and answers[1]["label"] == "ham"

    texts = tmp_path / "texts.txt"
    texts.write_text("Are we still meeting for dinner, at 7?\nURGENT! Your mobile won 2000 pounds, call now\n")
    out = tmp_path / "out.csv"
    result = cli("predict", "--run", run, "--input", str(texts), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert pd.read_csv(out)["label"].tolist() == ["ham", "spam"]

    home = Path(run).parent.parent
    result = cli("runs", env={"CLASSIFIER_HOME": str(home)})
    assert result.returncode == 0 and "finished" in result.stdout and "all-MiniLM-L6-v2" in result.stdout
    assert [i.status for i in list_runs(home / "runs")] == ["finished"]


def test_chinese_news_on_the_multilingual_model():
    from classifier.training import train

    # A shortened run (4,000 of 7,000 training titles, 2 epochs) to keep the suite short; the defaults on the
    # whole sample reach 0.87 (docs/results.md).
    result = train(TrainConfig(data=str(THUCNEWS), max_train_samples=4000, epochs=2, learning_rate=2e-4,
                               baseline=False, evals_per_epoch=1), progress=False)
    assert result.metrics["model"] == "multilingual-e5-small"  # chosen because the data is Chinese
    assert result.metrics["accuracy"] >= 0.75, result.metrics["accuracy"]
    assert Predictor(result.run_dir).predict("湖人队击败勇士队晋级总决赛")[0].label == "体育"


def test_head_strategy_trains_only_the_head(tmp_path):
    from safetensors.torch import load_file

    from classifier.backbones import bundled_path
    from classifier.training import train

    result = train(TrainConfig(data=str(SMS), strategy="head", epochs=10, max_train_samples=1500,
                               baseline=False, output=str(tmp_path / "head")), progress=False)
    assert result.metrics["strategy"] == "head"
    assert result.metrics["trainable_parameters"] < 10_000
    assert result.metrics["accuracy"] >= 0.9
    trained = load_file(result.run_dir / "best" / "model.safetensors")
    original = load_file(bundled_path("all-MiniLM-L6-v2") / "model.safetensors")
    key = "encoder.layer.5.output.dense.weight"
    # the default head of the bundled encoder reads the mean of the token states (classifier/pooling.py)
    assert result.metrics["pooling"] == "mean" and "pooler.dense.weight" not in {k[-19:] for k in trained}
    assert torch.equal(trained["backbone." + key], original[key])  # the backbone did not move


def test_last_n_unfreezes_only_the_top_blocks():
    from classifier.backbones import bundled_path
    from classifier.modeling import apply_strategy, load_model

    loaded = load_model(bundled_path("all-MiniLM-L6-v2"), {0: "a", 1: "b"})
    counts = apply_strategy(loaded, "last-n", last_n_layers=2)
    model = loaded.model
    layers = model.bert.encoder.layer
    assert all(p.requires_grad for layer in layers[-2:] for p in layer.parameters())
    assert not any(p.requires_grad for layer in layers[:-2] for p in layer.parameters())
    assert not model.bert.embeddings.word_embeddings.weight.requires_grad
    assert model.classifier.weight.requires_grad and model.bert.pooler.dense.weight.requires_grad
    assert 0 < counts["trainable_parameters"] < counts["total_parameters"] / 2


def test_stop_request_ends_the_run_cleanly(tmp_path):
    run = tmp_path / "stopme"
    process = subprocess.Popen(
        [sys.executable, "-m", "classifier", "train", "--data", str(SMS), "--epochs", "3", "--no-baseline",
         "--quiet", "--output", str(run)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        if any(e["type"] == "train" and e["step"] >= 3 for e in read_events(run / "events.jsonl")):
            break
        assert process.poll() is None, process.communicate()
        time.sleep(0.5)
    request_stop(run)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    events = read_events(run / "events.jsonl")
    assert last_status(events)["status"] == "stopped"
    steps = [e for e in events if e["type"] == "train"]
    assert steps[-1]["step"] < steps[-1]["total_steps"]  # it did stop midway
    assert (run / "last" / "model.safetensors").is_file() and (run / "best" / "model.safetensors").is_file()
    assert (run / "metrics.json").is_file()


@pytest.mark.parametrize("setup,args,message", [
    (None, ["--data", "missing.csv"], "does not exist"),
    ("empty", ["--data", "{f}"], "is empty"),
    ("one_class", ["--data", "{f}"], "single class"),
    ("garbage", ["--data", "{f}"], "binary"),
    ("ok", ["--data", "{f}", "--text-column", "body"], "no column named 'body'"),
    ("ok", ["--data", "{f}", "--model", "no-such-org/no-such-model"], "bundled model"),
    ("ok", ["--data", "{f}", "--epochs", "-1"], "epochs"),
])
def test_cli_bad_input_gives_a_message_not_a_traceback(tmp_path, setup, args, message):
    path = tmp_path / "data.csv"
    contents = {
        "empty": b"",
        "one_class": "text,label\n" + "\n".join(f"message {i},ham" for i in range(20)),
        "garbage": bytes(range(256)) * 50,
        "ok": "text,label\n" + "\n".join(f"message {i},{'ham' if i % 2 else 'spam'}" for i in range(30)),
    }
    if setup:
        content = contents[setup]
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = cli("train", *[a.format(f=path) for a in args], "--output", str(tmp_path / "run"), timeout=300,
                 env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr.replace("\n", " ")
    assert "Traceback" not in result.stderr + result.stdout
