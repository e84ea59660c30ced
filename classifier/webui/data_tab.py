"""Data tab: pick a sample or upload a file, check the detected columns, read the summary, set the split.

The summary is the engine's own: `classifier.data.prepare_data` (the very split and warnings a run will get)
and `classifier.data.summarize` (token lengths in the default model's tokenizer, recommended max length).
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from .. import charts
from ..backbones import default_model_for, resolve_model
from ..data import language_hint, prepare_data, read_table, summarize
from ..security import UPLOAD_EXTENSIONS, max_upload_bytes, max_upload_mb, pretrained_kwargs
from .common import ConfigForm, default, shows_errors
from .i18n import t, tr
from .runner import ASSETS

SAMPLES = {"sms": ASSETS / "sms_spam.tsv", "news": ASSETS / "thucnews_titles.tsv"}
FILE_TYPES = list(UPLOAD_EXTENSIONS)  # also checked on the server (check_upload), not only by the browser
PREVIEW_ROWS = 30
IMBALANCE = {"keep": {"balance": False, "class_weights": "none"},
             "balance": {"balance": True, "class_weights": "none"},
             "weights": {"balance": False, "class_weights": "balanced"}}


@dataclass
class DataInfo:
    """What the other tabs need to know about the loaded data (kept in a gr.State)."""

    path: str
    name: str
    sample: str | None
    columns: list[str]
    text_column: str
    label_column: str
    language: str
    model: str
    rows_read: int
    rows_used: int
    class_counts: dict[str, int]
    splits: dict[str, int]
    lengths: list[int] = field(default_factory=list)
    recommended_max_length: int | None = None
    model_limit: int | None = None
    p50: int | None = None
    warnings: list[str] = field(default_factory=list)
    over_limit: int = 0  # texts longer than the model's limit (of those sampled for lengths)
    multi_label: bool = False


@functools.lru_cache(maxsize=4)
def _tokenizer(model: str):
    from transformers import AutoConfig

    from ..modeling import load_tokenizer, model_limit_of

    path, _ = resolve_model(model)
    tokenizer = load_tokenizer(path)
    return tokenizer, model_limit_of(AutoConfig.from_pretrained(path, **pretrained_kwargs()), tokenizer)


def analyse(path: str | Path, text_column: str | None = None, label_column: str | None = None,
            validation_fraction: float = 0.15, test_fraction: float = 0.15, seed: int = 42,
            balance: bool = False, validation_file: str | None = None, test_file: str | None = None,
            sample: str | None = None) -> DataInfo:
    """The engine's view of a data file with these split settings (raises DataError on unusable data)."""
    prepared = prepare_data(path, text_column, label_column, validation_file, test_file, validation_fraction,
                            test_fraction, seed, balance)
    everything = pd.concat([prepared.train, prepared.validation, prepared.test])
    texts = everything["text"].tolist()
    language = language_hint(texts)
    model = default_model_for(language)
    tokenizer, limit = _tokenizer(model)
    summary = summarize(texts, [prepared.label_names_of(v) for v in everything["label"]], tokenizer, limit)
    columns = list(map(str, read_table(path).columns))
    return DataInfo(
        path=str(path), name=Path(path).name, sample=sample, columns=columns, text_column=prepared.text_column,
        label_column=prepared.label_column, language=language, model=model,
        rows_read=prepared.stats["rows_read"], rows_used=prepared.stats["rows_used"],
        class_counts=prepared.stats["class_counts"], splits=prepared.split_sizes(),
        lengths=summary.get("token_lengths_sample", []), recommended_max_length=summary.get("recommended_max_length"),
        model_limit=summary.get("model_limit"), p50=(summary.get("token_length") or {}).get("p50"),
        warnings=prepared.warnings + summary.get("warnings", []),
        over_limit=int(summary.get("over_limit") or 0), multi_label=prepared.multi_label,
    )


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
        raise gr.Error(tr(lang, "upload_bad_type", name=name, ext=ext or "?", types=", ".join(UPLOAD_EXTENSIONS)),
                       duration=None, print_exception=False)
    size = path.stat().st_size
    if size > max_upload_bytes():
        raise gr.Error(tr(lang, "upload_too_big", name=name, size=f"{size / 1024 / 1024:.0f}",
                          limit=f"{max_upload_mb():g}"), duration=None, print_exception=False)
    return path


@shows_errors
def upload_info(path: str | Path, lang: str = "en", validation_file: str | None = None, test_file: str | None = None,
                **split: Any) -> DataInfo:
    """What the Data tab does with an uploaded file (and the optional validation/test files): check it, then
    analyse it. Every problem becomes a gr.Error with a message the user can act on."""
    for extra in (validation_file, test_file):
        if extra:
            check_upload(extra, lang)
    return analyse(check_upload(path, lang), validation_file=validation_file, test_file=test_file, **split)


def summary_markdown(info: DataInfo, lang: str) -> str:
    return tr(lang, "data_summary", rows_used=info.rows_used, rows_read=info.rows_read,
              classes=len(info.class_counts), language=tr(lang, f"lang_{info.language}"), model=info.model,
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
    return "\n".join(f"- ⚠ {w}" for w in info.warnings)


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

    def render(info: DataInfo, lang: str, notify: bool = False):
        if notify:
            gr.Info(tr(lang, "loaded", name=info.name), duration=3)
        frame = read_table(info.path).head(PREVIEW_ROWS)
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

    @shows_errors
    def load_sample(name: str, lang: str, *split):
        return render(analyse(SAMPLES[name], sample=name, **split_args(*split)), lang, notify=True)

    @shows_errors
    def load_upload(path: str | None, lang: str, *split):
        if not path:
            return (gr.skip(),) * len(outputs)
        return render(upload_info(path, lang, **split_args(*split)), lang, notify=True)

    @shows_errors
    def reanalyse(current: dict | None, text_col: str, label_col: str, lang: str, *split):
        if not current:
            return (gr.skip(),) * len(outputs)
        same_file = text_col in current["columns"] and label_col in current["columns"]
        columns = {"text_column": text_col if same_file else None, "label_column": label_col if same_file else None}
        if current.get("sample"):
            info = analyse(current["path"], **columns, sample=current["sample"], **split_args(*split))
        else:
            info = upload_info(current["path"], lang, **columns, **split_args(*split))
        return render(info, lang)

    # one data event at a time, in the order they came: the summary shown is the one of the latest settings
    common = {"outputs": outputs, "api_visibility": "undocumented", "show_progress_on": [summary],
              "concurrency_id": "data", "concurrency_limit": 1}
    loads = [
        sms_button.click(functools.partial(load_sample, "sms"), [lang_box, *split_inputs],
                         api_name="load_sms_sample", **common),
        news_button.click(functools.partial(load_sample, "news"), [lang_box, *split_inputs],
                          api_name="load_news_sample", **common),
        upload.upload(load_upload, [upload, lang_box, *split_inputs], api_name="load_file", **common),
    ]
    reanalyse_inputs = [state, text_column, label_column, lang_box, *split_inputs]
    for event in (text_column.input, label_column.input, validation_fraction.release, test_fraction.release,
                  seed.blur, imbalance.input, validation_file.upload, validation_file.clear, test_file.upload,
                  test_file.clear):
        loads.append(event(reanalyse, reanalyse_inputs, trigger_mode="always_last", **common))

    return DataTab(state=state, sms_button=sms_button, news_button=news_button, upload=upload, preview=preview,
                   text_column=text_column, label_column=label_column, summary=summary, class_plot=class_plot,
                   length_plot=length_plot, warnings=warnings, split_inputs=split_inputs, loads=loads)
