"""Likely label errors (classifier/label_issues.py): planted flips come first, the CLI writes its CSV, and the Data
tab's save writes a new file with the decisions applied while the original stays as it was."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from classifier.label_issues import (
    COLUMNS,
    apply_corrections,
    find_label_issues,
    label_issues_of_file,
    read_labelled,
)

from .conftest import SMS, THUCNEWS

PLANTED = 6


def _planted_file(tmp_path, source=SMS, n=300, seed=0, name="small.tsv"):
    """The first `n` texts of a sample with PLANTED labels flipped to another class; (file, flipped texts)."""
    frame = pd.read_csv(source, sep="\t", dtype=str).drop_duplicates("text").head(n).reset_index(drop=True)
    classes = sorted(frame["label"].unique())
    rng = np.random.default_rng(seed)
    flipped = rng.choice(len(frame), size=PLANTED, replace=False)
    for i in flipped:
        frame.loc[i, "label"] = rng.choice([c for c in classes if c != frame.loc[i, "label"]])
    path = tmp_path / name
    frame.to_csv(path, sep="\t", index=False)
    return path, set(frame.loc[flipped, "text"])


def test_planted_flips_rank_first(tmp_path):
    path, planted = _planted_file(tmp_path)
    report = label_issues_of_file(path, method="features")
    assert report.model == "all-MiniLM-L6-v2" and report.rows_checked == 300 and not report.multi_label
    ranked = [issue.text for issue in report.issues]
    assert planted <= set(ranked[:PLANTED + 2]), ranked[:PLANTED + 2]
    scores = [issue.score for issue in report.issues]
    assert scores == sorted(scores)  # most suspicious (lowest probability of the given label) first
    first = report.issues[0]
    assert first.suggested_label != first.given_label and first.row >= 1


def test_multi_label(tmp_path):
    """Multi-label data (JSON lists): cleanlab's multi-label mode; flipped rows are flagged."""
    frame = pd.read_csv(THUCNEWS, sep="\t", dtype=str)
    frame = frame[frame["label"].isin(["体育", "游戏", "房产"])].drop_duplicates("text").head(300)
    frame = frame.reset_index(drop=True)
    frame["labels"] = frame["label"].map(lambda c: json.dumps([c], ensure_ascii=False))
    swap = {"体育": "房产", "游戏": "体育", "房产": "游戏"}
    planted = list(range(0, 300, 50))
    for i in planted:
        frame.loc[i, "labels"] = json.dumps([swap[frame.loc[i, "label"]]], ensure_ascii=False)
    path = tmp_path / "multi.jsonl"
    frame[["text", "labels"]].to_json(path, orient="records", lines=True, force_ascii=False)
    data = read_labelled(path)
    assert data.multi_label
    report = find_label_issues(data, method="both")  # e5 sentence vectors and TF-IDF
    flagged = {issue.text for issue in report.issues}
    assert sum(frame.loc[i, "text"] in flagged for i in planted) >= len(planted) // 2
    # a multi-label relabel is written as a list the reader parses back
    issue = report.issues[0]
    out, counts = apply_corrections(path, {issue.row: "体育|游戏"}, tmp_path / "fixed.csv")
    again = read_labelled(out)
    assert counts["relabelled"] == 1 and again.multi_label
    assert [again.names[i] for i in again.labels[again.texts.index(issue.text)]] == ["体育", "游戏"]


def test_cli_writes_csv(tmp_path):
    from classifier.cli import main

    path, planted = _planted_file(tmp_path)
    out = tmp_path / "issues.csv"
    assert main(["label-issues", "--data", str(path), "--method", "tfidf", "--folds", "3", "--output", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == list(COLUMNS) and len(table)
    assert table["score"].is_monotonic_increasing
    assert planted & set(table["text"].head(20))
    # bad input: exit 2 with a message, no traceback
    assert main(["label-issues", "--data", str(tmp_path / "missing.csv"), "--output", str(out)]) == 2


def test_data_tab_save_writes_new_file(tmp_path, monkeypatch):
    """The Data tab's handlers, called directly: find (in the worker process), set decisions, save."""
    gr = pytest.importorskip("gradio")
    from classifier.errors import DataError
    from classifier.webui import data_tab

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    path, planted = _planted_file(tmp_path, n=200)
    original = path.read_bytes()
    info = {"path": str(path), "name": path.name, "columns": ["label", "text"], "text_column": "text",
            "label_column": "label", "model": "all-MiniLM-L6-v2"}
    searched, table, note = data_tab.find_label_issues_table(info, "tfidf", "en")
    assert len(table) >= 2 and list(table.columns)[0] == "row" and set(table.iloc[:, 5]) == {"keep"}
    assert "likely label error" in note
    first, second = int(table.iloc[0, 0]), int(table.iloc[1, 0])
    suggestion = table.iloc[0, 3]
    table = data_tab.set_decision(table, first, suggestion, "en")
    table = data_tab.set_decision(table, second, "drop", "en")
    new_path, counts = data_tab.save_corrected_file(info, searched, table, "en")
    assert new_path != path and new_path.is_file() and path.read_bytes() == original
    assert counts == {"relabelled": 1, "dropped": 1, "rows": 199}
    before = pd.read_csv(path, sep="\t", dtype=str)
    after = pd.read_csv(new_path, dtype=str)
    assert len(after) == len(before) - 1
    assert before.loc[second - 1, "text"] not in set(after["text"])
    relabelled = after[after["text"] == before.loc[first - 1, "text"]]
    assert relabelled["label"].tolist() == [suggestion] != [before.loc[first - 1, "label"]]
    # a decision that is no class is refused with the row named
    bad = data_tab.set_decision(table, first, "no-such-class", "en")
    with pytest.raises(DataError, match=f"Row {first}"):
        data_tab.save_corrected_file(info, searched, bad, "en")
    # data loaded since the search: refused, not applied to another file
    with pytest.raises(gr.Error, match="changed"):
        data_tab.save_corrected_file({**info, "path": str(new_path)}, searched, table, "en")
