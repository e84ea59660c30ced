"""Runs side by side: test metrics, the settings that differ, validation curves and per-class F1 of two or more
runs, and a leaderboard of the runs trained on the same data (same data fingerprint), best test macro-F1 first.

Everything is read from the run folders (config.json, data.json, metrics.json, events.jsonl); no model is loaded.
The CLI (`python -m classifier runs --compare RUN RUN ...`), the Runs tab and the Python API share it:

    from classifier.compare import compare
    table = compare(["runs/a", "runs/b"])       # Comparison: .metrics, .settings, .differing, .curves, .per_class_f1
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import RunError
from .messages import say
from .run_folder import RunFolder, curves
from .runs import list_runs, resolve_run_dir, runs_root

# the settings a comparison shows, in this order (resolved values from RUN/config.json)
KEY_SETTINGS = ("model", "strategy", "pooling", "epochs", "learning_rate", "batch_size", "max_length", "truncation",
                "class_weights", "balance", "warmup_ratio", "lr_scheduler_type", "layerwise_lr_decay",
                "head_learning_rate", "label_smoothing", "token_dropout", "backbone_dropout", "max_train_samples",
                "multi_label", "seed",
                "ensemble", "refit")
METRICS = ("accuracy", "macro_f1", "micro_f1", "weighted_f1", "model_only_macro_f1", "baseline_macro_f1",
           "decision", "best_step", "steps_trained", "train_seconds", "precision")


def shown(value, setting: bool = False, seconds: bool = False, missing: str = "-") -> str:
    """A cell of a comparison (CLI and Runs tab): settings as given, scores to 4 decimals, times (and numbers of 10
    or more) to 1."""
    if value is None:
        return missing
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if setting:
            return f"{value:g}"
        return f"{value:.1f}" if seconds or abs(value) >= 10 else f"{value:.4f}"
    return str(value)


@dataclass
class RunSummary:
    """One run as a comparison shows it."""

    name: str
    path: Path
    status: str
    data_key: str | None
    """A fingerprint of the run's data files (train, and validation/test where given); equal for runs on the same
    data. None for a run that has not read its data yet."""
    data: str
    settings: dict[str, Any]
    metrics: dict[str, Any]
    per_class_f1: dict[str, float]
    curve: list[tuple[int, float | None, float | None]]
    """Validation (step, macro-F1, loss) per evaluation, replayed steps of a resumed run dropped."""


@dataclass
class Comparison:
    runs: list[RunSummary]
    differing: list[str] = field(default_factory=list)
    """The settings whose values are not the same in every run."""

    def metrics_rows(self) -> list[dict[str, Any]]:
        return [{"run": r.name, "status": r.status, **{k: r.metrics.get(k) for k in METRICS}} for r in self.runs]

    def settings_rows(self) -> list[dict[str, Any]]:
        """One row per setting: its value in each run, and whether they differ."""
        return [{"setting": key, "differs": key in self.differing, **{r.name: r.settings.get(key) for r in self.runs}}
                for key in KEY_SETTINGS]

    def to_dict(self) -> dict[str, Any]:
        return {"runs": [{"name": r.name, "status": r.status, "data": r.data, "data_key": r.data_key,
                          "metrics": {k: r.metrics.get(k) for k in METRICS}, "settings": r.settings,
                          "per_class_f1": r.per_class_f1,
                          "validation": [{"step": s, "macro_f1": f, "loss": loss} for s, f, loss in r.curve]}
                         for r in self.runs],
                "differing_settings": self.differing, "same_data": len({r.data_key for r in self.runs}) == 1}


def eval_curve(events: list[dict[str, Any]]) -> list[tuple[int, float | None, float | None]]:
    """Validation (step, macro-F1, loss) of a run in step order, as the Train and Evaluate tabs show it
    (`run_folder.curves`: a resumed run's replayed steps dropped)."""
    return [(int(e["step"]), e.get("eval_macro_f1"), e.get("eval_loss")) for e in curves(events).evals]


def data_key(run_dir: Path) -> str | None:
    info = RunFolder(run_dir).read_data()
    prints = info.get("fingerprints")
    if not prints:
        return None
    return hashlib.sha256(json.dumps(prints, sort_keys=True).encode()).hexdigest()[:16]


def summarize(run_dir: Path, curve: bool = True) -> RunSummary:
    from .runs import load_run_info

    run_dir = Path(run_dir)
    info = load_run_info(run_dir)
    folder = RunFolder(run_dir)
    config, metrics = folder.read_config(), folder.read_metrics()
    flat = dict(metrics)
    for part in ("model_only", "baseline"):
        for key in ("accuracy", "macro_f1", "micro_f1"):
            flat[f"{part}_{key}"] = (metrics.get(part) or {}).get(key)
    per_class = {str(name): float(row["f1"]) for name, row in (metrics.get("per_class") or {}).items()
                 if isinstance(row, dict) and row.get("f1") is not None}
    return RunSummary(name=run_dir.name, path=run_dir, status=info.status, data_key=data_key(run_dir),
                      data=Path(str(config.get("data") or "")).name, settings={k: config.get(k) for k in KEY_SETTINGS},
                      metrics=flat, per_class_f1=per_class,
                      curve=eval_curve(folder.read_events()) if curve else [])


def compare(runs: list[str | Path], root: Path | None = None) -> Comparison:
    """Two or more runs (names in the runs folder, or folders) side by side."""
    if len(runs) < 2:
        raise RunError(say("compare_too_few"))
    paths = [resolve_run_dir(run, root) for run in runs]
    if len({p.resolve() for p in paths}) < len(paths):
        raise RunError(say("compare_twice"))
    summaries = [summarize(path) for path in paths]
    differing = [key for key in KEY_SETTINGS
                 if len({json.dumps(s.settings.get(key), sort_keys=True) for s in summaries}) > 1]
    return Comparison(runs=summaries, differing=differing)


def leaderboard(root: Path | None = None) -> list[list[RunSummary]]:
    """Finished runs with test results, grouped by their data (data fingerprint), each group best test macro-F1
    first; the group of the most recently started run first."""
    groups: dict[str, list[RunSummary]] = {}
    for info in sorted(list_runs(root or runs_root()), key=lambda i: i.started or "", reverse=True):  # newest first
        if info.status != "finished" or info.macro_f1 is None:
            continue
        summary = summarize(info.path, curve=False)
        groups.setdefault(summary.data_key or f"run:{info.name}", []).append(summary)
    return [sorted(group, key=lambda s: -(s.metrics.get("macro_f1") or 0.0)) for group in groups.values()]


def best_run_on_latest_data(root: Path | None = None) -> Path | None:
    """The finished run with the best test macro-F1 among the runs trained on the same data as the most recently
    started finished run; None when no run has test results."""
    board = leaderboard(root)
    return board[0][0].path if board else None
