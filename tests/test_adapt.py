"""Domain-adaptive pre-training (issue 12, item 3): masked language modelling on the SMS texts lowers the held-out
MLM loss, and the adapted folder trains (keeping the base model's mean pooling) and predicts."""

from __future__ import annotations

import json

import pytest

from .conftest import SMS
from .test_engine import cli


@pytest.mark.slow
def test_mlm_adaptation_lowers_the_loss_and_the_folder_trains(tmp_path):
    from classifier.config import TrainConfig
    from classifier.predict import Predictor
    from classifier.training import train

    adapted = tmp_path / "adapted"
    result = cli("adapt", "--data", str(SMS), "--model", "all-MiniLM-L6-v2", "--output", str(adapted),
                 "--max-texts", "600", "--epochs", "1", "--max-length", "64", "--quiet")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((adapted / "adapted.json").read_text(encoding="utf-8"))
    assert summary["objective"].startswith("masked language modelling") and summary["texts"] == 600
    assert summary["held_out_loss_after"] < summary["held_out_loss_before"] - 0.5, summary
    assert "held-out loss" in result.stdout
    events = [json.loads(line) for line in (adapted / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(e["type"] == "train" for e in events) and events[-1]["status"] == "finished"
    run = train(TrainConfig(data=str(SMS), model=str(adapted), max_train_samples=300, epochs=1, baseline=False,
                            output=str(tmp_path / "run")), progress=False)
    assert run.status == "finished" and run.metrics["pooling"] == "mean"  # kept from all-MiniLM-L6-v2
    assert Predictor(run.run_dir).predict(["see you at 7"])[0].label in ("ham", "spam")


def test_adapt_refuses_too_few_texts(tmp_path):
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("one\ntwo\n", encoding="utf-8")
    result = cli("adapt", "--data", str(tiny), "--output", str(tmp_path / "out"))
    assert result.returncode == 2 and "at least a few hundred" in result.stderr


@pytest.mark.slow
def test_a_run_can_adapt_first_and_then_fine_tune(tmp_path):
    from classifier.config import TrainConfig
    from classifier.events import read_events
    from classifier.training import train

    unlabelled = tmp_path / "unlabelled.txt"
    lines = [line.split("\t", 1)[1] for line in SMS.read_text(encoding="utf-8").splitlines()[1:201]]
    unlabelled.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = tmp_path / "run"
    result = train(TrainConfig(data=str(SMS), adapt_first=True, adapt_data=str(unlabelled), max_train_samples=200,
                               epochs=1, baseline=False, output=str(run)), progress=False)
    assert result.status == "finished" and (run / "adapted" / "adapted.json").is_file()
    events = read_events(run / "events.jsonl")
    assert any(e["type"] == "adapt" for e in events)
    assert any("Adapted: loss on held-out texts" in e.get("message", "") for e in events)
    assert json.loads((run / "data.json").read_text(encoding="utf-8"))["fingerprints"]["adapt_data"]
