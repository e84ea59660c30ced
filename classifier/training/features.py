"""The head strategy's feature cache: the frozen backbone runs once over every text, and the Trainer trains the
head on the cached features, so an epoch costs milliseconds instead of a forward pass over the data."""

from __future__ import annotations

import time

import numpy as np
import torch
from datasets import Dataset
from transformers import DataCollatorWithPadding

from ..encoding import pool_logits
from ..events import EventWriter
from ..messages import say
from ..modeling import HeadOnlyModel, LoadedModel, pooled_features


def features_of(loaded: LoadedModel, pad: DataCollatorWithPadding, dataset: Dataset, chunked: bool,
                batch_size: int, device: torch.device) -> torch.Tensor:
    """One feature row per text of a tokenized split, in the split's order. Texts of similar length batch
    together; with windows (chunked) a text's feature is the mean of its windows'."""
    ids, masks = dataset["input_ids"], dataset["attention_mask"]
    owner = None
    if chunked:  # every window of every text; a text's feature is the mean of its windows'
        owner = torch.tensor([i for i, windows in enumerate(ids) for _ in windows])
        ids = [w for windows in ids for w in windows]
        masks = [m for windows in masks for m in windows]
    order = np.argsort([len(x) for x in ids], kind="stable")  # similar lengths batch together
    batches = (
        {k: v.to(device) for k, v in pad(
            [{"input_ids": ids[i], "attention_mask": masks[i]} for i in order[s:s + batch_size]]).items()}
        for s in range(0, len(order), batch_size)
    )
    sorted_feats = pooled_features(loaded.model, loaded.head, batches)
    feats = torch.empty_like(sorted_feats)
    feats[torch.as_tensor(order)] = sorted_feats
    if owner is not None:
        feats = pool_logits(feats.reshape(len(feats), -1), owner, len(dataset), "mean")
    return feats


def head_feature_sets(loaded: LoadedModel, tokenizer, splits: dict[str, Dataset], chunked: bool, batch_size: int,
                      pad_multiple: int | None, events: EventWriter) -> tuple[HeadOnlyModel, Dataset, Dataset]:
    """The head to train (normalised by the training features' mean and spread) and the train and validation
    sets of features with their labels."""
    events.status("running", say("status_features"))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    loaded.model.to(device)
    pad = DataCollatorWithPadding(tokenizer, pad_to_multiple_of=pad_multiple)
    t0 = time.perf_counter()
    feature_sets = {
        name: Dataset.from_dict({"features": features_of(loaded, pad, ds, chunked, batch_size, device).numpy(),
                                 "labels": ds["labels"]}).with_format("torch")
        for name, ds in splits.items()}
    events.log(say("log_features_done", seconds=time.perf_counter() - t0))
    train_features = feature_sets["train"][:]["features"]
    head_only = HeadOnlyModel(loaded.head, train_features.mean(0), train_features.std(0))
    return head_only, feature_sets["train"], feature_sets["validation"]
