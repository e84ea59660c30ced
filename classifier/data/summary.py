"""What the Data tab and `data.json` show: counts, language, token lengths in the chosen model's tokenizer, the
recommended max_length, and texts the tokenizer cannot read."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from ..messages import say

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

_LATIN = re.compile(r"[A-Za-z]")



def language_hint(texts: list[str] | pd.Series, sample: int = 2000) -> str:
    """'cjk' when most letters are Chinese/Japanese/Korean, 'latin' when mostly A-Z, else 'other'."""
    joined = "".join(list(texts)[:sample])
    cjk, latin = len(_CJK.findall(joined)), len(_LATIN.findall(joined))
    letters = sum(ch.isalpha() for ch in joined) or 1
    if cjk / letters > 0.3:
        return "cjk"
    if latin / letters > 0.7:
        return "latin"
    return "other"



def token_lengths(texts: list[str], tokenizer, sample: int = 5000, seed: int = 0) -> np.ndarray:
    texts = list(texts)
    if len(texts) > sample:
        rng = np.random.default_rng(seed)
        texts = [texts[i] for i in rng.choice(len(texts), sample, replace=False)]
    encoded = tokenizer(texts, add_special_tokens=True, truncation=False)["input_ids"]
    return np.array([len(ids) for ids in encoded])



def recommend_max_length(lengths: np.ndarray, model_limit: int, coverage: float = 0.95) -> int:
    """Smallest multiple of 8 that holds `coverage` of the texts whole, at least 16, at most the model's limit."""
    if len(lengths) == 0:
        return min(128, model_limit)
    value = int(math.ceil(np.percentile(lengths, coverage * 100) / 8.0) * 8)
    return int(max(16, min(value, model_limit)))



def unreadable_texts(texts: list[str], tokenizer, sample: int = 500) -> tuple[float, str] | None:
    """(share, an example) when over 10% of the texts are at least half unknown tokens; None otherwise."""
    unk = getattr(tokenizer, "unk_token_id", None)
    texts = [t for t in texts[:sample] if t.strip()]
    if unk is None or not texts:
        return None
    encoded = tokenizer([t[:2000] for t in texts], add_special_tokens=False, truncation=False)["input_ids"]
    bad = [t for t, ids in zip(texts, encoded) if not ids or sum(i == unk for i in ids) * 2 >= len(ids)]
    share = len(bad) / len(texts)
    return (share, bad[0]) if share > 0.1 else None



def summarize(texts: list[str] | pd.Series, labels: list[str] | pd.Series, tokenizer=None,
              model_limit: int = 512) -> dict[str, Any]:
    """What the Data tab and `data.json` show: counts, lengths in tokens, recommended max_length."""
    texts = list(texts)
    counts = Counter(labels)
    summary: dict[str, Any] = {
        "rows": len(texts),
        "classes": len(counts),
        "class_counts": dict(sorted(counts.items(), key=lambda kv: -kv[1])),
        "language": language_hint(texts),
        "chars_p50": int(np.median([len(t) for t in texts])) if texts else 0,
    }
    if tokenizer is not None and texts:
        lengths = token_lengths(texts, tokenizer)
        summary["token_length"] = {f"p{q}": int(np.percentile(lengths, q)) for q in (50, 90, 95, 99)}
        summary["token_length"]["max"] = int(lengths.max())
        summary["token_lengths_sample"] = lengths.tolist()[:2000]
        summary["model_limit"] = int(model_limit)
        summary["over_limit"] = int((lengths > model_limit).sum())
        summary["over_limit_share"] = float((lengths > model_limit).mean())
        summary["recommended_max_length"] = recommend_max_length(lengths, model_limit)
        unreadable = unreadable_texts(texts, tokenizer)
        if unreadable:
            summary["warnings"] = [say("data_unreadable", share=unreadable[0], example=unreadable[1][:40])]
    return summary
