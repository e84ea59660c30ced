"""The validated ensemble: the fine-tuned model's probabilities mixed with the TF-IDF model's.

    p = w * p_model + (1 - w) * p_tfidf,   w in {0, 0.1, ..., 1}

`w` is chosen on the validation split (which the TF-IDF model never saw, and which chose the model's best
checkpoint). Single-label runs (`Task.weight_by_log_loss`): each model's probabilities are temperature-scaled (one
temperature per model, the one with the lowest validation log-loss; Guo et al. 2017), and `w` is the weight whose
mix of the scaled probabilities has the lowest validation log-loss; the mix at `w` of the models' own probabilities
answers. Log-loss moves with every validation text's probabilities, where macro-F1 moves only with the few texts
whose label flips, so it is a far steadier choice on a few hundred texts: on the quality benchmark it chose better
on held-out test files than the best validation macro-F1 with a margin for the model alone (docs/results.md,
stop 19). Multi-label runs: the best validation micro-F1 at thresholds tuned for
each mix; among weights within `TIE` of the best, the lowest log-loss, then the larger `w`; the model alone unless
beaten by more than `MODEL_MARGIN`. `w = 1` is the fine-tuned model alone, `w = 0` the TF-IDF model alone, anything
between the mix: what Predict, `predict` and the API answer is whichever of the three validation chose.

Why: on small or keyword-driven data (spam, short titles, news articles) word and character n-grams catch what a
small transformer fine-tuned for a few hundred steps misses, and the two make different mistakes (docs/results.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .task import Task

WEIGHTS = tuple(round(w, 1) for w in np.arange(0.0, 1.01, 0.1))
TIE = 0.002  # validation score differences below this are noise on a few hundred texts
MODEL_MARGIN = 0.01  # multi-label: what a mix or TF-IDF must win by on validation to replace the model alone
TEMPERATURES = tuple(float(t) for t in np.exp(np.linspace(np.log(0.05), np.log(20.0), 121)))


@dataclass
class EnsembleChoice:
    weight: float  # of the fine-tuned model; 1.0 = the model alone, 0.0 = the TF-IDF model alone
    decision: str  # "model" | "baseline" | "ensemble"
    metric: str
    scores: dict[str, float] = field(default_factory=dict)  # validation score per weight
    thresholds: list[float] | None = None  # multi-label: tuned for the chosen mix
    temperatures: list[float] | None = None  # single-label: (model, TF-IDF), fitted on validation to choose the weight

    def to_dict(self) -> dict[str, Any]:
        out = {"weight": self.weight, "decision": self.decision, "metric": self.metric,
               "validation_scores": self.scores}
        if self.temperatures is not None:
            out["temperatures"] = self.temperatures
        return out


def blend(model_probs: np.ndarray, tfidf_probs: np.ndarray | None, weight: float) -> np.ndarray:
    if tfidf_probs is None or weight >= 1.0:
        return model_probs
    return weight * model_probs + (1.0 - weight) * tfidf_probs


def fit_temperature(task: Task, gold: np.ndarray, probs: np.ndarray) -> float:
    """The temperature (on a log grid from 0.05 to 20) with the lowest log-loss of `probs` on `gold`."""
    losses = [task.log_loss(gold, task.scaled(probs, t)) for t in TEMPERATURES]
    return round(TEMPERATURES[int(np.argmin(losses))], 4)


def decision_of(weight: float) -> str:
    return "model" if weight >= 1.0 else "baseline" if weight <= 0.0 else "ensemble"


def choose_weight(gold: np.ndarray, model_probs: np.ndarray, tfidf_probs: np.ndarray, task: Task,
                  fixed_threshold: float | None = None) -> EnsembleChoice:
    """`gold`: class ids (single-label) or a 0/1 matrix (multi-label), for the validation texts. Multi-label
    mixes are scored at thresholds tuned for each, or at `fixed_threshold` when the user set one."""
    gold = np.asarray(gold)
    if task.weight_by_log_loss:
        return _choose_by_log_loss(gold, model_probs, tfidf_probs, task)
    results = []
    for w in WEIGHTS:
        probs = blend(model_probs, tfidf_probs, w)
        thresholds = task.thresholds(gold, probs, fixed_threshold)
        score = task.validation_score(gold, task.decide(probs, thresholds))
        results.append((w, score, task.log_loss(gold, probs), thresholds))
    best = max(score for _, score, _, _ in results)
    if results[-1][1] >= best - MODEL_MARGIN:  # WEIGHTS end with 1.0: the model alone, unless clearly beaten
        w, _, _, thresholds = results[-1]
    else:
        near = [r for r in results if r[1] >= best - TIE]
        w, _, _, thresholds = min(near, key=lambda r: (round(r[2], 4), -r[0]))
    return EnsembleChoice(weight=float(w), decision=decision_of(w), metric=task.metric,
                          scores={f"{r[0]:.1f}": round(r[1], 4) for r in results}, thresholds=thresholds)


def _choose_by_log_loss(gold: np.ndarray, model_probs: np.ndarray, tfidf_probs: np.ndarray,
                        task: Task) -> EnsembleChoice:
    """Single-label: the weight whose mix of temperature-scaled probabilities has the lowest validation log-loss
    (the larger weight where two are equal to 4 decimals). What answers is the mix of the two models' own
    probabilities at that weight, and `scores` are those mixes' validation macro-F1, as the run shows them: on the
    quality benchmark the weight chosen so, applied to the models' own probabilities, did better on held-out test
    files than the scaled mix it was chosen on (docs/results.md, stop 19)."""
    temperatures = [fit_temperature(task, gold, model_probs), fit_temperature(task, gold, tfidf_probs)]
    scaled_model, scaled_tfidf = task.scaled(model_probs, temperatures[0]), task.scaled(tfidf_probs, temperatures[1])
    results = []
    for w in WEIGHTS:
        answered = blend(model_probs, tfidf_probs, w)
        results.append((w, task.validation_score(gold, task.decide(answered, None)),
                        task.log_loss(gold, w * scaled_model + (1.0 - w) * scaled_tfidf)))
    w = min(results, key=lambda r: (round(r[2], 4), -r[0]))[0]
    return EnsembleChoice(weight=float(w), decision=decision_of(w), metric=task.metric,
                          scores={f"{r[0]:.1f}": round(r[1], 4) for r in results}, temperatures=temperatures)


# ----------------------------------------------------------------------------------------------------------------
# after training: choose on validation, write the choice into best/
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class ValidatedDecision:
    """What the run answers with, chosen on the validation split (see the module docstring)."""

    choice: EnsembleChoice | None  # None: no TF-IDF model (baseline switched off)
    tfidf: Any  # classifier.tfidf.TfidfModel (training split; single-label: + validation, see below), or None
    model_thresholds: list[float] | None  # multi-label: tuned for the model alone
    tfidf_thresholds: list[float] | None  # multi-label: tuned for the TF-IDF model alone
    mix_weight: float | None  # the best weight strictly between 0 and 1 on validation (reported as "ensemble")
    mix_thresholds: list[float] | None


def choose_on_validation(run_dir, data, config) -> ValidatedDecision:
    """Fit the TF-IDF model on the training split, tune thresholds (multi-label) and the ensemble weight on the
    validation split, and write them into best/ (thresholds also into last/ for the model alone). Single-label:
    once the weight is chosen, the TF-IDF model is fitted again on the training and validation texts together,
    and that one answers, is stored and is reported (validation has then been seen by both models: the model
    through its checkpoint choice, TF-IDF through its fit; neither has seen the test split)."""
    from .predict import Predictor
    from .run_folder import ModelMeta, RunFolder
    from .tfidf import JSON_FILE, WEIGHTS_FILE, TfidfModel

    run = RunFolder(run_dir)
    task = data.task
    texts = data.validation["text"].tolist()
    gold = data.targets(data.validation)
    model_probs = Predictor(run.path, batch_size=config.eval_batch_size, ensemble=False).model_proba(texts)

    def thresholds_for(probs: np.ndarray) -> list[float] | None:
        return task.thresholds(gold, probs, config.threshold)

    model_thresholds = thresholds_for(model_probs)
    tfidf = choice = None
    tfidf_thresholds = mix_thresholds = None
    mix_weight = None
    if config.baseline:
        tfidf = TfidfModel(data.labels.names, task.multi_label).fit(data.train["text"].tolist(),
                                                                    data.targets(data.train), seed=config.seed)
        tfidf_probs = tfidf.predict_proba(texts)
        tfidf_thresholds = thresholds_for(tfidf_probs)
        choice = choose_weight(gold, model_probs, tfidf_probs, task, config.threshold)
        if not getattr(config, "ensemble", True):  # the user wants the fine-tuned model alone
            choice = EnsembleChoice(weight=1.0, decision="model", metric=choice.metric, scores=choice.scores,
                                    temperatures=choice.temperatures)
        interior = {float(k): v for k, v in choice.scores.items() if 0.0 < float(k) < 1.0}
        if interior:
            top = max(interior.values())
            mix_weight = (choice.weight if 0.0 < choice.weight < 1.0
                          else max(w for w, v in interior.items() if v >= top - TIE))
            mix_thresholds = thresholds_for(blend(model_probs, tfidf_probs, mix_weight))
        if task.tfidf_learns_validation and len(data.validation):
            # the weight is chosen: the TF-IDF model that answers (and is reported) learns from the validation
            # texts too (seconds of work; +0.2 to +0.25 answered on held-out test files, docs/results.md)
            both = data.with_validation_in_train(config.max_train_samples, config.seed)
            tfidf = TfidfModel(data.labels.names, task.multi_label).fit(
                both.train["text"].tolist(), both.targets(both.train), seed=config.seed)
    for name, folder in (("best", run.best), ("last", run.last)):
        meta = ModelMeta.read(folder)
        if meta is None:
            continue
        if model_thresholds is not None:
            meta.thresholds = model_thresholds
        if name == "best" and choice is None:  # no TF-IDF model this time: nothing of an earlier mix stays
            meta.ensemble = None
            for stale in (JSON_FILE, WEIGHTS_FILE):
                (folder / stale).unlink(missing_ok=True)
        if name == "best" and choice is not None:
            answered = choice.thresholds if choice.weight < 1.0 else model_thresholds
            if choice.weight < 1.0:
                tfidf.save(folder)
            else:
                for stale in (JSON_FILE, WEIGHTS_FILE):
                    (folder / stale).unlink(missing_ok=True)
            meta.thresholds = answered
            meta.ensemble = {**choice.to_dict(), "model_thresholds": model_thresholds}
        meta.write(folder)
    return ValidatedDecision(choice, tfidf, model_thresholds, tfidf_thresholds, mix_weight, mix_thresholds)
