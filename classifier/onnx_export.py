"""A run's model as ONNX, for prediction on a CPU with ONNX Runtime (issue 16.1).

    python -m classifier export --run RUN --format onnx [--quantize int8]

writes RUN/onnx/: `model.onnx` (fp32; inputs `input_ids`, `attention_mask` and, where the tokenizer makes them,
`token_type_ids`; output `logits`, batch and sequence dynamic), `model_quantized.onnx` with `--quantize int8`
(ONNX Runtime dynamic int8 quantization of the MatMuls), the tokenizer, `config.json` (labels) and the run's
`classifier.json` (max_length, truncation, chunk windows and pooling, thresholds, the ensemble) with the TF-IDF
files of a validated ensemble, so the folder answers as the run does.

Only the transformer's forward pass is exported: reading a text (truncation, chunk windows and their pooling), the
TF-IDF mix and the multi-label thresholds stay in `Predictor`, which uses RUN/onnx/ on a CPU when it is there and
was exported from the weights now in best/ (`classifier.json`'s "onnx" entry records their size and time; a
resumed or retrained run's older export is ignored). The mean-pooling model type (classifier/pooling.py) and the
decoders' last-token head are exported as they compute: the graph is traced from the model itself.

The export is checked before it is kept: the ONNX model's logits must match the PyTorch model's on texts of
different lengths, padded together (max difference 1e-3); otherwise nothing is written and the error says so.
Encoder graphs get ONNX Runtime's transformer fusions (LayerNorm, GELU) when they leave the logits unchanged.

optimum's exporter needs transformers < 4.58 and this project uses transformers 5, so the graph is exported with
`torch.onnx.export` in the layout `optimum.onnxruntime.ORTModelForSequenceClassification` reads (model.onnx and
config.json in one folder); README says what was verified.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from .errors import ConfigError, RunError
from .messages import say
from .run_folder import MODEL_META_FILE, ModelMeta
from .runs import display_path, model_dir

ONNX_DIR = "onnx"
MODEL_FILE = "model.onnx"
INT8_FILE = "model_quantized.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17
TOLERANCE = 1e-3  # max |logit difference| accepted between the ONNX and the PyTorch model at export
CHECK_TEXTS = ("Hi", "WINNER!! You have won a free prize, call 09061701461 now to claim it before midnight.",
               "see you at 5", "Ok lar... Joking wif u oni... " * 6)
ENCODER_TYPES = {"bert", "roberta", "xlm-roberta", "distilbert", "electra", "mpnet", "camembert"}


def onnx_dir_of(run: str | Path) -> Path:
    """Where a run's export lives: RUN/onnx (a plain model folder given directly: FOLDER/onnx)."""
    run = Path(run)
    source = model_dir(run)
    return (run if source != run else source) / ONNX_DIR


def source_stamp(folder: Path) -> dict:
    """What identifies the weights an export was made from: their files' names, sizes and modification times."""
    files = sorted(p for pattern in ("*.safetensors", "*.bin") for p in Path(folder).glob(pattern) if p.is_file())
    return {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in files}


def fresh_export(source: Path, onnx_dir: Path, int8: bool = False) -> Path | None:
    """The ONNX model file to predict with, or None: none exported, or exported from other weights than those now in
    `source` (a resumed or retrained run), or not whole."""
    model = onnx_dir / (INT8_FILE if int8 else MODEL_FILE)
    if not model.is_file() or not (onnx_dir / "config.json").is_file():
        return None
    meta = ModelMeta.read(onnx_dir)
    recorded = (meta.extra.get("onnx") or {}) if meta is not None else {}
    if not isinstance(recorded, dict) or recorded.get("source") != source_stamp(source):
        return None
    return model


class OnnxForward:
    """The exported forward pass: numpy batches in, logits out (CPU, ONNX Runtime)."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        if os.environ.get("CLASSIFIER_ONNX_SPIN", "0") != "1":  # waiting threads sleep instead of spinning: on a
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # shared CPU 1.5x faster
        if threads:
            options.intra_op_num_threads = int(threads)
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a truncated or foreign file
            raise RunError(say("onnx_unloadable", path=display_path(path),
                               reason=str(exc).splitlines()[0][:200])) from None
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.path = path

    def __call__(self, batch: dict) -> np.ndarray:
        feed = {}
        for name in self.inputs:
            value = batch.get(name)
            if value is None and name == "token_type_ids":
                value = np.zeros_like(np.asarray(batch["input_ids"]))
            feed[name] = np.asarray(value, dtype=np.int64)
        return self.session.run(["logits"], feed)[0].astype(np.float32)


def _onnx_threads() -> int | None:
    raw = os.environ.get("CLASSIFIER_ONNX_THREADS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def load_forward(path: Path) -> OnnxForward:
    return OnnxForward(path, _onnx_threads())


# ----------------------------------------------------------------------------------------------------------------
# export
# ----------------------------------------------------------------------------------------------------------------
def export_onnx(run: str | Path, quantize: str | None = None) -> Path:
    """Export RUN's model (best/, else last/) to RUN/onnx/ and check it; returns the folder."""
    from .predict import Predictor

    if quantize not in (None, "int8"):
        raise ConfigError(say("onnx_bad_quantize", quantize=quantize))
    run = Path(run)
    if not run.is_dir():
        raise RunError(say("predict_no_folder", path=display_path(run)))
    source = model_dir(run)
    target = onnx_dir_of(run)
    from .runs import training_pid

    if source != run and (pid := training_pid(run)) is not None:
        raise RunError(say("onnx_run_training", path=display_path(run), pid=pid))
    stamp = source_stamp(source)  # before the weights are read: compared again before the export is kept
    predictor = Predictor(run, device="cpu", backend="torch", ensemble=False)
    model = _plain_model(predictor.model)
    names = [n for n in INPUTS if n in predictor.tokenizer.model_input_names or n != "token_type_ids"]
    work = Path(tempfile.mkdtemp(prefix=".onnx-", dir=target.parent))
    try:
        started = time.perf_counter()
        raw = work / "raw.onnx"
        _torch_export(model, predictor, names, raw)
        reference = _check_batch(predictor, names)
        expected = _torch_logits(model, reference)
        best = _optimized(raw, work / MODEL_FILE, model.config, reference, expected)
        if best != work / MODEL_FILE:
            shutil.move(str(best), work / MODEL_FILE)
        raw.unlink(missing_ok=True)
        entry = {"source": stamp, "opset": OPSET, "inputs": names,
                 "max_abs_logit_difference": _difference(work / MODEL_FILE, reference, expected)}
        if quantize == "int8":
            entry["int8_max_abs_logit_difference"] = _quantize(work / MODEL_FILE, work / INT8_FILE, reference,
                                                               expected)
        _copy_companions(predictor, source, work, entry, time.perf_counter() - started)
        if source_stamp(source) != stamp:
            raise RunError(say("onnx_weights_changed", path=display_path(source)))
        _replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target


def _plain_model(model):
    """A LoRA adapter run's model with the adapter merged in (one graph), else the model itself; fp32, eval."""
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    return model.float().eval()


class _Logits:
    """The model as a function of its token tensors to its logits (what the graph computes)."""

    def __new__(cls, model, names):
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, *tensors):
                return self.model(**dict(zip(names, tensors))).logits

        return Wrapped().eval()


def _check_batch(predictor, names: list[str]) -> dict[str, np.ndarray]:
    texts = [t[:2000] for t in CHECK_TEXTS]
    encoded = predictor.tokenizer(texts, truncation=True, max_length=predictor.max_length, padding=True,
                                  return_tensors="np")
    out = {n: np.asarray(encoded[n], dtype=np.int64) for n in names if n in encoded}
    if "token_type_ids" in names and "token_type_ids" not in out:
        out["token_type_ids"] = np.zeros_like(out["input_ids"])
    return out


def _torch_logits(model, batch: dict[str, np.ndarray]) -> np.ndarray:
    import torch

    with torch.inference_mode():
        return model(**{k: torch.from_numpy(v) for k, v in batch.items()}).logits.float().numpy()


def _torch_export(model, predictor, names: list[str], path: Path) -> None:
    import torch

    sample = _check_batch(predictor, names)
    args = tuple(torch.from_numpy(sample[n]) for n in names)
    axes = {n: {0: "batch_size", 1: "sequence_length"} for n in names}
    axes["logits"] = {0: "batch_size"}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(_Logits(model, names), args, str(path), dynamo=False, input_names=names,
                          output_names=["logits"], dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
    model.eval()  # the exporter may leave the module in training mode


def _difference(path: Path, batch: dict, expected: np.ndarray) -> float:
    got = OnnxForward(path)(batch)
    return float(np.abs(got - expected).max())


def _optimized(raw: Path, out: Path, config, batch: dict, expected: np.ndarray) -> Path:
    """ONNX Runtime's transformer fusions for BERT-like encoders, kept only when the logits stay within TOLERANCE;
    raises when even the plain export is off (a model whose forward pass does not trace)."""
    plain = _difference(raw, batch, expected)
    if plain > TOLERANCE:
        raise RunError(say("onnx_mismatch", difference=plain))
    backbone = getattr(config, "backbone", None) or {}
    kind = backbone.get("model_type") if isinstance(backbone, dict) and backbone else config.model_type
    if kind not in ENCODER_TYPES:
        return raw
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fused = optimize_model(str(raw), model_type="bert", num_heads=0, hidden_size=0)
            fused.save_model_to_file(str(out))
    except Exception:  # noqa: BLE001  (the fusions are an optimisation; the plain graph is right)
        return raw
    return out if _difference(out, batch, expected) <= TOLERANCE else raw


def _quantize(fp32: Path, out: Path, batch: dict, expected: np.ndarray) -> float:
    import logging

    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # "consider pre-processing": advice for image models, said on every export
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                             extra_options={"DefaultTensorType": TensorProto.FLOAT})  # past the fused ops
    finally:
        root.setLevel(level)
    return _difference(out, batch, expected)


def _copy_companions(predictor, source: Path, work: Path, entry: dict, seconds: float) -> None:
    """Tokenizer, config.json, classifier.json (with the export's record) and the TF-IDF files beside the graph."""
    from .tfidf import JSON_FILE, WEIGHTS_FILE

    predictor.tokenizer.save_pretrained(work)
    config = predictor.model.config
    config.save_pretrained(work)
    for name in (JSON_FILE, WEIGHTS_FILE):
        if (source / name).is_file():
            shutil.copy2(source / name, work / name)
    meta = ModelMeta.read(source) or ModelMeta()
    meta.extra["onnx"] = {**entry, "seconds": round(seconds, 1)}
    meta.write(work)
    (work / MODEL_META_FILE).chmod(0o644)


def _replace(work: Path, target: Path) -> None:
    """The new export takes the place of the old one (a reader sees one or the other, never half)."""
    old = None
    if target.exists():
        if not target.is_dir():
            raise ConfigError(say("onnx_target_not_folder", path=display_path(target)))
        old = target.with_name(f".{target.name}-old-{time.time_ns()}")
        target.rename(old)
    work.chmod(0o755)  # mkdtemp makes 0700; a run's folders are meant to be shared like its other files
    work.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def export_summary(folder: Path) -> str:
    meta = ModelMeta.read(folder)
    entry = (meta.extra.get("onnx") or {}) if meta else {}
    files = ", ".join(p.name for p in sorted(folder.glob("*.onnx")))
    return (f"Exported to {folder} ({files}); max logit difference to PyTorch on the check texts: "
            f"{entry.get('max_abs_logit_difference', float('nan')):.2g}"
            + (f" (int8: {entry['int8_max_abs_logit_difference']:.2g})" if "int8_max_abs_logit_difference" in entry
               else "") + ".")


def describe(folder: Path) -> dict:
    return json.loads((folder / MODEL_META_FILE).read_text(encoding="utf-8")).get("onnx", {})
