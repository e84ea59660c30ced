"""The engine's messages (classifier/messages.py, classifier/message_catalogue.py): every key in both languages,
events.jsonl written in English and shown in Chinese, errors that keep their key across processes, the CLI's
language."""

from __future__ import annotations

import json
import os
import pickle
import string
import subprocess
import sys
from pathlib import Path

import pytest

from classifier.errors import DataError
from classifier.events import EventWriter, read_events
from classifier.message_catalogue import CATALOGUE
from classifier.messages import Message, cli_lang, error_text, event_text, from_event, render, say

ROOT = Path(__file__).resolve().parents[1]
BAD_INPUTS = ROOT / "tests" / "bad_inputs"


def _names(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name)


def test_every_message_has_both_languages_with_the_same_placeholders():
    for key, (en, zh) in CATALOGUE.items():
        if key != "empty":
            assert en.strip() and zh.strip(), key
        assert _names(en) == _names(zh), key
        if en.strip():
            # the Chinese text says it in Chinese, not the English sentence again
            literal = "".join(text for text, _, _, _ in string.Formatter().parse(en))
            assert en != zh or not any(c.isascii() and c.isalpha() for c in literal), key


def test_a_message_is_its_english_text_and_renders_in_chinese():
    message = say("data_duplicates", source="sms_spam.tsv", n=328,
                  conflicts=say("data_duplicate_conflicts", n=2))
    assert message == ("sms_spam.tsv: 328 duplicate text(s) removed, so no text appears in two splits. 2 text(s) had "
                       "different labels; the most common label was kept.")
    assert isinstance(message, str) and message.key == "data_duplicates"
    zh = render(message, "zh-CN")
    assert zh.startswith("sms_spam.tsv：删除了 328 条重复文本") and "2 条文本的标签不一致" in zh
    assert render(message, "en") == message and render("plain text", "zh-CN") == "plain text"
    assert pickle.loads(pickle.dumps(message)).params["conflicts"].key == "data_duplicate_conflicts"
    with pytest.raises(KeyError):
        say("no_such_message")


def test_an_events_file_written_in_english_is_shown_in_chinese(tmp_path):
    events = EventWriter(tmp_path / "events.jsonl")
    summary = say("test_summary", accuracy=0.98, macro_f1=0.96,
                  baseline=say("test_summary_baseline", accuracy=0.95, macro_f1=0.9), seconds=42.0)
    events.status("finished", say("status_finished", summary=summary))
    events.log(say("data_imbalanced", ratio=6.5))
    events.log("An old line without a key.")
    written = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    # the English text stays where old readers look for it, the key and parameters beside it
    assert written[0]["message"] == ("Finished. Test accuracy 0.9800, macro-F1 0.9600 (TF-IDF baseline 0.9500 / "
                                     "0.9000); 42s in all.")
    assert written[0]["key"] == "status_finished" and written[0]["params"]["summary"]["key"] == "test_summary"
    assert "key" not in written[2]
    shown = [event_text(e, "zh-CN") for e in read_events(tmp_path / "events.jsonl")]
    assert shown[0] == "已完成。测试准确率 0.9800，macro-F1 0.9600（TF-IDF 基线 0.9500 / 0.9000）；共用时 42 秒。"
    assert shown[1].startswith("各类别数量不均衡（最大类/最小类 = 6.5）")
    assert shown[2] == "An old line without a key."  # older events are shown as they are
    assert [event_text(e, "en") for e in written] == [e["message"] for e in written]
    # an unknown key (a newer engine) or broken parameters fall back to the English text
    assert event_text({"key": "from_the_future", "message": "Hello."}, "zh-CN") == "Hello."
    assert event_text({"key": "status_started", "params": {}, "message": "Started."}, "zh-CN") == "Started."
    assert render(from_event(written[1]), "zh-CN") == shown[1] and from_event(written[1]) == written[1]["message"]


@pytest.mark.parametrize("params", [[1, 2], "abc", 5, {"zzz": 1}, {"summary": {"key": "test_summary", "params": 5}}])
def test_a_damaged_events_line_is_shown_as_written_and_lists_still_work(tmp_path, params):
    """A copied-in or hand-edited events.jsonl: key and params that do not fit must not break the run list."""
    from classifier.runs import list_runs

    event = {"key": "status_finished", "params": params, "message": "Finished as written."}
    assert event_text(event, "zh-CN") == "Finished as written." and from_event(event) == "Finished as written."
    assert render(from_event(event), "zh-CN") == "Finished as written."
    assert render({"key": "status_finished", "params": params}, "zh-CN")  # no exception
    run = tmp_path / "runs" / "damaged"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"data": "x.tsv"}), encoding="utf-8")
    (run / "events.jsonl").write_text(json.dumps({"time": "2026-12-01T00:00:00", "type": "status",
                                                  "status": "finished", **event}) + "\n", encoding="utf-8")
    assert [info.name for info in list_runs(tmp_path / "runs")] == ["damaged"]


def test_the_train_tab_log_is_shown_in_the_pages_language(tmp_path):
    from classifier.webui.runner import TrainingRunner

    run = tmp_path / "run"
    run.mkdir()
    events = EventWriter(run / "events.jsonl")
    events.status("started", say("status_started", device=say("device_cpu", cores=2)), device="CPU (2 cores)")
    events.log(say("log_data_sizes", train=898, validation=453, test=453, n=2))
    view = TrainingRunner(root=tmp_path).view(run)
    assert view.logs[0].endswith("Training started on CPU (2 cores).")
    assert view.logs[1].endswith("Data: 898 training, 453 validation and 453 test rows; 2 classes.")
    zh = view.log_lines("zh-CN")
    assert zh[0].endswith("训练已在 2 核 CPU 上开始。")
    assert zh[1].endswith("数据：训练 898 行，验证 453 行，测试 453 行；2 个类别。")


def test_engine_errors_keep_their_key_across_processes():
    from classifier.data import prepare_data

    with pytest.raises(DataError) as caught:
        prepare_data(BAD_INPUTS / "header_only.csv")
    assert str(caught.value) == "File header_only.csv has no data rows (only a header, or nothing at all)."
    copy = pickle.loads(pickle.dumps(caught.value))  # the bounded worker sends errors back pickled
    assert isinstance(copy.args[0], Message)
    assert error_text(copy, "zh-CN") == "文件 header_only.csv 没有数据行（只有表头，或什么都没有）。"
    assert error_text(copy, "en") == str(caught.value) and error_text(ValueError("x"), "zh-CN") == "x"


def test_the_data_warnings_of_the_sms_sample_come_in_chinese():
    from classifier.data import prepare_data

    data = prepare_data(ROOT / "assets" / "sms_spam.tsv")
    keys = {w.key for w in data.warnings}
    assert {"data_duplicates", "data_imbalanced"} <= keys
    for warning in data.warnings:
        assert not any(word in render(warning, "zh-CN") for word in ("removed", "imbalanced", "classes")), warning


@pytest.mark.parametrize("environ, lang", [
    ({}, "en"), ({"LANG": "en_US.UTF-8"}, "en"), ({"LANG": "zh_CN.UTF-8"}, "zh-CN"),
    ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh-CN"), ({"CLASSIFIER_LANG": "zh-CN"}, "zh-CN"),
    ({"CLASSIFIER_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
])
def test_the_cli_language_comes_from_classifier_lang_or_the_locale(environ, lang):
    assert cli_lang(environ) == lang


def test_the_cli_says_its_errors_in_chinese_with_classifier_lang(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    command = [sys.executable, "-m", "classifier", "inspect", "--data", str(BAD_INPUTS / "header_only.csv")]
    zh = subprocess.run(command, cwd=ROOT, env={**env, "CLASSIFIER_LANG": "zh-CN"}, capture_output=True, text=True,
                        timeout=120)
    assert zh.returncode == 2
    assert zh.stderr.strip() == "错误：文件 header_only.csv 没有数据行（只有表头，或什么都没有）。"
    en = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert en.returncode == 2
    assert en.stderr.strip() == "Error: File header_only.csv has no data rows (only a header, or nothing at all)."


_ENGLISH_WORDS = {"the", "is", "has", "of", "and", "no", "not", "text", "texts", "file", "folder", "run", "save",
                  "split", "upload", "try", "again", "characters", "labels", "per", "there", "this", "app"}


def _no_english_sentence(text: str) -> bool:
    import re

    text = re.sub(r"`[^`]*`|[\w./-]*[/.][\w./-]*", "", text)  # commands, file names and paths stay as they are
    return not _ENGLISH_WORDS & set(re.findall(r"[a-z_]+", text.lower()))  # setting names stay whole


def test_upload_encoding_and_run_errors_come_in_chinese(tmp_path, monkeypatch):
    import charset_normalizer

    from classifier.data.readers import decode_bytes, read_table
    from classifier.errors import RunError
    from classifier.runs import resolve_run_dir
    from classifier.security import check_texts

    monkeypatch.setenv("CLASSIFIER_MAX_PREDICT_TEXTS", "2")
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT_CHARS", "10")
    caught = []
    for call in (lambda: check_texts(["a", "b", "c"], "big.csv"),  # more texts than a file may hold
                 lambda: check_texts(["short", "x" * 11], "long.csv")):  # a text over the limit
        with pytest.raises(DataError) as error:
            call()
        caught.append(error.value)
    monkeypatch.setattr(charset_normalizer, "from_bytes", lambda raw: type("R", (), {"best": lambda self: None})())
    with pytest.raises(DataError) as error:
        decode_bytes(b"\x80\xff not text", "odd.csv")  # neither UTF-8 nor GB18030
    caught.append(error.value)
    with pytest.raises(DataError) as error:
        read_table(tmp_path / "missing.csv")
    caught.append(error.value)
    with pytest.raises(RunError) as error:
        resolve_run_dir("sms-2024", root=tmp_path)
    caught.append(error.value)
    assert str(caught[0]) == ("big.csv has 3 texts; this app labels up to 2 per file (CLASSIFIER_MAX_PREDICT_TEXTS). "
                              "Split the file and upload the parts.")
    assert str(caught[2]) == "Cannot tell the text encoding of odd.csv. Save it as UTF-8 and try again."
    zh = [error_text(e, "zh-CN") for e in caught]
    assert zh[0] == ("big.csv 有 3 条文本；本应用每个文件最多标注 2 条（CLASSIFIER_MAX_PREDICT_TEXTS）。"
                     "请拆分文件后分别上传。")
    assert zh[1].startswith("long.csv：第 2 条文本有 11 个字符")
    assert zh[2] == "无法识别 odd.csv 的文本编码。请另存为 UTF-8 后重试。"
    assert zh[3].startswith("文件 ") and zh[3].endswith("missing.csv 不存在。")
    assert zh[4].startswith("sms-2024 处没有运行文件夹")
    for error, text in zip(caught, zh):
        assert _no_english_sentence(text), text
        assert not _no_english_sentence(str(error))  # the check tells an English sentence
        assert error_text(error, "en") == str(error)


def test_a_runs_status_word_is_translated_inside_a_sentence():
    message = say("run_not_resumable", name="sms-2024", status=say("run_state_finished"))
    assert message == "Run sms-2024 is finished: only an interrupted, stopped or failed run can be resumed."
    assert render(message, "zh-CN") == "运行 sms-2024 的状态为“已完成”：只有已中断、已停止或失败的运行才能继续。"
    for status in ("starting", "started", "running", "evaluating", "finished", "stopped", "failed", "interrupted",
                   "unknown"):  # RunStatus.status
        assert say(f"run_state_{status}") == status
