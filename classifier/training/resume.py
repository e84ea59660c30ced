"""What lets a run continue after an interruption: clearing a folder for a new run or for a resumed one, the
settings a resumed run starts from, the data fingerprints that tell it trains on the very same data, and the
early-stopping and best/ bookkeeping of its checkpoint."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..config import DATA_FILES, TrainConfig
from ..data import PreparedData
from ..errors import ConfigError
from ..events import EventWriter
from ..messages import say
from ..run_folder import (
    DATA_FILE,
    ERROR_FILE,
    EVENTS_FILE,
    METRICS_FILE,
    PREDICTIONS_FILE,
    ModelMeta,
    RunFolder,
)
from ..runs import (
    CHECKPOINTS_DIR,
    FIRST_BEST_DIR,
    REFIT_DIR,
    TRAINER_STATE,
    TRAINING,
    atomic_write_json,
    checkpoint_step,
    clear_stale_stop,
    read_json,
    remove_partial_checkpoints,
)
from .callbacks import RunCallback, is_better, metric_key
from .plan import ResolvedRun

TEST_RESULTS = (METRICS_FILE, PREDICTIONS_FILE, ERROR_FILE)  # what the test step (or a failure) writes


def clear_previous_outputs(run_dir: Path) -> None:
    """A reused --output folder must not show the old run's results while the new one trains."""
    import shutil

    for name in (EVENTS_FILE, DATA_FILE, *TEST_RESULTS):
        (run_dir / name).unlink(missing_ok=True)
    clear_stale_stop(run_dir)
    for name in ("best", "last", CHECKPOINTS_DIR, REFIT_DIR, FIRST_BEST_DIR):
        shutil.rmtree(run_dir / name, ignore_errors=True)


def clear_for_resume(run_dir: Path) -> None:
    """Before resuming: a STOP request from before is forgotten and half-written checkpoints are removed; events,
    best/, last/ and the test results stay (the results go once the data is known to match: drop_test_results)."""
    clear_stale_stop(run_dir)
    remove_partial_checkpoints(run_dir)
    restore_first_best(run_dir)


def restore_first_best(run_dir: Path) -> None:
    """A run stopped after its refit replaced best/ gets the first pass's best/ back (what its checkpoints and
    validation choices belong to); the refit then runs again."""
    import shutil

    shutil.rmtree(run_dir / REFIT_DIR, ignore_errors=True)
    first = run_dir / FIRST_BEST_DIR
    if first.is_dir():
        shutil.rmtree(run_dir / "best", ignore_errors=True)
        os.replace(first, run_dir / "best")


def drop_test_results(run_dir: Path) -> None:
    """The interrupted part's test results: best/ may still change."""
    for name in TEST_RESULTS:
        (run_dir / name).unlink(missing_ok=True)


def announce_start(events: EventWriter, resume: bool, checkpoint: Path | None, device: str) -> None:
    """The first status event of a run, or of a resumed one (from which step)."""
    if not resume:
        events.status("started", say("status_started", device=device), device=device)
    elif checkpoint is not None:
        events.status("started", say("status_resuming", device=device, step=checkpoint_step(checkpoint)),
                      device=device, resumed_from_step=checkpoint_step(checkpoint))
    else:
        events.status("started", say("status_resuming_from_zero", device=device), device=device,
                      resumed_from_step=0)


def resume_config(run: str | Path) -> TrainConfig:
    """The settings an interrupted, stopped or failed run started with (RUN/config.json), checked: the run is not
    training nor finished, and its data files are still there."""
    from ..errors import RunError
    from ..runs import load_run_info, resolve_run_dir

    run_dir = resolve_run_dir(run)
    info = load_run_info(run_dir)
    if info.status in TRAINING and int(os.environ.get("WORLD_SIZE", "1")) == 1:
        raise RunError(say("resume_still_training", name=run_dir.name))
    if info.status == "finished":
        raise RunError(say("resume_finished", name=run_dir.name, config=str(RunFolder(run_dir).config)))
    settings = RunFolder(run_dir).settings_file()  # config.json, else the web app's request.json
    if settings is None:
        raise RunError(say("resume_no_config", name=run_dir.name))
    config = TrainConfig.from_json(settings).replace(output=str(run_dir))
    if "pooling" not in (read_json(settings) or {}):
        # a run started before pooling was a setting trained the model's own ([CLS]) head; its checkpoint holds
        # that model, so the resumed run must build the same one
        config = config.replace(pooling="cls")
    for name in DATA_FILES:
        value = getattr(config, name)
        if value and not str(value).startswith("hub:") and not Path(value).exists():
            raise RunError(say("resume_data_gone", name=run_dir.name, path=str(value)))
    return config


def data_fingerprints(config: TrainConfig) -> dict[str, str]:
    """sha256 of each data file of the run, so that a resumed run can tell it trains on the very same data."""
    from ..bundled.cache import sha256_file

    prints = {}
    for name in DATA_FILES:
        value = getattr(config, name)
        if value and Path(value).is_file():
            prints[name] = sha256_file(Path(value))
    return prints


def record_run(run_dir: Path, plan: ResolvedRun, data: PreparedData, fingerprints: dict[str, str],
               summary: dict[str, Any]) -> None:
    """RUN/config.json (the resolved config) and RUN/data.json (what the data was, fingerprints included)."""
    plan.config.to_json(RunFolder(run_dir).config)
    atomic_write_json(RunFolder(run_dir).data_json, {
        **data.stats, "labels": data.labels.names, "warnings": data.warnings, "fingerprints": fingerprints,
        "summary": {k: v for k, v in summary.items() if k != "token_lengths_sample"},
    })


def check_same_data(run_dir: Path, fingerprints: dict[str, str], labels: list[str]) -> None:
    before = RunFolder(run_dir).read_data()
    changed = [name for name, digest in (before.get("fingerprints") or {}).items() if fingerprints.get(name) != digest]
    if changed:
        raise ConfigError(say("resume_data_changed", files=", ".join(changed), name=run_dir.name))
    if before.get("labels") and before["labels"] != labels:
        raise ConfigError(say("resume_labels_changed", labels=", ".join(labels), name=run_dir.name,
                              before=", ".join(before["labels"])))


def best_state_at(checkpoint: Path | None, best_meta: ModelMeta | dict[str, Any] | None, metric: str
                  ) -> tuple[float | None, int | None, int, int | None]:
    """(best value, its step, evaluations since without improvement, replay_until) for a run resumed from
    `checkpoint` (None: from step 0).

    best/ is what exists on disk, so its recorded score is the one to beat; the evaluations in the checkpoint's
    log after best/'s step count towards early stopping (none when best/ is newer than the checkpoint, and then the
    resumed run's evaluations up to best/'s step are a replay, not misses: `replay_until`)."""
    state = (read_json(checkpoint / TRAINER_STATE) or {}) if checkpoint is not None else {}
    if isinstance(best_meta, dict):
        best_meta = ModelMeta.from_dict(best_meta)
    key = metric_key(metric)
    evals = [(int(e["step"]), float(e[key])) for e in state.get("log_history", []) if key in e]
    best_value = best_step = None
    if best_meta is not None and best_meta.best_value is not None:
        best_value, best_step = float(best_meta.best_value), int(best_meta.step or 0)
    else:  # no best/ with a score: replay the evaluations with the same rule as RunCallback
        for step, value in evals:
            if is_better(metric, value, best_value):
                best_value, best_step = value, step
    bad_evals = sum(1 for step, _ in evals if best_step is not None and step > best_step)
    replay_until = best_step if best_step is not None and best_step > int(state.get("global_step", 0)) else None
    return best_value, best_step, bad_evals, replay_until


def restore_progress(callback: RunCallback, run_dir: Path, checkpoint: Path | None, metric: str,
                     events: EventWriter) -> None:
    """A resumed run's best/ from before stays unless beaten, with or without a checkpoint to continue from."""
    best_meta = ModelMeta.read(RunFolder(run_dir).best)
    callback.restore(*best_state_at(checkpoint, best_meta, metric))
    what = (say("resume_checkpoint", checkpoint=checkpoint.name) if checkpoint is not None
            else say("resume_no_checkpoint"))
    best = (say("resume_best", metric=metric, value=callback.best_value, step=callback.best_step)
            if callback.best_value is not None else say("end_of_sentence"))
    events.log(say("log_resumed", what=what, best=best))
