"""The whole way of a training file: read, choose columns, clean, map labels to ids, split, and say what happened.

`prepare_data` is the one entry point (training, the Data tab, bench); every problem is either fixed and reported
in `PreparedData.warnings` (plain sentences) or raised as DataError.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..messages import say
from ..task import Task, task_for
from .clean import _dedupe
from .columns import detect_columns, resolve_label_layout
from .labels import LabelSpace, _sort_labels, _warn_near_duplicate_labels
from .readers import read_table
from .split import _downsample, _subsample, stratified_split


@dataclass
class PreparedData:
    """Splits with columns `text` and `label` (an id into `labels.names`), plus what happened on the way."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    labels: LabelSpace
    text_column: str
    label_column: str
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    multi_label: bool = False
    """When True, `label` holds a list of ids per row (possibly empty): a text may carry several labels."""

    @property
    def task(self) -> Task:
        return task_for(self.multi_label)

    def label_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Multi-hot rows (texts x labels) of a split; one-hot for single-label data."""
        return self.task.label_matrix(frame["label"], len(self.labels))

    def targets(self, frame: pd.DataFrame) -> np.ndarray:
        """A split's gold labels as the metrics read them: class ids, or a texts x labels 0/1 matrix."""
        return self.task.targets(frame["label"], len(self.labels))

    def label_names_of(self, value) -> str:
        """A row's label as the user reads it: `spam`, or `体育|财经` for several."""
        return self.task.label_text(value, self.labels.names)

    def to_dataset_dict(self):
        from datasets import Dataset, DatasetDict

        return DatasetDict(
            {name: Dataset.from_pandas(frame[["text", "label"]], preserve_index=False)
             for name, frame in (("train", self.train), ("validation", self.validation), ("test", self.test))}
        )

    def split_sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test)}

    def with_validation_in_train(self, max_rows: int | None = None, seed: int = 42) -> PreparedData:
        """The validation rows added to the training split (validation itself is left as it is); with `max_rows`
        (--max-train-samples) only as many validation rows, drawn at random, as fit under it."""
        room = len(self.validation) if max_rows is None else max(0, max_rows - len(self.train))
        extra = self.validation if room >= len(self.validation) else self.validation.sample(n=room, random_state=seed)
        return replace(self, train=pd.concat([self.train, extra], ignore_index=True))


def load_frame(path: str | Path, text_column: str | None = None, label_column: str | None = None
               ) -> tuple[pd.DataFrame, str, str]:
    frame = read_table(path)
    text, label = detect_columns(frame, text_column, label_column)
    return frame, text, label


@dataclass
class _Layout:
    """The training file's layout (what resolve_label_layout decided) and the warnings gathered so far: what
    reads the validation and test files and maps their labels the same way."""

    name: str
    task: Task
    text_column: str
    label_columns: list[str]
    delimiter: str
    warnings: list[str]

    @property
    def label_column(self) -> str:
        """The label column as the user reads it: `label`, or `sports, finance` for 0/1 columns."""
        return self.label_columns[0] if len(self.label_columns) == 1 else ", ".join(self.label_columns)

    def clean(self, table: pd.DataFrame, text: str, labels: list[str], source: str) -> pd.DataFrame:
        cleaned = self.task.clean(table, text, labels, self.delimiter, source, self.warnings)
        return _dedupe(cleaned, source, self.warnings)

    def side_file(self, path: str | Path | None) -> pd.DataFrame | None:
        """A given validation or test file, read and cleaned with the training file's columns where it has them."""
        if not path:
            return None
        side = read_table(path)
        label_cols, text_col = self.label_columns, self.text_column
        if len(label_cols) > 1:
            missing = [c for c in label_cols if c not in side.columns]
            if missing:
                raise DataError(say("data_side_missing_labels", name=Path(path).name,
                                    missing=", ".join(map(repr, missing)), main=self.name))
            t = text_col if text_col in side.columns else None
            t, _ = detect_columns(side[[c for c in side.columns if c not in label_cols] + [label_cols[0]]], t,
                                  label_cols[0])
            return self.clean(side, t, label_cols, Path(path).name)
        t = text_col if text_col in side.columns else None
        lab = label_cols[0] if label_cols[0] in side.columns else None
        t, lab = detect_columns(side, t, lab)
        return self.clean(side, t, [lab], Path(path).name)

    def restrict(self, side: pd.DataFrame | None, role: str, labels: LabelSpace) -> pd.DataFrame | None:
        """A validation/test file's rows with ids of the training labels; labels training never saw are left out
        (multi-label: from the row; single-label: the row)."""
        if side is None:
            return None
        side, unknown, affected = self.task.keep_known(side, labels.names)
        if unknown:
            self.warnings.append(self.task.unseen_warning(role, unknown, affected))
        if side.empty and self.task.drops_rows:  # otherwise an empty file is said to be empty when splitting
            raise DataError(say("data_no_known_labels", role=say(f"role_{role}")))
        side = side.copy()
        side["label"] = self.task.to_ids(side["label_name"], labels.label2id)
        return side


def prepare_data(
    data: str | Path,
    text_column: str | None = None,
    label_column: str | None = None,
    validation_file: str | Path | None = None,
    test_file: str | Path | None = None,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 42,
    balance: bool = False,
    max_train_samples: int | None = None,
    multi_label: str = "auto",
    label_delimiter: str = "|",
    label_columns: list[str] | None = None,
) -> PreparedData:
    warnings: list[str] = []
    name = Path(data).name
    frame = read_table(data)
    multi, text_col, label_cols = resolve_label_layout(frame, text_column, label_column, label_columns, multi_label,
                                                       label_delimiter, name, warnings)
    task = task_for(multi)
    layout = _Layout(name, task, text_col, label_cols, label_delimiter, warnings)
    main = layout.clean(frame, text_col, label_cols, name)
    if main.empty:
        raise DataError(say("data_no_labelled_rows", name=name, text_column=text_col,
                            label_columns=layout.label_column))
    val_given, test_given = layout.side_file(validation_file), layout.side_file(test_file)
    main = _without_held_out_texts(main, (val_given, test_given), name, warnings)
    labels = _label_space(main, layout)
    main["label"] = task.to_ids(main["label_name"], labels.label2id)
    val_given = layout.restrict(val_given, "validation", labels)
    test_given = layout.restrict(test_given, "test", labels)
    fractions = (0.0 if val_given is not None else validation_fraction,
                 0.0 if test_given is not None else test_fraction)
    train, validation, test = _split(main, val_given, test_given, fractions, seed, layout, labels)
    train = _shrink_train(train, balance, max_train_samples, seed, layout, labels)
    counts = task.class_counts(main["label_name"], labels.names)
    ratio = counts.max() / counts.min()
    if ratio >= 3 and not balance:
        warnings.append(say("data_imbalanced", ratio=float(ratio)))
    stats = _stats(data, frame, main, counts, labels.names, (train, validation, test), task)
    return PreparedData(train=train[["text", "label"]], validation=validation[["text", "label"]],
                        test=test[["text", "label"]], labels=labels, text_column=text_col,
                        label_column=layout.label_column, warnings=warnings, stats=stats, multi_label=multi)


def _without_held_out_texts(main: pd.DataFrame, sides: tuple[pd.DataFrame | None, ...], name: str,
                            warnings: list[str]) -> pd.DataFrame:
    """Texts in a given validation/test file must not also be trained on."""
    held_texts = set()
    for side in sides:
        if side is not None:
            held_texts |= set(side["text"])
    if held_texts:
        overlap = main["text"].isin(held_texts)
        if overlap.any():
            warnings.append(say("data_held_out_overlap", source=name, n=int(overlap.sum())))
            main = main[~overlap].reset_index(drop=True)
    if main.empty:
        raise DataError(say("data_all_held_out", source=name))
    return main


def _label_space(main: pd.DataFrame, layout: _Layout) -> LabelSpace:
    """The training rows' label names in id order; at least two."""
    names = _sort_labels(layout.task.names_used(main["label_name"]))
    _warn_near_duplicate_labels(names, layout.name, layout.warnings)
    if len(names) < 2:
        if not names:
            raise DataError(say("data_single_class_none", source=layout.name, column=layout.label_column))
        raise DataError(say("data_single_class", source=layout.name, only=names[0], column=layout.label_column))
    return LabelSpace(names)


def _split(main: pd.DataFrame, val_given: pd.DataFrame | None, test_given: pd.DataFrame | None,
           fractions: tuple[float, float], seed: int, layout: _Layout, labels: LabelSpace
           ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Train, validation and test: stratified from `main` where no file was given; neither may be empty."""
    names = labels.names
    keys = layout.task.stratify_keys(main["label"], len(names))
    train_idx, val_idx, test_idx, too_small = stratified_split(keys, fractions, seed)
    too_small = [i for i in too_small if i < len(names)]
    if too_small:
        small = ", ".join(f"{names[i]!r} ({int((keys == i).sum())})" for i in too_small)
        layout.warnings.append(say("data_too_few", classes=small))
    train = main.iloc[train_idx].reset_index(drop=True)
    validation = val_given if val_given is not None else main.iloc[val_idx].reset_index(drop=True)
    test = test_given if test_given is not None else main.iloc[test_idx].reset_index(drop=True)
    if validation.empty:
        # no validation split asked for: early stopping and best/ then use the training data's own loss; make it
        # explicit instead of silently evaluating on train
        raise DataError(say("data_empty_validation"))
    if test.empty:
        raise DataError(say("data_empty_test"))
    return train, validation, test


def _shrink_train(train: pd.DataFrame, balance: bool, max_train_samples: int | None, seed: int, layout: _Layout,
                  labels: LabelSpace) -> pd.DataFrame:
    """The training split balanced (every class downsampled to the smallest) and cut to max_train_samples."""
    warnings = layout.warnings
    layout.task.check_balance(balance)
    if balance:
        counts_before = train["label"].value_counts().sort_index()
        train = _downsample(train, seed)
        per_class = int(train["label"].value_counts().max())
        warnings.append(say("data_balanced", per_class=per_class, rows=len(train),
                            before=int(counts_before.sum())))
    if max_train_samples and len(train) > max_train_samples:
        train = _subsample(train, max_train_samples, seed, layout.task.stratify_keys(train["label"], len(labels)))
        warnings.append(say("data_max_train", n=len(train), limit=max_train_samples))
    return train


def _stats(data: str | Path, frame: pd.DataFrame, main: pd.DataFrame, counts: pd.Series, names: list[str],
           splits: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], task: Task) -> dict[str, Any]:
    train, validation, test = splits
    stats = {
        "source": str(data),
        "rows_read": int(len(frame)),
        "rows_used": int(len(main)),
        "class_counts": {k: int(v) for k, v in counts.reindex(names).items()},
        "splits": {"train": len(train), "validation": len(validation), "test": len(test)},
        "multi_label": task.multi_label,
        **task.label_stats(main["label_name"]),
    }
    return stats
