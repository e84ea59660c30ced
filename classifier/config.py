"""TrainConfig: every knob of a training run, with its default and its check.

One dataclass carries the values from the CLI flags, a JSON file or the web form to the engine. A run writes its
*resolved* config (every "auto" replaced by what was chosen) to `RUN/config.json`, so a run can be repeated
exactly with `python -m classifier train --config RUN/config.json`.

Names follow transformers' conventions where one exists (`learning_rate`, `per_device_train_batch_size` is
`batch_size` here, `max_length`, `warmup_ratio`, `lr_scheduler_type`, `gradient_accumulation_steps`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

STRATEGIES = ("auto", "full", "head", "last-n", "lora")
SCHEDULERS = ("linear", "cosine", "constant_with_warmup")
PRECISIONS = ("auto", "no", "bf16", "fp16")
CLASS_WEIGHTS = ("none", "balanced")
BEST_METRICS = ("macro_f1", "accuracy", "loss")
TRUNCATION = ("head", "head+tail", "chunk")
MULTI_LABEL = ("auto", "yes", "no")
CHUNK_POOLING = ("mean", "max")
POOLING = ("auto", "cls", "mean")
DATA_FILES = ("data", "validation_file", "test_file", "adapt_data")  # the settings that name a data file of the run


@dataclass
class TrainConfig:
    # --- data ---
    data: str = ""
    """Training file (CSV, TSV, JSONL/JSON, XLSX or `label<TAB>text`). Split into train/validation/test unless
    `validation_file` / `test_file` are given."""
    validation_file: str | None = None
    test_file: str | None = None
    text_column: str | None = None
    """Column holding the text; detected when empty."""
    label_column: str | None = None
    """Column holding the label; detected when empty."""
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    balance: bool = False
    """Downsample every class to the size of the smallest one (throws data away; fast, honest accuracy)."""
    class_weights: str = "none"
    """`balanced`: weight the loss by inverse class frequency (keeps all data; rare classes count more)."""
    max_train_samples: int | None = None
    """Use at most this many training rows (stratified); for quick trials."""
    multi_label: str = "auto"
    """`auto`: labels that look like lists (JSON lists, `a|b`, or one 0/1 column per label) make the task
    multi-label: sigmoid outputs, binary cross-entropy, a decision threshold per label. `yes` / `no` force it."""
    label_delimiter: str = "|"
    """Separator between the labels of one text in a multi-label string column (`体育|财经`)."""
    label_columns: list[str] | None = None
    """Multi-label data with one 0/1 column per label: the names of those columns (detected when empty)."""
    threshold: float | None = None
    """Multi-label decision threshold; `None` tunes one per label on the validation split (best F1)."""

    # --- model ---
    model: str = "auto"
    """Catalog name, hub id or local folder; `auto` picks a bundled model by the data's language."""
    strategy: str = "auto"
    """`full` fine-tune, `head` (frozen backbone, features computed once), `last-n` (last N blocks + head)."""
    last_n_layers: int = 2
    lora_r: int = 8
    """LoRA (`strategy="lora"`): rank of the low-rank update matrices (classifier/lora.py)."""
    lora_alpha: int = 16
    """LoRA scaling: the update is multiplied by lora_alpha / lora_r."""
    lora_dropout: float = 0.1
    lora_target_modules: str = "auto"
    """Comma-separated module names LoRA wraps; `auto`: the attention query/value projections, found by name."""
    lora_merge: bool = True
    """Merge LoRA into the weights when saving best/ and last/ (a plain classifier folder); False saves an
    adapter folder (a few MB) that Predictor loads with its base model."""
    pooling: str = "auto"
    """How a text's token states become one vector for the head. `mean`: their average (what sentence-embedding
    models such as the bundled all-MiniLM-L6-v2 and multilingual-e5-small were trained to produce; encoders only);
    `cls`: the model's own head ([CLS] for BERT-style encoders, the last token for decoders); `auto`: mean for the
    bundled encoders (but `cls` with the lora strategy, which was measured with BERT's pooler), the model's own head
    otherwise."""
    freeze_embeddings: str = "auto"
    """`auto` freezes the token embeddings of very large vocabularies (> 100k) in `full` mode: they hold most
    of the parameters, barely move in fine-tuning and make every optimizer step slow on a CPU."""
    max_length: int | None = None
    """Tokens per text; `None` covers 95% of the training texts (capped by the model's limit)."""
    truncation: str = "head"
    """`head` keeps the beginning of long texts; `head+tail` keeps the beginning and the end; `chunk` reads the
    whole text in overlapping windows of `max_length` tokens, classifies each and pools their logits."""
    chunk_stride: int | None = None
    """Tokens shared by neighbouring windows with `chunk` (default: a quarter of `max_length`)."""
    chunk_pooling: str = "mean"
    """How the windows' logits make one text's logits: `mean` or `max`."""
    max_chunks: int = 8
    """At most this many windows per text in training (prediction reads every window)."""

    # --- optimisation ---
    epochs: float = 3.0
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float | None = None
    """`None`: 1e-4 for full (a bundled backbone may set its own), 2e-4 for last-n, 2e-3 for head and for lora
    (measured: docs/results.md)."""
    head_learning_rate: float | None = None
    """The classification head's (and BERT pooler's) own learning rate; `None`: the same as `learning_rate`."""
    layerwise_lr_decay: float = 1.0
    """Layer-wise learning-rate decay D: the top block learns at `learning_rate`, each block below at D times the one
    above, the embeddings last (classifier/layer_lr.py). 1.0: every layer at the same rate."""
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    lr_scheduler_type: str = "linear"
    gradient_accumulation_steps: int = 1
    max_grad_norm: float = 1.0
    label_smoothing: float = 0.0
    mixed_precision: str = "auto"
    """`auto`: bf16 on a GPU that has it, else fp16 on a GPU, fp32 on a CPU."""
    gradient_checkpointing: bool = False
    evals_per_epoch: int = 2
    early_stopping_patience: int = 3
    """Stop after this many evaluations without improvement; 0 turns early stopping off."""
    metric_for_best_model: str = "macro_f1"
    save_checkpoints: bool = True
    """Keep one resumable checkpoint (weights, optimizer, schedule, random state) in RUN/checkpoints/, renewed at
    each evaluation and on Stop, so `python -m classifier resume` can continue an interrupted or stopped run; it is
    deleted when the run finishes. False saves disk and a few seconds per evaluation, but a run cannot resume."""
    checkpoint_every_seconds: float = 60.0
    """At most one checkpoint per this many seconds of training: an evaluation (or the end of training) that comes
    sooner after the last checkpoint writes none, so a kill loses at most about this much training. 0: one at every
    evaluation. A Stop always writes one."""
    logging_steps: int | None = None
    """`None`: about 50 points on the loss curve."""
    seed: int = 42

    # --- output ---
    output: str | None = None
    """Run folder; `None` makes `$CLASSIFIER_HOME/runs/<time>-<data>-<model>` (or `./runs/...`)."""
    name: str | None = None
    baseline: bool = True
    """Also train a TF-IDF + logistic-regression model on the same split and report it beside the fine-tuned one."""
    ensemble: bool = True
    """Let the validation split choose what the run answers with: the fine-tuned model, the TF-IDF model, or a mix
    of their probabilities (classifier/ensemble.py). False: always the fine-tuned model alone. Needs `baseline`."""

    adapt_first: bool = False
    """Before fine-tuning, continue the model's pre-training on unlabelled texts (`adapt_data`, else the training
    file's own texts) by masked language modelling, one epoch (classifier/adapt.py); the run trains on
    RUN/adapted/."""
    adapt_data: str | None = None
    """File of unlabelled texts for `adapt_first` (one per line, or a table with a text column)."""
    report_to: str = "none"
    """Experiment tracking: `none`, or any of tensorboard, trackio, wandb, mlflow (comma-separated); local and
    offline by default (classifier/tracking.py)."""

    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form notes kept with the run (e.g. which sample the web app loaded)."""

    # ------------------------------------------------------------------
    def validate(self) -> TrainConfig:
        """Raise ConfigError naming the setting and the allowed values; return self for chaining."""

        def choice(name: str, allowed: tuple[str, ...]) -> None:
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"Setting '{name}' is {value!r}; it must be one of: {', '.join(allowed)}.")

        def positive(name: str, allow_zero: bool = False) -> None:
            value = getattr(self, name)
            if value is None:
                return
            if value < 0 or (value == 0 and not allow_zero):
                raise ConfigError(f"Setting '{name}' is {value!r}; it must be "
                                  f"{'0 or more' if allow_zero else 'greater than 0'}.")

        if not self.data:
            raise ConfigError("No training data given: pass a file with --data (CSV, TSV, JSONL, XLSX or TXT).")
        choice("strategy", STRATEGIES)
        choice("lr_scheduler_type", SCHEDULERS)
        choice("mixed_precision", PRECISIONS)
        choice("class_weights", CLASS_WEIGHTS)
        choice("metric_for_best_model", BEST_METRICS)
        choice("truncation", TRUNCATION)
        choice("multi_label", MULTI_LABEL)
        choice("chunk_pooling", CHUNK_POOLING)
        choice("pooling", POOLING)
        if self.threshold is not None and not 0 < self.threshold < 1:
            raise ConfigError(f"Setting 'threshold' is {self.threshold}; it must be between 0 and 1.")
        if self.max_chunks < 1:
            raise ConfigError(f"Setting 'max_chunks' is {self.max_chunks}; it must be 1 or more.")
        if self.chunk_stride is not None and self.max_length and not 0 <= self.chunk_stride < self.max_length // 2:
            raise ConfigError(f"Setting 'chunk_stride' is {self.chunk_stride}; it must be at least 0 and less than "
                              f"half of max_length ({self.max_length}).")
        if isinstance(self.label_columns, str):
            self.label_columns = [c.strip() for c in self.label_columns.split(",") if c.strip()]
        if self.balance and self.multi_label == "yes":
            raise ConfigError("Balancing is for single-label data; with multi-label data use class weights "
                              "(balanced), which weigh each label's positive examples by how rare they are.")
        choice("freeze_embeddings", ("auto", "yes", "no"))
        self._validate_lora()
        for name in ("epochs", "batch_size", "eval_batch_size", "gradient_accumulation_steps", "evals_per_epoch",
                     "learning_rate", "max_grad_norm", "last_n_layers", "logging_steps", "max_train_samples"):
            positive(name)
        for name in ("weight_decay", "early_stopping_patience", "checkpoint_every_seconds"):
            positive(name, allow_zero=True)
        if self.max_length is not None and not 8 <= self.max_length <= 8192:
            raise ConfigError(f"Setting 'max_length' is {self.max_length}; use a value between 8 and 8192 tokens.")
        positive("head_learning_rate")
        from .tracking import parse as parse_trackers

        self.report_to = ",".join(parse_trackers(self.report_to)) or "none"
        if not 0 < self.layerwise_lr_decay <= 1:
            raise ConfigError(f"Setting 'layerwise_lr_decay' is {self.layerwise_lr_decay}; it must be above 0 and at "
                              "most 1 (1 = no decay; 0.8 is common).")
        if not 0 <= self.warmup_ratio < 1:
            raise ConfigError(f"Setting 'warmup_ratio' is {self.warmup_ratio}; it must be in [0, 1).")
        if not 0 <= self.label_smoothing < 1:
            raise ConfigError(f"Setting 'label_smoothing' is {self.label_smoothing}; it must be in [0, 1).")
        for name in ("validation_fraction", "test_fraction"):
            value = getattr(self, name)
            if not 0 <= value < 0.9:
                raise ConfigError(f"Setting '{name}' is {value}; it must be in [0, 0.9).")
        held_out = (0 if self.validation_file else self.validation_fraction) + (
            0 if self.test_file else self.test_fraction
        )
        if held_out >= 0.9:
            raise ConfigError(
                f"Validation and test fractions add up to {held_out:.2f}, leaving almost nothing to train on; "
                "keep their sum below 0.9 (0.15 + 0.15 is the default)."
            )
        if self.balance and self.class_weights != "none":
            raise ConfigError(
                "Choose either balancing (downsample classes) or class weights, not both: after balancing every "
                "class has the same size, so the weights would all be 1."
            )
        return self

    # ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        if path is not None:
            from .runs import atomic_write_text

            atomic_write_text(Path(path), text + "\n")
        return text

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"Unknown setting(s) {', '.join(unknown)} in the config; "
                f"known settings are: {', '.join(sorted(known))}."
            )
        return cls(**values)

    @classmethod
    def from_json(cls, path: str | Path) -> TrainConfig:
        path = Path(path)
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Config file {path} does not exist.") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"Config file {path} is not valid JSON (line {exc.lineno}: {exc.msg}).") from None
        if not isinstance(values, dict):
            raise ConfigError(f"Config file {path} must hold one JSON object of settings.")
        return cls.from_dict(values)

    def _validate_lora(self) -> None:
        for name in ("lora_r", "lora_alpha"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"Setting '{name}' is {value!r}; it must be a whole number of 1 or more.")
        if not 0 <= self.lora_dropout < 1:
            raise ConfigError(f"Setting 'lora_dropout' is {self.lora_dropout}; it must be in [0, 1).")
        if not str(self.lora_target_modules).strip():
            raise ConfigError("Setting 'lora_target_modules' is empty; use 'auto' or module names such as "
                              "'q_proj,v_proj'.")

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


def default_learning_rate(strategy: str, model_name: str | None = None) -> float:
    # Measured on the SMS and THUCNews samples (docs/defaults.md): small encoders like a higher rate than the
    # 2e-5 used for bert-base; a lone linear head on frozen features needs a much higher one.
    # LoRA: 2e-3; on 1,000 SMS texts x 1 epoch, 5e-4 stayed at the majority class and 1e-3 reached 0.94 where 2e-3
    # reached 0.98 (docs/results.md, "Decoders and LoRA").
    from .backbones import BUNDLED

    backbone = BUNDLED.get(model_name or "")
    if strategy == "full" and backbone is not None and backbone.full_learning_rate:
        return backbone.full_learning_rate  # per backbone where measured (multilingual-e5-small: 5e-5)
    return {"full": 1e-4, "last-n": 2e-4, "head": 2e-3, "lora": 2e-3}[strategy]
