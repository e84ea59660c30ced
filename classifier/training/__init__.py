"""Training: one run from a TrainConfig to a finished run folder (docs/run-folder.md).

HF `Trainer` does the loop (optimizer, schedule, accumulation, clipping, mixed precision, length-grouped
batches); this package only decides its arguments and listens to it.

    run.py        the orchestrator: train() / resume_run(), data -> model -> plan -> Trainer -> test -> summary
    plan.py       ResolvedRun: every "auto" decided (model, pooling, strategy, learning rate, max_length,
                  micro-batches on a CPU) and the TrainingArguments built from it
    inputs.py     the data read into splits and tokenized
    model.py      the model loaded, its strategy applied, best/ and last/ saved (ModelSaver)
    features.py   the head strategy's feature cache: the frozen backbone runs once over every text
    trainer.py    ClassifierTrainer (loss, per-group learning rates, sampler), collators, validation metrics
    callbacks.py  events, best/, early stopping (one `is_better` rule), stop requests
    resume.py     clearing the run folder, resuming from a checkpoint, data fingerprints
    test_step.py  validation choices, test metrics, predictions.csv, the final summary
"""

from ..hardware import describe_device
from ..hf import logging as hf_logging  # before the Trainer: the names the app's threads share, resolved first
from ..run_folder import MODEL_META_FILE
from .callbacks import QuietProgressCallback, RunCallback, StopFlag, is_better
from .plan import CPU_TOKENS_PER_MICRO_BATCH, ResolvedRun, choose_model, choose_pooling, choose_strategy
from .resume import best_state_at, data_fingerprints
from .run import RunResult, is_main_process, resource_error, resume_run, train
from .test_step import evaluate_on_test, write_predictions_table
from .trainer import ChunkCollator, ClassifierTrainer

# Weight loading/saving bars from transformers say nothing a user needs; our own events and bar do.
hf_logging.disable_progress_bar()
hf_logging.set_verbosity_error()

__all__ = [
    "CPU_TOKENS_PER_MICRO_BATCH", "MODEL_META_FILE", "ChunkCollator", "ClassifierTrainer", "QuietProgressCallback",
    "ResolvedRun", "RunCallback", "RunResult", "StopFlag", "best_state_at",
    "choose_model", "choose_pooling", "choose_strategy", "data_fingerprints", "describe_device", "evaluate_on_test",
    "is_better", "is_main_process", "resource_error", "resume_run", "train", "write_predictions_table",
]
