"""Bytes in, a DataFrame of strings out: encodings, formats, header rows, and bounded sizes.

  read_table      bytes -> DataFrame: encoding (UTF-8, BOM, UTF-16, GBK/GB18030), format (CSV, TSV, JSONL/JSON,
                  XLSX, Parquet, headerless `label<TAB>text` and `label<TAB>category<TAB>text`), header row.
  check_workbook  an .xlsx is a zip of XML: its expanded size and row count are checked before parsing.

Every limit (columns, rows, bytes, sniffed characters) comes from `classifier.security`.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..messages import say
from ..security import MAX_COLUMNS, SNIFF_SAMPLE_CHARS, max_sheet_rows, max_sheet_xml_bytes
from .columns import LABEL_NAMES, TEXT_NAMES

EXCEL_EXTENSIONS = (".xlsx", ".xlsm", ".xls")

JSON_EXTENSIONS = (".jsonl", ".ndjson", ".json")



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
        raise DataError(say("data_binary", source=source))
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
        raise DataError(say("read_unknown_encoding", source=source))
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
    from ..datasources import HUB_PREFIX, is_dataset_folder, read_parquet, resolve_sources

    if str(path).startswith(HUB_PREFIX) or is_dataset_folder(Path(path)):
        path = resolve_sources(str(path)).data  # the training split, as a Parquet file in the cache
    path = Path(path)
    if not path.exists():
        raise DataError(say("read_no_such_file", path=str(path)))
    if path.is_dir():
        raise DataError(say("read_is_folder", path=str(path)))
    if path.stat().st_size == 0:
        raise DataError(say("data_file_empty", name=path.name))
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame = read_parquet(path, max_sheet_rows(), max_sheet_xml_bytes())
    elif suffix in EXCEL_EXTENSIONS:
        frame = _read_excel(path, sheet)
    else:
        text, _encoding = decode_bytes(path.read_bytes(), path.name)
        if _looks_binary(text):
            raise DataError(say("read_not_text", name=path.name))
        if not text.strip():
            raise DataError(say("data_file_empty", name=path.name))
        if suffix in JSON_EXTENSIONS or _first_line_is_json(text):
            frame = _read_json(text, path.name)
        else:
            frame = _read_delimited(text, path.name)
    check_columns(len(frame.columns), path.name)
    frame = frame.dropna(axis=1, how="all")
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty and frame.attrs.get("bad_lines"):
        lines = ", ".join(map(str, frame.attrs["bad_lines"][:10]))
        raise DataError(say("read_no_usable_rows", name=path.name, lines=lines))
    if frame.empty or len(frame.columns) == 0:
        raise DataError(say("data_no_rows", name=path.name))
    return frame



def check_columns(count: int, name: str) -> None:
    """At most MAX_COLUMNS columns: the column detection looks at every one (100,000 columns: minutes)."""
    if count > MAX_COLUMNS:
        raise DataError(say("read_too_many_columns", name=name, count=count, limit=MAX_COLUMNS))



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
                raise DataError(say("read_sheet_too_big", name=path.name, mb=xml / 2**20,
                                    limit_mb=max_sheet_xml_bytes() / 2**20))
            for member in sheets:
                _check_sheet_size(_count_rows(archive, member), 0, path.name)
    except (zipfile.BadZipFile, OSError):
        raise DataError(say("read_bad_xlsx", name=path.name)) from None



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
        raise DataError(say("read_too_many_rows", name=name, limit=max_sheet_rows()))
    check_columns(columns, name)



def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        check_workbook(path)
    try:  # nrows: never more than one row past the limit, whatever check_workbook counted
        sheets = pd.read_excel(path, sheet_name=None if sheet is None else sheet, dtype=object,
                               nrows=max_sheet_rows() + 1)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise DataError(say("read_excel_failed", name=path.name, reason=str(exc))) from None
    if isinstance(sheets, pd.DataFrame):  # only with an explicit sheet
        sheets = {sheet: sheets}
    for frame in sheets.values():
        _check_sheet_size(len(frame), len(frame.columns), path.name)
    for frame in sheets.values():  # the first sheet that has data
        if not frame.dropna(how="all").empty:
            return _below_title_rows(frame.dropna(how="all"))
    raise DataError(say("read_sheets_empty", name=path.name))



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
            raise DataError(say("read_bad_json", name=name, line=exc.lineno, column=exc.colno,
                                reason=exc.msg)) from None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise DataError(say("read_json_not_records", name=name))
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
        raise DataError(say("read_no_json_lines", name=name))
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
            raise DataError(say("read_bad_csv", name=name, reason=str(exc))) from None
        if text.count('"') % 2 and any("\n" in cell for row in rows for cell in row):
            line = _unclosed_quote_line(lines)
            raise DataError(say("read_unclosed_quote", name=name, line=line))
        if not rows:
            raise DataError(say("read_empty", name=name))
        width = Counter(len(r) for r in rows).most_common(1)[0][0]
        fixed = []
        for number, row in enumerate(rows, start=1):
            if len(row) != width:
                bad_rows.append(number)
                continue
            fixed.append(row)
        rows = fixed
    if not rows:
        raise DataError(say("read_inconsistent_columns", name=name))
    check_columns(width, name)
    if width < 2:
        raise DataError(say("read_single_column", name=name))
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
