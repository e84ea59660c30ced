"""Predictor: a trained run (or any save_pretrained classifier folder) answering texts with labels.

    from classifier.predict import Predictor
    p = Predictor("runs/20261122-sms")
    p.predict(["WINNER!! Claim your prize now"])  # [Prediction(label='spam', score=0.99, probabilities={...})]

Texts longer than the run's `max_length` are truncated the way the run was trained (`head`: the first tokens are
kept; `head+tail`: the first quarter and last three quarters of the token budget). Batches are formed from texts
of similar length, so short texts are not padded to the longest one in the request. A run trained with
`truncation="chunk"` reads every window of a long text and pools the windows' logits (mean or max) as in training.

Multi-label runs answer a sigmoid probability per label; a label is predicted when its probability reaches its
threshold (tuned per label on the validation split, in classifier.json; `thresholds=` overrides them).

`Predictor(run, int8=True)` quantizes the Linear layers to int8 on the fly (PyTorch dynamic quantization, CPU
only): single-text latency of the default English model drops from ~16 to ~10 ms on 2 cores, and 99.85% of the
SMS test labels stay identical (bench/RESULTS.md). Reported test metrics always come from the unquantized model.

On a CPU, a run exported with `python -m classifier export` (RUN/onnx/, classifier/onnx_export.py) answers through
ONNX Runtime (`backend="auto"`; "torch" or "onnx" choose): only the model's forward pass changes, everything above
(reading long texts, chunk pooling, the ensemble, thresholds) stays here. `int8=True` then takes the export's
model_quantized.onnx when there is one. `.model` (the PyTorch model, for explanations) loads on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import pooling as _pooling  # noqa: F401  (registers the mean-pooling model type with the Auto classes)
from .encoding import encode_chunks, encode_texts, pool_logits
from .errors import ClassifierError, RunError
from .hf import logging as _hf_logging
from .messages import say
from .onnx_export import INT8_FILE
from .run_folder import MODEL_META_FILE, ModelMeta
from .runs import display_path, model_dir
from .security import clip_text, pretrained_kwargs
from .task import MULTI_LABEL, task_for

BACKENDS = ("auto", "onnx", "torch")  # auto: ONNX Runtime on a CPU when the run has an up-to-date export
_hf_logging.disable_progress_bar()  # "Loading weights" bars say nothing to someone who asked for a prediction


@dataclass
class Prediction:
    label: str  # multi-label: the predicted labels joined by "|" ("" when none reaches its threshold)
    score: float
    probabilities: dict[str, float]
    labels: list[str] = field(default_factory=list)  # every predicted label (one for single-label runs)


def pick_device(device: str | None = None) -> torch.device:
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def quantize_int8(model: torch.nn.Module) -> torch.nn.Module:
    """Dynamic int8 quantization of every Linear layer: weights int8 once, activations per call (CPU)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization announces its future move; the API works
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


class Predictor:
    def __init__(self, run: str | Path, device: str | None = None, batch_size: int = 32, int8: bool = False,
                 ensemble: bool = True, backend: str = "auto") -> None:
        run = Path(run)
        if not run.exists():
            raise RunError(say("predict_no_folder", path=display_path(run)))
        if backend not in BACKENDS:
            raise ClassifierError(say("predict_bad_backend", backend=backend, choices=", ".join(BACKENDS)))
        self.path = model_dir(run)
        self.run_dir = run if self.path != run else None
        settings = ModelMeta.read(self.path) or ModelMeta()  # how the model was trained to be fed
        self.device = pick_device(device)
        self._model = None
        self.onnx = self._onnx_forward(run, backend, int8)  # the exported forward pass (CPU), or None
        self.backend = "onnx" if self.onnx is not None else "torch"
        if self.onnx is None:
            self._load_torch(settings)
            config = self.model.config
        else:
            config = self._onnx_config()
        self.int8 = bool(int8) and self.device.type == "cpu"  # dynamic int8 kernels exist for the CPU only
        if self.onnx is not None:
            self.int8 = self.onnx.path.name == INT8_FILE
        elif self.int8:
            self._model = quantize_int8(self._model)
        self.labels = [config.id2label[i] for i in range(config.num_labels)]
        self.max_length = int(settings.max_length or min(self.tokenizer.model_max_length, 512))
        self.truncation = settings.truncation or "head"
        self.chunk_stride = settings.chunk_stride
        self.chunk_pooling = settings.chunk_pooling or "mean"
        self.batch_size = batch_size
        self.task = task_for(bool(settings.multi_label) or config.problem_type == MULTI_LABEL.problem_type)
        self.multi_label = self.task.multi_label
        saved = settings.thresholds or [0.5] * len(self.labels)
        self.thresholds = [float(t) for t in saved]
        # the validated ensemble with the TF-IDF model (classifier/ensemble.py): weight 1.0 = the model alone.
        # `thresholds` are those of what the run answers; `ensemble.model_thresholds` those of the model alone.
        chosen = settings.ensemble or {}
        chosen = chosen if isinstance(chosen, dict) else {"weight": chosen}
        try:
            weight = float(chosen.get("weight", 1.0)) if isinstance(chosen, dict) else 1.0
        except (TypeError, ValueError):
            weight = float("nan")
        if not 0.0 <= weight <= 1.0:
            raise RunError(say("predict_bad_weight", path=display_path(self.path / MODEL_META_FILE),
                               weight=chosen.get("weight")))
        self.ensemble_weight = weight if ensemble else 1.0
        if not ensemble and chosen.get("model_thresholds"):
            self.thresholds = [float(t) for t in chosen["model_thresholds"]]
        from .binary import read_decision

        # two-class runs: a decision threshold on the positive class saved with `classifier threshold` / Evaluate
        self.binary_decision = read_decision(settings.decision_threshold, self.labels)
        self.tfidf = None
        if self.ensemble_weight < 1.0:
            from .tfidf import TfidfModel

            try:
                self.tfidf = TfidfModel.load(self.path)
            except Exception as exc:  # missing, truncated or malformed files: say so, never a traceback
                raise RunError(say("predict_tfidf_broken", path=display_path(self.path), reason=str(exc))) from None
            if self.tfidf.labels != self.labels:
                raise RunError(say("predict_tfidf_labels", path=display_path(self.path)))

    def _onnx_forward(self, run: Path, backend: str, int8: bool):
        """RUN/onnx/'s model when it may answer: a CPU, an export of the weights now in best/ (see onnx_export)."""
        if backend == "torch" or self.device.type != "cpu":
            if backend == "onnx":
                raise ClassifierError(say("predict_onnx_cpu"))
            return None
        from .onnx_export import fresh_export, load_forward, onnx_dir_of

        folder = onnx_dir_of(run)
        found = fresh_export(self.path, folder, int8=int8) if int8 else None
        found = found or fresh_export(self.path, folder)
        if found is None or (int8 and found.name != INT8_FILE):
            if backend == "onnx":
                raise RunError(say("predict_no_onnx_int8" if int8 else "predict_no_onnx", path=display_path(self.path)))
            return None  # int8 without an int8 export: PyTorch's dynamic quantization, as before
        try:
            forward = load_forward(found)
        except (ImportError, ClassifierError):  # onnxruntime missing here (a copied run), a damaged file
            if backend == "onnx":
                raise
            return None  # auto: the PyTorch weights in best/ answer
        self.onnx_dir = folder
        return forward

    def _onnx_config(self):
        from .hf import AutoConfig, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(self.onnx_dir, **pretrained_kwargs(self.onnx_dir))
        return AutoConfig.from_pretrained(self.onnx_dir, **pretrained_kwargs(self.onnx_dir))

    def _load_torch(self, settings: ModelMeta) -> None:
        from .hf import AutoModelForSequenceClassification, AutoTokenizer

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.path, **pretrained_kwargs(self.path))
            if (self.path / "adapter_config.json").is_file():  # a LoRA adapter run (lora_merge=False)
                from .lora import load_adapter_model

                model = load_adapter_model(self.path, self.tokenizer, settings.base_model)
            else:
                model = AutoModelForSequenceClassification.from_pretrained(
                    self.path, **pretrained_kwargs(self.path, weights=True))
            self._model = model.to(self.device).eval()
        except ClassifierError:  # a model with code of its own, an adapter's missing base model: said precisely
            raise
        except Exception as exc:  # missing or truncated files: a half-deleted run, a copy that stopped midway
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise RunError(say("predict_model_broken", path=display_path(self.path), reason=reason)) from None

    @property
    def model(self):
        """The PyTorch model (loaded on first use when the ONNX model answers: explanations need gradients)."""
        if self._model is None:
            tokenizer = self.tokenizer
            self._load_torch(ModelMeta.read(self.path) or ModelMeta())
            self.tokenizer = tokenizer
        return self._model

    @model.setter
    def model(self, value) -> None:
        self._model = value

    @property
    def decision(self) -> str:
        """What answers: "model" (the fine-tuned model), "ensemble" (mixed with TF-IDF) or "baseline" (TF-IDF)."""
        from .ensemble import decision_of

        return decision_of(self.ensemble_weight)

    @torch.inference_mode()
    def predict_logits(self, texts: list[str]) -> np.ndarray:
        """Logits per text (texts x labels); long texts truncated or, for chunked runs, pooled over windows."""
        texts = [str(t) if t is not None else "" for t in texts]
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        # Bounded cost (issue 17): the tokenizer gets only what the model can read (security.clip_text: a character
        # budget of max_length x 20 from the head, or from head and tail; chunked runs: CLASSIFIER_MAX_TEXT_CHARS),
        # so a 10 MB text costs what a 3 KB one does. The tokens kept are the same as without the cut.
        texts = [clip_text(t, self.max_length, self.truncation) for t in texts]
        owner = None
        if self.truncation == "chunk":
            windows = encode_chunks(texts, self.tokenizer, self.max_length, self.chunk_stride)
            owner = torch.tensor([i for i, ids in enumerate(windows["input_ids"]) for _ in ids])
            encoded = {key: [w for per_text in windows[key] for w in per_text] for key in windows}
        else:
            encoded = encode_texts(texts, self.tokenizer, self.max_length, self.truncation)
        ids = encoded["input_ids"]
        order = np.argsort([len(x) for x in ids], kind="stable")
        out = np.zeros((len(ids), len(self.labels)), dtype=np.float32)
        for start in range(0, len(ids), self.batch_size):
            idx = order[start:start + self.batch_size]
            rows = {key: [encoded[key][i] for i in idx] for key in ("input_ids", "attention_mask")}
            if self.onnx is not None:
                out[idx] = self.onnx(self.tokenizer.pad(rows, return_tensors="np"))
                continue
            batch = self.tokenizer.pad(rows, return_tensors="pt").to(self.device)
            out[idx] = self.model(**batch).logits.float().cpu().numpy()
        if owner is not None:
            out = pool_logits(torch.from_numpy(out), owner, len(texts), self.chunk_pooling).numpy()
        return out

    def model_proba(self, texts: list[str]) -> np.ndarray:
        """The fine-tuned model's own probabilities: softmax over the classes, or a sigmoid per label."""
        logits = self.predict_logits(texts)
        return self.task.probabilities(logits)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """What the run answers: the model's probabilities, mixed with the TF-IDF model's where the run's
        validation chose the ensemble (rows of multi-label runs need not sum to 1)."""
        texts = [str(t) if t is not None else "" for t in texts]
        if self.tfidf is None:
            return self.model_proba(texts)
        tfidf_probs = self.tfidf.predict_proba(self._tfidf_view(texts))
        model_probs = self.model_proba(texts) if self.ensemble_weight > 0.0 else None  # TF-IDF alone: no model pass
        return self.combine(model_probs, tfidf_probs)

    def combine(self, model_probs: np.ndarray | None, tfidf_probs: np.ndarray | None) -> np.ndarray:
        """What the run answers, from the two models' probabilities (the one rule for Predictor and the test)."""
        from .ensemble import blend

        if self.tfidf is None or tfidf_probs is None:
            return model_probs
        if self.ensemble_weight <= 0.0:
            return tfidf_probs.astype(np.float32)
        return blend(model_probs, tfidf_probs, self.ensemble_weight).astype(np.float32)

    @staticmethod
    def _tfidf_view(texts: list[str]) -> list[str]:
        """What the TF-IDF model reads of each text: at most CLASSIFIER_MAX_TEXT_CHARS characters (bounded cost)."""
        from .security import max_text_chars

        limit = max_text_chars()
        return [t[:limit] for t in texts]

    def decide(self, probs: np.ndarray, thresholds: list[float] | float | None = None) -> np.ndarray:
        """Multi-label decisions (texts x labels, bool): each probability against its label's threshold."""
        limits = self.thresholds if thresholds is None else thresholds
        return probs >= np.broadcast_to(np.asarray(limits, dtype=np.float32), probs.shape[-1:])

    def decisions(self, probs: np.ndarray) -> np.ndarray:
        """What the run answers for each text: a class id, or (multi-label) a row of 0/1 per label."""
        return self.task.decide(probs, self.thresholds, self.binary_decision)

    def predict(self, texts: list[str] | str) -> list[Prediction]:
        if isinstance(texts, str):
            texts = [texts]
        probs = self.predict_proba(list(texts))
        results = []
        for row, decided in zip(probs, self.decisions(probs)):
            label, score, names = self.task.prediction(row, decided, self.labels)
            results.append(Prediction(label=label, score=score, labels=names,
                                      probabilities={name: float(p) for name, p in zip(self.labels, row)}))
        return results

    def explain(self, text: str, target: str | int | None = None, **kwargs) -> dict:
        """Which words of `text` pushed the model towards `target` (default: the predicted class) and which away:
        Integrated Gradients on the input embeddings, merged to words (classifier/explain.py)."""
        from .explain import explain

        return explain(self, text, target, **kwargs)
