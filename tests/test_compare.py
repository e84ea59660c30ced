"""Runs side by side (issue 13, part 3): test metrics, differing settings, validation curves and per-class F1 of
several runs; a leaderboard per data set; Predict and Evaluate open the best run on the latest data."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from classifier.compare import best_run_on_latest_data, compare, eval_curve, leaderboard
from classifier.errors import RunError
from classifier.runs import runs_root


def _copy_run(source: Path, name: str, started: str, **changes) -> Path:
    """A copy of a real run under another name, with some settings and its test macro-F1 changed: what a second
    run with other settings on the same data leaves in its folder."""
    target = runs_root() / name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("last", "checkpoints"))
    config = json.loads((target / "config.json").read_text(encoding="utf-8"))
    metrics = json.loads((target / "metrics.json").read_text(encoding="utf-8"))
    macro_f1 = changes.pop("macro_f1", None)
    config.update(changes)
    if macro_f1 is not None:
        metrics["macro_f1"] = macro_f1
    (target / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (target / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    events = (target / "events.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(events[0])
    first["time"] = started  # list order: when the run started
    (target / "events.jsonl").write_text("\n".join([json.dumps(first), *events[1:]]) + "\n", encoding="utf-8")
    return target


@pytest.fixture
def two_runs(sms_run):
    a = _copy_run(sms_run.run_dir, "run-a", "2026-01-01T10:00:00")
    b = _copy_run(sms_run.run_dir, "run-b", "2026-01-01T11:00:00", learning_rate=5e-5, epochs=4.0,
                  macro_f1=0.5)
    return a, b


def test_two_runs_on_the_same_data_side_by_side(two_runs, sms_run):
    result = compare(["run-a", "run-b"])
    assert [r.name for r in result.runs] == ["run-a", "run-b"]
    assert result.differing == ["epochs", "learning_rate"]
    rows = {row["setting"]: row for row in result.settings_rows()}
    assert rows["learning_rate"]["differs"] and rows["learning_rate"]["run-b"] == 5e-5
    assert not rows["model"]["differs"] and rows["model"]["run-a"] == sms_run.metrics["model"]
    a, b = result.runs
    assert a.metrics["macro_f1"] == pytest.approx(sms_run.metrics["macro_f1"]) and b.metrics["macro_f1"] == 0.5
    assert set(a.per_class_f1) == {"ham", "spam"}
    assert a.per_class_f1["spam"] == pytest.approx(sms_run.metrics["per_class"]["spam"]["f1"])
    assert a.curve and all(isinstance(step, int) for step, _, _ in a.curve)
    assert result.to_dict()["same_data"] is True


def test_runs_compare_cli_prints_both_runs(two_runs, capsys, sms_run):
    from classifier.cli import main

    assert main(["runs", "--compare", "run-a", "run-b"]) == 0
    out = capsys.readouterr().out
    assert "run-a" in out and "run-b" in out
    assert f"{sms_run.metrics['macro_f1']:.4f}" in out and "0.5000" in out
    assert "* learning_rate" in out and "* epochs" in out and "  model" in out
    assert main(["runs", "--compare", "run-a", "run-b", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in data["runs"]] == ["run-a", "run-b"]
    assert data["differing_settings"] == ["epochs", "learning_rate"]
    assert main(["runs", "--compare", "run-a"]) == 2
    assert "two or more" in capsys.readouterr().err


def test_the_leaderboard_groups_by_data_and_predict_opens_the_best(two_runs, tmp_path):
    board = leaderboard()
    assert len(board) == 1 and [s.name for s in board[0]] == ["run-a", "run-b"]  # best macro-F1 first
    assert best_run_on_latest_data().name == "run-a"  # not the newest (run-b)
    # a newer run on other data makes that data the latest
    other = _copy_run(two_runs[0], "run-c", "2026-01-01T12:00:00")
    data = json.loads((other / "data.json").read_text(encoding="utf-8"))
    data["fingerprints"] = {"data": "0" * 64}
    (other / "data.json").write_text(json.dumps(data), encoding="utf-8")
    assert len(leaderboard()) == 2 and best_run_on_latest_data().name == "run-c"


def test_the_runs_tab_highlights_the_settings_that_differ(two_runs):
    pytest.importorskip("gradio")
    from classifier.webui.runs_tab import comparison_views

    note, metrics, settings, curves, f1 = comparison_views(compare(["run-a", "run-b"]), "en")
    assert "Same data" in note and "epochs, learning_rate" in note
    assert list(metrics.columns) == ["test set", "run-a", "run-b"]
    html = settings.to_html()
    frame = settings.data
    differing = [i for i, label in enumerate(frame.iloc[:, 0]) if label.startswith("● ")]
    assert [frame.iloc[i, 0] for i in differing] == ["● epochs", "● learning_rate"]
    rule = html.split("background-color: #fef3c7")[0].rsplit("}", 1)[-1]  # the selectors of the highlight rule
    highlighted = set(re.findall(r"row(\d+)_col(\d+)", rule))
    assert highlighted == {(str(i), str(c)) for i in differing for c in range(3)}  # every cell of those rows
    assert {trace.name for trace in curves.data} == {"run-a", "run-b"}
    assert [trace.name for trace in f1.data] == ["run-a", "run-b"] and list(f1.data[0].x) == ["ham", "spam"]


def test_predict_and_evaluate_default_to_the_best_run_on_the_latest_data(two_runs):
    pytest.importorskip("gradio")
    from classifier.webui.common import run_choices
    from classifier.webui.predict_tab import resolve_run

    assert resolve_run("").name == "run-a"
    assert resolve_run("run-b").name == "run-b"
    labels = dict((name, label) for label, name in run_choices("metrics"))
    assert labels["run-a"].startswith("★ ") and not labels["run-b"].startswith("★")


def test_a_resumed_runs_replayed_steps_are_dropped_from_its_curve():
    events = [{"type": "eval", "step": 10, "eval_macro_f1": 0.5, "eval_loss": 0.9},
              {"type": "eval", "step": 20, "eval_macro_f1": 0.6, "eval_loss": 0.8},
              {"type": "eval", "step": 30, "eval_macro_f1": 0.7, "eval_loss": 0.7},
              {"type": "status", "status": "started", "resumed_from_step": 20},
              {"type": "eval", "step": 30, "eval_macro_f1": 0.65, "eval_loss": 0.75},
              {"type": "eval", "step": 40, "eval_macro_f1": 0.8, "eval_loss": 0.6}]
    assert eval_curve(events) == [(10, 0.5, 0.9), (20, 0.6, 0.8), (30, 0.65, 0.75), (40, 0.8, 0.6)]
    events.insert(3, {"type": "eval", "step": 35, "eval_macro_f1": 0.1, "eval_loss": 2.0})  # lost with the kill
    assert (35, 0.1, 2.0) not in eval_curve(events)


def test_comparing_a_run_with_itself_or_a_missing_run_is_refused(two_runs):
    with pytest.raises(RunError, match="named twice"):
        compare(["run-a", "run-a"])
    with pytest.raises(RunError):
        compare(["run-a", "no-such-run"])


def test_a_cell_of_the_confusion_matrix_lists_its_texts(sms_run):
    """Evaluate: the matrix as a clickable table; a cell (true row, predicted column) lists exactly its texts."""
    pytest.importorskip("gradio")
    import pandas as pd

    from classifier.webui.evaluate_tab import cell_texts, matrix_table

    metrics = sms_run.metrics
    table = matrix_table(metrics, "en")
    frame = table.data
    assert list(frame.columns) == ["true ↓ · predicted →", "ham", "spam"]
    assert frame.iloc[:, 1:].values.tolist() == metrics["confusion_matrix"]
    assert "background-color" in table.to_html()
    predictions = pd.read_csv(sms_run.run_dir / "predictions.csv", dtype=str, keep_default_na=False)
    for gold in ("ham", "spam"):
        for predicted in ("ham", "spam"):
            texts = cell_texts(sms_run.run_dir, gold, predicted, "en")
            expected = ((predictions["gold"] == gold) & (predictions["predicted"] == predicted)).sum()
            assert len(texts) == min(expected, 500)
            assert set(texts["true"]) <= {gold} and set(texts["predicted"]) <= {predicted}
    # a multi-label run's metrics hold a 2x2 matrix per label (per_label_confusion), no matrix of classes
    multi = {k: v for k, v in metrics.items() if k != "confusion_matrix"}
    assert matrix_table({**multi, "multi_label": True, "per_label_confusion": {}}, "en") is None


def test_a_cell_of_right_answers_is_named_in_the_filter_box_and_can_be_picked_again(sms_run):
    """A click on ham/ham listed the right answers under "all errors (n)" in the filter box; now the box names the
    cell, and picking it there lists the same texts (errors only for the other pairs)."""
    pytest.importorskip("gradio")
    from types import SimpleNamespace

    from classifier.webui.evaluate_tab import pick_cell, show_errors

    shutil.copytree(sms_run.run_dir, runs_root() / "sms-cells")
    matrix = sms_run.metrics["confusion_matrix"]
    box, texts = pick_cell("sms-cells", "en", SimpleNamespace(index=[0, 1]))  # true ham, predicted ham
    pair = json.dumps(["ham", "ham"])
    assert box.value == pair and (f"ham → ham: right ({matrix[0][0]})", pair) in box.choices
    assert box.choices[0][0] == f"all errors ({matrix[0][1] + matrix[1][0]})"
    assert len(texts) == min(matrix[0][0], 500) and set(texts["true"]) == set(texts["predicted"]) == {"ham"}
    assert show_errors("sms-cells", pair, "en").equals(texts)
    box, texts = pick_cell("sms-cells", "en", SimpleNamespace(index=[1, 1]))  # true spam, predicted ham: errors
    assert box.value == json.dumps(["spam", "ham"]) and not any("right" in label for label, _ in box.choices)
    assert show_errors("sms-cells", box.value, "en").equals(texts) and len(texts) == matrix[1][0]


def test_explaining_a_test_text_over_the_text_limit_says_so(sms_run, monkeypatch):
    """Evaluate's "why this label" for a clicked test text: one over CLASSIFIER_MAX_TEXT_CHARS is refused with the
    message, not left blank (the Predict tab's views stay quiet there because its prediction says it)."""
    gr = pytest.importorskip("gradio")
    from types import SimpleNamespace

    from classifier.webui.evaluate_tab import explain_error

    shutil.copytree(sms_run.run_dir, runs_root() / "sms-why")
    row = ["Call now to claim your prize " * 4, "spam", "spam", 0.99]
    words, note = explain_error("sms-why", "en", SimpleNamespace(row_value=row))
    assert "spam" in note and words
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT_CHARS", "50")
    with pytest.raises(gr.Error, match="CLASSIFIER_MAX_TEXT_CHARS"):
        explain_error("sms-why", "en", SimpleNamespace(row_value=row))


def test_comparison_cells_show_seconds_to_one_decimal_and_scores_to_four():
    from classifier.webui.runs_tab import _shown

    assert _shown(8.2, seconds=True) == "8.2"
    assert _shown(1234.56, seconds=True) == "1234.6"
    assert _shown(0.912345) == "0.9123"
    assert _shown(0.0001, setting=True) == "0.0001" and _shown(None) == "–" and _shown(True) == "True"


def test_the_cli_comparison_prints_times_to_one_decimal(capsys, monkeypatch):
    from types import SimpleNamespace

    from classifier import cli
    from classifier.compare import Comparison

    runs = [SimpleNamespace(name=name, metrics={"train_seconds": seconds, "accuracy": 0.91234}, settings={},
                            per_class_f1={}, data_key="d") for name, seconds in (("a", 8.2), ("b", 12.26))]
    monkeypatch.setattr("classifier.compare.compare", lambda names: Comparison(runs=runs))
    assert cli._print_comparison(["a", "b"], as_json=False) == 0
    rows = {row.split()[0]: row.split()[1:] for row in capsys.readouterr().out.splitlines() if row.strip()}
    assert rows["train_seconds"] == ["8.2", "12.3"]
    assert rows["accuracy"] == ["0.9123", "0.9123"]
