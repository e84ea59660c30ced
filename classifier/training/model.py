"""The run's model: chosen, adapted to the domain first if asked, loaded with its tokenizer, given its training
strategy (which parameters train), and saved as best/ and last/ (plain save_pretrained folders beside
classifier.json, run_folder.ModelMeta: how to feed the model)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ..backbones import BUNDLED, resolve_model
from ..config import TrainConfig
from ..data import PreparedData, summarize
from ..events import EventWriter
from ..messages import say
from ..modeling import HeadOnlyModel, LoadedModel, apply_strategy, load_model, load_tokenizer, set_backbone_dropout
from ..run_folder import ModelMeta, RunFolder
from ..runs import atomic_save_dir
from ..task import Task
from .plan import ResolvedRun, choose_model, choose_pooling


@dataclass
class RunModel:
    name: str  # as the user or the automatic choice named it (a bundled name, a hub id, a folder)
    display: str  # for messages
    path: Path | str  # where it loads from (RUN/adapted after domain adaptation)
    tokenizer: Any
    pooling: str
    loaded: LoadedModel
    summary: dict[str, Any]  # classifier.data.summarize of the training texts with this tokenizer


def adapt_first(config: TrainConfig, model_name: str, run_dir: Path, events: EventWriter, progress: bool) -> Path:
    """Domain-adaptive pre-training as the first part of the run (classifier/adapt.py); returns RUN/adapted, kept
    from an earlier attempt of this run (resume) when it is complete."""
    from ..adapt import MARKER, AdaptConfig, adapt

    target = RunFolder(run_dir).adapted
    if (target / MARKER).is_file():
        events.log(say("log_adapted_before"))
        return target
    adapt(AdaptConfig(data=config.adapt_data or config.data, model=model_name, output=str(target),
                      seed=config.seed), progress=progress, run_events=events)
    return target


def load_run_model(config: TrainConfig, data: PreparedData, run_dir: Path, events: EventWriter,
                   progress: bool) -> RunModel:
    """Choose the model for the data, adapt it first if asked, load it for the labels; summarize the texts' lengths
    in its tokens (max_length is chosen from them)."""
    model_name = choose_model(config, data)
    path, display = resolve_model(model_name)
    if config.adapt_first:
        path = adapt_first(config, model_name, run_dir, events, progress)
    events.log(say("log_model_bundled" if model_name in BUNDLED else "log_model", model=display))
    tokenizer = load_tokenizer(path)
    pooling = choose_pooling(config, model_name, path)
    loaded = load_model(path, data.labels.id2label, tokenizer, multi_label=data.multi_label, pooling=pooling)
    summary = summarize(data.train["text"].tolist(), [data.label_names_of(v) for v in data.train["label"]],
                        tokenizer, loaded.model_limit)
    return RunModel(name=model_name, display=display, path=path, tokenizer=tokenizer, pooling=pooling,
                    loaded=loaded, summary=summary)


def apply_plan(loaded: LoadedModel, plan: ResolvedRun) -> dict[str, int]:
    """Freeze what the strategy does not train (LoRA: wrap the model in a peft model); returns the parameter counts."""
    config = plan.config
    dropout_layers = 0
    if config.backbone_dropout is not None:  # before peft wraps the model: its LoRA dropout stays lora_dropout
        dropout_layers = set_backbone_dropout(loaded.model, config.backbone_dropout)
    if plan.strategy == "lora":  # classifier/lora.py wraps loaded.model in a peft model
        from ..lora import apply_lora

        counts = apply_lora(loaded, config.lora_r, config.lora_alpha, config.lora_dropout, config.lora_target_modules)
    else:
        counts = apply_strategy(loaded, plan.strategy, config.last_n_layers, plan.freeze_embeddings)
    return {**counts, "dropout_layers": dropout_layers}


class ModelSaver:
    """Writes RUN/best and RUN/last, each atomically (whole or absent): model, tokenizer and classifier.json.

    With the head strategy the Trainer trains `head_only` (the head on cached features); its normalisation is
    folded into the head while the model is saved."""

    def __init__(self, run_dir: Path, model: RunModel, plan: ResolvedRun, labels: list[str],
                 task: Task) -> None:
        self.run_dir = run_dir
        self.model = model
        self.plan = plan
        self.labels = labels
        self.task = task
        self.head_only: HeadOnlyModel | None = None

    def meta(self, step: int | None, best_value: float | None) -> ModelMeta:
        plan, config = self.plan, self.plan.config
        return ModelMeta(
            max_length=plan.max_length, truncation=config.truncation, base_model=plan.model_name,
            strategy=plan.strategy, pooling=plan.pooling, labels=self.labels, multi_label=self.task.multi_label,
            thresholds=self.task.initial_thresholds(config.threshold, len(self.labels)),
            chunk_stride=config.chunk_stride, chunk_pooling=config.chunk_pooling,
            step=step, metric_for_best_model=config.metric_for_best_model, best_value=best_value,
        )

    def save(self, name: str, step: int | None = None, best_value: float | None = None,
             meta: ModelMeta | None = None, also: Callable[[Path], None] | None = None,
             keep_old_as: Path | None = None) -> None:
        """RUN/<name> (best or last) as the model is now, with `meta` (default: a new classifier.json for `step`)
        and whatever `also(folder)` adds, all in one atomic replacement (the folder it replaces kept as
        `keep_old_as` when given)."""
        atomic_save_dir(self.run_dir / name, partial(self._write, meta=meta or self.meta(step, best_value),
                                                     also=also), keep_old_as=keep_old_as)

    def _write(self, tmp: Path, meta: ModelMeta, also: Callable[[Path], None] | None = None) -> None:
        model = self.model.loaded.model
        with self.head_only.folded() if self.head_only is not None else contextlib.nullcontext():
            if self.plan.strategy == "lora":
                from ..lora import save_lora

                save_lora(model, tmp, merge=self.plan.config.lora_merge)
            else:
                model.save_pretrained(tmp, safe_serialization=True)
        self.model.tokenizer.save_pretrained(tmp)
        meta.write(tmp)
        if also is not None:
            also(tmp)
