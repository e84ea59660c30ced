"""Labelled text files in, clean train/validation/test splits out.

The way of a file, one module a step:
  readers   bytes -> DataFrame: encoding (UTF-8, BOM, UTF-16, GBK/GB18030), format (CSV, TSV, JSONL/JSON, XLSX,
            Parquet, headerless `label<TAB>text` and `label<TAB>category<TAB>text`), header row, bounded sizes.
  columns   which column is the text and which the label(s) (the user can override both); single or multi-label.
  clean     drop empty texts and missing labels, collapse duplicate texts (so no text sits in two splits).
  labels    normalise label values (1.0 -> "1", "Spam " -> "Spam"); multi-label lists as JSON lists, `a|b` strings
            or one 0/1 column per label, parsed into tuples of names (`label` then holds a list of ids).
  split     stratified train/validation/test, seeded; classes too small to stratify stay in train; multi-label
            rows stratified by their rarest label.
  prepare   the whole way: `prepare_data` -> PreparedData (splits, LabelSpace, warnings, stats).
  summary   counts, token-length percentiles in the chosen model's tokenizer, recommended max_length.

Every problem is either fixed and reported in `warnings` (plain sentences) or raised as DataError. The names below
are the package's interface; import them from `classifier.data`.
"""

from .clean import _dedupe, _text_values, clean_frame, clean_multilabel_frame
from .columns import LABEL_NAMES, TEXT_NAMES, detect_columns, resolve_label_layout
from .labels import (
    LabelSpace,
    _sort_labels,
    binary_label_columns,
    looks_multi_label,
    normalise_label,
    parse_label_list,
)
from .prepare import PreparedData, load_frame, prepare_data
from .readers import EXCEL_EXTENSIONS, JSON_EXTENSIONS, check_columns, check_workbook, decode_bytes, read_table
from .split import MIN_PER_CLASS_FOR_SPLIT, _rarest_label_keys, stratified_split
from .summary import language_hint, recommend_max_length, summarize, token_lengths, unreadable_texts

__all__ = [
    "EXCEL_EXTENSIONS", "JSON_EXTENSIONS", "LABEL_NAMES", "MIN_PER_CLASS_FOR_SPLIT", "TEXT_NAMES",
    "LabelSpace", "PreparedData",
    "binary_label_columns", "check_columns", "check_workbook", "clean_frame", "clean_multilabel_frame",
    "decode_bytes", "detect_columns", "language_hint", "load_frame", "looks_multi_label",
    "normalise_label", "parse_label_list", "prepare_data", "read_table", "recommend_max_length",
    "resolve_label_layout", "stratified_split", "summarize", "token_lengths", "unreadable_texts",
    # private helpers that label_issues.py reads its file with, as training does
    "_dedupe", "_rarest_label_keys", "_sort_labels", "_text_values",
]
