"""The studio: five tabs over the engine, wired together, with deliberate queue limits.

Concurrency: one training at a time (the runner refuses a second Start; the start/stop events share the
"train" queue slot); predictions have their own slots (`predict_tab.PREDICT_CONCURRENCY`); the 1-second
polling of a run is unlimited (it only reads a small file); everything else shares DEFAULT_CONCURRENCY.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..runs import ASSETS
from ..security import LoginGuard, auth_pairs, demo_mode, max_upload_bytes
from . import data_tab, evaluate_tab, predict_tab, runs_tab, train_tab
from .common import ConfigForm, guard_handlers, run_choices
from .exports import purge_exports
from .i18n import I18N, LANGS, t, tr
from .runner import TrainingRunner

DEFAULT_CONCURRENCY = 2  # data summaries, evaluation views, run lists: short, but CPU-bound on a small machine
QUEUE_SIZE = 64

# The language the page is shown in: set by Gradio's i18n from the browser (or the Settings panel in the footer).
PAGE_LANGUAGE_JS = "() => document.documentElement.lang || navigator.language || 'en'"

CSS = """
.tcs-progress { height: 14px; border-radius: 7px; background: var(--neutral-200); overflow: hidden; }
.tcs-bar { height: 100%; background: var(--color-accent); transition: width 0.6s ease; }
.tcs-done .tcs-bar { background: #16a34a; }
.tcs-stopped .tcs-bar { background: #f59e0b; }
.tcs-bad .tcs-bar { background: #dc2626; }
.tcs-progress-text { margin-top: 4px; font-size: 0.9em; color: var(--body-text-color-subdued); }
.tcs-warnings { padding: 6px 12px; border-left: 4px solid #f59e0b; background: var(--background-fill-secondary);
                border-radius: 4px; }
.tcs-ok { padding: 6px 12px; border-left: 4px solid #16a34a; background: var(--background-fill-secondary);
          border-radius: 4px; }
#delete-confirm { padding: 10px; border: 1px solid #dc2626; }
"""


# System fonts only: the studio runs offline, so nothing is fetched from a font CDN.
THEME = gr.themes.Soft(font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Noto Sans", "sans-serif"],
                       font_mono=["ui-monospace", "SFMono-Regular", "Consolas", "DejaVu Sans Mono", "monospace"])


def launch_options() -> dict[str, Any]:
    """Arguments for `demo.launch` that belong to the studio (the caller adds host and port): the upload size
    limit (CLASSIFIER_MAX_UPLOAD_MB) and, when CLASSIFIER_AUTH is set, a login for the whole app that slows down
    wrong passwords and locks a user name after a few (security.LoginGuard; the login page says so, in both
    languages: the page's language is not known before the login)."""
    options = {"i18n": I18N, "css": CSS, "theme": THEME, "allowed_paths": [str(ASSETS)],
               "footer_links": ["api", "settings"], "show_error": False, "max_file_size": max_upload_bytes()}
    pairs = auth_pairs()
    if pairs:
        guard = LoginGuard(pairs)
        options["auth"] = guard.check
        options["auth_message"] = "<br>".join(
            tr(lang, "login_note", failures=guard.max_failures, window=f"{guard.window:g}",
               lockout=f"{guard.lockout:g}") for lang in LANGS)
    return options


# Uploaded files are removed from the app's temporary folder once a day (a run keeps its own copy in RUN/inputs/).
DELETE_CACHE = (3600, 86400)
# The open demo takes anything any visitor uploads (Gradio's upload route checks no file type) for batch prediction
# only: every minute, what is 15 minutes old goes (uploads, and Gradio's copies of the results it served).
DEMO_DELETE_CACHE = (60, 900)


def storage_note(**options) -> gr.Markdown:
    """Where runs live, where that matters: on a Space, whether a restart keeps them."""
    from . import ON_SPACE, PERSISTENT_DIR

    key = "storage_persistent" if PERSISTENT_DIR else "storage_ephemeral" if ON_SPACE else None
    return gr.Markdown(t(key) if key else "", visible=key is not None, **options)


def build_app(runner: TrainingRunner | None = None) -> gr.Blocks:
    """The studio; with CLASSIFIER_DEMO=1 the read-only demo (build_demo_app)."""
    purge_exports()  # what an earlier run of the app left (webui.exports)
    if demo_mode():
        return build_demo_app()
    runner = runner or TrainingRunner()
    train_tab.warm_up()
    form = ConfigForm()
    with gr.Blocks(title="Text Classifier Studio", analytics_enabled=False, delete_cache=DELETE_CACHE) as demo:
        lang_box = gr.Textbox(value="en", visible=False)
        gr.Markdown(t("app_header"))
        with gr.Tabs() as tabs:
            with gr.Tab(t("tab_data"), id="data"):
                data = data_tab.build(form, lang_box)
            with gr.Tab(t("tab_train"), id="train") as train_item:
                train = train_tab.build(form, lang_box, data.state, runner)
            with gr.Tab(t("tab_evaluate"), id="evaluate") as evaluate_item:
                evaluate = evaluate_tab.build(lang_box)
            with gr.Tab(t("tab_predict"), id="predict") as predict_item:
                predict = predict_tab.build(lang_box)
            with gr.Tab(t("tab_runs"), id="runs") as runs_item:
                runs = runs_tab.build(lang_box)
        storage_note(elem_id="storage-note")

        # page load: learn the page's language, then show the run that is training (or the latest one)
        private = {"api_visibility": "private"}
        loaded = demo.load(None, None, [lang_box], js=PAGE_LANGUAGE_JS, **private)
        loaded.then(train.restore, [lang_box], train.view_outputs, **private)
        loaded.then(train.show_device, [lang_box], [train.device], **private)
        # the language can also be switched in Gradio's Settings panel: pick it up whenever a tab is opened
        tabs.select(None, None, [lang_box], js=PAGE_LANGUAGE_JS, **private)

        # the Train tab follows the data; one at a time, in order, so an older summary never lands last
        follow_data = {"fn": train.on_data, "inputs": train.estimate_inputs,
                       "outputs": [train.data_note, train.model, train.estimate], "concurrency_id": "follow_data",
                       "concurrency_limit": 1, "show_progress": "hidden", **private}
        for load in data.loads:
            load.success(**follow_data)
        train_item.select(**follow_data)
        evaluate_item.select(evaluate.refresh_choices, [evaluate.run, evaluate.newest_state],
                             [evaluate.run, evaluate.newest_state], **private)
        predict_item.select(predict.refresh_choices, [predict.run], [predict.run], **private)
        runs_item.select(runs.refresh, [runs.run, lang_box], runs.outputs, **private)

        def open_in(what: str, name: str | None):
            choices = run_choices(what)
            if name and name not in [value for _, value in choices]:
                choices = [(name, name), *choices]
            newest = choices[0][1] if choices else None
            return gr.Tabs(selected="evaluate" if what == "metrics" else "predict"), \
                gr.Dropdown(choices=choices, value=name), newest

        runs.open_evaluate.click(lambda name: open_in("metrics", name), [runs.run],
                                 [tabs, evaluate.run, evaluate.newest_state], **private)
        runs.open_predict.click(lambda name: open_in("model", name)[:2], [runs.run], [tabs, predict.run], **private)
        # a run in the Train tab: its curves and log, and Resume when it was interrupted or stopped
        runs.open_train.click(lambda name, lang: (gr.Tabs(selected="train"), *train.show(name, lang)),
                              [runs.run, lang_box], [tabs, *train.view_outputs], **private)

    guard_handlers(demo)  # every failure reaches the page as a message (common.shows_errors)
    demo.queue(default_concurrency_limit=DEFAULT_CONCURRENCY, max_size=QUEUE_SIZE)
    return demo


def build_demo_app() -> gr.Blocks:
    """Read-only demo for public hosting (CLASSIFIER_DEMO=1): Predict, Evaluate and the list of runs. There is
    no Data or Train tab and no delete button, so the app has no endpoint that uploads training data, starts or
    stops a training, or deletes a run (the runner refuses to start in this mode as well). Uploads are smaller
    (security.DEFAULT_DEMO_MAX_UPLOAD_MB) and kept 15 minutes (DEMO_DELETE_CACHE)."""
    with gr.Blocks(title="Text Classifier Studio", analytics_enabled=False, delete_cache=DEMO_DELETE_CACHE) as demo:
        lang_box = gr.Textbox(value="en", visible=False)
        gr.Markdown(t("app_header"))
        gr.Markdown(t("demo_banner"), elem_id="demo-banner")
        with gr.Tabs() as tabs:
            with gr.Tab(t("tab_predict"), id="predict") as predict_item:
                predict = predict_tab.build(lang_box)
            with gr.Tab(t("tab_evaluate"), id="evaluate") as evaluate_item:
                evaluate = evaluate_tab.build(lang_box)
            with gr.Tab(t("tab_runs"), id="runs") as runs_item:
                runs = runs_tab.build(lang_box, allow_delete=False)
        private = {"api_visibility": "private"}
        loaded = demo.load(None, None, [lang_box], js=PAGE_LANGUAGE_JS, **private)
        loaded.then(predict.refresh_choices, [predict.run], [predict.run], **private)
        tabs.select(None, None, [lang_box], js=PAGE_LANGUAGE_JS, **private)
        evaluate_item.select(evaluate.refresh_choices, [evaluate.run, evaluate.newest_state],
                             [evaluate.run, evaluate.newest_state], **private)
        predict_item.select(predict.refresh_choices, [predict.run], [predict.run], **private)
        runs_item.select(runs.refresh, [runs.run, lang_box], runs.outputs, **private)
        runs.open_evaluate.click(lambda name: (gr.Tabs(selected="evaluate"), gr.Dropdown(value=name)), [runs.run],
                                 [tabs, evaluate.run], **private)
        runs.open_predict.click(lambda name: (gr.Tabs(selected="predict"), gr.Dropdown(value=name)), [runs.run],
                                [tabs, predict.run], **private)
    guard_handlers(demo)  # every failure reaches the page as a message (common.shows_errors)
    demo.queue(default_concurrency_limit=DEFAULT_CONCURRENCY, max_size=QUEUE_SIZE)
    return demo
