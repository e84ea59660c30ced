"""The run folder, typed: `RunFolder` names every file of it (docs/run-folder.md), `ModelMeta` is the
`classifier.json` beside a model in best/ and last/, `run_status` is the one way a run's status is derived from its
folder, and `curves` the one way its events become training and validation curves.

Every reader goes through these: the CLI (`runs`, `evaluate`, `resume`), the web app's tabs, `Predictor`, the
comparison and the benchmark, so a resumed run's curves and a crashed run's status read the same everywhere.

    folder = RunFolder("runs/20250101-120000-sms")
    folder.metrics, folder.best, folder.events        # paths
    ModelMeta.read(folder.best)                       # ModelMeta | None
    run_status(folder).status                         # finished, running, interrupted, starting, ...
    curves(folder.read_events()).evals                # validation points, a resumed run's replayed steps dropped
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .events import last_status, read_events
from .messages import from_event, say
from .runs import (
    CHECKPOINTS_DIR,
    CONFIG_FILE,
    DATA_FILE,
    EVENTS_FILE,
    METRICS_FILE,
    MODEL_META_FILE,
    PID_FILE,
    PREDICTIONS_FILE,
    STARTING,
    STOP_FILE,
    TRAINING,
    atomic_write_text,
    pid_alive,
    read_json,
    read_trainer_pid,
)

REQUEST_FILE = "request.json"  # the settings the web app asked for, written at Start
LOG_FILE = "train.log"  # the training processes' output when the web app started them
LOG_SEPARATOR = "=== "  # train.log: a line starting so begins each trainer's output (the first run, each resume)
ERROR_FILE = "error.log"
ADAPTED_DIR = "adapted"  # the domain-adapted backbone of an adapt-first run


@dataclass(frozen=True)
class RunFolder:
    """One run folder's files by name; nothing is read until asked."""

    path: Path

    def __init__(self, path: str | Path) -> None:
        object.__setattr__(self, "path", Path(path))

    @property
    def name(self) -> str:
        return self.path.name

    events = property(lambda self: self.path / EVENTS_FILE)
    config = property(lambda self: self.path / CONFIG_FILE)
    data_json = property(lambda self: self.path / DATA_FILE)
    metrics = property(lambda self: self.path / METRICS_FILE)
    predictions = property(lambda self: self.path / PREDICTIONS_FILE)
    best = property(lambda self: self.path / "best")
    last = property(lambda self: self.path / "last")
    checkpoints = property(lambda self: self.path / CHECKPOINTS_DIR)
    request = property(lambda self: self.path / REQUEST_FILE)
    trainer_pid = property(lambda self: self.path / PID_FILE)
    stop_file = property(lambda self: self.path / STOP_FILE)
    logs = property(lambda self: self.path / LOG_FILE)
    error_log = property(lambda self: self.path / ERROR_FILE)
    adapted = property(lambda self: self.path / ADAPTED_DIR)
    inputs = property(lambda self: self.path / "inputs")

    def read_config(self) -> dict[str, Any]:
        """RUN/config.json as a dict ({} while it is missing or being written)."""
        return _dict(read_json(self.config))

    def read_data(self) -> dict[str, Any]:
        return _dict(read_json(self.data_json))

    def read_metrics(self) -> dict[str, Any]:
        return _dict(read_json(self.metrics))

    def read_events(self) -> list[dict[str, Any]]:
        return read_events(self.events)

    def settings_file(self) -> Path | None:
        """The settings the run started with: config.json, else the web app's request.json (a run that ended before
        the trainer wrote its config); None when neither exists."""
        return next((p for p in (self.config, self.request) if p.is_file()), None)

    def log_tail(self, chars: int = 600) -> str:
        """The last lines the newest trainer wrote to train.log (the web app's runs), for a message."""
        try:
            text = self.logs.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        text = text[text.rfind("\n" + LOG_SEPARATOR) + 1:]  # the newest trainer's output only
        lines = [line for line in text.splitlines()
                 if line.strip() and "\r" not in line and not line.startswith(LOG_SEPARATOR)]
        return " ".join(lines[-6:])[-chars:]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------------------------------------------------------
# classifier.json
# ---------------------------------------------------------------------------------------------------------------
_OPTIONAL = ("ensemble", "decision_threshold")  # written only once decided (after training; by `threshold`)


@dataclass
class ModelMeta:
    """best/classifier.json and last/classifier.json: how the model in that folder is fed and decides.

    Values are kept as the file holds them (a damaged value is the reader's to refuse, with a message); keys this
    version does not know are kept in `extra` and written back, and keys a file lacks are not added on writing."""

    max_length: int | None = None
    truncation: str | None = None  # head, head+tail or chunk
    base_model: str | None = None
    strategy: str | None = None
    pooling: str | None = None  # mean or cls
    labels: list[str] | None = None
    multi_label: bool | None = None
    thresholds: list[float] | None = None  # one per label, tuned on validation (multi-label only)
    chunk_stride: int | None = None
    chunk_pooling: str | None = None
    step: int | None = None  # the training step of these weights
    metric_for_best_model: str | None = None
    best_value: float | None = None  # its validation score: what a resumed run has to beat
    ensemble: Any = None  # {weight, decision, validation_scores, model_thresholds}: the validated TF-IDF mix
    decision_threshold: Any = None  # {label, threshold}: a two-class run's saved decision threshold
    extra: dict[str, Any] = field(default_factory=dict)
    _keys: frozenset[str] | None = field(default=None, repr=False, compare=False)  # the keys a read file had

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelMeta:
        known = {f.name for f in fields(cls)} - {"extra", "_keys"}
        return cls(**{k: v for k, v in values.items() if k in known},
                   extra={k: v for k, v in values.items() if k not in known}, _keys=frozenset(values))

    @classmethod
    def read(cls, folder: str | Path) -> ModelMeta | None:
        """FOLDER/classifier.json, or None when it is missing or not whole."""
        values = read_json(Path(folder) / MODEL_META_FILE)
        return cls.from_dict(values) if isinstance(values, dict) else None

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for f in fields(self):
            if f.name in ("extra", "_keys"):
                continue
            value = getattr(self, f.name)
            written = value is not None or (f.name not in _OPTIONAL and (self._keys is None or f.name in self._keys))
            if written:
                out[f.name] = value
        return {**out, **self.extra}

    def write(self, folder: str | Path) -> None:
        """FOLDER/classifier.json, atomically, as the trainer has always written it."""
        atomic_write_text(Path(folder) / MODEL_META_FILE, json.dumps(self.to_dict(), ensure_ascii=False, indent=2))


# ---------------------------------------------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunStatus:
    status: str  # starting, started, running, evaluating, finished, stopped, failed, interrupted, unknown
    message: str
    event: dict[str, Any] | None  # the last status event


def run_status(run: str | Path | RunFolder, events: list[dict[str, Any]] | None = None,
               trainer_alive: bool | None = None) -> RunStatus:
    """A run's status from its folder: the last status event's, except that a training status whose process is gone
    is `interrupted`, and a trainer launched (RUN/trainer.pid, alive) that has not written its status yet is
    `starting`. `events`: the run's events when the caller has them already. `trainer_alive`: what the caller
    knows of the newest trainer process (the web app of its own subprocess); None: judged from the ids in the
    folder."""
    folder = run if isinstance(run, RunFolder) else RunFolder(run)
    event = last_status(folder.read_events() if events is None else events)
    pid = (event or {}).get("pid")
    launched = read_trainer_pid(folder.path)
    if trainer_alive is None and launched and launched != pid and pid_alive(launched):
        return RunStatus(STARTING, "", event)  # launched (or relaunched to resume), not reporting yet
    if event is None:
        return RunStatus(STARTING if trainer_alive else "unknown", "", None)
    status, message = str(event.get("status", "unknown")), from_event(event)
    if status in TRAINING:
        alive = trainer_alive if trainer_alive is not None else pid_alive(pid, event.get("pid_start"))
        if not alive:
            tail = folder.log_tail()
            return RunStatus("interrupted", say("run_interrupted_log", tail=tail) if tail else say("run_interrupted"),
                             event)
    return RunStatus(status, message, event)


# ---------------------------------------------------------------------------------------------------------------
# events -> curves
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Curves:
    """What the events say of a run's progress, as every chart and table shows it."""

    train: list[dict[str, Any]] = field(default_factory=list)  # train events, one per step, in step order
    evals: list[dict[str, Any]] = field(default_factory=list)  # eval events, one per step, in step order
    test: dict[str, Any] | None = None
    total_steps: int | None = None
    final_step: int | None = None  # the step a run ended at (its final status says)
    stopped_early: bool = False


def curves(events: list[dict[str, Any]]) -> Curves:
    """Training and validation points of a run. A resumed run appends to its events: its `started` status has
    `resumed_from_step`, and the steps after that checkpoint are trained again, so the points the interrupted part
    logged there are dropped (and its test result); a later point of the same step replaces an earlier one."""
    train: dict[int, dict[str, Any]] = {}
    evals: dict[int, dict[str, Any]] = {}
    out = Curves()
    for event in events:
        kind = event.get("type")
        if kind == "status" and event.get("resumed_from_step") is not None:
            resumed = int(event["resumed_from_step"])
            train = {step: e for step, e in train.items() if step <= resumed}
            evals = {step: e for step, e in evals.items() if step <= resumed}
            out.test = None
        if kind == "train":
            train[int(event.get("step") or 0)] = event
            out.total_steps = event.get("total_steps") or out.total_steps
        elif kind == "eval" and event.get("step") is not None:
            evals[int(event["step"])] = event
        elif kind == "test":
            out.test = event
        elif kind == "status" and event.get("total_steps"):
            out.total_steps = event["total_steps"]
        if kind == "status" and event.get("steps") is not None:
            out.final_step, out.stopped_early = int(event["steps"]), bool(event.get("stopped_early"))
    out.train = [train[step] for step in sorted(train)]
    out.evals = [evals[step] for step in sorted(evals)]
    return out
