"""Data tab: pick a sample or upload a file, check the detected columns, read the summary, set the split.

The summary is the engine's own (`analysis.analyse`), computed in a worker process with a time limit
(`analysis.analyse_bounded`): a hostile file costs at most CLASSIFIER_LOAD_TIMEOUT seconds, in a process of its
own, and up to DATA_CONCURRENCY visitors' files are read at once; one visitor's events run one at a time, in order.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from .. import charts
from ..datasources import HUB_PREFIX
from ..security import UPLOAD_EXTENSIONS, max_upload_bytes, max_upload_mb
from .analysis import DataInfo, analyse_bounded
from .common import ConfigForm, default, html_escape, md_escape, one_at_a_time, shows_errors
from .i18n import t, tr
from .runner import ASSETS

SAMPLES = {"sms": ASSETS / "sms_spam.tsv", "news": ASSETS / "thucnews_titles.tsv"}
# hub:NAME[:CONFIG][:SPLIT]: an owner/name repository id, then an optional config and split
HUB_NAME = re.compile(r"[A-Za-z0-9][\w.-]{0,95}(/[\w.-]{1,96})?(:[\w.-]{0,64}){0,2}")
FILE_TYPES = list(UPLOAD_EXTENSIONS)  # also checked on the server (check_upload), not only by the browser
DATA_CONCURRENCY = 4  # data files read at once, each in a worker process of its own, for all visitors together
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
    return "\n".join(f"- ⚠ {md_escape(w)}" for w in info.warnings)  # warnings quote file names, labels, columns


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


def build(form: ConfigForm, lang_box: gr.Textbox) -> DataTab:
    gr.Markdown(t("data_intro"))
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
                                   elem_id="data-preview")
    with gr.Row():
        text_column = form.bind(gr.Dropdown([], label=t("text_column"), info=t("column_info"),
                                            elem_id="text-column"), "text_column")
        label_column = form.bind(gr.Dropdown([], label=t("label_column"), info=t("column_info"),
                                             elem_id="label-column"), "label_column")
    summary = gr.Markdown(t("data_none"), elem_id="data-summary")
    with gr.Row():
        class_plot = gr.Plot(show_label=False, elem_id="class-plot")
        length_plot = gr.Plot(show_label=False, elem_id="length-plot")
    warnings = gr.Markdown(elem_classes=["tcs-warnings"], elem_id="data-warnings")
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
    state = gr.State(None)

    split_inputs = [validation_fraction, test_fraction, seed, imbalance, validation_file, test_file]
    outputs = [state, preview, text_column, label_column, summary, class_plot, length_plot, warnings]

    def render(analysed: tuple[DataInfo, pd.DataFrame], lang: str, notify: bool = False):
        info, frame = analysed
        if notify:
            gr.Info(tr(lang, "loaded", name=html_escape(info.name)), duration=3)
        return (
            asdict(info), frame,
            gr.Dropdown(choices=info.columns, value=info.text_column),
            gr.Dropdown(choices=info.columns, value=info.label_column),
            summary_markdown(info, lang),
            charts.class_counts(info.class_counts, tr(lang, "chart_classes"), tr(lang, "chart_class"),
                                tr(lang, "chart_examples")),
            charts.length_histogram(info.lengths, info.recommended_max_length, info.model_limit,
                                    tr(lang, "chart_lengths"), tr(lang, "chart_tokens"), tr(lang, "chart_texts"),
                                    tr(lang, "chart_recommended"), tr(lang, "chart_limit")),
            warnings_markdown(info, lang),
        )

    def split_args(val_frac, test_frac, seed_value, imbalance_choice, val_file, test_file_value) -> dict:
        return {"validation_fraction": val_frac, "test_fraction": test_frac, "seed": int(seed_value or 0),
                "balance": IMBALANCE[imbalance_choice or "keep"]["balance"], "validation_file": val_file,
                "test_file": test_file_value}

    def sample_loader(name: str):
        @shows_errors
        def load_sample(lang: str, request: gr.Request, *split):
            with one_at_a_time(request):
                return render(analyse_bounded(SAMPLES[name], sample=name, **split_args(*split)), lang, notify=True)

        return load_sample

    @shows_errors
    def load_upload(path: str | None, lang: str, request: gr.Request, *split):
        if not path:
            return (gr.skip(),) * len(outputs)
        with one_at_a_time(request):
            return render(upload_analysis(path, lang, **split_args(*split)), lang, notify=True)

    @shows_errors
    def load_hub(name: str | None, lang: str, request: gr.Request, *split):
        """A Hugging Face hub data set by name (hub:NAME[:CONFIG][:SPLIT]): fetched and read in the worker, under
        the same time limit as a file; offline it says at once how to use a file instead."""
        name = (name or "").strip().removeprefix(HUB_PREFIX)
        if not HUB_NAME.fullmatch(name):
            raise gr.Error(tr(lang, "hub_bad_name", name=html_escape(name[:100])), print_exception=False)
        with one_at_a_time(request):
            return render(analyse_bounded(HUB_PREFIX + name, **split_args(*split)), lang, notify=True)

    @shows_errors
    def reanalyse(current: dict | None, text_col: str, label_col: str, lang: str, request: gr.Request, *split):
        if not current:
            return (gr.skip(),) * len(outputs)
        same_file = text_col in current["columns"] and label_col in current["columns"]
        columns = {"text_column": text_col if same_file else None, "label_column": label_col if same_file else None}
        with one_at_a_time(request):
            if current.get("sample") or str(current["path"]).startswith(HUB_PREFIX):
                return render(analyse_bounded(current["path"], **columns, sample=current["sample"],
                                              **split_args(*split)), lang)
            return render(upload_analysis(current["path"], lang, **columns, **split_args(*split)), lang)

    # Files are read in worker processes with a time limit (analysis.analyse_bounded); up to DATA_CONCURRENCY at
    # once, so one slow file does not hold up other visitors. One visitor's events run one at a time, in the order
    # they came (one_at_a_time): the summary shown is the one of the latest settings.
    common = {"outputs": outputs, "api_visibility": "undocumented", "show_progress_on": [summary],
              "concurrency_id": "data", "concurrency_limit": DATA_CONCURRENCY}
    loads = [
        sms_button.click(sample_loader("sms"), [lang_box, *split_inputs], api_name="load_sms_sample", **common),
        news_button.click(sample_loader("news"), [lang_box, *split_inputs], api_name="load_news_sample", **common),
        upload.upload(load_upload, [upload, lang_box, *split_inputs], api_name="load_file", **common),
        hub_button.click(load_hub, [hub_name, lang_box, *split_inputs], api_name="load_hub_dataset", **common),
    ]
    reanalyse_inputs = [state, text_column, label_column, lang_box, *split_inputs]
    for event in (text_column.input, label_column.input, validation_fraction.release, test_fraction.release,
                  seed.blur, imbalance.input, validation_file.upload, validation_file.clear, test_file.upload,
                  test_file.clear):
        loads.append(event(reanalyse, reanalyse_inputs, trigger_mode="always_last", **common))

    return DataTab(state=state, sms_button=sms_button, news_button=news_button, upload=upload, preview=preview,
                   text_column=text_column, label_column=label_column, summary=summary, class_plot=class_plot,
                   length_plot=length_plot, warnings=warnings, split_inputs=split_inputs, loads=loads)
