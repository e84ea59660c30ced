"""LoRA (peft) as a training strategy, for encoders and decoders alike.

The backbone stays frozen; small low-rank matrices are added beside the attention projections (query/value by
default) and trained together with the classification head (peft's `modules_to_save`: the head is trained in
full and saved with the adapter). Two ways to save `best/` and `last/`:

- merged (`lora_merge=True`, the default): the low-rank update is added into the base weights of a copy of the
  model, which is saved as a plain classifier; `pipeline("text-classification", model=RUN/best)` loads it and
  nothing at prediction time knows LoRA was used;
- adapter (`lora_merge=False`): `adapter_config.json` + `adapter_model.safetensors` (LoRA matrices and head, a few
  MB) beside the classifier's `config.json` (labels) and tokenizer. :func:`load_adapter_model` rebuilds the
  classifier from the base model named in `classifier.json` (a catalog name, hub id or folder).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from torch import nn

from .errors import ModelError
from .messages import say

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"

# Attention projections LoRA goes into by default, by the names the architectures give them; the first group of
# which the model has any is used. Query and value, as in the LoRA paper.
AUTO_TARGETS = (
    ("query", "value"),  # BERT, RoBERTa, XLM-R, e5, MiniLM
    ("q_proj", "v_proj"),  # Llama, SmolLM2, Mistral, Qwen, OPT
    ("q_lin", "v_lin"),  # DistilBERT
    ("c_attn",),  # GPT-2 (one fused q/k/v Conv1D)
    ("query_key_value",),  # GPT-NeoX, Falcon, BLOOM
    ("Wqkv",),  # ModernBERT
)
HEAD_NAMES = ("classifier", "score", "logits_proj", "pre_classifier")


def target_modules(model: nn.Module, setting: str = "auto") -> list[str]:
    """The module names LoRA wraps: `setting` as a comma-separated list, or found by name for `auto`."""
    if setting and setting != "auto":
        return [name.strip() for name in setting.split(",") if name.strip()]
    leaves = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    for group in AUTO_TARGETS:
        found = [name for name in group if name in leaves]
        if found:
            return found
    raise ModelError(say("lora_no_targets", kind=type(model).__name__))


def apply_lora(loaded, r: int = 8, alpha: int = 16, dropout: float = 0.1, targets: str = "auto") -> dict[str, int]:
    """Wrap loaded.model in a peft model (in place); return trainable and total parameter counts."""
    from .hf import LoraConfig, TaskType, get_peft_model

    model = loaded.model
    heads = [name for name in HEAD_NAMES if isinstance(getattr(model, name, None), nn.Module)]
    base = getattr(model, model.base_model_prefix, model)
    if isinstance(getattr(base, "pooler", None), nn.Module):
        # BERT's pooler (dense + tanh) feeds the head; frozen, its outputs vary by a few hundredths and the head
        # learns next to nothing (measured: LoRA stayed at the majority class on SMS), so it trains in full too.
        heads.append("pooler")
    config = LoraConfig(
        task_type=TaskType.SEQ_CLS, r=r, lora_alpha=alpha, lora_dropout=dropout,
        target_modules=target_modules(model, targets), modules_to_save=heads,
        fan_in_fan_out=getattr(model.config, "model_type", "") == "gpt2",  # GPT-2's Conv1D stores W transposed
    )
    base_total = sum(p.numel() for p in model.parameters())
    for p in model.parameters():
        p.requires_grad = False
    loaded.model = get_peft_model(model, config)
    # the total counts the model as saved: base weights + LoRA matrices (not peft's working copies of the head)
    total = base_total + sum(p.numel() for n, p in loaded.model.named_parameters() if "lora_" in n)
    trainable = sum(p.numel() for p in loaded.model.parameters() if p.requires_grad)
    return {"trainable_parameters": trainable, "total_parameters": total}


def is_lora(model: nn.Module) -> bool:
    from .hf import PeftModel

    return isinstance(model, PeftModel)


def save_lora(model: nn.Module, folder: Path, merge: bool) -> None:
    """Save a peft-wrapped classifier: merged into a plain model, or as adapter + the classifier's config."""
    if merge:
        merged = copy.deepcopy(model).merge_and_unload()  # a copy: training may go on after best/ is saved
        merged.save_pretrained(folder, safe_serialization=True)
        return
    model.save_pretrained(folder, safe_serialization=True)
    # config.json carries the labels and marks the folder as a model folder (classifier.runs.model_dir).
    model.get_base_model().config.save_pretrained(folder)


def is_adapter_folder(folder: Path) -> bool:
    return (Path(folder) / ADAPTER_CONFIG).is_file()


def load_adapter_model(folder: Path, tokenizer, base_model: str | None = None):
    """The classifier saved by save_lora(merge=False): base model + adapter, merged for fast prediction."""
    from .backbones import resolve_model
    from .hf import AutoConfig, AutoModelForSequenceClassification, PeftModel
    from .padding import match_padding

    folder = Path(folder)
    if base_model is None:
        from .run_folder import ModelMeta

        base_model = (ModelMeta.read(folder) or ModelMeta()).base_model
        if base_model is None:  # an adapter folder saved without classifier.json: the adapter names its base
            base_model = json.loads((folder / ADAPTER_CONFIG).read_text(encoding="utf-8"))["base_model_name_or_path"]
    base_path, _ = resolve_model(base_model)
    from .pooling import from_pretrained_encoder, is_mean_pooling
    from .security import pretrained_kwargs

    # the classifier's labels, problem type and pad id; never the folder's own code
    config = AutoConfig.from_pretrained(folder, **pretrained_kwargs(folder))
    if is_mean_pooling(config):
        base = from_pretrained_encoder(base_path, config, **pretrained_kwargs(base_path, weights=True))
    else:
        base = AutoModelForSequenceClassification.from_pretrained(base_path, config=config,
                                                                  ignore_mismatched_sizes=True,
                                                                  **pretrained_kwargs(base_path, weights=True))
    match_padding(base, tokenizer)
    if not (folder / ADAPTER_WEIGHTS).is_file():  # peft would fall back to a pickled adapter_model.bin
        from .runs import display_path

        raise ModelError(say("lora_no_weights", path=display_path(folder), file=ADAPTER_WEIGHTS))
    return PeftModel.from_pretrained(base, str(folder)).merge_and_unload()
