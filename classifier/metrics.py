"""Metrics for single-label classification, and the TF-IDF baseline that shows what fine-tuning bought.

All numbers come from scikit-learn; this module only arranges them with the user's label names.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
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


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def tfidf_baseline(train_texts, train_labels, test_texts, test_labels, label_names: list[str],
                   seed: int = 42) -> dict[str, Any]:
    """TF-IDF on word 1-2-grams and character 1-3-grams + logistic regression.

    Character n-grams make it work for Chinese (no spaces between words) as well as for English.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    start = time.perf_counter()
    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1, sublinear_tf=True, max_features=200_000),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True, max_features=300_000),
    )
    model = make_pipeline(features, LogisticRegression(max_iter=2000, C=10.0, random_state=seed))
    model.fit(list(train_texts), list(train_labels))
    predicted = model.predict(list(test_texts))
    metrics = classification_metrics(test_labels, predicted, label_names)
    metrics["train_seconds"] = round(time.perf_counter() - start, 2)
    metrics["method"] = "TF-IDF (word 1-2 + char 1-3 grams) + logistic regression"
    return metrics


def format_report(metrics: dict[str, Any]) -> str:
    """The test report as text for the terminal: headline numbers, baseline, per-class table."""
    lines = [f"Test accuracy {metrics['accuracy']:.4f}   macro-F1 {metrics['macro_f1']:.4f}   "
             f"weighted-F1 {metrics['weighted_f1']:.4f}   ({metrics['samples']} texts)"]
    baseline = metrics.get("baseline")
    if baseline:
        lines.append(f"TF-IDF baseline: accuracy {baseline['accuracy']:.4f}   macro-F1 {baseline['macro_f1']:.4f}")
    width = max(8, *(len(name) for name in metrics["per_class"]))
    lines.append(f"{'class':{width}}  precision  recall     f1  support")
    for name, row in metrics["per_class"].items():
        lines.append(f"{name:{width}}  {row['precision']:9.4f}  {row['recall']:6.4f}  {row['f1']:.4f}  "
                     f"{row['support']:7d}")
    return "\n".join(lines)
