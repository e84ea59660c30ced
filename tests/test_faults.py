"""Resource faults in the middle of a training: out of memory and a full disk end the run with a message a user
can act on, a `failed` status in events.jsonl, and no half-written model folder."""

from __future__ import annotations

import errno

import pytest
import torch

from classifier.config import TrainConfig
from classifier.errors import ClassifierError
from classifier.events import last_status, read_events

from .conftest import SMS


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

    real_save = training.atomic_save_dir

    def full_disk(target, save):
        def partial(tmp):
            save(tmp)  # the files are written into the temporary folder, then the disk runs out
            raise OSError(errno.ENOSPC, "No space left on device", str(target))

        return real_save(target, partial)

    monkeypatch.setattr(training, "atomic_save_dir", full_disk)
    with pytest.raises(ClassifierError, match="disk is full"):
        training.train(_config(tmp_path, "full"), progress=False)
    run = tmp_path / "full"
    assert last_status(read_events(run / "events.jsonl"))["status"] == "failed"
    assert not (run / "best").exists() and not (run / "metrics.json").exists()
    assert not [p for p in run.iterdir() if p.name.startswith(".best")]  # the temporary folder was cleaned up
