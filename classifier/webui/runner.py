"""The web app's side of a training run: start the engine's CLI as a subprocess, watch its events, stop it.

No gradio in here, so it is unit-testable and usable from a notebook:

    runner = TrainingRunner()
    run_dir = runner.start(TrainConfig(data="assets/sms_spam.tsv", epochs=1))   # returns at once
    runner.view(run_dir)      # RunView: status, train/eval events for the curves, progress, log lines
    runner.stop(run_dir)      # RUN/STOP: the trainer finishes the step, saves last/, keeps best/, tests
    runner.resume(run_dir)    # an interrupted, stopped or failed run continues from its newest checkpoint

The process is `python -m classifier train --config RUN/request.json --output RUN --quiet` (or `python -m
classifier resume --run RUN --quiet`), with stdout and stderr in RUN/train.log, in a session of its own: closing the
browser or restarting the app does not stop it.
One training at a time per app: `start` refuses while a run it (or an earlier instance of the app on the same
runs folder) started is still going, and names that run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import DATA_FILES, TrainConfig
from ..errors import ClassifierError, RunError
from ..events import last_status, tail_events
from ..message_catalogue import CATALOGUE
from ..messages import event_text, say
from ..run_folder import LOG_SEPARATOR, RunFolder, curves, run_status
from ..runs import (
    ACTIVE,
    ASSETS,
    PROJECT_ROOT,
    RESUMABLE,
    STARTING,
    checkpoint_step,
    latest_checkpoint,
    new_run_dir,
    read_trainer_pid,
    request_stop,
    runs_root,
    stop_requested,
    write_trainer_pid,
)
from ..security import demo_mode, safe_filename


class RunInProgress(ClassifierError):
    """A second Start while a run is training."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        super().__init__(say("run_in_progress", name=run_dir.name))


@dataclass
class RunView:
    """What the Train tab shows of one run."""

    run_dir: Path
    status: str  # starting, started, running, evaluating, finished, stopped, failed, interrupted, unknown
    message: str
    train: list[dict[str, Any]] = field(default_factory=list)
    evals: list[dict[str, Any]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)  # the log lines as written (English)
    log_events: list[dict[str, Any]] = field(default_factory=list)  # their events, to show them in another language
    test: dict[str, Any] | None = None
    total_steps: int | None = None
    stopping: bool = False
    events_seen: int = 0
    final_step: int | None = None
    stopped_early: bool = False

    @property
    def name(self) -> str:
        return self.run_dir.name

    def log_lines(self, lang: str | None) -> list[str]:
        """The log in `lang` (events with a message key are translated; older ones are shown as written)."""
        return [f"{str(e.get('time', ''))[11:19]}  {event_text(e, lang)}" for e in self.log_events]

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def resumable(self) -> bool:
        """A run that ended before finishing, with its settings on disk, can continue (`TrainingRunner.resume`)."""
        return self.status in RESUMABLE and RunFolder(self.run_dir).settings_file() is not None

    @property
    def checkpoint_step(self) -> int | None:
        """The step a resume would continue from (None: from the start)."""
        checkpoint = latest_checkpoint(self.run_dir) if self.resumable else None
        return checkpoint_step(checkpoint) if checkpoint is not None else None

    @property
    def progress(self) -> float:
        """Share of the training steps done (1.0 once finished)."""
        if self.status == "finished":
            return 1.0
        return float(self.train[-1].get("progress") or 0.0) if self.train else 0.0

    @property
    def step(self) -> int:
        """The last step logged; for an ended run the step it ended at (the last logged one may be a few before)."""
        if self.final_step is not None and self.status in ("finished", "stopped"):
            return self.final_step
        return int(self.train[-1].get("step") or 0) if self.train else 0

    @property
    def eta_seconds(self) -> float | None:
        return self.train[-1].get("eta_seconds") if self.train and self.status == "running" else None


class EventLog:
    """RUN/events.jsonl read incrementally: each `refresh` reads only what was appended since the last one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def refresh(self) -> list[dict[str, Any]]:
        with self._lock:
            new, self.offset = tail_events(self.path, self.offset)
            self.events.extend(new)
            return list(self.events)


class TrainingRunner:
    """Starts, watches and stops training subprocesses; one instance per app, shared by every browser."""

    def __init__(self, root: Path | None = None, python: str = sys.executable) -> None:
        self._root = root
        self.python = python
        self._lock = threading.Lock()
        self._procs: dict[Path, subprocess.Popen] = {}
        self._logs: dict[Path, EventLog] = {}
        self._launched: dict[Path, int] = {}  # run -> events it had when this app last launched a trainer for it

    @property
    def root(self) -> Path:
        return self._root or runs_root()  # read at call time: CLASSIFIER_HOME may be set after import

    # ------------------------------------------------------------------ start / stop
    def command(self, run_dir: Path) -> list[str]:
        return [self.python, "-m", "classifier", "train", "--config", str(RunFolder(run_dir).request),
                "--output", str(run_dir), "--quiet"]

    def resume_command(self, run_dir: Path) -> list[str]:
        return [self.python, "-m", "classifier", "resume", "--run", str(run_dir), "--quiet"]

    def start(self, config: TrainConfig) -> Path:
        """Write RUN/request.json and launch the training; returns the run folder without waiting."""
        _refuse_in_demo_mode()
        config.validate()
        with self._lock:
            busy = self.active_run()
            if busy is not None:
                raise RunInProgress(busy)
            hint = config.name or f"{Path(config.data).stem}-{Path(str(config.model)).name}"
            run_dir = new_run_dir(hint, self.root).resolve()
            config = _keep_inputs(config, run_dir).replace(output=str(run_dir))
            config.to_json(RunFolder(run_dir).request)
            self._launch(run_dir, self.command(run_dir))
        return run_dir

    def resume(self, run_dir: Path) -> Path:
        """Continue an interrupted, stopped or failed run from its newest checkpoint; returns at once."""
        _refuse_in_demo_mode()
        run_dir = Path(run_dir).resolve()
        with self._lock:
            busy = self.active_run()
            if busy is not None:
                raise RunInProgress(busy)
            view = self.view(run_dir)
            if not view.resumable:
                state = f"run_state_{view.status}"
                status = say(state) if state in CATALOGUE else view.status
                raise RunError(say("run_not_resumable", name=run_dir.name, status=status))
            # the earlier stop goes now, so that a Stop pressed while the trainer starts up can reach it
            RunFolder(run_dir).stop_file.unlink(missing_ok=True)
            self._launch(run_dir, self.resume_command(run_dir))
        return run_dir

    def _launch(self, run_dir: Path, command: list[str]) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
        self._launched[run_dir] = len(self._log(run_dir).refresh())  # before _procs: a view never sees one alone
        with open(RunFolder(run_dir).logs, "ab") as log:
            log.write(f"{LOG_SEPARATOR}trainer started {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
            log.flush()
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=PROJECT_ROOT, env=env, start_new_session=True)
        self._procs[run_dir] = proc
        # the trainer's id before it writes any event, so an app restarted in that instant still sees it
        write_trainer_pid(run_dir, proc.pid)
        # wait() in a thread reaps the child as soon as it exits, so a dead trainer is never a zombie that
        # still answers kill(pid, 0)
        threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()

    def stop(self, run_dir: Path) -> bool:
        """Ask the run to stop; False when it was already asked (a second Stop changes nothing)."""
        run_dir = Path(run_dir)
        if not self.view(run_dir).active:
            raise RunError(say("run_not_training", name=run_dir.name))
        if stop_requested(run_dir):
            return False
        proc = self._procs.get(run_dir.resolve())
        request_stop(run_dir, proc.pid if proc is not None and proc.poll() is None else read_trainer_pid(run_dir))
        return True

    # ------------------------------------------------------------------ finding runs
    def app_runs(self) -> list[Path]:
        """Run folders started by a web app (they hold request.json), newest first."""
        if not self.root.is_dir():
            return []
        return sorted((p.resolve() for p in self.root.iterdir() if RunFolder(p).request.is_file()), reverse=True)

    def active_run(self) -> Path | None:
        """The run this app is training, if any (also one started before the app was restarted)."""
        for run_dir, proc in list(self._procs.items()):
            # alive and not yet done (a trainer that wrote its final status may take a moment to exit)
            if proc.poll() is None and run_dir.is_dir() and self.view(run_dir).active:
                return run_dir
        for run_dir in self.app_runs()[:5]:
            if self.view(run_dir).active:
                return run_dir
        return None

    def latest_run(self) -> Path | None:
        """The run to show when the app opens: the one training now, else the newest one."""
        active = self.active_run()
        if active is not None:
            return active
        if not self.root.is_dir():
            return None
        runs = [p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")
                and RunFolder(p).settings_file() is not None]
        return max(runs, key=lambda p: p.name).resolve() if runs else None

    # ------------------------------------------------------------------ watching
    def view(self, run_dir: Path) -> RunView:
        run_dir = Path(run_dir).resolve()
        events = self._log(run_dir).refresh()
        points = curves(events)  # the same points the Evaluate tab and the comparison show
        view = RunView(run_dir=run_dir, status="unknown", message="", events_seen=len(events), train=points.train,
                       evals=points.evals, test=points.test, total_steps=points.total_steps,
                       final_step=points.final_step, stopped_early=points.stopped_early)
        view.log_events = [e for e in events if e.get("type") in ("log", "status") and e.get("message")]
        view.logs = view.log_lines("en")
        view.status, view.message = self._status(run_dir, events)
        view.stopping = view.active and stop_requested(run_dir)
        return view

    def _log(self, run_dir: Path) -> EventLog:
        log = self._logs.get(run_dir)
        return log if log is not None else self._logs.setdefault(run_dir, EventLog(run_dir / "events.jsonl"))

    def _status(self, run_dir: Path, events: list[dict[str, Any]]) -> tuple[str, str]:
        """The run's status from its folder (`run_folder.run_status`), with what only this app knows: whether the
        trainer it launched is alive, has reported since it was launched, or exited without a word."""
        proc = self._procs.get(run_dir)
        if proc is None:
            state = run_status(run_dir, events)
            return state.status, state.message
        alive = proc.poll() is None
        if alive and last_status(events[self._launched.get(run_dir, len(events)):]) is None:
            return STARTING, ""  # launched (a start or a resume) and not reporting yet
        if not alive and last_status(events) is None:
            exited = say("run_exited", code=proc.returncode)
            return "failed", RunFolder(run_dir).log_tail() or exited
        state = run_status(run_dir, events, trainer_alive=alive)
        return state.status, state.message


def _refuse_in_demo_mode() -> None:
    if demo_mode():
        raise RunError(say("demo_mode"))


def _keep_inputs(config: TrainConfig, run_dir: Path) -> TrainConfig:
    """Copy uploaded files (they live in a temporary upload folder) into RUN/inputs/, so the run's config keeps
    pointing at its data after the upload cache is cleaned. The bundled samples are referenced where they are."""
    changes = {}
    for name in DATA_FILES:
        value = getattr(config, name)
        if not value:
            continue
        source = Path(value).resolve()
        if not source.is_file() or ASSETS in source.parents:
            continue
        safe = safe_filename(source.name, name)  # the uploader's file name, reduced to a harmless file name
        target = run_dir / "inputs" / safe
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            target = target.with_name(f"{name}-{safe}")
        shutil.copy2(source, target)
        changes[name] = str(target)
    return config.replace(**changes) if changes else config


def wait_until(predicate, timeout: float, interval: float = 0.2) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass (for tests and scripts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
