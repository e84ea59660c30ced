"""Texts to token ids, the same way in training and in prediction.

Texts longer than `max_length` tokens are cut. `head` keeps the first tokens (what most fine-tuning recipes do);
`head+tail` keeps the first quarter and the last three quarters of the budget, which Sun et al. (2019, "How to
Fine-Tune BERT for Text Classification") found best for long reviews and news, where the conclusion matters.
"""

from __future__ import annotations


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
        if len(ids) > budget:
            head = budget // 4
            ids = ids[:head] + ids[len(ids) - (budget - head):]
        full = prefix + ids + suffix
        ids_out.append(full)
        masks.append([1] * len(full))
    return {"input_ids": ids_out, "attention_mask": masks}
