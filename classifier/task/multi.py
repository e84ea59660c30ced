"""Multi-label classification: any number of labels a text; a sigmoid per label, binary cross-entropy, a tuned
threshold per label, micro-F1."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from ..messages import say
from .base import Task


class MultiLabel(Task):
    multi_label = True
    metric = "micro_f1"
    headline = ("accuracy", "macro_f1", "micro_f1")
    averages = ("micro", "macro", "weighted")
    problem_type = "multi_label_classification"
    sizes_key = "log_data_sizes_multi"
    layout = "yes"
    drops_rows = False
    eval_unknown_key = "eval_unknown_labels"
    tfidf_learns_validation = False
    weight_by_log_loss = False

    def clean(self, table, text, label_columns, delimiter, source, warnings):
        from ..data.clean import clean_multilabel_frame

        return clean_multilabel_frame(table, text, label_columns, delimiter, source, warnings)

    bad_decision_key = "issues_bad_decision_multi"
    baseline_method = "TF-IDF (word 1-2 + char 1-3 grams) + one logistic regression per label"

    def names_used(self, label_names):
        return {n for row in label_names for n in row}

    def parse_labels(self, text):
        return tuple(sorted({p.strip() for p in text.split("|") if p.strip()}))

    def fit_logistic(self, features, targets, n_out, C, seed, max_iter):
        from sklearn.linear_model import LogisticRegression

        coef = np.zeros((n_out, features.shape[1]), dtype=np.float32)
        intercept = np.zeros(n_out, dtype=np.float32)
        targets = np.asarray(targets)
        for j in range(n_out):
            column = targets[:, j].astype(int)
            if column.min() == column.max():  # no positive (or no negative) example: a constant answer
                intercept[j] = 30.0 if column[0] else -30.0
                continue
            model = LogisticRegression(max_iter=max_iter, C=C, random_state=seed).fit(features, column)
            coef[j], intercept[j] = model.coef_[0], model.intercept_[0]
        return coef, intercept

    def rank_label_issues(self, labels, probs):
        from cleanlab.multilabel_classification.filter import find_label_issues
        from cleanlab.multilabel_classification.rank import get_label_quality_scores

        lists = [list(map(int, row)) for row in labels]
        found = find_label_issues(lists, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
        return np.asarray(found, dtype=int), get_label_quality_scores(lists, probs)

    def suggestion(self, probs_row, names):
        return "|".join(names[j] for j in np.flatnonzero(probs_row >= 0.5))

    def label_occurrences(self, label_names):
        return [n for row in label_names for n in row]

    def to_ids(self, label_names, label2id):
        return label_names.map(lambda row: [label2id[n] for n in row])

    def keep_known(self, side, names):
        known = set(names)
        unknown = sorted(self.names_used(side["label_name"]) - known)
        side = side.copy()
        affected = int(side["label_name"].map(lambda row: any(n not in known for n in row)).sum())
        side["label_name"] = side["label_name"].map(lambda row: tuple(n for n in row if n in known))
        return side, unknown, affected

    def unseen_warning(self, role, unknown, affected):
        return say("data_unseen_labels_multi", role=say(f"role_{role}"), labels=", ".join(map(repr, unknown[:10])))

    def stratify_keys(self, labels, n_labels):
        from ..data.split import _rarest_label_keys

        return _rarest_label_keys(labels, n_labels)

    def check_balance(self, balance):
        from ..errors import DataError

        if balance:
            raise DataError(say("data_balance_multi"))

    def class_counts(self, label_names, names):
        counts = pd.Series(Counter(n for row in label_names for n in row)).reindex(names).fillna(0)
        counts = counts.astype(int).sort_values(ascending=False)
        return counts[counts > 0]

    def label_stats(self, label_names):
        per_row = label_names.map(len)
        return {"labels_per_text": {"mean": round(float(per_row.mean()), 3), "max": int(per_row.max()),
                                    "none": int((per_row == 0).sum())}}

    def _columns_of(self, value):
        return list(value)

    def targets(self, labels, n_labels):
        return self.label_matrix(labels, n_labels).astype(int)

    def model_targets(self, labels, n_labels):
        return self.label_matrix(labels, n_labels).tolist()

    def label_text(self, value, names):
        return "|".join(names[i] for i in value)

    def probabilities(self, logits):
        from ..metrics import sigmoid

        return sigmoid(logits)

    def scaled(self, probs, temperature):
        from ..metrics import sigmoid

        probs = np.clip(probs, 1e-7, 1 - 1e-7)
        return sigmoid(np.log(probs / (1 - probs)) / temperature)

    def loss(self, logits, labels, weight, label_smoothing):
        import torch.nn.functional as F

        targets = labels.float()
        if label_smoothing:
            targets = targets * (1 - label_smoothing) + 0.5 * label_smoothing
        return F.binary_cross_entropy_with_logits(logits.float(), targets, pos_weight=weight)

    def loss_weights(self, train_labels, n_labels, cap: float = 50.0):
        """negatives / positives per label, so a rare label's few positives count as much as its many negatives
        (capped: a label with 2 positives in 5,000 texts would otherwise dominate the loss)."""
        import torch

        matrix = self.label_matrix(train_labels, n_labels)
        positives = matrix.sum(0)
        negatives = len(matrix) - positives
        return torch.tensor(np.clip(negatives / np.maximum(positives, 1), 1.0, cap), dtype=torch.float32)

    def eval_metrics(self, threshold):
        """Validation metrics at the decision the run will use: thresholds tuned per label on these very
        probabilities (or the fixed `threshold`). At a fixed 0.5 an early model predicts no label at all and every
        F1 is 0 until late, so model selection and early stopping had nothing to go by."""
        from ..metrics import multilabel_eval_metrics

        def compute(eval_pred) -> dict[str, float]:
            logits, labels = eval_pred
            logits = logits[0] if isinstance(logits, tuple) else logits
            gold = np.asarray(labels).astype(int)
            probs = self.probabilities(np.asarray(logits, dtype=np.float64))
            return multilabel_eval_metrics(gold, self.decide(probs, self.thresholds(gold, probs, threshold)))

        return compute

    def decide(self, probs, thresholds, binary_decision=None):
        limits = np.broadcast_to(np.asarray(thresholds, dtype=np.float32), probs.shape[-1:])
        return (probs >= limits).astype(int)

    def thresholds(self, gold, probs, fixed):
        from ..metrics import tune_thresholds

        return [float(fixed)] * probs.shape[1] if fixed is not None else tune_thresholds(gold, probs)

    def initial_thresholds(self, fixed, n_labels):
        return [fixed or 0.5] * n_labels

    def score(self, gold, predicted, names):
        from ..metrics import multilabel_metrics

        return multilabel_metrics(gold, predicted, names)

    def validation_score(self, gold, predicted):
        from sklearn.metrics import f1_score

        return float(f1_score(gold.astype(int), predicted, average="micro", zero_division=0))

    def log_loss(self, gold, probs):
        probs = np.clip(probs, 1e-7, 1 - 1e-7)
        return float(-np.mean(gold * np.log(probs) + (1 - gold) * np.log(1 - probs)))

    def correct(self, gold, predicted):
        return (gold == predicted).all(1)

    def add_test_details(self, metrics, gold, probs, names, train_targets, thresholds):
        metrics["thresholds"] = dict(zip(names, thresholds))

    def add_evaluation_details(self, result, names, thresholds):
        result["thresholds"] = dict(zip(names, thresholds))

    def test_event(self, metrics):
        baseline = metrics.get("baseline") or {}
        return {**super().test_event(metrics), "micro_f1": metrics["micro_f1"],
                "baseline_micro_f1": baseline.get("micro_f1")}

    def summary_line(self, metrics):
        baseline = metrics.get("baseline") or {}
        extra = say("test_summary_multi_baseline", micro_f1=baseline["micro_f1"]) if baseline else say("empty")
        return say("test_summary_multi", micro_f1=metrics["micro_f1"], macro_f1=metrics["macro_f1"],
                   subset_accuracy=metrics["subset_accuracy"], baseline=extra, seconds=metrics["total_seconds"])

    def report_lines(self, metrics):
        lines = [f"Test micro-F1 {metrics['micro_f1']:.4f}   macro-F1 {metrics['macro_f1']:.4f}   subset accuracy "
                 f"{metrics['subset_accuracy']:.4f}   Hamming loss {metrics['hamming_loss']:.4f}   "
                 f"({metrics['samples']} texts, multi-label)"]
        baseline = metrics.get("baseline")
        if baseline:
            lines.append(f"TF-IDF baseline: micro-F1 {baseline['micro_f1']:.4f}   macro-F1 {baseline['macro_f1']:.4f}"
                         f"   subset accuracy {baseline['subset_accuracy']:.4f}")
        return lines

    def prediction(self, probs_row, decided_row, names):
        chosen = [names[j] for j in np.flatnonzero(decided_row)]
        return "|".join(chosen), float(probs_row.max()), chosen
