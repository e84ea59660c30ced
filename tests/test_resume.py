"""Resuming: a run stopped or killed at a random moment continues from its newest checkpoint, exactly as if it
had never been interrupted, and the run folder is consistent at every moment in between."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from classifier.config import TrainConfig
from classifier.errors import ConfigError, RunError
from classifier.events import read_events
from classifier.predict import Predictor
from classifier.runs import (
    TRAINER_STATE,
    latest_checkpoint,
    load_run_info,
    remove_partial_checkpoints,
)
from classifier.training import best_state_at, resume_run
from classifier.training.light_checkpoint import (
    FROZEN_FILE,
    check_frozen_match,
    checkpoint_state,
    write_frozen_list,
)

from .conftest import ROOT, SMS

# 300 SMS texts, 2 epochs of 19 steps (38 in all), an evaluation and a checkpoint every 9 steps and at the end (9, 18,
# 27, 36, 38: not at most one a minute as by default); small validation and test splits: about 30 s a run on 2 cores.
TRAIN_ARGS = ["--data", str(SMS), "--max-train-samples", "300", "--epochs", "2", "--evals-per-epoch", "2",
              "--batch-size", "16", "--validation-fraction", "0.05", "--test-fraction", "0.05", "--no-baseline",
              "--checkpoint-every-seconds", "0", "--quiet"]
TOTAL_STEPS = 38


def _train(run: Path, *extra: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "classifier", "train", *TRAIN_ARGS, "--output", str(run), *extra],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **popen)


def _resume(run: Path, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "classifier", "resume", "--run", str(run), "--quiet"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **popen)


def _finish(process: subprocess.Popen, timeout: float = 300) -> None:
    _, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]


def _losses(run: Path) -> dict[str, float]:
    """Training loss per step and validation loss per evaluation; a resumed run's events after its checkpoint
    replace what the interrupted part logged there (as the app shows it)."""
    values: dict[str, float] = {}
    for event in read_events(run / "events.jsonl"):
        if event.get("resumed_from_step") is not None:
            for key in [k for k in values if int(k[1:]) > event["resumed_from_step"]]:
                del values[key]
        if event["type"] == "train":
            values[f"t{event['step']}"] = event["loss"]
        elif event["type"] == "eval":
            values[f"e{event['step']}"] = event["eval_loss"]
    return values


def _wait_for(condition, process: subprocess.Popen, seconds: float = 300.0, interval: float = 0.02) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        assert process.poll() is None, "the training ended before the moment came"
        time.sleep(interval)
    raise AssertionError("the moment never came")


def _train_steps(run: Path) -> list[int]:
    return [e["step"] for e in read_events(run / "events.jsonl") if e["type"] == "train"]


def assert_consistent(run: Path, context: str) -> None:
    """What must hold after any kill: the run says it was interrupted, every file is whole or absent, and the
    newest checkpoint (if any) is complete and loadable."""
    info = load_run_info(run)
    assert info.status == "interrupted", (context, info.status)
    if (run / "best").exists():
        assert Predictor(run).predict("WINNER! Claim your prize now")[0].label in ("ham", "spam"), context
    if (run / "metrics.json").exists():
        json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    for line in (run / "events.jsonl").read_text(encoding="utf-8").splitlines():
        json.loads(line)  # every line whole
    checkpoint = latest_checkpoint(run)
    if checkpoint is not None:
        assert info.checkpoint_step == json.loads((checkpoint / TRAINER_STATE).read_text())["global_step"]
        torch.load(checkpoint / "optimizer.pt", weights_only=True)  # whole, and no pickle needed
        assert (checkpoint / "model.safetensors").is_file(), context


# ----------------------------------------------------------------------------------------------------------------
# exact continuation
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("extra", [(), ("--freeze-embeddings", "yes")], ids=["whole", "frozen-embeddings"])
def test_stop_then_resume_trains_exactly_like_an_uninterrupted_run(tmp_path, extra):
    """Stop in the middle of the second epoch (a checkpoint is saved at that very step), resume: every later
    training loss, every validation loss and the test result equal those of a run that was never stopped. With
    frozen embeddings the checkpoint leaves them out (and lists them), and the resume is still exact."""
    reference, stopped = tmp_path / "reference", tmp_path / "stopped"
    _finish(_train(reference, *extra))
    process = _train(stopped, *extra)
    _wait_for(lambda: any(step >= 22 for step in _train_steps(stopped)) if stopped.is_dir() else False, process)
    (stopped / "STOP").write_text("now")
    _finish(process)
    info = load_run_info(stopped)
    assert info.status == "stopped" and info.checkpoint_step is not None and info.checkpoint_step >= 22
    resumed_from = info.checkpoint_step
    with safe_open(latest_checkpoint(stopped) / "model.safetensors", "pt") as weights:
        names = set(weights.keys())
    embeddings = "backbone.embeddings.word_embeddings.weight"
    assert (embeddings in names) == (not extra) and any(".encoder.layer.5." in name for name in names)
    assert (latest_checkpoint(stopped) / FROZEN_FILE).is_file() == bool(extra)
    _finish(_resume(stopped))

    expected, got = _losses(reference), _losses(stopped)
    assert expected.keys() == got.keys() and len(expected) > 20
    after = [key for key in expected if int(key[1:]) > resumed_from]
    assert after, "nothing was trained after the resume"
    for key in expected:
        assert got[key] == pytest.approx(expected[key], rel=1e-4, abs=1e-6), key
    a = json.loads((reference / "metrics.json").read_text())
    b = json.loads((stopped / "metrics.json").read_text())
    assert b["resumed_from_step"] == resumed_from and b["steps_trained"] == a["steps_trained"] == TOTAL_STEPS
    assert b["accuracy"] == a["accuracy"] and b["best_step"] == a["best_step"]
    assert not (stopped / "checkpoints").exists()  # finished: the resumable state is no longer needed
    assert load_run_info(stopped).status == "finished"


@pytest.mark.slow
def test_a_run_killed_while_it_loads_resumes_from_step_0_with_its_own_settings(tmp_path):
    """Killed after its first event and before its first step (the data and model still loading), in an --output
    folder that an earlier run with other settings left behind: resume starts the new run from step 0 with the
    settings it was given (they are saved before anything loads), not with the earlier run's."""
    run = tmp_path / "run"
    run.mkdir()
    TrainConfig(data=str(SMS), epochs=9, output=str(run)).to_json(run / "config.json")  # an earlier run's settings
    process = _train(run)
    _wait_for(lambda: (run / "events.jsonl").is_file(), process, interval=0.005)
    process.kill()
    process.wait()
    assert not _train_steps(run), "the moment came too late: the run had started training"
    assert json.loads((run / "config.json").read_text())["epochs"] == 2
    _finish(_resume(run))
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["steps_trained"] == TOTAL_STEPS and metrics["resumed_from_step"] == 0
    assert load_run_info(run).status == "finished"


# ----------------------------------------------------------------------------------------------------------------
# kill -9 at random moments
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_to_the_end(tmp_path):
    """SIGKILL the trainer at four random moments (any of: loading, a step, an evaluation, saving best/ or a
    checkpoint, the test); after each the folder is consistent and `resume` continues. The run then finishes with
    every step trained once and a good model. The seed is printed on failure (FAULT_SEED repeats it)."""
    seed = int(os.environ.get("FAULT_SEED") or random.SystemRandom().randrange(10**6))
    rng = random.Random(seed)
    run = tmp_path / "run"
    process = _train(run)
    kills = []
    for _ in range(4):
        started = time.time()
        # a process loads for ~6-8 s on 2 cores, then trains ~2 steps a second (a checkpoint every 9) and tests for
        # ~2 s: a kill within 16 s of its start lands anywhere from loading to the test, and each round gets further
        delay = rng.uniform(2.0, 16.0)
        while time.time() - started < delay and process.poll() is None:
            time.sleep(0.02)
        if process.poll() is not None:  # it finished before the moment: that round has nothing to kill
            break
        process.kill()
        process.wait()
        steps = _train_steps(run) if (run / "events.jsonl").exists() else []
        kills.append((round(delay, 2), steps[-1] if steps else None))
        context = f"FAULT_SEED={seed}, kills (delay s, last step logged): {kills}"
        if not (run / "events.jsonl").exists():  # killed before the first event: there is no run yet; start again
            process = _train(run)
            continue
        if load_run_info(run).status == "finished":  # the kill came after the end, while the process cleaned up
            process = None  # or exited: the run is whole (checked below); its checkpoints may be left, nothing else
            break
        assert_consistent(run, context)
        process = _resume(run)
    if process is not None:
        _finish(process)
    context = f"FAULT_SEED={seed}, kills (delay s, last step logged): {kills}"
    print(context)
    assert kills, context
    metrics = json.loads((run / "metrics.json").read_text())
    assert load_run_info(run).status == "finished", context
    assert metrics["steps_trained"] == TOTAL_STEPS, context
    assert sorted(int(k[1:]) for k in _losses(run) if k[0] == "t") == list(range(1, TOTAL_STEPS + 1)), context
    assert metrics["accuracy"] >= 0.9, context
    if process is not None:  # ended by itself: it removed its checkpoints
        assert not (run / "checkpoints").exists(), context


@pytest.mark.slow
def test_kill_9_while_a_checkpoint_is_written_resumes_from_the_one_before(tmp_path):
    """The trainer is killed while checkpoint-9 is half written (weights and optimizer saved, random state and
    trainer_state.json not yet): resume removes the partial folder and starts from step 0; killed again while
    checkpoint-18 is half written, the next resume continues from checkpoint-9."""
    run = tmp_path / "run"
    slow_save = ("import time, sys; from transformers import Trainer; real = Trainer._save_rng_state\n"
                 "def slow(self, output_dir):\n"
                 "    open(output_dir + '.saving', 'w').close(); time.sleep(30); real(self, output_dir)\n"
                 "Trainer._save_rng_state = slow\n"
                 "from classifier.cli import main; sys.exit(main(sys.argv[1:]))\n")

    def run_slow_saving(*argv: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", slow_save, *argv], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)

    process = run_slow_saving("train", *TRAIN_ARGS, "--output", str(run))
    marker = run / "checkpoints" / "checkpoint-9.saving"
    _wait_for(marker.exists, process)
    process.kill()
    process.wait()
    partial = run / "checkpoints" / "checkpoint-9"
    assert (partial / "optimizer.pt").exists() and not (partial / TRAINER_STATE).exists()
    assert_consistent(run, "killed while checkpoint-9 was written")
    assert latest_checkpoint(run) is None and load_run_info(run).checkpoint_step is None

    # resume (from the start: there is no complete checkpoint), and kill it too while it writes checkpoint-18
    marker.unlink()
    process = run_slow_saving("resume", "--run", str(run), "--quiet")
    _wait_for((run / "checkpoints" / "checkpoint-18.saving").exists, process)
    process.kill()
    process.wait()
    assert_consistent(run, "killed while checkpoint-18 was written")
    assert latest_checkpoint(run).name == "checkpoint-9"  # the previous one is kept until the next is complete

    _finish(_resume(run))
    events = read_events(run / "events.jsonl")
    resumed = [e["resumed_from_step"] for e in events if e.get("resumed_from_step") is not None]
    assert resumed == [0, 9]
    assert json.loads((run / "metrics.json").read_text())["steps_trained"] == TOTAL_STEPS
    assert load_run_info(run).status == "finished"


@pytest.mark.slow
def test_kill_9_during_the_test_then_resume_only_tests(tmp_path):
    run = tmp_path / "run"
    process = _train(run)
    _wait_for(lambda: (run / "events.jsonl").exists() and any(
        e.get("status") == "evaluating" for e in read_events(run / "events.jsonl")), process)
    process.kill()
    process.wait()
    assert_consistent(run, "killed during the test")
    assert load_run_info(run).checkpoint_step == TOTAL_STEPS  # the checkpoint of the last step
    steps_before = len(_train_steps(run))
    _finish(_resume(run))
    assert len(_train_steps(run)) == steps_before  # nothing trained again
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["resumed_from_step"] == TOTAL_STEPS and metrics["steps_trained"] == TOTAL_STEPS
    assert load_run_info(run).status == "finished"


# ----------------------------------------------------------------------------------------------------------------
# what cannot be resumed, said plainly
# ----------------------------------------------------------------------------------------------------------------
def _fake_run(tmp_path: Path, status: str, pid: int | None = None) -> Path:
    run = tmp_path / "runs" / "fake"
    (run / "inputs").mkdir(parents=True)
    data = run / "inputs" / "sms.tsv"
    shutil.copy(SMS, data)
    TrainConfig(data=str(data), output=str(run), max_train_samples=100).to_json(run / "config.json")
    event = {"time": "2026-01-01T00:00:00", "type": "status", "status": status, "message": "", "pid": pid}
    (run / "events.jsonl").write_text(json.dumps(event) + "\n")
    return run


def _dead_pid() -> int:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return dead.pid


def test_resume_refuses_a_finished_or_running_run(tmp_path):
    finished = _fake_run(tmp_path, "finished")
    with pytest.raises(RunError, match="finished; there is nothing to resume.*--epochs"):
        resume_run(finished)
    running = _fake_run(tmp_path / "b", "running", pid=os.getpid())
    with pytest.raises(RunError, match="still training"):
        resume_run(running)
    with pytest.raises(RunError, match="No run folder"):
        resume_run(tmp_path / "nowhere")
    gone = _fake_run(tmp_path / "c", "stopped")
    (gone / "inputs" / "sms.tsv").unlink()
    with pytest.raises(RunError, match="no longer there.*put it back"):
        resume_run(gone)


def test_resume_refuses_changed_data_and_loses_nothing(tmp_path):
    run = _fake_run(tmp_path, "running", pid=_dead_pid())
    (run / "data.json").write_text(json.dumps({"labels": ["ham", "spam"], "fingerprints": {"data": "0" * 64}}))
    (run / "best").mkdir()
    (run / "best" / "keep.txt").write_text("model")
    with pytest.raises(ConfigError, match="changed since run fake started"):
        resume_run(run)
    assert (run / "best" / "keep.txt").read_text() == "model" and (run / "config.json").exists()
    events = read_events(run / "events.jsonl")
    assert events[-1]["status"] == "failed" and "changed" in events[-1]["message"]


def test_cli_resume_errors_exit_2_without_a_traceback(tmp_path):
    finished = _fake_run(tmp_path, "finished")
    result = subprocess.run([sys.executable, "-m", "classifier", "resume", "--run", str(finished)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "nothing to resume" in result.stderr and "Traceback" not in result.stderr


def test_partial_checkpoints_are_told_apart_and_removed(tmp_path):
    run = tmp_path / "run"
    for step, state in ((4, {"global_step": 4}), (9, None), (14, "torn"), (19, "no weights")):
        folder = run / "checkpoints" / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        if state == "torn":
            (folder / TRAINER_STATE).write_text('{"global_step": 1')
        elif state:
            (folder / TRAINER_STATE).write_text(json.dumps({"global_step": step}))
        (folder / "optimizer.pt").write_bytes(b"x")
        if state != "no weights":  # a half-deleted folder
            (folder / "model.safetensors").write_bytes(b"x")
    assert latest_checkpoint(run).name == "checkpoint-4"
    assert remove_partial_checkpoints(run) == ["checkpoint-14", "checkpoint-19", "checkpoint-9"]
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["checkpoint-4"]
    assert latest_checkpoint(tmp_path / "none") is None


@pytest.mark.parametrize(("metric", "best_meta", "expected"), [
    # best/ holds step 9's model (0.8): evaluations after it (14) count towards early stopping
    ("macro_f1", {"step": 9, "best_value": 0.8}, (0.8, 9, 1, None)),
    # best/ is newer than the checkpoint (saved after it, before the kill): nothing after it yet, and the resumed
    # run's evaluations up to step 18 are a replay
    ("macro_f1", {"step": 18, "best_value": 0.9}, (0.9, 18, 0, 18)),
    # no best/ with a score: replay the checkpoint's evaluations
    ("macro_f1", None, (0.8, 9, 1, None)),
    ("loss", None, (0.3, 14, 0, None)),
])
def test_best_state_at_a_checkpoint(tmp_path, metric, best_meta, expected):
    (tmp_path / TRAINER_STATE).write_text(json.dumps({"global_step": 14, "log_history": [
        {"step": 4, "eval_macro_f1": 0.5, "eval_loss": 0.6}, {"step": 5, "loss": 0.7},
        {"step": 9, "eval_macro_f1": 0.8, "eval_loss": 0.4}, {"step": 14, "eval_macro_f1": 0.7, "eval_loss": 0.3}]}))
    assert best_state_at(tmp_path, best_meta, metric) == expected
    # no checkpoint (resumed from step 0): best/ still is the one to beat
    assert best_state_at(None, {"step": 30, "best_value": 0.9}, "macro_f1") == (0.9, 30, 0, 30)


def test_replayed_evaluations_do_not_count_towards_early_stopping(tmp_path):
    """Checkpoint at step 9, best/ from step 18 (0.9), patience 2: the resumed run evaluates 18 again (a tie at
    best) without stopping; only evaluations after 18 that do not beat 0.9 count."""
    from types import SimpleNamespace

    from classifier.events import EventWriter
    from classifier.training import RunCallback, StopFlag

    callback = RunCallback(StopFlag(tmp_path), EventWriter(tmp_path / "events.jsonl"), lambda: None, "macro_f1", 2, 16)
    callback.restore(0.9, 18, 0, replay_until=18)
    control = SimpleNamespace(should_training_stop=False)

    def evaluate(step: int, value: float) -> int:
        callback.on_evaluate(None, SimpleNamespace(global_step=step, epoch=1.0, is_world_process_zero=True), control,
                             metrics={"eval_macro_f1": value})
        return callback.bad_evals

    assert evaluate(18, 0.9) == 0 and not control.should_training_stop
    assert evaluate(27, 0.85) == 1 and evaluate(36, 0.88) == 2 and control.should_training_stop


def test_no_checkpoints_option(tmp_path):
    assert TrainConfig(data="x", save_checkpoints=False).validate().save_checkpoints is False
    from classifier.cli import _train_config, build_parser

    args = build_parser().parse_args(["train", "--data", "x", "--no-checkpoints"])
    assert _train_config(args).save_checkpoints is False


def test_a_stop_meant_for_the_starting_trainer_survives_its_start_up(tmp_path):
    from classifier.runs import STOP_FILE, clear_stale_stop, request_stop

    request_stop(tmp_path)  # left from an earlier, stopped part of the run: the resumed trainer drops it
    clear_stale_stop(tmp_path)
    assert not (tmp_path / STOP_FILE).exists()
    request_stop(tmp_path, pid=os.getpid())  # pressed while this trainer was still loading: kept
    clear_stale_stop(tmp_path)
    assert (tmp_path / STOP_FILE).exists()


def test_the_app_shows_a_resumed_run_as_starting_until_its_trainer_reports(tmp_path):
    """Resume of a killed run: the last status is the dead trainer's 'running'; until the new trainer writes its
    own, the view says 'starting' (not 'training' from the old event), and Stop is addressed to the new trainer."""
    from classifier.webui.runner import TrainingRunner

    class SlowToStart(TrainingRunner):
        def resume_command(self, run_dir):
            return [sys.executable, "-c", "import time; time.sleep(60)"]

    run = _fake_run(tmp_path, "running", pid=_dead_pid())
    runner = SlowToStart(root=run.parent)
    view = runner.view(run)
    assert view.status == "interrupted" and view.resumable and view.checkpoint_step is None
    runner.resume(run)
    try:
        assert runner.view(run).status == "starting" and runner.active_run() == run.resolve()
        assert runner.stop(run)
        proc = runner._procs[run.resolve()]
        assert (run / "STOP").read_text().endswith(f" pid {proc.pid}")
    finally:
        runner._procs[run.resolve()].kill()
        runner._procs[run.resolve()].wait()
    assert runner.view(run).status == "interrupted"
    # the events of the part after the checkpoint are dropped from the curves once the resumed trainer reports
    with open(run / "events.jsonl", "a") as events:
        for step in (1, 2, 3):
            events.write(json.dumps({"type": "train", "step": step, "loss": 1.0}) + "\n")
        events.write(json.dumps({"type": "status", "status": "running", "pid": os.getpid(),
                                 "resumed_from_step": 2}) + "\n")
    assert [e["step"] for e in TrainingRunner(root=run.parent).view(run).train] == [1, 2]


def test_checkpoints_are_written_at_most_once_a_minute_but_always_on_stop(tmp_path):
    from types import SimpleNamespace

    from classifier.training import RunCallback, StopFlag

    callback = RunCallback(StopFlag(tmp_path), None, None, "macro_f1", 3, 16, checkpoint_every_seconds=60)
    args = SimpleNamespace(world_size=1, save_strategy="steps")
    state = SimpleNamespace(global_step=9)
    callback.on_train_begin(args, state, None)

    def asked(control_save: bool) -> bool:
        control = SimpleNamespace(should_save=control_save, should_training_stop=False, should_evaluate=True)
        callback.on_step_end(args, state, control)
        return control.should_save

    assert asked(True) is False  # an evaluation 0 s into training: no checkpoint yet
    callback.last_checkpoint -= 61
    assert asked(True) is True  # a minute since the last one
    callback.on_save(args, state, None)
    assert asked(True) is False and asked(False) is False
    (tmp_path / "STOP").write_text("now")
    assert asked(False) is True  # a stop always leaves a checkpoint of its step
    callback.checkpoint_every_seconds = 0
    (tmp_path / "STOP").unlink()
    assert asked(True) is True


def test_a_light_checkpoint_refuses_a_base_model_that_changed(tmp_path):
    """The frozen weights a checkpoint left out are checked against the model built on resume."""
    model = torch.nn.Sequential(torch.nn.Embedding(50, 4), torch.nn.Linear(4, 2))
    model[0].weight.requires_grad = False
    state, fingerprints = checkpoint_state(model)
    assert set(state) == {"1.weight", "1.bias"} and set(fingerprints) == {"0.weight"}
    write_frozen_list(tmp_path, fingerprints)
    check_frozen_match(tmp_path, model)  # the same base: fine
    with torch.no_grad():
        model[0].weight[7, 2] += 0.01
    with pytest.raises(RunError, match="frozen weights"):
        check_frozen_match(tmp_path, model)
    (tmp_path / FROZEN_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(RunError, match="cannot be read"):
        check_frozen_match(tmp_path, model)
