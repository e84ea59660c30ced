"""One training run, from a TrainConfig to a finished run folder, read top to bottom:

    data -> model -> plan (every "auto" decided) -> what the Trainer trains on (texts, or the head strategy's cached
    features) -> Trainer.train (callbacks write events, keep best/, stop early, honour a stop request) -> save last/
    -> test best/ -> metrics.json, predictions.csv, the final status

`train` owns the run folder and turns failures into status events; `_train` is the run itself.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import set_seed

from .. import tracking
from ..config import TrainConfig
from ..errors import ClassifierError, ConfigError
from ..events import EventWriter
from ..hardware import describe_device
from ..messages import message_of, say
from ..run_folder import RunFolder
from ..runs import atomic_write_text, checkpoint_step, latest_checkpoint, new_run_dir
from .callbacks import RunCallback, StopFlag
from .features import head_feature_sets
from .inputs import load_data, pad_multiple, text_collator, tokenized_splits, with_local_sources
from .model import ModelSaver, RunModel, apply_plan, load_run_model
from .plan import ResolvedRun, log_plan, resolve_run, training_arguments
from .refit import refit
from .resume import (
    announce_start,
    check_same_data,
    clear_for_resume,
    clear_previous_outputs,
    data_fingerprints,
    drop_test_results,
    record_run,
    restore_progress,
    resume_config,
)
from .test_step import choose, evaluate_on_test, finish_run
from .trainer import build_trainer


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


@dataclass
class RunResult:
    run_dir: Path
    status: str  # finished | stopped
    metrics: dict[str, Any] | None


def train(config: TrainConfig, progress: bool = True, resume: bool = False) -> RunResult:
    """Train as `config` says; returns when the run is finished or stopped. Raises ClassifierError on bad input.

    `resume=True` (see `resume_run`) continues the run in `config.output` from its newest complete checkpoint
    (from step 0 when it has none), appending to its events and keeping best/ unless a better model comes."""
    config.validate()
    main = is_main_process()
    run_dir = _run_folder(config, resume, main)
    if main and not resume:
        # the settings as given until record_run replaces them with the resolved ones: a run killed while it loads
        # can be resumed, and never with the settings of an earlier run in a reused --output folder
        config.replace(output=str(run_dir)).to_json(RunFolder(run_dir).config)
    events = EventWriter(RunFolder(run_dir).events, enabled=main)
    checkpoint = latest_checkpoint(run_dir) if resume else None
    announce_start(events, resume, checkpoint, describe_device())
    stop = StopFlag(run_dir)
    previous = stop.install()
    try:
        return _train(config, run_dir, events, progress, stop, resume=resume, checkpoint=checkpoint)
    except KeyboardInterrupt:
        events.status("stopped", say("status_interrupted_by_user"))
        raise
    except ClassifierError as exc:
        events.status("failed", message_of(exc))
        raise
    except Exception as exc:
        plain = resource_error(exc, config)
        if plain is not None:  # out of memory, disk full: the user can act on these; best/ stays as it was
            events.status("failed", message_of(plain))
            raise plain from exc
        if main:
            atomic_write_text(run_dir / "error.log", traceback.format_exc())
        events.status("failed", say("status_crashed", error=f"{type(exc).__name__}: {exc}",
                                    log=str(run_dir / "error.log")))
        raise
    finally:
        stop.restore(previous)


def resume_run(run: str | Path, progress: bool = True) -> RunResult:
    """Continue an interrupted, stopped or failed run from its newest checkpoint, with the settings and data it
    started with (RUN/config.json; the data files must be unchanged)."""
    return train(resume_config(run), progress=progress, resume=True)


def _run_folder(config: TrainConfig, resume: bool, main: bool) -> Path:
    """The run folder: --output (cleared of an earlier run's outputs, or readied for resuming) or a new one."""
    if resume and not config.output:
        raise ConfigError(say("run_resume_needs_folder"))
    if config.output:
        run_dir = Path(config.output).expanduser().resolve()
        if main:
            run_dir.mkdir(parents=True, exist_ok=True)
            if resume:
                clear_for_resume(run_dir)
            else:
                clear_previous_outputs(run_dir)
        return run_dir
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ConfigError(say("run_several_processes"))
    return new_run_dir(config.name or f"{Path(config.data).stem}-"
                       f"{config.model if config.model != 'auto' else 'model'}")


def resource_error(exc: BaseException, config: TrainConfig) -> ClassifierError | None:
    """Out of memory or out of disk space as a message a user can act on (None for anything else)."""
    import errno

    text = str(exc)
    if isinstance(exc, torch.OutOfMemoryError) or (isinstance(exc, RuntimeError) and (
            "out of memory" in text.lower() or "can't allocate memory" in text.lower())):
        smaller = max(1, config.batch_size // 2)
        return ClassifierError(say("train_out_of_memory", batch_size=config.batch_size,
                                   max_length=config.max_length or "auto", smaller=smaller,
                                   accumulation=config.gradient_accumulation_steps * 2))
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        where = getattr(exc, "filename", None)
        return ClassifierError(say("train_disk_full", where=str(where) if where else say("while_saving")))
    return None


def _train(config: TrainConfig, run_dir: Path, events: EventWriter, progress: bool, stop: StopFlag,
           resume: bool = False, checkpoint: Path | None = None) -> RunResult:
    started = time.perf_counter()
    main = is_main_process()
    set_seed(config.seed)
    trackers = tracking.parse(config.report_to)
    tracking.check_installed(trackers)  # before anything slow: a missing package names its pip command
    config = with_local_sources(config, events)

    # --- data
    data = load_data(config, events)
    resumed_from = (checkpoint_step(checkpoint) or 0) if checkpoint is not None else 0  # before rotation removes it
    fingerprints = data_fingerprints(config)
    if resume:
        check_same_data(run_dir, fingerprints, data.labels.names)
        if main:
            drop_test_results(run_dir)

    # --- model and plan
    model = load_run_model(config, data, run_dir, events, progress and main)
    plan = resolve_run(config, data, model, run_dir)
    counts = apply_plan(model.loaded, plan)
    if main:
        record_run(run_dir, plan, data, fingerprints, model.summary)
    log_plan(events, config, plan, model.summary, counts)

    # --- Trainer
    saver = ModelSaver(run_dir, model, plan, data.labels.names, data.task)
    train_model, train_set, eval_set, collator = _trainer_inputs(model, plan, data, saver, events)
    args = training_arguments(plan, run_dir, tracking.prepare(trackers, run_dir), progress and main)
    callback = RunCallback(stop, events, lambda: saver.save("best", callback.best_step, callback.best_value),
                           config.metric_for_best_model, config.early_stopping_patience,
                           plan.batches.samples_per_step, config.checkpoint_every_seconds)
    if resume:
        restore_progress(callback, run_dir, checkpoint, config.metric_for_best_model, events)
    trainer = build_trainer(plan, data, train_model, args, train_set, eval_set, collator,
                            [callback, *tracking.callbacks(trackers, run_dir)], events, progress and main)
    events.status("running", say("status_training", model=plan.display, strategy=plan.strategy,
                                 epochs=plan.batches.epochs,
                                 steps=plan.batches.total_steps, device=describe_device()),
                  total_steps=plan.batches.total_steps, trainable_parameters=counts["trainable_parameters"])
    train_start = time.perf_counter()
    stop.training = True
    output = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint is not None else None)
    train_seconds = time.perf_counter() - train_start
    stopped = callback.stop_reason == "stop requested"
    if callback.stop_reason:
        events.log(say("log_ended_early", reason=callback.stop_reason))
    if main and callback.best_value is None:
        # stopped before the first evaluation: the model as it is is the best we have
        saver.save("best", trainer.state.global_step)
    if main:
        saver.save("last", trainer.state.global_step)
    if not main:
        return RunResult(run_dir, "stopped" if stopped else "finished", None)

    # --- choices on validation, the refit on train + validation if asked, test and summary
    decided = choose(run_dir, data, config, events)
    if config.refit:
        _release(trainer, model)
    refitted = _refit(config, data, plan, callback.best_step, run_dir, events, stop, decided, progress, stopped)
    metrics = evaluate_on_test(run_dir, data, config, plan.display, decided)
    metrics.update({
        "model": plan.display, "strategy": plan.strategy, "pooling": plan.pooling, "max_length": plan.max_length,
        "trainable_parameters": counts["trainable_parameters"], "total_parameters": counts["total_parameters"],
        "train_seconds": round(train_seconds, 1), "total_seconds": round(time.perf_counter() - started, 1),
        "train_samples_per_second": round(float(output.metrics.get("train_samples_per_second", 0.0)), 2),
        "best_step": callback.best_step, f"best_validation_{config.metric_for_best_model}": callback.best_value,
        "steps_trained": trainer.state.global_step, "device": describe_device(), "precision": plan.precision,
        "world_size": plan.batches.world,
        "resumed_from_step": resumed_from if resume else None,
        "stopped_early": bool(callback.stop_reason and callback.stop_reason.startswith("early stopping")),
        "refit": refitted,
    })
    status = finish_run(run_dir, metrics, plan.config, data, trainer, trackers, events, stopped)
    if getattr(config, "export", "none") == "onnx":
        _export_onnx(run_dir, events)
    return RunResult(run_dir, status, metrics)


def _refit(config: TrainConfig, data, plan: ResolvedRun, best_step: int | None, run_dir: Path,
           events: EventWriter, stop: StopFlag, decided, progress: bool, stopped: bool) -> dict[str, Any] | None:
    """`--refit`: the second pass on train + validation (training/refit.py); None where it does not run."""
    if not config.refit or stopped or stop.requested():
        return None
    if plan.batches.world > 1 or not best_step or data.validation.empty:
        events.log(say("log_refit_skipped", reason=say("refit_why_several_processes") if plan.batches.world > 1
                       else say("refit_why_no_validation")))
        return None
    started = time.perf_counter()
    done = refit(data, plan, best_step, run_dir, events, stop, decided, progress, _trainer_inputs)
    done["seconds"] = round(time.perf_counter() - started, 1)
    events.status("evaluating", say("status_evaluating"))
    return done


def _release(trainer, model: RunModel) -> None:
    """Before the refit's second model: the first pass's optimizer state and (on a GPU) its weights' memory.
    The trainer stays for its state and its trackers (finish_run)."""
    import gc

    trainer.accelerator.free_memory()
    trainer.optimizer = trainer.lr_scheduler = None
    if torch.cuda.is_available():
        model.loaded.model.to("cpu")
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _export_onnx(run_dir: Path, events: EventWriter) -> None:
    """`--export onnx`: RUN/onnx/ after the run; a failed export is said in the log, the run stays as it is."""
    from ..onnx_export import export_onnx

    try:
        events.log(say("log_onnx_exported", folder=export_onnx(run_dir).name))
    except Exception as exc:  # noqa: BLE001 - optional and after the run: onnxruntime's own errors, a missing
        # package, a model the tracer cannot follow; none of them may turn a finished run into a failed one
        events.log(say("log_onnx_failed", reason=str(exc)[:300]))


def _trainer_inputs(model: RunModel, plan: ResolvedRun, data, saver: ModelSaver, events: EventWriter) -> tuple:
    """(model, train set, validation set, collator) for the Trainer: the tokenized texts, or with the head strategy
    the head alone on the frozen backbone's features (computed once here; best/ and last/ fold the head back)."""
    splits = tokenized_splits(data, model.tokenizer, plan)
    if plan.strategy != "head":
        return model.loaded.model, splits["train"], splits["validation"], text_collator(model.tokenizer, plan)
    head_only, train_set, eval_set = head_feature_sets(model.loaded, model.tokenizer, splits, plan.chunked,
                                                       plan.config.eval_batch_size, pad_multiple(), events)
    saver.head_only = head_only
    return head_only, train_set, eval_set, None
