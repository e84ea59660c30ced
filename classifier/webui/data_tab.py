"""Data tab: pick a sample or upload a file, check the detected columns, read the summary, set the split.

The summary is the engine's own (`analysis.analyse`), computed in a worker process with a time limit
(`analysis.analyse_bounded`): a hostile file costs at most CLASSIFIER_LOAD_TIMEOUT seconds, in a process of its
own, and up to DATA_CONCURRENCY visitors' files are read at once; one visitor's events run one at a time, in order.
"""

from __future__ import annotations

import re
import secrets
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from .. import charts
from ..datasources import HUB_PREFIX
from ..label_issues import DEFAULT_METHOD, KEEP, apply_corrections, label_issues_of_file
from ..messages import render as message_text
from ..runs import ASSETS
from ..security import (
    UPLOAD_EXTENSIONS,
    label_issues_max_rows,
    label_issues_timeout,
    max_upload_bytes,
    max_upload_mb,
    safe_filename,
)
from ..worker import TimeLimitExceeded, call_with_time_limit
from .analysis import DataInfo, analyse_bounded
from .common import ConfigForm, default, html_escape, md_escape, one_at_a_time, shows_errors
from .exports import purge_exports
from .i18n import t, tr

SAMPLES = {"sms": ASSETS / "sms_spam.tsv", "news": ASSETS / "thucnews_titles.tsv"}
# hub:NAME[:CONFIG][:SPLIT]: an owner/name repository id, then an optional config and split
HUB_NAME = re.compile(r"[A-Za-z0-9][\w.-]{0,95}(/[\w.-]{1,96})?(:[\w.-]{0,64}){0,2}")
FILE_TYPES = list(UPLOAD_EXTENSIONS)  # also checked on the server (check_upload), not only by the browser
DATA_CONCURRENCY = 4  # data files read at once, each in a worker process of its own, for all visitors together
LOAD_OUTPUTS = 8  # the Data tab's outputs when data is (re)loaded: the values of render() and cleared()
IMBALANCE = {"keep": {"balance": False, "class_weights": "none"},
             "balance": {"balance": True, "class_weights": "none"},
             "weights": {"balance": False, "class_weights": "balanced"}}


def check_upload(path: str | Path, lang: str = "en", name: str | None = None) -> Path:
    """An uploaded file the app accepts: still there, of an expected type, not over the size limit.

    Gradio checks the type and size too (File(file_types=...), launch(max_file_size=...)); this is the same rule
    on the server side of every handler, whatever the client. Raises gr.Error with a message in the page's language.
    """
    path = Path(path)
    name = name or path.name
    if not path.is_file():
        raise gr.Error(tr(lang, "upload_missing"), duration=None, print_exception=False)
    ext = path.suffix.lower()
    if ext not in UPLOAD_EXTENSIONS:
        raise gr.Error(tr(lang, "upload_bad_type", name=html_escape(name), ext=html_escape(ext or "?"),
                          types=", ".join(UPLOAD_EXTENSIONS)), duration=None, print_exception=False)
    size = path.stat().st_size
    if size > max_upload_bytes():
        raise gr.Error(tr(lang, "upload_too_big", name=html_escape(name), size=f"{size / 1024 / 1024:.0f}",
                          limit=f"{max_upload_mb():g}"), duration=None, print_exception=False)
    return path


@shows_errors
def upload_analysis(path: str | Path, lang: str = "en", validation_file: str | None = None,
                    test_file: str | None = None, **split: Any) -> tuple[DataInfo, pd.DataFrame]:
    """What the Data tab does with an uploaded file (and the optional validation/test files): check it, then
    analyse it in a worker process with a time limit; the summary and a preview of the file. Every problem becomes
    a gr.Error with a message the user can act on."""
    for extra in (validation_file, test_file):
        if extra:
            check_upload(extra, lang)
    return analyse_bounded(check_upload(path, lang), validation_file=validation_file, test_file=test_file, **split)


def upload_info(path: str | Path, lang: str = "en", **settings: Any) -> DataInfo:
    """The summary of `upload_analysis`."""
    return upload_analysis(path, lang, **settings)[0]


def summary_markdown(info: DataInfo, lang: str) -> str:
    return tr(lang, "data_summary", rows_used=info.rows_used, rows_read=info.rows_read,
              classes=len(info.class_counts), language=tr(lang, f"lang_{info.language}"), model=md_escape(info.model),
              p50=info.p50, recommended=info.recommended_max_length, **info.splits) + extra_markdown(info, lang)


def extra_markdown(info: DataInfo, lang: str) -> str:
    """Multi-label data and texts over the model's limit, said in words."""
    text = ""
    if info.multi_label:
        text += "\n\n" + tr(lang, "data_multilabel")
    if info.model_limit:
        text += "\n\n" + tr(lang, "data_over_limit", n=info.over_limit, limit=info.model_limit)
    return text


def warnings_markdown(info: DataInfo, lang: str) -> str:
    if not info.warnings:
        return f"✓ {tr(lang, 'no_warnings')}"
    # warnings quote file names, labels, columns
    return "\n".join(f"- ⚠ {md_escape(message_text(w, lang))}" for w in info.warnings)


# ---------------------------------------------------------------------------------------------------------------
# Likely label errors (classifier/label_issues.py): find, decide per row, save a corrected copy
# ---------------------------------------------------------------------------------------------------------------
ISSUE_HEADERS = ("issues_col_row", "issues_col_text", "issues_col_given", "issues_col_suggested", "issues_col_score",
                 "issues_col_decision")  # the table's columns, in label_issues.COLUMNS order, then the decision
CORRECTED_DIRNAME = "corrected"  # $GRADIO_TEMP_DIR/corrected/<random>/<name>-corrected.csv
CORRECTED_MAX_AGE = 86_400.0  # kept a day, as uploads are


def _columns_of(info: dict) -> dict[str, str | None]:
    """The columns the Data tab settled on; several 0/1 label columns (shown joined) are detected again."""
    label = info.get("label_column")
    return {"text_column": info.get("text_column"),
            "label_column": label if label in (info.get("columns") or []) else None}


def find_label_issues_table(info: dict | None, method: str, lang: str) -> tuple[dict, pd.DataFrame, str]:
    """(what was searched, the ranked table with a `keep` decision per row, a sentence): the search runs in a
    worker process, stopped after CLASSIFIER_LABEL_ISSUES_TIMEOUT seconds; a file of more than
    CLASSIFIER_LABEL_ISSUES_MAX_ROWS distinct texts is refused."""
    if not info:
        raise gr.Error(tr(lang, "issues_no_data"), print_exception=False)
    columns = _columns_of(info)
    seconds = label_issues_timeout()
    try:
        report = call_with_time_limit(label_issues_of_file, str(info["path"]), seconds=seconds,
                                      method=method or DEFAULT_METHOD, model=info.get("model") or "auto",
                                      max_rows=label_issues_max_rows(), **columns)
    except TimeLimitExceeded:
        raise gr.Error(tr(lang, "issues_timeout", seconds=seconds), duration=None, print_exception=False) from None
    table = report.to_frame()
    table["decision"] = KEEP
    table.columns = [tr(lang, key) for key in ISSUE_HEADERS]
    name = md_escape(info.get("name") or "")
    if report.issues:
        method_name = f"{report.method}, {report.model}" if report.model else report.method
        note = tr(lang, "issues_found", n=len(report.issues), rows=report.rows_checked, name=name,
                  method=md_escape(method_name), folds=report.folds, seconds=f"{report.seconds:g}")
    else:
        note = tr(lang, "issues_none", rows=report.rows_checked, name=name)
    searched = {"path": str(info["path"]), "labels": report.labels, "multi_label": report.multi_label, **columns}
    return searched, table, note


def set_decision(table: pd.DataFrame, row: float | None, decision: str | None, lang: str) -> pd.DataFrame:
    """The table with the decision of data row `row` set (`keep`, `drop` or a label)."""
    if table is None or not len(table):
        raise gr.Error(tr(lang, "issues_nothing"), print_exception=False)
    rows = pd.to_numeric(table.iloc[:, 0], errors="coerce")
    hit = rows == (int(row) if row is not None else -1)
    if not hit.any():
        raise gr.Error(tr(lang, "issues_not_found", row=html_escape(row)), print_exception=False)
    table = table.copy()
    table.iloc[hit.to_numpy().nonzero()[0], 5] = (decision or KEEP).strip() or KEEP
    return table


def accept_suggestions(table: pd.DataFrame) -> pd.DataFrame:
    """Every row's decision: relabel to the suggestion."""
    if table is None or not len(table):
        return table
    table = table.copy()
    table.iloc[:, 5] = table.iloc[:, 3]
    return table


def corrected_path(name: str) -> Path:
    """A fresh private folder under $GRADIO_TEMP_DIR/corrected for a corrected data file (old ones go after a
    day) and a readable name in it: `sms_spam-corrected.csv`."""
    from gradio.utils import get_upload_folder

    root = Path(get_upload_folder()) / CORRECTED_DIRNAME
    root.mkdir(parents=True, exist_ok=True)
    purge_exports(root, max_age=CORRECTED_MAX_AGE, keep=64, grace=CORRECTED_MAX_AGE)
    folder = Path(tempfile.mkdtemp(prefix=f"{secrets.token_hex(8)}-", dir=root))
    return folder / f"{Path(safe_filename(name, 'data')).stem}-corrected.csv"


def save_corrected_file(info: dict | None, searched: dict | None, table: pd.DataFrame | None, lang: str
                        ) -> tuple[Path, dict]:
    """Write the loaded file with the table's decisions applied to a NEW file (the original is never written);
    (its path, counts {"relabelled", "dropped", "rows"})."""
    if not searched or table is None or not len(table):
        raise gr.Error(tr(lang, "issues_nothing"), print_exception=False)
    if not info or str(info["path"]) != searched["path"]:
        raise gr.Error(tr(lang, "issues_stale"), print_exception=False)
    decisions = {int(float(row)): decision for row, decision in zip(table.iloc[:, 0], table.iloc[:, 5])}
    return apply_corrections(searched["path"], decisions, corrected_path(info.get("name") or "data"),
                             searched["text_column"], searched["label_column"])


@dataclass
class DataTab:
    state: gr.State
    sms_button: gr.Button
    news_button: gr.Button
    upload: gr.File
    preview: gr.Dataframe
    text_column: gr.Dropdown
    label_column: gr.Dropdown
    summary: gr.Markdown
    class_plot: gr.Plot
    length_plot: gr.Plot
    warnings: gr.Markdown
    split_inputs: list[Any]
    loads: list[Any]  # the events that (re)load the data: other tabs chain on them with .success()


def render(analysed: tuple[DataInfo, pd.DataFrame], lang: str, notify: bool = False):
    """The Data tab's outputs for an analysed file: state, preview, columns, summary, charts, warnings."""
    info, frame = analysed
    if notify:
        gr.Info(tr(lang, "loaded", name=html_escape(info.name)), duration=3)
    return (
        asdict(info), gr.Dataframe(frame, visible=True),
        gr.Dropdown(choices=info.columns, value=info.text_column),
        gr.Dropdown(choices=info.columns, value=info.label_column),
        summary_markdown(info, lang),
        gr.Plot(charts.class_counts(info.class_counts, tr(lang, "chart_classes"), tr(lang, "chart_class"),
                                    tr(lang, "chart_examples")), visible=True),
        gr.Plot(charts.length_histogram(info.lengths, info.recommended_max_length, info.model_limit,
                                        tr(lang, "chart_lengths"), tr(lang, "chart_tokens"),
                                        tr(lang, "chart_texts"), tr(lang, "chart_recommended"),
                                        tr(lang, "chart_limit")), visible=True),
        gr.Markdown(warnings_markdown(info, lang), visible=True,
                    elem_classes=["tcs-warnings"] if info.warnings else ["tcs-ok"]),
    )


def cleared(message: str) -> tuple:
    """Nothing of the data loaded before stays on the page or in use (after a failed upload, Train would
    otherwise have used the old data under the new file's error)."""
    return (None, gr.Dataframe(None, visible=False), gr.Dropdown(choices=[], value=None),
            gr.Dropdown(choices=[], value=None), message, gr.Plot(None, visible=False),
            gr.Plot(None, visible=False), gr.Markdown("", visible=False))


def failed_upload(path: str | None, lang: str):
    """After an upload that failed (its message is on the page): nothing of the data loaded before stays."""
    return cleared(tr(lang, "data_failed", name=md_escape(Path(str(path)).name if path else "")))


@dataclass
class _IssuesSection:
    """The likely-label-errors accordion's components, and the state of the search shown in it."""
    method: gr.Radio
    find: gr.Button
    note: gr.Markdown
    table: gr.Dataframe
    row: gr.Number
    decision: gr.Dropdown
    set: gr.Button
    accept: gr.Button
    save: gr.Button
    state: gr.State


def build(form: ConfigForm, lang_box: gr.Textbox) -> DataTab:
    gr.Markdown(t("data_intro"))
    sms_button, news_button, upload, hub_name, hub_button, preview = _sources()
    with gr.Row():
        text_column = form.bind(gr.Dropdown([], label=t("text_column"), info=t("column_info"),
                                            elem_id="text-column"), "text_column")
        label_column = form.bind(gr.Dropdown([], label=t("label_column"), info=t("column_info"),
                                             elem_id="label-column"), "label_column")
    summary = gr.Markdown(t("data_none"), elem_id="data-summary")
    with gr.Row():
        class_plot = gr.Plot(show_label=False, elem_id="class-plot", visible=False)
        length_plot = gr.Plot(show_label=False, elem_id="length-plot", visible=False)
    warnings = gr.Markdown(elem_classes=["tcs-warnings"], elem_id="data-warnings", visible=False)
    split_inputs = _split_settings(form)
    issues = _issues_section()
    state = gr.State(None)

    outputs = [state, preview, text_column, label_column, summary, class_plot, length_plot, warnings]
    tab = DataTab(state=state, sms_button=sms_button, news_button=news_button, upload=upload, preview=preview,
                  text_column=text_column, label_column=label_column, summary=summary, class_plot=class_plot,
                  length_plot=length_plot, warnings=warnings, split_inputs=split_inputs, loads=[])  # loads: below
    tab.loads = _wire_loads(tab, hub_name, hub_button, lang_box, outputs)
    _wire_issues(tab, issues, lang_box, outputs)
    return tab


def _sources() -> tuple[gr.Button, gr.Button, gr.File, gr.Textbox, gr.Button, gr.Dataframe]:
    """Where the data comes from (the samples, an upload, a hub data set) beside the preview of it; returns
    (sms button, news button, upload, hub name, hub button, preview)."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=260):
            sms_button = gr.Button(t("sample_sms"), variant="secondary", elem_id="sample-sms")
            news_button = gr.Button(t("sample_news"), variant="secondary", elem_id="sample-news")
            upload = gr.File(label=t("upload"), file_types=FILE_TYPES, type="filepath", height=120,
                             elem_id="data-upload")
            with gr.Row():
                hub_name = gr.Textbox(label=t("hub_name"), placeholder="imdb", info=t("hub_info"), scale=3,
                                      max_length=200, elem_id="hub-name")
                hub_button = gr.Button(t("hub_load"), scale=1, size="sm", elem_id="hub-load")
        with gr.Column(scale=3):
            preview = gr.Dataframe(label=t("preview"), interactive=False, wrap=True, max_height=300,
                                   elem_id="data-preview", visible=False)  # no empty "1 2 3" table before data
    return sms_button, news_button, upload, hub_name, hub_button, preview


def _split_settings(form: ConfigForm) -> list[Any]:
    """The split settings accordion, bound to the form; returns the split inputs: validation fraction, test
    fraction, seed, imbalance, validation file, test file (the order `_split_args` takes them in)."""
    with gr.Accordion(t("split_settings"), open=True):
        gr.Markdown(t("split_info"))
        with gr.Row():
            validation_fraction = form.bind(gr.Slider(0.05, 0.4, value=default("validation_fraction"), step=0.05,
                                                      label=t("validation_fraction"), elem_id="validation-fraction"),
                                            "validation_fraction")
            test_fraction = form.bind(gr.Slider(0.05, 0.4, value=default("test_fraction"), step=0.05,
                                                label=t("test_fraction"), elem_id="test-fraction"), "test_fraction")
            seed = form.bind(gr.Number(default("seed"), precision=0, label=t("seed"), info=t("seed_info")), "seed")
        with gr.Row():
            validation_file = form.bind(gr.File(label=t("validation_file"), file_types=FILE_TYPES, height=130),
                                        "validation_file")
            test_file = form.bind(gr.File(label=t("test_file"), file_types=FILE_TYPES, height=130), "test_file")
        imbalance = form.bind(
            gr.Radio([(t("imbalance_keep"), "keep"), (t("imbalance_balance"), "balance"),
                      (t("imbalance_weights"), "weights")], value="keep", label=t("imbalance"),
                     info=t("imbalance_info"), elem_id="imbalance"),
            convert=lambda choice: IMBALANCE[choice or "keep"])
    return [validation_fraction, test_fraction, seed, imbalance, validation_file, test_file]


def _issues_section() -> _IssuesSection:
    """The likely-label-errors accordion: find them, decide per row, save a corrected copy."""
    with gr.Accordion(t("issues_title"), open=False, elem_id="issues"):
        gr.Markdown(t("issues_info"))
        with gr.Row():
            issues_method = gr.Radio([(t(f"issues_method_{m}"), m) for m in ("both", "features", "tfidf")],
                                     value=DEFAULT_METHOD, label=t("issues_method"), scale=3, elem_id="issues-method")
            issues_find = gr.Button(t("issues_find"), scale=1, elem_id="issues-find")
        issues_note = gr.Markdown(elem_id="issues-note")
        issues_table = gr.Dataframe(label=t("issues_table"), interactive=True, wrap=True, max_height=400,
                                    static_columns=[0, 1, 2, 3, 4], elem_id="issues-table",
                                    # the text wraps; given, suggested and decision stay in view without scrolling
                                    column_widths=["6%", "52%", "12%", "12%", "8%", "10%"])
        with gr.Row(equal_height=True):
            issue_row = gr.Number(label=t("issues_row"), precision=0, minimum=1, elem_id="issue-row")
            issue_decision = gr.Dropdown([KEEP, "drop"], value=KEEP, label=t("issues_decision"),
                                         allow_custom_value=True, elem_id="issue-decision")
            issue_set = gr.Button(t("issues_set"), size="sm", elem_id="issue-set")
            issues_accept = gr.Button(t("issues_accept_all"), size="sm", elem_id="issues-accept")
        issues_save = gr.Button(t("issues_save"), variant="primary", elem_id="issues-save")
    issues_state = gr.State(None)  # what the table was found for: the file, its columns, the labels
    return _IssuesSection(method=issues_method, find=issues_find, note=issues_note, table=issues_table,
                          row=issue_row, decision=issue_decision, set=issue_set, accept=issues_accept,
                          save=issues_save, state=issues_state)


def _split_args(val_frac, test_frac, seed_value, imbalance_choice, val_file, test_file_value) -> dict:
    """The analysis's keyword arguments from the values of the split inputs."""
    return {"validation_fraction": val_frac, "test_fraction": test_frac, "seed": int(seed_value or 0),
            "balance": IMBALANCE[imbalance_choice or "keep"]["balance"], "validation_file": val_file,
            "test_file": test_file_value}


def sample_loader(name: str):
    """The handler of a sample's button."""
    @shows_errors
    def load_sample(lang: str, request: gr.Request, *split):
        with one_at_a_time(request):
            return render(analyse_bounded(SAMPLES[name], sample=name, **_split_args(*split)), lang, notify=True)

    return load_sample


@shows_errors
def load_upload(path: str | None, lang: str, request: gr.Request, *split):
    if not path:
        return (gr.skip(),) * LOAD_OUTPUTS
    with one_at_a_time(request):
        return render(upload_analysis(path, lang, **_split_args(*split)), lang, notify=True)


@shows_errors
def load_hub(name: str | None, lang: str, request: gr.Request, *split):
    """A Hugging Face hub data set by name (hub:NAME[:CONFIG][:SPLIT]): fetched and read in the worker, under
    the same time limit as a file; offline it says at once how to use a file instead."""
    name = (name or "").strip().removeprefix(HUB_PREFIX)
    if not HUB_NAME.fullmatch(name):
        raise gr.Error(tr(lang, "hub_bad_name", name=html_escape(name[:100])), print_exception=False)
    with one_at_a_time(request):
        return render(analyse_bounded(HUB_PREFIX + name, **_split_args(*split)), lang, notify=True)


@shows_errors
def reanalyse(current: dict | None, text_col: str, label_col: str, lang: str, request: gr.Request, *split):
    if not current:
        return (gr.skip(),) * LOAD_OUTPUTS
    same_file = text_col in current["columns"] and label_col in current["columns"]
    columns = {"text_column": text_col if same_file else None, "label_column": label_col if same_file else None}
    with one_at_a_time(request):
        if current.get("sample") or str(current["path"]).startswith(HUB_PREFIX):
            return render(analyse_bounded(current["path"], **columns, sample=current["sample"],
                                          **_split_args(*split)), lang)
        return render(upload_analysis(current["path"], lang, **columns, **_split_args(*split)), lang)


def _wire_loads(tab: DataTab, hub_name: gr.Textbox, hub_button: gr.Button, lang_box: gr.Textbox,
                outputs: list[Any]) -> list[Any]:
    """Register the events that (re)load the data; returns them (DataTab.loads)."""
    split_inputs = tab.split_inputs
    # Files are read in worker processes with a time limit (analysis.analyse_bounded); up to DATA_CONCURRENCY at
    # once, so one slow file does not hold up other visitors. One visitor's events run one at a time, in the order
    # they came (one_at_a_time): the summary shown is the one of the latest settings.
    common = {"outputs": outputs, "api_visibility": "undocumented", "show_progress_on": [tab.summary],
              "concurrency_id": "data", "concurrency_limit": DATA_CONCURRENCY}
    loads = [
        tab.sms_button.click(sample_loader("sms"), [lang_box, *split_inputs], api_name="load_sms_sample", **common),
        tab.news_button.click(sample_loader("news"), [lang_box, *split_inputs], api_name="load_news_sample",
                              **common),
        uploaded := tab.upload.upload(load_upload, [tab.upload, lang_box, *split_inputs], api_name="load_file",
                                      **common),
        hub_button.click(load_hub, [hub_name, lang_box, *split_inputs], api_name="load_hub_dataset", **common),
    ]
    uploaded.failure(failed_upload, [tab.upload, lang_box], outputs, api_visibility="private")
    reanalyse_inputs = [tab.state, tab.text_column, tab.label_column, lang_box, *split_inputs]
    validation_fraction, test_fraction, seed, imbalance, validation_file, test_file = split_inputs
    for event in (tab.text_column.input, tab.label_column.input, validation_fraction.release, test_fraction.release,
                  seed.blur, imbalance.input, validation_file.upload, validation_file.clear, test_file.upload,
                  test_file.clear):
        loads.append(event(reanalyse, reanalyse_inputs, trigger_mode="always_last", **common))
    return loads


@shows_errors
def find_issues(info: dict | None, method: str, lang: str, request: gr.Request, progress=gr.Progress()):
    progress(0, desc=tr(lang, "issues_running"))
    with one_at_a_time(request):
        searched, table, note = find_label_issues_table(info, method, lang)
    return searched, table, note, gr.Dropdown(choices=[KEEP, "drop", *searched["labels"]], value=KEEP)


def picked_row(table: pd.DataFrame, evt: gr.SelectData):
    return table.iloc[evt.index[0], 0] if table is not None and len(table) else gr.skip()


@shows_errors
def save_corrected(info: dict | None, searched: dict | None, table: pd.DataFrame | None, lang: str,
                   request: gr.Request, *split):
    with one_at_a_time(request):
        path, counts = save_corrected_file(info, searched, table, lang)
        rendered = render(upload_analysis(path, lang, **_split_args(*split)), lang)
    return (*rendered, None, tr(lang, "issues_saved", name=md_escape(path.name), **counts))


def _wire_issues(tab: DataTab, issues: _IssuesSection, lang_box: gr.Textbox, outputs: list[Any]) -> None:
    """Register the events of the likely-label-errors section."""
    private = {"api_visibility": "undocumented"}
    issues.find.click(find_issues, [tab.state, issues.method, lang_box],
                      [issues.state, issues.table, issues.note, issues.decision],
                      concurrency_id="label_issues", concurrency_limit=1, show_progress_on=[issues.note], **private)
    issues.table.select(picked_row, [issues.table], [issues.row], **private)
    issues.set.click(set_decision, [issues.table, issues.row, issues.decision, lang_box], [issues.table], **private)
    issues.accept.click(accept_suggestions, [issues.table], [issues.table], **private)
    issues.save.click(save_corrected, [tab.state, issues.state, issues.table, lang_box, *tab.split_inputs],
                      [*outputs, issues.state, issues.note], concurrency_id="data",
                      concurrency_limit=DATA_CONCURRENCY, **private)
