"""Predict tab: classify a typed text as you type, or a whole file into a downloadable CSV.

`predict` is also the app's public API (`api_name="predict"`): `Client(url).predict(text, run, api_name="/predict")`;
`explain` (`api_name="explain"`) answers which words pushed the model towards a class and which away
(classifier/explain.py): `Client(url).predict(text, run, "", api_name="/explain")` ("" = the predicted class).
One `classifier.predict.Predictor` per run folder is kept in memory and shared by every visitor. What one request
may cost is bounded (classifier/security.py, docs/security.md): a text of more than CLASSIFIER_MAX_TEXT_CHARS
characters is refused with a message, and so is a file of more texts or characters than its limits allow.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import pandas as pd

from ..errors import RunError
from ..messages import render, say
from ..runs import model_dir, read_predictions
from ..security import check_text, max_text_chars, safe_filename
from .common import default_run, md_escape, run_choices, run_path, shows_errors
from .data_tab import FILE_TYPES, check_upload
from .exports import new_export
from .i18n import t, tr

PREDICT_CONCURRENCY = 4  # typed predictions at once (small batches; torch uses the cores within each call)
EXPLAIN_CONCURRENCY = 2  # explanations at once: each is ~20 forward and backward passes
EXPLAIN_WINDOWS = 4  # a chunked run's windows explained per request (bounded cost; the answer says how many)
CACHE_SIZE = 3
NO_MODEL_QUIET_S = 10.0  # a visitor is told "no trained model yet" at most once in this long (a toast's life)
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
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, run_dir: Path):
        from ..predict import Predictor

        folder = model_dir(run_dir)
        export = Path(run_dir) / "onnx" / "model.onnx"  # an export made since: the next call uses it
        key = (str(folder), folder.stat().st_mtime, export.stat().st_mtime if export.is_file() else None)
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
    """The run named, or for no name ("" or None) the default run (common.default_run: the best finished run on
    the data of the latest run, else the newest run with a model). A name that is not a run is an error (RunError),
    never an answer from another run."""
    name = str(run or "").strip()
    path = run_path(name)
    if name and path is None:
        raise RunError(say("predict_no_such_run", name=name))
    if path is None:
        best = default_run("model")
        if best is None:
            raise RunError(say("predict_no_model"))
        path = run_path(best)
    return path


@shows_errors
def predict(text: str, run: str | None = None) -> dict[str, float] | None:
    """Class probabilities of `text` from the run named `run` (default: the newest run with a model)."""
    if not text or not text.strip():
        return None
    check_text(text)  # CLASSIFIER_MAX_TEXT_CHARS: refused with a message, before any model is touched
    prediction = PREDICTORS.get(resolve_run(run)).predict([text])[0]
    return dict(sorted(prediction.probabilities.items(), key=lambda kv: -kv[1]))


def no_model_yet(run: str | None) -> bool:
    """No run named and no run with a trained model at all: the state of a fresh app, not a failure."""
    return not str(run or "").strip() and default_run("model") is None


_no_model_told: OrderedDict[str, float] = OrderedDict()  # session hash -> when it was last told
_no_model_guard = threading.Lock()


def told_no_model_lately(request: gr.Request | None) -> bool:
    """Whether this visitor was told "no trained model yet" less than NO_MODEL_QUIET_S ago (and, if not, note that
    they are told now). The text's `change` can reach the server twice for one edit on a busy machine (seen in CI:
    the same toast twice), and typing sends one event per pause; the notice on screen already says it."""
    key = str(getattr(request, "session_hash", None) or "")[:128]  # the client names its session: bounded
    if not key:
        return False
    now = time.monotonic()
    with _no_model_guard:
        last = _no_model_told.get(key)
        if last is not None and now - last < NO_MODEL_QUIET_S:
            return True
        _no_model_told[key] = now
        _no_model_told.move_to_end(key)
        while len(_no_model_told) > 1024:  # bounded: old visitors are forgotten
            _no_model_told.popitem(last=False)
    return False


@shows_errors
def predict_in_page(text: str, run: str | None = None, lang: str = "en",
                    request: gr.Request = None) -> dict[str, float] | None:
    """The page's prediction, as the text changes or Classify is pressed: `predict`, except that no trained model
    yet is a notice of what to do (gr.Warning) over an empty label instead of an error badge on it, once while the
    last such notice is still on the visitor's screen. The API's /predict (the same `predict`) still answers that
    with an error."""
    if text and text.strip() and no_model_yet(run):
        if not told_no_model_lately(request):
            gr.Warning(render(say("predict_no_model"), lang))
        return None
    return predict(text, run)


@shows_errors
def predict_for_run(text: str, run: str | None = None) -> dict[str, float] | None:
    """The run dropdown changed (a pick, or the tab refreshing its list): `predict` for the text in the box. That
    there is no trained model at all is no news here: the text's own event said so once, and the dropdown has sent
    `change` over and over while a text was in the box (seen in the browser tests on a busy machine, while run.change
    shared one event with the text's: eight in four seconds, each a toast). A name that is not a run is still an
    error."""
    if no_model_yet(run):
        return None
    return predict(text, run)


def follower_predictor(text: str, run: str | None):
    """The Predictor for the views that follow a prediction (the chosen labels, the explanation), or None where
    `predict`, started by the same text or run, already says why there is no answer: an empty text, a text over
    CLASSIFIER_MAX_TEXT_CHARS, no trained model yet, no such run or a run without a model. So the page shows that
    message once, not once per view; nothing is tokenized or loaded for such a text."""
    if not text or not text.strip() or len(text) > max_text_chars():
        return None
    try:
        return PREDICTORS.get(resolve_run(run))
    except RunError:
        return None


@shows_errors
def predict_labels(text: str, run: str | None = None, threshold: float = 0.0, lang: str = "en") -> str:
    """Multi-label runs: the labels whose probability reaches the threshold (0: each label's tuned one)."""
    predictor = follower_predictor(text, run)
    if predictor is None:
        return ""
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


@shows_errors
def export_for_cpu(run: str | None = None, lang: str = "en") -> str:
    """The visitor asked for it (the button): RUN/onnx/, which every later prediction on a CPU uses."""
    from ..onnx_export import export_onnx
    from ..security import demo_mode

    if demo_mode():  # a public app writes nothing into its runs; the button is hidden there
        raise gr.Error(tr(lang, "onnx_demo"), print_exception=False)
    run_dir = resolve_run(run)
    export_onnx(run_dir)
    return tr(lang, "onnx_done", run=md_escape(run_dir.name))


def backend_note(run: str | None = None, lang: str = "en") -> str:
    """Which engine answers for the run: ONNX Runtime when it has an up-to-date export (and the CPU), else PyTorch."""
    try:
        run_dir = resolve_run(run)
        from ..onnx_export import fresh_export, onnx_dir_of

        found = fresh_export(model_dir(run_dir), onnx_dir_of(run_dir)) is not None
    except Exception:  # noqa: BLE001  (no run yet: nothing to say)
        return ""
    return tr(lang, "onnx_used" if found else "onnx_offer")


@shows_errors
def explain(text: str, run: str | None = None, target: str | None = None) -> dict | None:
    """Which words of `text` pushed the run's fine-tuned model towards `target` (default "": the predicted class)
    and which away: label, target, probability, words [(word, score in [-1, 1])] in the text's order, towards and
    away (the top five each), explains (what was computed, in words)."""
    from ..explain import top_words

    if not text or not text.strip():
        return None
    check_text(text)
    result = PREDICTORS.get(resolve_run(run)).explain(text, target or None, max_windows=EXPLAIN_WINDOWS)
    answer = {key: result[key] for key in ("label", "target", "probability", "words", "windows", "windows_total",
                                           "explains")}
    return answer | {"towards": top_words(result, 5), "away": top_words(result, 5, towards=False)}


@shows_errors
def explain_view(text: str, run: str | None = None, target: str | None = None, lang: str = "en"):
    """The Predict tab's view of `explain`: the text with a score per word (gr.HighlightedText) and a note."""
    from ..explain import top_words

    predictor = follower_predictor(text, run)
    if predictor is None:
        return None, ""
    result = predictor.explain(text, target or None, max_windows=EXPLAIN_WINDOWS)
    pieces, end = [], 0
    for (a, b), (word, score) in zip(result["spans"], result["words"]):
        if a > end:
            pieces.append((text[end:a], None))  # the whitespace between words, uncoloured
        pieces.append((word, score))
        end = b
    if end < len(text):
        pieces.append((text[end:], None))

    def listed(words):
        return ", ".join(f"{md_escape(w)} ({s:+.2f})" for w, s in words) or tr(lang, "why_none")

    note = tr(lang, "why_note", target=md_escape(result["target"]), probability=result["probability"],
              towards=listed(top_words(result, 3)), away=listed(top_words(result, 3, towards=False)))
    if predictor.decision in ("ensemble", "baseline"):
        note += "  \n" + tr(lang, f"why_{predictor.decision}")
    if result["windows_total"] > len(result["windows"]):
        note += "  \n" + tr(lang, "why_windows", shown=len(result["windows"]), total=result["windows_total"])
    return pieces, note


@shows_errors
def explain_classes(run: str | None = None, current: str | None = "", lang: str = "en"):
    """The classes one can ask about: the predicted one (""), then the run's classes. The class the user picked
    stays picked while the run has it (the run list is refreshed, with the same run, each time the tab opens)."""
    try:
        labels = PREDICTORS.get(resolve_run(run)).labels
    except RunError:  # no run yet: the choice waits for one
        labels = []
    return gr.Dropdown(choices=[(tr(lang, "why_predicted"), "")] + [(name, name) for name in labels],
                       value=current if current in labels else "")


@dataclass
class PredictTab:
    run: gr.Dropdown
    text: gr.Textbox
    label: gr.Label
    refresh_choices: object  # fn(current) -> run dropdown


def run_examples(run_dir: Path, count: int = 6, seed: int = 0) -> list[str]:
    """Example texts for a run: texts of its own test split (RUN/predictions.csv), a few of each class in turn,
    not too short or long; the built-in examples where the run has none (Chinese news for an SMS model no more)."""
    from ..security import from_spreadsheet_cell

    try:
        frame = read_predictions(run_dir, ("text", "gold"), dtype=str)
    except (FileNotFoundError, RunError):
        return list(EXAMPLES)
    frame = frame.assign(text=frame["text"].map(from_spreadsheet_cell))
    frame = frame[frame["text"].str.len().between(12, 220)]
    if frame.empty:
        return list(EXAMPLES)
    groups = [group.sample(frac=1.0, random_state=seed)["text"].tolist()
              for _, group in frame.groupby("gold", sort=True)]
    picked: list[str] = []
    while len(picked) < count and any(groups):
        for group in groups:
            if group and len(picked) < count:
                picked.append(group.pop())
    return picked


def run_is_multi_label(run_dir: Path | None) -> bool:
    """From the run's resolved settings (config.json), without loading its model."""
    from ..runs import read_json

    config = (read_json(run_dir / "config.json") or {}) if run_dir else {}
    return str(config.get("multi_label", "no")) == "yes"


@shows_errors
def fit_to_run(run_name: str | None):
    """Examples from the run's own test texts, and the decision-threshold slider only for a multi-label run."""
    path = run_path(run_name) if run_name else None
    if path is None:
        return gr.Dataset(samples=[[e] for e in EXAMPLES]), gr.Slider(visible=False)
    return gr.Dataset(samples=[[e] for e in run_examples(path)]), gr.Slider(visible=run_is_multi_label(path))


def _demo() -> bool:
    from ..security import demo_mode

    return demo_mode()


def build(lang_box: gr.Textbox) -> PredictTab:
    gr.Markdown(t("predict_intro"))
    run = gr.Dropdown([], label=t("run"), allow_custom_value=True, elem_id="predict-run")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            text = gr.Textbox(label=t("text_input"), placeholder=t("text_placeholder"), lines=3,
                              elem_id="predict-text")
            button = gr.Button(t("classify"), variant="primary")
            with gr.Row():
                engine = gr.Markdown(elem_id="predict-engine")
                export_button = gr.Button(t("onnx_export"), size="sm", visible=not _demo(), elem_id="onnx-export")
            examples = gr.Examples([[e] for e in EXAMPLES], inputs=[text], label=t("examples"),
                                   elem_id="predict-examples")
        with gr.Column(scale=2):
            label = gr.Label(label=t("prediction"), elem_id="prediction")
            chosen = gr.Markdown(elem_id="prediction-labels")
            threshold = gr.Slider(0, 0.95, value=0, step=0.05, label=t("ml_threshold"), elem_id="ml-threshold",
                                  visible=False)
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
    with gr.Accordion(t("why"), open=True, elem_id="why"):
        gr.Markdown(t("why_info"))
        why_class = gr.Dropdown([("", "")], value="", label=t("why_class"), elem_id="why-class")
        why_words = gr.HighlightedText(label=t("why_words"), show_legend=True, elem_id="why-words")
        why_note = gr.Markdown(elem_id="why-note")

    gr.on([text.change, button.click], predict_in_page, [text, run, lang_box], [label], trigger_mode="always_last",
          concurrency_limit=PREDICT_CONCURRENCY, concurrency_id="predict", show_progress="minimal",
          api_visibility="private")
    # the API's /predict: the same text and run in, the same Label out, but `predict` itself (errors stay errors);
    # a button that is never shown triggers it, so its inputs and output are these components'
    api_trigger = gr.Button(visible=False, elem_id="predict-api")
    api_trigger.click(predict, [text, run], [label], api_name="predict", concurrency_limit=PREDICT_CONCURRENCY,
                      concurrency_id="predict")
    # the run dropdown has its own event: with run.change among the text's triggers (one gr.on, as before), a page
    # with no model and a text in the box sent `predict` up to twice a second in the browser tests; always_last now
    # holds per event, so an answer for the run picked before can land after the new one's (the next edit redoes it)
    run.change(predict_for_run, [text, run], [label], trigger_mode="always_last", concurrency_limit=PREDICT_CONCURRENCY,
               concurrency_id="predict", show_progress="minimal", api_visibility="private")
    gr.on([text.change, button.click, run.change, threshold.change], predict_labels, [text, run, threshold, lang_box],
          [chosen], trigger_mode="always_last", concurrency_limit=PREDICT_CONCURRENCY, concurrency_id="predict",
          show_progress="hidden", api_visibility="private")
    explained = {"fn": explain_view, "inputs": [text, run, why_class, lang_box], "outputs": [why_words, why_note],
                 "concurrency_limit": EXPLAIN_CONCURRENCY, "concurrency_id": "explain", "show_progress": "minimal",
                 "api_visibility": "private"}
    run.change(explain_classes, [run, why_class, lang_box], [why_class], api_visibility="private").then(**explained)
    run.change(fit_to_run, [run], [examples.dataset, threshold], api_visibility="private")
    # why_class.change, not .input: Gradio's Dropdown sends `input` twice per pick (on the choice and again on its
    # blur), which ran the explanation twice; `change` fires once, after the value is set
    gr.on([text.change, button.click, why_class.change], trigger_mode="always_last", **explained)
    gr.api(explain, api_name="explain", concurrency_limit=EXPLAIN_CONCURRENCY, concurrency_id="explain")
    run.change(backend_note, [run, lang_box], [engine], api_visibility="private")
    export_button.click(export_for_cpu, [run, lang_box], [engine], api_visibility="private", concurrency_limit=1,
                        concurrency_id="onnx_export")
    batch_button.click(predict_file, [batch_file, run, lang_box], [download, batch_preview], api_name="predict_file",
                       concurrency_limit=1, concurrency_id="predict_file")

    def refresh_choices(current: str | None):
        choices = run_choices("model")
        names = [value for _, value in choices]
        return gr.Dropdown(choices=choices, value=current if current in names else default_run("model"))

    return PredictTab(run=run, text=text, label=label, refresh_choices=refresh_choices)
