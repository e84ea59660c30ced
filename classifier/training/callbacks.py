"""What listens to the Trainer: progress and evaluation events, best/, early stopping, a stop request.

One rule says whether an evaluation beats the best so far (`is_better`); best-model selection, early stopping and
a resumed run's replay of the evaluations before its checkpoint (resume.best_state_at) all use it.
"""

from __future__ import annotations

import math
import signal
import time
from pathlib import Path

import torch
from transformers import TrainerCallback
from transformers.trainer_callback import ProgressCallback

from ..events import EventWriter
from ..messages import say
from ..runs import stop_requested


def metric_key(metric: str) -> str:
    """The key of `metric_for_best_model` in Trainer's evaluation metrics."""
    return "eval_loss" if metric == "loss" else f"eval_{metric}"


def is_better(metric: str, value: float, best: float | None) -> bool:
    """Does `value` beat `best` (None: nothing yet)? Lower is better for the loss, higher for every other metric;
    a tie is no improvement, and a value that is not a finite number (a diverged loss) never improves."""
    if not math.isfinite(value):
        return False
    return best is None or (value < best if metric == "loss" else value > best)


class StopFlag:
    """SIGTERM/SIGINT or a STOP file ask for a clean stop once training runs; before that they interrupt."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.signalled = False
        self.training = False

    def install(self) -> dict:
        previous = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                previous[sig] = signal.signal(sig, self._on_signal)
            except ValueError:
                pass  # not the main thread (e.g. called from a notebook worker)
        return previous

    @staticmethod
    def restore(previous: dict) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def _on_signal(self, _signum, _frame) -> None:
        if not self.training:
            raise KeyboardInterrupt  # nothing trained yet: leave at once
        self.signalled = True

    def requested(self) -> bool:
        return self.signalled or stop_requested(self.run_dir)


class QuietProgressCallback(ProgressCallback):
    """tqdm bars for training and evaluation, without printing every log dict under them."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        pass


class RunCallback(TrainerCallback):
    """Writes progress and evaluation events, keeps best/, stops early or on request."""

    def __init__(self, stop: StopFlag, events: EventWriter, save_best, metric: str, patience: int,
                 samples_per_step: int, checkpoint_every_seconds: float = 0.0) -> None:
        self.stop = stop
        self.checkpoint_every_seconds = checkpoint_every_seconds
        self.last_checkpoint = time.perf_counter()
        self.events = events
        self.save_best = save_best
        self.metric = metric
        self.patience = patience
        self.samples_per_step = samples_per_step
        self.best_value: float | None = None
        self.best_step: int | None = None
        self.bad_evals = 0
        self.replay_until: int | None = None  # resumed: evaluations up to this step were made before (see restore)
        self.stop_reason: str | None = None
        self.start = time.perf_counter()
        self.start_step = 0

    def restore(self, best_value: float | None, best_step: int | None, bad_evals: int,
                replay_until: int | None = None) -> None:
        """Continue a resumed run's early stopping and best/ bookkeeping where the interrupted one left it.

        `replay_until`: best/ was saved after the checkpoint, at this step. The resumed run evaluates again the steps
        up to it; they cannot beat best/ (at best they tie it), so they are not counted as misses."""
        self.best_value, self.best_step, self.bad_evals = best_value, best_step, bad_evals
        self.replay_until = replay_until

    def on_train_begin(self, args, state, control, **kwargs):
        self.start = self.last_checkpoint = time.perf_counter()
        self.start_step = state.global_step  # > 0 when resumed from a checkpoint

    def on_step_end(self, args, state, control, **kwargs):
        requested = self.stop.requested()
        if args.world_size > 1:
            # every process must leave the loop at the same step, or the others wait forever in all-reduce
            flag = torch.tensor([1.0 if requested else 0.0], device=args.device)
            torch.distributed.all_reduce(flag)
            requested = bool(flag.item() > 0)
        if requested:
            self.stop_reason = say("reason_stop_requested")
            control.should_training_stop = True
            # no extra evaluation for the stop; one due at this very step still runs, so that a resumed run has
            # every evaluation an uninterrupted one has
            # a checkpoint of this very step, so that `resume` continues exactly where the user stopped
            control.should_save = args.save_strategy != "no"
        elif (control.should_save and self.checkpoint_every_seconds and args.world_size == 1
              and time.perf_counter() - self.last_checkpoint < self.checkpoint_every_seconds):
            # Trainer asks for a checkpoint at every evaluation and at the end; writing one takes 0.4-1.7 s (bench/
            # RESULTS.md), too much for short runs: at most one per checkpoint_every_seconds of training. (With
            # several processes every one must take the same decision, so there each evaluation writes one.)
            control.should_save = False

    def on_save(self, args, state, control, **kwargs):
        self.last_checkpoint = time.perf_counter()

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if "loss" not in logs or not state.is_world_process_zero:
            return
        elapsed = time.perf_counter() - self.start
        per_step = elapsed / max(state.global_step - self.start_step, 1)
        self.events.write(
            "train", step=state.global_step, total_steps=state.max_steps, epoch=round(state.epoch or 0, 4),
            loss=float(logs["loss"]), learning_rate=float(logs.get("learning_rate", 0.0)),
            samples_per_second=round(self.samples_per_step / per_step, 2) if per_step else None,
            eta_seconds=round(per_step * (state.max_steps - state.global_step), 1),
            progress=round(state.global_step / max(state.max_steps, 1), 4),
        )

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        metrics = metrics or {}
        value = metrics.get(metric_key(self.metric))
        improved = False
        if value is not None:
            if is_better(self.metric, value, self.best_value):
                improved = True
                self.best_value, self.best_step, self.bad_evals = float(value), state.global_step, 0
            elif self.replay_until is None or state.global_step > self.replay_until:
                self.bad_evals += 1
        if state.is_world_process_zero:
            if improved:
                self.save_best()
            self.events.write(
                "eval", step=state.global_step, epoch=round(state.epoch or 0, 4),
                eval_loss=metrics.get("eval_loss"), eval_accuracy=metrics.get("eval_accuracy"),
                eval_macro_f1=metrics.get("eval_macro_f1"), is_best=improved, best_by=self.metric,
            )
        if self.patience and self.bad_evals >= self.patience:
            self.stop_reason = say("reason_early_stopping", metric=self.metric, patience=self.patience)
            control.should_training_stop = True
