"""Train tab: choose the model and settings, start the engine's training as a subprocess, watch it live, stop it.

The tab never trains anything itself: `runner.TrainingRunner` starts `python -m classifier train` and a gr.Timer
reads the run's events.jsonl once a second while a run is active. A run outlives the page; when the app opens
it shows the run that is training now, or the latest one.
"""

from __future__ import annotations

import functools
import html
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from .. import charts
from ..backbones import BUNDLED, HUB_SUGGESTIONS
from ..config import BEST_METRICS, PRECISIONS, SCHEDULERS, default_epochs
from ..errors import ClassifierError
from ..estimate import estimate_seconds
from ..messages import error_text
from ..messages import render as message_text
from ..run_folder import RunFolder
from ..security import UPLOAD_EXTENSIONS
from .common import ConfigForm, default, html_escape, md_escape, page_text, run_path, shows_errors
from .i18n import duration, status_word, t, tr
from .runner import RunInProgress, RunView, TrainingRunner

POLL_SECONDS = 1.0


@functools.lru_cache(maxsize=1)
def device_description() -> str:
    """classifier.hardware.describe_device(); importing torch takes seconds, so it is asked once, lazily."""
    from ..hardware import describe_device

    return describe_device()


def warm_up(delay: float = 5.0) -> None:
    """Import torch and the model classes in the background shortly after start-up (not during it: that would
    delay serving the page), so that the first visitor sees the device and a first prediction without waiting for
    the imports. Never the Trainer: training runs in a process of its own. The model classes come through
    classifier.hf, the one place the app's threads resolve transformers names (its docstring: a race)."""

    def run() -> None:
        time.sleep(delay)
        device_description()
        from .. import predict  # noqa: F401

    threading.Thread(target=run, name="warm-up", daemon=True).start()


def model_choices() -> list[tuple[Any, str]]:
    """auto, the bundled (offline) models, then hub suggestions; labels say which is which."""
    names = ["auto", *BUNDLED, *HUB_SUGGESTIONS]
    return [(t(f"model:{name}"), name) for name in names]


# ---------------------------------------------------------------------------------------------------------------
# Showing a run
# ---------------------------------------------------------------------------------------------------------------
def status_markdown(view: RunView, lang: str) -> str:
    status = "stopping" if view.stopping else view.status
    line = tr(lang, "status_line", name=md_escape(view.name), status=status_word(lang, status))
    if view.test and view.status in ("finished", "stopped"):
        line += "  \n" + tr(lang, "test_result", accuracy=view.test["accuracy"], macro_f1=view.test["macro_f1"])
    elif view.message and view.status in ("failed", "interrupted"):
        # quotes what the user typed: a model name, a path
        line += "  \n⚠ " + md_escape(page_text(message_text(view.message, lang)))
    if view.resumable:
        step = view.checkpoint_step
        line += "  \n" + (tr(lang, "resume_from", step=step) if step else tr(lang, "resume_from_start"))
    return line


def progress_html(view: RunView, lang: str) -> str:
    percent = max(0.0, min(1.0, view.progress))
    if view.total_steps and view.status == "finished" and view.stopped_early:
        text = tr(lang, "progress_early", step=view.step, total=view.total_steps)
    elif view.total_steps:
        text = tr(lang, "progress", step=view.step, total=view.total_steps, percent=percent)
    else:
        text = status_word(lang, view.status)
    if view.eta_seconds is not None and not view.stopping:
        text += " · " + tr(lang, "eta", time=duration(view.eta_seconds, lang))
    state = "done" if view.status == "finished" else "bad" if view.status in ("failed", "interrupted") else \
        "stopped" if view.status == "stopped" else "active"
    return (f'<div class="tcs-progress tcs-{state}" role="progressbar" aria-valuenow="{percent * 100:.0f}" '
            f'aria-valuemin="0" aria-valuemax="100"><div class="tcs-bar" style="width:{percent * 100:.1f}%"></div>'
            f'</div><div class="tcs-progress-text">{html.escape(text)}</div>')


def loss_figure(view: RunView | None, lang: str):
    if view is None or not view.train:
        return charts.empty_figure(tr(lang, "waiting_first_step"), tr(lang, "curve_loss"))
    return charts.loss_curve(view.train, tr(lang, "curve_loss"), tr(lang, "curve_step"), tr(lang, "curve_loss_axis"),
                             total_steps=view.total_steps)


def validation_figure(view: RunView | None, lang: str):
    if view is None or not view.evals:
        return charts.empty_figure(tr(lang, "waiting_first_eval"), tr(lang, "curve_validation"))
    return charts.validation_curves(view.evals, tr(lang, "curve_validation"), tr(lang, "curve_step"),
                                    tr(lang, "loss"), tr(lang, "accuracy"), tr(lang, "macro_f1"),
                                    tr(lang, "curve_score"), tr(lang, "curve_loss_axis"), total_steps=view.total_steps)


def signature(view: RunView) -> list:
    return [view.name, view.events_seen, view.status, view.stopping]


def buttons(view: RunView | None) -> tuple:
    """Start is off while a run trains or stops (one run at a time); Stop is on only while a run trains and has
    not been asked to stop yet."""
    active = view is not None and view.active
    return (gr.Button(interactive=not active),
            gr.Button(interactive=active and not view.stopping))


def can_resume(view: RunView | None) -> bool:
    from ..security import demo_mode

    return view is not None and view.resumable and not demo_mode()


@dataclass
class TrainTab:
    run_state: gr.State
    seen_state: gr.State
    timer: gr.Timer
    data_note: gr.Markdown
    model: gr.Dropdown
    strategy: gr.Radio
    epochs: gr.Number
    max_train_samples: gr.Number
    device: gr.Markdown
    estimate: gr.Markdown
    start: gr.Button
    stop: gr.Button
    resume: gr.Button
    status: gr.Markdown
    progress: gr.HTML
    loss_plot: gr.Plot
    validation_plot: gr.Plot
    log: gr.Textbox
    view_outputs: list[Any]
    estimate_inputs: list[Any]
    restore: Any  # fn(lang) -> values for view_outputs: the run training now, else the latest one
    show: Any  # fn(run name, lang) -> values for view_outputs: that run (from the Runs tab)
    on_data: Any  # fn(*estimate_inputs) -> data_note, model, estimate
    show_device: Any  # fn(lang) -> device markdown


def build(form: ConfigForm, lang_box: gr.Textbox, data_state: gr.State, runner: TrainingRunner) -> TrainTab:
    gr.Markdown(t("train_intro"))
    data_note = gr.Markdown(t("need_data"), elem_id="train-data-note")
    model, epochs, strategy = _basic_settings(form)
    max_train_samples = _advanced_settings(form)
    panel = _run_panel()
    view_outputs = panel.view_outputs()
    handlers = _run_handlers(form, lang_box, data_state, runner, len(view_outputs))
    estimate_inputs = [data_state, model, strategy, epochs, max_train_samples, lang_box]
    _wire(panel, handlers, form, lang_box, data_state, view_outputs, estimate_inputs)
    tab = TrainTab(run_state=panel.run_state, seen_state=panel.seen_state, timer=panel.timer, data_note=data_note,
                   model=model, strategy=strategy, epochs=epochs, max_train_samples=max_train_samples,
                   device=panel.device, estimate=panel.estimate, start=panel.start, stop=panel.stop,
                   resume=panel.resume, status=panel.status, progress=panel.progress, loss_plot=panel.loss_plot,
                   validation_plot=panel.validation_plot, log=panel.log, view_outputs=view_outputs,
                   estimate_inputs=estimate_inputs, restore=handlers.restore, show=handlers.show, on_data=on_data,
                   show_device=show_device)
    return tab


def _basic_settings(form: ConfigForm) -> tuple[gr.Dropdown, gr.Number, gr.Radio]:
    """Model, epochs, run name and strategy, above the advanced settings; returns (model, epochs, strategy)."""
    with gr.Row():
        model = form.bind(gr.Dropdown(model_choices(), value="auto", allow_custom_value=True, label=t("model"),
                                      info=t("model_info"), scale=3, elem_id="model"), "model")
        epochs = form.bind(gr.Number(default("epochs") or 0, minimum=0, step=1, label=t("epochs"),
                                     info=t("epochs_info"), scale=1, elem_id="epochs"), "epochs")
        form.bind(gr.Textbox("", label=t("name"), info=t("name_info"), max_length=60, scale=1, elem_id="run-name"),
                  "name")
    strategy = form.bind(gr.Radio([(t("strategy_auto"), "auto"), (t("strategy_full"), "full"),
                                   (t("strategy_head"), "head"), (t("strategy_last_n"), "last-n"),
                                   (t("strategy_lora"), "lora")],
                                  value=default("strategy"), label=t("strategy"), info=t("strategy_info"),
                                  elem_id="strategy"), "strategy")
    return model, epochs, strategy


def _advanced_settings(form: ConfigForm) -> gr.Number:
    """The "advanced" accordion of settings, each bound to the form; returns max_train_samples (the estimate
    follows it)."""
    with gr.Accordion(t("advanced"), open=False, elem_id="advanced"):
        with gr.Row():
            max_train_samples = form.bind(gr.Number(default("max_train_samples") or 0, precision=0, minimum=0,
                                                    label=t("max_train_samples"), elem_id="max-train-samples"),
                                          "max_train_samples")
            form.bind(gr.Number(default("batch_size"), precision=0, minimum=1, label=t("batch_size")), "batch_size")
            form.bind(gr.Number(default("learning_rate") or 0, minimum=0, step=1e-5, label=t("learning_rate"),
                                info=t("learning_rate_info")), "learning_rate")
            form.bind(gr.Number(default("max_length") or 0, precision=0, minimum=0, maximum=8192, label=t("max_length"),
                                info=t("max_length_info")), "max_length")
        with gr.Row():
            form.bind(gr.Number(default("head_learning_rate") or 0, minimum=0, step=1e-5,
                                label=t("head_learning_rate"), info=t("head_learning_rate_info")),
                      "head_learning_rate")
            form.bind(gr.Number(default("layerwise_lr_decay") or 0, minimum=0, maximum=1, step=0.05,
                                label=t("layerwise_lr_decay"), info=t("layerwise_lr_decay_info")),
                      "layerwise_lr_decay")
        with gr.Row():
            form.bind(gr.Number(default("last_n_layers"), precision=0, minimum=1, label=t("last_n_layers")),
                      "last_n_layers")
            form.bind(gr.Number(default("lora_r"), precision=0, minimum=1, label=t("lora_r")), "lora_r")
            form.bind(gr.Number(default("gradient_accumulation_steps"), precision=0, minimum=1,
                                label=t("gradient_accumulation_steps")), "gradient_accumulation_steps")
            form.bind(gr.Number(default("evals_per_epoch"), precision=0, minimum=1, label=t("evals_per_epoch"),
                                elem_id="evals-per-epoch"), "evals_per_epoch")
            form.bind(gr.Number(default("early_stopping_patience"), precision=0, minimum=0,
                                label=t("early_stopping_patience")), "early_stopping_patience")
        with gr.Row():
            form.bind(gr.Number(default("warmup_ratio"), minimum=0, maximum=0.5, step=0.01, label=t("warmup_ratio")),
                      "warmup_ratio")
            form.bind(gr.Number(default("weight_decay"), minimum=0, step=0.01, label=t("weight_decay")),
                      "weight_decay")
            form.bind(gr.Number(default("label_smoothing"), minimum=0, maximum=0.5, step=0.05,
                                label=t("label_smoothing")), "label_smoothing")
            form.bind(gr.Number(default("token_dropout"), minimum=0, maximum=0.5, step=0.05, label=t("token_dropout"),
                                info=t("token_dropout_info")), "token_dropout")
            # a dropdown, not a number: 0 is a rate here, where an empty number field means "automatic"
            form.bind(gr.Dropdown([(t("backbone_dropout_auto"), "auto"), "0", "0.05", "0.1", "0.2"], value="auto",
                                  label=t("backbone_dropout"), info=t("backbone_dropout_info"),
                                  elem_id="backbone-dropout"),
                      convert=lambda choice: {"backbone_dropout": None if choice in (None, "", "auto")
                                              else float(choice)})
            form.bind(gr.Dropdown(list(SCHEDULERS), value=default("lr_scheduler_type"), label=t("lr_scheduler_type")),
                      "lr_scheduler_type")
        with gr.Row():
            form.bind(gr.Dropdown(list(BEST_METRICS), value=default("metric_for_best_model"),
                                  label=t("metric_for_best_model")), "metric_for_best_model")
            form.bind(gr.Radio([(t("truncation_auto"), "auto"), (t("truncation_head"), "head"),
                                (t("truncation_head_tail"), "head+tail"), (t("truncation_chunk"), "chunk")],
                               value=default("truncation"), label=t("truncation"), info=t("truncation_info"),
                               elem_id="truncation"), "truncation")
            form.bind(gr.Dropdown(list(PRECISIONS), value=default("mixed_precision"), label=t("mixed_precision"),
                                  info=t("mixed_precision_info")), "mixed_precision")
            form.bind(gr.Checkbox(default("baseline"), label=t("baseline")), "baseline")
            form.bind(gr.Checkbox(default("ensemble"), label=t("ensemble")), "ensemble")
            form.bind(gr.Checkbox(default("refit"), label=t("refit"), info=t("refit_info"), elem_id="refit"), "refit")
        with gr.Row():
            form.bind(gr.Radio([(t("pooling_auto"), "auto"), (t("pooling_mean"), "mean"), (t("pooling_cls"), "cls")],
                               value=default("pooling"), label=t("pooling"), elem_id="pooling"), "pooling")
            form.bind(gr.Dropdown(["none", "tensorboard", "trackio", "mlflow", "wandb"], value=default("report_to"),
                                  label=t("report_to"), info=t("report_to_info"), elem_id="report-to"), "report_to")
        with gr.Row(equal_height=False):  # its own row: a file box squeezed beside three others hid its label
            form.bind(gr.Checkbox(default("adapt_first"), label=t("adapt_first"), info=t("adapt_first_info"),
                                  elem_id="adapt-first"), "adapt_first")
            form.bind(gr.File(label=t("adapt_data"), file_types=list(UPLOAD_EXTENSIONS), height=150,
                              elem_id="adapt-data"), "adapt_data")
    return max_train_samples


@dataclass
class _RunPanel:
    """The components below the settings: device and estimate, the buttons, and the run shown."""
    device: gr.Markdown
    estimate: gr.Markdown
    start: gr.Button
    stop: gr.Button
    resume: gr.Button
    status: gr.Markdown
    progress: gr.HTML
    loss_plot: gr.Plot
    validation_plot: gr.Plot
    log: gr.Textbox
    run_state: gr.State
    seen_state: gr.State
    timer: gr.Timer

    def view_outputs(self) -> list[Any]:
        """What `_render` fills, in its order."""
        return [self.run_state, self.seen_state, self.status, self.progress, self.loss_plot, self.validation_plot,
                self.log, self.resume, self.start, self.stop, self.timer]


def _run_panel() -> _RunPanel:
    """Create the components below the settings, in the page's order."""
    with gr.Row():
        device = gr.Markdown(elem_id="device")
        estimate = gr.Markdown(t("estimate_none"), elem_id="estimate")
    with gr.Row():
        start = gr.Button(t("start"), variant="primary", elem_id="start", scale=3)
        stop = gr.Button(t("stop"), variant="stop", elem_id="stop", scale=1)
        resume = gr.Button(t("resume"), variant="secondary", elem_id="resume", scale=1, visible=False)
    status = gr.Markdown(t("no_run_yet"), elem_id="train-status")
    progress = gr.HTML("", elem_id="train-progress", js_on_load=None)
    with gr.Row():
        loss_plot = gr.Plot(show_label=False, elem_id="loss-plot")
        validation_plot = gr.Plot(show_label=False, elem_id="validation-plot")
    log = gr.Textbox(label=t("log"), lines=8, max_lines=14, interactive=False, autoscroll=True, elem_id="train-log")
    run_state = gr.State(None)  # name of the run shown
    seen_state = gr.State(None)  # what was last drawn of it (to skip unchanged redraws)
    timer = gr.Timer(POLL_SECONDS, active=False)
    return _RunPanel(device=device, estimate=estimate, start=start, stop=stop, resume=resume, status=status,
                     progress=progress, loss_plot=loss_plot, validation_plot=validation_plot, log=log,
                     run_state=run_state, seen_state=seen_state, timer=timer)


def _render(view: RunView | None, lang: str) -> tuple:
    """Values for the tab's view_outputs: `view`, or the empty page when there is no run."""
    if view is None:
        return (None, None, tr(lang, "no_run_yet"), "", loss_figure(None, lang), validation_figure(None, lang),
                "", gr.Button(visible=False), *buttons(None), gr.Timer(active=False))
    return (view.name, signature(view), status_markdown(view, lang), progress_html(view, lang),
            loss_figure(view, lang), validation_figure(view, lang), "\n".join(view.log_lines(lang)[-200:]),
            gr.Button(visible=can_resume(view)), *buttons(view), gr.Timer(active=view.active))


@dataclass
class _Handlers:
    """The tab's handlers that show, start, stop or resume runs (closures over the runner and the form)."""
    restore: Any
    show: Any
    tick: Any
    start_run: Any
    stop_run: Any
    resume_run: Any


def _run_handlers(form: ConfigForm, lang_box: gr.Textbox, data_state: gr.State, runner: TrainingRunner,
                  view_count: int) -> _Handlers:
    def restore(lang: str):
        latest = runner.latest_run()
        return _render(runner.view(latest) if latest else None, lang)

    def show(run_name: str | None, lang: str):
        path = run_path(run_name)
        if path is None:
            raise gr.Error(tr(lang, "pick_run"), print_exception=False)
        return _render(runner.view(path), lang)

    def tick(run_name: str | None, seen: list | None, lang: str):
        path = run_path(run_name)
        if path is None:
            return (gr.skip(),) * (view_count - 1) + (gr.Timer(active=False),)
        view = runner.view(path)
        if signature(view) == seen:
            return (gr.skip(),) * (view_count - 1) + (gr.Timer(active=view.active),)
        return _render(view, lang)

    def start_run(values: dict):
        lang, info = values[lang_box], values[data_state]
        if not info:  # a notice, and every chart and table left as it was (an error would mark each one)
            gr.Warning(tr(lang, "need_data"))
            return (gr.skip(),) * view_count
        try:
            config = form.to_config(values, data=info["path"],
                                    extra={"source": "webui", "sample": info.get("sample"), "data_name": info["name"]})
            run_dir = runner.start(config)
        except RunInProgress as busy:
            gr.Warning(tr(lang, "in_progress", name=html_escape(busy.run_dir.name)))
            run_dir = busy.run_dir  # show the run that is going on
        except ClassifierError as exc:
            raise gr.Error(html_escape(error_text(exc, lang)), duration=None, print_exception=False) from None
        else:
            gr.Info(tr(lang, "started_run", name=html_escape(run_dir.name)))
        return _render(runner.view(run_dir), lang)

    @shows_errors
    def stop_run(run_name: str | None, lang: str):
        active = runner.active_run()
        if active is None:
            gr.Warning(tr(lang, "nothing_to_stop"))
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if runner.stop(active):
            gr.Info(tr(lang, "stop_sent", name=html_escape(active.name)))
        else:
            gr.Info(tr(lang, "stop_already", name=html_escape(active.name)))
        view = runner.view(active)
        return status_markdown(view, lang), progress_html(view, lang), *buttons(view)

    def resume_run(run_name: str | None, lang: str):
        path = run_path(run_name)
        if path is None:
            raise gr.Error(tr(lang, "no_run_yet"), print_exception=False)
        try:
            runner.resume(path)
        except RunInProgress as busy:
            gr.Warning(tr(lang, "in_progress", name=html_escape(busy.run_dir.name)))
            path = busy.run_dir
        except ClassifierError as exc:
            raise gr.Error(html_escape(error_text(exc, lang)), duration=None, print_exception=False) from None
        else:
            gr.Info(tr(lang, "resumed_run", name=html_escape(path.name)))
        return _render(runner.view(path), lang)

    return _Handlers(restore=restore, show=show, tick=tick, start_run=start_run, stop_run=stop_run,
                     resume_run=resume_run)


def on_data(info: dict | None, model_value: str, strategy_value: str, epochs_value, max_rows, lang: str):
    """New data: the note above the settings, the model it suggests (unless one of the user's own is chosen) and
    the estimate."""
    if not info:  # no data (a failed upload cleared it): say so, the estimate too
        return tr(lang, "need_data"), gr.skip(), tr(lang, "estimate_none")
    note = tr(lang, "data_for_training", name=md_escape(info["name"]), train=info["splits"]["train"],
              classes=len(info["class_counts"]))
    chosen = info["model"] if model_value in (None, "", "auto") or model_value in BUNDLED else model_value
    return note, gr.Dropdown(value=chosen), estimate_markdown(info, chosen, strategy_value, epochs_value,
                                                              max_rows, lang)


def update_estimate(info, model_value, strategy_value, epochs_value, max_rows, lang):
    return estimate_markdown(info, model_value, strategy_value, epochs_value, max_rows, lang)


def show_device(lang: str):
    return tr(lang, "device", device=message_text(device_description(), lang))


def _wire(panel: _RunPanel, handlers: _Handlers, form: ConfigForm, lang_box: gr.Textbox, data_state: gr.State,
          view_outputs: list[Any], estimate_inputs: list[Any]) -> None:
    """Register the tab's events: Start, Stop, Resume, the timer's tick, and the estimate following the settings
    among its inputs (model, strategy, epochs, max_train_samples)."""
    model, strategy, epochs, max_train_samples = estimate_inputs[1:5]
    panel.start.click(handlers.start_run, {lang_box, data_state, *form.components}, view_outputs,
                      concurrency_id="train", concurrency_limit=1, api_visibility="undocumented",
                      api_name="start_training")
    panel.stop.click(handlers.stop_run, [panel.run_state, lang_box],
                     [panel.status, panel.progress, panel.start, panel.stop], concurrency_id="train",
                     concurrency_limit=1, api_visibility="undocumented", api_name="stop_training")
    panel.resume.click(handlers.resume_run, [panel.run_state, lang_box], view_outputs, concurrency_id="train",
                       concurrency_limit=1, api_visibility="undocumented", api_name="resume_training")
    panel.timer.tick(handlers.tick, [panel.run_state, panel.seen_state, lang_box], view_outputs,
                     concurrency_limit=None, show_progress="hidden", api_visibility="private")
    for event in (model.change, strategy.change, epochs.change, max_train_samples.change):
        event(update_estimate, estimate_inputs, [panel.estimate], show_progress="hidden", api_visibility="private",
              trigger_mode="always_last")


def estimate_markdown(info: dict | None, model: str, strategy: str, epochs: float | None, max_rows: float | None,
                      lang: str) -> str:
    if not info:
        return tr(lang, "estimate_none")
    splits = info["splits"]
    rows = min(splits["train"], int(max_rows)) if max_rows else splits["train"]
    model = info["model"] if model in (None, "", "auto") else model
    name = Path(model).name if Path(model).is_dir() else model
    # automatic epochs as the run will decide them (`full` is what `auto` picks for the bundled encoders)
    steps_per_epoch = max(1, -(-rows // default("batch_size")))
    epochs = float(epochs or default_epochs("full" if strategy in (None, "", "auto") else strategy, name,
                                            steps_per_epoch))
    evals = max(1, round(default("evals_per_epoch") * epochs))
    on_gpu = not device_description().startswith("CPU")
    from ..hardware import cpu_has_native_bf16  # the default precision trains in bf16 on such a CPU

    seconds = estimate_seconds(name, strategy or "auto", rows, epochs, on_gpu, _past_metrics(),
                               eval_texts=splits["validation"] * evals + splits["test"],
                               bf16_cpu=not on_gpu and cpu_has_native_bf16()) * busy_factor(on_gpu)
    return tr(lang, "estimate", time=duration(seconds, lang), rows=rows, epochs=epochs)


def busy_factor(on_gpu: bool) -> float:
    """How much slower a CPU run goes on this machine now: other work (the load average) shares its cores. A run
    estimated at 2 min took 12.5 min on a busy 2-core machine (issue 14); with a load of 4 on 2 cores a run gets
    about a third of them."""
    if on_gpu:
        return 1.0
    try:
        load = os.getloadavg()[0]
    except OSError:
        return 1.0
    cores = os.cpu_count() or 1
    return max(1.0, (load + 1.0) / cores)


def _past_metrics() -> list[dict]:
    from ..runs import list_runs

    metrics = []
    for info in list_runs()[:30]:
        values = RunFolder(info.path).read_metrics()
        if values:
            metrics.append(values)
    return metrics

