"""One training run, from a TrainConfig to a finished run folder.

    prepare data -> choose model and max_length -> tokenize -> Trainer.train (callbacks write events, keep best/,
    stop early, honour a stop request) -> save last/ -> test best/ -> metrics.json, predictions.csv

HF `Trainer` does the loop (optimizer, schedule, accumulation, clipping, mixed precision, length-grouped
batches); this module only decides its arguments and listens to it. For the `head` strategy the frozen backbone
runs once over every text and the Trainer trains the head on the cached features, so an epoch costs
milliseconds instead of a forward pass over the data.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import signal
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from transformers import (
    DataCollatorWithPadding,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)
from transformers.trainer_callback import PrinterCallback, ProgressCallback
from transformers.trainer_pt_utils import LengthGroupedSampler
from transformers.utils import logging as hf_logging

from .backbones import BUNDLED, default_model_for, resolve_model
from .config import DATA_FILES, TrainConfig, default_learning_rate
from .data import PreparedData, language_hint, prepare_data, summarize
from .encoding import encode_chunks, encode_texts, pool_logits
from .ensemble import ValidatedDecision, blend, choose_on_validation, targets_of
from .errors import ClassifierError, ConfigError
from .events import EventWriter
from .metrics import (
    classification_metrics,
    eval_metrics,
    multilabel_eval_metrics,
    multilabel_metrics,
    sigmoid,
    tune_thresholds,
)
from .modeling import HeadOnlyModel, LoadedModel, apply_strategy, load_model, load_tokenizer, pooled_features
from .runs import (
    CHECKPOINTS_DIR,
    TRAINER_STATE,
    atomic_save_dir,
    atomic_write_json,
    atomic_write_text,
    checkpoint_step,
    clear_stale_stop,
    latest_checkpoint,
    new_run_dir,
    read_json,
    remove_partial_checkpoints,
    stop_requested,
)
from .security import spreadsheet_safe
from .tfidf import summary as tfidf_summary

MODEL_META_FILE = "classifier.json"  # beside config.json in best/ and last/: how to feed the model

# transformers 5.23 renamed TrainingArguments' gradient_checkpointing to activation_checkpointing (the old name is a
# deprecated alias until v6); 5.0-5.22 know only gradient_checkpointing.
_CHECKPOINTING_ARG = ("activation_checkpointing" if "activation_checkpointing" in
                      {f.name for f in dataclasses.fields(TrainingArguments)} else "gradient_checkpointing")
# On a CPU a batch holds at most this many tokens; a larger batch is split into accumulated micro-batches (same
# effective batch, same updates): batch 16 x 512 tokens took 5.7 GiB of RSS, 8 x 512 with accumulation 2 less.
CPU_TOKENS_PER_MICRO_BATCH = 4096


# Weight loading/saving bars from transformers say nothing a user needs; our own events and bar do.
hf_logging.disable_progress_bar()
hf_logging.set_verbosity_error()


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def describe_device() -> str:
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        name = torch.cuda.get_device_name(0)
        return f"{count} x {name}" if count > 1 else name
    return f"CPU ({os.cpu_count()} cores)"


@dataclass
class RunResult:
    run_dir: Path
    status: str  # finished | stopped
    metrics: dict[str, Any] | None


# ----------------------------------------------------------------------------------------------------------------
# Trainer pieces
# ----------------------------------------------------------------------------------------------------------------
class ClassifierTrainer(Trainer):
    """Trainer whose loss knows class weights and label smoothing: cross-entropy for single-label data, binary
    cross-entropy with `pos_weight` per label for multi-label data (mean over the batch). With chunked long texts
    a batch holds every window of its texts; the windows' logits are pooled per text before the loss."""

    loss_is_scaled_for_ga = False  # we return a per-batch mean; Trainer divides by the accumulation steps

    def __init__(self, *args, class_weights: torch.Tensor | None = None, label_smoothing: float = 0.0,
                 multi_label: bool = False, chunk_pooling: str = "mean", parameter_rates: dict | None = None,
                 **kwargs):
        self.parameter_rates = parameter_rates  # name -> learning rate (classifier/layer_lr.py), or None
        super().__init__(*args, **kwargs)
        self.class_weights = class_weights
        self.label_smoothing = label_smoothing
        self.multi_label = multi_label
        self.chunk_pooling = chunk_pooling

    def create_optimizer(self, model=None):
        """Trainer's optimizer, with a learning rate per parameter group when the head has its own rate or the
        layers decay (classifier/layer_lr.py)."""
        if self.optimizer is None and self.parameter_rates:
            from .layer_lr import parameter_groups

            opt_model = self.model if model is None else model
            groups = parameter_groups(opt_model, self.parameter_rates, set(self.get_decay_parameter_names(opt_model)),
                                      self.args.weight_decay, self.args.learning_rate)
            optimizer_cls, optimizer_kwargs = self.get_optimizer_cls_and_kwargs(self.args, opt_model)
            optimizer_kwargs.pop("lr", None)
            self.optimizer = optimizer_cls(groups, lr=self.args.learning_rate, **optimizer_kwargs)
        return super().create_optimizer(model)

    def _get_train_sampler(self, train_dataset=None):
        sampler = super()._get_train_sampler(train_dataset)
        if isinstance(sampler, LengthGroupedSampler):
            seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
            return EpochSeededLengthGroupedSampler(sampler.batch_size, lengths=sampler.lengths, seed=seed)
        return sampler

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        from transformers.modeling_outputs import SequenceClassifierOutput

        labels = inputs.pop("labels")
        owner = inputs.pop("window_owner", None)
        outputs = model(**inputs)
        logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
        if owner is not None:
            logits = pool_logits(logits.float(), owner, labels.shape[0], self.chunk_pooling)
            outputs = SequenceClassifierOutput(logits=logits)
        weight = self.class_weights.to(logits.device) if self.class_weights is not None else None
        if self.multi_label:
            targets = labels.float()
            if self.label_smoothing:
                targets = targets * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
            loss = F.binary_cross_entropy_with_logits(logits.float(), targets, pos_weight=weight)
        else:
            loss = F.cross_entropy(logits.float(), labels, weight=weight, label_smoothing=self.label_smoothing)
        return (loss, outputs) if return_outputs else loss


class EpochSeededLengthGroupedSampler(LengthGroupedSampler):
    """Length-grouped batches whose shuffle is seeded by seed + epoch.

    transformers' LengthGroupedSampler shuffles with the global random state, which a resumed run cannot replay:
    Trainer restores that state only after the epoch's order was drawn, so a resumed epoch saw other batches than the
    uninterrupted run would have. Trainer calls `set_epoch` before each epoch (through accelerate's data loader)."""

    def __init__(self, batch_size: int, lengths: list[int], seed: int) -> None:
        super().__init__(batch_size, lengths=lengths)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        self.generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return super().__iter__()


class ChunkCollator:
    """Texts of several windows each -> one padded batch of all their windows, `window_owner` (the text each
    window belongs to) and one label row per text."""

    def __init__(self, tokenizer, pad_to_multiple_of: int | None = None) -> None:
        self.pad = DataCollatorWithPadding(tokenizer, pad_to_multiple_of=pad_to_multiple_of)

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        windows, owner = [], []
        for i, feature in enumerate(features):
            for ids, mask in zip(feature["input_ids"], feature["attention_mask"]):
                windows.append({"input_ids": ids, "attention_mask": mask})
                owner.append(i)
        batch = self.pad(windows)
        batch["window_owner"] = torch.tensor(owner)
        batch["labels"] = torch.tensor([feature["labels"] for feature in features])
        return batch


class QuietProgressCallback(ProgressCallback):
    """tqdm bars for training and evaluation, without printing every log dict under them."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        pass


class RunCallback(TrainerCallback):
    """Writes progress and evaluation events, keeps best/, stops early or on request."""

    def __init__(self, stop: StopFlag, events: EventWriter, save_best, metric: str, patience: int,
                 samples_per_step: int, checkpoint_every_seconds: float = 0.0) -> None:
        self.stop = stop
        self.checkpoint_every_seconds = checkpoint_every_seconds
        self.last_checkpoint = time.perf_counter()
        self.events = events
        self.save_best = save_best
        self.metric = metric
        self.patience = patience
        self.samples_per_step = samples_per_step
        self.best_value: float | None = None
        self.best_step: int | None = None
        self.bad_evals = 0
        self.replay_until: int | None = None  # resumed: evaluations up to this step were made before (see restore)
        self.stop_reason: str | None = None
        self.start = time.perf_counter()
        self.start_step = 0

    def restore(self, best_value: float | None, best_step: int | None, bad_evals: int,
                replay_until: int | None = None) -> None:
        """Continue a resumed run's early stopping and best/ bookkeeping where the interrupted one left it.

        `replay_until`: best/ was saved after the checkpoint, at this step. The resumed run evaluates again the steps
        up to it; they cannot beat best/ (at best they tie it), so they are not counted as misses."""
        self.best_value, self.best_step, self.bad_evals = best_value, best_step, bad_evals
        self.replay_until = replay_until

    def on_train_begin(self, args, state, control, **kwargs):
        self.start = self.last_checkpoint = time.perf_counter()
        self.start_step = state.global_step  # > 0 when resumed from a checkpoint

    def on_step_end(self, args, state, control, **kwargs):
        requested = self.stop.requested()
        if args.world_size > 1:
            # every process must leave the loop at the same step, or the others wait forever in all-reduce
            flag = torch.tensor([1.0 if requested else 0.0], device=args.device)
            torch.distributed.all_reduce(flag)
            requested = bool(flag.item() > 0)
        if requested:
            self.stop_reason = "stop requested"
            control.should_training_stop = True
            # no extra evaluation for the stop; one due at this very step still runs, so that a resumed run has
            # every evaluation an uninterrupted one has
            # a checkpoint of this very step, so that `resume` continues exactly where the user stopped
            control.should_save = args.save_strategy != "no"
        elif (control.should_save and self.checkpoint_every_seconds and args.world_size == 1
              and time.perf_counter() - self.last_checkpoint < self.checkpoint_every_seconds):
            # Trainer asks for a checkpoint at every evaluation and at the end; writing one takes 0.4-1.7 s (bench/
            # RESULTS.md), too much for short runs: at most one per checkpoint_every_seconds of training. (With
            # several processes every one must take the same decision, so there each evaluation writes one.)
            control.should_save = False

    def on_save(self, args, state, control, **kwargs):
        self.last_checkpoint = time.perf_counter()

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if "loss" not in logs or not state.is_world_process_zero:
            return
        elapsed = time.perf_counter() - self.start
        per_step = elapsed / max(state.global_step - self.start_step, 1)
        self.events.write(
            "train", step=state.global_step, total_steps=state.max_steps, epoch=round(state.epoch or 0, 4),
            loss=float(logs["loss"]), learning_rate=float(logs.get("learning_rate", 0.0)),
            samples_per_second=round(self.samples_per_step / per_step, 2) if per_step else None,
            eta_seconds=round(per_step * (state.max_steps - state.global_step), 1),
            progress=round(state.global_step / max(state.max_steps, 1), 4),
        )

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        metrics = metrics or {}
        key = "eval_loss" if self.metric == "loss" else f"eval_{self.metric}"
        value = metrics.get(key)
        improved = False
        if value is not None:
            better = self.best_value is None or (
                value < self.best_value if self.metric == "loss" else value > self.best_value)
            if better:
                improved = True
                self.best_value, self.best_step, self.bad_evals = float(value), state.global_step, 0
            elif self.replay_until is None or state.global_step > self.replay_until:
                self.bad_evals += 1
        if state.is_world_process_zero:
            if improved:
                self.save_best()
            self.events.write(
                "eval", step=state.global_step, epoch=round(state.epoch or 0, 4),
                eval_loss=metrics.get("eval_loss"), eval_accuracy=metrics.get("eval_accuracy"),
                eval_macro_f1=metrics.get("eval_macro_f1"), is_best=improved,
            )
        if self.patience and self.bad_evals >= self.patience:
            self.stop_reason = f"early stopping: no better {self.metric} in {self.patience} evaluations"
            control.should_training_stop = True


def _compute_eval_metrics(eval_pred) -> dict[str, float]:
    logits, labels = eval_pred
    logits = logits[0] if isinstance(logits, tuple) else logits
    return eval_metrics(labels, np.asarray(logits).argmax(-1))


def _multilabel_eval_metrics(threshold: float | None):
    """Validation metrics of a multi-label model at the decision the run will use: thresholds tuned per label on
    these very probabilities (or the fixed `threshold`). At a fixed 0.5 an early model predicts no label at all and
    every F1 is 0 until late, so model selection and early stopping had nothing to go by."""
    def compute(eval_pred) -> dict[str, float]:
        logits, labels = eval_pred
        logits = logits[0] if isinstance(logits, tuple) else logits
        gold = np.asarray(labels).astype(int)
        probs = sigmoid(np.asarray(logits, dtype=np.float64))
        limits = [threshold] * gold.shape[1] if threshold is not None else tune_thresholds(gold, probs)
        return multilabel_eval_metrics(gold, (probs >= np.asarray(limits)).astype(int))

    return compute


# ----------------------------------------------------------------------------------------------------------------
# Decisions
# ----------------------------------------------------------------------------------------------------------------
def choose_model(config: TrainConfig, data: PreparedData) -> str:
    if config.model and config.model != "auto":
        return config.model
    return default_model_for(language_hint(data.train["text"].tolist()))


def adapt_first(config: TrainConfig, model_name: str, run_dir: Path, events: EventWriter, progress: bool) -> Path:
    """Domain-adaptive pre-training as the first part of the run (classifier/adapt.py); returns RUN/adapted, kept
    from an earlier attempt of this run (resume) when it is complete."""
    from .adapt import MARKER, AdaptConfig, adapt

    target = run_dir / "adapted"
    if (target / MARKER).is_file():
        events.log("Using the model adapted earlier in this run (RUN/adapted).")
        return target
    adapt(AdaptConfig(data=config.adapt_data or config.data, model=model_name, output=str(target),
                      seed=config.seed), progress=progress, run_events=events)
    return target


def with_local_sources(config: TrainConfig, events: EventWriter) -> TrainConfig:
    """A hub data set (`hub:NAME`) or a `save_to_disk` folder becomes one Parquet file per split, its splits used
    as given; the config then names those files (config.json too, so the run repeats and resumes on them), and
    `extra.data_source` keeps what the user gave."""
    from .datasources import resolve_sources

    sources = resolve_sources(config.data, config.validation_file, config.test_file)
    if sources.note is None:
        return config
    events.log(f"Data {sources.note}")
    return config.replace(data=sources.data, validation_file=sources.validation_file, test_file=sources.test_file,
                          extra={**config.extra, "data_source": config.data})


def choose_pooling(config: TrainConfig, model_name: str, path) -> str:
    """`mean` or `cls` (the model's own head). A saved mean-pooling classifier (a run's best/) stays one."""
    from transformers import AutoConfig

    from .pooling import is_mean_pooling
    from .security import pretrained_kwargs

    try:
        model_config = AutoConfig.from_pretrained(path, **pretrained_kwargs(path))
    except Exception:  # load_model reports an unreadable config with its own message
        model_config = None
    if model_config is not None and is_mean_pooling(model_config):
        return "mean"
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_MASKED_LM_MAPPING_NAMES,
    )

    kind = getattr(model_config, "model_type", "")
    decoder = (kind in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and kind not in MODEL_FOR_MASKED_LM_MAPPING_NAMES) or \
        bool(getattr(model_config, "is_encoder_decoder", False))
    if config.pooling == "mean" and decoder:
        raise ConfigError("Mean pooling is for encoders (BERT-style models); a GPT-style decoder classifies on "
                          "its last token: choose pooling 'cls' or 'auto'.")
    if config.pooling != "auto":
        return config.pooling
    if config.strategy == "lora":
        # LoRA was measured with BERT's own head, its pooler trained in full (docs/results.md: 0.978 on SMS); on the
        # mean-pooling head only a linear layer trains beside the adapters, and 800 SMS texts x 1 epoch missed
        # obvious spam (tests/test_decoders_lora.py)
        return "cls"
    backbone = BUNDLED.get(model_name)
    if backbone is not None:
        return backbone.pooling
    from .adapt import adapted_pooling

    return adapted_pooling(path) or "cls"  # a model adapted from a bundled encoder keeps its pooling


def choose_strategy(config: TrainConfig, total_params: int, decoder: bool = False) -> str:
    if config.strategy != "auto":
        return config.strategy
    if decoder and not torch.cuda.is_available():
        # GPT-style decoders on a CPU: the last 2 blocks + final norm + head, as in Raschka's GPT-2 spam
        # classifier (LLMs-from-scratch ch06); measured in docs/results.md ("Decoders and LoRA").
        return "last-n"
    # Full fine-tuning wins on accuracy and stays affordable on a CPU for the bundled small models; beyond
    # ~150M parameters a CPU run takes hours, so only the top blocks are trained there.
    if torch.cuda.is_available() or total_params < 150_000_000:
        return "full"
    return "last-n"


def class_weight_tensor(labels: np.ndarray, n_classes: int) -> torch.Tensor:
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    counts[counts == 0] = 1.0
    return torch.tensor(len(labels) / (n_classes * counts), dtype=torch.float32)


def pos_weight_tensor(matrix: np.ndarray, cap: float = 50.0) -> torch.Tensor:
    """Multi-label `pos_weight`: negatives / positives per label, so a rare label's few positives count as much as
    its many negatives (capped: a label with 2 positives in 5,000 texts would otherwise dominate the loss)."""
    positives = matrix.sum(0)
    negatives = len(matrix) - positives
    return torch.tensor(np.clip(negatives / np.maximum(positives, 1), 1.0, cap), dtype=torch.float32)


def precision_flags(setting: str) -> dict[str, bool]:
    if not torch.cuda.is_available() or setting == "no":
        return {"bf16": False, "fp16": False}
    if setting == "auto":
        setting = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return {"bf16": setting == "bf16", "fp16": setting == "fp16"}


# ----------------------------------------------------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------------------------------------------------
def train(config: TrainConfig, progress: bool = True, resume: bool = False) -> RunResult:
    """Train as `config` says; returns when the run is finished or stopped. Raises ClassifierError on bad input.

    `resume=True` (see `resume_run`) continues the run in `config.output` from its newest complete checkpoint
    (from step 0 when it has none), appending to its events and keeping best/ unless a better model comes."""
    config.validate()
    main = is_main_process()
    if resume and not config.output:
        raise ConfigError("Resuming needs the run folder (--run).")
    if config.output:
        run_dir = Path(config.output).expanduser().resolve()
        if main:
            run_dir.mkdir(parents=True, exist_ok=True)
            if resume:
                _clear_for_resume(run_dir)
            else:
                _clear_previous_outputs(run_dir)
    elif int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ConfigError("With several processes (torchrun / accelerate launch) give the run folder with --output, "
                          "so that every process writes to the same one.")
    else:
        run_dir = new_run_dir(config.name or f"{Path(config.data).stem}-"
                              f"{config.model if config.model != 'auto' else 'model'}")
    events = EventWriter(run_dir / "events.jsonl", enabled=main)
    checkpoint = latest_checkpoint(run_dir) if resume else None
    if not resume:
        events.status("started", f"Training started on {describe_device()}.", device=describe_device())
    elif checkpoint is not None:
        events.status("started", f"Resuming on {describe_device()} from step {checkpoint_step(checkpoint)} (the "
                      "newest checkpoint); best/ so far is kept.", device=describe_device(),
                      resumed_from_step=checkpoint_step(checkpoint))
    else:
        events.status("started", f"Resuming on {describe_device()}: the run ended before its first checkpoint, so "
                      "training starts again from step 0 in the same folder.", device=describe_device(),
                      resumed_from_step=0)
    stop = StopFlag(run_dir)
    previous = stop.install()
    try:
        return _train(config, run_dir, events, progress, stop, resume=resume, checkpoint=checkpoint)
    except KeyboardInterrupt:
        events.status("stopped", "Interrupted; only what was saved before (best/, last/) is kept.")
        raise
    except ClassifierError as exc:
        events.status("failed", str(exc))
        raise
    except Exception as exc:
        plain = resource_error(exc, config)
        if plain is not None:  # out of memory, disk full: the user can act on these; best/ stays as it was
            events.status("failed", str(plain))
            raise plain from exc
        if main:
            atomic_write_text(run_dir / "error.log", traceback.format_exc())
        events.status("failed", f"{type(exc).__name__}: {exc}. Details in {run_dir / 'error.log'}.")
        raise
    finally:
        stop.restore(previous)


def resource_error(exc: BaseException, config: TrainConfig) -> ClassifierError | None:
    """Out of memory or out of disk space as a message a user can act on (None for anything else)."""
    import errno

    text = str(exc)
    if isinstance(exc, torch.OutOfMemoryError) or (isinstance(exc, RuntimeError) and (
            "out of memory" in text.lower() or "can't allocate memory" in text.lower())):
        smaller = max(1, config.batch_size // 2)
        return ClassifierError(
            f"Out of memory with batch size {config.batch_size} x max length {config.max_length or 'auto'} "
            f"tokens. Try batch size {smaller} with gradient accumulation "
            f"{config.gradient_accumulation_steps * 2} (same effective batch), a smaller max length, gradient "
            "checkpointing, or the head / LoRA strategy. What was saved before (best/) is kept.")
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return ClassifierError(
            f"The disk is full ({getattr(exc, 'filename', None) or 'while saving'}). Free some space (old runs can "
            "be deleted in the Runs tab or with rm -r runs/NAME) and train again. Files are written atomically: "
            "best/ and metrics.json are whole or absent, never half-written.")
    return None


def _clear_previous_outputs(run_dir: Path) -> None:
    """A reused --output folder must not show the old run's results while the new one trains."""
    import shutil

    for name in ("events.jsonl", "metrics.json", "predictions.csv", "data.json", "error.log"):
        (run_dir / name).unlink(missing_ok=True)
    clear_stale_stop(run_dir)
    for name in ("best", "last", CHECKPOINTS_DIR):
        shutil.rmtree(run_dir / name, ignore_errors=True)


def _clear_for_resume(run_dir: Path) -> None:
    """Before resuming: a STOP request from before is forgotten and half-written checkpoints are removed; events,
    best/, last/ and the test results stay (the results go once the data is known to match: `_train`)."""
    clear_stale_stop(run_dir)
    remove_partial_checkpoints(run_dir)


def resume_run(run: str | Path, progress: bool = True) -> RunResult:
    """Continue an interrupted, stopped or failed run from its newest checkpoint, with the settings and data it
    started with (RUN/config.json; the data files must be unchanged)."""
    from .errors import RunError
    from .runs import load_run_info, resolve_run_dir

    run_dir = resolve_run_dir(run)
    info = load_run_info(run_dir)
    if info.status in ("started", "running", "evaluating") and int(os.environ.get("WORLD_SIZE", "1")) == 1:
        raise RunError(f"Run {run_dir.name} is still training; there is nothing to resume. Stop it first "
                       f"(python -m classifier stop --run {run_dir.name}) or wait for it.")
    if info.status == "finished":
        raise RunError(f"Run {run_dir.name} finished; there is nothing to resume. To train longer, start a new run "
                       f"with more epochs: python -m classifier train --config {run_dir / 'config.json'} --epochs N")
    settings = run_dir / "config.json"
    if not settings.is_file():
        settings = run_dir / "request.json"  # written by the web app before the trainer started
    if not settings.is_file():
        raise RunError(f"Run {run_dir.name} has no config.json: it ended before its settings were saved, so it "
                       "cannot be resumed. Start a new training instead.")
    config = TrainConfig.from_json(settings).replace(output=str(run_dir))
    if "pooling" not in (read_json(settings) or {}):
        # a run started before pooling was a setting trained the model's own ([CLS]) head; its checkpoint holds
        # that model, so the resumed run must build the same one
        config = config.replace(pooling="cls")
    for name in DATA_FILES:
        value = getattr(config, name)
        if value and not str(value).startswith("hub:") and not Path(value).exists():
            raise RunError(f"Run {run_dir.name} trained on {value}, which is no longer there. Resuming needs the "
                           "very same file: put it back at that path, or start a new training.")
    return train(config, progress=progress, resume=True)


def data_fingerprints(config: TrainConfig) -> dict[str, str]:
    """sha256 of each data file of the run, so that a resumed run can tell it trains on the very same data."""
    import hashlib

    prints = {}
    for name in DATA_FILES:
        value = getattr(config, name)
        if value and Path(value).is_file():
            digest = hashlib.sha256()
            with open(value, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            prints[name] = digest.hexdigest()
    return prints


def _check_same_data(run_dir: Path, fingerprints: dict[str, str], labels: list[str]) -> None:
    before = json.loads((run_dir / "data.json").read_text(encoding="utf-8")) if (run_dir / "data.json").is_file() \
        else {}
    changed = [name for name, digest in (before.get("fingerprints") or {}).items() if fingerprints.get(name) != digest]
    if changed:
        raise ConfigError(f"The data ({', '.join(changed)}) changed since run {run_dir.name} started, so its "
                          "checkpoint no longer matches it. Put the original file back, or start a new training.")
    if before.get("labels") and before["labels"] != labels:
        raise ConfigError(f"The labels of the data ({', '.join(labels)}) differ from those run {run_dir.name} "
                          f"started with ({', '.join(before['labels'])}); start a new training instead.")


def best_state_at(checkpoint: Path | None, best_meta: dict[str, Any] | None, metric: str
                  ) -> tuple[float | None, int | None, int, int | None]:
    """(best value, its step, evaluations since without improvement, replay_until) for a run resumed from
    `checkpoint` (None: from step 0).

    best/ is what exists on disk, so its recorded score is the one to beat; the evaluations in the checkpoint's
    log after best/'s step count towards early stopping (none when best/ is newer than the checkpoint, and then the
    resumed run's evaluations up to best/'s step are a replay, not misses: `replay_until`)."""
    state = json.loads((checkpoint / TRAINER_STATE).read_text(encoding="utf-8")) if checkpoint is not None else {}
    key = "eval_loss" if metric == "loss" else f"eval_{metric}"
    evals = [(int(e["step"]), float(e[key])) for e in state.get("log_history", []) if key in e]
    best_value = best_step = None
    if best_meta and best_meta.get("best_value") is not None:
        best_value, best_step = float(best_meta["best_value"]), int(best_meta.get("step") or 0)
    else:  # no best/ with a score: replay the evaluations with the same rule as RunCallback
        for step, value in evals:
            if best_value is None or (value < best_value if metric == "loss" else value > best_value):
                best_value, best_step = value, step
    bad_evals = sum(1 for step, _ in evals if best_step is not None and step > best_step)
    replay_until = best_step if best_step is not None and best_step > int(state.get("global_step", 0)) else None
    return best_value, best_step, bad_evals, replay_until


class StopFlag:
    """SIGTERM/SIGINT or a STOP file ask for a clean stop once training runs; before that they interrupt."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.signalled = False
        self.training = False

    def install(self) -> dict:
        previous = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                previous[sig] = signal.signal(sig, self._on_signal)
            except ValueError:
                pass  # not the main thread (e.g. called from a notebook worker)
        return previous

    @staticmethod
    def restore(previous: dict) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def _on_signal(self, _signum, _frame) -> None:
        if not self.training:
            raise KeyboardInterrupt  # nothing trained yet: leave at once
        self.signalled = True

    def requested(self) -> bool:
        return self.signalled or stop_requested(self.run_dir)


def _train(config: TrainConfig, run_dir: Path, events: EventWriter, progress: bool, stop: StopFlag,
           resume: bool = False, checkpoint: Path | None = None) -> RunResult:
    started = time.perf_counter()
    main = is_main_process()
    set_seed(config.seed)
    from . import tracking

    trackers = tracking.parse(config.report_to)
    tracking.check_installed(trackers)  # before anything slow: a missing package names its pip command
    config = with_local_sources(config, events)

    # --- data
    data = prepare_data(
        config.data, config.text_column, config.label_column, config.validation_file, config.test_file,
        config.validation_fraction, config.test_fraction, config.seed, config.balance, config.max_train_samples,
        multi_label=config.multi_label, label_delimiter=config.label_delimiter, label_columns=config.label_columns,
    )
    multi = data.multi_label
    for warning in data.warnings:
        events.log(warning)
    events.log(f"Data: {data.split_sizes()} rows (train/validation/test), {len(data.labels)} "
               f"{'labels (multi-label)' if multi else 'classes'}.")
    resumed_from = (checkpoint_step(checkpoint) or 0) if checkpoint is not None else 0  # before rotation removes it
    fingerprints = data_fingerprints(config)
    if resume:
        _check_same_data(run_dir, fingerprints, data.labels.names)
        if main:  # the interrupted part's test results: best/ may still change
            for name in ("metrics.json", "predictions.csv", "error.log"):
                (run_dir / name).unlink(missing_ok=True)

    # --- model and length
    model_name = choose_model(config, data)
    path, display = resolve_model(model_name)
    if config.adapt_first:
        path = adapt_first(config, model_name, run_dir, events, progress and main)
    events.log(f"Model: {display}{' (bundled, offline)' if model_name in BUNDLED else ''}.")
    tokenizer = load_tokenizer(path)
    pooling = choose_pooling(config, model_name, path)
    loaded: LoadedModel = load_model(path, data.labels.id2label, tokenizer, multi_label=multi, pooling=pooling)
    summary = summarize(data.train["text"].tolist(), [data.label_names_of(v) for v in data.train["label"]],
                        tokenizer, loaded.model_limit)
    max_length = config.max_length or summary["recommended_max_length"]
    max_length = min(max_length, loaded.model_limit)
    total_params = sum(p.numel() for p in loaded.model.parameters())
    from .padding import is_decoder

    strategy = choose_strategy(config, total_params, decoder=is_decoder(loaded.model))
    vocab = loaded.model.get_input_embeddings().weight.shape[0]
    freeze_embeddings = config.freeze_embeddings == "yes" or (
        config.freeze_embeddings == "auto" and strategy == "full" and vocab > 100_000)
    if strategy == "lora":  # classifier/lora.py wraps loaded.model in a peft model
        from .lora import apply_lora

        counts = apply_lora(loaded, config.lora_r, config.lora_alpha, config.lora_dropout, config.lora_target_modules)
    else:
        counts = apply_strategy(loaded, strategy, config.last_n_layers, freeze_embeddings)
    learning_rate = config.learning_rate or default_learning_rate(strategy, model_name)

    chunked = config.truncation == "chunk"
    if chunked and strategy == "head" and config.chunk_pooling == "max":
        raise ConfigError("The head strategy averages the windows' features of a long text, so it pools by mean; "
                          "choose chunk_pooling 'mean', or another strategy for 'max'.")
    resolved = config.replace(
        model=model_name, strategy=strategy, max_length=max_length, learning_rate=learning_rate, pooling=pooling,
        freeze_embeddings="yes" if freeze_embeddings else "no", output=str(run_dir),
        text_column=data.text_column,
        label_column=None if multi and config.label_columns else data.label_column,
        multi_label="yes" if multi else "no",
        chunk_stride=(config.chunk_stride if config.chunk_stride is not None else max_length // 4)
        if chunked else config.chunk_stride,
    )
    if main:
        resolved.to_json(run_dir / "config.json")
        atomic_write_json(run_dir / "data.json", {
            **data.stats, "labels": data.labels.names, "warnings": data.warnings, "fingerprints": fingerprints,
            "summary": {k: v for k, v in summary.items() if k != "token_lengths_sample"},
        })
    lengths = summary.get("token_lengths_sample", [])
    truncated = sum(1 for n in lengths if n > max_length)
    why = "chosen" if config.max_length else "automatic: holds 95% of the training texts whole"
    fate = (f"are read in overlapping windows (stride {resolved.chunk_stride}, {config.chunk_pooling} of the "
            "windows' logits)") if chunked else "get truncated"
    events.log(f"max_length {max_length} tokens ({why}; {truncated} of {len(lengths)} sampled texts are longer and "
               f"{fate}). Strategy {strategy}: {counts['trainable_parameters']:,} of "
               f"{counts['total_parameters']:,} parameters train.")

    # --- tokenize
    def tokenize(frame: pd.DataFrame, max_chunks: int | None) -> dict[str, list]:
        texts = frame["text"].tolist()
        if chunked:
            encoded = encode_chunks(texts, tokenizer, max_length, resolved.chunk_stride, max_chunks)
        else:
            encoded = encode_texts(texts, tokenizer, max_length, config.truncation)
        labels = data.label_matrix(frame).tolist() if multi else frame["label"].astype(int).tolist()
        return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"], "labels": labels}

    from datasets import Dataset

    # validation reads every window of a text, as prediction will; training caps the windows per text
    splits = {name: Dataset.from_dict(tokenize(frame, config.max_chunks if name == "train" else None))
              for name, frame in (("train", data.train), ("validation", data.validation))}
    pad_multiple = 8 if torch.cuda.is_available() else None
    collator = ChunkCollator(tokenizer, pad_multiple) if chunked else DataCollatorWithPadding(
        tokenizer, pad_to_multiple_of=pad_multiple)

    head_only: HeadOnlyModel | None = None

    def save_model_folder(target: Path, step: int | None = None, best_value: float | None = None) -> None:
        def save(tmp: Path) -> None:
            with head_only.folded() if head_only is not None else contextlib.nullcontext():
                if strategy == "lora":
                    from .lora import save_lora

                    save_lora(loaded.model, tmp, merge=config.lora_merge)
                else:
                    loaded.model.save_pretrained(tmp, safe_serialization=True)
            tokenizer.save_pretrained(tmp)
            (tmp / MODEL_META_FILE).write_text(json.dumps({
                "max_length": max_length, "truncation": config.truncation, "base_model": model_name,
                "strategy": strategy, "pooling": pooling, "labels": data.labels.names, "multi_label": multi,
                "thresholds": [config.threshold or 0.5] * len(data.labels) if multi else None,
                "chunk_stride": resolved.chunk_stride, "chunk_pooling": config.chunk_pooling,
                "step": step, "metric_for_best_model": config.metric_for_best_model, "best_value": best_value,
            }, ensure_ascii=False, indent=2), encoding="utf-8")

        atomic_save_dir(target, save)

    if strategy == "head":
        events.status("running", "Computing the frozen backbone's features once for every text...")
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        loaded.model.to(device)

        pad = DataCollatorWithPadding(tokenizer, pad_to_multiple_of=pad_multiple)

        def features_of(dataset: Dataset) -> torch.Tensor:
            ids, masks = dataset["input_ids"], dataset["attention_mask"]
            owner = None
            if chunked:  # every window of every text; a text's feature is the mean of its windows'
                owner = torch.tensor([i for i, windows in enumerate(ids) for _ in windows])
                ids = [w for windows in ids for w in windows]
                masks = [m for windows in masks for m in windows]
            order = np.argsort([len(x) for x in ids], kind="stable")  # similar lengths batch together
            batches = (
                {k: v.to(device) for k, v in pad(
                    [{"input_ids": ids[i], "attention_mask": masks[i]}
                     for i in order[s:s + config.eval_batch_size]]).items()}
                for s in range(0, len(order), config.eval_batch_size)
            )
            sorted_feats = pooled_features(loaded.model, loaded.head, batches)
            feats = torch.empty_like(sorted_feats)
            feats[torch.as_tensor(order)] = sorted_feats
            if owner is not None:
                feats = pool_logits(feats.reshape(len(feats), -1), owner, len(dataset), "mean")
            return feats

        t0 = time.perf_counter()
        feature_sets = {name: Dataset.from_dict({"features": features_of(ds).numpy(), "labels": ds["labels"]})
                        .with_format("torch") for name, ds in splits.items()}
        events.log(f"Features computed in {time.perf_counter() - t0:.1f}s; each epoch now trains only the head.")
        train_features = feature_sets["train"][:]["features"]
        head_only = HeadOnlyModel(loaded.head, train_features.mean(0), train_features.std(0))
        train_model, train_set, eval_set, trainer_collator = (head_only, feature_sets["train"],
                                                              feature_sets["validation"], None)
    else:
        train_model, train_set, eval_set, trainer_collator = (loaded.model, splits["train"], splits["validation"],
                                                              collator)

    world = int(os.environ.get("WORLD_SIZE", "1"))
    samples_per_step = config.batch_size * config.gradient_accumulation_steps * world
    micro_batch, accumulation = config.batch_size, config.gradient_accumulation_steps
    tokens_per_text = max_length * (config.max_chunks if chunked else 1)
    if (not torch.cuda.is_available() and strategy != "head"
            and micro_batch * tokens_per_text > CPU_TOKENS_PER_MICRO_BATCH):
        micro_batch = max(1, CPU_TOKENS_PER_MICRO_BATCH // tokens_per_text)
        while config.batch_size % micro_batch:  # keep the effective batch exactly as asked
            micro_batch -= 1
        accumulation *= config.batch_size // micro_batch
        events.log(f"Batches of {config.batch_size} x {tokens_per_text} tokens are run as {accumulation} "
                   f"micro-batches of {micro_batch} (same updates, less memory on a CPU).")
    steps_per_epoch = max(1, math.ceil(len(train_set) / samples_per_step))
    total_steps = max(1, math.ceil(steps_per_epoch * config.epochs))
    eval_steps = max(1, steps_per_epoch // config.evals_per_epoch)
    logging_steps = config.logging_steps or max(1, total_steps // 50)
    args = TrainingArguments(
        output_dir=str(run_dir / CHECKPOINTS_DIR),
        per_device_train_batch_size=micro_batch,
        per_device_eval_batch_size=config.eval_batch_size,
        num_train_epochs=config.epochs,
        learning_rate=learning_rate,
        weight_decay=config.weight_decay,
        warmup_steps=config.warmup_ratio,
        lr_scheduler_type=config.lr_scheduler_type,
        gradient_accumulation_steps=accumulation,
        max_grad_norm=config.max_grad_norm,
        **{_CHECKPOINTING_ARG: config.gradient_checkpointing and strategy != "head"},
        eval_strategy="steps",
        eval_steps=eval_steps,
        logging_strategy="steps",
        logging_steps=logging_steps,
        logging_first_step=True,
        # best/ and last/ are written by us, atomically, as plain models. For `resume`, Trainer keeps one checkpoint
        # with optimizer, scheduler and random state, written at evaluations (after best/) and at the end, at most
        # one a minute (RunCallback), and on a stop request; save_total_limit=1 deletes the older one only once the
        # newer one is complete.
        save_strategy="steps" if config.save_checkpoints else "no",
        save_steps=eval_steps,
        save_total_limit=1,
        **tracking.prepare(trackers, run_dir),
        seed=config.seed,
        data_seed=config.seed,
        disable_tqdm=not (progress and main),
        train_sampling_strategy="group_by_length" if strategy != "head" and not chunked else "random",
        dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(),
        use_cpu=not torch.cuda.is_available(),
        ddp_find_unused_parameters=strategy != "full",
        remove_unused_columns=not chunked,
        **precision_flags(config.mixed_precision),
    )
    callback = RunCallback(stop, events, lambda: save_model_folder(run_dir / "best", callback.best_step,
                                                                   callback.best_value),
                           config.metric_for_best_model, config.early_stopping_patience, samples_per_step,
                           config.checkpoint_every_seconds)
    if resume:  # best/ from before stays unless beaten, with or without a checkpoint to continue from
        best_meta = read_json(run_dir / "best" / MODEL_META_FILE)
        callback.restore(*best_state_at(checkpoint, best_meta, config.metric_for_best_model))
        events.log((f"Resuming from {checkpoint.name}: weights, optimizer, schedule and data order as they were"
                    if checkpoint is not None else "No checkpoint: training again from step 0")
                   + (f"; best so far {config.metric_for_best_model} {callback.best_value:.4f} at step "
                      f"{callback.best_step}." if callback.best_value is not None else "."))
    weights = None
    if config.class_weights == "balanced":
        weights = pos_weight_tensor(data.label_matrix(data.train)) if multi else \
            class_weight_tensor(data.train["label"].to_numpy(), len(data.labels))
    parameter_rates = None
    if config.head_learning_rate or config.layerwise_lr_decay < 1.0:
        from .layer_lr import parameter_learning_rates

        if strategy == "head":  # the head alone trains: its own rate, if any, is the rate
            parameter_rates = {name: config.head_learning_rate or learning_rate
                               for name, p in train_model.named_parameters() if p.requires_grad}
        else:
            parameter_rates = parameter_learning_rates(train_model, learning_rate, config.head_learning_rate,
                                                       config.layerwise_lr_decay)
        rates = sorted(set(parameter_rates.values()))
        events.log(f"Learning rates per layer: {len(rates)} rates from {rates[0]:.2e} to {rates[-1]:.2e} (head "
                   f"{config.head_learning_rate or learning_rate:.2e}, decay {config.layerwise_lr_decay:g}).")
    trainer = ClassifierTrainer(
        model=train_model, args=args, train_dataset=train_set, eval_dataset=eval_set, parameter_rates=parameter_rates,
        data_collator=trainer_collator, callbacks=[callback, *tracking.callbacks(trackers, run_dir)],
        compute_metrics=_multilabel_eval_metrics(config.threshold) if multi else _compute_eval_metrics,
        class_weights=weights, label_smoothing=config.label_smoothing, multi_label=multi,
        chunk_pooling=config.chunk_pooling,
    )
    # The events file is the record; a bar in the terminal is enough, without Trainer's dicts of logs.
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    if progress and main:
        trainer.add_callback(QuietProgressCallback)
    events.status("running", f"Training {display} ({strategy}) for {config.epochs:g} epoch(s), {total_steps} steps "
                  f"on {describe_device()}.", total_steps=total_steps,
                  trainable_parameters=counts["trainable_parameters"])
    train_start = time.perf_counter()
    stop.training = True
    output = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint is not None else None)
    train_seconds = time.perf_counter() - train_start
    stopped = callback.stop_reason == "stop requested"
    if callback.stop_reason:
        events.log(f"Training ended early: {callback.stop_reason}.")
    if main and callback.best_value is None:
        # stopped before the first evaluation: the model as it is is the best we have
        save_model_folder(run_dir / "best", trainer.state.global_step)
    if main:
        save_model_folder(run_dir / "last", trainer.state.global_step)
    if not main:
        return RunResult(run_dir, "stopped" if stopped else "finished", None)

    # --- on validation: thresholds (multi-label) and the ensemble with the TF-IDF model; then test
    events.status("evaluating", "Choosing on the validation split between the model, the TF-IDF model and their mix, "
                  "then evaluating on the test set...")
    decided = choose_on_validation(run_dir, data, config, MODEL_META_FILE)
    log_decision(events, decided, data)
    metrics = evaluate_on_test(run_dir, data, config, display, decided)
    metrics.update({
        "model": display, "strategy": strategy, "pooling": pooling, "max_length": max_length,
        "trainable_parameters": counts["trainable_parameters"], "total_parameters": counts["total_parameters"],
        "train_seconds": round(train_seconds, 1), "total_seconds": round(time.perf_counter() - started, 1),
        "train_samples_per_second": round(float(output.metrics.get("train_samples_per_second", 0.0)), 2),
        "best_step": callback.best_step, f"best_validation_{config.metric_for_best_model}": callback.best_value,
        "steps_trained": trainer.state.global_step, "device": describe_device(), "world_size": world,
        "resumed_from_step": resumed_from if resume else None,
        "stopped_early": bool(callback.stop_reason and callback.stop_reason.startswith("early stopping")),
    })
    from .advice import advise

    metrics["advice"] = [a.to_dict() for a in advise(metrics, config.epochs, len(data.train),
                                                     language_hint(data.train["text"].tolist()))]
    atomic_write_json(run_dir / "metrics.json", metrics)
    if trackers:
        log_to_trackers(trainer, trackers, run_dir, resolved, metrics)
        events.log("Tracked with " + tracking.where(trackers, run_dir) + ".")
    baseline = metrics.get("baseline") or {}
    events.write("test", accuracy=metrics["accuracy"], macro_f1=metrics["macro_f1"],
                 baseline_accuracy=baseline.get("accuracy"), baseline_macro_f1=baseline.get("macro_f1"),
                 **({"micro_f1": metrics["micro_f1"], "baseline_micro_f1": baseline.get("micro_f1")} if multi else {}))
    status = "stopped" if stopped else "finished"
    if multi:
        summary_line = (f"Test micro-F1 {metrics['micro_f1']:.4f}, macro-F1 {metrics['macro_f1']:.4f}, subset "
                        f"accuracy {metrics['subset_accuracy']:.4f}"
                        + (f" (TF-IDF baseline micro-F1 {baseline['micro_f1']:.4f})" if baseline else ""))
    else:
        summary_line = (f"Test accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f}"
                        + (f" (TF-IDF baseline {baseline['accuracy']:.4f} / {baseline['macro_f1']:.4f})" if baseline
                           else ""))
    summary_line += f"; {metrics['total_seconds']:.0f}s in all."
    events.status(status, ("Stopped on request. " if stopped else "Finished. ") + summary_line)
    if status == "finished":
        # nothing left to resume: the checkpoint (weights + optimizer state) is only disk. Deleted after the status
        # is written, so a kill in the middle leaves a finished run with some leftovers, never an interrupted run
        # whose checkpoint is half gone.
        import shutil

        shutil.rmtree(run_dir / CHECKPOINTS_DIR, ignore_errors=True)
    return RunResult(run_dir, status, metrics)


def evaluate_on_test(run_dir: Path, data: PreparedData, config: TrainConfig, display: str,
                     decided: ValidatedDecision) -> dict[str, Any]:
    """Test metrics of what the run answers (best/ through Predictor: the model, or its validated ensemble with the
    TF-IDF model), predictions.csv, and beside them the model alone, the TF-IDF model alone and the mix."""
    from .predict import Predictor

    predictor = Predictor(run_dir, batch_size=config.eval_batch_size)
    texts = data.test["text"].tolist()
    gold = targets_of(data, data.test)
    model_probs = predictor.model_proba(texts)
    # one TF-IDF pass: the model fitted on validation is the one best/ stores where the run answers with it
    tfidf_probs = decided.tfidf.predict_proba(predictor._tfidf_view(texts)) if decided.tfidf is not None else None
    probs = predictor.combine(model_probs, tfidf_probs)
    names = data.labels.names
    multi = data.multi_label

    def decide(p: np.ndarray, thresholds: list[float] | None) -> np.ndarray:
        return (p >= np.asarray(thresholds, dtype=np.float32)).astype(int) if multi else p.argmax(-1)

    def scored(p: np.ndarray, thresholds: list[float] | None) -> dict[str, Any]:
        return multilabel_metrics(gold, decide(p, thresholds), names) if multi else \
            classification_metrics(gold, decide(p, thresholds), names)

    predicted = decide(probs, predictor.thresholds)
    metrics = scored(probs, predictor.thresholds)
    if multi:
        metrics["thresholds"] = dict(zip(names, predictor.thresholds))
    write_predictions_table(run_dir, texts, gold, predicted, probs, names, multi)
    headline = ("accuracy", "macro_f1", "micro_f1") if multi else ("accuracy", "macro_f1")
    if not multi:
        from .binary import binary_report, one_vs_rest_auc, positive_class

        if len(names) == 2:
            metrics["binary"] = binary_report(gold, probs, names, positive_class(targets_of(data, data.train)), 0.5)
        else:
            metrics["roc_auc_per_class"] = one_vs_rest_auc(gold, probs, names)
    metrics["decision"] = predictor.decision
    metrics["model_only"] = {k: scored(model_probs, decided.model_thresholds)[k] for k in headline}
    if tfidf_probs is not None:
        metrics["baseline"] = {**scored(tfidf_probs, decided.tfidf_thresholds), **tfidf_summary(decided.tfidf)}
        choice = decided.choice
        metrics["ensemble"] = {
            "weight": choice.weight, "decision": choice.decision, "metric": choice.metric,
            "validation_scores": choice.scores, "mix_weight": decided.mix_weight,
            "mix_test": ({k: scored(blend(model_probs, tfidf_probs, decided.mix_weight), decided.mix_thresholds)[k]
                          for k in headline} if decided.mix_weight is not None else None),
        }
    return metrics


def write_predictions_table(run_dir: Path, texts: list[str], gold: np.ndarray, predicted: np.ndarray,
                            probs: np.ndarray, names: list[str], multi: bool) -> None:
    """RUN/predictions.csv: text, gold, predicted, confidence, correct, and one probability column per class."""
    if multi:
        def joined(row: np.ndarray) -> str:
            return "|".join(names[j] for j in np.flatnonzero(row))

        gold_col, predicted_col = [joined(r) for r in gold], [joined(r) for r in predicted]
        correct = (gold == predicted).all(1)
    else:
        gold_col, predicted_col = [names[i] for i in gold], [names[i] for i in predicted]
        correct = gold == predicted
    table = pd.DataFrame({"text": texts, "gold": gold_col, "predicted": predicted_col,
                          "confidence": probs.max(-1).round(6), "correct": correct})
    for i, name in enumerate(names):
        table[f"p_{name}"] = probs[:, i].round(6)
    atomic_write_text(run_dir / "predictions.csv", spreadsheet_safe(table).to_csv(index=False))


def log_to_trackers(trainer, trackers: list[str], run_dir: Path, resolved: TrainConfig, metrics: dict) -> None:
    """The test metrics (`test_...`) through every tracker, and the resolved config as text for TensorBoard."""
    # "test_..." keys: Trainer's integrations file them under test/ (TensorBoard: test/accuracy)
    numbers = {f"test_{k}": float(v) for k, v in metrics.items() if k in (
        "accuracy", "macro_f1", "micro_f1", "weighted_f1", "subset_accuracy", "hamming_loss") and v is not None}
    for key in ("accuracy", "macro_f1", "micro_f1"):
        for part in ("model_only", "baseline"):
            value = (metrics.get(part) or {}).get(key)
            if value is not None:
                numbers[f"test_{part}_{key}"] = float(value)
    trainer.log(numbers)
    # Trainer ended the trackers' runs at the end of training; logging the test metrics opened them again, so
    # end them once more (trackio writes in a background thread: in-process callers would read its store early)
    for callback in trainer.callback_handler.callbacks:
        if type(callback).__name__ in ("TrackioCallback", "MLflowCallback"):
            callback.on_train_end(trainer.args, trainer.state, trainer.control, model=trainer.model)
    if "tensorboard" in trackers:
        from torch.utils.tensorboard import SummaryWriter

        with SummaryWriter(log_dir=str(run_dir / "logs")) as writer:
            writer.add_text("config", "```\n" + resolved.to_json() + "\n```")


def log_decision(events: EventWriter, decided: ValidatedDecision, data: PreparedData) -> None:
    names = data.labels.names
    if decided.model_thresholds is not None:
        events.log("Decision thresholds tuned on the validation split (best F1 per label): "
                   + ", ".join(f"{n} {t:.2f}" for n, t in zip(names, decided.model_thresholds)) + ".")
    choice = decided.choice
    if choice is None:
        return
    scores = choice.scores
    what = {"model": "the fine-tuned model alone",
            "baseline": "the TF-IDF model alone (it beat the fine-tuned model on validation)",
            "ensemble": f"the fine-tuned model mixed with the TF-IDF model (weight {choice.weight:.1f} : "
                        f"{1 - choice.weight:.1f})"}[choice.decision]
    events.log(f"Predictions use {what}: validation {choice.metric} model {scores['1.0']:.4f}, TF-IDF "
               f"{scores['0.0']:.4f}, chosen {scores[f'{choice.weight:.1f}']:.4f}.")
