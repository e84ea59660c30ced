"""Padding rules every GPT-style decoder needs when it classifies.

A decoder's sequence-classification head (``score``) reads the last token that is not padding, and
transformers finds it from ``input_ids != pad_token_id`` (the attention mask is not used; transformers 5.23
still does this, for left and right padding alike). That is only right if the pad id never occurs inside a text:
if pad == eos and the tokenizer appended eos, or a text literally contains the pad token's string, the head reads
the wrong position. So :func:`ensure_pad_token` (a) picks a pad token the tokenizer never adds around a text —
the existing one, else unk/eos, else a new ``<|pad|>`` — and (b) turns on ``split_special_tokens`` so a special
token's string typed in a text is encoded as plain text, never as the pad id. With both, ``input_ids != pad``
equals the attention mask, which is what :func:`classifier.modeling.pooled_features` uses.
"""

from __future__ import annotations


def ensure_pad_token(tokenizer) -> bool:
    """Give a (decoder) tokenizer a pad token that cannot be confused with a text's own tokens; see the module
    docstring. Returns True if a new token was added (the model's embeddings must then grow to len(tokenizer))."""
    from .encoding import special_tokens_around

    prefix, suffix = special_tokens_around(tokenizer)
    framing = set(prefix) | set(suffix)
    added = False
    if tokenizer.pad_token is None or tokenizer.pad_token_id in framing:
        for candidate in (tokenizer.unk_token, tokenizer.eos_token):
            if candidate is not None and tokenizer.convert_tokens_to_ids(candidate) not in framing:
                tokenizer.pad_token = candidate
                break
        else:
            added = tokenizer.add_special_tokens({"pad_token": "<|pad|>"}) > 0
    # A pad token's string typed inside a text must not become the pad id (transformers would pool before it).
    tokenizer.split_special_tokens = True
    tokenizer.init_kwargs["split_special_tokens"] = True  # so that save_pretrained keeps it for Predictor/pipeline
    return added


def fix_padding(tokenizer) -> bool:
    """ensure_pad_token for the tokenizers that need it: no pad token (GPT-2, Llama), or one the tokenizer itself
    puts around texts (pad == eos with an appended eos). Encoders' own [PAD]/<pad> are left alone."""
    from .encoding import special_tokens_around

    if tokenizer.pad_token is not None:
        prefix, suffix = special_tokens_around(tokenizer)
        if tokenizer.pad_token_id not in set(prefix) | set(suffix):
            return False
    return ensure_pad_token(tokenizer)


def match_padding(model, tokenizer) -> None:
    """A decoder's head finds the last text token by the pad id, so the model must know the tokenizer's one; a pad
    token added by ensure_pad_token needs an embedding row."""
    if not is_decoder(model) or tokenizer.pad_token_id is None:
        return
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer))
    model.config.pad_token_id = tokenizer.pad_token_id


def is_decoder(model) -> bool:
    """GPT-style sequence classifiers keep their head in `score` and pool the last non-padding token."""
    from torch import nn

    return isinstance(getattr(model, "score", None), nn.Module)
