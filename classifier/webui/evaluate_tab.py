"""Evaluate tab: a run's test results from its folder (metrics.json, predictions.csv, events.jsonl).

Nothing is recomputed: the trainer already scored best/ on the test split and wrote every prediction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from .. import charts
from ..binary import metrics_at, save_threshold
from ..events import read_events
from ..run_folder import EVENTS_FILE, curves
from ..runs import load_run_info, read_json, read_predictions
from ..security import check_text, demo_mode, from_spreadsheet_cell, run_file
from ..task import MultiLabel, SingleLabel, task_of
from .common import default_run, md_escape, run_choices, run_path, shows_errors
from .i18n import status_word, t, tr

ERROR_ROWS = 500
ERROR_COLUMNS = ("text", "gold", "predicted", "confidence")  # what the list of errors reads of predictions.csv


def report_table(metrics: dict, lang: str) -> pd.DataFrame:
    """Per-class precision/recall/F1/support, then the macro and weighted averages."""
    rows = [[name, v["precision"], v["recall"], v["f1"], v["support"]] for name, v in metrics["per_class"].items()]
    for key in task_of(metrics).averages:
        rows.append([tr(lang, f"{key}_avg"), metrics[f"{key}_precision"], metrics[f"{key}_recall"],
                     metrics[f"{key}_f1"], metrics["samples"]])
    columns = [tr(lang, c) for c in ("col_class", "col_precision", "col_recall", "col_f1", "col_support")]
    aucs = metrics.get("roc_auc_per_class")
    if aucs:  # multi-class runs: one-vs-rest ROC AUC per class
        rows = [row + [aucs.get(row[0])] if row[0] in metrics["per_class"] else row + [None] for row in rows]
        columns.append("ROC AUC")
    frame = pd.DataFrame(rows, columns=columns)
    return frame.round({c: 3 for c in columns[1:4] + columns[5:]})


def headline(metrics: dict, lang: str) -> str:
    text = _HEADLINES[type(task_of(metrics))](metrics, md_escape(metrics.get("model", "?")), lang)
    return text + decision_sentence(metrics, lang) + advice_block(metrics, lang)


def _single_label_headline(metrics: dict, model: str, lang: str) -> str:
    text = tr(lang, "headline", model=model, samples=metrics["samples"],
              accuracy=metrics["accuracy"], macro_f1=metrics["macro_f1"], weighted_f1=metrics["weighted_f1"])
    baseline = metrics.get("baseline")
    if baseline:
        text += tr(lang, "headline_baseline", accuracy=baseline["accuracy"], macro_f1=baseline["macro_f1"])
    return text


def _multi_label_headline(metrics: dict, model: str, lang: str) -> str:
    text = tr(lang, "headline_ml", model=model, samples=metrics["samples"],
              micro_f1=metrics["micro_f1"], macro_f1=metrics["macro_f1"],
              subset_accuracy=metrics["subset_accuracy"], hamming_loss=metrics["hamming_loss"])
    baseline = metrics.get("baseline")
    if baseline:
        text += tr(lang, "headline_ml_baseline", micro_f1=baseline["micro_f1"], macro_f1=baseline["macro_f1"])
    return text


_HEADLINES = {SingleLabel: _single_label_headline, MultiLabel: _multi_label_headline}  # by task type


def decision_sentence(metrics: dict, lang: str) -> str:
    """Which model answers (the fine-tuned one, TF-IDF, or their mix), when it is not the fine-tuned one alone."""
    decision = metrics.get("decision")
    if any(a.get("key") in ("ensemble_used", "baseline_wins") for a in metrics.get("advice") or []):
        return ""  # the advice below says it, with the numbers
    metric = task_of(metrics).metric
    alone = (metrics.get("model_only") or {}).get(metric)
    if decision not in ("ensemble", "baseline") or alone is None:
        return ""
    weight = float((metrics.get("ensemble") or {}).get("weight", 1.0))
    return tr(lang, f"decision_{decision}", weight=weight, rest=1 - weight, model=alone, metric=tr(lang, metric))


def advice_block(metrics: dict, lang: str) -> str:
    """The run's advice (classifier/advice.py) in the page's language, as a Markdown list."""
    items = []
    for advice in metrics.get("advice") or []:
        key = f"advice_{advice.get('key')}"
        params = {k: md_escape(v) if isinstance(v, str) else v for k, v in (advice.get("params") or {}).items()}
        if "metric" in params:
            params["metric"] = tr(lang, advice["params"]["metric"]) if advice["params"]["metric"] in (
                "macro_f1", "micro_f1", "loss", "accuracy") else params["metric"]
        try:
            items.append(tr(lang, key, **params))
        except (KeyError, ValueError, IndexError, TypeError):
            items.append(md_escape(advice.get("text", "")))
    if not items:
        return ""
    return f"\n\n**{tr(lang, 'advice_title')}**\n" + "".join(f"\n- {item}" for item in items)


def confusion_figure(metrics: dict, mode: str, lang: str):
    """One matrix of classes (single-label), or a 2x2 matrix per label (multi-label: `per_label_confusion`)."""
    if "per_label_confusion" in metrics:
        return charts.per_label_confusion(metrics["per_label_confusion"], normalize=mode == "normalized",
                                          title=tr(lang, "cm_title_ml"),
                                          columns=tr(lang, "cm_ml_columns").split("|"), y_title=tr(lang, "cm_ml_label"))
    return charts.confusion_matrix(metrics["labels"], metrics["confusion_matrix"], normalize=mode == "normalized",
                                   title=tr(lang, "cm_title"), x_title=tr(lang, "cm_predicted"),
                                   y_title=tr(lang, "cm_true"))


def baseline_figure(metrics: dict, lang: str):
    return charts.model_vs_baseline(metrics, tr(lang, "vs_title"), tr(lang, "vs_model"), tr(lang, "vs_baseline"),
                                    tr(lang, "accuracy"), tr(lang, "macro_f1"), tr(lang, "vs_answered"))


def threshold_figures(binary: dict, lang: str):
    return charts.roc_and_pr(binary, tr(lang, "roc_title"), tr(lang, "pr_title"), tr(lang, "threshold_point"))


def rates_text(binary: dict, lang: str) -> str:
    auc = (tr(lang, "threshold_auc", roc_auc=binary["roc_auc"], pr_auc=binary["pr_auc"])
           if "roc_auc" in binary else "")
    return tr(lang, "threshold_rates", label=md_escape(binary.get("positive_label", "")),
              threshold=float(binary.get("threshold", 0.5)), tpr=binary["tpr"], fpr=binary["fpr"],
              tnr=binary["tnr"], fnr=binary["fnr"]) + auc


def read_errors(run_dir: Path) -> pd.DataFrame:
    try:
        frame = read_predictions(run_dir, ERROR_COLUMNS, dtype={"gold": str, "predicted": str})
    except FileNotFoundError:
        return pd.DataFrame(columns=list(ERROR_COLUMNS))
    for column in ("text", "gold", "predicted"):  # predictions.csv is written spreadsheet-safe; show the real values
        if column in frame:
            frame[column] = frame[column].map(from_spreadsheet_cell)
    wrong = frame[frame["gold"] != frame["predicted"]]
    wrong = wrong.assign(confidence=pd.to_numeric(wrong["confidence"], errors="coerce"))  # an edited file: NaN
    return wrong.sort_values("confidence", ascending=False)[list(ERROR_COLUMNS)]


def matrix_table(metrics: dict | None, lang: str):
    """The single-label confusion matrix as a table whose cells can be clicked (a click lists that cell's texts);
    each cell shaded by its share of its row. None for multi-label runs (one 2x2 matrix per label)."""
    if not metrics or not metrics.get("confusion_matrix"):  # multi-label runs have a 2x2 matrix per label instead
        return None
    labels = [str(name) for name in metrics.get("labels") or []]
    matrix = metrics["confusion_matrix"]
    if len(labels) != len(matrix):
        return None
    frame = pd.DataFrame([[gold, *row] for gold, row in zip(labels, matrix)],
                         columns=[tr(lang, "cm_corner"), *labels])

    def shade(line: pd.Series) -> list[str]:
        counts = [float(v) for v in line.iloc[1:]]
        total = sum(counts) or 1.0
        return [""] + [f"background-color: rgba(37, 99, 235, {0.08 + 0.62 * v / total:.2f})" for v in counts]

    return frame.style.apply(shade, axis=1)


def cell_texts(run_dir: Path, gold: str, predicted: str, lang: str) -> pd.DataFrame:
    """The test texts of one cell of the confusion matrix (right or wrong), most confident first."""
    try:
        frame = read_predictions(run_dir, ERROR_COLUMNS, dtype={"gold": str, "predicted": str})
    except FileNotFoundError:
        frame = pd.DataFrame(columns=list(ERROR_COLUMNS))
    for column in ("text", "gold", "predicted"):
        if column in frame:
            frame[column] = frame[column].map(from_spreadsheet_cell)
    cell = frame[(frame["gold"] == gold) & (frame["predicted"] == predicted)]
    cell = cell.assign(confidence=pd.to_numeric(cell["confidence"], errors="coerce"))
    shown = cell.sort_values("confidence", ascending=False).head(ERROR_ROWS)[list(ERROR_COLUMNS)].copy()
    shown["confidence"] = shown["confidence"].round(3)
    shown.columns = [tr(lang, c) for c in ("col_text", "col_gold", "col_predicted", "col_confidence")]
    return shown


def error_choices(errors: pd.DataFrame, lang: str) -> list[tuple[str, str]]:
    """'all errors (n)' and one entry per (true, predicted) pair that has errors, most frequent first."""
    pairs = errors.groupby(["gold", "predicted"]).size().sort_values(ascending=False)
    choices = [(tr(lang, "all_errors", n=len(errors)), "")]
    choices += [(f"{gold} → {predicted} ({n})", json.dumps([gold, predicted], ensure_ascii=False))
                for (gold, predicted), n in pairs.items()]
    return choices


def pair_of(choice: str | None) -> tuple[str, str] | None:
    """(true, predicted) of a dropdown value, None for "all errors" or a value typed into the box."""
    try:
        gold, predicted = json.loads(choice) if choice else (None, None)
    except (ValueError, TypeError):
        return None
    return None if gold is None else (str(gold), str(predicted))


def filter_errors(errors: pd.DataFrame, pair: str | None, lang: str) -> pd.DataFrame:
    chosen = pair_of(pair)  # None (typed into the box rather than picked): show everything
    if chosen is not None:
        errors = errors[(errors["gold"] == chosen[0]) & (errors["predicted"] == chosen[1])]
    shown = errors.head(ERROR_ROWS).copy()
    shown["confidence"] = shown["confidence"].round(3)
    shown.columns = [tr(lang, c) for c in ("col_text", "col_gold", "col_predicted", "col_confidence")]
    return shown


@shows_errors
def explain_error(run_name: str | None, lang: str, event: gr.SelectData):
    """A click on a misclassified text: why the model gave it the label it gave (the Predict tab's explanation)."""
    from .predict_tab import explain_view

    row = list(getattr(event, "row_value", None) or [])
    if len(row) < 3 or not str(row[0]).strip() or run_path(run_name) is None:
        return None, ""
    predicted = str(row[2])
    check_text(str(row[0]))  # a test text over CLASSIFIER_MAX_TEXT_CHARS: the message (explain_view stays quiet)
    return explain_view(str(row[0]), run_name, "" if "|" in predicted else predicted, lang)


def curve_figures(run_dir: Path, lang: str):
    from .runner import RunView
    from .train_tab import loss_figure, validation_figure

    # the Train tab's points (run_folder.curves): a resumed run's replayed steps dropped
    points = curves(read_events(run_file(run_dir, EVENTS_FILE)))
    view = RunView(run_dir=run_dir, status="finished", message="", train=points.train, evals=points.evals,
                   total_steps=points.total_steps)
    return loss_figure(view, lang), validation_figure(view, lang)


@dataclass
class EvaluateTab:
    run: gr.Dropdown
    refresh: gr.Button
    newest_state: gr.State
    outputs: list
    load: object  # fn(run, cm_mode, lang) -> outputs
    refresh_choices: object  # fn(current, newest_seen) -> run dropdown, newest_state


@dataclass
class _Page:
    """The tab's components, in the page's order (the run picker aside)."""
    summary: gr.Markdown
    cm_plot: gr.Plot
    cm_mode: gr.Radio
    vs_plot: gr.Plot
    report: gr.Dataframe
    cm_table: gr.Dataframe
    threshold_box: gr.Accordion
    roc_plot: gr.Plot
    pr_plot: gr.Plot
    threshold: gr.Slider
    save_button: gr.Button
    rates: gr.Markdown
    error_filter: gr.Dropdown
    errors: gr.Dataframe
    error_why: gr.HighlightedText
    error_why_note: gr.Markdown
    loss_plot: gr.Plot
    validation_plot: gr.Plot

    def outputs(self) -> list:
        """What `load` fills, in its order."""
        return [self.summary, self.cm_plot, self.vs_plot, self.report, self.error_filter, self.errors,
                self.loss_plot, self.validation_plot, self.threshold_box, self.roc_plot, self.pr_plot, self.threshold,
                self.rates, self.cm_table]


def build(lang_box: gr.Textbox) -> EvaluateTab:
    gr.Markdown(t("evaluate_intro"))
    with gr.Row():
        run = gr.Dropdown([], label=t("run"), allow_custom_value=True, scale=4, elem_id="evaluate-run")
        refresh = gr.Button(t("refresh"), scale=1, size="sm")
    page = _Page(**_results(), **_threshold_section(), **_error_section())
    newest_state = gr.State(None)
    outputs = page.outputs()
    no_threshold = (gr.Accordion(visible=False), None, None, gr.skip(), "")
    load, keep_threshold = _load_handlers(no_threshold, len(outputs))
    _wire(page, run, refresh, newest_state, lang_box, outputs, load, keep_threshold)
    return EvaluateTab(run=run, refresh=refresh, newest_state=newest_state, outputs=outputs, load=load,
                       refresh_choices=refresh_choices)


def _results() -> dict:
    """The headline, the confusion matrix (figure and table), the baseline comparison and the report."""
    summary = gr.Markdown(elem_id="evaluate-headline")
    with gr.Row():
        with gr.Column(scale=3):
            cm_plot = gr.Plot(show_label=False, elem_id="confusion-matrix")
            cm_mode = gr.Radio([(t("cm_counts"), "counts"), (t("cm_normalized"), "normalized")], value="counts",
                               label=t("cm_view"), elem_id="cm-mode")
        with gr.Column(scale=2):
            vs_plot = gr.Plot(show_label=False, elem_id="baseline-plot")
            report = gr.Dataframe(label=t("report"), interactive=False, elem_id="report")
    cm_table = gr.Dataframe(label=t("cm_table"), interactive=False, wrap=True, elem_id="confusion-table")
    return {"summary": summary, "cm_plot": cm_plot, "cm_mode": cm_mode, "vs_plot": vs_plot, "report": report,
            "cm_table": cm_table}


def _threshold_section() -> dict:
    """The decision threshold of a two-class run (hidden for other runs): ROC and PR curves, a slider, Save."""
    with gr.Accordion(t("threshold_title"), open=True, visible=False, elem_id="threshold-box") as threshold_box:
        gr.Markdown(t("threshold_intro"))
        with gr.Row():
            roc_plot = gr.Plot(show_label=False, elem_id="roc-plot")
            pr_plot = gr.Plot(show_label=False, elem_id="pr-plot")
        with gr.Row():
            threshold = gr.Slider(0.01, 0.99, value=0.5, step=0.01, label=t("threshold_slider"), scale=3,
                                  elem_id="threshold")
            save_button = gr.Button(t("threshold_save"), scale=1, visible=not demo_mode(), elem_id="threshold-save")
        rates = gr.Markdown(elem_id="threshold-rates")
    return {"threshold_box": threshold_box, "roc_plot": roc_plot, "pr_plot": pr_plot, "threshold": threshold,
            "save_button": save_button, "rates": rates}


def _error_section() -> dict:
    """The test texts the model got wrong, why one of them was predicted so, and the training curves."""
    error_filter = gr.Dropdown([], label=t("errors"), info=t("error_filter_info"), allow_custom_value=True,
                               elem_id="error-filter")
    errors = gr.Dataframe(interactive=False, wrap=True, max_height=400, elem_id="errors",
                          column_widths=["64%", "12%", "12%", "12%"])
    error_why = gr.HighlightedText(label=t("why_row"), show_legend=True, elem_id="error-why")
    error_why_note = gr.Markdown(elem_id="error-why-note")
    with gr.Accordion(t("curves"), open=True):
        with gr.Row():
            loss_plot = gr.Plot(show_label=False)
            validation_plot = gr.Plot(show_label=False)
    return {"error_filter": error_filter, "errors": errors, "error_why": error_why, "error_why_note": error_why_note,
            "loss_plot": loss_plot, "validation_plot": validation_plot}


def _load_handlers(no_threshold: tuple, output_count: int) -> tuple:
    """(load, keep_threshold): the handlers that fill all the tab's outputs; `no_threshold` fills the threshold
    section's for a run without one."""

    @shows_errors
    def load(run_name: str | None, mode: str, lang: str):
        path = run_path(run_name)
        if path is None:
            return (tr(lang, "no_runs"),) + (None,) * 3 + (gr.Dropdown(choices=[], value=None), None, None,
                                                           None) + no_threshold + (None,)
        metrics = read_json(run_file(path, "metrics.json"))
        loss, validation = curve_figures(path, lang)
        if not metrics:
            info = load_run_info(path)
            return (tr(lang, "no_metrics", name=md_escape(path.name), status=status_word(lang, info.status)), None,
                    None, None, gr.Dropdown(choices=[], value=None), None, loss, validation) + no_threshold + (None,)
        wrong = read_errors(path)
        return (headline(metrics, lang), confusion_figure(metrics, mode, lang), baseline_figure(metrics, lang),
                report_table(metrics, lang), gr.Dropdown(choices=error_choices(wrong, lang), value=""),
                filter_errors(wrong, "", lang), loss, validation) + threshold_view(metrics, lang) + (
                    matrix_table(metrics, lang),)

    def threshold_view(metrics: dict, lang: str) -> tuple:
        binary = metrics.get("binary") or {}
        if not binary.get("roc"):
            return no_threshold
        roc, pr = threshold_figures(binary, lang)
        return (gr.Accordion(visible=True), roc, pr, binary.get("threshold", 0.5), rates_text(binary, lang))

    @shows_errors
    def keep_threshold(run_name: str | None, value: float, mode: str, lang: str):
        path = run_path(run_name)
        if path is None:
            return (gr.skip(),) * output_count
        if demo_mode():  # the button is hidden there; the endpoint refuses too
            raise gr.Error(tr(lang, "threshold_demo"))
        save_threshold(path, float(value))
        gr.Info(tr(lang, "threshold_saved", value=float(value)))
        return load(run_name, mode, lang)

    return load, keep_threshold


@shows_errors
def redraw_matrix(run_name: str | None, mode: str, lang: str):
    path = run_path(run_name)
    metrics = read_json(run_file(path, "metrics.json")) if path else None
    return confusion_figure(metrics, mode, lang) if metrics else gr.skip()


@shows_errors
def show_errors(run_name: str | None, pair: str | None, lang: str):
    path = run_path(run_name)
    if path is None:
        return gr.skip()
    chosen = pair_of(pair)
    if chosen is not None and chosen[0] == chosen[1]:  # a cell of right answers, listed by a click on the matrix
        return cell_texts(path, *chosen, lang)
    return filter_errors(read_errors(path), pair, lang)


@shows_errors
def try_threshold(run_name: str | None, value: float, mode: str, lang: str):
    """The slider: the confusion matrix, report, ROC point and rates as they would be at this threshold."""
    path = run_path(run_name)
    if path is None:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
    metrics = metrics_at(path, float(value))
    roc, _ = threshold_figures(metrics["binary"], lang)
    return (confusion_figure(metrics, mode, lang), report_table(metrics, lang), roc,
            rates_text(metrics["binary"], lang), matrix_table(metrics, lang))


@shows_errors
def pick_cell(run_name: str | None, lang: str, event: gr.SelectData):
    """A click on a cell of the matrix table: that cell's texts (true row, predicted column)."""
    path = run_path(run_name)
    index = list(getattr(event, "index", None) or [])
    metrics = read_json(run_file(path, "metrics.json")) if path else None
    labels = [str(name) for name in (metrics or {}).get("labels") or []]
    if len(index) != 2 or not labels or not 1 <= index[1] <= len(labels) or not 0 <= index[0] < len(labels):
        return gr.skip(), gr.skip()
    gold, predicted = labels[index[0]], labels[index[1] - 1]
    pair = json.dumps([gold, predicted], ensure_ascii=False)
    choices = error_choices(read_errors(path), lang)
    if pair not in [value for _, value in choices]:  # the box names the cell: right answers, or errors with none
        line = ((metrics.get("confusion_matrix") or [])[index[0]:index[0] + 1] or [[]])[0]
        count = line[index[1] - 1] if index[1] - 1 < len(line) else 0
        choices.append((tr(lang, "cell_right", gold=gold, n=count) if gold == predicted
                        else f"{gold} → {predicted} ({count})", pair))
    return gr.Dropdown(choices=choices, value=pair), cell_texts(path, gold, predicted, lang)


def refresh_choices(current: str | None, newest_seen: str | None):
    choices = run_choices("metrics")
    names = [value for _, value in choices]
    newest = names[0] if names else None
    # first visit: the best run on the latest data (marked ★); a run that finished since the last visit is what
    # the user wants to see; otherwise keep their pick
    if newest_seen is None or current not in names:
        value = default_run("metrics") if newest_seen is None or newest == newest_seen else newest
    else:
        value = newest if newest != newest_seen else current
    return gr.Dropdown(choices=choices, value=value), newest


def _wire(page: _Page, run: gr.Dropdown, refresh: gr.Button, newest_state: gr.State, lang_box: gr.Textbox,
          outputs: list, load, keep_threshold) -> None:
    """Register the tab's events; `outputs` are the ones `load` and `keep_threshold` fill."""
    run.change(load, [run, page.cm_mode, lang_box], outputs, api_name="evaluation", api_visibility="undocumented")
    page.cm_mode.change(redraw_matrix, [run, page.cm_mode, lang_box], [page.cm_plot], api_visibility="private")
    page.error_filter.input(show_errors, [run, page.error_filter, lang_box], [page.errors], api_visibility="private")
    page.errors.select(explain_error, [run, lang_box], [page.error_why, page.error_why_note],
                       api_visibility="private")
    refresh.click(refresh_choices, [run, newest_state], [run, newest_state], api_visibility="private")
    page.threshold.release(try_threshold, [run, page.threshold, page.cm_mode, lang_box],
                           [page.cm_plot, page.report, page.roc_plot, page.rates, page.cm_table],
                           api_visibility="private")
    page.cm_table.select(pick_cell, [run, lang_box], [page.error_filter, page.errors], api_visibility="private")
    if not demo_mode():  # a read-only demo has no endpoint that writes into a run
        page.save_button.click(keep_threshold, [run, page.threshold, page.cm_mode, lang_box], outputs,
                               api_name="save_threshold", api_visibility="undocumented")
