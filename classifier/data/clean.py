"""Rows a model can learn from: empty texts and missing labels dropped, duplicate texts collapsed (so no text sits
in two splits), each counted in `warnings`. The result has columns `text` and `label_name` (a name, or a tuple of
names for multi-label data)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..messages import say
from .labels import normalise_label, parse_label_list


def _text_values(column: pd.Series) -> pd.Series:
    return column.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip())



def _drop_unusable(frame: pd.DataFrame, out: pd.DataFrame, source: str, warnings: list[str],
                   without_label: str) -> pd.DataFrame:
    """Rows of `out` (`text`, `label_name`) minus empty texts and missing labels, each counted in `warnings`;
    `without_label(source, n, rows)` words the missing-label warning."""
    bad_lines = frame.attrs.get("bad_lines")
    if bad_lines:
        shown = ", ".join(map(str, bad_lines[:10])) + (" ..." if len(bad_lines) > 10 else "")
        warnings.append(say("data_malformed_lines", source=source, n=len(bad_lines), lines=shown))
    empty = out["text"] == ""
    if empty.any():
        warnings.append(say("data_empty_texts", source=source, n=int(empty.sum())))
    missing = out["label_name"].isna() & ~empty
    if missing.any():
        rows = (np.flatnonzero(missing.to_numpy())[:5] + 2).tolist()
        warnings.append(without_label(source, int(missing.sum()), ", ".join(map(str, rows))))
    return out[~empty & ~out["label_name"].isna()].reset_index(drop=True)



def clean_frame(frame: pd.DataFrame, text_column: str, label_column: str, source: str,
                warnings: list[str]) -> pd.DataFrame:
    """Columns `text`, `label_name`; empty texts and missing labels dropped and counted."""
    out = pd.DataFrame({"text": _text_values(frame[text_column]),
                        "label_name": frame[label_column].map(normalise_label)})
    return _drop_unusable(frame, out, source, warnings,
                          lambda source, n, rows: say("data_no_label", source=source, n=n, rows=rows))



def clean_multilabel_frame(frame: pd.DataFrame, text_column: str, label_columns: list[str], delimiter: str,
                           source: str, warnings: list[str]) -> pd.DataFrame:
    """Columns `text`, `label_name` (a tuple of names): from one list-like column or several 0/1 columns."""
    texts = _text_values(frame[text_column])
    if len(label_columns) == 1:
        names = frame[label_columns[0]].map(lambda v: parse_label_list(v, delimiter))
    else:
        truthy = {"1", "1.0", "true", "yes"}
        flags = {col: frame[col].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                                     else str(v).strip().lower() in truthy) for col in label_columns}
        rows = []
        for i in range(len(frame)):
            values = [flags[col].iat[i] for col in label_columns]
            rows.append(None if all(v is None for v in values)
                        else tuple(sorted(str(col) for col, v in zip(label_columns, values) if v)))
        names = pd.Series(rows, index=frame.index, dtype=object)
    out = pd.DataFrame({"text": texts, "label_name": names})
    return _drop_unusable(frame, out, source, warnings,
                          lambda source, n, _rows: say("data_no_labels_multi", source=source, n=n))



def _dedupe(frame: pd.DataFrame, source: str, warnings: list[str]) -> pd.DataFrame:
    """One row per distinct text: the same text in train and test would inflate test accuracy."""
    duplicated = frame.duplicated("text", keep="first")
    if not duplicated.any():
        return frame
    conflicts = frame.groupby("text")["label_name"].nunique()
    n_conflicts = int((conflicts > 1).sum())
    # keep the most common label of a text (the first one on a tie)
    majority = (frame.groupby(["text", "label_name"], sort=False).size().reset_index(name="n")
                .sort_values("n", ascending=False, kind="stable").drop_duplicates("text"))
    order = frame.drop_duplicates("text")[["text"]]
    deduped = order.merge(majority[["text", "label_name"]], on="text", how="left")
    extra = say("data_duplicate_conflicts", n=n_conflicts) if n_conflicts else say("empty")
    warnings.append(say("data_duplicates", source=source, n=int(duplicated.sum()), conflicts=extra))
    return deduped.reset_index(drop=True)
