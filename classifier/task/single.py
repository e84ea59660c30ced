"""Single-label classification: one class a text; softmax, cross-entropy, argmax, macro-F1."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..messages import say
from .base import Task


class SingleLabel(Task):
    multi_label = False
    metric = "macro_f1"
    headline = ("accuracy", "macro_f1")
    averages = ("macro", "weighted")
    problem_type = "single_label_classification"
    sizes_key = "log_data_sizes"
    layout = "no"
    drops_rows = True
    eval_unknown_key = "eval_unknown_rows"
    tfidf_learns_validation = True
    weight_by_log_loss = True

    def clean(self, table, text, label_columns, delimiter, source, warnings):
        from ..data.clean import clean_frame

        return clean_frame(table, text, label_columns[0], source, warnings)

    bad_decision_key = "issues_bad_decision"
    baseline_method = "TF-IDF (word 1-2 + char 1-3 grams) + logistic regression"

    def names_used(self, label_names):
        return set(label_names)

    def parse_labels(self, text):
        return (text,)

    def fit_logistic(self, features, targets, n_out, C, seed, max_iter):
        from sklearn.linear_model import LogisticRegression

        coef = np.zeros((n_out, features.shape[1]), dtype=np.float32)
        intercept = np.full(n_out, -30.0, dtype=np.float32)  # classes absent from the training data
        targets = np.asarray(targets).astype(int)
        present = np.unique(targets)
        if len(present) < 2:
            intercept[int(present[0])] = 30.0
            return coef, intercept
        model = LogisticRegression(max_iter=max_iter, C=C, random_state=seed).fit(features, targets)
        rows = model.coef_, model.intercept_
        if len(present) == 2:  # binary: one row for the second class; softmax of (-z/2, z/2) = sigmoid(z)
            rows = np.vstack([-model.coef_[0] / 2, model.coef_[0] / 2]), \
                np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2])
        for k, cls in enumerate(model.classes_):
            coef[int(cls)], intercept[int(cls)] = rows[0][k], rows[1][k]
        return coef, intercept

    def rank_label_issues(self, labels, probs):
        from cleanlab.filter import find_label_issues
        from cleanlab.rank import get_label_quality_scores

        given = np.asarray(labels, dtype=int)
        # n_jobs=1: the web app runs this in a daemonic worker process, which may not start processes of its own
        found = find_label_issues(given, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
        return np.asarray(found, dtype=int), get_label_quality_scores(given, probs, method="self_confidence")

    def suggestion(self, probs_row, names):
        return names[int(np.argmax(probs_row))]

    def label_issue_cut(self, share, n_labels):
        return share / n_labels

    def label_occurrences(self, label_names):
        return label_names.tolist()

    def to_ids(self, label_names, label2id):
        return label_names.map(label2id).astype(int)

    def keep_known(self, side, names):
        unknown = sorted(set(side["label_name"]) - set(names))
        affected = int(side["label_name"].isin(unknown).sum())
        return side[~side["label_name"].isin(unknown)].reset_index(drop=True), unknown, affected

    def unseen_warning(self, role, unknown, affected):
        return say("data_unseen_labels", role=say(f"role_{role}"), labels=", ".join(map(repr, unknown[:10])),
                   n=affected)

    def stratify_keys(self, labels, n_labels):
        return labels.to_numpy()

    def check_balance(self, balance):
        return None

    def class_counts(self, label_names, names):
        return label_names.value_counts()

    def _columns_of(self, value):
        return int(value)

    def targets(self, labels, n_labels):
        return np.asarray(labels).astype(int)

    def model_targets(self, labels, n_labels):
        return pd.Series(labels).astype(int).tolist()

    def label_text(self, value, names):
        return names[int(value)]

    def probabilities(self, logits):
        from ..metrics import softmax

        return softmax(logits)

    def scaled(self, probs, temperature):
        from ..metrics import softmax

        return softmax(np.log(np.clip(probs, 1e-12, 1.0)) / temperature)

    def loss(self, logits, labels, weight, label_smoothing):
        import torch.nn.functional as F

        return F.cross_entropy(logits.float(), labels, weight=weight, label_smoothing=label_smoothing)

    def loss_weights(self, train_labels, n_labels):
        import torch

        labels = np.asarray(train_labels).astype(int)
        counts = np.bincount(labels, minlength=n_labels).astype(np.float64)
        counts[counts == 0] = 1.0
        return torch.tensor(len(labels) / (n_labels * counts), dtype=torch.float32)

    def eval_metrics(self, threshold):
        from ..metrics import eval_metrics

        def compute(eval_pred) -> dict[str, float]:
            logits, labels = eval_pred
            logits = logits[0] if isinstance(logits, tuple) else logits
            return eval_metrics(labels, np.asarray(logits).argmax(-1))

        return compute

    def decide(self, probs, thresholds, binary_decision=None):
        from ..binary import decide

        return decide(probs, binary_decision)

    def score(self, gold, predicted, names):
        from ..metrics import classification_metrics

        return classification_metrics(gold, predicted, names)

    def validation_score(self, gold, predicted):
        from sklearn.metrics import f1_score

        return float(f1_score(gold, predicted, average="macro", zero_division=0))

    def log_loss(self, gold, probs):
        probs = np.clip(probs, 1e-7, 1 - 1e-7)
        return float(-np.mean(np.log(probs[np.arange(len(gold)), gold])))

    def correct(self, gold, predicted):
        return gold == predicted

    def add_test_details(self, metrics, gold, probs, names, train_targets, thresholds):
        from ..binary import binary_report, one_vs_rest_auc, positive_class

        if len(names) == 2:
            metrics["binary"] = binary_report(gold, probs, names, positive_class(train_targets), 0.5)
        else:
            metrics["roc_auc_per_class"] = one_vs_rest_auc(gold, probs, names)

    def summary_line(self, metrics):
        baseline = metrics.get("baseline") or {}
        extra = (say("test_summary_baseline", accuracy=baseline["accuracy"], macro_f1=baseline["macro_f1"])
                 if baseline else say("empty"))
        return say("test_summary", accuracy=metrics["accuracy"], macro_f1=metrics["macro_f1"], baseline=extra,
                   seconds=metrics["total_seconds"])

    def report_lines(self, metrics):
        lines = [f"Test accuracy {metrics['accuracy']:.4f}   macro-F1 {metrics['macro_f1']:.4f}   "
                 f"weighted-F1 {metrics['weighted_f1']:.4f}   ({metrics['samples']} texts)"]
        baseline = metrics.get("baseline")
        if baseline:
            lines.append(f"TF-IDF baseline: accuracy {baseline['accuracy']:.4f}   macro-F1 {baseline['macro_f1']:.4f}")
        return lines

    def prediction(self, probs_row, decided_row, names):
        best = int(decided_row)
        return names[best], float(probs_row[best]), [names[best]]
