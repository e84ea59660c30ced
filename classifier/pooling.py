"""Mean pooling: a classification head on the average of the token states, for sentence-embedding encoders.

all-MiniLM-L6-v2 and multilingual-e5-small were trained as sentence-embedding models: their useful sentence
vector is the attention-masked mean of the last hidden states, not the [CLS] state that BERT's sequence-classifier
head reads (e5 has no trained pooler at all). Fine-tuning from the representation the model was trained to produce
starts closer to the answer (measured in docs/results.md).

`MeanPoolingClassifier` is a regular transformers model (`save_pretrained`/`from_pretrained`, Trainer, peft,
gradient checkpointing): the backbone is any `AutoModel` encoder, stored as `backbone.*`; the head is dropout + one
linear layer named `classifier`, as in `BertForSequenceClassification`. Importing this module registers the
config type `text-classifier-studio-mean-pooling` with the Auto classes, so after `import classifier.pooling`,
`AutoModelForSequenceClassification.from_pretrained(RUN/best)` and `pipeline("text-classification", RUN/best)`
load a saved run; without that import they fail with "unrecognized model type", never silently with another head.
"""

from __future__ import annotations

import torch
from torch import nn

from .hf import (
    AutoConfig,
    AutoModel,
    AutoModelForSequenceClassification,
    PreTrainedConfig,
    PreTrainedModel,
    SequenceClassifierOutput,
)

MODEL_TYPE = "text-classifier-studio-mean-pooling"
POOLINGS = ("auto", "cls", "mean")


class MeanPoolingConfig(PreTrainedConfig):
    model_type = MODEL_TYPE

    def __init__(self, backbone: dict | None = None, classifier_dropout: float = 0.1, **kwargs) -> None:
        self.backbone = dict(backbone or {})
        self.classifier_dropout = classifier_dropout
        # what the rest of the engine reads from a model config (the length limit, the width)
        for key in ("max_position_embeddings", "hidden_size", "vocab_size"):
            if key in self.backbone and key not in kwargs:
                kwargs[key] = self.backbone[key]
        if "pad_token_id" not in kwargs and "pad_token_id" in self.backbone:
            kwargs["pad_token_id"] = self.backbone["pad_token_id"]
        super().__init__(**kwargs)

    def backbone_config(self):
        """The encoder's config, built from a class transformers itself ships: a stored `auto_map` (code from a
        hub repository) is dropped and never run, whatever the folder says."""
        values = {k: v for k, v in self.backbone.items() if k != "auto_map"}
        kind = values.pop("model_type", None)
        if not kind or kind == MODEL_TYPE:
            raise ValueError(f"a mean-pooling classifier needs an encoder backbone, not {kind!r}")
        return AutoConfig.for_model(kind, **values)


class MeanPoolingClassifier(PreTrainedModel):
    config_class = MeanPoolingConfig
    base_model_prefix = "backbone"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flash_attn = True

    def __init__(self, config: MeanPoolingConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.backbone = _bare_encoder(config.backbone_config())
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(self.backbone.config.hidden_size, config.num_labels)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        if module is getattr(self, "classifier", None):
            nn.init.normal_(module.weight, std=0.02)
            nn.init.zeros_(module.bias)

    def get_input_embeddings(self) -> nn.Module:
        return self.backbone.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.backbone.set_input_embeddings(value)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, **kwargs) -> SequenceClassifierOutput:
        extra = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                               inputs_embeds=inputs_embeds, **extra).last_hidden_state
        pooled = masked_mean(hidden, attention_mask)
        logits = self.classifier(self.dropout(pooled))
        loss = None
        if labels is not None:
            if self.config.problem_type == "multi_label_classification":
                loss = nn.functional.binary_cross_entropy_with_logits(logits.float(), labels.float())
            else:
                loss = nn.functional.cross_entropy(logits.float().view(-1, self.num_labels), labels.view(-1))
        return SequenceClassifierOutput(loss=loss, logits=logits)


def masked_mean(hidden: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    if attention_mask is None:
        return hidden.mean(1)
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp_min(1e-9)


def _bare_encoder(backbone_config) -> nn.Module:
    """The encoder without a pooler where the architecture has one (BERT): it would be unused weights."""
    try:
        return AutoModel.from_config(backbone_config, add_pooling_layer=False, trust_remote_code=False)
    except TypeError:
        return AutoModel.from_config(backbone_config, trust_remote_code=False)


def from_pretrained_encoder(path, classifier_config, **load_kwargs) -> MeanPoolingClassifier:
    """A mean-pooling classifier on the pretrained encoder at `path`, with the labels and problem type of
    `classifier_config` (the AutoConfig of `path` with num_labels, id2label... set) and a fresh head."""
    try:
        encoder = AutoModel.from_pretrained(path, add_pooling_layer=False, **load_kwargs)
    except TypeError:
        encoder = AutoModel.from_pretrained(path, **load_kwargs)
    if getattr(encoder.config, "auto_map", None):
        raise ValueError("mean pooling needs an encoder that transformers ships; this one brings its own code")
    encoder = encoder.float()  # a checkpoint stored in fp16/bf16 trains (and meets the fp32 head) in fp32
    backbone = encoder.config.to_dict()
    for key in ("id2label", "label2id", "num_labels", "problem_type", "architectures", "_name_or_path",
                "transformers_version", "auto_map", "dtype", "torch_dtype"):
        backbone.pop(key, None)
    config = MeanPoolingConfig(
        backbone=backbone, classifier_dropout=getattr(encoder.config, "hidden_dropout_prob", 0.1) or 0.1,
        id2label=classifier_config.id2label, label2id=classifier_config.label2id,
        problem_type=classifier_config.problem_type, pad_token_id=classifier_config.pad_token_id,
    )
    model = MeanPoolingClassifier(config)
    model.backbone = encoder  # the pretrained weights, not the random ones the constructor made
    model.config.architectures = [MeanPoolingClassifier.__name__]
    return model


def is_mean_pooling(config) -> bool:
    return getattr(config, "model_type", "") == MODEL_TYPE


AutoConfig.register(MODEL_TYPE, MeanPoolingConfig, exist_ok=True)
AutoModelForSequenceClassification.register(MeanPoolingConfig, MeanPoolingClassifier, exist_ok=True)
