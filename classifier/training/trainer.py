"""The HF Trainer as the run uses it: the loss (class weights, label smoothing, multi-label, long texts in
windows), learning rates per parameter group, a length-grouped sampler a resumed run can replay, the validation
metrics, and `build_trainer`, which puts them together with the run's callbacks."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import DataCollatorWithPadding, Trainer
from transformers.trainer_callback import PrinterCallback, ProgressCallback
from transformers.trainer_pt_utils import LengthGroupedSampler

from ..config import TrainConfig
from ..data import PreparedData
from ..encoding import pool_logits
from ..events import EventWriter
from ..messages import say
from ..task import SINGLE_LABEL, Task
from .callbacks import QuietProgressCallback
from .plan import ResolvedRun


class ClassifierTrainer(Trainer):
    """Trainer whose loss knows class weights and label smoothing: cross-entropy for single-label data, binary
    cross-entropy with `pos_weight` per label for multi-label data (mean over the batch). With chunked long texts
    a batch holds every window of its texts; the windows' logits are pooled per text before the loss."""

    loss_is_scaled_for_ga = False  # we return a per-batch mean; Trainer divides by the accumulation steps

    def __init__(self, *args, class_weights: torch.Tensor | None = None, label_smoothing: float = 0.0,
                 task: Task = SINGLE_LABEL, chunk_pooling: str = "mean", parameter_rates: dict | None = None,
                 token_dropout: float = 0.0, **kwargs):
        self.parameter_rates = parameter_rates  # name -> learning rate (classifier/layer_lr.py), or None
        super().__init__(*args, **kwargs)
        self.class_weights = class_weights
        self.label_smoothing = label_smoothing
        self.task = task
        self.chunk_pooling = chunk_pooling
        self.token_dropout = token_dropout

    def create_optimizer(self, model=None):
        """Trainer's optimizer, with a learning rate per parameter group when the head has its own rate or the
        layers decay (classifier/layer_lr.py)."""
        if self.optimizer is None and self.parameter_rates:
            from ..layer_lr import parameter_groups

            opt_model = self.model if model is None else model
            groups = parameter_groups(opt_model, self.parameter_rates, set(self.get_decay_parameter_names(opt_model)),
                                      self.args.weight_decay, self.args.learning_rate)
            optimizer_cls, optimizer_kwargs = self.get_optimizer_cls_and_kwargs(self.args, opt_model)
            optimizer_kwargs.pop("lr", None)
            self.optimizer = optimizer_cls(groups, lr=self.args.learning_rate, **optimizer_kwargs)
        return super().create_optimizer(model)

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        """A resumable checkpoint leaves the frozen weights out (light_checkpoint.py); best/ and last/ are written
        whole by the run (training/model.py), not here."""
        from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

        from .light_checkpoint import checkpoint_state, write_frozen_list

        fingerprints: dict = {}
        model = self.accelerator.unwrap_model(self.model, keep_torch_compile=False)
        if (state_dict is None and output_dir and Path(output_dir).name.startswith(PREFIX_CHECKPOINT_DIR)
                and not hasattr(model, "peft_config")):  # peft writes its adapters alone anyway
            state_dict, fingerprints = checkpoint_state(model, self.__dict__.setdefault("_frozen_fingerprints", {}))
        super()._save(output_dir, state_dict)
        if fingerprints and self.args.should_save:
            write_frozen_list(output_dir, fingerprints)

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model=None) -> None:
        """Trainer's loading (not strict), then: the checkpoint must hold every weight the model trains, and the
        frozen weights it left out must equal the freshly built model's."""
        from .light_checkpoint import check_frozen_match

        self._missing_on_load: list[str] = []
        super()._load_from_checkpoint(resume_from_checkpoint, model)
        target = self.accelerator.unwrap_model(model if model is not None else self.model)
        check_frozen_match(resume_from_checkpoint, target)
        trained = {name for name, param in target.named_parameters() if param.requires_grad}
        lacking = [name for name in self._missing_on_load if name in trained]
        if lacking:
            from ..errors import RunError

            raise RunError(say("checkpoint_lacks_weights", checkpoint=Path(resume_from_checkpoint).name,
                               n=len(lacking), example=lacking[0]))

    def _issue_warnings_after_load(self, load_result) -> None:
        self._missing_on_load = list(load_result.missing_keys)
        super()._issue_warnings_after_load(load_result)

    def _get_train_sampler(self, train_dataset=None):
        sampler = super()._get_train_sampler(train_dataset)
        if isinstance(sampler, LengthGroupedSampler):
            seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
            return EpochSeededLengthGroupedSampler(sampler.batch_size, lengths=sampler.lengths, seed=seed)
        return sampler

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        from transformers.modeling_outputs import SequenceClassifierOutput

        labels = inputs.pop("labels")
        owner = inputs.pop("window_owner", None)
        if self.token_dropout and model.training and "attention_mask" in inputs:
            inputs["attention_mask"] = drop_tokens(inputs["attention_mask"], self.token_dropout)
        outputs = model(**inputs)
        logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
        if owner is not None:
            logits = pool_logits(logits.float(), owner, labels.shape[0], self.chunk_pooling)
            outputs = SequenceClassifierOutput(logits=logits)
        weight = self.class_weights.to(logits.device) if self.class_weights is not None else None
        loss = self.task.loss(logits, labels, weight, self.label_smoothing)
        return (loss, outputs) if return_outputs else loss


def drop_tokens(attention_mask: torch.Tensor, rate: float) -> torch.Tensor:
    """Word dropout: each token of each row is hidden (mask 0) with probability `rate`, except the row's first and
    last real tokens ([CLS]/<s> and [SEP]/</s> of an encoder; a decoder's last token, which it pools). Padding stays
    padding, on either side. Draws from torch's global generator, which a resumed run restores."""
    real = attention_mask.bool()
    n = real.shape[1]
    first = real.int().argmax(dim=1)
    last = n - 1 - real.flip(1).int().argmax(dim=1)
    positions = torch.arange(n, device=real.device).unsqueeze(0)
    keep = (positions == first.unsqueeze(1)) | (positions == last.unsqueeze(1))
    dropped = (torch.rand(real.shape, device=real.device) < rate) & real & ~keep
    return attention_mask.masked_fill(dropped, 0)


class EpochSeededLengthGroupedSampler(LengthGroupedSampler):
    """Length-grouped batches whose shuffle is seeded by seed + epoch.

    transformers' LengthGroupedSampler shuffles with the global random state, which a resumed run cannot replay:
    Trainer restores that state only after the epoch's order was drawn, so a resumed epoch saw other batches than the
    uninterrupted run would have. Trainer calls `set_epoch` before each epoch (through accelerate's data loader)."""

    def __init__(self, batch_size: int, lengths: list[int], seed: int) -> None:
        super().__init__(batch_size, lengths=lengths)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        self.generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return super().__iter__()


class ChunkCollator:
    """Texts of several windows each -> one padded batch of all their windows, `window_owner` (the text each
    window belongs to) and one label row per text."""

    def __init__(self, tokenizer, pad_to_multiple_of: int | None = None) -> None:
        self.pad = DataCollatorWithPadding(tokenizer, pad_to_multiple_of=pad_to_multiple_of)

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        windows, owner = [], []
        for i, feature in enumerate(features):
            for ids, mask in zip(feature["input_ids"], feature["attention_mask"]):
                windows.append({"input_ids": ids, "attention_mask": mask})
                owner.append(i)
        batch = self.pad(windows)
        batch["window_owner"] = torch.tensor(owner)
        batch["labels"] = torch.tensor([feature["labels"] for feature in features])
        return batch


def loss_weights(config: TrainConfig, data: PreparedData) -> torch.Tensor | None:
    """Class weights (single-label) or `pos_weight` (multi-label) when class_weights is 'balanced'."""
    if config.class_weights != "balanced":
        return None
    return data.task.loss_weights(data.train["label"], len(data.labels))


def parameter_rates(config: TrainConfig, train_model: torch.nn.Module, learning_rate: float, strategy: str,
                    events: EventWriter) -> dict[str, float] | None:
    """A learning rate per parameter when the head has its own rate or the layers' rates decay; None otherwise."""
    if not (config.head_learning_rate or config.layerwise_lr_decay < 1.0):
        return None
    from ..layer_lr import parameter_learning_rates

    if strategy == "head":  # the head alone trains: its own rate, if any, is the rate
        rates_by_name = {name: config.head_learning_rate or learning_rate
                         for name, p in train_model.named_parameters() if p.requires_grad}
    else:
        rates_by_name = parameter_learning_rates(train_model, learning_rate, config.head_learning_rate,
                                                 config.layerwise_lr_decay)
    rates = sorted(set(rates_by_name.values()))
    events.log(say("log_layer_rates", n=len(rates), low=rates[0], high=rates[-1],
                   head=config.head_learning_rate or learning_rate, decay=config.layerwise_lr_decay))
    return rates_by_name


def build_trainer(plan: ResolvedRun, data: PreparedData, train_model, args, train_set, eval_set, collator,
                  callbacks: list, events: EventWriter, progress: bool) -> ClassifierTrainer:
    """The Trainer of the run, its events written by `callbacks` (RunCallback first) and a quiet progress bar."""
    config = plan.config
    weights = loss_weights(config, data)
    rates = parameter_rates(config, train_model, plan.learning_rate, plan.strategy, events)
    trainer = ClassifierTrainer(
        model=train_model, args=args, train_dataset=train_set, eval_dataset=eval_set, parameter_rates=rates,
        data_collator=collator, callbacks=callbacks,
        compute_metrics=data.task.eval_metrics(config.threshold),
        class_weights=weights, label_smoothing=config.label_smoothing, task=data.task,
        chunk_pooling=config.chunk_pooling, token_dropout=config.token_dropout,
    )
    # The events file is the record; a bar in the terminal is enough, without Trainer's dicts of logs.
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    if progress:
        trainer.add_callback(QuietProgressCallback)
    return trainer
