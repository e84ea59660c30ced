"""Faults in the middle of a training: out of memory and a full disk end the run with a message a user can act
on, a `failed` status in events.jsonl, and no half-written model folder; a SIGKILL at any moment leaves a run
folder that says 'interrupted' and holds only whole files."""

from __future__ import annotations

import errno
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from classifier.config import TrainConfig
from classifier.errors import ClassifierError
from classifier.events import last_status, read_events

from .conftest import ROOT, SMS
from .test_resume import assert_consistent


def _config(tmp_path, name: str) -> TrainConfig:
    return TrainConfig(data=str(SMS), max_train_samples=120, epochs=1, batch_size=8, baseline=False,
                       output=str(tmp_path / name))


def test_out_of_memory_says_what_to_change(tmp_path, monkeypatch):
    import classifier.training as training

    def no_memory(self, *args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(training.ClassifierTrainer, "train", no_memory)
    with pytest.raises(ClassifierError, match="Out of memory with batch size 8") as caught:
        training.train(_config(tmp_path, "oom"), progress=False)
    assert "batch size 4 with gradient accumulation 2" in str(caught.value)
    status = last_status(read_events(tmp_path / "oom" / "events.jsonl"))
    assert status["status"] == "failed" and "Out of memory" in status["message"]
    assert not (tmp_path / "oom" / "error.log").exists()  # not a bug report: the user's setting


def test_disk_full_while_saving_leaves_no_half_written_model(tmp_path, monkeypatch):
    import classifier.training as training
    import classifier.training.model as training_model  # where best/ and last/ are saved

    real_save = training_model.atomic_save_dir

    def full_disk(target, save, **kwargs):
        def partial(tmp):
            save(tmp)  # the files are written into the temporary folder, then the disk runs out
            raise OSError(errno.ENOSPC, "No space left on device", str(target))

        return real_save(target, partial, **kwargs)

    monkeypatch.setattr(training_model, "atomic_save_dir", full_disk)
    with pytest.raises(ClassifierError, match="disk is full"):
        training.train(_config(tmp_path, "full"), progress=False)
    run = tmp_path / "full"
    assert last_status(read_events(run / "events.jsonl"))["status"] == "failed"
    assert not (run / "best").exists() and not (run / "metrics.json").exists()
    assert not [p for p in run.iterdir() if p.name.startswith(".best")]  # the temporary folder was cleaned up


def test_disk_full_while_writing_a_checkpoint_then_resume(tmp_path, monkeypatch):
    """The disk runs out while the second checkpoint's optimizer state is written: the run fails with the disk
    message and keeps best/ and the first checkpoint whole; with space again, resume continues from that one."""
    import classifier.training as training
    from classifier.runs import latest_checkpoint

    real_save = torch.save
    optimizer_saves = []

    def save(obj, target, *args, **kwargs):
        if str(target).endswith("optimizer.pt"):
            optimizer_saves.append(target)
            if len(optimizer_saves) == 2:
                Path(target).write_bytes(b"\0" * 4096)  # a part is written, then the disk is full
                raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real_save(obj, target, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    run = tmp_path / "ckpt"  # 120 texts in batches of 8: 15 steps, an evaluation and a checkpoint at 7, 14, 15
    with pytest.raises(ClassifierError, match="disk is full"):
        training.train(_config(tmp_path, "ckpt").replace(checkpoint_every_seconds=0), progress=False)
    monkeypatch.undo()
    assert last_status(read_events(run / "events.jsonl"))["status"] == "failed"
    assert latest_checkpoint(run).name == "checkpoint-7" and (run / "best" / "model.safetensors").is_file()
    assert (run / "checkpoints" / "checkpoint-14").is_dir()  # the partial one, ignored
    result = training.resume_run(run, progress=False)
    assert result.status == "finished"
    assert result.metrics["resumed_from_step"] == 7 and result.metrics["steps_trained"] == 15
    assert not (run / "checkpoints").exists()


def _wait_for(condition, process, seconds: float = 300.0) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        assert process.poll() is None, "the training ended before the moment to kill it"
        time.sleep(0.05)
    raise AssertionError("the moment to kill the training never came")


@pytest.mark.slow
def test_kill_9_at_any_moment_leaves_a_consistent_run(tmp_path):
    """SIGKILL while the model loads and while best/ is being saved: every time the run folder says 'interrupted',
    best/ is whole (it loads and predicts) or absent, and metrics.json is valid JSON or absent. (Kills during a
    checkpoint write, during the test and at random moments, each followed by a resume: tests/test_resume.py.)"""
    moments = {
        "loading": lambda run: (run / "events.jsonl").exists(),
        "saving_best": lambda run: any(p.name.startswith(".best.") for p in run.iterdir()) or (run / "best").exists(),
    }
    for moment, ready in moments.items():
        run = tmp_path / moment
        process = subprocess.Popen(
            [sys.executable, "-m", "classifier", "train", "--data", str(SMS), "--max-train-samples", "200",
             "--epochs", "1", "--evals-per-epoch", "2", "--no-baseline", "--quiet", "--output", str(run)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(lambda run=run, ready=ready: run.is_dir() and ready(run), process)
        finally:
            process.kill()
            process.wait()
        assert_consistent(run, moment)
