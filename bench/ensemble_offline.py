"""How to combine the fine-tuned model with the TF-IDF model, compared after the fact on kept runs.

`bench/quality.py --keep-runs DIR` keeps each `ours` run (DIR/<data set>/run). For such a run this script rebuilds
its validation split (the run's own data file, seed and fractions), computes the model's and the TF-IDF model's
probabilities on validation and on the data set's held-out test file, and scores ways of combining them, each
chosen on validation only (single-label runs):

- `current`     classifier/ensemble.py's rule of stops 12-18 (still multi-label's): p = w p_model + (1 - w) p_tfidf,
                w on a 0.1 grid by validation macro-F1, the model alone unless beaten by more than a point.
- `calibrated`  the same choice after temperature scaling of each model (one temperature each, fitted on the
                validation log-loss; Guo et al. 2017): the fine-tuned model's softmax is far more confident than
                logistic regression's, so without it only weights near 0 or 1 differ from either model alone.
- `geometric`   p ∝ p_model^w p_tfidf^(1 - w) (a mix of log-probabilities), the same grid and rule.
- `tfidf_refit` `current`'s weight, then the TF-IDF model fitted again on training + validation texts for the
                answer (seconds of work; the weight was chosen with the TF-IDF model that had not seen validation).

    python bench/ensemble_offline.py DIR/bbc_news/run \
        --test ~/.cache/text-classifier-studio/quality-data/bbc_news/test.tsv

Prints one JSON object: per strategy the validation scores, the chosen weight and the test macro-F1/accuracy;
`rules` compares ways of choosing the weight (see `weight_rules`), `calibrated_log_loss_plain` being the rule
single-label runs use since stop 19; `crossfit_log_loss_plain` is that rule with the TF-IDF model's validation
probabilities cross-fitted (`crossfit_val`: each fifth of validation predicted by a model fitted on the training
split and the other four fifths), so the weight is chosen with a TF-IDF model nearer to the one that answers.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
def geometric(model_probs: np.ndarray, tfidf_probs: np.ndarray, weight: float) -> np.ndarray:
    logp = weight * np.log(np.clip(model_probs, 1e-12, 1)) + (1 - weight) * np.log(np.clip(tfidf_probs, 1e-12, 1))
    logp -= logp.max(axis=1, keepdims=True)
    out = np.exp(logp)
    return out / out.sum(axis=1, keepdims=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--test", type=Path, required=True, help="the held-out test file (label TAB text)")
    parser.add_argument("--cache", type=Path, help="npz of the four probability matrices (computed once)")
    args = parser.parse_args(argv)

    from sklearn.metrics import accuracy_score, f1_score

    from classifier import ensemble
    from classifier.data.prepare import prepare_data
    from classifier.predict import Predictor
    from classifier.run_folder import RunFolder
    from classifier.tfidf import TfidfModel

    sys.path.insert(0, str(ROOT / "bench"))
    from quality import read_split

    config = RunFolder(args.run).read_config()
    data = prepare_data(config["data"], config.get("text_column"), config.get("label_column"),
                        config.get("validation_file"), config.get("test_file"),
                        config.get("validation_fraction", 0.15), config.get("test_fraction", 0.15),
                        config.get("seed", 42), bool(config.get("balance", False)), config.get("max_train_samples"))
    task = data.task
    if task.multi_label:
        raise SystemExit("single-label runs only")
    names = list(data.labels.names)
    val_texts, val_gold = data.validation["text"].tolist(), np.asarray(data.targets(data.validation))
    test_texts, test_labels = read_split(args.test, False)
    test_gold = np.asarray([names.index(label) for label in test_labels])
    cache = args.cache or args.run.parent / "ensemble_offline.npz"
    if cache.exists():
        arrays = dict(np.load(cache))
    else:
        predictor = Predictor(args.run, ensemble=False)
        tfidf = TfidfModel(names, False).fit(data.train["text"].tolist(), data.targets(data.train),
                                             seed=config.get("seed", 42))
        arrays = {"model_val": predictor.model_proba(val_texts), "model_test": predictor.model_proba(test_texts),
                  "tfidf_val": tfidf.predict_proba(val_texts), "tfidf_test": tfidf.predict_proba(test_texts)}
        np.savez(cache, **arrays)
    if "tfidf_refit_test" not in arrays:
        both = pd.concat([data.train, data.validation])
        refit = TfidfModel(names, False).fit(both["text"].tolist(), data.targets(both), seed=config.get("seed", 42))
        arrays["tfidf_refit_test"] = refit.predict_proba(test_texts)
        np.savez(cache, **arrays)

    if "tfidf_val_crossfit" not in arrays:  # validation probabilities from TF-IDF models that saw the rest of it
        arrays["tfidf_val_crossfit"] = crossfit_val(data, names, TfidfModel, config.get("seed", 42))
        np.savez(cache, **arrays)

    def score(gold, probs):
        predicted = probs.argmax(axis=1)
        return {"macro_f1": round(float(f1_score(gold, predicted, average="macro")), 4),
                "accuracy": round(float(accuracy_score(gold, predicted)), 4)}

    t_model = ensemble.fit_temperature(task, val_gold, arrays["model_val"])  # as the runs fit them
    t_tfidf = ensemble.fit_temperature(task, val_gold, arrays["tfidf_val"])
    softmax_t = task.scaled
    variants = {
        "current": (arrays["model_val"], arrays["tfidf_val"], arrays["model_test"], arrays["tfidf_test"],
                    ensemble.blend),
        "calibrated": (softmax_t(arrays["model_val"], t_model), softmax_t(arrays["tfidf_val"], t_tfidf),
                       softmax_t(arrays["model_test"], t_model), softmax_t(arrays["tfidf_test"], t_tfidf),
                       ensemble.blend),
        "geometric": (arrays["model_val"], arrays["tfidf_val"], arrays["model_test"], arrays["tfidf_test"],
                      geometric),
    }
    out: dict = {"run": str(args.run), "temperatures": {"model": round(t_model, 3), "tfidf": round(t_tfidf, 3)},
                 "test": {"model alone": score(test_gold, arrays["model_test"]),
                          "tfidf alone": score(test_gold, arrays["tfidf_test"])}}
    saved_blend = ensemble.blend
    f1_rule = copy.copy(task)  # the variants below choose by validation macro-F1 with the margin (stops 12-18)
    f1_rule.weight_by_log_loss = False
    for name, (mv, tv, mt, tt, combine) in variants.items():
        ensemble.blend = combine  # choose_weight mixes with ensemble.blend
        try:
            choice = ensemble.choose_weight(val_gold, mv, tv, f1_rule)
        finally:
            ensemble.blend = saved_blend
        out[name] = {"weight": choice.weight, "validation": choice.scores,
                     "test": score(test_gold, combine(mt, tt, choice.weight)),
                     "test_by_weight": {f"{w:.1f}": score(test_gold, combine(mt, tt, w))["macro_f1"]
                                        for w in ensemble.WEIGHTS}}
    weight = out["current"]["weight"]
    out["tfidf_refit"] = {"weight": weight, "test": score(test_gold, ensemble.blend(
        arrays["model_test"], arrays["tfidf_refit_test"], weight)), "tfidf alone": score(
        test_gold, arrays["tfidf_refit_test"]), "test_by_weight": {f"{w:.1f}": score(test_gold, ensemble.blend(
            arrays["model_test"], arrays["tfidf_refit_test"], w))["macro_f1"] for w in ensemble.WEIGHTS}}
    out["rules"] = weight_rules(val_gold, arrays, task, lambda probs: score(test_gold, probs))
    calibrated = {name: softmax_t(values, t_model if name.startswith("model") else t_tfidf)
                  for name, values in arrays.items()}
    out["rules"]["calibrated_log_loss"] = weight_rules(val_gold, calibrated, task,
                                                       lambda probs: score(test_gold, probs))["log_loss"]
    w = out["rules"]["calibrated_log_loss"]["weight"]  # the same weight, answered without the temperatures
    out["rules"]["calibrated_log_loss_plain"] = {"weight": w, "test": score(test_gold, ensemble.blend(
        arrays["model_test"], arrays["tfidf_refit_test"], w))}
    crossfit = {**arrays, "tfidf_val": arrays["tfidf_val_crossfit"]}
    t_cross = ensemble.fit_temperature(task, val_gold, crossfit["tfidf_val"])
    scaled = {name: softmax_t(values, t_model if name.startswith("model") else t_cross)
              for name, values in crossfit.items()}
    w = weight_rules(val_gold, scaled, task, lambda probs: score(test_gold, probs))["log_loss"]["weight"]
    out["rules"]["crossfit_log_loss_plain"] = {"weight": w, "tfidf_temperature": round(t_cross, 3), "test": score(
        test_gold, ensemble.blend(arrays["model_test"], arrays["tfidf_refit_test"], w))}
    print(json.dumps(out, indent=1))
    return 0


def crossfit_val(data, names: list[str], model_class, seed: int, folds: int = 5) -> np.ndarray:
    """TF-IDF probabilities for each validation text from a model fitted on the training split and the other
    folds of validation: closer to the answering model (training + validation) than the training split's alone."""
    val = data.validation.reset_index(drop=True)
    out = None
    order = np.random.default_rng(seed).permutation(len(val))
    for k in range(folds):
        held = np.sort(order[k::folds])
        rest = val.drop(index=held)
        both = pd.concat([data.train, rest])
        fitted = model_class(names, False).fit(both["text"].tolist(), data.targets(both), seed=seed)
        probs = fitted.predict_proba(val.iloc[held]["text"].tolist())
        if out is None:
            out = np.zeros((len(val), probs.shape[1]))
        out[held] = probs
    return out


def weight_rules(val_gold: np.ndarray, arrays: dict, task, score) -> dict:
    """Ways of choosing the weight on validation (linear mix, the TF-IDF model of the training split), each scored
    on test with the answering TF-IDF model (training + validation), as runs answer since stop 18:

    - `margin_M`:  the best validation macro-F1, ties (within ensemble.TIE) to the lowest log-loss, and the model alone
                   unless beaten by more than M (`margin_0.01` is ensemble.py's rule, MODEL_MARGIN).
    - `log_loss`:  the lowest validation log-loss of the mix (a proper score: it moves with every text's probability,
                   not only with the few texts whose label flips).
    - `smoothed`:  the best mean validation macro-F1 over the weight and its two neighbours (a lone spike on a few
                   hundred texts does not win).

    `calibrated_log_loss` (in main): `log_loss` after temperature scaling of each model on validation (and answered
    with the temperatures); `calibrated_log_loss_plain`: its weight, answered without them (ensemble.py's rule since
    stop 19)."""
    from classifier import ensemble

    rows = []
    for w in ensemble.WEIGHTS:
        probs = ensemble.blend(arrays["model_val"], arrays["tfidf_val"], w)
        rows.append((w, task.validation_score(val_gold, task.decide(probs, None)), task.log_loss(val_gold, probs)))
    best = max(r[1] for r in rows)

    def by_margin(margin: float) -> float:
        if rows[-1][1] >= best - margin:
            return 1.0
        near = [r for r in rows if r[1] >= best - ensemble.TIE]
        return min(near, key=lambda r: (round(r[2], 4), -r[0]))[0]

    f1s = [r[1] for r in rows]
    smooth = [np.mean(f1s[max(0, i - 1):i + 2]) for i in range(len(f1s))]
    chosen = {f"margin_{m}": by_margin(m) for m in (0.0, 0.005, 0.01, 0.02)}
    chosen["log_loss"] = min(rows, key=lambda r: (round(r[2], 4), -r[0]))[0]  # as ensemble.py breaks ties
    chosen["smoothed"] = rows[max(range(len(rows)), key=lambda i: (round(smooth[i], 4), rows[i][0]))][0]
    return {"validation": {f"{w:.1f}": {"macro_f1": round(f1, 4), "log_loss": round(loss, 4)} for w, f1, loss in rows},
            **{name: {"weight": w, "test": score(ensemble.blend(arrays["model_test"], arrays["tfidf_refit_test"], w))}
               for name, w in chosen.items()}}


if __name__ == "__main__":
    raise SystemExit(main())
