"""Predict tab: classify a typed text as you type, or a whole file into a downloadable CSV.

`predict` is also the app's public API (`api_name="predict"`): `Client(url).predict(text, run, api_name="/predict")`.
One `classifier.predict.Predictor` per run folder is kept in memory and shared by every visitor. What one request
may cost is bounded (classifier/security.py, docs/security.md): a text of more than CLASSIFIER_MAX_TEXT_CHARS
characters is refused with a message, and so is a file of more texts or characters than its limits allow.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from ..errors import RunError
from ..runs import model_dir
from ..security import check_text, safe_filename
from .common import md_escape, run_choices, run_path, runs_with, shows_errors
from .data_tab import FILE_TYPES, check_upload
from .exports import new_export
from .i18n import t, tr

PREDICT_CONCURRENCY = 4  # typed predictions at once (small batches; torch uses the cores within each call)
CACHE_SIZE = 3
EXAMPLES = [
    "WINNER!! You have been selected to receive a £900 prize reward! To claim call 09061701461 now.",
    "Sorry, I'll call you later. I am in a meeting till 6.",
    "URGENT! Your mobile number has won a free holiday. Txt CLAIM to 81010 to collect.",
    "恒生指数收涨1.2% 科技股领涨",
    "国足热身赛2比0战胜对手 新帅首秀告捷",
    "新款手机发布 搭载自研芯片续航提升三成",
]


class PredictorCache:
    """The last few Predictors, keyed by model folder and its modification time (a running training may
    replace best/; the next call then loads the new one)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, float], object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, run_dir: Path):
        from ..predict import Predictor

        folder = model_dir(run_dir)
        key = (str(folder), folder.stat().st_mtime)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            predictor = Predictor(run_dir)
            self._items[key] = predictor
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return predictor


PREDICTORS = PredictorCache()


def resolve_run(run: str | None) -> Path:
    """The run named, or for no name ("" or None) the newest run that has a model. A name that is not a run is an
    error (RunError), never an answer from another run."""
    name = str(run or "").strip()
    path = run_path(name)
    if name and path is None:
        raise RunError(f"There is no run named {name!r}. Pick a run from the list, or leave the run empty for the "
                       "newest one.")
    if path is None:
        runs = runs_with("model")
        if not runs:
            raise RunError("There is no trained model yet. Train one in the Train tab first.")
        path = runs[0].path
    return path


@shows_errors
def predict(text: str, run: str | None = None) -> dict[str, float] | None:
    """Class probabilities of `text` from the run named `run` (default: the newest run with a model)."""
    if not text or not text.strip():
        return None
    check_text(text)  # CLASSIFIER_MAX_TEXT_CHARS: refused with a message, before any model is touched
    prediction = PREDICTORS.get(resolve_run(run)).predict([text])[0]
    return dict(sorted(prediction.probabilities.items(), key=lambda kv: -kv[1]))


@shows_errors
def predict_labels(text: str, run: str | None = None, threshold: float = 0.0, lang: str = "en") -> str:
    """Multi-label runs: the labels whose probability reaches the threshold (0: each label's tuned one)."""
    if not text or not text.strip():
        return ""
    check_text(text)
    predictor = PREDICTORS.get(resolve_run(run))
    if not predictor.multi_label:
        return ""
    probs = predictor.predict_proba([text])
    chosen = predictor.decide(probs, threshold if threshold and threshold > 0 else None)[0]
    names = [predictor.labels[j] for j in chosen.nonzero()[0]]
    rule = tr(lang, "ml_rule_global", value=threshold) if threshold and threshold > 0 else tr(lang, "ml_rule_tuned")
    shown = ", ".join(md_escape(name) for name in names) if names else tr(lang, "ml_none")
    return tr(lang, "ml_labels", labels=shown, rule=rule)


@shows_errors
def predict_file(path: str | None, run: str | None = None, lang: str = "en"):
    """Label every text of a file; returns the path of a CSV of results and a preview of its first rows."""
    from ..evaluation import predict_file as engine_predict_file

    if not path:
        raise gr.Error(tr(lang, "batch_need_file"), print_exception=False)
    path = check_upload(path, lang)
    run_dir = resolve_run(run)
    stem = Path(safe_filename(path.name, "texts")).stem  # the visitor's file name is never a path of ours
    output = new_export(f"{stem}.{run_dir.name}.predictions.csv")  # a fresh folder: no visitor shares it
    count = engine_predict_file(run_dir, path, output, bounded=True)  # the limits of security.check_texts
    gr.Info(tr(lang, "batch_done", n=count))
    return str(output), pd.read_csv(output, nrows=20)


@dataclass
class PredictTab:
    run: gr.Dropdown
    text: gr.Textbox
    label: gr.Label
    refresh_choices: object  # fn(current) -> run dropdown


def build(lang_box: gr.Textbox) -> PredictTab:
    gr.Markdown(t("predict_intro"))
    run = gr.Dropdown([], label=t("run"), allow_custom_value=True, elem_id="predict-run")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            text = gr.Textbox(label=t("text_input"), placeholder=t("text_placeholder"), lines=3,
                              elem_id="predict-text")
            button = gr.Button(t("classify"), variant="primary")
            gr.Examples([[e] for e in EXAMPLES], inputs=[text], label=t("examples"))
        with gr.Column(scale=2):
            label = gr.Label(label=t("prediction"), elem_id="prediction")
            chosen = gr.Markdown(elem_id="prediction-labels")
            threshold = gr.Slider(0, 0.95, value=0, step=0.05, label=t("ml_threshold"), elem_id="ml-threshold")
    with gr.Accordion(t("batch"), open=False):
        gr.Markdown(t("batch_info"))
        with gr.Row():
            batch_file = gr.File(label=t("batch_file"), file_types=FILE_TYPES, height=130, scale=3,
                                 elem_id="batch-file")
            with gr.Column(scale=1):
                batch_button = gr.Button(t("batch_run"), elem_id="batch-run")
                download = gr.File(label=t("batch_download"), interactive=False, height=80)
        batch_preview = gr.Dataframe(label=t("batch_preview"), interactive=False, wrap=True, max_height=300,
                                     elem_id="batch-preview")

    gr.on([text.change, button.click, run.change], predict, [text, run], [label], api_name="predict",
          trigger_mode="always_last", concurrency_limit=PREDICT_CONCURRENCY, concurrency_id="predict",
          show_progress="minimal")
    gr.on([text.change, button.click, run.change, threshold.change], predict_labels, [text, run, threshold, lang_box],
          [chosen], trigger_mode="always_last", concurrency_limit=PREDICT_CONCURRENCY, concurrency_id="predict",
          show_progress="hidden", api_visibility="private")
    batch_button.click(predict_file, [batch_file, run, lang_box], [download, batch_preview], api_name="predict_file",
                       concurrency_limit=1, concurrency_id="predict_file")

    def refresh_choices(current: str | None):
        choices = run_choices("model")
        names = [value for _, value in choices]
        return gr.Dropdown(choices=choices, value=current if current in names else (names[0] if names else None))

    return PredictTab(run=run, text=text, label=label, refresh_choices=refresh_choices)
