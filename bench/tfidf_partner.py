"""Settings of the TF-IDF partner of the ensemble, compared after the fact on kept runs.

The fine-tuned model of a kept run (`bench/quality.py --keep-runs DIR`) stays as it is: its validation and test
probabilities are read from the cache that `bench/ensemble_offline.py` writes beside the run (computed here when
missing). For each variant of the TF-IDF model (regularisation C, n-gram ranges) this script does what a run does
(classifier/ensemble.py): fit the TF-IDF model on the training split, choose the weight of the mix on validation
(single-label: temperature-scaled log-loss; multi-label: micro-F1 at tuned thresholds), fit it again on training +
validation (single-label), and answer the held-out test file with the mix at that weight (and thresholds). Only the
TF-IDF side changes, so each variant costs seconds to minutes, not a training.

- `product`   what the product does now: word 1-2-grams and character 1-3-grams, the character block alone for
              scripts written without spaces (Chinese, Japanese, Thai; since stop 25), C = 10
- `c<C>`      word 1-2-grams and character 1-3-grams for every script (the product until stop 24) with
              regularisation C
- `cv`        C chosen per run among CV_GRID by the temperature-scaled validation log-loss of TF-IDF alone (a rule
              a run could apply: validation only)
- `char14`    character n-grams 1-4 instead of 1-3 (C = 10)
- `word1`     word unigrams only (C = 10)
- `char`      character n-grams 1-3 alone, no word block (C = 10)

    python bench/tfidf_partner.py DIR/thucnews_titles/run \
        --test ~/.cache/text-classifier-studio/quality-data/thucnews_titles/test.tsv [--variants c10,c3,cv]

Prints one JSON object: per variant the TF-IDF model alone (test, refit on training + validation), the chosen
weight and the answer's test macro-F1 / accuracy.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CV_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)


def variant_settings(name: str, base: tuple) -> tuple[tuple | None, float]:
    """(VECTORIZERS, C) of a variant name; None: the product's own choice for the texts (tfidf.vectorizers_for)."""
    if name == "product":
        return None, 10.0
    if name.startswith("c") and name[1:].replace(".", "").isdigit():
        return base, float(name[1:])
    if name == "char14":
        word, char = copy.deepcopy(base[0]), copy.deepcopy(base[1])
        char["ngram_range"] = (1, 4)
        return (word, char), 10.0
    if name == "char":  # the character block alone (what the product does for unspaced scripts since stop 25)
        return tuple(copy.deepcopy(b) for b in base if b["analyzer"] != "word"), 10.0
    if name == "word1":
        word, char = copy.deepcopy(base[0]), copy.deepcopy(base[1])
        word["ngram_range"] = (1, 1)
        return (word, char), 10.0
    raise SystemExit(f"unknown variant {name!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--test", type=Path, required=True, help="the held-out test file (label TAB text)")
    parser.add_argument("--variants", default="product,c10,c1,c3,c30,c100,cv,char14,char")
    args = parser.parse_args(argv)

    from quality import read_split
    from sklearn.metrics import accuracy_score, f1_score

    from classifier import ensemble, tfidf
    from classifier.data.prepare import prepare_data
    from classifier.predict import Predictor
    from classifier.run_folder import RunFolder

    config = RunFolder(args.run).read_config()
    data = prepare_data(config["data"], config.get("text_column"), config.get("label_column"),
                        config.get("validation_file"), config.get("test_file"),
                        config.get("validation_fraction", 0.15), config.get("test_fraction", 0.15),
                        config.get("seed", 42), bool(config.get("balance", False)), config.get("max_train_samples"))
    task, seed = data.task, config.get("seed", 42)
    multi = task.multi_label
    names = list(data.labels.names)
    val_texts, val_gold = data.validation["text"].tolist(), np.asarray(data.targets(data.validation))
    test_texts, test_labels = read_split(args.test, multi)
    if multi:
        test_gold = np.asarray([[int(name in labels) for name in names] for labels in test_labels])
    else:
        test_gold = np.asarray([names.index(label) for label in test_labels])
    cache = args.run.parent / "ensemble_offline.npz"
    arrays = dict(np.load(cache)) if cache.exists() else {}
    if "model_val" not in arrays:
        predictor = Predictor(args.run, ensemble=False)
        arrays["model_val"] = predictor.model_proba(val_texts)
        arrays["model_test"] = predictor.model_proba(test_texts)
        np.savez(cache, **arrays)
    train_texts, train_gold = data.train["text"].tolist(), data.targets(data.train)
    both = pd.concat([data.train, data.validation])
    both_texts, both_gold = both["text"].tolist(), data.targets(both)

    def score(gold, probs, thresholds=None):
        if multi:  # micro-F1 (the multi-label headline) at the thresholds validation tuned for these probabilities
            predicted = task.decide(probs, thresholds)
            return {"micro_f1": round(float(f1_score(gold, predicted, average="micro", zero_division=0)), 4),
                    "macro_f1": round(float(f1_score(gold, predicted, average="macro", zero_division=0)), 4)}
        predicted = probs.argmax(axis=1)
        return {"macro_f1": round(float(f1_score(gold, predicted, average="macro")), 4),
                "accuracy": round(float(accuracy_score(gold, predicted)), 4)}

    base_vectorizers, base_c, product_choice = tfidf.VECTORIZERS, tfidf.C, tfidf.vectorizers_for
    fitted: dict[tuple, np.ndarray] = {}

    def fit(vectorizers, c, texts, gold):
        """A TF-IDF model with these settings (None: the product's choice for the texts) and C."""
        tfidf.C = c
        if vectorizers is not None:
            tfidf.vectorizers_for = lambda _texts: vectorizers
        try:
            return tfidf.TfidfModel(names, multi).fit(texts, gold, seed=seed)
        finally:
            tfidf.C, tfidf.vectorizers_for = base_c, product_choice

    def val_probs(vectorizers, c):
        key = (json.dumps(vectorizers, sort_keys=True), c)
        if key not in fitted:
            fitted[key] = fit(vectorizers, c, train_texts, train_gold).predict_proba(val_texts)
        return fitted[key]

    model_thresholds = task.thresholds(val_gold, arrays["model_val"], None)
    out: dict = {"run": str(args.run), "model alone": score(test_gold, arrays["model_test"], model_thresholds),
                 "variants": {}}
    for name in args.variants.split(","):
        started = time.perf_counter()
        if name == "cv":
            losses = {}
            for c in CV_GRID:
                probs = val_probs(base_vectorizers, c)
                losses[c] = float(task.log_loss(val_gold, task.scaled(probs, ensemble.fit_temperature(task, val_gold,
                                                                                                      probs))))
            c = min(losses, key=losses.get)
            vectorizers, extra = base_vectorizers, {"chosen_c": c,
                                                    "val_log_loss": {str(k): round(v, 4) for k, v in losses.items()}}
        else:
            (vectorizers, c), extra = variant_settings(name, base_vectorizers), {}
        tfidf_val = val_probs(vectorizers, c)
        choice = ensemble.choose_weight(val_gold, arrays["model_val"], tfidf_val, task)
        # the answering TF-IDF model: fitted again on training + validation where runs do (single-label)
        answering = fit(vectorizers, c, *((both_texts, both_gold) if task.tfidf_learns_validation
                                          else (train_texts, train_gold)))
        tfidf_test = answering.predict_proba(test_texts)
        tfidf_thresholds = task.thresholds(val_gold, tfidf_val, None)
        answered_thresholds = choice.thresholds if choice.weight < 1.0 else model_thresholds
        out["variants"][name] = {**extra, "weight": choice.weight,
                                 "tfidf alone (val)": score(val_gold, tfidf_val, tfidf_thresholds),
                                 "tfidf alone (test)": score(test_gold, tfidf_test, tfidf_thresholds),
                                 "answered (test)": score(test_gold, ensemble.blend(arrays["model_test"], tfidf_test,
                                                                                     choice.weight),
                                                          answered_thresholds),
                                 "seconds": round(time.perf_counter() - started, 1)}
        print(name, json.dumps(out["variants"][name]), file=sys.stderr, flush=True)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
