"""The interface every task type implements (classifier/task/__init__.py says what a task is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


class Task:
    multi_label: bool
    metric: str  # the headline metric: what the ensemble weight and the advice go by
    headline: tuple[str, ...]  # the test metrics reported for the model alone, the baseline and the mix
    averages: tuple[str, ...]  # the averaged F1 rows of the report
    problem_type: str  # transformers' config.problem_type (pipeline() applies softmax or a sigmoid by it)
    sizes_key: str  # the training log's line with the split sizes
    layout: str  # how a labelled file is read for this task: resolve_label_layout's multi_label ("yes" / "no")
    drops_rows: bool  # keep_known leaves out a row with an unknown label (True) or only that label (False)
    eval_unknown_key: str  # the warning for labels a run does not know in a file it is evaluated on
    tfidf_learns_validation: bool  # the answering TF-IDF model is fitted again on train + validation once the
    # ensemble weight is chosen (single-label; multi-label thresholds were tuned for the training split's model)
    weight_by_log_loss: bool  # the ensemble weight is the one whose mix of temperature-scaled probabilities has the
    # lowest validation log-loss (single-label); else the best headline metric at tuned thresholds (multi-label)

    # -- data -------------------------------------------------------------------------------------------------------
    def clean(self, table: pd.DataFrame, text: str, label_columns: list[str], delimiter: str, source: str,
              warnings: list[str]) -> pd.DataFrame:
        """Rows with `text` and `label_name` (a name, or a tuple of names)."""
        raise NotImplementedError

    def names_used(self, label_names: pd.Series) -> set[str]:
        raise NotImplementedError

    def label_occurrences(self, label_names: pd.Series) -> list[str]:
        """Every label of every row, in row order (what the class counts of a file are made of)."""
        raise NotImplementedError

    def to_ids(self, label_names: pd.Series, label2id: dict[str, int]) -> pd.Series:
        raise NotImplementedError

    def keep_known(self, side: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, list[str], int]:
        """A labelled file's rows restricted to the labels `names`: (rows, the unknown labels, rows affected)."""
        raise NotImplementedError

    def unseen_warning(self, role: str, unknown: list[str], affected: int) -> str:
        raise NotImplementedError

    def stratify_keys(self, labels: pd.Series, n_labels: int) -> np.ndarray:
        """One key per row for stratified splitting and subsampling."""
        raise NotImplementedError

    def check_balance(self, balance: bool) -> None:
        """Downsampling every class to the smallest: refused where it has no meaning."""

    def class_counts(self, label_names: pd.Series, names: list[str]) -> pd.Series:
        """Rows per label name, most common first."""
        raise NotImplementedError

    def label_stats(self, label_names: pd.Series) -> dict[str, Any]:
        """What the Data tab shows beside the class counts."""
        return {}

    def label_matrix(self, labels: pd.Series | list, n_labels: int) -> np.ndarray:
        """One-hot (single-label) or multi-hot (multi-label) rows, float32."""
        out = np.zeros((len(labels), n_labels), dtype=np.float32)
        for row, value in enumerate(labels):
            out[row, self._columns_of(value)] = 1.0
        return out

    def _columns_of(self, value) -> Any:
        raise NotImplementedError

    def targets(self, labels: pd.Series, n_labels: int) -> np.ndarray:
        """Gold labels as the metrics read them: class ids, or a texts x labels 0/1 matrix."""
        raise NotImplementedError

    def model_targets(self, labels: pd.Series, n_labels: int) -> list:
        """The `labels` column of the tokenized datasets: ids, or float rows for binary cross-entropy."""
        raise NotImplementedError

    def label_text(self, value, names: list[str]) -> str:
        """A row's label as the user reads it: `spam`, or `体育|财经` for several."""
        raise NotImplementedError

    def parse_labels(self, text: str) -> tuple[str, ...]:
        """Labels a person typed (a correction in the label-error table): one label, or `a|b` for several."""
        raise NotImplementedError

    bad_decision_key: str  # the error for a typed correction that names no known label

    # -- model ------------------------------------------------------------------------------------------------------
    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def scaled(self, probs: np.ndarray, temperature: float) -> np.ndarray:
        """`probs` with their logits divided by `temperature` (below 1 sharper, above 1 flatter)."""
        raise NotImplementedError

    def loss(self, logits, labels, weight, label_smoothing: float):
        raise NotImplementedError

    def loss_weights(self, train_labels: pd.Series, n_labels: int):
        """`class_weights="balanced"`: a weight per class, or a `pos_weight` per label (torch tensor)."""
        raise NotImplementedError

    def eval_metrics(self, threshold: float | None) -> Callable:
        """Trainer's `compute_metrics` for the validation split."""
        raise NotImplementedError

    baseline_method: str  # how the TF-IDF baseline decides, in words

    def fit_logistic(self, features, targets: np.ndarray, n_out: int, C: float, seed: int, max_iter: int
                     ) -> tuple[np.ndarray, np.ndarray]:
        """A linear classifier on `features` (the TF-IDF baseline, the label-error check): (coef, intercept), whose
        `probabilities(features @ coef.T + intercept)` are what logistic regression predicts. Classes or labels
        without examples get a constant answer (a very low or very high score)."""
        raise NotImplementedError

    def rank_label_issues(self, labels: list, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """cleanlab: (indices of the likely label errors, most suspicious first; every text's label quality)."""
        raise NotImplementedError

    def suggestion(self, probs_row: np.ndarray, names: list[str]) -> str:
        """What the model would label a text with, as the label-error table shows it."""
        raise NotImplementedError

    def label_issue_cut(self, share: float, n_labels: int) -> float | None:
        """The label-quality score below which a text cleanlab found is flagged (single-label: `share` of a uniform
        guess's chance); None keeps all it found (multi-label scores are not such probabilities)."""
        return None

    # -- decisions and metrics --------------------------------------------------------------------------------------
    def decide(self, probs: np.ndarray, thresholds: list[float] | None, binary_decision: dict | None = None
               ) -> np.ndarray:
        """Class ids (argmax, or a two-class run's saved decision threshold) or a texts x labels 0/1 matrix."""
        raise NotImplementedError

    def thresholds(self, gold: np.ndarray, probs: np.ndarray, fixed: float | None) -> list[float] | None:
        """Per-label thresholds for these probabilities (tuned on `gold`, or `fixed`); None where argmax decides."""
        return None

    def initial_thresholds(self, fixed: float | None, n_labels: int) -> list[float] | None:
        """What a model saved during training decides with until validation tunes it."""
        return None

    def score(self, gold: np.ndarray, predicted: np.ndarray, names: list[str]) -> dict[str, Any]:
        raise NotImplementedError

    def validation_score(self, gold: np.ndarray, predicted: np.ndarray) -> float:
        """The headline metric alone (the ensemble's choice)."""
        raise NotImplementedError

    def log_loss(self, gold: np.ndarray, probs: np.ndarray) -> float:
        raise NotImplementedError

    def correct(self, gold: np.ndarray, predicted: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def add_test_details(self, metrics: dict[str, Any], gold: np.ndarray, probs: np.ndarray, names: list[str],
                         train_targets: np.ndarray, thresholds: list[float]) -> None:
        """What the Evaluate tab shows beyond the metrics: ROC/PR (single-label) or the thresholds (multi-label)."""

    def add_evaluation_details(self, result: dict[str, Any], names: list[str], thresholds: list[float]) -> None:
        """What `evaluate` reports beyond the metrics (multi-label: the thresholds it decided with)."""

    def test_event(self, metrics: dict[str, Any]) -> dict[str, Any]:
        baseline = metrics.get("baseline") or {}
        return {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
                "baseline_accuracy": baseline.get("accuracy"), "baseline_macro_f1": baseline.get("macro_f1")}

    def summary_line(self, metrics: dict[str, Any]) -> str:
        raise NotImplementedError

    def report_lines(self, metrics: dict[str, Any]) -> list[str]:
        """The terminal report's headline and baseline lines."""
        raise NotImplementedError

    def prediction(self, probs_row: np.ndarray, decided_row, names: list[str]) -> tuple[str, float, list[str]]:
        """(label as shown, score, labels) of one text."""
        raise NotImplementedError
