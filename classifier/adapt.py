"""Domain-adaptive pre-training: continue a model's pre-training on unlabelled texts of the user's domain before
fine-tuning it on the labelled ones (Gururangan et al., "Don't Stop Pretraining", 2020).

    python -m classifier adapt --data unlabelled.txt --model all-MiniLM-L6-v2 --output ADAPTED
    python -m classifier train --data labelled.csv --model ADAPTED

Encoders learn by masked language modelling (15% of the tokens masked, BERT's 80/10/10 rule). Masking is by
token, not by whole word: Chinese has no spaces to find words by (whole-word masking there needs a word
segmenter), and the bundled multilingual tokenizer's Chinese pieces are mostly words or phrases already. The
bundled encoders are sentence-embedding checkpoints without an MLM head: the head is built as BERT's is, its
output projection tied to the input word embeddings and a fresh transform layer (dense + LayerNorm) before it;
only the encoder is kept for fine-tuning. Decoders (SmolLM2, GPT-2) learn by
predicting the next token with their own language-model head.

`--data` may be any text file the engine reads (one text per line, or a table whose text column is detected;
labels are ignored, so the labelled training file itself works). The output folder is a regular
`save_pretrained` model + tokenizer that `train --model` accepts; `adapted.json` records the base model so that
`pooling=auto` keeps the base model's pooling. Progress goes to `ADAPTED/events.jsonl` like a training run's.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from .messages import say

MARKER = "adapted.json"


@dataclass
class AdaptConfig:
    data: str
    model: str = "auto"
    output: str = ""
    epochs: float = 1.0
    max_length: int = 128
    mlm_probability: float = 0.15
    batch_size: int = 16
    learning_rate: float = 5e-5
    max_texts: int | None = None
    seed: int = 42


def adapt(config: AdaptConfig, progress: bool = True, run_events=None) -> dict:
    """Run the adaptation; returns a summary (losses before and after, texts, steps, seconds). `run_events`: a
    training run's EventWriter (adapting as the first part of a run): the MLM loss goes there as `adapt` events and
    log lines instead of into the output folder's own events.jsonl."""
    import torch
    from datasets import Dataset
    from transformers import DataCollatorForLanguageModeling, Trainer, TrainerCallback, TrainingArguments, set_seed

    from .backbones import BUNDLED, default_model_for, resolve_model
    from .data import language_hint
    from .events import EventWriter
    from .modeling import load_tokenizer

    _check(config)
    set_seed(config.seed)
    texts = _texts(config)
    language = language_hint(texts)
    name = config.model if config.model != "auto" else default_model_for(language)
    path, display = resolve_model(name)
    output = Path(config.output)
    output.mkdir(parents=True, exist_ok=True)
    events = run_events or EventWriter(output / "events.jsonl")
    kind_of_event = "adapt" if run_events is not None else "train"
    tokenizer = load_tokenizer(path)
    model, decoder = _language_model(path)
    encoded = tokenizer(texts, truncation=True, max_length=config.max_length)
    dataset = Dataset.from_dict({k: encoded[k] for k in ("input_ids", "attention_mask")})
    collator = DataCollatorForLanguageModeling(tokenizer, mlm=not decoder, mlm_probability=config.mlm_probability,
                                               seed=config.seed)
    held = dataset.select(range(min(len(dataset), max(64, len(dataset) // 20))))
    steps = max(1, math.ceil(len(dataset) / config.batch_size * config.epochs))
    args = TrainingArguments(output_dir=str(output / ".trainer"), per_device_train_batch_size=config.batch_size,
                             num_train_epochs=config.epochs, learning_rate=config.learning_rate, warmup_steps=0.06,
                             weight_decay=0.01, logging_steps=max(1, steps // 50), eval_strategy="no",
                             save_strategy="no", report_to="none", seed=config.seed, disable_tqdm=not progress,
                             use_cpu=not torch.cuda.is_available(), remove_unused_columns=False)

    class Progress(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                events.write(kind_of_event, step=state.global_step, total_steps=state.max_steps,
                             loss=float(logs["loss"]), progress=round(state.global_step / max(state.max_steps, 1), 4))
                if run_events is not None and state.global_step % max(1, state.max_steps // 5) < args.logging_steps:
                    run_events.log(say("adapt_progress" if decoder else "adapt_progress_mlm",
                                       step=state.global_step, total=state.max_steps, loss=float(logs["loss"])))

    trainer = Trainer(model=model, args=args, train_dataset=dataset, eval_dataset=held, data_collator=collator,
                      callbacks=[Progress()])
    kind = say("objective_next_token") if decoder else say("objective_mlm", probability=config.mlm_probability)
    if run_events is not None:
        events.log(say("adapt_first", model=display, n=len(texts), kind=kind, steps=steps))
    else:
        events.status("running", say("adapt_running", model=display, n=len(texts), kind=kind, steps=steps),
                      total_steps=steps)
    before = float(trainer.evaluate()["eval_loss"])
    started = time.perf_counter()
    trainer.train()
    after = float(trainer.evaluate()["eval_loss"])
    model.save_pretrained(output, safe_serialization=True)
    tokenizer.save_pretrained(output)
    backbone = BUNDLED.get(name)
    summary = {"base_model": name, "pooling": backbone.pooling if backbone else "cls", "objective": str(kind),
               "texts": len(texts), "steps": steps, "held_out_loss_before": round(before, 4),
               "held_out_loss_after": round(after, 4), "seconds": round(time.perf_counter() - started, 1)}
    (output / MARKER).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    import shutil

    shutil.rmtree(output / ".trainer", ignore_errors=True)
    if run_events is not None:
        events.log(say("adapt_done_then_train", before=before, after=after))
    else:
        events.status("finished", say("adapt_done", before=before, after=after, output=str(output)))
    return summary


def _check(config: AdaptConfig) -> None:
    """ConfigError for a setting out of range, before any model is loaded."""
    from .errors import ConfigError

    if not config.output:
        raise ConfigError(say("adapt_no_output"))
    if not 0.0 < config.mlm_probability < 1.0:
        raise ConfigError(say("adapt_mlm_probability", value=config.mlm_probability))
    # `not a <= x <= b` is also true for NaN
    for flag, value, low, high in (("--epochs", config.epochs, 1e-6, 1000),
                                   ("--max-length", config.max_length, 8, 8192),
                                   ("--batch-size", config.batch_size, 1, 4096),
                                   ("--learning-rate", config.learning_rate, 1e-12, 1.0),
                                   ("--max-texts", config.max_texts or 1, 1, float("inf"))):
        if not low <= value <= high:
            raise ConfigError(say("adapt_out_of_range", flag=flag, value=value, low=low, high=high))


def _texts(config: AdaptConfig) -> list[str]:
    """The non-blank texts of --data, at most --max-texts of them; at least 8."""
    from .errors import ConfigError
    from .evaluation import read_texts

    texts = [t for t in read_texts(config.data) if t.strip()]
    if config.max_texts:
        texts = texts[:config.max_texts]
    if len(texts) < 8:
        raise ConfigError(say("adapt_too_few_texts", name=Path(config.data).name, n=len(texts)))
    return texts


def _language_model(path):
    """(the model with a language-model head, is it a decoder). An encoder without an MLM head gets BERT's, tied
    to its word embeddings, with a fresh transform layer."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForMaskedLM
    from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES

    from .errors import ModelError
    from .security import pretrained_kwargs

    config = AutoConfig.from_pretrained(path, **pretrained_kwargs(path))
    decoder = config.model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES
    try:
        if decoder:
            return AutoModelForCausalLM.from_pretrained(path, **pretrained_kwargs(path, weights=True)), True
        config.tie_word_embeddings = True
        return AutoModelForMaskedLM.from_pretrained(path, config=config, **pretrained_kwargs(path, weights=True)), False
    except Exception as exc:
        raise ModelError(say("adapt_no_lm_head", path=str(path), reason=str(exc).splitlines()[0][:200])) from None


def adapted_pooling(path) -> str | None:
    """The pooling of the model a folder was adapted from (`adapted.json`), if it is an adapted model."""
    from .runs import read_json

    try:
        marker = read_json(Path(path) / MARKER)
    except (OSError, ValueError):  # not a folder (a hub id, a file), a marker that is not text
        return None
    return marker.get("pooling") if isinstance(marker, dict) else None
