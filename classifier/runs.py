"""The run folder: where runs live, how they are written atomically, listed, loaded and deleted.

Layout (documented in docs/run-folder.md; `classifier.run_folder.RunFolder` names each file, and its
`run_status` and `curves` read them for every reader):

    RUN/config.json      the resolved TrainConfig
    RUN/events.jsonl     one JSON object per line (classifier.events)
    RUN/data.json        dataset summary, label names, split sizes, warnings
    RUN/best/            save_pretrained folder of the best validation checkpoint (+ tokenizer, id2label)
    RUN/last/            the same for the last step trained
    RUN/checkpoints/     checkpoint-STEP/: Trainer checkpoint (weights, optimizer, scheduler, random state) of the
                         latest evaluation, for `python -m classifier resume`; removed when the run finishes
    RUN/metrics.json     test-set metrics of best/ (and of the TF-IDF baseline)
    RUN/predictions.csv  test texts with gold, predicted label and every class probability
    RUN/STOP             created by `classifier.runs.request_stop` to ask a running training to stop
    RUN/train.log        stdout/stderr of the training process when the web app started it

Atomic means: a file is written beside its target and renamed over it; a folder is saved into a temporary
sibling and renamed into place. A killed process therefore leaves either the old or the new version, or none.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import RunError
from .messages import say

if TYPE_CHECKING:
    import pandas as pd

STOP_FILE = "STOP"
PID_FILE = "trainer.pid"  # the trainer's id, written by the web app when it launches one (before its first event)
PID_FILE_MAX_AGE = 300.0  # seconds: a trainer writes its first event within them; an older id may be another process
# Run statuses, one list each (classifier.run_folder.run_status derives a run's status from its folder)
STARTING = "starting"  # a trainer was launched and has not written its first status yet
TRAINING = ("started", "running", "evaluating")  # the statuses a trainer writes while it works
ACTIVE = (STARTING, *TRAINING)  # a process works on the run: not deleted, not resumed, Stop applies
FINAL = ("finished", "stopped", "failed", "interrupted")  # no process works on it any more
RESUMABLE = ("stopped", "failed", "interrupted")  # ended before finishing: `resume` continues it
CHECKPOINTS_DIR = "checkpoints"
REFIT_DIR = ".refit"  # --refit: the second pass's scratch folder (Trainer's output_dir; nothing is kept)
FIRST_BEST_DIR = ".first-best"  # --refit: best/ of the first pass, until the run is finished (a resume restores it)
# The run folder's files (classifier.run_folder.RunFolder has a path property for each)
EVENTS_FILE = "events.jsonl"
CONFIG_FILE = "config.json"  # the resolved TrainConfig (also the name of a model folder's transformers config)
DATA_FILE = "data.json"
METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "predictions.csv"
MODEL_META_FILE = "classifier.json"  # beside config.json in best/ and last/: how to feed the model
NAME_MAX = 255  # bytes in one folder name (Linux, macOS, Windows): a longer run name cannot exist
TRAINER_STATE = "trainer_state.json"  # Trainer writes it last into a checkpoint: its presence marks one complete


PROJECT_ROOT = Path(__file__).resolve().parents[1]
ASSETS = PROJECT_ROOT / "assets"  # the bundled sample data sets (and the app's pictures)


def classifier_home() -> Path:
    """`$CLASSIFIER_HOME` or the current folder; runs live in its `runs/` folder."""
    return Path(os.environ.get("CLASSIFIER_HOME") or ".").expanduser().resolve()


def runs_root() -> Path:
    return classifier_home() / "runs"


def display_path(path: str | Path) -> str:
    """A path for a message that a web visitor may read: relative to the runs folder for what lies in it
    (`sms/best/config.json`), the name of any other absolute path (an upload's own file name, a model folder's
    name), and a relative path or hub id as it was given. Never the server's absolute paths (docs/security.md)."""
    path = Path(str(path)).expanduser()
    if not path.is_absolute():
        return str(path)
    root = runs_root()
    for base, candidate in ((root, path), (root.resolve(), path.resolve())):
        try:
            return str(candidate.relative_to(base))
        except ValueError:
            continue
    return path.name


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; run files are meant to be shared like any output
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, indent=2, ensure_ascii=False, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays appear in metrics; keep the JSON plain.
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def atomic_save_dir(target: Path, save: Callable[[Path], None], keep_old_as: Path | None = None) -> None:
    """Call `save(tmp_dir)` and then move tmp_dir to `target`, replacing what was there.

    The old folder is renamed aside first and removed after the new one is in place (kept as `keep_old_as`
    instead, when given), so at any moment `target` is either the complete old version, the complete new one, or
    (for an instant) absent.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        save(tmp)
        os.chmod(tmp, 0o755)
        old = None
        if target.exists():
            old = keep_old_as or target.with_name(f".{target.name}.old.{os.getpid()}")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None and keep_old_as is None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def new_run_dir(name_hint: str, root: Path | None = None) -> Path:
    root = root or runs_root()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name_hint)[:60].strip("-.") or "run"
    path = root / f"{stamp}-{safe}"
    suffix = 1
    while path.exists():
        suffix += 1
        path = root / f"{stamp}-{safe}-{suffix}"
    path.mkdir(parents=True)
    return path


def request_stop(run_dir: Path, pid: int | None = None) -> None:
    """Ask a running training to stop: it finishes the current step, saves last/, keeps best/.

    `pid`: the trainer it is meant for, when known. A trainer removes a STOP file left from before it started (a
    stopped run being resumed) but keeps one that names it: a Stop pressed while it was still starting up."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    (Path(run_dir) / STOP_FILE).write_text(f"{stamp} pid {pid}" if pid else stamp, encoding="utf-8")


def clear_stale_stop(run_dir: Path) -> None:
    """Remove RUN/STOP unless it was written for this very process (see request_stop)."""
    path = Path(run_dir) / STOP_FILE
    try:
        if not path.read_text(encoding="utf-8").endswith(f" pid {os.getpid()}"):
            path.unlink(missing_ok=True)
    except FileNotFoundError:
        pass


def stop_requested(run_dir: Path) -> bool:
    return (Path(run_dir) / STOP_FILE).exists()


def checkpoint_step(checkpoint: Path) -> int | None:
    """The step of a *complete* checkpoint folder (None for a partial one).

    Trainer writes weights, optimizer, scheduler and random state first and trainer_state.json last, so a
    checkpoint whose trainer_state.json parses holds everything; a process killed while saving leaves a folder
    without it (or with a torn one). A folder someone half-deleted (no weights or no optimizer state) does not count
    either."""
    checkpoint = Path(checkpoint)
    state = read_json(checkpoint / TRAINER_STATE)
    if not isinstance(state, dict) or "global_step" not in state:
        return None
    if not (checkpoint / "optimizer.pt").is_file() or not any(checkpoint.glob("*.safetensors")):
        return None
    return int(state["global_step"])


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint of a run, or None."""
    folder = Path(run_dir) / CHECKPOINTS_DIR
    if not folder.is_dir():
        return None
    complete = [(step, path) for path in folder.glob("checkpoint-*")
                if path.is_dir() and (step := checkpoint_step(path)) is not None]
    return max(complete)[1] if complete else None


def remove_partial_checkpoints(run_dir: Path) -> list[str]:
    """Delete checkpoint folders that a kill or a full disk left half-written; returns their names."""
    folder = Path(run_dir) / CHECKPOINTS_DIR
    removed = []
    for path in sorted(folder.glob("checkpoint-*")) if folder.is_dir() else []:
        if path.is_dir() and checkpoint_step(path) is None:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


@dataclass
class RunInfo:
    """What a list of runs shows about one run, read from its files without loading a model."""

    path: Path
    name: str
    status: str
    model: str
    data: str
    strategy: str
    started: str
    accuracy: float | None
    macro_f1: float | None
    message: str
    checkpoint_step: int | None = None
    """Step of the newest complete checkpoint (`resume` continues from it); None when there is none."""

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "path": str(self.path)}


def read_json(path: Path) -> Any:
    """A JSON file's value, or None when it is missing or not whole (being written, torn by a kill)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def load_run_info(run_dir: Path) -> RunInfo:
    from .run_folder import RunFolder, run_status

    folder = RunFolder(run_dir)
    if not folder.path.is_dir():
        raise RunError(say("run_folder_missing", path=display_path(folder.path)))
    config = folder.read_config()
    metrics = folder.read_metrics()
    events = folder.read_events()
    state = run_status(folder, events)
    return RunInfo(
        path=folder.path,
        name=folder.name,
        status=state.status,
        model=str(config.get("model", "")),
        data=Path(str(config.get("data", ""))).name,
        strategy=str(config.get("strategy", "")),
        started=events[0].get("time", "") if events else "",
        accuracy=metrics.get("accuracy"),
        macro_f1=metrics.get("macro_f1"),
        message=state.message,
        checkpoint_step=checkpoint_step(checkpoint) if (checkpoint := latest_checkpoint(folder.path)) else None,
    )


def pid_alive(pid: Any, started: str | None = None) -> bool:
    """Whether a process with this id runs on this machine (False for no id). `started`: what `process_start` said
    of the process when it wrote the id; a different answer now means the id was given to another process since (a
    container restarts with the same small ids: a Space's trainer was pid 57, and after a restart pid 57 is something
    else), so the process that wrote it is gone."""
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, OverflowError):
        return False
    except PermissionError:
        pass
    if started:
        now = process_start(pid)
        if now is not None and now != started:
            return False
    return True


def process_start(pid: Any) -> str | None:
    """Which process holds this id: the boot's id and the process's start time in clock ticks since boot (Linux
    /proc); None where that cannot be read."""
    try:
        stat = Path(f"/proc/{int(pid)}/stat").read_text(encoding="ascii", errors="replace")
        ticks = stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command name
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        return f"{boot}:{ticks}"
    except (OSError, ValueError, IndexError):
        return None


def read_trainer_pid(run_dir: Path, max_age: float = PID_FILE_MAX_AGE) -> int | None:
    """The trainer's id from RUN/trainer.pid (`write_trainer_pid`), if written in the last `max_age` seconds and the
    id still belongs to the process that wrote it."""
    try:
        path = Path(run_dir) / PID_FILE
        if time.time() - path.stat().st_mtime > max_age:
            return None
        pid, _, started = path.read_text(encoding="utf-8").strip().partition(" ")
        if started and process_start(pid) not in (None, started):
            return None
        return int(pid)
    except (FileNotFoundError, ValueError):
        return None


def write_trainer_pid(run_dir: Path, pid: int) -> None:
    """RUN/trainer.pid: the id of a trainer just launched and which process holds it (see `pid_alive`)."""
    (Path(run_dir) / PID_FILE).write_text(f"{pid} {process_start(pid) or ''}".strip(), encoding="utf-8")


def training_pid(run_dir: Path) -> int | None:
    """The id of a live process training this run, read from the run folder alone, whoever started it (a web app,
    an earlier instance of it, `python -m classifier train` in a terminal): the last status event says started,
    running or evaluating and its `pid` is alive; or RUN/trainer.pid names a live process that has written no status
    yet (a web app's trainer starting up, or resuming). None when nothing trains the run on this machine."""
    from .events import last_status, read_events

    event = last_status(read_events(Path(run_dir) / EVENTS_FILE)) or {}
    pid = event.get("pid")
    if event.get("status") in TRAINING and pid_alive(pid, event.get("pid_start")):
        return int(pid)
    launched = read_trainer_pid(run_dir)
    if launched and launched != pid and pid_alive(launched):
        return launched
    return None


def list_runs(root: Path | None = None) -> list[RunInfo]:
    root = root or runs_root()
    if not root.is_dir():
        return []
    infos = []
    for child in sorted(root.iterdir(), reverse=True):
        if child.is_symlink():  # a link may lead anywhere; only real folders in the runs folder are runs
            continue
        if child.is_dir() and not child.name.startswith(".") and (child / CONFIG_FILE).exists():
            infos.append(load_run_info(child))
    return infos


def resolve_run_dir(run: str | Path, root: Path | None = None) -> Path:
    """A run given by path or by name (a folder under the runs root)."""
    path = Path(run).expanduser()
    if not _is_dir(path):
        candidate = (root or runs_root()) / str(run)
        if _is_dir(candidate):
            path = candidate
    if not _is_dir(path):
        raise RunError(say("run_no_folder", run=str(run)))
    return path.resolve()


def _is_dir(path: Path) -> bool:
    """Path.is_dir, False (not an OSError) for a name the system refuses, such as one over NAME_MAX bytes."""
    try:
        return path.is_dir()
    except OSError:
        return False


def model_dir(run_dir: Path) -> Path:
    """The folder to predict with: best/ when it exists, else last/."""
    for sub in ("best", "last"):
        candidate = Path(run_dir) / sub
        if (candidate / CONFIG_FILE).exists():
            return candidate
    if (Path(run_dir) / CONFIG_FILE).exists() and any(Path(run_dir).glob("*.safetensors")):
        return Path(run_dir)  # a plain save_pretrained folder given directly
    raise RunError(say("run_no_model_yet", path=display_path(run_dir)))


def read_predictions(run_dir: Path, columns: tuple[str, ...], **read_csv) -> pd.DataFrame:
    """RUN/predictions.csv (FileNotFoundError when there is none), with `columns` checked: a file that lacks one,
    or is not a CSV table, is a RunError that says which (it was edited, or not written by this app)."""
    import pandas as pd

    from .security import run_file

    path = run_file(run_dir, PREDICTIONS_FILE)
    try:
        frame = pd.read_csv(path, keep_default_na=False, **read_csv)
    except ValueError as exc:  # pandas' parser and empty-file errors, a file that is not UTF-8
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise RunError(say("run_table_unreadable", path=display_path(path), reason=reason)) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        shown = ", ".join(map(str, frame.columns[:8])) + (", ..." if len(frame.columns) > 8 else "")
        raise RunError(say("run_table_columns", path=display_path(path), missing=", ".join(repr(c) for c in missing),
                           n=len(frame.columns), columns=shown))
    return frame


def run_in_root(name: str | Path, root: Path | None = None) -> Path | None:
    """The run folder `name` directly inside the runs folder, for callers that must not reach anything else (the
    web app: a visitor's run name is never trusted as a path).

    None when there is no such run; RunError for a name that tries to leave the runs folder: a path (`../x`,
    `/etc`, `a/b`), a hidden name, or a symbolic link.
    """
    text = str(name or "").strip()
    if not text:
        return None
    if len(text.encode("utf-8", "surrogateescape")) > NAME_MAX:  # the system refuses such a name (ENAMETOOLONG)
        raise RunError(say("run_name_too_long", n=len(text), limit=NAME_MAX))
    root = (root or runs_root()).resolve()
    if "/" in text or "\\" in text or "\x00" in text or text.startswith(".") or Path(text).is_absolute():
        raise RunError(say("run_bad_name", name=text, root=root.name))
    path = root / text
    if path.is_symlink() or (path.exists() and path.resolve().parent != root):
        raise RunError(say("run_link_outside", name=text))
    return path if path.is_dir() else None


def delete_run(run_dir: Path, root: Path | None = None) -> None:
    root = (root or runs_root()).resolve()
    if Path(run_dir).is_symlink():
        raise RunError(say("run_delete_link", path=display_path(run_dir)))
    run_dir = Path(run_dir).resolve()
    if run_dir.parent != root:
        raise RunError(say("run_delete_outside", path=display_path(run_dir), root=root.name))
    pid = training_pid(run_dir)
    if pid is not None:
        raise RunError(say("run_still_training", name=run_dir.name, pid=pid))
    shutil.rmtree(run_dir)
