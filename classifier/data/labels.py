"""Label values: normalising (1.0 -> "1", " spam " -> "spam"), sorting, multi-label lists (`["a", "b"]`, `a|b`,
0/1 columns), and the multi-hot matrix."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..messages import say


@dataclass
class LabelSpace:
    """The label names in id order; ids are what the model predicts, names are what the user sees."""

    names: list[str]

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.names))

    @property
    def label2id(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    def __len__(self) -> int:
        return len(self.names)



def normalise_label(value: Any) -> str | None:
    """A label as the user wrote it, minus noise: 1.0 -> "1", " spam " -> "spam"; None for missing."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    text = str(value).strip()
    if text == "" or text.lower() in ("nan", "none", "null"):
        return None
    if re.fullmatch(r"-?\d+\.0+", text):
        return text.split(".")[0]
    return text



def _warn_near_duplicate_labels(names: list[str], source: str, warnings: list[str]) -> None:
    """'spam', 'Spam' and 'SPAM' are three classes to a model; say so, since a person usually means one."""
    groups: dict[str, list[str]] = {}
    for label in names:
        groups.setdefault(" ".join(label.lower().split()), []).append(label)
    clashes = [group for group in groups.values() if len(group) > 1]
    if clashes:
        shown = "; ".join(" / ".join(map(repr, group)) for group in clashes[:5])
        warnings.append(say("data_label_case", source=source, shown=shown))



def _sort_labels(names: set[str]) -> list[str]:
    if all(re.fullmatch(r"-?\d+", n) for n in names):
        return sorted(names, key=int)
    return sorted(names)



_BINARY_VALUES = {"0", "1", "0.0", "1.0", "true", "false", "yes", "no"}



def parse_label_list(value: Any, delimiter: str = "|") -> tuple[str, ...] | None:
    """Several labels of one row: a JSON list (`["体育", "财经"]`, as a list or as text) or `体育|财经`.

    Returns the sorted distinct names, `()` for an explicitly empty list, None for a missing value.
    """
    if isinstance(value, (list, tuple, set, np.ndarray)):
        items = list(value)
    else:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        text = str(value).strip()
        if text.startswith("[") and text.endswith("]"):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None
            if isinstance(parsed, list):
                return parse_label_list(parsed, delimiter)
        if text == "" or text.lower() in ("nan", "none", "null"):
            return None
        items = text.split(delimiter) if delimiter else [text]
    names = {normalise_label(item) for item in items}
    return tuple(sorted(n for n in names if n is not None))



def looks_multi_label(values: pd.Series, delimiter: str = "|") -> bool:
    """Labels that look like lists: Python/JSON lists, `[...]` strings, or the delimiter in some of them."""
    sample = values.dropna().head(5000)
    if sample.empty:
        return False
    if sample.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).mean() > 0.5:
        return True
    text = sample.astype(str).str.strip()
    if (text.str.startswith("[") & text.str.endswith("]")).mean() > 0.5:
        return True
    if delimiter:
        with_delimiter = text.str.contains(delimiter, regex=False)
        # a few rows with two labels or more, and parts that recur as labels of their own
        if with_delimiter.sum() >= 2:
            parts = Counter(p.strip() for v in text[with_delimiter] for p in v.split(delimiter))
            singles = set(text[~with_delimiter])
            return sum(1 for p in parts if p in singles) >= max(1, len(parts) // 2) or with_delimiter.mean() > 0.2
    return False



def binary_label_columns(frame: pd.DataFrame, text_column: str | None = None) -> list[str]:
    """Columns holding only 0/1 (or true/false) values: one column per label of a multi-label file."""
    found = []
    for col in frame.columns:
        if col == text_column:
            continue
        values = frame[col].dropna().astype(str).str.strip().str.lower()
        values = values[values != ""]
        if len(values) and set(values.unique()) <= _BINARY_VALUES:
            found.append(col)
    return found
