"""The rules behind the quality defaults (issue 11): the TF-IDF model stored without pickle, the validated
ensemble, multi-label model selection at tuned thresholds, the advice; and one real training whose validation
choice Predictor must follow."""

from __future__ import annotations

import json

import numpy as np
import pytest

from classifier.advice import advise
from classifier.config import TrainConfig
from classifier.ensemble import blend, choose_weight, fit_temperature
from classifier.task import MULTI_LABEL, SINGLE_LABEL
from classifier.tfidf import JSON_FILE, WEIGHTS_FILE, TfidfModel, unspaced_share

from .conftest import SMS, THUCNEWS


def _sms(n: int | None = None) -> tuple[list[str], np.ndarray, list[str]]:
    rows = [line.split("\t", 1) for line in SMS.read_text(encoding="utf-8").splitlines()[1:]]
    rows = rows[:n] if n else rows
    labels = sorted({r[0] for r in rows})
    return [r[1] for r in rows], np.array([labels.index(r[0]) for r in rows]), labels


def test_tfidf_model_round_trips_without_pickle_and_matches_scikit_learn(tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    texts, y, labels = _sms(2000)
    model = TfidfModel(labels).fit(texts[:1500], y[:1500])
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([JSON_FILE, WEIGHTS_FILE])
    json.loads((tmp_path / JSON_FILE).read_text(encoding="utf-8"))  # plain JSON
    header = (tmp_path / WEIGHTS_FILE).read_bytes()[:8]
    assert int.from_bytes(header, "little") < 10_000  # a safetensors header length, not a pickle opcode stream
    loaded = TfidfModel.load(tmp_path)
    probs = loaded.predict_proba(texts[1500:])
    assert np.abs(probs - model.predict_proba(texts[1500:])).max() < 1e-6
    reference = make_pipeline(make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, max_features=200_000),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True, max_features=300_000),
    ), LogisticRegression(max_iter=2000, C=10.0, random_state=42)).fit(texts[:1500], y[:1500])
    agree = (probs.argmax(-1) == reference.predict(texts[1500:])).mean()
    assert agree >= 0.995, agree
    assert (probs.argmax(-1) == y[1500:]).mean() > 0.95


def test_tfidf_multilabel_and_a_damaged_file_is_refused(tmp_path):
    texts = ["stocks fall", "stocks and schools", "schools open", "football match", "football stocks"] * 6
    matrix = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1]] * 6)
    model = TfidfModel(["stocks", "schools", "sport"], multi_label=True).fit(texts, matrix)
    probs = model.predict_proba(["football stocks", "schools open"])
    assert (probs >= 0.5).astype(int).tolist() == [[1, 0, 1], [0, 1, 0]]
    model.save(tmp_path)
    meta = json.loads((tmp_path / JSON_FILE).read_text(encoding="utf-8"))
    meta["vectorizers"][0]["terms"].pop()
    (tmp_path / JSON_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match="do not match"):
        TfidfModel.load(tmp_path)


def test_tfidf_reads_chinese_by_characters_alone_and_gains_by_it(tmp_path, monkeypatch):
    """Where most letters are of a script written without spaces, the word block is left out: its "words" are
    whole phrases. On real THUCNews titles that beats the word + character features."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    import classifier.tfidf as tfidf

    rows = [line.split("\t", 1) for line in THUCNEWS.read_text(encoding="utf-8").splitlines()[1:]]
    labels = sorted({r[0] for r in rows})
    texts, y = [r[1] for r in rows], np.array([labels.index(r[0]) for r in rows])
    gains = []
    for fold, (train, test) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, y)):
        if fold == 3:
            break
        train = train[:2000]  # about the size where the choice of features matters most
        model = TfidfModel(labels).fit([texts[i] for i in train], y[train])
        assert [settings["analyzer"] for settings, _ in model.vectorizers] == ["char_wb"]
        with monkeypatch.context() as patch:
            patch.setattr(tfidf, "vectorizers_for", lambda texts: tfidf.VECTORIZERS)  # before: word and characters
            with_words = TfidfModel(labels).fit([texts[i] for i in train], y[train])
        gold, held_out = y[test], [texts[i] for i in test]
        gains.append(f1_score(gold, model.predict_proba(held_out).argmax(-1), average="macro")
                     - f1_score(gold, with_words.predict_proba(held_out).argmax(-1), average="macro"))
    assert np.mean(gains) > 0.005, gains  # measured on these three folds: +1.4, +0.7, +1.2 points
    model.save(tmp_path)
    reloaded = TfidfModel.load(tmp_path).predict_proba(held_out[:50])
    assert np.abs(reloaded - model.predict_proba(held_out[:50])).max() < 1e-6
    # English and Korean (written with spaces) keep the word block; Japanese and Thai do not
    sms_texts, sms_y, sms_labels = _sms(300)
    assert [s["analyzer"] for s, _ in TfidfModel(sms_labels).fit(sms_texts, sms_y).vectorizers] == ["word", "char_wb"]
    assert unspaced_share(["오늘 날씨가 좋네요"]) == 0
    assert unspaced_share(["今日はいい天気ですね", "ｶﾀｶﾅ", "人々"]) == 1
    # Thai and Myanmar vowel signs and digits are not letters: they count for neither side
    assert unspaced_share(["วันนี้อากาศดี", "မြန်မာဘာသာစကား"]) == 1
    assert unspaced_share(["๑๒๓ abc"]) == 0
    assert unspaced_share(["iPhone 15 发布会今天举行"]) == 7 / 13
    assert unspaced_share(["", "12345 !!!"]) == 0
    # when none of the chosen blocks can be fitted, a block left out for the script is used instead
    with monkeypatch.context() as patch:
        patch.setattr(tfidf, "vectorizers_for", lambda texts: ({**tfidf.VECTORIZERS[1], "min_df": 50},))
        fallback = TfidfModel(labels).fit(texts[:20], y[:20])
    assert [settings["analyzer"] for settings, _ in fallback.vectorizers] == ["word"]


def test_ensemble_weight_follows_validation():
    gold = np.array([0, 1] * 50)
    perfect = np.eye(2)[gold] * 0.9 + 0.05
    coin = np.full((100, 2), 0.5) + np.random.default_rng(0).normal(0, 0.1, (100, 1)) * [1, -1]
    assert choose_weight(gold, perfect, coin, SINGLE_LABEL).decision == "model"
    assert choose_weight(gold, coin, perfect, SINGLE_LABEL).decision == "baseline"
    # each model is sure and right on one half and unsure-wrong on the other: only the mix gets both halves
    first = np.where(np.arange(100)[:, None] < 50, np.eye(2)[gold] * 0.98 + 0.01, 1 - (np.eye(2)[gold] * 0.2 + 0.4))
    second = np.where(np.arange(100)[:, None] >= 50, np.eye(2)[gold] * 0.98 + 0.01, 1 - (np.eye(2)[gold] * 0.2 + 0.4))
    choice = choose_weight(gold, first, second, SINGLE_LABEL)
    assert choice.decision == "ensemble" and choice.scores[f"{choice.weight:.1f}"] == 1.0
    assert blend(first, second, 1.0) is first


def test_multi_label_keeps_the_model_alone_unless_a_mix_wins_by_more_than_a_point():
    """Multi-label (micro-F1 at thresholds, here fixed at 0.5): the model is wrong (0.6 for the other label) on k of
    200 validation texts where TF-IDF is sure and right; a mix fixes them. One text is noise: the model stays; six
    are not."""
    gold = np.eye(2)[np.array([0, 1] * 100)]

    def models(k: int) -> tuple[np.ndarray, np.ndarray]:
        model = gold * 0.8 + 0.1
        tfidf = 1 - (gold * 0.1 + 0.45)  # weakly wrong everywhere...
        model[:k] = 1 - (gold[:k] * 0.2 + 0.4)
        tfidf[:k] = gold[:k] * 0.98 + 0.01  # ...but sure and right where the model is wrong
        return model, tfidf

    assert choose_weight(gold, *models(1), MULTI_LABEL, 0.5).decision == "model"
    assert choose_weight(gold, *models(6), MULTI_LABEL, 0.5).decision == "ensemble"
    assert choose_weight(gold, *models(0), MULTI_LABEL, 0.5).weight == 1.0
    assert choose_weight(gold, *models(6), MULTI_LABEL, 0.5).temperatures is None  # raw probabilities


def test_temperature_scaling_finds_how_overconfident_a_model_is():
    """Labels drawn from softmax(logits); a model that says softmax(3 x logits) is overconfident by 3, and the
    temperature with the lowest log-loss says so; the true probabilities need none (about 1)."""
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, (5000, 4))
    true = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    gold = np.array([rng.choice(4, p=row) for row in true])
    sharp = np.exp(3 * logits) / np.exp(3 * logits).sum(1, keepdims=True)
    assert fit_temperature(SINGLE_LABEL, gold, sharp) == pytest.approx(3.0, rel=0.1)
    assert fit_temperature(SINGLE_LABEL, gold, true) == pytest.approx(1.0, rel=0.1)
    assert np.allclose(SINGLE_LABEL.scaled(sharp, 3.0), true, atol=1e-3)


def test_single_label_weight_is_the_mix_with_the_lowest_validation_log_loss():
    """Single-label: the weight whose mix of the temperature-scaled models has the lowest validation log-loss. Each
    model is unsure and wrong on 30 texts the other is right on: the mix gets all of them. A validation F1 spike cannot
    choose: a mix that flips one text right (+1.7 points of macro-F1, above the old one-point margin) while TF-IDF
    is a coin everywhere else loses to the model alone."""
    gold = np.array([0, 1, 2] * 100)
    onehot = np.eye(3)[gold]
    unsure = np.roll(onehot, 1, axis=1) * 0.45 + onehot * 0.35 + np.roll(onehot, 2, axis=1) * 0.2  # wrong, just
    model, tfidf = onehot * 0.85 + 0.05, onehot * 0.55 + 0.15
    model[:30], tfidf[100:130] = unsure[:30], unsure[100:130]
    choice = choose_weight(gold, model, tfidf, SINGLE_LABEL)
    assert choice.decision == "ensemble" and choice.scores[f"{choice.weight:.1f}"] == 1.0, choice
    assert len(choice.temperatures) == 2 and all(0 < t < 1 for t in choice.temperatures)  # both under-confident
    assert choice.to_dict()["temperatures"] == choice.temperatures  # kept in best/classifier.json, for the record
    assert (blend(model, tfidf, choice.weight).argmax(1) == gold).all()  # the answer: the models' own probabilities
    coin = np.full((300, 3), 1 / 3) + np.random.default_rng(0).normal(0, 0.01, (300, 3))
    coin[0] = onehot[0] * 0.98 + 0.01
    spiky = choose_weight(gold, model, coin, SINGLE_LABEL)
    assert max(spiky.scores.values()) > spiky.scores["1.0"] + 0.01 and spiky.decision == "model", spiky


def test_multilabel_validation_score_moves_before_probabilities_pass_one_half():

    gold = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]] * 5)
    logits = np.where(gold == 1, -0.5, -2.0)  # every sigmoid below 0.5, but the right labels rank first
    tuned = MULTI_LABEL.eval_metrics(None)((logits, gold))
    fixed = MULTI_LABEL.eval_metrics(0.5)((logits, gold))
    assert fixed["micro_f1"] == 0.0 and tuned["micro_f1"] == 1.0 and tuned["macro_f1"] == 1.0


def test_advice_names_what_to_do():
    base = {"per_class": {"ham": {"f1": 0.98, "support": 500}, "spam": {"f1": 0.4, "support": 70}},
            "macro_f1": 0.91, "accuracy": 0.95, "best_step": 100, "steps_trained": 100}
    keys = [a.key for a in advise({**base, "decision": "baseline", "model_only": {"macro_f1": 0.6},
                                   "baseline": {"macro_f1": 0.91},
                                   "ensemble": {"validation_scores": {"1.0": 0.6, "0.0": 0.9}}}, 3, 3000)]
    assert keys[0] == "baseline_wins" and "still_improving" in keys and "weak_class" in keys
    won = advise({**base, "decision": "baseline", "ensemble": {"validation_scores": {"1.0": 0.6, "0.0": 0.9}}},
                 3, 3000)[0].text
    assert "beat the fine-tuned model on the validation split (0.900 vs 0.600 macro_f1)" in won  # the winner first
    text = advise({**base, "decision": "baseline", "ensemble": {"validation_scores": {"1.0": 0.6, "0.0": 0.9}}},
                  3, 3000, "zh")[0].text
    assert "--epochs 6" in text and "bert-base-chinese" in text
    early = advise({**base, "best_step": 40, "stopped_early": True, "decision": "model", "model_only":
                    {"macro_f1": 0.95}, "baseline": {"macro_f1": 0.9}}, 3, 3000)
    assert [a.key for a in early][:2] == ["model_beats_baseline", "stopped_early"]
    assert [a.key for a in advise({**base, "per_class": {}}, 3, 150)] == ["still_improving", "small_data"]



def test_the_best_checkpoint_is_the_one_with_the_lowest_validation_loss_by_default(tmp_path):
    """Stop 23: checkpoints are chosen (and early stopping watches) by validation loss, not macro-F1: on the quality
    benchmark the macro-F1 of a few hundred validation texts picked checkpoints up to a point worse on held-out data
    (BBC: step 99 of 198, 0.9706 against 0.9807 for the lowest-loss one)."""
    from types import SimpleNamespace

    from classifier.events import EventWriter
    from classifier.training import RunCallback

    config = TrainConfig(data="x.csv")
    assert config.metric_for_best_model == "loss"
    saved = []
    events = tmp_path / "events.jsonl"
    callback = RunCallback(SimpleNamespace(requested=lambda: False), EventWriter(events),
                           lambda: saved.append(state.global_step), config.metric_for_best_model,
                           config.early_stopping_patience, samples_per_step=16)
    state = SimpleNamespace(global_step=0, epoch=1.0, is_world_process_zero=True)
    control = SimpleNamespace(should_training_stop=False)
    # macro-F1 peaks at step 2 on a small validation split; the loss keeps falling to step 4
    for step, (loss, f1) in enumerate([(0.40, 0.90), (0.30, 0.97), (0.25, 0.95), (0.24, 0.95)], start=1):
        state.global_step = step
        callback.on_evaluate(None, state, control, metrics={"eval_loss": loss, "eval_macro_f1": f1})
    assert saved == [1, 2, 3, 4] and callback.best_step == 4 and not control.should_training_stop
    evals = [json.loads(line) for line in events.read_text().splitlines() if '"eval"' in line]
    assert [e["best_by"] for e in evals] == ["loss"] * 4  # the chart rings the loss curve from this
    state.global_step = 5  # a diverged loss is never the best checkpoint
    callback.on_evaluate(None, state, control, metrics={"eval_loss": float("nan"), "eval_macro_f1": 0.1})
    assert callback.best_step == 4 and saved == [1, 2, 3, 4] and callback.bad_evals == 1
    text = advise({"macro_f1": 0.9, "best_step": 4, "steps_trained": 4, "best_validation_loss": 0.24}, 3, 3000)
    assert "Validation loss was still improving" in text[0].text


@pytest.mark.slow
def test_predictor_answers_with_the_choice_validation_made(tmp_path):
    """A one-epoch model on 300 SMS texts is weak (it barely finds spam); TF-IDF is not: validation must pick TF-IDF
    or the mix, the run folder must hold the TF-IDF part, and Predictor must answer the mix it chose."""
    from classifier.config import TrainConfig
    from classifier.predict import Predictor
    from classifier.training import train

    run = tmp_path / "run"
    result = train(TrainConfig(data=str(SMS), output=str(run), max_train_samples=300, epochs=1), progress=False)
    metrics = result.metrics
    meta = json.loads((run / "best" / "classifier.json").read_text(encoding="utf-8"))
    weight = meta["ensemble"]["weight"]
    assert weight < 1.0 and metrics["decision"] in ("baseline", "ensemble")
    scores = meta["ensemble"]["validation_scores"]
    assert scores[f"{weight:.1f}"] > scores["1.0"]  # what validation chose (by log-loss) also labels more right
    temperatures = meta["ensemble"]["temperatures"]  # single-label: fitted on validation to choose the weight
    assert len(temperatures) == 2 and all(t > 0 for t in temperatures)
    assert (run / "best" / JSON_FILE).is_file() and (run / "best" / WEIGHTS_FILE).is_file()
    texts, y, _ = _sms(200)
    predictor = Predictor(run)
    assert predictor.decision == metrics["decision"]
    alone = Predictor(run, ensemble=False)
    expected = blend(alone.model_proba(texts), TfidfModel.load(run / "best").predict_proba(texts), weight)
    if weight <= 0.0:
        expected = TfidfModel.load(run / "best").predict_proba(texts)
    assert np.abs(predictor.predict_proba(texts) - expected).max() < 1e-5
    # the headline test numbers are those of what the run answers, with the model alone and TF-IDF beside them
    assert metrics["accuracy"] >= metrics["model_only"]["accuracy"] - 0.01
    assert metrics["baseline"]["accuracy"] > 0.9
    assert any(a["key"] in ("baseline_wins", "ensemble_used") for a in metrics["advice"])


def test_mean_pooling_head_reads_the_sentence_embedding_and_round_trips(tmp_path):
    import torch
    from transformers import AutoModel, AutoModelForSequenceClassification, pipeline

    from classifier.backbones import bundled_path
    from classifier.modeling import load_model, load_tokenizer
    from classifier.pooling import MODEL_TYPE, masked_mean

    path = bundled_path("all-MiniLM-L6-v2")
    tokenizer = load_tokenizer(path)
    loaded = load_model(path, {0: "ham", 1: "spam"}, tokenizer, pooling="mean")
    model = loaded.model.eval()
    assert model.config.model_type == MODEL_TYPE and loaded.head is model.classifier
    batch = tokenizer(["free prize, call now", "see you at lunch tomorrow then"], padding=True, return_tensors="pt")
    with torch.no_grad():
        reference = masked_mean(AutoModel.from_pretrained(path)(**batch).last_hidden_state, batch["attention_mask"])
        captured = []
        handle = model.classifier.register_forward_hook(lambda m, i, o: captured.append(i[0]))
        logits = model(**batch).logits
        handle.remove()
    torch.testing.assert_close(captured[0], reference)  # the head sees the pretrained sentence embedding
    model.save_pretrained(tmp_path, safe_serialization=True)
    tokenizer.save_pretrained(tmp_path)
    again = AutoModelForSequenceClassification.from_pretrained(tmp_path, use_safetensors=True).eval()
    with torch.no_grad():
        torch.testing.assert_close(again(**batch).logits, logits)
    answers = pipeline("text-classification", model=str(tmp_path), device="cpu")(["free prize, call now"])
    assert answers[0]["label"] in ("ham", "spam")
    # padding does not move a text's vector: the mean is over its own tokens only
    with torch.no_grad():
        alone = model(**tokenizer(["free prize, call now"], return_tensors="pt")).logits
    torch.testing.assert_close(alone[0], logits[0], atol=1e-5, rtol=1e-5)


def test_pooling_auto_is_mean_for_the_bundled_encoders_only():
    from classifier.backbones import bundled_path
    from classifier.config import TrainConfig
    from classifier.errors import ConfigError
    from classifier.training import choose_pooling

    minilm = bundled_path("all-MiniLM-L6-v2")
    assert choose_pooling(TrainConfig(data="x"), "all-MiniLM-L6-v2", minilm) == "mean"
    assert choose_pooling(TrainConfig(data="x", pooling="cls"), "all-MiniLM-L6-v2", minilm) == "cls"
    assert choose_pooling(TrainConfig(data="x"), str(minilm), minilm) == "cls"  # a folder: the model's own head
    with pytest.raises(ConfigError, match="Mean pooling is for encoders"):
        choose_pooling(TrainConfig(data="x", pooling="mean"), "gpt2-like", _tiny_decoder_folder())


def _tiny_decoder_folder():
    import tempfile

    from transformers import LlamaConfig

    folder = tempfile.mkdtemp()
    LlamaConfig(vocab_size=50, hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
                num_key_value_heads=2).save_pretrained(folder)
    return folder


def test_a_run_folder_cannot_make_the_mean_pooling_model_run_code(tmp_path, monkeypatch):
    """A crafted best/config.json whose backbone names code from a hub repository (auto_map) loads the encoder
    class transformers ships, never asking whether to run the repository's code; a self-nested one is refused."""
    import transformers.dynamic_module_utils as dynamic

    from classifier.pooling import MODEL_TYPE, MeanPoolingConfig

    monkeypatch.setattr(dynamic, "get_class_from_dynamic_module",
                        lambda *a, **k: pytest.fail("tried to load a repository's code"))
    backbone = {"model_type": "bert", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                "intermediate_size": 64, "vocab_size": 100, "auto_map": {"AutoModel": "attacker/repo--mod.Cls"}}
    config = MeanPoolingConfig(backbone=backbone, num_labels=2)
    assert "auto_map" not in config.backbone_config().to_dict()
    from classifier.pooling import MeanPoolingClassifier

    assert MeanPoolingClassifier(config).backbone.__class__.__name__ == "BertModel"
    with pytest.raises(ValueError, match="encoder backbone"):
        MeanPoolingConfig(backbone={"model_type": MODEL_TYPE}).backbone_config()


def test_learning_rates_per_layer_reach_the_optimizer():
    """MiniLM (6 blocks): head 2e-4, top block 1e-4, each block below x0.8, embeddings 0.8^6; the optimizer that
    Trainer builds carries exactly those rates (weight decay kept off biases and norms)."""
    from datasets import Dataset
    from transformers import TrainingArguments

    from classifier.backbones import bundled_path
    from classifier.layer_lr import parameter_learning_rates
    from classifier.modeling import load_model
    from classifier.training import ClassifierTrainer

    loaded = load_model(bundled_path("all-MiniLM-L6-v2"), {0: "a", 1: "b"}, pooling="cls")
    rates = parameter_learning_rates(loaded.model, 1e-4, 2e-4, 0.8)
    assert rates["classifier.weight"] == 2e-4 and rates["bert.pooler.dense.weight"] == 2e-4
    for i in range(6):
        assert rates[f"bert.encoder.layer.{i}.attention.self.query.weight"] == pytest.approx(1e-4 * 0.8 ** (5 - i))
    assert rates["bert.embeddings.word_embeddings.weight"] == pytest.approx(1e-4 * 0.8 ** 6)
    args = TrainingArguments(output_dir="/tmp/unused", learning_rate=1e-4, weight_decay=0.01, report_to="none",
                             use_cpu=True)
    trainer = ClassifierTrainer(model=loaded.model, args=args, parameter_rates=rates,
                                train_dataset=Dataset.from_dict({"input_ids": [[1]], "labels": [0]}))
    optimizer = trainer.create_optimizer()
    by_param = {id(p): (group["lr"], group["weight_decay"])
                for group in optimizer.param_groups for p in group["params"]}
    named = dict(loaded.model.named_parameters())
    assert by_param[id(named["bert.encoder.layer.0.output.dense.weight"])] == (pytest.approx(1e-4 * 0.8 ** 5), 0.01)
    assert by_param[id(named["bert.encoder.layer.0.output.dense.bias"])][1] == 0.0
    assert by_param[id(named["classifier.weight"])][0] == 2e-4
    assert optimizer.param_groups[0]["lr"] == 1e-4  # the rate Trainer logs is the top block's
    assert sum(len(g["params"]) for g in optimizer.param_groups) == len(named)
    mean = load_model(bundled_path("all-MiniLM-L6-v2"), {0: "a", 1: "b"}, pooling="mean").model
    mean_rates = parameter_learning_rates(mean, 1e-4, None, 0.5)
    assert mean_rates["classifier.weight"] == 1e-4
    assert mean_rates["backbone.encoder.layer.5.output.dense.weight"] == 1e-4
    assert mean_rates["backbone.embeddings.word_embeddings.weight"] == pytest.approx(1e-4 * 0.5 ** 6)


def test_layerwise_decay_defaults_to_0_8_for_full_fine_tuning_only():
    from classifier.config import TrainConfig, default_layerwise_lr_decay

    assert TrainConfig().layerwise_lr_decay is None  # automatic
    assert default_layerwise_lr_decay("full") == 0.8
    for strategy in ("head", "last-n", "lora"):
        assert default_layerwise_lr_decay(strategy) == 1.0


def test_automatic_epochs_give_a_slow_backbone_enough_steps_on_a_small_file():
    from classifier.config import TrainConfig, default_epochs
    from classifier.training.plan import plan_batches

    assert TrainConfig().epochs is None  # automatic
    # multilingual-e5-small in full: 600 optimizer steps, between 3 and 6 epochs
    assert default_epochs("full", "multilingual-e5-small", 88) == 6.0  # 1,400 titles / batch 16
    assert default_epochs("full", "multilingual-e5-small", 150) == 4.0
    assert default_epochs("full", "multilingual-e5-small", 240) == 3.0  # a larger file: 3 epochs are enough
    for strategy, model in (("head", "multilingual-e5-small"), ("full", "all-MiniLM-L6-v2"),
                            ("full", "bert-base-chinese"), ("full", None)):
        assert default_epochs(strategy, model, 50) == 3.0
    planned = plan_batches(TrainConfig(data="x.csv"), "full", 32, False, 1400, "multilingual-e5-small")
    assert (planned.epochs, planned.steps_per_epoch, planned.total_steps) == (6.0, 88, 528)
    given = plan_batches(TrainConfig(data="x.csv", epochs=2), "full", 32, False, 1400, "multilingual-e5-small")
    assert (given.epochs, given.total_steps) == (2.0, 176)  # what the user sets wins


def test_backbone_dropout_keeps_the_models_own_unless_set(sms_run, tmp_path):
    """No default changes the backbone's dropout (0 was measured and dropped: docs/results.md, stop 26); a rate that
    is set reaches every dropout layer of the backbone and none of the head's, and the run says so."""
    import torch

    from classifier.backbones import resolve_model
    from classifier.modeling import load_model, load_tokenizer, set_backbone_dropout
    from classifier.training import train

    assert TrainConfig().backbone_dropout is None  # the model's own
    config = json.loads((sms_run.run_dir / "config.json").read_text(encoding="utf-8"))
    assert config["strategy"] == "full" and config["backbone_dropout"] is None
    assert "Dropout inside the model" not in (sms_run.run_dir / "events.jsonl").read_text(encoding="utf-8")

    path, _ = resolve_model("all-MiniLM-L6-v2")
    tokenizer = load_tokenizer(path)
    model = load_model(path, {0: "ham", 1: "spam"}, tokenizer, pooling="mean").model
    batch = tokenizer(["Free entry in a weekly competition to win FA Cup final tickets"], return_tensors="pt")
    model.train()
    with torch.no_grad():
        assert not torch.equal(model(**batch).logits, model(**batch).logits)  # dropout at 0.1 in training
        assert set_backbone_dropout(model, 0.0) == 19  # 6 blocks x 3 + the embeddings'
        assert model.dropout.p == 0.1  # the head's own is left alone
        model.dropout.p = 0.0
        assert torch.equal(model(**batch).logits, model(**batch).logits)  # no dropout left anywhere
    set_backbone_dropout(model, 0.3)
    assert model.dropout.p == 0.0
    assert {m.p for m in model.backbone.modules() if isinstance(m, torch.nn.Dropout)} == {0.3}
    with pytest.raises(Exception, match="backbone_dropout"):
        TrainConfig(data="x.csv", backbone_dropout=1.5).validate()
    with pytest.raises(Exception, match="head strategy keeps it frozen"):  # features computed once: it would do nothing
        TrainConfig(data="x.csv", strategy="head", backbone_dropout=0.0).validate()
    TrainConfig(data="x.csv", strategy="last-n", backbone_dropout=0.0).validate()

    # a real (short) run with the rate set: stored in config.json, logged, and it still learns
    run = train(TrainConfig(data=str(SMS), output=str(tmp_path / "run"), max_train_samples=800, epochs=2,
                            backbone_dropout=0.0, baseline=False, evals_per_epoch=1), progress=False)
    assert json.loads((run.run_dir / "config.json").read_text(encoding="utf-8"))["backbone_dropout"] == 0.0
    events = (run.run_dir / "events.jsonl").read_text(encoding="utf-8")
    assert "Dropout inside the model while it trains: 0 in 19 layers" in events
    assert run.metrics["accuracy"] >= 0.95, run.metrics["accuracy"]  # the majority class alone is 0.87


def test_truncation_auto_keeps_head_and_tail_of_texts_longer_than_the_model_reads(sms_run):
    """auto: head+tail where max_length is the model's limit (long articles: +0.3, +0.6 on BBC news at two seeds),
    head where it is the 95th percentile of short texts; a choice the user made is kept. The run stores what it
    decided, so Predict reads texts as training did."""
    from classifier.config import TrainConfig, default_truncation

    assert TrainConfig().truncation == "auto"
    assert default_truncation("auto", 512, 512) == "head+tail"
    assert default_truncation("auto", 56, 512) == "head"
    assert default_truncation("auto", 1024, 512) == "head+tail"  # never above the limit, but never "head" there
    for given in ("head", "head+tail", "chunk"):
        assert default_truncation(given, 512, 512) == given
    # the SMS run (defaults; its texts fit in 56 tokens or so) decided head, and says so in both places
    config = json.loads((sms_run.run_dir / "config.json").read_text(encoding="utf-8"))
    meta = json.loads((sms_run.run_dir / "best" / "classifier.json").read_text(encoding="utf-8"))
    assert config["max_length"] < 512 and config["truncation"] == meta["truncation"] == "head"


def test_a_default_full_run_trains_with_layerwise_decay(sms_run):
    """The SMS fixture is a default run (full fine-tuning, nothing about decay set): its resolved config says 0.8,
    its optimizer had one rate per layer, and it still learns (measured on the quality benchmark: docs/results.md)."""
    config = json.loads((sms_run.run_dir / "config.json").read_text(encoding="utf-8"))
    assert config["strategy"] == "full" and config["layerwise_lr_decay"] == 0.8
    assert config["epochs"] == 2  # the fixture's own (automatic epochs are resolved into config.json likewise)
    events = (sms_run.run_dir / "events.jsonl").read_text(encoding="utf-8")
    # MiniLM-L6: six blocks and the embeddings each at their own rate; the head shares the top block's
    assert "Learning rates per layer: 7 rates" in events and "decay 0.8)" in events
    assert sms_run.metrics["model_only"]["accuracy"] >= 0.97


def test_default_learning_rate_per_backbone_and_strategy():
    from classifier.backbones import BUNDLED
    from classifier.config import default_learning_rate

    # 5e-5 for e5 was measured and not kept (docs/results.md); the mechanism stays for backbones that need it
    assert default_learning_rate("full", "multilingual-e5-small") == 1e-4
    assert default_learning_rate("full", "all-MiniLM-L6-v2") == 1e-4
    try:
        object.__setattr__(BUNDLED["all-MiniLM-L6-v2"], "full_learning_rate", 3e-5)
        assert default_learning_rate("full", "all-MiniLM-L6-v2") == 3e-5
    finally:
        object.__setattr__(BUNDLED["all-MiniLM-L6-v2"], "full_learning_rate", None)
    assert default_learning_rate("full", "bert-base-chinese") == 1e-4
    assert default_learning_rate("head", "multilingual-e5-small") == 2e-3  # only `full` has a per-backbone rate


def test_pooling_auto_keeps_berts_head_for_lora():
    from classifier.backbones import bundled_path
    from classifier.config import TrainConfig
    from classifier.training import choose_pooling

    minilm = bundled_path("all-MiniLM-L6-v2")
    assert choose_pooling(TrainConfig(data="x", strategy="lora"), "all-MiniLM-L6-v2", minilm) == "cls"
    assert choose_pooling(TrainConfig(data="x", strategy="lora", pooling="mean"), "all-MiniLM-L6-v2", minilm) == "mean"


def test_the_answering_tfidf_model_learns_from_validation_once_the_weight_is_chosen(sms_run, tmp_path):
    """Single-label: the weight is chosen with the TF-IDF model of the training split (validation unseen); then
    the TF-IDF model that answers, is stored and is reported is fitted on training + validation texts, under
    --max-train-samples like the refit (docs/results.md, stop 18: +0.2 and +0.25 answered on two held-out sets)."""
    import shutil

    from classifier.config import TrainConfig
    from classifier.data import prepare_data
    from classifier.ensemble import choose_on_validation

    run = tmp_path / "run"
    shutil.copytree(sms_run.run_dir, run)
    data = prepare_data(str(SMS), None, None, None, None, 0.15, 0.15, 42, False, 400)
    names, gold = data.labels.names, data.targets(data.validation)
    val_texts = data.validation["text"].tolist()

    def fitted(frame) -> TfidfModel:
        return TfidfModel(names).fit(frame["text"].tolist(), data.targets(frame), seed=42)

    train_only = fitted(data.train)
    decided = choose_on_validation(run, data, TrainConfig(data=str(SMS), output=str(run)))  # no row limit
    # the choice was made with the model that had not seen validation...
    unseen = SINGLE_LABEL.validation_score(gold, train_only.predict_proba(val_texts).argmax(axis=1))
    assert decided.choice.scores["0.0"] == pytest.approx(unseen, abs=1e-4) and unseen < 0.99
    # ...and what answers learned from train + validation: it is all but perfect on the texts it has now seen
    both = data.with_validation_in_train()
    assert np.allclose(decided.tfidf.coef, fitted(both.train).coef, atol=1e-6)
    assert SINGLE_LABEL.validation_score(gold, decided.tfidf.predict_proba(val_texts).argmax(axis=1)) > unseen
    if decided.choice.weight < 1.0:  # stored where the run answers with it
        assert np.allclose(TfidfModel.load(run / "best").coef, decided.tfidf.coef, atol=1e-6)
    # --max-train-samples caps the rows the TF-IDF model learns from as well
    capped = choose_on_validation(run, data, TrainConfig(data=str(SMS), output=str(run), max_train_samples=400))
    assert np.allclose(capped.tfidf.coef, train_only.coef, atol=1e-6)


def test_the_still_improving_advice_names_the_loss_in_the_page_language():
    from classifier.webui.evaluate_tab import advice_block

    metrics = {"macro_f1": 0.9, "best_step": 4, "steps_trained": 4, "best_validation_loss": 0.24}
    metrics["advice"] = [a.to_dict() for a in advise(metrics, 3, 3000)]
    assert "验证集 损失 在最后一次评估时仍在改善" in advice_block(metrics, "zh")
    assert "Validation loss was still improving" in advice_block(metrics, "en")
