"""The plan of a run: every "auto" of the config decided (model, pooling, strategy, learning rate, max_length,
windows of long texts, micro-batches on a CPU) in one `ResolvedRun`, and the TrainingArguments built from it.

The resolved config is what RUN/config.json holds, so that the run repeats and resumes with the same decisions.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from transformers import TrainingArguments

from ..backbones import BUNDLED, default_model_for
from ..config import (
    DEFAULT_EPOCHS,
    TrainConfig,
    default_epochs,
    default_layerwise_lr_decay,
    default_learning_rate,
    default_truncation,
)
from ..data import PreparedData, language_hint
from ..errors import ConfigError
from ..events import EventWriter
from ..hardware import cpu_has_native_bf16
from ..messages import say
from ..runs import CHECKPOINTS_DIR

if TYPE_CHECKING:
    from .model import RunModel

# transformers 5.23 renamed TrainingArguments' gradient_checkpointing to activation_checkpointing (the old name is a
# deprecated alias until v6); 5.0-5.22 know only gradient_checkpointing.
_CHECKPOINTING_ARG = ("activation_checkpointing" if "activation_checkpointing" in
                      {f.name for f in dataclasses.fields(TrainingArguments)} else "gradient_checkpointing")
# On a CPU a batch holds at most this many tokens; a larger batch is split into accumulated micro-batches (same
# effective batch, same updates): batch 16 x 512 tokens took 5.7 GiB of RSS, 8 x 512 with accumulation 2 less.
CPU_TOKENS_PER_MICRO_BATCH = 4096


@dataclass
class BatchPlan:
    """How the effective batch (batch_size x gradient_accumulation_steps x processes) is run, and the step counts."""

    world: int  # processes (torchrun / accelerate launch)
    samples_per_step: int  # texts per optimizer update, all processes together
    micro_batch: int  # per_device_train_batch_size
    accumulation: int  # gradient_accumulation_steps, micro-batches included
    tokens_per_text: int
    split_for_cpu: bool  # the batch was split into micro-batches to bound a CPU's memory
    steps_per_epoch: int
    epochs: float  # as given, or default_epochs'
    total_steps: int
    eval_steps: int
    logging_steps: int


@dataclass
class ResolvedRun:
    """Every decision of the run. `config` is the resolved config (no "auto" left): RUN/config.json."""

    config: TrainConfig
    model_name: str
    display: str
    strategy: str
    pooling: str
    max_length: int
    learning_rate: float
    freeze_embeddings: bool
    chunked: bool  # long texts are read in overlapping windows
    batches: BatchPlan
    precision: str = "fp32"  # what the forward and backward passes run in on this machine: bf16, fp16 or fp32


# ----------------------------------------------------------------------------------------------------------------
# Decisions
# ----------------------------------------------------------------------------------------------------------------
def choose_model(config: TrainConfig, data: PreparedData) -> str:
    if config.model and config.model != "auto":
        return config.model
    return default_model_for(language_hint(data.train["text"].tolist()))


def choose_pooling(config: TrainConfig, model_name: str, path) -> str:
    """`mean` or `cls` (the model's own head). A saved mean-pooling classifier (a run's best/) stays one."""
    from ..hf import AutoConfig
    from ..pooling import is_mean_pooling
    from ..security import pretrained_kwargs

    try:
        model_config = AutoConfig.from_pretrained(path, **pretrained_kwargs(path))
    except Exception:  # load_model reports an unreadable config with its own message
        model_config = None
    if model_config is not None and is_mean_pooling(model_config):
        return "mean"
    from ..hf import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES, MODEL_FOR_MASKED_LM_MAPPING_NAMES

    kind = getattr(model_config, "model_type", "")
    decoder = (kind in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and kind not in MODEL_FOR_MASKED_LM_MAPPING_NAMES) or \
        bool(getattr(model_config, "is_encoder_decoder", False))
    if config.pooling == "mean" and decoder:
        raise ConfigError(say("plan_mean_pooling_decoder"))
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
    from ..adapt import adapted_pooling

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


def precision_flags(setting: str, strategy: str = "full") -> dict[str, bool]:
    """Trainer's bf16/fp16 flags. GPU: auto = bf16 where supported, else fp16. CPU: autocast knows only bf16; auto
    takes it where the CPU has bf16 instructions and the backbone trains (the head strategy trains one layer on
    cached fp32 features: nothing to gain); fp16 on a CPU trains in fp32."""
    if setting == "no":
        return {"bf16": False, "fp16": False}
    if torch.cuda.is_available():
        if setting == "auto":
            setting = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return {"bf16": setting == "bf16", "fp16": setting == "fp16"}
    bf16 = setting == "bf16" or (setting == "auto" and strategy != "head" and cpu_has_native_bf16())
    return {"bf16": bf16, "fp16": False}


def plan_batches(config: TrainConfig, strategy: str, max_length: int, chunked: bool, train_size: int,
                 model_name: str | None = None) -> BatchPlan:
    """Steps per epoch, evaluation and logging steps; on a CPU a batch of more than CPU_TOKENS_PER_MICRO_BATCH tokens
    runs as accumulated micro-batches whose size divides the batch, so the effective batch stays exactly as asked."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    samples_per_step = config.batch_size * config.gradient_accumulation_steps * world
    micro_batch, accumulation = config.batch_size, config.gradient_accumulation_steps
    tokens_per_text = max_length * (config.max_chunks if chunked else 1)
    split = (not torch.cuda.is_available() and strategy != "head"
             and micro_batch * tokens_per_text > CPU_TOKENS_PER_MICRO_BATCH)
    if split:
        micro_batch = max(1, CPU_TOKENS_PER_MICRO_BATCH // tokens_per_text)
        while config.batch_size % micro_batch:  # keep the effective batch exactly as asked
            micro_batch -= 1
        accumulation *= config.batch_size // micro_batch
    steps_per_epoch = max(1, math.ceil(train_size / samples_per_step))
    epochs = config.epochs or default_epochs(strategy, model_name, steps_per_epoch)
    total_steps = max(1, math.ceil(steps_per_epoch * epochs))
    return BatchPlan(world=world, samples_per_step=samples_per_step, micro_batch=micro_batch,
                     accumulation=accumulation, tokens_per_text=tokens_per_text, split_for_cpu=split,
                     steps_per_epoch=steps_per_epoch, epochs=epochs, total_steps=total_steps,
                     eval_steps=max(1, steps_per_epoch // config.evals_per_epoch),
                     logging_steps=config.logging_steps or max(1, total_steps // 50))


def resolve_run(config: TrainConfig, data: PreparedData, model: RunModel, run_dir: Path) -> ResolvedRun:
    """Decide what is left to decide once the model is loaded (it is only inspected here, not changed)."""
    from ..padding import is_decoder

    loaded = model.loaded
    max_length = min(config.max_length or model.summary["recommended_max_length"], loaded.model_limit)
    total_params = sum(p.numel() for p in loaded.model.parameters())
    strategy = choose_strategy(config, total_params, decoder=is_decoder(loaded.model))
    vocab = loaded.model.get_input_embeddings().weight.shape[0]
    freeze_embeddings = config.freeze_embeddings == "yes" or (
        config.freeze_embeddings == "auto" and strategy == "full" and vocab > 100_000)
    learning_rate = config.learning_rate or default_learning_rate(strategy, model.name)
    decay = config.layerwise_lr_decay or default_layerwise_lr_decay(strategy)
    truncation = default_truncation(config.truncation, max_length, loaded.model_limit)
    chunked = truncation == "chunk"
    if chunked and strategy == "head" and config.chunk_pooling == "max":
        raise ConfigError(say("plan_head_max_pooling"))
    batches = plan_batches(config, strategy, max_length, chunked, len(data.train), model.name)
    # config.json keeps the setting as given ("auto" is decided again on the machine that resumes or repeats the run:
    # a GPU without bf16, a CPU without bf16 instructions); what this machine trains in is metrics.json's `precision`
    flags = precision_flags(config.mixed_precision, strategy)
    resolved = config.replace(
        model=model.name, strategy=strategy, max_length=max_length, learning_rate=learning_rate,
        layerwise_lr_decay=decay, epochs=batches.epochs, pooling=model.pooling, truncation=truncation,
        freeze_embeddings="yes" if freeze_embeddings else "no",
        output=str(run_dir),
        text_column=data.text_column,
        label_column=None if config.label_columns else data.label_column,  # several 0/1 columns: no one column
        multi_label=data.task.layout,
        chunk_stride=(config.chunk_stride if config.chunk_stride is not None else max_length // 4)
        if chunked else config.chunk_stride,
    )
    return ResolvedRun(config=resolved, model_name=model.name, display=model.display, strategy=strategy,
                       pooling=model.pooling, max_length=max_length, learning_rate=learning_rate,
                       freeze_embeddings=freeze_embeddings, chunked=chunked,
                       batches=batches, precision="bf16" if flags["bf16"] else "fp16" if flags["fp16"] else "fp32")


def log_plan(events: EventWriter, given: TrainConfig, plan: ResolvedRun, summary: dict[str, Any],
             counts: dict[str, int]) -> None:
    """What the run decided, in the words of events.jsonl: max_length, windows, strategy, micro-batches."""
    config = plan.config
    lengths = summary.get("token_lengths_sample", [])
    truncated = sum(1 for n in lengths if n > plan.max_length)
    why = say("why_chosen" if given.max_length else "why_automatic")
    fate = (say("fate_windows", stride=config.chunk_stride, pooling=config.chunk_pooling) if plan.chunked
            else say("fate_truncated"))
    events.log(say("log_max_length", max_length=plan.max_length, why=why, truncated=truncated, sampled=len(lengths),
                   fate=fate, strategy=plan.strategy, trainable=counts["trainable_parameters"],
                   total=counts["total_parameters"]))
    batches = plan.batches
    if given.epochs is None and batches.epochs != DEFAULT_EPOCHS:
        events.log(say("log_auto_epochs", epochs=batches.epochs, model=plan.display, steps=batches.total_steps,
                       per_epoch=batches.steps_per_epoch))
    if config.backbone_dropout is not None:
        layers = counts.get("dropout_layers", 0)
        events.log(say("log_backbone_dropout" if layers else "log_backbone_dropout_none", rate=config.backbone_dropout,
                       layers=layers))
    if plan.precision != "fp32":
        why = ("precision_why_chosen" if given.mixed_precision != "auto" else
               "precision_why_gpu" if torch.cuda.is_available() else "precision_why_cpu")
        events.log(say("log_precision", precision=plan.precision, why=say(why)))
    if batches.split_for_cpu:
        events.log(say("log_micro_batches", batch_size=config.batch_size, tokens=batches.tokens_per_text,
                       accumulation=batches.accumulation, micro=batches.micro_batch))


def training_arguments(plan: ResolvedRun, run_dir: Path, tracker_args: dict[str, Any],
                       progress: bool, **overrides: Any) -> TrainingArguments:
    """HF TrainingArguments of the plan; `tracker_args` from tracking.prepare; `overrides` replace any argument
    (the refit's second pass: its own output_dir and max_steps, no evaluation, no checkpoints)."""
    config, batches, strategy = plan.config, plan.batches, plan.strategy
    arguments = dict(
        output_dir=str(run_dir / CHECKPOINTS_DIR),
        per_device_train_batch_size=batches.micro_batch,
        per_device_eval_batch_size=config.eval_batch_size,
        num_train_epochs=config.epochs,
        learning_rate=plan.learning_rate,
        weight_decay=config.weight_decay,
        warmup_steps=config.warmup_ratio,
        lr_scheduler_type=config.lr_scheduler_type,
        gradient_accumulation_steps=batches.accumulation,
        max_grad_norm=config.max_grad_norm,
        **{_CHECKPOINTING_ARG: config.gradient_checkpointing and strategy != "head"},
        eval_strategy="steps",
        eval_steps=batches.eval_steps,
        logging_strategy="steps",
        logging_steps=batches.logging_steps,
        logging_first_step=True,
        # best/ and last/ are written by us, atomically, as plain models. For `resume`, Trainer keeps one checkpoint
        # with optimizer, scheduler and random state, written at evaluations (after best/) and at the end, at most
        # one a minute (RunCallback), and on a stop request; save_total_limit=1 deletes the older one only once the
        # newer one is complete.
        save_strategy="steps" if config.save_checkpoints else "no",
        save_steps=batches.eval_steps,
        save_total_limit=1,
        **tracker_args,
        seed=config.seed,
        data_seed=config.seed,
        disable_tqdm=not progress,
        train_sampling_strategy="group_by_length" if strategy != "head" and not plan.chunked else "random",
        dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(),
        use_cpu=not torch.cuda.is_available(),
        ddp_find_unused_parameters=strategy != "full",
        remove_unused_columns=not plan.chunked,
        **precision_flags(config.mixed_precision, strategy),
    )
    return TrainingArguments(**{**arguments, **overrides})
