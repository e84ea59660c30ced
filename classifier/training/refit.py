"""Refit (`--refit`): after validation has chosen the checkpoint, the thresholds and the TF-IDF mix, train the model
once more, from the pretrained weights, on the training and the validation texts together, and answer with that.

On a small file validation holds 15% of the labels; the first pass needs them to choose, the final model need not
leave them unused. The second pass follows the first one's schedule stretched to the larger data (same epochs,
same learning-rate curve over them) and stops at the step that corresponds to the best checkpoint's epoch. It is not
validated again (it has seen the validation texts): what validation chose for the first model (the mix weight,
multi-label thresholds, a two-class threshold) is kept for the second. The TF-IDF model is refitted on the same
texts. The test split stays unseen by both, so the test metrics stay honest.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from transformers import TrainerCallback, set_seed

from ..data import PreparedData
from ..events import EventWriter
from ..messages import say
from ..run_folder import ModelMeta, RunFolder
from ..runs import FIRST_BEST_DIR, REFIT_DIR
from ..tfidf import JSON_FILE, WEIGHTS_FILE, TfidfModel
from .callbacks import StopFlag
from .model import ModelSaver, apply_plan, load_run_model
from .plan import ResolvedRun, training_arguments
from .trainer import build_trainer


@dataclass(frozen=True)
class RefitPlan:
    texts: int  # training + validation texts
    steps_per_epoch: int
    total_steps: int  # the first pass's schedule, stretched to the larger data
    stop_step: int  # where the second pass stops: the best checkpoint's epoch


def refit_plan(best_step: int, first_steps_per_epoch: int, epochs: float, train_size: int, validation_size: int,
               samples_per_step: int) -> RefitPlan:
    """The second pass: the same epochs over train + validation, stopped at the best checkpoint's epoch."""
    texts = train_size + validation_size
    steps_per_epoch = max(1, math.ceil(texts / samples_per_step))
    total = max(1, math.ceil(steps_per_epoch * epochs))
    best_epoch = best_step / max(1, first_steps_per_epoch)
    return RefitPlan(texts=texts, steps_per_epoch=steps_per_epoch, total_steps=total,
                     stop_step=max(1, min(total, round(best_epoch * steps_per_epoch))))


class _StopAt(TrainerCallback):
    """Ends the second pass at `step`, or at once on a stop request (the first model then stays in best/)."""

    def __init__(self, step: int, stop: StopFlag) -> None:
        self.step, self.stop, self.interrupted = step, stop, False

    def on_step_end(self, args, state, control, **kwargs):
        if self.stop.requested():
            self.interrupted = True
            control.should_training_stop = True
        elif state.global_step >= self.step:
            control.should_training_stop = True
        return control


def refit(data: PreparedData, plan: ResolvedRun, best_step: int, run_dir: Path, events: EventWriter,
          stop: StopFlag, decided, progress: bool, trainer_inputs) -> dict | None:
    """Train the second pass and put it in best/ with the first model's validated choices; refit `decided.tfidf`.
    Returns what metrics.json says of it (`stopped` when a stop request ended it: best/ is then the first model).
    `trainer_inputs`: run._trainer_inputs (the same tokenization and head features as the first pass)."""
    run = RunFolder(run_dir)
    both = data.with_validation_in_train(plan.config.max_train_samples, plan.config.seed)
    if len(both.train) == len(data.train):
        events.log(say("log_refit_skipped", reason=say("refit_why_no_room", rows=len(data.train))))
        return {"skipped": "max_train_samples"}
    if decided.choice is not None and decided.choice.weight <= 0.0:  # the run answers with TF-IDF alone
        return _refit_tfidf_only(data, both, plan, run, decided, events)
    batches = plan.batches
    todo = refit_plan(best_step, batches.steps_per_epoch, batches.epochs, len(data.train),
                      len(both.train) - len(data.train), batches.samples_per_step)
    # no `total_steps`: the live charts and the Evaluate tab size their axes by the first pass's
    events.status("running", say("status_refit", texts=todo.texts, steps=todo.stop_step, best_step=best_step),
                  refit_steps=todo.stop_step)
    quiet = EventWriter(run.events, enabled=False)  # the first pass said it all (layer rates, feature caching)
    set_seed(plan.config.seed)
    model = load_run_model(plan.config, both, run_dir, quiet, progress)
    apply_plan(model.loaded, plan)
    saver = ModelSaver(run_dir, model, plan, data.labels.names, data.task)
    train_model, train_set, eval_set, collator = trainer_inputs(model, plan, both, saver, quiet)
    scratch = run_dir / REFIT_DIR
    args = training_arguments(plan, run_dir, {}, progress, output_dir=str(scratch), max_steps=todo.total_steps,
                              eval_strategy="no", save_strategy="no")
    stopper = _StopAt(todo.stop_step, stop)
    trainer = build_trainer(plan, both, train_model, args, train_set, eval_set, collator, [stopper], quiet,
                            progress)
    try:
        trainer.train()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if stopper.interrupted:
        events.log(say("log_refit_stopped"))
        return {"stopped": True}

    # best/, in one replacement: the new weights, the first model's classifier.json (its validated choices) and,
    # where the run answers with a mix or with TF-IDF, the TF-IDF model refitted on the same texts
    first = ModelMeta.read(run.best) or saver.meta(None, None)
    answered_with_tfidf = (run.best / JSON_FILE).is_file()
    _refit_tfidf(decided, both, plan)
    steps = trainer.state.global_step
    first.step = steps
    first.extra = {**first.extra, "refit": {"texts": todo.texts, "steps": steps, "first_best_step": best_step}}
    tfidf = decided.tfidf if answered_with_tfidf else None
    # the first pass's best/ stays beside it until the run is finished: a resume puts it back (resume.py)
    saver.save("best", meta=first, also=tfidf.save if tfidf is not None else None,
               keep_old_as=run_dir / FIRST_BEST_DIR)
    events.log(say("log_refit_done", texts=todo.texts, steps=steps))
    return {"texts": todo.texts, "steps": steps, "first_best_step": best_step}


def _refit_tfidf(decided, both: PreparedData, plan: ResolvedRun) -> None:
    if decided.tfidf is not None:
        decided.tfidf = TfidfModel(both.labels.names, both.task.multi_label).fit(
            both.train["text"].tolist(), both.targets(both.train), seed=plan.config.seed)


def _refit_tfidf_only(data: PreparedData, both: PreparedData, plan: ResolvedRun, run: RunFolder, decided,
                      events: EventWriter) -> dict:
    """Validation chose the TF-IDF model alone: only it is refitted (a second fine-tune would never be used)."""
    _refit_tfidf(decided, both, plan)
    meta = ModelMeta.read(run.best)
    with tempfile.TemporaryDirectory(prefix=".tfidf.", dir=run.path) as tmp:  # each file replaced whole
        decided.tfidf.save(tmp)
        for name in (WEIGHTS_FILE, JSON_FILE):
            os.replace(Path(tmp) / name, run.best / name)
    if meta is not None:
        meta.extra = {**meta.extra, "refit": {"texts": len(both.train), "steps": 0, "first_best_step": None,
                                              "tfidf_only": True}}
        meta.write(run.best)
    events.log(say("log_refit_tfidf_only", texts=len(both.train)))
    return {"texts": len(both.train), "steps": 0, "first_best_step": None, "tfidf_only": True}
