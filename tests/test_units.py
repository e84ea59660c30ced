"""Small pieces with exact answers: truncation, metrics, the best-checkpoint rule, model names."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from classifier.backbones import bundled_path, resolve_model
from classifier.encoding import encode_texts
from classifier.errors import ModelError
from classifier.metrics import classification_metrics
from classifier.modeling import load_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(bundled_path("all-MiniLM-L6-v2"))


def test_head_and_head_tail_truncation(tokenizer):
    text = "one two three four five six seven eight nine ten eleven twelve"
    head = tokenizer.convert_ids_to_tokens(encode_texts([text], tokenizer, 8, "head")["input_ids"][0])
    both = tokenizer.convert_ids_to_tokens(encode_texts([text], tokenizer, 8, "head+tail")["input_ids"][0])
    assert head == ["[CLS]", "one", "two", "three", "four", "five", "six", "[SEP]"]
    assert both == ["[CLS]", "one", "eight", "nine", "ten", "eleven", "twelve", "[SEP]"]
    short = encode_texts(["hi there"], tokenizer, 8, "head+tail")["input_ids"][0]
    assert short == tokenizer("hi there")["input_ids"]


def test_macro_scores_ignore_classes_absent_from_the_test_set():
    metrics = classification_metrics([0, 1, 0, 1], [0, 1, 0, 1], ["a", "b", "rare"])
    assert metrics["accuracy"] == 1.0 and metrics["macro_f1"] == 1.0
    assert metrics["per_class"]["rare"]["support"] == 0
    assert metrics["confusion_matrix"] == [[2, 0, 0], [0, 2, 0], [0, 0, 0]]


@pytest.mark.parametrize("metric,values,best,saves,stops", [
    ("loss", [0.5, 0.7, 0.3], 0.3, 2, False),  # lower is better: saved at 0.5 and 0.3
    ("macro_f1", [0.5, 0.7, 0.6], 0.7, 2, False),  # higher is better: saved at 0.5 and 0.7; one miss
    ("macro_f1", [0.5, 0.7, 0.6, 0.65], 0.7, 2, True),  # two misses in a row = patience 2: stop
    ("macro_f1", [0.5, 0.4, 0.6, 0.55], 0.6, 2, False),  # a miss, then a new best resets the count
])
def test_best_checkpoint_rule_and_patience(metric, values, best, saves, stops):
    from classifier.events import EventWriter
    from classifier.training import RunCallback

    saved = []
    callback = RunCallback(SimpleNamespace(requested=lambda: False), EventWriter("/dev/null", enabled=False),
                           lambda: saved.append(1), metric, patience=2, samples_per_step=16)
    state = SimpleNamespace(global_step=1, epoch=1.0, is_world_process_zero=True)
    control = SimpleNamespace(should_training_stop=False)
    key = "eval_loss" if metric == "loss" else f"eval_{metric}"
    for step, value in enumerate(values, start=1):
        state.global_step = step
        callback.on_evaluate(None, state, control, metrics={key: value})
    assert callback.best_value == best and callback.best_step == values.index(best) + 1
    assert len(saved) == saves
    assert control.should_training_stop is stops
    assert (callback.stop_reason is not None) is stops


def test_hub_ids_with_dots_are_hub_ids_not_paths(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="Hugging Face hub.*all-MiniLM-L6-v2"):
        resolve_model("BAAI/bge-small-zh-v1.5")
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model("./no/such/folder")
