"""Which column is the text and which the label(s): by name when a name says so, else by content; the user's
choice wins. `resolve_label_layout` also decides single- or multi-label (one list-like column, or one 0/1 column
per label)."""

from __future__ import annotations

import pandas as pd

from ..errors import DataError
from ..messages import say
from .labels import binary_label_columns, looks_multi_label

TEXT_NAMES = ("text", "texts", "sentence", "content", "message", "sms", "title", "review", "document", "body",
              "comment", "query", "question", "tweet", "文本", "内容", "标题", "句子")

LABEL_NAMES = ("label", "labels", "class", "category", "target", "tag", "topic", "sentiment", "y", "intent",
               "标签", "类别", "分类")



def detect_columns(frame: pd.DataFrame, text_column: str | None = None,
                   label_column: str | None = None) -> tuple[str, str]:
    """Choose (text, label) columns: by name when a name says so, else by content; user choices win."""
    columns = list(frame.columns)
    for given, kind in ((text_column, "text"), (label_column, "label")):
        if given is not None and given not in columns:
            raise DataError(say("data_no_such_column", name=given, kind=say(f"kind_{kind}"),
                                columns=", ".join(map(repr, columns))))
    if len(columns) < 2:
        raise DataError(say("data_one_column", column=columns[0]))
    sample = frame.head(5000)
    stats = {}
    for col in columns:
        values = sample[col].dropna().astype(str).str.strip()
        values = values[values != ""]
        n = max(len(values), 1)
        stats[col] = {
            "mean_len": float(values.str.len().mean()) if len(values) else 0.0,
            "unique_ratio": values.nunique() / n,
            "unique": int(values.nunique()),
            "filled": len(values) / max(len(sample), 1),
        }

    text = text_column
    if text is None:
        named = [c for c in columns if c.lower() in TEXT_NAMES and c != label_column]
        if named:
            text = max(named, key=lambda c: stats[c]["mean_len"])
        else:
            candidates = [c for c in columns if c != label_column and stats[c]["filled"] > 0.5]
            if not candidates:
                raise DataError(say("data_no_text_column"))
            text = max(candidates, key=lambda c: stats[c]["mean_len"] * (0.5 + stats[c]["unique_ratio"]))
    if stats[text]["mean_len"] == 0:
        raise DataError(say("data_text_column_empty", column=text))

    label = label_column
    if label is None:
        others = [c for c in columns if c != text]
        named = [c for c in others if c.lower() in LABEL_NAMES]
        if named:
            label = named[0]
        else:
            usable = [c for c in others if stats[c]["unique"] >= 2 and stats[c]["filled"] > 0.5]
            if not usable:
                raise DataError(say("data_no_label_column", columns=", ".join(map(repr, columns))))
            # labels repeat: fewest distinct values relative to rows, shortest values to break ties
            label = min(usable, key=lambda c: (stats[c]["unique_ratio"], stats[c]["mean_len"]))
    if text == label:
        raise DataError(say("data_same_column", column=text))
    return text, label



def resolve_label_layout(frame: pd.DataFrame, text_column: str | None, label_column: str | None,
                         label_columns: list[str] | None, multi_label: str, delimiter: str, source: str,
                         warnings: list[str]) -> tuple[bool, str, list[str]]:
    """(multi-label?, text column, label column(s)): one label column, or one 0/1 column per label."""
    if multi_label not in ("auto", "yes", "no"):
        raise DataError(say("data_bad_multi_label", value=multi_label))
    columns = list(frame.columns)
    if label_columns:
        missing = [c for c in label_columns if c not in columns]
        if missing:
            raise DataError(say("data_no_label_columns", names=", ".join(map(repr, missing)),
                                columns=", ".join(map(repr, columns))))
        if len(label_columns) == 1:
            label_column, label_columns = label_columns[0], None
    if not label_columns and label_column is None and multi_label != "no":
        binary = binary_label_columns(frame, text_column)
        named = [c for c in columns if c.lower() in LABEL_NAMES and c not in binary]
        if len(binary) >= 2 and not named:
            label_columns = binary
            warnings.append(say("data_multi_binary", source=source, columns=", ".join(map(repr, binary))))
    if label_columns:
        rest = [c for c in columns if c not in label_columns]
        if not rest:
            raise DataError(say("data_all_label_columns"))
        text, _ = detect_columns(frame[rest + [label_columns[0]]], text_column, label_columns[0])
        return True, text, list(label_columns)
    text, label = detect_columns(frame, text_column, label_column)
    if multi_label == "yes":
        return True, text, [label]
    if multi_label == "auto" and looks_multi_label(frame[label], delimiter):
        warnings.append(say("data_multi_lists", source=source, column=label, delimiter=delimiter))
        return True, text, [label]
    return False, text, [label]
