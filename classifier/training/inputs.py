"""The run's data: the config's sources read into train/validation/test splits, then tokenized for the model
(whole texts up to max_length, or overlapping windows of long texts)."""

from __future__ import annotations

import pandas as pd
import torch
from datasets import Dataset
from transformers import DataCollatorWithPadding

from ..config import TrainConfig
from ..data import PreparedData, prepare_data
from ..encoding import encode_chunks, encode_texts
from ..events import EventWriter
from ..messages import say
from .plan import ResolvedRun
from .trainer import ChunkCollator


def with_local_sources(config: TrainConfig, events: EventWriter) -> TrainConfig:
    """A hub data set (`hub:NAME`) or a `save_to_disk` folder becomes one Parquet file per split, its splits used
    as given; the config then names those files (config.json too, so the run repeats and resumes on them), and
    `extra.data_source` keeps what the user gave."""
    from ..datasources import resolve_sources

    sources = resolve_sources(config.data, config.validation_file, config.test_file)
    if sources.note is None:
        return config
    events.log(say("log_data_source", note=sources.note))
    return config.replace(data=sources.data, validation_file=sources.validation_file, test_file=sources.test_file,
                          extra={**config.extra, "data_source": config.data})


def load_data(config: TrainConfig, events: EventWriter) -> PreparedData:
    """The splits and labels of the config's data; what was cleaned on the way goes to the events."""
    data = prepare_data(
        config.data, config.text_column, config.label_column, config.validation_file, config.test_file,
        config.validation_fraction, config.test_fraction, config.seed, config.balance, config.max_train_samples,
        multi_label=config.multi_label, label_delimiter=config.label_delimiter, label_columns=config.label_columns,
    )
    for warning in data.warnings:
        events.log(warning)
    sizes = data.split_sizes()
    events.log(say(data.task.sizes_key, train=sizes["train"],
                   validation=sizes["validation"], test=sizes["test"], n=len(data.labels)))
    return data


def tokenize(frame: pd.DataFrame, data: PreparedData, tokenizer, plan: ResolvedRun,
             max_chunks: int | None) -> dict[str, list]:
    """input_ids, attention_mask and labels (an id, or a row of 0/1 per label) of a split's texts."""
    config = plan.config
    texts = frame["text"].tolist()
    if plan.chunked:
        encoded = encode_chunks(texts, tokenizer, plan.max_length, config.chunk_stride, max_chunks)
    else:
        encoded = encode_texts(texts, tokenizer, plan.max_length, config.truncation)
    labels = data.task.model_targets(frame["label"], len(data.labels))
    return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"], "labels": labels}


def tokenized_splits(data: PreparedData, tokenizer, plan: ResolvedRun) -> dict[str, Dataset]:
    """The train and validation splits as Datasets. Validation reads every window of a text, as prediction will;
    training caps the windows per text (max_chunks)."""
    validation = tokenize(data.validation, data, tokenizer, plan, None)
    # Not with windows: every window of a batch's texts is one forward pass, and the longest texts together could
    # exceed the memory. Not with class weights: a weighted loss is a mean per batch, and batches of one length are
    # often of one class, which would change the validation loss that early stopping may follow.
    if not plan.chunked and plan.config.class_weights != "balanced":
        validation = longest_first(validation)
    return {"train": Dataset.from_dict(tokenize(data.train, data, tokenizer, plan, plan.config.max_chunks)),
            "validation": Dataset.from_dict(validation)}


def longest_first(columns: dict[str, list]) -> dict[str, list]:
    """The rows ordered by token count, longest first. Trainer evaluates in the dataset's order and pads each batch
    to its longest text: in the files' order nearly every batch holds one long text, in this order a batch pads
    little (SMS validation: a pass takes less than half the time; bench/eval_order.py). Accuracy, F1 and an
    unweighted loss do not depend on the order, and the longest batch comes first, so a batch too large for the memory
    shows at once."""
    def tokens(ids: list) -> int:
        return sum(len(window) for window in ids) if ids and isinstance(ids[0], list) else len(ids)

    order = sorted(range(len(columns["input_ids"])), key=lambda i: -tokens(columns["input_ids"][i]))
    return {name: [values[i] for i in order] for name, values in columns.items()}


def pad_multiple() -> int | None:
    """Padding to a multiple of 8 tokens suits a GPU's tensor cores; a CPU gains nothing from it."""
    return 8 if torch.cuda.is_available() else None


def text_collator(tokenizer, plan: ResolvedRun):
    """Pads a batch of texts (with windows: every window of its texts, see ChunkCollator)."""
    if plan.chunked:
        return ChunkCollator(tokenizer, pad_multiple())
    return DataCollatorWithPadding(tokenizer, pad_to_multiple_of=pad_multiple())
