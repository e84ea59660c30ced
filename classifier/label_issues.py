"""Likely label errors in the training data: which texts' given labels a model trained without them disagrees with.

The way (confident learning, Northcutt et al. 2021, through the `cleanlab` package):
  1. out-of-fold probabilities: the labelled texts are cut into k folds (stratified by label; k=5 by default) and
     each fold is scored by a model trained on the other k-1, so no text is scored by a model that saw its label;
  2. the model is fast on purpose: the frozen bundled backbone's sentence vectors (mean pooling, as the `head`
     strategy computes them), computed ONCE for every text, then one logistic regression per fold; or with
     `method="tfidf"` the TF-IDF model of classifier/tfidf.py, fitted per fold;
  3. cleanlab's `find_label_issues` (single-label; its multi-label module for multi-label data) keeps the texts
     whose given label is likely wrong, ranked by self-confidence: the out-of-fold probability of the given label
     (for multi-label data cleanlab's per-label score), lowest first. The suggestion is the model's own answer.
     Single-label: of those, only texts whose score is below UNLIKELY_SHARE / classes are kept (`max_score`).

The file is read as `train` reads it (classifier.data: encodings, columns, labels, empty rows, duplicates). A text
that occurs in several rows is scored once; its `row` is the first of them, and a correction applies to all.
`row` numbers the table's data rows from 1 (the first row under the header), as the file was read.

`apply_corrections` writes a NEW file with relabelled rows changed and dropped rows removed; the original is never
written to.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError
from .messages import say
from .task import Task, task_for

METHODS = ("features", "tfidf", "both")  # both: the mean of the two models' probabilities
DEFAULT_METHOD = "both"  # the most precise on planted flips in SMS and THUCNews (docs/results.md)
DEFAULT_FOLDS = 5
FEATURE_MAX_LENGTH = 128  # tokens read of each text for its sentence vector: enough to judge a label, and 4x
# cheaper than 512 on a CPU; the long tail of a document rarely decides what it is about
FEATURE_BATCH = 64
UNLIKELY_SHARE = 0.2  # single-label: a text is flagged only when the model gives its label under a fifth of the
# chance of a uniform guess (0.02 of 10 classes, 0.1 of 2): cleanlab's own cut reads the model's honest confusions
# between close classes (THUCNews' 股票 and 财经) as noise and flagged 3x too many (docs/results.md)
COLUMNS = ("row", "text", "given_label", "suggested_label", "score")
KEEP, DROP = "keep", "drop"


@dataclass
class LabelIssue:
    row: int  # first data row (1-based) holding the text
    text: str
    given_label: str
    suggested_label: str
    score: float  # label quality: the out-of-fold probability of the given label (lower = more likely wrong)
    rows: list[int] = field(default_factory=list)  # every data row (1-based) with this text


@dataclass
class LabelIssueReport:
    issues: list[LabelIssue]  # most suspicious first
    rows_checked: int  # distinct labelled texts scored
    labels: list[str]
    multi_label: bool
    method: str
    model: str | None
    folds: int
    seconds: float
    text_column: str
    label_columns: list[str]
    warnings: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{k: getattr(issue, k) for k in COLUMNS} for issue in self.issues], columns=COLUMNS)

    def write_csv(self, path: str | Path) -> Path:
        from .security import spreadsheet_safe

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        spreadsheet_safe(self.to_frame()).to_csv(path, index=False, encoding="utf-8")
        return path


# ----------------------------------------------------------------------------------------------------------------
# Reading: the file as train reads it, with each distinct text's rows
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class LabelledTexts:
    table: pd.DataFrame  # the file as read
    text_column: str
    label_columns: list[str]
    multi_label: bool
    delimiter: str
    names: list[str]  # the label space
    texts: list[str]  # one per distinct text
    labels: list  # class id, or a list of ids (multi-label)
    rows: list[list[int]]  # 0-based table positions of each text
    warnings: list[str]


def read_labelled(path: str | Path, text_column: str | None = None, label_column: str | None = None,
                  multi_label: str = "auto", delimiter: str = "|", max_rows: int | None = None) -> LabelledTexts:
    """The distinct labelled texts of a file, cleaned as `prepare_data` cleans them (DataError when unusable);
    `max_rows`: refuse a file with more distinct texts (the web app's bound)."""
    from .data import (
        _dedupe,
        _sort_labels,
        _text_values,
        read_table,
        resolve_label_layout,
    )
    from .datasources import resolve_sources

    path = resolve_sources(str(path)).data
    name = Path(path).name
    warnings: list[str] = []
    table = read_table(path).reset_index(drop=True)
    multi, text_col, label_cols = resolve_label_layout(table, text_column, label_column, None, multi_label,
                                                       delimiter, name, warnings)
    task = task_for(multi)
    cleaned = _dedupe(task.clean(table, text_col, label_cols, delimiter, name, warnings), name, warnings)
    if cleaned.empty:
        raise DataError(say("data_no_labelled_rows", name=name, text_column=text_col,
                            label_columns=", ".join(label_cols)))
    if max_rows and len(cleaned) > max_rows:
        raise DataError(say("issues_too_many_rows", name=name, n=len(cleaned), limit=max_rows))
    names = _sort_labels(task.names_used(cleaned["label_name"]))
    if len(names) < 2:
        raise DataError(say("issues_single_class", name=name, only=names[0]) if names
                        else say("issues_no_class", name=name))
    to_id = {n: i for i, n in enumerate(names)}
    positions: dict[str, list[int]] = {}
    for position, text in enumerate(_text_values(table[text_col])):
        positions.setdefault(text, []).append(position)
    labels = [sorted(ids) if isinstance(ids, list) else int(ids) for ids in task.to_ids(cleaned["label_name"], to_id)]
    texts = cleaned["text"].tolist()
    return LabelledTexts(table=table, text_column=text_col, label_columns=label_cols, multi_label=multi,
                         delimiter=delimiter, names=names, texts=texts, labels=labels,
                         rows=[positions.get(text, []) for text in texts], warnings=warnings)


# ----------------------------------------------------------------------------------------------------------------
# Out-of-fold probabilities
# ----------------------------------------------------------------------------------------------------------------
def sentence_features(texts: list[str], model: str = "auto", max_length: int = FEATURE_MAX_LENGTH,
                      progress: Callable[[float], None] | None = None) -> tuple[np.ndarray, str]:
    """(texts x hidden) mean-pooled vectors of the frozen backbone, and the model's display name. The same
    vectors the `head` strategy trains its head on (modeling.pooled_features on a mean-pooling model)."""
    import torch

    from .backbones import default_model_for, resolve_model
    from .data import language_hint
    from .modeling import load_model, load_tokenizer, pooled_features
    from .security import clip_text

    if model in ("", "auto", None):
        model = default_model_for(language_hint(texts))
    path, shown = resolve_model(model)
    tokenizer = load_tokenizer(path)
    loaded = load_model(path, {0: "a", 1: "b"}, tokenizer, pooling="mean")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    loaded.model.to(device)
    length = min(max_length, loaded.model_limit)
    clipped = [clip_text(t, length) for t in texts]
    order = np.argsort([len(t) for t in clipped], kind="stable")  # similar lengths batch together
    out = np.zeros((len(texts), 0), dtype=np.float32)
    parts = []
    with torch.inference_mode():
        for start in range(0, len(order), FEATURE_BATCH):
            batch = [clipped[i] for i in order[start:start + FEATURE_BATCH]]
            encoded = tokenizer(batch, truncation=True, max_length=length, padding=True, return_tensors="pt")
            parts.append(pooled_features(loaded.model, loaded.head, [{k: v.to(device) for k, v in
                                                                     encoded.items()}]).numpy())
            if progress:
                progress(min(1.0, (start + len(batch)) / len(order)))
    if parts:
        sorted_feats = np.concatenate(parts)
        out = np.empty_like(sorted_feats)
        out[order] = sorted_feats
    return out, shown


def fold_ids(labels: list, n_labels: int, folds: int, task: Task, seed: int = 42) -> np.ndarray:
    """The fold of each text: stratified by class (by each text's rarest label for multi-label data)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    n = len(labels)
    if n < folds:
        raise DataError(say("issues_too_few_for_folds", n=n, folds=folds))
    keys = task.stratify_keys(pd.Series(labels), n_labels)
    counts = np.bincount(keys)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed) if counts[counts > 0].min() >= folds \
        else KFold(folds, shuffle=True, random_state=seed)  # a class smaller than k cannot be in every fold
    out = np.zeros(n, dtype=int)
    for k, (_, held) in enumerate(splitter.split(np.zeros(n), keys)):
        out[held] = k
    return out


def _logistic_probs(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, n_labels: int,
                    task: Task, seed: int) -> np.ndarray:
    """Standardised features + logistic regression: softmax over classes, or one sigmoid per label."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train_x)
    train_x, test_x = scaler.transform(train_x), scaler.transform(test_x)
    coef, intercept = task.fit_logistic(train_x, train_y, n_labels, C=0.5, seed=seed, max_iter=1000)
    return task.probabilities(test_x @ coef.T.astype(np.float64) + intercept)


def out_of_fold_probs(data: LabelledTexts, method: str = DEFAULT_METHOD, model: str = "auto",
                      folds: int = DEFAULT_FOLDS, seed: int = 42,
                      progress: Callable[[float, str], None] | None = None) -> tuple[np.ndarray, str | None]:
    """(texts x labels) probabilities, each text's from the model of the folds it was not in; the model name."""
    if method not in METHODS:
        raise DataError(say("issues_bad_method", method=method, choices=", ".join(METHODS)))
    if folds < 2:
        raise DataError(say("issues_few_folds", folds=folds))
    report = progress or (lambda _f, _s: None)
    n_labels = len(data.names)
    task = task_for(data.multi_label)
    targets = task.targets(pd.Series(data.labels), n_labels)
    fold = fold_ids(data.labels, n_labels, folds, task, seed)
    probs = np.zeros((len(data.texts), n_labels), dtype=np.float64)
    shown = None
    vectors = method in ("features", "both")
    if vectors:
        report(0.0, "features")
        feats, shown = sentence_features(data.texts, model, progress=lambda f: report(0.7 * f, "features"))
    texts = np.asarray(data.texts, dtype=object)
    for k in range(folds):
        held, kept = fold == k, fold != k
        parts = []
        if vectors:
            parts.append(_logistic_probs(feats[kept], targets[kept], feats[held], n_labels, task, seed))
        if method in ("tfidf", "both"):
            from .tfidf import TfidfModel

            fitted = TfidfModel(data.names, data.multi_label).fit(list(texts[kept]), targets[kept], seed=seed)
            parts.append(fitted.predict_proba(list(texts[held])))
        probs[held] = np.mean(parts, axis=0)
        start = 0.7 if vectors else 0.0
        report(start + (1 - start) * (k + 1) / folds, "folds")
    return probs, shown


# ----------------------------------------------------------------------------------------------------------------
# Ranking
# ----------------------------------------------------------------------------------------------------------------
def find_label_issues(data: LabelledTexts, method: str = DEFAULT_METHOD, model: str = "auto",
                      folds: int = DEFAULT_FOLDS, seed: int = 42, max_score: float | None = None,
                      progress: Callable[[float, str], None] | None = None) -> LabelIssueReport:
    """The texts of `data` whose given label is most likely wrong, most suspicious first. `max_score`: keep only
    those scored below it (default for single-label data UNLIKELY_SHARE / classes; 1 keeps all cleanlab found)."""
    start = time.perf_counter()
    probs, shown = out_of_fold_probs(data, method, model, folds, seed, progress)
    task = task_for(data.multi_label)
    found, scores = task.rank_label_issues(data.labels, probs)
    if max_score is None:
        max_score = task.label_issue_cut(UNLIKELY_SHARE, len(data.names))
    if max_score is not None:
        found = found[scores[found] < max_score]
    issues = []
    for i in found:
        given, suggested = task.label_text(data.labels[i], data.names), task.suggestion(probs[i], data.names)
        rows = [p + 1 for p in data.rows[i]]
        issues.append(LabelIssue(row=rows[0] if rows else 0, text=data.texts[i], given_label=given,
                                 suggested_label=suggested, score=round(float(scores[i]), 4), rows=rows))
    return LabelIssueReport(issues=issues, rows_checked=len(data.texts), labels=data.names,
                            multi_label=data.multi_label, method=method, model=shown, folds=folds,
                            seconds=round(time.perf_counter() - start, 1), text_column=data.text_column,
                            label_columns=data.label_columns, warnings=data.warnings)


def label_issues_of_file(path: str | Path, text_column: str | None = None, label_column: str | None = None,
                         method: str = DEFAULT_METHOD, model: str = "auto", folds: int = DEFAULT_FOLDS, seed: int = 42,
                         max_rows: int | None = None, max_score: float | None = None) -> LabelIssueReport:
    """read_labelled + find_label_issues: what the CLI and the Data tab's worker process call."""
    data = read_labelled(path, text_column, label_column, max_rows=max_rows)
    return find_label_issues(data, method, model, folds, seed, max_score)


# ----------------------------------------------------------------------------------------------------------------
# Corrections: a new file
# ----------------------------------------------------------------------------------------------------------------
def parse_decision(value: object, names: list[str], task: Task, row: int) -> str | tuple[str, ...]:
    """`keep` (or empty), `drop`, or a label (`a|b` for several): the label(s) as a tuple. DataError otherwise."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()
    if text.lower() in ("", KEEP):
        return KEEP
    if text.lower() == DROP:
        return DROP
    parts = task.parse_labels(text)
    unknown = [p for p in parts if p not in names]
    if unknown or not parts:
        classes = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        raise DataError(say(task.bad_decision_key, row=row, text=text, classes=classes))
    return parts


def apply_corrections(path: str | Path, decisions: dict[int, object], output: str | Path,
                      text_column: str | None = None, label_column: str | None = None) -> tuple[Path, dict]:
    """Write the file at `path` to `output` (a CSV; never the same file) with `decisions` applied: data row
    (1-based) -> keep / drop / label(s). Every row holding that row's text gets the same decision (train reads the
    text once). Returns the new file and counts {"relabelled", "dropped", "rows"}."""
    source, output = Path(path), Path(output)
    if output.resolve() == source.resolve():
        raise DataError(say("issues_same_file"))
    data = read_labelled(source, text_column, label_column)
    table = data.table.copy()
    by_row = {p + 1: rows for rows in data.rows for p in rows}
    drop: set[int] = set()
    relabelled = 0
    for row, value in decisions.items():
        decision = parse_decision(value, data.names, task_for(data.multi_label), int(row))
        if decision == KEEP:
            continue
        positions = by_row.get(int(row))
        if positions is None:
            raise DataError(say("issues_not_a_row", row=row, name=source.name))
        if decision == DROP:
            drop.update(positions)
            continue
        relabelled += len(positions)
        for p in positions:
            _set_label(table, p, decision, data)
    table = table.drop(index=sorted(drop)).reset_index(drop=True)
    for column in data.label_columns:  # list cells (JSON lines) as JSON text, which the reader parses back
        table[column] = table[column].map(lambda v: json.dumps(list(v), ensure_ascii=False)
                                          if isinstance(v, (list, tuple, np.ndarray)) else v)
    output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(output, index=False, encoding="utf-8")
    return output, {"relabelled": relabelled, "dropped": len(drop), "rows": len(table)}


def _set_label(table: pd.DataFrame, position: int, labels: tuple[str, ...], data: LabelledTexts) -> None:
    if len(data.label_columns) > 1:  # one 0/1 column per label
        for column in data.label_columns:
            table.at[position, column] = 1 if str(column) in labels else 0
        return
    column = data.label_columns[0]
    if table[column].dtype != object:
        table[column] = table[column].astype(object)
    table.at[position, column] = data.delimiter.join(labels)  # one label, or several joined
