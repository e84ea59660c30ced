"""Word dropout (`token_dropout`): which tokens it may hide, and that only training steps see it."""

from __future__ import annotations

import pytest
import torch

from classifier.training.trainer import ClassifierTrainer, drop_tokens


def test_drop_tokens_keeps_the_first_and_last_real_token_and_the_padding():
    torch.manual_seed(0)
    right = torch.tensor([[1] * 40 + [0] * 24] * 50)  # right padding (encoders)
    left = torch.tensor([[0] * 24 + [1] * 40] * 50)  # left padding (some decoders)
    for mask, first, last in ((right, 0, 39), (left, 24, 63)):
        out = drop_tokens(mask, 0.3)
        assert out.shape == mask.shape and out.dtype == mask.dtype
        assert (out[:, first] == 1).all() and (out[:, last] == 1).all()
        assert (out[mask == 0] == 0).all(), "padding became a token"
        assert ((out == 1) <= (mask == 1)).all()
        hidden = ((mask == 1) & (out == 0)).sum().item() / (50 * 38)
        assert 0.25 < hidden < 0.35, hidden  # the rate asked for, over the tokens it may hide
    # rows of one or two tokens keep them all; a different draw each call
    tiny = torch.tensor([[1, 0, 0], [1, 1, 0]])
    assert torch.equal(drop_tokens(tiny, 0.99), tiny)
    assert not torch.equal(drop_tokens(right, 0.3), drop_tokens(right, 0.3))


class _Probe(torch.nn.Module):
    """Records the attention mask it is given and answers fixed logits."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(2))
        self.seen: list[torch.Tensor] = []

    def forward(self, input_ids, attention_mask):
        self.seen.append(attention_mask.clone())
        return {"logits": self.weight.expand(input_ids.shape[0], 2)}


@pytest.mark.parametrize("rate", [0.0, 0.4])
def test_only_training_steps_see_the_dropout(rate):
    from classifier.task import SINGLE_LABEL

    trainer = object.__new__(ClassifierTrainer)  # compute_loss alone: no model, data or arguments needed
    trainer.token_dropout, trainer.class_weights, trainer.label_smoothing = rate, None, 0.0
    trainer.task, trainer.chunk_pooling = SINGLE_LABEL, "mean"
    probe = _Probe()
    mask = torch.ones(8, 64, dtype=torch.long)
    labels = torch.zeros(8, dtype=torch.long)
    batch = {"input_ids": torch.ones(8, 64, dtype=torch.long), "attention_mask": mask, "labels": labels}
    torch.manual_seed(1)
    probe.train()
    trainer.compute_loss(probe, dict(batch))
    probe.eval()
    trainer.compute_loss(probe, dict(batch))
    trained, evaluated = probe.seen
    assert torch.equal(evaluated, torch.ones(8, 64, dtype=torch.long)), "validation must read whole texts"
    if rate:
        assert 0.3 < 1 - trained[:, 1:-1].float().mean().item() < 0.5
    else:
        assert torch.equal(trained, mask)


def test_the_head_strategy_refuses_word_dropout_before_training(tmp_path):
    """The head trains on features computed once from whole texts: word dropout would silently do nothing."""
    from classifier.config import TrainConfig
    from classifier.errors import ConfigError
    from classifier.training import train

    from .conftest import SMS

    with pytest.raises(ConfigError, match="token_dropout"):
        TrainConfig(data=str(SMS), strategy="head", token_dropout=0.1).validate()
    with pytest.raises(ConfigError, match="token_dropout"):
        train(TrainConfig(data=str(SMS), strategy="head", token_dropout=0.1, max_train_samples=100, baseline=False,
                          output=str(tmp_path / "run")), progress=False)
    assert not (tmp_path / "run" / "best").exists()
