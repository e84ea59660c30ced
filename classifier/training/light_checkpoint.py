"""Lighter resumable checkpoints: what cannot change is not written again.

A Trainer checkpoint (RUN/checkpoints/checkpoint-STEP) holds the model's weights, the optimizer, the schedule and
the random state. Frozen parameters (multilingual-e5-small's 96M-parameter token embeddings under
`freeze_embeddings`, the lower blocks under `last-n`) never change in training, and a resumed run builds its model
from the same base (the bundled or cached model, or RUN/adapted) before the checkpoint is loaded over it; so the
checkpoint leaves them out and lists them, with a fingerprint each, in `frozen_from_base.json`. On resume the
fingerprints are compared with the freshly built model: if the base changed in between, the resume is refused
rather than continued on other weights. best/ and last/ stay whole models (they are what Predictor loads).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from torch import nn

from ..errors import RunError
from ..messages import say

FROZEN_FILE = "frozen_from_base.json"


def fingerprint(tensor: torch.Tensor) -> list:
    """Shape, dtype and a BLAKE2b hash of the bytes (any change of any value, or of their order, shows)."""
    digest = hashlib.blake2b(digest_size=16)
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    for chunk in flat.split(1 << 22):  # 4M values at a time
        digest.update(chunk.view(torch.uint8).numpy().tobytes())
    return [list(tensor.shape), str(tensor.dtype), digest.hexdigest()]


def frozen_parameters(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: param for name, param in model.named_parameters() if not param.requires_grad}


def checkpoint_state(model: nn.Module, cache: dict[str, list] | None = None
                     ) -> tuple[dict[str, torch.Tensor] | None, dict[str, list]]:
    """The state dict to write (None: the whole model, nothing is frozen) and the fingerprints of what is left out.
    `cache`: fingerprints from an earlier checkpoint of the same training (frozen weights do not change)."""
    frozen = frozen_parameters(model)
    if not frozen:
        return None, {}
    cache = {} if cache is None else cache
    state = {name: value for name, value in model.state_dict().items() if name not in frozen}
    return state, {name: cache[name] if name in cache else cache.setdefault(name, fingerprint(param))
                   for name, param in frozen.items()}


def write_frozen_list(folder: str | Path, fingerprints: dict[str, list]) -> None:
    Path(folder, FROZEN_FILE).write_text(json.dumps({"left_out": fingerprints}), encoding="utf-8")


def check_frozen_match(folder: str | Path, model: nn.Module) -> None:
    """After the checkpoint's weights were loaded: the weights it left out must be those of the model built now."""
    path = Path(folder, FROZEN_FILE)
    if not path.is_file():
        return  # a whole checkpoint (nothing frozen, or written before checkpoints were lighter)
    try:
        left_out = json.loads(path.read_text(encoding="utf-8"))["left_out"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunError(say("checkpoint_frozen_unreadable", checkpoint=path.parent.name, file=FROZEN_FILE,
                           reason=str(exc))) from exc
    params = dict(model.named_parameters())
    changed = [name for name, expected in left_out.items()
               if name not in params or not _same(fingerprint(params[name]), expected)]
    if changed:
        raise RunError(say("checkpoint_base_changed", checkpoint=path.parent.name, n=len(left_out), example=changed[0]))


def _same(got: list, expected: list) -> bool:
    return list(got) == list(expected)
