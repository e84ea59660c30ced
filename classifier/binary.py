"""ROC and precision-recall curves, rates at a threshold, and a saved decision threshold for two-class runs.

A two-class run has a *positive* class: the rarer one in the training data (spam, fraud, the thing to catch). Its
probability against a threshold decides the label; 0.5 is the plain argmax. Lowering the threshold catches more
positives (higher TPR) at the cost of more false alarms (higher FPR): "catch 99% of spam" is a threshold read off
the ROC curve. A saved threshold lives in best/classifier.json (`decision_threshold`), and `Predictor`, `predict`,
`evaluate` and the API use it. Multi-class runs get one-vs-rest ROC AUC per class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .messages import say

CURVE_POINTS = 200  # curves in metrics.json are thinned to about this many points


def _thin(*arrays: np.ndarray) -> list[list[float]]:
    n = len(arrays[0])
    keep = np.unique(np.linspace(0, n - 1, min(n, CURVE_POINTS)).round().astype(int)) if n else np.array([], int)
    return [[round(float(v), 5) for v in a[keep]] for a in arrays]


def rates_at(gold_positive: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """TPR (recall of the positive class), FPR, TNR, FNR when `scores >= threshold` means positive."""
    predicted = scores >= threshold
    pos, neg = gold_positive.sum(), (~gold_positive).sum()
    tp = int((predicted & gold_positive).sum())
    fp = int((predicted & ~gold_positive).sum())
    tpr = tp / pos if pos else 0.0
    fpr = fp / neg if neg else 0.0
    return {"tpr": tpr, "fpr": fpr, "tnr": 1.0 - fpr if neg else 0.0, "fnr": 1.0 - tpr if pos else 0.0}


def binary_report(gold: np.ndarray, probs: np.ndarray, names: list[str], positive: int, threshold: float
                  ) -> dict[str, Any]:
    """ROC and PR curves with their areas, and the four rates at `threshold`, for the positive class."""
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    truth = np.asarray(gold) == positive
    scores = np.asarray(probs)[:, positive]
    out: dict[str, Any] = {"positive_label": names[positive], "threshold": float(threshold),
                           **rates_at(truth, scores, threshold)}
    if truth.all() or not truth.any():  # one class only in this split: no curve
        return out
    fpr, tpr, _ = roc_curve(truth, scores)
    precision, recall, _ = precision_recall_curve(truth, scores)
    out["roc_auc"] = float(roc_auc_score(truth, scores))
    out["pr_auc"] = float(average_precision_score(truth, scores))
    out["roc"] = dict(zip(("fpr", "tpr"), _thin(fpr, tpr)))
    out["pr"] = dict(zip(("recall", "precision"), _thin(recall[::-1], precision[::-1])))
    return out


def one_vs_rest_auc(gold: np.ndarray, probs: np.ndarray, names: list[str]) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    out = {}
    for i, name in enumerate(names):
        truth = np.asarray(gold) == i
        if truth.any() and not truth.all():
            out[name] = float(roc_auc_score(truth, np.asarray(probs)[:, i]))
    return out


def positive_class(train_labels: np.ndarray, n_classes: int = 2) -> int:
    """The rarer class of the training split (the second one on a tie)."""
    counts = np.bincount(np.asarray(train_labels, dtype=int), minlength=n_classes)
    return int(counts[1] < counts[0]) if counts[0] != counts[1] else 1


def decide(probs: np.ndarray, decision: dict | None) -> np.ndarray:
    """Class ids: the positive class where its probability reaches the saved threshold, else argmax."""
    probs = np.asarray(probs)
    if not decision or probs.shape[-1] != 2:
        return probs.argmax(-1)
    positive = int(decision["positive"])
    return np.where(probs[:, positive] >= float(decision["threshold"]), positive, 1 - positive)


def read_decision(saved: Any, labels: list[str]) -> dict | None:
    """best/classifier.json's `decision_threshold` ({"label", "threshold"}: `ModelMeta.decision_threshold`) checked,
    as {"positive", "threshold"}."""
    if not isinstance(saved, dict) or len(labels) != 2 or saved.get("label") not in labels:
        return None
    try:
        threshold = float(saved["threshold"])
    except (TypeError, ValueError, KeyError):
        return None
    if not 0.0 < threshold < 1.0:
        return None
    return {"positive": labels.index(saved["label"]), "threshold": threshold}


def _test_table(run_dir: Path, label: str | None):
    """A finished two-class run's test predictions: (metrics, table, names, gold ids, probabilities, positive)."""
    from .errors import RunError
    from .runs import METRICS_FILE, read_json, read_predictions
    from .security import from_spreadsheet_cell, run_file

    metrics = read_json(run_file(run_dir, METRICS_FILE))
    if not metrics or len(metrics.get("labels") or []) != 2 or metrics.get("multi_label"):
        raise RunError(say("threshold_not_binary", name=run_dir.name))
    names = list(metrics["labels"])
    label = label or (metrics.get("binary") or {}).get("positive_label") or names[1]
    if label not in names:
        raise RunError(say("threshold_bad_label", label=label, name=run_dir.name, classes=", ".join(names)))
    table = read_predictions(run_dir, ("gold", *(f"p_{n}" for n in names)), dtype=str)
    table["gold"] = table["gold"].map(from_spreadsheet_cell)
    try:
        probs = np.stack([table[f"p_{n}"].astype(float).to_numpy() for n in names], axis=1)
        gold = np.array([names.index(g) for g in table["gold"]])
    except ValueError as exc:  # a probability that is not a number, a gold label that is not a class
        raise RunError(say("threshold_predictions_mismatch", name=run_dir.name, reason=str(exc)[:120])) from None
    return metrics, table, names, gold, probs, names.index(label)


def metrics_at(run_dir: Path, threshold: float, label: str | None = None) -> dict[str, Any]:
    """The run's test metrics (report, confusion matrix, rates, curves) had its decision threshold been
    `threshold`; nothing is written."""
    from .metrics import classification_metrics

    metrics, _table, names, gold, probs, positive = _test_table(Path(run_dir), label)
    predicted = decide(probs, {"positive": positive, "threshold": float(threshold)})
    return {**metrics, **classification_metrics(gold, predicted, names),
            "binary": binary_report(gold, probs, names, positive, float(threshold))}


def save_threshold(run_dir: Path, threshold: float, label: str | None = None) -> dict[str, Any]:
    """Store a decision threshold for a finished two-class run and rescore its test set with it: best/classifier.json
    gets `decision_threshold`, predictions.csv its new `predicted`/`correct`, metrics.json its new headline numbers,
    report, confusion matrix and rates. Returns the new metrics."""
    from .errors import RunError
    from .metrics import classification_metrics
    from .run_folder import ModelMeta, RunFolder
    from .runs import atomic_write_json, atomic_write_text
    from .security import spreadsheet_safe

    run_dir = Path(run_dir)
    if not 0.0 < float(threshold) < 1.0:
        raise RunError(say("threshold_out_of_range", threshold=threshold))
    metrics, table, names, gold, probs, positive = _test_table(run_dir, label)
    best = RunFolder(run_dir).best
    meta = ModelMeta.read(best)
    if meta is None:
        raise RunError(say("threshold_no_model", name=run_dir.name))
    predicted = decide(probs, {"positive": positive, "threshold": float(threshold)})
    meta.decision_threshold = {"label": names[positive], "threshold": float(threshold)}
    meta.write(best)
    table["predicted"] = [names[i] for i in predicted]
    table["correct"] = gold == predicted
    atomic_write_text(RunFolder(run_dir).predictions, spreadsheet_safe(table).to_csv(index=False))
    metrics.update(classification_metrics(gold, predicted, names))
    metrics["binary"] = binary_report(gold, probs, names, positive, float(threshold))
    atomic_write_json(RunFolder(run_dir).metrics, metrics)
    return metrics
