"""The model for the task: a pretrained backbone with a classification head, and what of it is trained.

We use transformers' own `AutoModelForSequenceClassification` so that a saved run loads anywhere with
`pipeline("text-classification", model=RUN/best)`. Its head pools the first token for BERT-style encoders and
the last non-padding token for GPT-style decoders.

Strategies:
- `full`   every weight trains (optionally not the token embeddings of a huge vocabulary, see TrainConfig);
- `head`   the backbone is frozen: its pooled features are computed once per text and only the head trains;
- `last-n` the last N transformer blocks, the final norm (decoders) or pooler (BERT) and the head train.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import nn

from .errors import ModelError
from .messages import say
from .runs import display_path
from .security import check_model_code, pretrained_kwargs
from .task import task_for


@dataclass
class LoadedModel:
    model: nn.Module
    tokenizer: object
    head: nn.Module  # the final linear layer that maps pooled features to logits
    model_limit: int  # the longest input the model takes, in tokens


def load_tokenizer(path):
    from .hf import AutoTokenizer

    check_model_code(path)  # a model with code of its own is refused with its own message, not "cannot load"
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, **pretrained_kwargs(path))
    except Exception as exc:
        reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise ModelError(say("model_tokenizer_failed", path=display_path(path), reason=reason)) from None
    # GPT-style tokenizers have no pad token (or one that collides with eos): classifier.padding picks a safe one
    from .padding import fix_padding

    fix_padding(tokenizer)
    return tokenizer


def model_limit_of(config, tokenizer) -> int:
    limits = [getattr(config, "max_position_embeddings", None), getattr(tokenizer, "model_max_length", None)]
    limits = [int(v) for v in limits if v and int(v) < 1_000_000]
    limit = min(limits) if limits else 512
    # RoBERTa-style position ids start after the padding index: 514 positions hold 512 tokens
    if getattr(config, "model_type", "") in ("roberta", "xlm-roberta", "camembert") and limit > 512:
        limit -= 2
    return limit


def load_model(path, id2label: dict[int, str], tokenizer=None, multi_label: bool = False, pooling: str = "cls"
               ) -> LoadedModel:
    """The pretrained model at `path` with a fresh head for these labels. `pooling="mean"` puts the head on the
    average of the token states (classifier/pooling.py) instead of the model's own [CLS]/last-token head."""
    from .hf import AutoConfig, AutoModelForSequenceClassification
    from .pooling import from_pretrained_encoder, is_mean_pooling

    tokenizer = tokenizer or load_tokenizer(path)
    check_model_code(path)
    try:
        config = AutoConfig.from_pretrained(path, **pretrained_kwargs(path))
    except Exception as exc:
        reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise ModelError(say("model_config_failed", path=display_path(path), reason=reason)) from None
    config.num_labels = len(id2label)
    config.id2label = {int(k): v for k, v in id2label.items()}
    config.label2id = {v: int(k) for k, v in id2label.items()}
    # multi-label: pipeline() and other loaders then apply a sigmoid per label instead of a softmax
    config.problem_type = task_for(multi_label).problem_type
    if getattr(config, "pad_token_id", None) is None:
        config.pad_token_id = tokenizer.pad_token_id
    try:
        if pooling == "mean" and not is_mean_pooling(config):
            model = from_pretrained_encoder(path, config, **pretrained_kwargs(path, weights=True))
        else:
            model = AutoModelForSequenceClassification.from_pretrained(
                path, config=config, ignore_mismatched_sizes=True, **pretrained_kwargs(path, weights=True))
    except Exception as exc:
        reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise ModelError(say("model_not_classifier", path=display_path(path), reason=reason)) from None
    from .padding import match_padding

    match_padding(model, tokenizer)
    return LoadedModel(model=model, tokenizer=tokenizer, head=find_head(model),
                       model_limit=model_limit_of(config, tokenizer))


def find_head(model: nn.Module) -> nn.Module:
    """The output layer: `classifier` (BERT family; may be a small MLP), `score` (Llama, GPT-2)."""
    for name in ("classifier", "score", "logits_proj"):
        module = getattr(model, name, None)
        if isinstance(module, nn.Module):
            return module
    raise ModelError(say("model_no_head", kind=type(model).__name__))


def find_blocks(model: nn.Module) -> nn.ModuleList:
    """The stack of transformer blocks: the longest ModuleList of identical modules in the backbone."""
    best = None
    for module in model.modules():
        if isinstance(module, nn.ModuleList) and len(module) > 0:
            kinds = {type(m) for m in module}
            if len(kinds) == 1 and (best is None or len(module) > len(best)):
                best = module
    if best is None:
        raise ModelError(say("model_no_blocks", kind=type(model).__name__))
    return best


def _final_modules(model: nn.Module) -> list[nn.Module]:
    """What sits between the last block and the head: BERT's pooler, a decoder's final norm."""
    base = getattr(model, model.base_model_prefix, model)
    found = []
    for name in ("pooler", "norm", "ln_f", "final_layer_norm", "layer_norm"):
        module = getattr(base, name, None)
        if isinstance(module, nn.Module):
            found.append(module)
    # DistilBERT and RoBERTa keep a pre-classifier / dense inside the head itself: covered by the head.
    pre = getattr(model, "pre_classifier", None)
    if isinstance(pre, nn.Module):
        found.append(pre)
    return found


def apply_strategy(loaded: LoadedModel, strategy: str, last_n_layers: int = 2, freeze_embeddings: bool = False
                   ) -> dict[str, int]:
    """Set requires_grad for the strategy; return trainable and total parameter counts."""
    model = loaded.model
    if strategy == "full":
        for p in model.parameters():
            p.requires_grad = True
        if freeze_embeddings:
            model.get_input_embeddings().weight.requires_grad = False
    elif strategy in ("head", "last-n"):
        for p in model.parameters():
            p.requires_grad = False
        trainable = [loaded.head]
        if strategy == "last-n":
            trainable.extend(_final_modules(model))
            blocks = find_blocks(model)
            n = min(last_n_layers, len(blocks))
            trainable.extend(blocks[len(blocks) - n:])
        for module in trainable:
            for p in module.parameters():
                p.requires_grad = True
    else:
        raise ModelError(say("model_bad_strategy", strategy=strategy))
    total = sum(p.numel() for p in model.parameters())
    trainable_count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"trainable_parameters": trainable_count, "total_parameters": total}


def set_backbone_dropout(model: nn.Module, rate: float) -> int:
    """Every dropout layer of the backbone (`model.base_model`: after the embeddings, in attention, after each block)
    drops `rate` from now on; the head's own dropout is left as it is. Returns how many layers were set (0 for a
    model that applies dropout without layers, such as Llama's attention: its config's rate stays)."""
    base = model.base_model
    if base is model:  # no separate backbone: nothing to tell apart from the head
        return 0
    layers = [m for m in base.modules() if isinstance(m, nn.Dropout)]
    for layer in layers:
        layer.p = float(rate)
    return len(layers)


class HeadOnlyModel(nn.Module):
    """The head alone, fed with pooled features computed once by the frozen backbone.

    It shares its parameters with the full model, so once trained, saving the full model saves the trained head.
    The features are standardised (per dimension, with the training set's mean and spread) before the head sees
    them: BERT pooler outputs vary by a few hundredths, too little for a linear layer to learn from in a few
    hundred optimiser steps. `folded()` writes the standardisation into the head's first linear layer, so the
    saved model takes raw features like any other and needs nothing extra at prediction time.
    """

    def __init__(self, head: nn.Module, mean: torch.Tensor | None = None, std: torch.Tensor | None = None) -> None:
        super().__init__()
        self.head = head
        # a plain attribute, not a registered submodule: its weights belong to `head` once, so a Trainer checkpoint
        # (safetensors refuses tensors that appear under two names) holds them once
        object.__setattr__(self, "first_linear", next((m for m in head.modules() if isinstance(m, nn.Linear)), None))
        dim = self.first_linear.in_features if self.first_linear is not None else 0
        if mean is None or std is None or self.first_linear is None:
            mean, std = torch.zeros(dim), torch.ones(dim)
        elif self.first_linear.bias is None:
            mean = torch.zeros_like(mean)  # a shift cannot be folded into a layer without a bias: scale only
        self.register_buffer("mean", mean.float().reshape(-1), persistent=False)
        self.register_buffer("std", std.float().clamp_min(1e-6).reshape(-1), persistent=False)

    def forward(self, features: torch.Tensor, labels: torch.Tensor | None = None):
        from .hf import SequenceClassifierOutput

        logits = self.head((features - self.mean) / self.std)
        if logits.dim() == 3:
            logits = logits[:, -1]
        return SequenceClassifierOutput(logits=logits)

    @contextlib.contextmanager
    def folded(self):
        """Inside the block the head's weights take raw features: W' = W / std, b' = b - W' @ mean."""
        linear = self.first_linear
        if linear is None:
            yield
            return
        with torch.no_grad():
            weight = linear.weight.detach().clone()
            bias = linear.bias.detach().clone() if linear.bias is not None else None
            scaled = weight / self.std.to(weight.device)
            shift = scaled @ self.mean.to(weight.device)
            linear.weight.copy_(scaled)
            if bias is not None:
                linear.bias.sub_(shift)
        try:
            yield
        finally:
            with torch.no_grad():
                linear.weight.copy_(weight)
                if bias is not None:
                    linear.bias.copy_(bias)


@torch.inference_mode()
def pooled_features(model: nn.Module, head: nn.Module, batches) -> torch.Tensor:
    """Run the frozen model and capture what enters the head, one row per text.

    A forward hook on the head sees exactly what the full model feeds it, so training the head on these features
    is the same as training it inside the full model with the backbone frozen and dropout off. BERT's head gets
    the pooled vector already; heads that pool themselves get the whole sequence, of which we keep only the token
    they read: the first (RoBERTa-style heads) or the last non-padding one (decoders' `score`).
    """
    captured: list[torch.Tensor] = []
    mask_now: list[torch.Tensor | None] = [None]

    def hook(_module, inputs, _output):
        x = inputs[0].detach()
        if x.dim() == 3:
            if head is getattr(model, "score", None):
                mask = mask_now[0]
                last = (mask.shape[1] - 1 - mask.flip(1).argmax(1)) if mask is not None else \
                    torch.full((x.shape[0],), x.shape[1] - 1)
                x = x[torch.arange(x.shape[0]), last.to(x.device)]
            else:
                x = x[:, :1]
        captured.append(x.float().cpu())

    handle = head.register_forward_hook(hook)
    model.eval()
    try:
        for batch in batches:
            mask_now[0] = batch.get("attention_mask")
            model(**batch)
    finally:
        handle.remove()
    return torch.cat(captured) if captured else torch.empty(0)
