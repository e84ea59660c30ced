"""Experiment tracking through Trainer's integrations (issue 12, item 2): TensorBoard event files in RUN/logs with
the loss, the validation metrics and the test metrics; a missing package named with its pip command, up front."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from classifier.config import TrainConfig
from classifier.errors import ConfigError

from .conftest import SMS
from .test_engine import cli


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None or importlib.util.find_spec("trackio") is None,
                    reason="pip install tensorboard trackio (test extras)")
def test_tensorboard_and_trackio_hold_loss_validation_and_test_metrics(tmp_path, monkeypatch):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from classifier.training import train

    monkeypatch.delenv("TRACKIO_DIR", raising=False)
    run = tmp_path / "run"
    result = train(TrainConfig(data=str(SMS), output=str(run), max_train_samples=200, epochs=1,
                               report_to="tensorboard,trackio"), progress=False)
    assert result.status == "finished"
    tags: set[str] = set()
    texts: set[str] = set()
    for events_file in (run / "logs").rglob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events_file), size_guidance={"scalars": 0, "tensors": 0})
        accumulator.Reload()
        tags |= set(accumulator.Tags()["scalars"]) | set(accumulator.Tags().get("tensors", []))
        texts |= set(accumulator.Tags().get("tensors", []))
    assert {"train/loss", "eval/macro_f1", "eval/loss", "test/accuracy", "test/macro_f1"} <= tags, sorted(tags)
    assert any(tag.startswith("config") for tag in texts), sorted(texts)
    assert "tensorboard --logdir" in (run / "events.jsonl").read_text(encoding="utf-8")

    # trackio: its local store under $CLASSIFIER_HOME/trackio, project text-classifier-studio, one run per run folder
    import json
    import os
    import sqlite3

    store = Path(os.environ["CLASSIFIER_HOME"]).resolve() / "trackio" / "text-classifier-studio.db"
    assert store.exists(), list(store.parent.glob("*")) if store.parent.exists() else "no trackio folder"
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT run_name, metrics FROM metrics").fetchall()
        configs = db.execute("SELECT run_name, config FROM configs").fetchall()
    assert {name for name, _ in rows} == {run.name}
    logged: set[str] = set()
    for _, metrics in rows:
        logged |= set(json.loads(metrics))
    assert {"train/loss", "eval/macro_f1", "test/macro_f1", "test/accuracy"} <= logged, sorted(logged)
    config_text = configs[0][1].decode() if isinstance(configs[0][1], bytes) else configs[0][1]
    assert configs[0][0] == run.name and "learning_rate" in config_text


def test_unknown_or_missing_trackers_are_refused_before_training(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="'neptune'.*tensorboard, trackio, wandb, mlflow"):
        TrainConfig(data=str(SMS), report_to="tensorboard,neptune").validate()
    assert TrainConfig(data=str(SMS), report_to=" TensorBoard , none").validate().report_to == "tensorboard"
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    from classifier.tracking import check_installed

    with pytest.raises(ConfigError, match="pip install mlflow"):
        check_installed(["mlflow"])
    if real("mlflow") is None:  # the CLI says the same, exit 2, before loading any model
        result = cli("train", "--data", str(SMS), "--report-to", "mlflow", "--output", str(tmp_path / "r"))
        assert result.returncode == 2 and "pip install mlflow" in result.stderr
