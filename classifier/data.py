"""Labelled text files in, clean train/validation/test splits out.

The way of a file:
  read_table      bytes -> DataFrame: encoding (UTF-8, BOM, UTF-16, GBK/GB18030), format (CSV, TSV, JSONL/JSON,
                  XLSX, headerless `label<TAB>text` and `label<TAB>category<TAB>text`), header row.
  detect_columns  which column is the text and which the label (the user can override both).
  clean           drop empty texts and missing labels, collapse duplicate texts (so no text sits in two splits),
                  normalise label values (1.0 -> "1", "Spam " -> "Spam").
  split           stratified train/validation/test, seeded; classes too small to stratify stay in train.
  multi-label     labels as JSON lists, `a|b` strings or one 0/1 column per label: detected, parsed into tuples
                  of names (`label` then holds a list of ids), split stratified by each row's rarest label.
  summarize       counts, token-length percentiles in the chosen model's tokenizer, recommended max_length.

Every problem is either fixed and reported in `warnings` (plain sentences) or raised as DataError.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError
from .security import MAX_COLUMNS, SNIFF_SAMPLE_CHARS, max_sheet_rows, max_sheet_xml_bytes

TEXT_NAMES = ("text", "texts", "sentence", "content", "message", "sms", "title", "review", "document", "body",
              "comment", "query", "question", "tweet", "文本", "内容", "标题", "句子")
LABEL_NAMES = ("label", "labels", "class", "category", "target", "tag", "topic", "sentiment", "y", "intent",
               "标签", "类别", "分类")
EXCEL_EXTENSIONS = (".xlsx", ".xlsm", ".xls")
JSON_EXTENSIONS = (".jsonl", ".ndjson", ".json")
MIN_PER_CLASS_FOR_SPLIT = 3  # one each for train, validation and test


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

    def label_matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Multi-hot rows (texts x labels) of a split; one-hot for single-label data."""
        return label_matrix(frame["label"], len(self.labels), self.multi_label)

    def label_names_of(self, value) -> str:
        """A row's label as the user reads it: `spam`, or `体育|财经` for several."""
        if self.multi_label:
            return "|".join(self.labels.names[i] for i in value)
        return self.labels.names[int(value)]

    def to_dataset_dict(self):
        from datasets import Dataset, DatasetDict

        return DatasetDict(
            {name: Dataset.from_pandas(frame[["text", "label"]], preserve_index=False)
             for name, frame in (("train", self.train), ("validation", self.validation), ("test", self.test))}
        )

    def split_sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test)}


# ----------------------------------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------------------------------
def decode_bytes(raw: bytes, source: str = "the file") -> tuple[str, str]:
    """Text and the encoding it was in. Chinese files are often GBK, Excel exports UTF-16 or UTF-8 with BOM."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    if b"\x00" in raw[:4096]:
        # UTF-16 without BOM shows a zero byte in every other position; anything else with NULs is binary.
        even, odd = raw[0:4096:2].count(0), raw[1:4096:2].count(0)
        if max(even, odd) > len(raw[:4096]) // 4:
            return raw.decode("utf-16-le" if odd > even else "utf-16-be", errors="replace"), "utf-16"
        raise DataError(
            f"{source} looks like a binary file, not text. Export it as CSV (UTF-8), TSV, JSONL or XLSX and upload "
            "that."
        )
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"  # superset of GBK and GB2312
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise DataError(f"Cannot tell the text encoding of {source}. Save it as UTF-8 and try again.")
    return str(best), best.encoding


def _first_line_is_json(text: str) -> bool:
    stripped = text.lstrip()
    if stripped[:1] == "[":
        try:
            json.loads(stripped)
            return True
        except json.JSONDecodeError:
            return False
    if stripped[:1] == "{":
        try:
            return isinstance(json.loads(stripped.splitlines()[0]), dict)
        except json.JSONDecodeError:
            return False
    return False


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n") or ch == "\ufffd")
    return bad / len(sample) > 0.05


def read_table(path: str | Path, sheet: str | int | None = None) -> pd.DataFrame:
    """Read any supported file into a DataFrame of strings (headerless files get `column_1`, `column_2`, ...)."""
    from .datasources import HUB_PREFIX, is_dataset_folder, read_parquet, resolve_sources

    if str(path).startswith(HUB_PREFIX) or is_dataset_folder(Path(path)):
        path = resolve_sources(str(path)).data  # the training split, as a Parquet file in the cache
    path = Path(path)
    if not path.exists():
        raise DataError(f"File {path} does not exist.")
    if path.is_dir():
        raise DataError(f"{path} is a folder; give a data file (CSV, TSV, JSONL, XLSX, TXT or Parquet) or a folder "
                        "written by `datasets`' save_to_disk.")
    if path.stat().st_size == 0:
        raise DataError(f"File {path.name} is empty. It needs one text and one label per row.")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame = read_parquet(path, max_sheet_rows(), max_sheet_xml_bytes())
    elif suffix in EXCEL_EXTENSIONS:
        frame = _read_excel(path, sheet)
    else:
        text, _encoding = decode_bytes(path.read_bytes(), path.name)
        if _looks_binary(text):
            raise DataError(
                f"{path.name} does not contain readable text (it may be a binary file with a text extension). "
                "Export your data as CSV (UTF-8), TSV, JSONL or XLSX."
            )
        if not text.strip():
            raise DataError(f"File {path.name} is empty. It needs one text and one label per row.")
        if suffix in JSON_EXTENSIONS or _first_line_is_json(text):
            frame = _read_json(text, path.name)
        else:
            frame = _read_delimited(text, path.name)
    check_columns(len(frame.columns), path.name)
    frame = frame.dropna(axis=1, how="all")
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty and frame.attrs.get("bad_lines"):
        lines = ", ".join(map(str, frame.attrs["bad_lines"][:10]))
        raise DataError(f"File {path.name} has no usable data rows: line(s) {lines} have another number of columns "
                        "than the header. Check the separators and quotes of those lines.")
    if frame.empty or len(frame.columns) == 0:
        raise DataError(f"File {path.name} has no data rows (only a header, or nothing at all).")
    return frame


def check_columns(count: int, name: str) -> None:
    """At most MAX_COLUMNS columns: the column detection looks at every one (100,000 columns: minutes)."""
    if count > MAX_COLUMNS:
        raise DataError(f"{name} has {count:,} columns; at most {MAX_COLUMNS:,} are read. Keep the text and label "
                        "columns (delete the others, or export only those) and try again.")


_SHEET_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")  # a <row> element of sheet XML (with or without a prefix)


def check_workbook(path: Path) -> None:
    """Before parsing an .xlsx (a zip of XML): its sheets may expand to at most max_sheet_xml_bytes() of XML and
    hold at most max_sheet_rows() rows each. A 350 KB file can hold 100 MB of XML (a million rows)."""
    try:
        with zipfile.ZipFile(path) as archive:
            # zipfile never delivers more than a member declares (and fails its checksum when the data is longer)
            sheets = [m for m in archive.infolist() if m.filename.startswith("xl/worksheets/")
                      and m.filename.endswith(".xml")]
            xml = sum(m.file_size for m in archive.infolist() if m in sheets or m.filename == "xl/sharedStrings.xml")
            if xml > max_sheet_xml_bytes():
                raise DataError(f"{path.name} expands to {xml / 2**20:,.0f} MB of spreadsheet data; this app reads "
                                f"at most {max_sheet_xml_bytes() / 2**20:,.0f} MB (CLASSIFIER_MAX_UPLOAD_MB). Export "
                                "the sheet as CSV, or keep fewer rows.")
            for member in sheets:
                _check_sheet_size(_count_rows(archive, member), 0, path.name)
    except (zipfile.BadZipFile, OSError):
        raise DataError(f"{path.name} is not a valid .xlsx file (an .xlsx is a zip archive). Re-save it from the "
                        "spreadsheet program as .xlsx, or export CSV.") from None


def _count_rows(archive: zipfile.ZipFile, member: zipfile.ZipInfo, stop_after: int | None = None) -> int:
    """<row> elements of a sheet, counted in its XML as it is decompressed (100 MB: half a second), without
    parsing it; stops counting past the row limit."""
    stop_after = max_sheet_rows() if stop_after is None else stop_after
    count, carry = 0, b""
    with archive.open(member) as stream:
        while count <= stop_after and (chunk := stream.read(1 << 20)):
            buffer = carry + chunk
            cut = buffer.rfind(b"<")  # a row tag holds a single "<": none spans the cut
            cut = len(buffer) if cut < 0 else cut
            count += len(_SHEET_ROW.findall(buffer, 0, cut))
            carry = buffer[cut:]
    return count + len(_SHEET_ROW.findall(carry))


def _check_sheet_size(rows: int, columns: int, name: str) -> None:
    if rows > max_sheet_rows():
        raise DataError(f"{name} has a sheet of more than {max_sheet_rows():,} rows, the most this app reads (5,000 "
                        "per MB of CLASSIFIER_MAX_UPLOAD_MB). Keep fewer rows, or split the file.")
    check_columns(columns, name)


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        check_workbook(path)
    try:  # nrows: never more than one row past the limit, whatever check_workbook counted
        sheets = pd.read_excel(path, sheet_name=None if sheet is None else sheet, dtype=object,
                               nrows=max_sheet_rows() + 1)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise DataError(f"Cannot read the Excel file {path.name}: {exc}. Re-save it as .xlsx or export CSV.") from None
    if isinstance(sheets, pd.DataFrame):  # only with an explicit sheet
        sheets = {sheet: sheets}
    for frame in sheets.values():
        _check_sheet_size(len(frame), len(frame.columns), path.name)
    for frame in sheets.values():  # the first sheet that has data
        if not frame.dropna(how="all").empty:
            return _below_title_rows(frame.dropna(how="all"))
    raise DataError(f"Every sheet of {path.name} is empty.")


def _below_title_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A sheet that starts with a title (often merged cells) above the real header row: pandas then names most
    columns 'Unnamed: n'. Use the first row with two or more text cells as the header instead."""
    columns = [str(c) for c in frame.columns]
    if sum(c.startswith("Unnamed:") for c in columns) * 2 < len(columns):
        return frame
    for i in range(min(10, len(frame))):
        cells = frame.iloc[i]
        if cells.notna().sum() >= 2 and all(isinstance(v, str) for v in cells.dropna()):
            body = frame.iloc[i + 1:].reset_index(drop=True)
            body.columns = [str(v).strip() if isinstance(v, str) else f"column_{j + 1}" for j, v in enumerate(cells)]
            return body
    return frame


def _read_json(text: str, name: str) -> pd.DataFrame:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            records = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise DataError(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise DataError(f"{name} must be a JSON list of objects such as {{\"text\": ..., \"label\": ...}}.")
        return pd.DataFrame.from_records(records)
    if stripped.startswith("{") and "\n" not in stripped.strip():
        value = json.loads(stripped) if _first_line_is_json(stripped) else None
        if isinstance(value, dict) and value and all(isinstance(v, (dict, list)) for v in value.values()):
            return pd.DataFrame(value)  # pandas' to_json() layout: {"text": {"0": ...}, "label": {"0": ...}}
    records, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            bad.append(number)
            continue
        if isinstance(value, dict):
            records.append(value)
        else:
            bad.append(number)
    if not records:
        raise DataError(f"{name} has no valid JSON lines; each line must be an object like "
                        "{\"text\": \"...\", \"label\": \"...\"}.")
    frame = pd.DataFrame.from_records(records)
    if bad:
        frame.attrs["bad_lines"] = bad
    return frame


def _sniff_delimiter(lines: list[str]) -> str:
    sample = [line for line in lines[:200] if line.strip()]
    if not sample:
        return ","
    tabbed = sum(1 for line in sample if "\t" in line)
    if tabbed >= 0.8 * len(sample):
        return "\t"
    # csv.Sniffer takes quadratic time in its sample (a single 400 KB line of quoted fields: 85 s), so it sees at
    # most SNIFF_SAMPLE_CHARS characters, cut at a line end where there is one
    text = "\n".join(sample[:50])
    if len(text) > SNIFF_SAMPLE_CHARS:
        cut = text.rfind("\n", 0, SNIFF_SAMPLE_CHARS)
        text = text[:cut if cut > 0 else SNIFF_SAMPLE_CHARS]
    try:
        return csv.Sniffer().sniff(text, delimiters=",;|\t").delimiter
    except csv.Error:
        return ","


def _read_delimited(text: str, name: str) -> pd.DataFrame:
    lines = text.splitlines()
    delimiter = _sniff_delimiter(lines)
    bad_rows: list[int] = []
    if delimiter == "\t":
        # TSV as written by hand or by THUCNews/SMS Spam: no quoting; a text may itself hold quotes.
        rows = [line.split("\t") for line in lines if line.strip()]
        width = Counter(len(r) for r in rows).most_common(1)[0][0]
        fixed = []
        for number, row in enumerate(rows, start=1):
            if len(row) > width:  # a tab inside the last (text) column
                row = row[: width - 1] + ["\t".join(row[width - 1:])]
            elif len(row) < width:
                bad_rows.append(number)
                continue
            fixed.append(row)
        rows = fixed
    else:
        csv.field_size_limit(2**31 - 1)  # the default (128 KB) refuses a long document in one cell
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        try:
            rows = [row for row in reader if any(cell.strip() for cell in row)]
        except csv.Error as exc:
            raise DataError(f"{name} could not be parsed as CSV: {exc}. Check for unbalanced quotes.") from None
        if text.count('"') % 2 and any("\n" in cell for row in rows for cell in row):
            line = _unclosed_quote_line(lines)
            raise DataError(
                f"{name}: line {line} opens a quote (\") that is never closed, so everything after it reads as one "
                "text. Close or remove that quote (or re-save the file as CSV from a spreadsheet) and try again."
            )
        if not rows:
            raise DataError(f"File {name} is empty.")
        width = Counter(len(r) for r in rows).most_common(1)[0][0]
        fixed = []
        for number, row in enumerate(rows, start=1):
            if len(row) != width:
                bad_rows.append(number)
                continue
            fixed.append(row)
        rows = fixed
    if not rows:
        raise DataError(f"File {name} has no rows with a consistent number of columns.")
    check_columns(width, name)
    if width < 2:
        raise DataError(
            f"{name} has a single column. Each row needs a text and a label, separated by a comma, a tab or a "
            "semicolon (or use JSONL with \"text\" and \"label\" keys)."
        )
    header = rows[0] if _has_header(rows) else None
    body = rows[1:] if header else rows
    columns = _unique_names(header) if header else [f"column_{i + 1}" for i in range(width)]
    frame = pd.DataFrame(body, columns=columns, dtype=object)
    if bad_rows:
        frame.attrs["bad_lines"] = bad_rows
    return frame


def _unclosed_quote_line(lines: list[str]) -> int | None:
    """The line (from 1) whose quote is still open at the end of the file."""
    opened = None
    for number, line in enumerate(lines, start=1):
        if line.count('"') % 2:
            opened = None if opened else number
    return opened


def _unique_names(header: list[str]) -> list[str]:
    names, seen = [], Counter()
    for i, raw in enumerate(header):
        name = raw.strip() or f"column_{i + 1}"
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return names


def _has_header(rows: list[list[str]]) -> bool:
    first = [cell.strip().lower() for cell in rows[0]]
    if any(cell in TEXT_NAMES or cell in LABEL_NAMES for cell in first):
        return True
    if len(rows) < 3:
        return False
    # A header cell is unlike the values below it: in a column whose values repeat (a label column), the
    # header value appears nowhere else; in a numeric column the header is not a number.
    for col, cell in enumerate(first):
        values = [row[col].strip().lower() for row in rows[1:200]]
        numeric = sum(_is_number(v) for v in values)
        if numeric > 0.9 * len(values) and not _is_number(cell):
            return True
        counts = Counter(values)
        repeated = len(counts) < 0.5 * len(values)
        if repeated and cell not in counts:
            return True
    return False


def _is_number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False


# ----------------------------------------------------------------------------------------------------------------
# Columns
# ----------------------------------------------------------------------------------------------------------------
def detect_columns(frame: pd.DataFrame, text_column: str | None = None,
                   label_column: str | None = None) -> tuple[str, str]:
    """Choose (text, label) columns: by name when a name says so, else by content; user choices win."""
    columns = list(frame.columns)
    for given, kind in ((text_column, "text"), (label_column, "label")):
        if given is not None and given not in columns:
            raise DataError(
                f"There is no column named '{given}' for the {kind}. The file's columns are: "
                f"{', '.join(map(repr, columns))}."
            )
    if len(columns) < 2:
        raise DataError(
            f"The data has only the column {columns[0]!r}. It needs a text column and a label column."
        )
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
                raise DataError("No column holds text in most rows. Check the file, or name the text column.")
            text = max(candidates, key=lambda c: stats[c]["mean_len"] * (0.5 + stats[c]["unique_ratio"]))
    if stats[text]["mean_len"] == 0:
        raise DataError(f"The text column '{text}' is empty in every row.")

    label = label_column
    if label is None:
        others = [c for c in columns if c != text]
        named = [c for c in others if c.lower() in LABEL_NAMES]
        if named:
            label = named[0]
        else:
            usable = [c for c in others if stats[c]["unique"] >= 2 and stats[c]["filled"] > 0.5]
            if not usable:
                raise DataError(
                    f"No column looks like a label column (columns: {', '.join(map(repr, columns))}). "
                    "Name it with --label-column."
                )
            # labels repeat: fewest distinct values relative to rows, shortest values to break ties
            label = min(usable, key=lambda c: (stats[c]["unique_ratio"], stats[c]["mean_len"]))
    if text == label:
        raise DataError(f"The text and the label cannot be the same column ('{text}').")
    return text, label


# ----------------------------------------------------------------------------------------------------------------
# Cleaning
# ----------------------------------------------------------------------------------------------------------------
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
        warnings.append(f"{source}: some labels differ only in upper/lower case or spaces ({shown}). They are "
                        "treated as different classes; if they mean the same class, write them the same way in the "
                        "file.")


def _sort_labels(names: set[str]) -> list[str]:
    if all(re.fullmatch(r"-?\d+", n) for n in names):
        return sorted(names, key=int)
    return sorted(names)


def _text_values(column: pd.Series) -> pd.Series:
    return column.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip())


def _drop_unusable(frame: pd.DataFrame, out: pd.DataFrame, source: str, warnings: list[str],
                   without_label: str) -> pd.DataFrame:
    """Rows of `out` (`text`, `label_name`) minus empty texts and missing labels, each counted in `warnings`;
    `without_label(n, rows)` words the missing-label warning."""
    bad_lines = frame.attrs.get("bad_lines")
    if bad_lines:
        shown = ", ".join(map(str, bad_lines[:10])) + (" ..." if len(bad_lines) > 10 else "")
        warnings.append(f"{source}: skipped {len(bad_lines)} malformed line(s) (line {shown}): wrong number of "
                        "columns or broken JSON.")
    empty = out["text"] == ""
    if empty.any():
        warnings.append(f"{source}: dropped {int(empty.sum())} row(s) with an empty text.")
    missing = out["label_name"].isna() & ~empty
    if missing.any():
        rows = (np.flatnonzero(missing.to_numpy())[:5] + 2).tolist()
        warnings.append(f"{source}: " + without_label(int(missing.sum()), ", ".join(map(str, rows))))
    return out[~empty & ~out["label_name"].isna()].reset_index(drop=True)


def clean_frame(frame: pd.DataFrame, text_column: str, label_column: str, source: str,
                warnings: list[str]) -> pd.DataFrame:
    """Columns `text`, `label_name`; empty texts and missing labels dropped and counted."""
    out = pd.DataFrame({"text": _text_values(frame[text_column]),
                        "label_name": frame[label_column].map(normalise_label)})
    return _drop_unusable(frame, out, source, warnings,
                          lambda n, rows: f"dropped {n} row(s) without a label (e.g. data row(s) {rows}).")


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
    message = f"{source}: {int(duplicated.sum())} duplicate text(s) removed, so no text appears in two splits."
    if n_conflicts:
        message += f" {n_conflicts} text(s) had different labels; the most common label was kept."
    warnings.append(message)
    return deduped.reset_index(drop=True)


# ----------------------------------------------------------------------------------------------------------------
# Multi-label
# ----------------------------------------------------------------------------------------------------------------
_BINARY_VALUES = {"0", "1", "0.0", "1.0", "true", "false", "yes", "no"}


def label_matrix(labels, n_labels: int, multi_label: bool) -> np.ndarray:
    out = np.zeros((len(labels), n_labels), dtype=np.float32)
    for row, value in enumerate(labels):
        out[row, list(value) if multi_label else int(value)] = 1.0
    return out


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
                          lambda n, _rows: f"dropped {n} row(s) without labels (an empty list [] counts as 'none of "
                                           "the labels' and is kept; a missing value does not).")


def _rarest_label_keys(label_ids: pd.Series, n_labels: int) -> np.ndarray:
    """One stratification key per row: its rarest label (rows without labels share a key of their own)."""
    counts = np.zeros(n_labels + 1, dtype=int)
    for ids in label_ids:
        counts[list(ids) or [n_labels]] += 1
    return np.array([min(ids, key=lambda i: counts[i]) if ids else n_labels for ids in label_ids])


# ----------------------------------------------------------------------------------------------------------------
# Splitting
# ----------------------------------------------------------------------------------------------------------------
def stratified_split(labels: np.ndarray, fractions: tuple[float, float], seed: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """Indices for train, validation, test; each class is split by itself so class shares stay the same.

    A class with fewer than 3 rows cannot appear in all three splits: all of its rows go to train, and its id
    is returned so the caller can say so.
    """
    val_frac, test_frac = fractions
    rng = np.random.default_rng(seed)
    train, val, test, too_small = [], [], [], []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        rng.shuffle(idx)
        n = len(idx)
        wants = (val_frac > 0) + (test_frac > 0)
        if n < 1 + wants:
            too_small.append(int(label))
            train.extend(idx)
            continue
        n_test = max(1, round(n * test_frac)) if test_frac > 0 else 0
        n_val = max(1, round(n * val_frac)) if val_frac > 0 else 0
        while n - n_test - n_val < 1:  # keep at least one for training
            if n_val > 1:
                n_val -= 1
            else:
                n_test -= 1
        test.extend(idx[:n_test])
        val.extend(idx[n_test:n_test + n_val])
        train.extend(idx[n_test + n_val:])
    return (rng.permutation(np.array(train, dtype=int)), np.array(sorted(val), dtype=int),
            np.array(sorted(test), dtype=int), too_small)


def _downsample(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    counts = frame["label"].value_counts()
    # a class of one or two rows must not shrink every other class to its size
    usable = counts[counts >= MIN_PER_CLASS_FOR_SPLIT]
    smallest = int(usable.min()) if len(usable) else int(counts.min())
    parts = [group.sample(n=min(smallest, len(group)), random_state=seed) for _, group in frame.groupby("label")]
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _subsample(frame: pd.DataFrame, n: int, seed: int, keys: np.ndarray | None = None) -> pd.DataFrame:
    if len(frame) <= n:
        return frame
    share = n / len(frame)
    keys = frame["label"].to_numpy() if keys is None else keys
    parts = [group.sample(n=max(1, round(len(group) * share)), random_state=seed)
             for _, group in frame.groupby(keys)]
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------------------------
# The whole way
# ----------------------------------------------------------------------------------------------------------------
def load_frame(path: str | Path, text_column: str | None = None, label_column: str | None = None
               ) -> tuple[pd.DataFrame, str, str]:
    frame = read_table(path)
    text, label = detect_columns(frame, text_column, label_column)
    return frame, text, label


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
    label_col = label_cols[0] if len(label_cols) == 1 else ", ".join(label_cols)

    def clean(table: pd.DataFrame, text: str, labels: list[str], source: str) -> pd.DataFrame:
        if multi:
            cleaned = clean_multilabel_frame(table, text, labels, label_delimiter, source, warnings)
        else:
            cleaned = clean_frame(table, text, labels[0], source, warnings)
        return _dedupe(cleaned, source, warnings)

    main = clean(frame, text_col, label_cols, name)
    if main.empty:
        raise DataError(f"{name} has no row with both a text and a label in columns '{text_col}' / '{label_col}'.")

    def side_file(path: str | Path | None) -> pd.DataFrame | None:
        if not path:
            return None
        side = read_table(path)
        if len(label_cols) > 1:
            missing = [c for c in label_cols if c not in side.columns]
            if missing:
                raise DataError(f"{Path(path).name} lacks the label column(s) {', '.join(map(repr, missing))} that "
                                f"{name} has; give it the same columns.")
            t = text_col if text_col in side.columns else None
            t, _ = detect_columns(side[[c for c in side.columns if c not in label_cols] + [label_cols[0]]], t,
                                  label_cols[0])
            return clean(side, t, label_cols, Path(path).name)
        t = text_col if text_col in side.columns else None
        lab = label_cols[0] if label_cols[0] in side.columns else None
        t, lab = detect_columns(side, t, lab)
        return clean(side, t, [lab], Path(path).name)

    val_given, test_given = side_file(validation_file), side_file(test_file)
    # Texts in a given validation/test file must not also be trained on.
    held_texts = set()
    for side in (val_given, test_given):
        if side is not None:
            held_texts |= set(side["text"])
    if held_texts:
        overlap = main["text"].isin(held_texts)
        if overlap.any():
            warnings.append(f"{name}: {int(overlap.sum())} text(s) also appear in the validation/test file; "
                            "they were removed from training to keep the evaluation honest.")
            main = main[~overlap].reset_index(drop=True)

    if main.empty:
        raise DataError(f"Every text of {name} also appears in the validation/test file, so nothing is left to "
                        "train on. Give a training file with other texts.")
    names = _sort_labels({n for names in main["label_name"] for n in names} if multi else set(main["label_name"]))
    _warn_near_duplicate_labels(names, name, warnings)
    if len(names) < 2:
        only = names[0] if names else "none"
        raise DataError(
            f"{name} has a single class ({only!r}) in column '{label_col}'. A classifier needs at least two "
            "classes; add examples of the other class(es), or check that the right label column was chosen."
        )
    label_space = LabelSpace(names)
    to_id = label_space.label2id

    def to_ids(series: pd.Series) -> pd.Series:
        if multi:
            return series.map(lambda names: [to_id[n] for n in names])
        return series.map(to_id).astype(int)

    main["label"] = to_ids(main["label_name"])

    def restrict(side: pd.DataFrame | None, role: str) -> pd.DataFrame | None:
        if side is None:
            return None
        if multi:
            unknown = sorted({n for row in side["label_name"] for n in row} - set(names))
            if unknown:
                warnings.append(f"The {role} file has label(s) never seen in training: "
                                f"{', '.join(map(repr, unknown[:10]))}. They were removed from its rows (the model "
                                "cannot predict a label it never saw); the rows' other labels are kept.")
                side = side.copy()
                side["label_name"] = side["label_name"].map(lambda row: tuple(n for n in row if n in to_id))
            side = side.copy()
            side["label"] = to_ids(side["label_name"])
            return side
        unknown = sorted(set(side["label_name"]) - set(names))
        if unknown:
            dropped = int(side["label_name"].isin(unknown).sum())
            warnings.append(
                f"The {role} file has label(s) never seen in training: {', '.join(map(repr, unknown[:10]))}. "
                f"Its {dropped} row(s) with those labels were left out: the model cannot predict a class it never "
                "saw."
            )
            side = side[~side["label_name"].isin(unknown)].reset_index(drop=True)
        if side.empty:
            raise DataError(f"The {role} file has no rows left with a label that training knows.")
        side = side.copy()
        side["label"] = side["label_name"].map(to_id).astype(int)
        return side

    val_given, test_given = restrict(val_given, "validation"), restrict(test_given, "test")
    fractions = (0.0 if val_given is not None else validation_fraction,
                 0.0 if test_given is not None else test_fraction)
    keys = _rarest_label_keys(main["label"], len(names)) if multi else main["label"].to_numpy()
    train_idx, val_idx, test_idx, too_small = stratified_split(keys, fractions, seed)
    too_small = [i for i in too_small if i < len(names)]
    if too_small:
        small = ", ".join(f"{names[i]!r} ({int((keys == i).sum())})" for i in too_small)
        warnings.append(
            f"Class(es) {small} have too few examples to appear in training, validation and test; all of their "
            "rows are used for training, so they are not evaluated. Add at least 10 examples per class for a "
            "meaningful score."
        )
    train = main.iloc[train_idx].reset_index(drop=True)
    validation = val_given if val_given is not None else main.iloc[val_idx].reset_index(drop=True)
    test = test_given if test_given is not None else main.iloc[test_idx].reset_index(drop=True)
    if validation.empty:
        # no validation split asked for: early stopping and best/ then use the training data's own loss; make it
        # explicit instead of silently evaluating on train
        raise DataError("The validation split is empty. Set a validation fraction above 0 or give a validation "
                        "file; it decides when to stop and which checkpoint is best.")
    if test.empty:
        raise DataError("The test split is empty. Set a test fraction above 0 or give a test file.")

    if balance and multi:
        raise DataError("Balancing (downsampling every class to the smallest) is for single-label data: in "
                        "multi-label data a text counts for several labels. Use class weights instead (--class-weights "
                        "balanced weighs each label's positives by how rare they are).")
    if balance:
        counts_before = train["label"].value_counts().sort_index()
        train = _downsample(train, seed)
        per_class = int(train["label"].value_counts().max())
        warnings.append(f"Balanced the training split: every class downsampled to {per_class} "
                        f"row(s) ({len(train)} rows left of {int(counts_before.sum())}). Validation and test keep "
                        "their natural class shares.")
    if max_train_samples and len(train) > max_train_samples:
        train = _subsample(train, max_train_samples, seed,
                           _rarest_label_keys(train["label"], len(names)) if multi else None)
        warnings.append(f"Using {len(train)} of the training rows (max_train_samples={max_train_samples}).")

    if multi:
        counts = pd.Series(Counter(n for row in main["label_name"] for n in row)).reindex(names).fillna(0)
        counts = counts.astype(int).sort_values(ascending=False)
        counts = counts[counts > 0]
    else:
        counts = main["label_name"].value_counts()
    ratio = counts.max() / counts.min()
    if ratio >= 3 and not balance:
        warnings.append(
            f"The classes are imbalanced (largest/smallest = {ratio:.1f}). Watch macro-F1 rather than accuracy; "
            "class weights or balancing may help the rare class(es)."
        )
    stats = {
        "source": str(data),
        "rows_read": int(len(frame)),
        "rows_used": int(len(main)),
        "class_counts": {k: int(v) for k, v in counts.reindex(names).items()},
        "splits": {"train": len(train), "validation": len(validation), "test": len(test)},
        "multi_label": multi,
    }
    if multi:
        per_row = main["label_name"].map(len)
        stats["labels_per_text"] = {"mean": round(float(per_row.mean()), 3), "max": int(per_row.max()),
                                    "none": int((per_row == 0).sum())}
    return PreparedData(train=train[["text", "label"]], validation=validation[["text", "label"]],
                        test=test[["text", "label"]], labels=label_space, text_column=text_col,
                        label_column=label_col, warnings=warnings, stats=stats, multi_label=multi)


def resolve_label_layout(frame: pd.DataFrame, text_column: str | None, label_column: str | None,
                         label_columns: list[str] | None, multi_label: str, delimiter: str, source: str,
                         warnings: list[str]) -> tuple[bool, str, list[str]]:
    """(multi-label?, text column, label column(s)): one label column, or one 0/1 column per label."""
    if multi_label not in ("auto", "yes", "no"):
        raise DataError(f"multi_label is {multi_label!r}; use auto, yes or no.")
    columns = list(frame.columns)
    if label_columns:
        missing = [c for c in label_columns if c not in columns]
        if missing:
            raise DataError(f"There is no column named {', '.join(map(repr, missing))} for the labels. The file's "
                            f"columns are: {', '.join(map(repr, columns))}.")
        if len(label_columns) == 1:
            label_column, label_columns = label_columns[0], None
    if not label_columns and label_column is None and multi_label != "no":
        binary = binary_label_columns(frame, text_column)
        named = [c for c in columns if c.lower() in LABEL_NAMES and c not in binary]
        if len(binary) >= 2 and not named:
            label_columns = binary
            warnings.append(f"{source}: multi-label data: the 0/1 columns {', '.join(map(repr, binary))} are read "
                            "as one label each, and a text may carry several. Name the label column(s) to change "
                            "this.")
    if label_columns:
        rest = [c for c in columns if c not in label_columns]
        if not rest:
            raise DataError("Every column is a label column; the data needs a text column as well.")
        text, _ = detect_columns(frame[rest + [label_columns[0]]], text_column, label_columns[0])
        return True, text, list(label_columns)
    text, label = detect_columns(frame, text_column, label_column)
    if multi_label == "yes":
        return True, text, [label]
    if multi_label == "auto" and looks_multi_label(frame[label], delimiter):
        warnings.append(f"{source}: multi-label data: the labels in column '{label}' look like lists (JSON lists or "
                        f"'{delimiter}'-separated), so a text may carry several labels (sigmoid outputs, a threshold "
                        "per label). Set multi-label to 'no' to treat each value as one class.")
        return True, text, [label]
    return False, text, [label]


# ----------------------------------------------------------------------------------------------------------------
# Summary
# ----------------------------------------------------------------------------------------------------------------
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def language_hint(texts: list[str] | pd.Series, sample: int = 2000) -> str:
    """'cjk' when most letters are Chinese/Japanese/Korean, 'latin' when mostly A-Z, else 'other'."""
    joined = "".join(list(texts)[:sample])
    cjk, latin = len(_CJK.findall(joined)), len(_LATIN.findall(joined))
    letters = sum(ch.isalpha() for ch in joined) or 1
    if cjk / letters > 0.3:
        return "cjk"
    if latin / letters > 0.7:
        return "latin"
    return "other"


def token_lengths(texts: list[str], tokenizer, sample: int = 5000, seed: int = 0) -> np.ndarray:
    texts = list(texts)
    if len(texts) > sample:
        rng = np.random.default_rng(seed)
        texts = [texts[i] for i in rng.choice(len(texts), sample, replace=False)]
    encoded = tokenizer(texts, add_special_tokens=True, truncation=False)["input_ids"]
    return np.array([len(ids) for ids in encoded])


def recommend_max_length(lengths: np.ndarray, model_limit: int, coverage: float = 0.95) -> int:
    """Smallest multiple of 8 that holds `coverage` of the texts whole, at least 16, at most the model's limit."""
    if len(lengths) == 0:
        return min(128, model_limit)
    value = int(math.ceil(np.percentile(lengths, coverage * 100) / 8.0) * 8)
    return int(max(16, min(value, model_limit)))


def unreadable_texts(texts: list[str], tokenizer, sample: int = 500) -> tuple[float, str] | None:
    """(share, an example) when over 10% of the texts are at least half unknown tokens; None otherwise."""
    unk = getattr(tokenizer, "unk_token_id", None)
    texts = [t for t in texts[:sample] if t.strip()]
    if unk is None or not texts:
        return None
    encoded = tokenizer([t[:2000] for t in texts], add_special_tokens=False, truncation=False)["input_ids"]
    bad = [t for t, ids in zip(texts, encoded) if not ids or sum(i == unk for i in ids) * 2 >= len(ids)]
    share = len(bad) / len(texts)
    return (share, bad[0]) if share > 0.1 else None


def summarize(texts: list[str] | pd.Series, labels: list[str] | pd.Series, tokenizer=None,
              model_limit: int = 512) -> dict[str, Any]:
    """What the Data tab and `data.json` show: counts, lengths in tokens, recommended max_length."""
    texts = list(texts)
    counts = Counter(labels)
    summary: dict[str, Any] = {
        "rows": len(texts),
        "classes": len(counts),
        "class_counts": dict(sorted(counts.items(), key=lambda kv: -kv[1])),
        "language": language_hint(texts),
        "chars_p50": int(np.median([len(t) for t in texts])) if texts else 0,
    }
    if tokenizer is not None and texts:
        lengths = token_lengths(texts, tokenizer)
        summary["token_length"] = {f"p{q}": int(np.percentile(lengths, q)) for q in (50, 90, 95, 99)}
        summary["token_length"]["max"] = int(lengths.max())
        summary["token_lengths_sample"] = lengths.tolist()[:2000]
        summary["model_limit"] = int(model_limit)
        summary["over_limit"] = int((lengths > model_limit).sum())
        summary["over_limit_share"] = float((lengths > model_limit).mean())
        summary["recommended_max_length"] = recommend_max_length(lengths, model_limit)
        unreadable = unreadable_texts(texts, tokenizer)
        if unreadable:
            summary["warnings"] = [
                f"{unreadable[0]:.0%} of the texts are mostly unknown to the model's tokenizer (for example "
                f"{unreadable[1][:40]!r}): the model cannot read their script, so it cannot learn from them. Choose "
                "a model that knows this language (multilingual-e5-small covers about 100), or check that the file's "
                "encoding was read correctly."]
    return summary
