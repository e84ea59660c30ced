"""TrainConfig: every knob of a training run, with its default and its check.

One dataclass carries the values from the CLI flags, a JSON file or the web form to the engine. A run writes its
*resolved* config (every "auto" replaced by what was chosen) to `RUN/config.json`, so a run can be repeated
exactly with `python -m classifier train --config RUN/config.json`.

Names follow transformers' conventions where one exists (`learning_rate`, `per_device_train_batch_size` is
`batch_size` here, `max_length`, `warmup_ratio`, `lr_scheduler_type`, `gradient_accumulation_steps`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .messages import say

STRATEGIES = ("auto", "full", "head", "last-n", "lora")
SCHEDULERS = ("linear", "cosine", "constant_with_warmup")
PRECISIONS = ("auto", "no", "bf16", "fp16")
CLASS_WEIGHTS = ("none", "balanced")
BEST_METRICS = ("loss", "macro_f1", "accuracy")
TRUNCATION = ("auto", "head", "head+tail", "chunk")
MULTI_LABEL = ("auto", "yes", "no")
CHUNK_POOLING = ("mean", "max")
POOLING = ("auto", "cls", "mean")
FREEZE_EMBEDDINGS = ("auto", "yes", "no")
DATA_FILES = ("data", "validation_file", "test_file", "adapt_data")  # the settings that name a data file of the run


def setting(default: Any = dataclasses.MISSING, *, help: str, choices: tuple[str, ...] | None = None,
            flag: str | None = None, low: float | None = None, high: float | None = None, open_low: bool = False,
            open_high: bool = False, cli: bool = True, default_factory: Any = dataclasses.MISSING) -> Any:
    """Declare a setting once: its default, CLI help, allowed values and range. The CLI (`cli.py`), the checks
    (`TrainConfig.validate`) and the web form's type handling (`field_kind`) are all derived from this.

    `low`/`high` bound numbers (inclusive unless `open_low`/`open_high`); `flag` overrides the CLI flag made from
    the name (`--warmup-ratio`); booleans become `--name` (default False) or `--no-name` (default True)."""
    metadata = {"help": help, "choices": choices, "flag": flag, "low": low, "high": high, "open_low": open_low,
                "open_high": open_high, "cli": cli}
    if default_factory is not dataclasses.MISSING:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class TrainConfig:
    # --- data ---
    data: str = setting("", help="labelled file: CSV, TSV, JSONL/JSON, XLSX, Parquet, a save_to_disk folder, "
                        "label<TAB>text, or hub:NAME[:CONFIG][:SPLIT]")
    """Training file (CSV, TSV, JSONL/JSON, XLSX or `label<TAB>text`). Split into train/validation/test unless
    `validation_file` / `test_file` are given."""
    validation_file: str | None = setting(None, flag="--validation", help="separate validation file")
    test_file: str | None = setting(None, flag="--test", help="separate test file")
    text_column: str | None = setting(None, help="column with the text (detected when omitted)")
    label_column: str | None = setting(None, help="column with the label (detected when omitted)")
    validation_fraction: float = setting(0.15, low=0, high=0.9, open_high=True,
                                         help="share of the data held out for validation (default 0.15)")
    test_fraction: float = setting(0.15, low=0, high=0.9, open_high=True,
                                   help="share of the data held out for the test (default 0.15)")
    balance: bool = setting(False, help="downsample every class to the smallest one (throws data away)")
    """Downsample every class to the size of the smallest one (throws data away; fast, honest accuracy)."""
    class_weights: str = setting("none", choices=CLASS_WEIGHTS,
                                 help="balanced: rare classes weigh more in the loss (keeps all data)")
    max_train_samples: int | None = setting(None, low=1, help="use at most this many training rows (stratified)")
    multi_label: str = setting("auto", choices=MULTI_LABEL, help="a text may carry several labels (JSON lists, "
                               "'a|b', 0/1 columns); auto detects it")
    """`auto`: labels that look like lists (JSON lists, `a|b`, or one 0/1 column per label) make the task
    multi-label: sigmoid outputs, binary cross-entropy, a decision threshold per label. `yes` / `no` force it."""
    label_delimiter: str = setting("|", help="separator of several labels in one cell (default |)")
    label_columns: list[str] | None = setting(None, help="multi-label: comma-separated 0/1 columns, one per label")
    """Multi-label data with one 0/1 column per label: the names of those columns (detected when empty)."""
    threshold: float | None = setting(None, low=0, high=1, open_low=True, open_high=True,
                                      help="multi-label decision threshold for every label (default: tuned per "
                                      "label on validation)")

    # --- model ---
    model: str = setting("auto", help="bundled name (all-MiniLM-L6-v2, multilingual-e5-small, SmolLM2-135M), hub "
                         "id or local folder; default: chosen by the data's language")
    strategy: str = setting("auto", choices=STRATEGIES, help="full fine-tune, head (frozen backbone), last-n "
                            "(last N blocks + head), lora")
    last_n_layers: int = setting(2, low=1, high=1000, help="blocks trained with --strategy last-n (default 2)")
    lora_r: int = setting(8, low=1, high=1024, help="LoRA rank (default 8)")
    lora_alpha: int = setting(16, low=1, high=100_000, help="LoRA scaling alpha (default 16)")
    lora_dropout: float = setting(0.1, low=0, high=1, open_high=True, help="LoRA dropout (default 0.1)")
    lora_target_modules: str = setting("auto", help="comma-separated module names LoRA wraps (default: auto, the "
                                       "attention query/value projections)")
    lora_merge: bool = setting(True, help="save best/ and last/ as LoRA adapters (+ head) instead of merged plain "
                               "models")
    """Merge LoRA into the weights when saving best/ and last/ (a plain classifier folder); False saves an
    adapter folder (a few MB) that Predictor loads with its base model."""
    pooling: str = setting("auto", choices=POOLING, help="token states -> text vector: mean (sentence-embedding "
                           "encoders), cls (the model's own head), auto (mean for the bundled encoders)")
    """How a text's token states become one vector for the head. `mean`: their average (what sentence-embedding
    models such as the bundled all-MiniLM-L6-v2 and multilingual-e5-small were trained to produce; encoders only);
    `cls`: the model's own head ([CLS] for BERT-style encoders, the last token for decoders); `auto`: mean for the
    bundled encoders (but `cls` with the lora strategy, which was measured with BERT's pooler), the model's own head
    otherwise."""
    freeze_embeddings: str = setting("auto", choices=FREEZE_EMBEDDINGS, help="freeze the token embeddings in full "
                                     "fine-tuning (auto: when the vocabulary is over 100k)")
    """`auto` freezes the token embeddings of very large vocabularies (> 100k) in `full` mode: they hold most
    of the parameters, barely move in fine-tuning and make every optimizer step slow on a CPU."""
    max_length: int | None = setting(None, low=8, high=8192, help="tokens per text (default: covers 95% of the "
                                     "training texts, capped by the model's limit)")
    truncation: str = setting("auto", choices=TRUNCATION, help="long texts: keep the head, head+tail, or read "
                              "every window (chunk) and pool; auto: head+tail where max-length is the model's "
                              "limit (texts longer than the model reads), else head")
    chunk_stride: int | None = setting(None, low=0, help="tokens shared by neighbouring windows with chunk "
                                       "(default: a quarter of max-length)")
    chunk_pooling: str = setting("mean", choices=CHUNK_POOLING, help="how windows' logits are pooled (chunk)")
    max_chunks: int = setting(8, low=1, high=1000, help="at most this many windows per text in training (chunk)")

    # --- optimisation ---
    epochs: float | None = setting(None, low=0, high=1000, open_low=True, help="passes over the training data "
                                   "(default 3; fractions allowed; multilingual-e5-small on a small file: up to 6)")
    """`None`: 3, or for a backbone with `min_full_steps` trained in full (multilingual-e5-small: 600) enough epochs
    for that many optimizer steps, at most 6 (`default_epochs`; measured: docs/results.md)."""
    batch_size: int = setting(16, low=1, high=4096, help="texts per training step (default 16)")
    eval_batch_size: int = setting(64, low=1, high=4096, help="texts per batch in evaluation (default 64)")
    learning_rate: float | None = setting(None, low=0, high=1, open_low=True, help="peak learning rate (default: "
                                          "1e-4 full, 2e-4 last-n, 2e-3 head and lora)")
    """`None`: 1e-4 for full (a bundled backbone may set its own), 2e-4 for last-n, 2e-3 for head and for lora
    (measured: docs/results.md)."""
    head_learning_rate: float | None = setting(None, low=0, high=1, open_low=True, help="the classification "
                                               "head's own learning rate (default: --learning-rate)")
    layerwise_lr_decay: float | None = setting(None, low=0, high=1, open_low=True, help="each block below the top "
                                               "learns D times the rate of the one above (default: 0.8 for full "
                                               "fine-tuning, off otherwise; 1 = off)")
    """Layer-wise learning-rate decay D: the top block learns at `learning_rate`, each block below at D times the one
    above, the embeddings last (classifier/layer_lr.py). 1.0: every layer at the same rate. `None`: 0.8 for the
    `full` strategy (measured on the quality benchmark: docs/results.md), 1.0 for the others."""
    weight_decay: float = setting(0.01, low=0, high=10, help="AdamW weight decay (default 0.01)")
    warmup_ratio: float = setting(0.06, low=0, high=1, open_high=True, help="share of the steps spent warming the "
                                  "learning rate up (default 0.06)")
    lr_scheduler_type: str = setting("linear", choices=SCHEDULERS, help="learning-rate schedule after warm-up")
    gradient_accumulation_steps: int = setting(1, low=1, high=1024, help="steps whose gradients add up before one "
                                               "optimizer update (default 1)")
    max_grad_norm: float = setting(1.0, low=0, high=1e6, open_low=True, help="clip gradients to this norm "
                                   "(default 1)")
    label_smoothing: float = setting(0.0, low=0, high=1, open_high=True, help="label smoothing of the loss "
                                     "(default 0)")
    token_dropout: float = setting(0.0, low=0, high=0.5, help="augmentation: in training, hide this share of each "
                                   "text's tokens at random, anew in every step (default 0)")
    """Word dropout as augmentation (full, last-n and lora strategies; not with cached head features): at every
    training step each token of each text except the first and the last is hidden from the model (its attention
    mask set to 0) with this probability, so the model sees a different part of each text every epoch. Validation,
    test and prediction read whole texts. 0: off (measured: docs/results.md)."""
    backbone_dropout: float | None = setting(None, low=0, high=0.9, help="dropout inside the pretrained model "
                                             "while it trains, hidden and attention layers (default: the model's "
                                             "own, 0.1 for BERT-style encoders)")
    """The rate of the backbone's own dropout layers (after the embeddings, in attention, after each block) while it
    trains; the head's dropout is not changed. `None`: the model's own. 0 was measured on the quality benchmark for
    multilingual-e5-small (docs/results.md, stop 26): the model alone gained 0.1-1.35 points on short Chinese titles
    and lost 2-2.8 on the Chinese reviews, all-MiniLM-L6-v2 lost 1.2 on SMS at one seed of two, so no default
    changes it. Prediction never uses dropout."""
    mixed_precision: str = setting("auto", choices=PRECISIONS, help="auto: bf16 on a GPU that has it, else fp16 on "
                                   "a GPU; bf16 on a CPU with bf16 instructions (AVX512-BF16/AMX), else fp32")
    gradient_checkpointing: bool = setting(False, help="recompute activations in the backward pass (less memory, "
                                           "slower)")
    evals_per_epoch: int = setting(2, low=1, high=1000, help="validation passes per epoch (default 2)")
    early_stopping_patience: int = setting(3, low=0, high=1000, help="evaluations without improvement before "
                                           "stopping; 0 = off (default 3)")
    metric_for_best_model: str = setting("loss", choices=BEST_METRICS, help="what makes a checkpoint the best "
                                         "one on validation, and what early stopping watches (default loss)")
    """`loss`: the lowest validation loss. A proper score moves with every validation text's probability, where
    macro-F1 on a few hundred texts moves only when a label flips; on the quality benchmark it chose checkpoints
    at least as good for the model alone on every run measured (docs/results.md, stop 23). With label smoothing or
    class weights the validation loss is the training loss with them, not the plain log-loss."""
    save_checkpoints: bool = setting(True, flag="--no-checkpoints", help="keep no resumable checkpoint in "
                                     "RUN/checkpoints/ (saves disk; `resume` then starts over)")
    """Keep one resumable checkpoint (weights, optimizer, schedule, random state) in RUN/checkpoints/, renewed at
    each evaluation and on Stop, so `python -m classifier resume` can continue an interrupted or stopped run; it is
    deleted when the run finishes. False saves disk and a few seconds per evaluation, but a run cannot resume."""
    export: str = setting("none", choices=("none", "onnx"), help="after training, also export the model for ONNX "
                          "Runtime into RUN/onnx/ (faster prediction on a CPU; python -m classifier export)")
    checkpoint_every_seconds: float = setting(60.0, low=0, high=7 * 86400, help="at most one checkpoint per this "
                                              "many seconds of training (default 60; 0 = at every evaluation)")
    """At most one checkpoint per this many seconds of training: an evaluation (or the end of training) that comes
    sooner after the last checkpoint writes none, so a kill loses at most about this much training. 0: one at every
    evaluation. A Stop always writes one."""
    logging_steps: int | None = setting(None, low=1, high=1_000_000, help="steps between points of the loss curve "
                                        "(default: about 50 points)")
    seed: int = setting(42, low=0, high=2**32 - 1, help="random seed of the split, the head and the data order")

    # --- output ---
    output: str | None = setting(None, help="run folder (default: $CLASSIFIER_HOME/runs/<time>-<name>)")
    name: str | None = setting(None, help="a short name for the run; its folder is <time>-<name> in the runs "
                               "folder (default: <data>-<model>)")
    baseline: bool = setting(True, help="skip the TF-IDF baseline (and so the ensemble)")
    """Also train a TF-IDF + logistic-regression model on the same split and report it beside the fine-tuned one."""
    ensemble: bool = setting(True, help="always answer with the fine-tuned model alone, even where validation "
                             "prefers its mix with the TF-IDF model")
    """Let the validation split choose what the run answers with: the fine-tuned model, the TF-IDF model, or a mix
    of their probabilities (classifier/ensemble.py). False: always the fine-tuned model alone. Needs `baseline`."""

    refit: bool = setting(False, help="after validation has chosen, train once more on the training and validation "
                          "texts together, for the epochs it chose, and answer with that model")
    """A second pass from the pretrained weights on train + validation, stopped at the best checkpoint's epoch, with
    the choices validation made for the first model (mix weight, thresholds) kept (classifier/training/refit.py).
    Costs a second training; the test split stays unseen."""

    adapt_first: bool = setting(False, help="continue pre-training on unlabelled texts first (MLM, one epoch; see "
                                "`adapt`)")
    """Before fine-tuning, continue the model's pre-training on unlabelled texts (`adapt_data`, else the training
    file's own texts) by masked language modelling, one epoch (classifier/adapt.py); the run trains on
    RUN/adapted/."""
    adapt_data: str | None = setting(None, help="unlabelled texts for --adapt-first (default: the training file's "
                                     "texts)")
    report_to: str = setting("none", help="track the run with none (default) or tensorboard, trackio, wandb, mlflow "
                             "(comma-separated; local/offline stores, see README)")

    extra: dict[str, Any] = setting(default_factory=dict, cli=False, help="free-form notes kept with the run")
    """Free-form notes kept with the run (e.g. which sample the web app loaded); set by the web app and the Python
    API, not a flag."""

    # ------------------------------------------------------------------
    def validate(self) -> TrainConfig:
        """Raise ConfigError naming the setting and what it must be; return self for chaining. Types, choices and
        ranges come from the declarations above (`setting`); what involves several settings is checked here."""
        for f in dataclasses.fields(self):
            check_value(f.name, getattr(self, f.name))
        if not self.data.strip():
            raise ConfigError(say("config_no_data"))
        if self.chunk_stride is not None and self.max_length and not self.chunk_stride < self.max_length // 2:
            raise ConfigError(say("config_chunk_stride", stride=self.chunk_stride, max_length=self.max_length))
        if self.balance and self.multi_label == "yes":
            raise ConfigError(say("config_balance_multi"))
        if not str(self.lora_target_modules).strip():
            raise ConfigError(say("config_lora_modules_empty"))
        if not self.label_delimiter:
            raise ConfigError(say("config_delimiter_empty"))
        if self.name is not None and not _SAFE_NAME.fullmatch(self.name):
            raise ConfigError(say("config_bad_name", name=self.name))
        from .tracking import parse as parse_trackers

        self.report_to = ",".join(parse_trackers(self.report_to)) or "none"
        held_out = (0 if self.validation_file else self.validation_fraction) + (
            0 if self.test_file else self.test_fraction
        )
        if held_out >= 0.9:
            raise ConfigError(say("config_fractions", total=held_out))
        if self.balance and self.class_weights != "none":
            raise ConfigError(say("config_balance_and_weights"))
        if self.token_dropout and self.strategy == "head":  # "auto" never becomes head, so this is the one check
            raise ConfigError(say("config_head_token_dropout"))
        if self.backbone_dropout is not None and self.strategy == "head":
            raise ConfigError(say("config_head_backbone_dropout"))
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
        """Settings from JSON: unknown keys are refused; a whole-number float (`64.0`) becomes an int and a
        comma-separated string a list where the setting is one; anything else of the wrong type is left for
        `validate` to refuse with the setting's name."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(say("config_unknown_settings", unknown=", ".join(unknown),
                                  known=", ".join(sorted(known))))
        return cls(**{name: _from_json_value(name, value) for name, value in values.items()})

    @classmethod
    def from_json(cls, path: str | Path) -> TrainConfig:
        path = Path(path)
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(say("config_file_missing", path=str(path))) from None
        except UnicodeDecodeError:
            raise ConfigError(say("config_file_not_utf8", path=str(path))) from None
        except json.JSONDecodeError as exc:
            raise ConfigError(say("config_file_bad_json", path=str(path), line=exc.lineno, reason=exc.msg)) from None
        except (OSError, ValueError) as exc:
            raise ConfigError(say("config_file_unreadable", path=str(path), reason=str(exc))) from None
        if not isinstance(values, dict):
            raise ConfigError(say("config_file_not_object", path=str(path)))
        return cls.from_dict(values)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


# ----------------------------------------------------------------------------------------------------------------
# What the declarations say: types, choices and ranges of each setting (used by validate, the CLI and the web form)
# ----------------------------------------------------------------------------------------------------------------
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")


@functools.cache
def _hints() -> dict[str, Any]:
    return typing.get_type_hints(TrainConfig)


def field_kind(name: str) -> tuple[type, bool]:
    """The base type of a setting (str, int, float, bool, list or dict) and whether it may be None ("auto")."""
    hint = _hints()[name]
    args = typing.get_args(hint)
    optional = type(None) in args
    if optional:
        hint = next(a for a in args if a is not type(None))
    base = typing.get_origin(hint) or hint
    return base, optional


def settings() -> list[dataclasses.Field]:
    """Every setting with its declaration (`field.metadata`: help, choices, flag, low/high, cli)."""
    return list(dataclasses.fields(TrainConfig))


def _what(base: type) -> str:
    return say(f"what_{base.__name__}")  # what_str, what_int, what_float, what_bool, what_list, what_dict


def check_value(name: str, value: Any) -> None:
    """Raise ConfigError unless `value` has the declared type, is one of the declared choices and lies in the
    declared range of setting `name`."""
    base, optional = field_kind(name)
    meta = TrainConfig.__dataclass_fields__[name].metadata
    if value is None:
        if optional:
            return
        raise ConfigError(say("config_missing_value", name=name, what=_what(base)))
    if base is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif base is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, base)
    if ok and base is list:
        ok = all(isinstance(item, str) for item in value)
    if not ok:
        raise ConfigError(say("config_wrong_type", name=name, value=value, type=type(value).__name__,
                              what=_what(base)))
    if base is float and not math.isfinite(value):
        raise ConfigError(say("config_not_finite", name=name, value=value))
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ConfigError(say("config_not_a_choice", name=name, value=value, choices=", ".join(choices)))
    low, high = meta.get("low"), meta.get("high")
    if base in (int, float) and (low is not None or high is not None):
        too_low = low is not None and (value <= low if meta.get("open_low") else value < low)
        too_high = high is not None and (value >= high if meta.get("open_high") else value > high)
        if too_low or too_high:
            raise ConfigError(say("config_out_of_range", name=name, value=value, range=describe_range(name)))


def describe_range(name: str) -> str:
    meta = TrainConfig.__dataclass_fields__[name].metadata
    low, high = meta.get("low"), meta.get("high")
    parts = []
    if low is not None:
        parts.append(say("range_above" if meta.get("open_low") else "range_at_least", n=_number(low)))
    if high is not None:
        parts.append(say("range_below" if meta.get("open_high") else "range_at_most", n=_number(high)))
    if len(parts) == 2:
        return say("range_both", low=parts[0], high=parts[1])
    return parts[0] if parts else ""


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _from_json_value(name: str, value: Any) -> Any:
    base, _ = field_kind(name)
    if base is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if base is list and isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


DEFAULT_EPOCHS = 3.0


def default_epochs(strategy: str, model_name: str | None, steps_per_epoch: int) -> float:
    """3 epochs; a backbone that learns slowly in full fine-tuning (`Backbone.min_full_steps`) gets enough epochs on
    a small file for that many optimizer steps, at most twice as many (early stopping still ends a run that stops
    improving on validation)."""
    from .backbones import BUNDLED

    backbone = BUNDLED.get(model_name or "")
    if strategy != "full" or backbone is None or not backbone.min_full_steps:
        return DEFAULT_EPOCHS
    needed = math.ceil(backbone.min_full_steps / max(steps_per_epoch, 1))
    return float(min(2 * DEFAULT_EPOCHS, max(DEFAULT_EPOCHS, needed)))


def default_layerwise_lr_decay(strategy: str) -> float:
    """0.8 for full fine-tuning: on the quality benchmark the fine-tuned model gained on every data set measured
    (docs/results.md, "Default changes"); the other strategies train too few layers for it to matter."""
    return 0.8 if strategy == "full" else 1.0


def default_truncation(truncation: str, max_length: int, model_limit: int) -> str:
    """`auto`: `head+tail` where the length is the model's limit, so the texts cut are longer than the model can read
    (on BBC news, 35% of the articles over 512 tokens: +0.3 and +0.6 test macro-F1 over `head` at two seeds,
    docs/results.md stop 18); `head` where the length is the 95th percentile of short texts (SMS: the model alone
    −0.5, the answer +0.3, one seed: no reason to change). Any other value is kept as given."""
    if truncation != "auto":
        return truncation
    return "head+tail" if max_length >= model_limit else "head"


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
