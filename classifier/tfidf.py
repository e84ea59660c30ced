"""The TF-IDF + logistic-regression model: the baseline every run reports, and the partner of the ensemble.

Features: TF-IDF of word 1-2-grams and of character 1-3-grams (within word boundaries). A training set whose
letters are mostly of a script without spaces between words (Chinese, Japanese, Thai, ...) gets the character
n-grams alone: there the word tokenizer's "words" are whole phrases, near unique to each text, and on the
benchmark's Chinese news titles they cost the model 1.0-2.8 points (docs/results.md, stop 25). Classifier:
multinomial logistic regression for single-label data; one logistic regression per label for multi-label data.

Stored without pickle, so that a shared run folder cannot run code when it is loaded: `tfidf.json` holds the
settings, the labels and one vocabulary per block (n-grams in column order); `tfidf.safetensors` holds the IDF
weights and the regression's coefficients and intercepts as plain arrays. `TfidfModel.load` rebuilds scikit-learn's
vectorizers from the vocabularies and IDF weights and computes the probabilities itself.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from .task import task_for

JSON_FILE = "tfidf.json"
WEIGHTS_FILE = "tfidf.safetensors"
FORMAT_VERSION = 1

# The two vectorizers' settings; the vocabulary caps bound the stored model (at most ~25 MB of vocabulary and
# float32 weights for 10 classes).
VECTORIZERS = (
    {"analyzer": "word", "ngram_range": (1, 2), "min_df": 1, "max_features": 200_000},
    {"analyzer": "char_wb", "ngram_range": (1, 3), "min_df": 2, "max_features": 300_000},
)
C = 10.0

# Letters of scripts written without spaces between words: Han (with 々), kana (with halfwidth katakana), Thai, Lao,
# Myanmar, Khmer. Hangul is written with spaces.
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff"
                       "\u3400-\u4dbf\u4e00-\u9fff\ua9e0-\ua9ff\uaa60-\uaa7f\uf900-\ufaff\uff66-\uff9f"
                       "\U0001b000-\U0001b16f\U00020000-\U0002fa1f\U00030000-\U000323af]")
UNSPACED_SHARE = 0.5  # above this share of the letters, the word block is left out
SAMPLE_CHARACTERS = 1_000_000  # the share is read from the texts' first million characters (bounded time)


def unspaced_share(texts: list[str]) -> float:
    """The share of the letters (of the texts' first SAMPLE_CHARACTERS characters) that belong to scripts written
    without spaces between words: 0 to 1, decided once for a training set."""
    taken, pieces = 0, []
    for text in texts:
        piece = str(text)[:SAMPLE_CHARACTERS - taken]
        pieces.append(piece)
        taken += len(piece)
        if taken >= SAMPLE_CHARACTERS:
            break
    letters = "".join(filter(str.isalpha, "".join(pieces)))  # marks, digits and punctuation count for neither side
    return len(_UNSPACED.findall(letters)) / len(letters) if letters else 0.0


def vectorizers_for(texts: list[str]) -> tuple[dict, ...]:
    """The vectorizers' settings for these training texts: VECTORIZERS, without the word block where most letters
    are of a script written without spaces (its "words" would be whole phrases)."""
    if unspaced_share(texts) > UNSPACED_SHARE:
        return tuple(settings for settings in VECTORIZERS if settings["analyzer"] != "word")
    return VECTORIZERS


def _vectorizer(settings: dict, vocabulary: dict[str, int] | None = None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=settings["analyzer"], ngram_range=tuple(settings["ngram_range"]),
                           min_df=settings["min_df"] if vocabulary is None else 1,
                           max_features=settings["max_features"] if vocabulary is None else None,
                           sublinear_tf=True, vocabulary=vocabulary, dtype=np.float32)


class TfidfModel:
    """fit / predict_proba / save / load; probabilities are a softmax over classes, or a sigmoid per label."""

    def __init__(self, labels: list[str], multi_label: bool = False) -> None:
        self.labels = list(labels)
        self.multi_label = multi_label
        self.task = task_for(multi_label)
        self.vectorizers: list = []
        self.coef = np.zeros((0, 0), dtype=np.float32)  # classes (or labels) x features
        self.intercept = np.zeros(0, dtype=np.float32)
        self.train_seconds = 0.0

    # --- training
    def fit(self, texts: list[str], targets: np.ndarray, seed: int = 42) -> TfidfModel:
        """`targets`: class ids (single-label) or a texts x labels 0/1 matrix (multi-label)."""
        from scipy.sparse import hstack

        start = time.perf_counter()
        texts = [str(t) for t in texts]
        self.vectorizers = []
        blocks = []
        chosen = vectorizers_for(texts)
        # the blocks left out for the script are tried when none of the chosen ones can be fitted
        for settings in (*chosen, *(s for s in VECTORIZERS if s not in chosen)):
            if blocks and settings not in chosen:
                break
            vectorizer = _vectorizer(settings)
            try:
                blocks.append(vectorizer.fit_transform(texts))
            except ValueError:  # e.g. no character n-gram occurs twice: this block is left out
                continue
            self.vectorizers.append((settings, vectorizer))
        features = hstack(blocks).tocsr()
        self.coef, self.intercept = self.task.fit_logistic(features, np.asarray(targets), len(self.labels), C, seed,
                                                           max_iter=2000)
        self.train_seconds = time.perf_counter() - start
        return self

    # --- prediction
    def features(self, texts: list[str]):
        from scipy.sparse import hstack

        texts = [str(t) if t is not None else "" for t in texts]
        return hstack([v.transform(texts) for _, v in self.vectorizers]).tocsr()

    def decision_function(self, texts: list[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return np.asarray(self.features(texts) @ self.coef.T, dtype=np.float32) + self.intercept

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.task.probabilities(self.decision_function(texts))

    # --- storage (no pickle)
    def save(self, folder: str | Path) -> None:
        from safetensors.numpy import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {"coef": self.coef.astype(np.float32), "intercept": self.intercept.astype(np.float32)}
        blocks = []
        for i, (settings, vectorizer) in enumerate(self.vectorizers):
            vocabulary = vectorizer.vocabulary_
            terms = [""] * len(vocabulary)
            for term, column in vocabulary.items():
                terms[column] = term
            arrays[f"idf_{i}"] = vectorizer.idf_.astype(np.float32)
            blocks.append({**settings, "ngram_range": list(settings["ngram_range"]), "terms": terms})
        save_file(arrays, str(folder / WEIGHTS_FILE))
        meta = {"format": FORMAT_VERSION, "labels": self.labels, "multi_label": self.multi_label,
                "method": self.task.baseline_method, "vectorizers": blocks}
        (folder / JSON_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def exists(cls, folder: str | Path) -> bool:
        return (Path(folder) / JSON_FILE).is_file() and (Path(folder) / WEIGHTS_FILE).is_file()

    @classmethod
    def load(cls, folder: str | Path) -> TfidfModel:
        from safetensors.numpy import load_file

        folder = Path(folder)
        meta = json.loads((folder / JSON_FILE).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"{JSON_FILE}: unknown TF-IDF model format {meta.get('format')!r}")
        arrays = load_file(str(folder / WEIGHTS_FILE))
        model = cls([str(x) for x in meta["labels"]], bool(meta["multi_label"]))
        known = {settings["analyzer"]: settings for settings in VECTORIZERS}
        for i, block in enumerate(meta["vectorizers"]):
            # only the vocabulary comes from the file; the n-gram settings are ours (a crafted ngram_range would
            # make every prediction cost the square of a text's length)
            settings = known.get(block.get("analyzer"))
            if settings is None:
                raise ValueError(f"{JSON_FILE}: unknown analyzer {block.get('analyzer')!r}")
            idf = arrays.get(f"idf_{i}")
            if idf is None or idf.shape != (len(block["terms"]),):
                raise ValueError(f"{WEIGHTS_FILE}: the TF-IDF weights do not match the vocabulary")
            vectorizer = _vectorizer(settings, {str(t): j for j, t in enumerate(block["terms"])})
            vectorizer.idf_ = idf.astype(np.float64)
            model.vectorizers.append((settings, vectorizer))
        model.coef, model.intercept = arrays["coef"], arrays["intercept"]
        width = sum(len(b["terms"]) for b in meta["vectorizers"])
        if model.coef.shape != (len(model.labels), width) or model.intercept.shape != (len(model.labels),):
            raise ValueError(f"{WEIGHTS_FILE}: the TF-IDF weights do not match the vocabulary and labels")
        return model


def summary(model: TfidfModel) -> dict[str, Any]:
    return {"method": model.task.baseline_method, "train_seconds": round(model.train_seconds, 2)}
