"""Why this label: which words of one text pushed the fine-tuned model towards a class, and which away from it.

    from classifier.explain import explain
    explain("runs/sms", "WINNER!! Claim your £1000 prize now")
    # {'label': 'spam', 'target': 'spam', 'words': [('WINNER', 1.0), ('!!', 0.31), ('Claim', 0.52), ...], ...}

Integrated Gradients (Sundararajan et al. 2017, captum's implementation) on the input embeddings: the logit of the
target class is integrated along the straight line from a baseline (every text token replaced by the padding
token; the special tokens such as [CLS] stay) to the text, in `steps` steps (20 by default: 1.3 s for a 56-token
text on 2 CPU cores under load 3.8, where a plain prediction took 94 ms; bench/RESULTS.md). A token's attribution is
the sum over its embedding's dimensions; the attributions of a text add up to logit(text) - logit(baseline), up to
the approximation error (`delta`). What is explained is always the fine-tuned model's logit: where the run answers
with the TF-IDF mix (classifier/ensemble.py), the TF-IDF part is not explained, and the result says so.

The text is read exactly as `classifier.predict.Predictor` reads it (the run's max_length and truncation: head,
head+tail, or every window of a chunked run; mean pooling is part of the model). Token scores are merged back to
words (runs of letters and digits, runs of punctuation; every Chinese or Japanese character is a word of its own,
and a token of several characters shares its score among them), then divided by the largest absolute word score,
so scores lie in [-1, 1]: positive pushes towards the target class, negative away. Words the model does not read
(beyond a `head` cut) score 0. A chunked run's windows are each explained and their token scores added (mean
pooling of the windows' logits) or taken from the window with the highest logit (max pooling).

Why `IntegratedGradients` on `inputs_embeds` and not `LayerIntegratedGradients` on the embedding layer: the two
compute the same numbers, but the layer version puts a forward hook on the model while it runs, and the app shares
one model between concurrent requests, so a prediction running at the same time would read the hooked layer.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch

from .encoding import head_tail_positions, special_tokens_around, window_starts
from .errors import ClassifierError
from .messages import say
from .security import CHARS_PER_TOKEN, clip_text

STEPS = 20  # integration steps: 20 kept the top words of 50 at 1/2.4 of the cost (bench/RESULTS.md)
TOKENS_PER_PASS = 2048  # steps x tokens per forward/backward pass: bounds activation memory for long windows

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_LETTERS = rf"(?:(?![{_CJK}])\w)+"
# a word: one CJK character; or letters and digits (with inner apostrophes: I'll; and decimals: 1.2, 1,000, 6:30);
# or a run of punctuation
WORD = re.compile(rf"[{_CJK}]|{_LETTERS}(?:['’]{_LETTERS}|[.,:]\d+)*|[^\w\s]+")


def explain(predictor_or_run, text: str, target: str | int | None = None, steps: int = STEPS,
            max_windows: int | None = None) -> dict:
    """Word attributions of `text` for class `target` (a label, or its index; default: the run's predicted
    class). Returns a dict: label (what the run predicts), target, probability (the run's, of target), words
    [(word, score)] in the text's order covering all of it, spans [(start, end)] of each word in `text`, windows
    [{start, end, logit}] (what the model read, in characters of `text`), delta, steps, explains (in words)."""
    from .predict import Predictor

    predictor = predictor_or_run if isinstance(predictor_or_run, Predictor) else Predictor(Path(predictor_or_run))
    if predictor.int8:
        raise ClassifierError(say("explain_int8"))
    text = "" if text is None else str(text)
    prediction = predictor.predict([text])[0]
    target_id = _target_index(predictor, prediction, target)
    read = clip_text(text, predictor.max_length, predictor.truncation)
    windows = _windows(predictor, read)
    windows_total = len(windows)
    if max_windows and windows_total > max_windows:
        windows = windows[:max_windows]  # bounded cost (the app): the first ones; the result says how many
    token_scores, logits, delta = _integrate(predictor, windows, target_id, steps)
    if predictor.truncation == "chunk" and predictor.chunk_pooling == "max" and len(windows) > 1:
        keep = int(np.argmax(logits))  # max pooling: only the window with the highest logit moves the answer
        token_scores = [s if i == keep else np.zeros_like(s) for i, s in enumerate(token_scores)]
    to_text = _clip_map(text, read, predictor)
    chars = np.zeros(len(text), dtype=np.float64)
    for window, scores in zip(windows, token_scores):
        for offset, score in zip(window["offsets"], scores):
            if offset is not None:  # special tokens ([CLS], [SEP]) equal the baseline: no attribution
                _spread(chars, text, to_text(offset[0]), to_text(offset[1]), float(score))
    spans = [m.span() for m in WORD.finditer(text)]
    raw = np.array([chars[a:b].sum() for a, b in spans], dtype=np.float64)
    scale = float(np.abs(raw).max()) if len(raw) else 0.0
    scores = raw / scale if scale > 0 else raw
    label = predictor.labels[target_id]
    return {
        "label": prediction.label,
        "target": label,
        "probability": round(float(prediction.probabilities[label]), 4),
        "words": [(text[a:b], round(float(s), 4)) for (a, b), s in zip(spans, scores)],
        "spans": spans,
        "windows": [{"start": to_text(w["start"]), "end": to_text(w["end"]), "logit": round(float(lg), 4)}
                    for w, lg in zip(windows, logits)],
        "windows_total": windows_total,
        "delta": round(float(delta), 4),
        "scale": scale,
        "steps": steps,
        "explains": _what_is_explained(predictor, label, steps),
    }


def top_words(explanation: dict, k: int = 5, towards: bool = True) -> list[tuple[str, float]]:
    """The `k` words that pushed most towards the target class (`towards=False`: most away from it)."""
    sign = 1.0 if towards else -1.0
    chosen = [(w, s) for w, s in explanation["words"] if sign * s > 0]
    return sorted(chosen, key=lambda ws: -sign * ws[1])[:k]


def _target_index(predictor, prediction, target) -> int:
    if target is None or target == "":
        names = prediction.labels or [max(prediction.probabilities, key=prediction.probabilities.get)]
        return predictor.labels.index(max(names, key=lambda n: prediction.probabilities[n]))
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        if 0 <= int(target) < len(predictor.labels):
            return int(target)
    elif str(target) in predictor.labels:
        return predictor.labels.index(str(target))
    raise ClassifierError(say("explain_bad_class", target=target, classes=", ".join(predictor.labels)))


def _what_is_explained(predictor, label: str, steps: int) -> str:
    what = (f"Integrated Gradients ({steps} steps, padding-token baseline) of the fine-tuned model's logit for "
            f"{label!r}, over its input embeddings")
    if predictor.decision == "ensemble":
        what += (f"; the run's answer also mixes in the TF-IDF model (weight {1 - predictor.ensemble_weight:.2f}), "
                 "which this does not explain")
    elif predictor.decision == "baseline":
        what += "; this run answers with the TF-IDF model alone, so the explained model is not what answers"
    return what


def _windows(predictor, read: str) -> list[dict]:
    """What the model reads of `read`, as Predictor does (encoding.py): per window the token ids with the special
    tokens around them, each token's character offsets (None for special tokens), and the characters covered."""
    tokenizer = predictor.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise ClassifierError(say("explain_slow_tokenizer"))
    encoded = tokenizer(read, add_special_tokens=False, truncation=False, return_offsets_mapping=True)
    ids, offsets = encoded["input_ids"], [tuple(o) for o in encoded["offset_mapping"]]
    prefix, suffix = special_tokens_around(tokenizer)
    budget = max(predictor.max_length - len(prefix) - len(suffix), 2)
    if predictor.truncation == "chunk":
        picks = [range(s, min(s + budget, len(ids))) for s in window_starts(len(ids), budget, predictor.chunk_stride)]
    elif predictor.truncation == "head+tail":
        picks = [head_tail_positions(len(ids), budget)]
    else:
        picks = [range(min(len(ids), predictor.max_length - len(prefix) - len(suffix)))]
    windows = []
    for pick in picks:
        pick = list(pick)
        kept = [offsets[i] for i in pick]
        windows.append({
            "ids": prefix + [ids[i] for i in pick] + suffix,
            "offsets": [None] * len(prefix) + kept + [None] * len(suffix),
            "start": min((a for a, _ in kept), default=0),
            "end": max((b for _, b in kept), default=0),
        })
    return windows


def _integrate(predictor, windows: list[dict], target_id: int, steps: int):
    """Per window: each token's attribution (special tokens: None entries dropped later), the window's logit for
    the target, and the summed approximation error."""
    from captum.attr import IntegratedGradients

    model = predictor.model
    embed = model.get_input_embeddings()
    baseline_id = _baseline_id(predictor)
    one_at_a_time = getattr(model.config, "pad_token_id", None) is None  # decoders without a pad: batch of 1 only

    def forward(inputs_embeds):
        mask = torch.ones(inputs_embeds.shape[:2], dtype=torch.long, device=inputs_embeds.device)
        return model(inputs_embeds=inputs_embeds, attention_mask=mask).logits

    ig = IntegratedGradients(forward)
    scores, logits, delta = [], [], 0.0
    for window in windows:
        ids = torch.tensor([window["ids"]], device=predictor.device)
        is_text = torch.tensor([[o is not None for o in window["offsets"]]], device=predictor.device)
        with torch.no_grad():
            inputs = embed(ids)
            baseline = torch.where(is_text[..., None], embed(torch.full_like(ids, baseline_id)), inputs)
        per_pass = 1 if one_at_a_time else max(1, min(steps, TOKENS_PER_PASS // ids.shape[1]))
        with torch.enable_grad():
            attributions, error = ig.attribute(inputs, baselines=baseline, target=target_id, n_steps=steps,
                                               internal_batch_size=per_pass, return_convergence_delta=True)
            with torch.no_grad():
                logits.append(float(forward(inputs)[0, target_id]))
        token = attributions.sum(-1)[0].detach().float().cpu().numpy()
        scores.append(token)
        delta += float(error.abs().sum())
    return scores, logits, delta


def _baseline_id(predictor) -> int:
    tokenizer = predictor.tokenizer
    for candidate in (tokenizer.pad_token_id, getattr(predictor.model.config, "pad_token_id", None),
                      tokenizer.unk_token_id):
        if candidate is not None:
            return int(candidate)
    return 0


def _clip_map(text: str, read: str, predictor):
    """Positions in `read` (what security.clip_text kept) to positions in `text`: the same, except after the
    head+tail cut, where the tail part is the end of `text`."""
    if read == text or predictor.truncation != "head+tail":
        return lambda pos: pos
    budget = max(int(predictor.max_length), 1) * CHARS_PER_TOKEN
    shift = len(text) - budget - (budget + 1)  # read = text[:budget] + " " + text[-budget:]
    return lambda pos: pos if pos <= budget else pos + shift


def _spread(chars: np.ndarray, text: str, start, end, score: float) -> None:
    """Give a token's score to the characters it covers (shared evenly among the non-space ones; a token with no
    visible character of its own, such as a lone "▁", goes to the next visible character)."""
    if score == 0.0:
        return
    visible = [i for i in range(start, min(end, len(text))) if not text[i].isspace()]
    if not visible:
        after = next((i for i in range(start, len(text)) if not text[i].isspace()), None)
        visible = [after] if after is not None else []
    for i in visible:
        chars[i] += score / len(visible)
