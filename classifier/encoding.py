"""Texts to token ids, the same way in training and in prediction.

Texts longer than `max_length` tokens are cut. `head` keeps the first tokens (what most fine-tuning recipes do);
`head+tail` keeps the first quarter and the last three quarters of the budget, which Sun et al. (2019, "How to
Fine-Tune BERT for Text Classification") found best for long reviews and news, where the conclusion matters.

`chunk` reads all of a long text instead: `encode_chunks` cuts its tokens into windows of `max_length` (special
tokens included) that overlap by `stride` tokens; the model classifies every window and the windows' logits are
pooled (mean or max, `pool_logits`) into the text's logits, in training and in prediction alike.
"""

from __future__ import annotations

import numpy as np
import torch


def special_tokens_around(tokenizer) -> tuple[list[int], list[int]]:
    """The ids a tokenizer puts before and after a text (e.g. [CLS] ... [SEP]), found by encoding one word."""
    core = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a")["input_ids"]
    for start in range(len(full) - len(core) + 1):
        if full[start:start + len(core)] == core:
            return full[:start], full[start + len(core):]
    return [], []


def encode_texts(texts: list[str], tokenizer, max_length: int, truncation: str = "head") -> dict[str, list]:
    if truncation == "head":
        return tokenizer(list(texts), truncation=True, max_length=max_length)
    encoded = tokenizer(list(texts), truncation=False, add_special_tokens=False)
    prefix, suffix = special_tokens_around(tokenizer)
    budget = max(max_length - len(prefix) - len(suffix), 2)
    ids_out, masks = [], []
    for ids in encoded["input_ids"]:
        ids = [ids[i] for i in head_tail_positions(len(ids), budget)]
        full = prefix + ids + suffix
        ids_out.append(full)
        masks.append([1] * len(full))
    return {"input_ids": ids_out, "attention_mask": masks}


def encode_chunks(texts: list[str], tokenizer, max_length: int, stride: int | None = None,
                  max_chunks: int | None = None) -> dict[str, list]:
    """Per text, a list of overlapping windows: `input_ids` and `attention_mask` are lists of lists of lists.

    With `max_chunks`, a text longer than that many windows keeps windows spread evenly over it (first and last
    included), so training sees the whole document at a bounded cost.
    """
    prefix, suffix = special_tokens_around(tokenizer)
    budget = max(max_length - len(prefix) - len(suffix), 2)
    encoded = tokenizer(list(texts), truncation=False, add_special_tokens=False)["input_ids"]
    all_ids, all_masks = [], []
    for ids in encoded:
        starts = window_starts(len(ids), budget, stride, max_chunks)
        windows = [prefix + ids[s:s + budget] + suffix for s in starts]
        all_ids.append(windows)
        all_masks.append([[1] * len(w) for w in windows])
    return {"input_ids": all_ids, "attention_mask": all_masks}


def head_tail_positions(n_tokens: int, budget: int) -> list[int]:
    """Which of a text's `n_tokens` tokens `head+tail` keeps: all when they fit, else the first quarter of the
    budget and the last three quarters."""
    if n_tokens <= budget:
        return list(range(n_tokens))
    head = budget // 4
    return list(range(head)) + list(range(n_tokens - (budget - head), n_tokens))


def window_starts(n_tokens: int, budget: int, stride: int | None = None, max_chunks: int | None = None) -> list[int]:
    """The first token of each `chunk` window of `budget` tokens over a text of `n_tokens` tokens (windows overlap
    by `stride`, default a quarter of the budget); with `max_chunks`, windows spread evenly over the text."""
    stride = budget // 4 if stride is None else min(stride, budget // 2)
    step = max(budget - stride, 1)
    starts = list(range(0, max(n_tokens - stride, 1), step)) or [0]
    if max_chunks and len(starts) > max_chunks:
        picks = np.linspace(0, len(starts) - 1, max_chunks).round().astype(int)
        starts = [starts[i] for i in sorted(set(picks.tolist()))]
    return starts


def pool_logits(logits: torch.Tensor, owner: torch.Tensor, n_texts: int, how: str = "mean") -> torch.Tensor:
    """Windows' logits (windows x labels) to texts' logits (texts x labels); `owner[i]` is window i's text."""
    out = torch.zeros(n_texts, logits.shape[-1], dtype=logits.dtype, device=logits.device)
    index = owner.to(logits.device)
    if how == "max":
        return out.scatter_reduce_(0, index[:, None].expand_as(logits), logits, "amax", include_self=False)
    out.index_add_(0, index, logits)
    counts = torch.bincount(index, minlength=n_texts).clamp_min(1).to(logits.dtype)
    return out / counts[:, None]
