"""Metrics for single-label and multi-label classification, thresholds, and the TF-IDF baseline that shows what
fine-tuning bought.

Multi-label: every label is a yes/no decision on its own sigmoid probability. `accuracy` there is the subset
accuracy (every label of a text right), the strict figure; micro-F1 (pooled over all decisions) and macro-F1
(mean over labels) are the usual headline numbers, Hamming loss the share of wrong decisions.

All numbers come from scikit-learn; this module only arranges them with the user's label names.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    hamming_loss,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
)


def classification_metrics(y_true, y_pred, label_names: list[str]) -> dict[str, Any]:
    """Accuracy, macro/weighted P/R/F1, per-class report and confusion matrix (rows: gold, columns: predicted)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    ids = list(range(len(label_names)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=ids, zero_division=0
    )
    out: dict[str, Any] = {"accuracy": float(accuracy_score(y_true, y_pred)), "samples": int(len(y_true))}
    # Averages cover the classes that occur (in gold or predicted): a class with no test rows, e.g. one too small
    # to split, would otherwise count as F1 = 0 and pull macro-F1 down for nothing.
    present = np.union1d(y_true, y_pred).tolist()
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=present, average=average,
                                                     zero_division=0)
        out[f"{average}_precision"], out[f"{average}_recall"], out[f"{average}_f1"] = float(p), float(r), float(f)
    out["per_class"] = {
        name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
               "support": int(support[i])}
        for i, name in enumerate(label_names)
    }
    out["labels"] = list(label_names)
    out["confusion_matrix"] = confusion_matrix(y_true, y_pred, labels=ids).tolist()
    return out


def eval_metrics(y_true, y_pred) -> dict[str, float]:
    """The two numbers tracked during training (Trainer prefixes them with `eval_`)."""
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def multilabel_metrics(y_true: np.ndarray, y_pred: np.ndarray, label_names: list[str]) -> dict[str, Any]:
    """Multi-hot gold and predictions (texts x labels): subset accuracy, Hamming loss, micro/macro/weighted
    P/R/F1, per-label report and per-label confusion counts (tn, fp, fn, tp)."""
    y_true, y_pred = np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int)
    subset = float(accuracy_score(y_true, y_pred)) if len(y_true) else 0.0
    out: dict[str, Any] = {"multi_label": True, "subset_accuracy": subset, "accuracy": subset,
                           "hamming_loss": float(hamming_loss(y_true, y_pred)) if len(y_true) else 0.0,
                           "samples": int(len(y_true))}
    for average in ("micro", "macro", "weighted", "samples"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)
        out[f"{average}_precision"], out[f"{average}_recall"], out[f"{average}_f1"] = float(p), float(r), float(f)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    out["per_class"] = {
        name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
               "support": int(support[i])}
        for i, name in enumerate(label_names)
    }
    out["labels"] = list(label_names)
    matrices = multilabel_confusion_matrix(y_true, y_pred, labels=list(range(len(label_names))))
    out["per_label_confusion"] = {name: {"tn": int(m[0, 0]), "fp": int(m[0, 1]), "fn": int(m[1, 0]), "tp": int(m[1, 1])}
                                  for name, m in zip(label_names, matrices)}
    return out


def multilabel_eval_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """What the curves track for multi-label runs (Trainer prefixes `eval_`): `accuracy` is the subset accuracy."""
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
    }


def tune_thresholds(y_true: np.ndarray, probs: np.ndarray, grid: np.ndarray | None = None) -> list[float]:
    """Per label, the threshold on the validation probabilities with the best F1 (0.5 for a label with no
    positive example, where any threshold scores the same); ties go to the threshold closest to 0.5."""
    grid = np.round(np.arange(0.05, 0.951, 0.05), 2) if grid is None else grid
    y_true = np.asarray(y_true).astype(int)
    chosen = []
    for j in range(y_true.shape[1]):
        if y_true[:, j].sum() == 0:
            chosen.append(0.5)
            continue
        scores = [f1_score(y_true[:, j], (probs[:, j] >= t).astype(int), zero_division=0) for t in grid]
        best = max(scores)
        candidates = [t for t, f in zip(grid, scores) if f >= best - 1e-12]
        chosen.append(float(min(candidates, key=lambda t: abs(t - 0.5))))
    return chosen


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60)))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def format_report(metrics: dict[str, Any]) -> str:
    """The test report as text for the terminal: headline numbers, baseline, per-class table."""
    from .task import task_of

    lines = task_of(metrics).report_lines(metrics)
    decision = metrics.get("decision")
    if decision in ("ensemble", "baseline"):
        key = task_of(metrics).metric
        alone = (metrics.get("model_only") or {}).get(key)
        what = "the fine-tuned model mixed with TF-IDF" if decision == "ensemble" else "the TF-IDF model"
        lines.insert(1, f"(predictions use {what}, chosen on validation"
                     + (f"; the fine-tuned model alone: {key} {alone:.4f}" if alone is not None else "") + ")")
    width = max(8, *(len(name) for name in metrics["per_class"]))
    lines.append(f"{'class':{width}}  precision  recall     f1  support")
    for name, row in metrics["per_class"].items():
        lines.append(f"{name:{width}}  {row['precision']:9.4f}  {row['recall']:6.4f}  {row['f1']:.4f}  "
                     f"{row['support']:7d}")
    for advice in metrics.get("advice") or []:
        lines.append("→ " + advice["text"])
    return "\n".join(lines)
