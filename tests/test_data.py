"""Reading, detecting, cleaning and splitting real and deliberately awkward files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from classifier.data import (
    decode_bytes,
    detect_columns,
    language_hint,
    prepare_data,
    read_table,
    recommend_max_length,
    stratified_split,
    summarize,
)
from classifier.errors import DataError

from .conftest import SMS, THUCNEWS

ROWS = [("spam", "WIN a free prize now, call 0800"), ("ham", "see you at lunch"), ("ham", "ok thanks"),
        ("spam", "Claim your reward, text YES"), ("ham", "running late, sorry"), ("ham", "what time is it?"),
        ("spam", "URGENT! you won cash"), ("ham", "love you mum")]


def write(tmp_path, name, content, encoding="utf-8"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding=encoding)
    return path


def test_samples_are_read_with_their_columns_and_labels():
    sms = prepare_data(SMS)
    assert sms.labels.names == ["ham", "spam"]
    assert (sms.text_column, sms.label_column) == ("text", "label")
    assert sum(sms.split_sizes().values()) == sms.stats["rows_used"] == 4534  # 4862 minus 328 duplicates
    news = prepare_data(THUCNEWS)
    assert set(news.labels.names) == {"财经", "股票", "房产", "教育", "科技", "社会", "时政", "体育", "游戏", "娱乐"}
    assert news.split_sizes() == {"train": 7000, "validation": 1500, "test": 1500}


def test_split_is_stratified_seeded_and_leak_free():
    a, b = prepare_data(SMS, seed=7), prepare_data(SMS, seed=7)
    assert a.train["text"].tolist() == b.train["text"].tolist()
    c = prepare_data(SMS, seed=8)
    assert a.train["text"].tolist() != c.train["text"].tolist()
    train, val, test = set(a.train["text"]), set(a.validation["text"]), set(a.test["text"])
    assert not (train & val or train & test or val & test)
    spam_share = [frame["label"].mean() for frame in (a.train, a.validation, a.test)]
    assert max(spam_share) - min(spam_share) < 0.01


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_chinese_csv_in_any_common_encoding(tmp_path, encoding):
    pairs = [("体育", "国足晋级世界杯"), ("财经", "央行下调利率"), ("体育", "湖人击败勇士")] * 4
    rows = "标签,内容\n" + "\n".join(f"{lab},{text}" for lab, text in pairs)
    path = write(tmp_path, "news.csv", rows, encoding=encoding)
    frame = read_table(path)
    text, label = detect_columns(frame)
    assert (text, label) == ("内容", "标签")
    assert "国足晋级世界杯" in frame["内容"].tolist()


def test_headerless_label_tab_text_and_three_columns(tmp_path):
    two = write(tmp_path, "a.txt", "\n".join(f"{lab}\t{text}" for lab, text in ROWS))
    frame = read_table(two)
    assert len(frame) == len(ROWS)  # no row taken for a header
    assert detect_columns(frame) == ("column_2", "column_1")
    three = write(tmp_path, "b.txt", "\n".join(f"{lab}\tnews\t{text}" for lab, text in ROWS))
    frame = read_table(three)
    assert detect_columns(frame)[0] == "column_3"


def test_tab_inside_text_and_quotes_are_kept(tmp_path):
    path = write(tmp_path, "q.tsv", 'label\ttext\nham\tsay "hi\tthere"\nspam\tfree "money\nham\tok\n')
    frame = read_table(path)
    assert frame["text"].tolist() == ['say "hi\tthere"', 'free "money', "ok"]


def test_jsonl_json_and_excel(tmp_path):
    records = [{"text": t, "label": lab} for lab, t in ROWS]
    jsonl = write(tmp_path, "d.jsonl", "\n".join(json.dumps(r) for r in records) + "\n{broken\n")
    frame = read_table(jsonl)
    assert len(frame) == len(ROWS) and frame.attrs["bad_lines"] == [len(ROWS) + 1]
    array = write(tmp_path, "d.json", json.dumps(records))
    assert len(read_table(array)) == len(ROWS)
    xlsx = tmp_path / "d.xlsx"
    pd.DataFrame(records).to_excel(xlsx, index=False)
    assert detect_columns(read_table(xlsx)) == ("text", "label")


def test_integer_and_float_labels_keep_the_users_names(tmp_path):
    rows = "\n".join(f"text {i} {lab},{lab}" for i in range(4) for lab in ("1.0", "0", "2"))
    path = write(tmp_path, "n.csv", "sentence,y\n" + rows)
    data = prepare_data(path, validation_fraction=0.34, test_fraction=0.34)
    assert data.labels.names == ["0", "1", "2"]


def test_empty_texts_missing_labels_and_duplicates_are_reported(tmp_path):
    lines = ["text,label"] + [f'"{t}",{lab}' for lab, t in ROWS] + [",ham", "orphan text,", "ok thanks,ham",
                                                                     "ok thanks,spam"]
    data = prepare_data(write(tmp_path, "m.csv", "\n".join(lines)), validation_fraction=0.2, test_fraction=0.2)
    joined = " ".join(data.warnings)
    assert "1 row(s) with an empty text" in joined
    assert "1 row(s) without a label" in joined
    assert "2 duplicate text(s) removed" in joined and "different labels" in joined
    assert sum(data.split_sizes().values()) == len(ROWS)


@pytest.mark.parametrize("content,expected", [
    (b"", "is empty"),
    ("text,label\n", "no data rows"),
    (bytes(range(256)) * 40, "binary"),
    ("text,label\n" + "\n".join(f"hello {i},ham" for i in range(10)), "single class"),
    ("only one column\nanother line\n", "single column"),
])
def test_bad_files_raise_clear_errors(tmp_path, content, expected):
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(DataError, match=expected):
        prepare_data(path)


def test_unknown_column_names_the_columns(tmp_path):
    path = write(tmp_path, "c.csv", "text,label\n" + "\n".join(f'"{t}",{lab}' for lab, t in ROWS))
    with pytest.raises(DataError, match="no column named 'body'.*'text', 'label'"):
        prepare_data(path, text_column="body")


def test_tiny_classes_go_to_train_and_are_named(tmp_path):
    rows = [(lab, t) for lab, t in ROWS] + [("other", "a single rare example")]
    path = write(tmp_path, "s.csv", "text,label\n" + "\n".join(f'"{t}",{lab}' for lab, t in rows))
    data = prepare_data(path, validation_fraction=0.2, test_fraction=0.2)
    assert any("'other' (1)" in w and "training" in w for w in data.warnings)
    assert "a single rare example" in data.train["text"].tolist()


def test_labels_only_in_the_test_file_are_reported(tmp_path):
    train = write(tmp_path, "train.csv", "text,label\n" + "\n".join(f'"{t} {i}",{lab}' for lab, t in ROWS
                                                                   for i in range(2)))
    test = write(tmp_path, "test.csv", "text,label\nbrand new,unknown\nfree cash,spam\nhi there,ham\n")
    data = prepare_data(train, test_file=test)
    assert any("never seen in training: 'unknown'" in w for w in data.warnings)
    assert data.test["text"].tolist() == ["free cash", "hi there"]


def test_balance_downsamples_only_training():
    data = prepare_data(SMS, balance=True)
    counts = data.train["label"].value_counts()
    assert counts.nunique() == 1
    assert data.validation["label"].value_counts().nunique() == 2  # natural shares kept


def test_stratified_split_keeps_a_row_for_training():
    labels = np.array([0] * 3 + [1] * 50)
    train, val, test, small = stratified_split(labels, (0.15, 0.15), seed=0)
    assert small == [] and (labels[train] == 0).sum() == 1 and (labels[test] == 0).sum() == 1


def test_summary_lengths_and_language():
    from classifier.backbones import bundled_path
    from classifier.modeling import load_tokenizer

    tok = load_tokenizer(bundled_path("all-MiniLM-L6-v2"))
    frame = pd.read_csv(SMS, sep="\t", quoting=3)
    summary = summarize(frame["text"], frame["label"], tok, 512)
    assert summary["classes"] == 2 and summary["language"] == "latin"
    assert summary["token_length"]["p50"] < summary["recommended_max_length"] <= 128
    assert summary["recommended_max_length"] % 8 == 0
    assert language_hint(["恒生AH溢指收平", "皮特爱女客串新片"]) == "cjk"
    assert recommend_max_length(np.array([5, 6, 7]), 512) == 16
    assert recommend_max_length(np.array([1000] * 10), 512) == 512


def test_decode_bytes_detects_gbk():
    text, encoding = decode_bytes("财经新闻".encode("gbk"))
    assert text == "财经新闻" and encoding == "gb18030"
