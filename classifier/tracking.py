"""Experiment tracking through Trainer's own integrations: TensorBoard, trackio, Weights & Biases, MLflow.

Local and offline first:
- `tensorboard` writes event files into `RUN/logs/` (`tensorboard --logdir RUN/logs`, or the runs folder for all);
- `trackio` keeps its local store under `$CLASSIFIER_HOME/trackio` (`trackio show`), project
  `text-classifier-studio`, one run per run folder;
- `mlflow` uses the file store `$CLASSIFIER_HOME/mlruns` (`mlflow ui --backend-store-uri ...`) unless
  `MLFLOW_TRACKING_URI` says otherwise;
- `wandb` runs offline (`wandb sync` later) unless `WANDB_API_KEY` is set or `WANDB_MODE` says otherwise.

Logged: Trainer's arguments and the model config (each integration's own way), the resolved TrainConfig, the
training loss and learning rate, every validation metric, and at the end the test metrics (`test/...`).
A missing package is reported before training starts, with the pip command that installs it.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigError
from .messages import say

TRACKERS = {  # name -> (module to import, pip package)
    "tensorboard": ("tensorboard", "tensorboard"),
    "trackio": ("trackio", "trackio"),
    "wandb": ("wandb", "wandb"),
    "mlflow": ("mlflow", "mlflow"),
}
PROJECT = "text-classifier-studio"


def parse(setting: str | None) -> list[str]:
    """`none`, or names separated by commas; unknown names are a ConfigError."""
    names = [n.strip().lower() for n in str(setting or "none").split(",") if n.strip()]
    names = [n for n in names if n != "none"]
    unknown = [n for n in names if n not in TRACKERS]
    if unknown:
        raise ConfigError(say("tracking_unknown", unknown=", ".join(map(repr, unknown)), choices=", ".join(TRACKERS)))
    return list(dict.fromkeys(names))


def check_installed(names: list[str]) -> None:
    import importlib.util

    missing = [n for n in names if importlib.util.find_spec(TRACKERS[n][0]) is None]
    if missing:
        packages = " ".join(TRACKERS[n][1] for n in missing)
        raise ConfigError(say("tracking_missing_package", names=", ".join(missing), packages=packages))


def home() -> Path:
    return Path(os.environ.get("CLASSIFIER_HOME") or ".").resolve()


def prepare(names: list[str], run_dir: Path) -> dict:
    """Environment for the integrations (local stores) and the TrainingArguments they need."""
    if "trackio" in names:
        os.environ.setdefault("TRACKIO_DIR", str(home() / "trackio"))
    if "mlflow" in names:
        os.environ.setdefault("MLFLOW_TRACKING_URI", (home() / "mlruns").as_uri())
        os.environ.setdefault("MLFLOW_EXPERIMENT_NAME", PROJECT)
    if "wandb" in names:
        os.environ.setdefault("WANDB_PROJECT", PROJECT)
        os.environ.setdefault("WANDB_DIR", str(home()))
        if not os.environ.get("WANDB_API_KEY"):
            os.environ.setdefault("WANDB_MODE", "offline")
    # TensorBoard is added as our own callback (its folder is RUN/logs, not inside the checkpoints, which are
    # deleted when a run finishes); the others go through report_to.
    return {"report_to": [n for n in names if n != "tensorboard"] or "none", "run_name": run_dir.name,
            "project": PROJECT}


def callbacks(names: list[str], run_dir: Path) -> list:
    if "tensorboard" not in names:
        return []
    from transformers.integrations import TensorBoardCallback

    callback = TensorBoardCallback()
    callback.logging_dir = str(run_dir / "logs")
    return [callback]


def where(names: list[str], run_dir: Path) -> str:
    """One line for the log: how to open each dashboard."""
    hints = {
        "tensorboard": f"tensorboard --logdir {run_dir / 'logs'}",
        "trackio": f"TRACKIO_DIR={os.environ.get('TRACKIO_DIR', home() / 'trackio')} trackio show --project {PROJECT}",
        "mlflow": f"mlflow ui --backend-store-uri {os.environ.get('MLFLOW_TRACKING_URI', '')}",
        "wandb": ("the W&B project " + PROJECT) if os.environ.get("WANDB_MODE") != "offline"
        else f"wandb sync {os.environ.get('WANDB_DIR', home())}/wandb/offline-run-* (offline run)",
    }
    return "; ".join(f"{n}: {hints[n]}" for n in names)
