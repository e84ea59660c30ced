"""After training: choose on the validation split what the run answers with (thresholds, the TF-IDF ensemble),
evaluate it on the test split (RUN/metrics.json, RUN/predictions.csv), and close the run with its summary."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ..config import TrainConfig
from ..data import PreparedData, language_hint
from ..ensemble import ValidatedDecision, blend, choose_on_validation
from ..evaluation import label_names, write_prediction_table
from ..events import EventWriter
from ..messages import say
from ..run_folder import RunFolder
from ..runs import CHECKPOINTS_DIR, FIRST_BEST_DIR, atomic_write_json
from ..task import Task
from ..tfidf import summary as tfidf_summary


def choose(run_dir: Path, data: PreparedData, config: TrainConfig, events: EventWriter) -> ValidatedDecision:
    """On validation: thresholds (multi-label) and the ensemble with the TF-IDF model, written into best/."""
    events.status("evaluating", say("status_evaluating"))
    decided = choose_on_validation(run_dir, data, config)
    log_decision(events, decided, data)
    return decided


def _scored(task: Task, gold: np.ndarray, probs: np.ndarray, thresholds: list[float] | None,
            names: list[str]) -> dict[str, Any]:
    """Metrics of probabilities decided the plain way (argmax, or the thresholds): the model alone, TF-IDF, mix."""
    return task.score(gold, task.decide(probs, thresholds), names)


def evaluate_on_test(run_dir: Path, data: PreparedData, config: TrainConfig, display: str,
                     decided: ValidatedDecision) -> dict[str, Any]:
    """Test metrics of what the run answers (best/ through Predictor: the model, or its validated ensemble with the
    TF-IDF model), predictions.csv, and beside them the model alone, the TF-IDF model alone and the mix."""
    from ..predict import Predictor

    predictor = Predictor(run_dir, batch_size=config.eval_batch_size)
    texts = data.test["text"].tolist()
    gold = data.targets(data.test)
    model_probs = predictor.model_proba(texts)
    # one TF-IDF pass: the model fitted on validation is the one best/ stores where the run answers with it
    tfidf_probs = decided.tfidf.predict_proba(predictor._tfidf_view(texts)) if decided.tfidf is not None else None
    probs = predictor.combine(model_probs, tfidf_probs)
    names = data.labels.names
    task, headline = data.task, data.task.headline

    predicted = task.decide(probs, predictor.thresholds)
    metrics = task.score(gold, predicted, names)
    write_predictions_table(run_dir, texts, gold, predicted, probs, names, task)
    task.add_test_details(metrics, gold, probs, names, data.targets(data.train), predictor.thresholds)
    metrics["decision"] = predictor.decision
    metrics["model_only"] = {k: _scored(task, gold, model_probs, decided.model_thresholds, names)[k]
                             for k in headline}
    if tfidf_probs is not None:
        metrics["baseline"] = {**_scored(task, gold, tfidf_probs, decided.tfidf_thresholds, names),
                               **tfidf_summary(decided.tfidf)}
        choice = decided.choice
        mixed = blend(model_probs, tfidf_probs, decided.mix_weight) if decided.mix_weight is not None else None
        metrics["ensemble"] = {
            "weight": choice.weight, "decision": choice.decision, "metric": choice.metric,
            "temperatures": choice.temperatures,
            "validation_scores": choice.scores, "mix_weight": decided.mix_weight,
            "mix_test": ({k: _scored(task, gold, mixed, decided.mix_thresholds, names)[k] for k in headline}
                         if mixed is not None else None),
        }
    return metrics


def write_predictions_table(run_dir: Path, texts: list[str], gold: np.ndarray, predicted: np.ndarray,
                            probs: np.ndarray, names: list[str], task: Task) -> None:
    """RUN/predictions.csv: text, gold, predicted, confidence, correct, and one probability column per class."""
    correct = task.correct(gold, predicted)
    write_prediction_table(RunFolder(run_dir).predictions, texts,
                           {"gold": label_names(gold, names), "predicted": label_names(predicted, names)},
                           probs, names, extra={"correct": correct})


def log_decision(events: EventWriter, decided: ValidatedDecision, data: PreparedData) -> None:
    names = data.labels.names
    if decided.model_thresholds is not None:
        events.log(say("log_thresholds", thresholds=", ".join(f"{n} {t:.2f}"
                                                             for n, t in zip(names, decided.model_thresholds))))
    choice = decided.choice
    if choice is None:
        return
    scores = choice.scores
    what = (say("decision_ensemble", weight=choice.weight, rest=1 - choice.weight) if choice.decision == "ensemble"
            else say(f"decision_{choice.decision}"))
    events.log(say("log_decision", what=what, metric=choice.metric, model=scores["1.0"], baseline=scores["0.0"],
                   chosen=scores[f"{choice.weight:.1f}"]))


def log_to_trackers(trainer, trackers: list[str], run_dir: Path, resolved: TrainConfig, metrics: dict) -> None:
    """The test metrics (`test_...`) through every tracker, and the resolved config as text for TensorBoard."""
    # "test_..." keys: Trainer's integrations file them under test/ (TensorBoard: test/accuracy)
    numbers = {f"test_{k}": float(v) for k, v in metrics.items() if k in (
        "accuracy", "macro_f1", "micro_f1", "weighted_f1", "subset_accuracy", "hamming_loss") and v is not None}
    for key in ("accuracy", "macro_f1", "micro_f1"):
        for part in ("model_only", "baseline"):
            value = (metrics.get(part) or {}).get(key)
            if value is not None:
                numbers[f"test_{part}_{key}"] = float(value)
    trainer.log(numbers)
    # Trainer ended the trackers' runs at the end of training; logging the test metrics opened them again, so
    # end them once more (trackio writes in a background thread: in-process callers would read its store early)
    for callback in trainer.callback_handler.callbacks:
        if type(callback).__name__ in ("TrackioCallback", "MLflowCallback"):
            callback.on_train_end(trainer.args, trainer.state, trainer.control, model=trainer.model)
    if "tensorboard" in trackers:
        from torch.utils.tensorboard import SummaryWriter

        with SummaryWriter(log_dir=str(run_dir / "logs")) as writer:
            writer.add_text("config", "```\n" + resolved.to_json() + "\n```")


def finish_run(run_dir: Path, metrics: dict[str, Any], config: TrainConfig, data: PreparedData, trainer,
               trackers: list[str], events: EventWriter, stopped: bool) -> str:
    """Advice, RUN/metrics.json, the trackers, the test event and the final status; returns that status.
    `config`: the resolved config."""
    from ..advice import advise
    from ..tracking import where

    task = data.task
    metrics["advice"] = [a.to_dict() for a in advise(metrics, config.epochs, len(data.train),
                                                     language_hint(data.train["text"].tolist()))]
    atomic_write_json(RunFolder(run_dir).metrics, metrics)
    if trackers:
        log_to_trackers(trainer, trackers, run_dir, config, metrics)
        events.log(say("log_tracked", where=where(trackers, run_dir)))
    events.write("test", **task.test_event(metrics))
    status = "stopped" if stopped else "finished"
    events.status(status, say("status_stopped_on_request" if stopped else "status_finished",
                              summary=task.summary_line(metrics)),
                  steps=trainer.state.global_step, stopped_early=bool(metrics.get("stopped_early")))
    if status == "finished":
        # nothing left to resume: the checkpoint (weights + optimizer state) is only disk. Deleted after the status
        # is written, so a kill in the middle leaves a finished run with some leftovers, never an interrupted run
        # whose checkpoint is half gone.
        shutil.rmtree(run_dir / CHECKPOINTS_DIR, ignore_errors=True)
    shutil.rmtree(run_dir / FIRST_BEST_DIR, ignore_errors=True)  # --refit: best/ is final now
    return status
