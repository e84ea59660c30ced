"""Learning rates per layer: a rate of its own for the classification head, and layer-wise decay.

    head (classifier/score, and BERT's pooler)   head_learning_rate (default: the base rate)
    top transformer block                         learning_rate
    each block below                              D x the rate of the block above it
    embeddings (and anything below the blocks)    D x the lowest block's rate

The tutorials' recipe (backbone 1e-5, head 2e-5) is `learning_rate=1e-5, head_learning_rate=2e-5`; layer-wise decay
(ULMFiT's discriminative fine-tuning, ELECTRA's D = 0.8) keeps the general lower layers closer to the pretrained
weights. Works by parameter names, so it covers encoders, decoders, the mean-pooling model and LoRA-wrapped models
(peft keeps the original names inside its own prefix); frozen parameters are left out.
"""

from __future__ import annotations

import re

from torch import nn

from .modeling import find_blocks

HEAD_PARTS = {"classifier", "score", "logits_proj", "pre_classifier", "pooler"}


def _blocks_prefix(model: nn.Module) -> tuple[str, int] | None:
    try:
        blocks = find_blocks(model)
    except Exception:  # noqa: BLE001 - no block stack (a bare head): everything is "head" or "base"
        return None
    for name, module in model.named_modules():
        if module is blocks:
            return name, len(blocks)
    return None


def parameter_learning_rates(model: nn.Module, learning_rate: float, head_learning_rate: float | None = None,
                             layerwise_lr_decay: float = 1.0) -> dict[str, float]:
    """The learning rate of every trainable parameter, by name."""
    head_rate = head_learning_rate or learning_rate
    found = _blocks_prefix(model)
    block_pattern = re.compile(rf"^{re.escape(found[0])}\.(\d+)\.") if found else None
    depth = found[1] if found else 0
    rates = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        parts = set(name.split("."))
        if parts & HEAD_PARTS:
            rates[name] = head_rate
            continue
        match = block_pattern.match(name) if block_pattern else None
        if match:
            rates[name] = learning_rate * layerwise_lr_decay ** (depth - 1 - int(match.group(1)))
        elif any("embed" in part or part in ("wte", "wpe") for part in name.split(".")):
            rates[name] = learning_rate * layerwise_lr_decay ** depth
        else:  # a decoder's final norm and other modules above the blocks
            rates[name] = learning_rate
    return rates


def parameter_groups(model: nn.Module, rates: dict[str, float], decay_names: set[str], weight_decay: float,
                     base_rate: float) -> list[dict]:
    """Optimizer parameter groups, one per (learning rate, weight decay or not); the base rate's groups first (the
    rate Trainer logs is the first group's)."""
    groups: dict[tuple[float, bool], list] = {}
    for name, param in model.named_parameters():
        if name in rates:
            groups.setdefault((rates[name], name in decay_names), []).append(param)
    ordered = sorted(groups.items(), key=lambda item: (item[0][0] != base_rate, -item[0][0]))
    return [{"params": params, "lr": lr, "weight_decay": weight_decay if decays else 0.0}
            for (lr, decays), params in ordered]
