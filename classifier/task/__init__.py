"""What single- and multi-label classification do differently, in one place.

A single-label text has one class (`label` is an id, softmax, cross-entropy, argmax, macro-F1); a multi-label text
has any number of labels (`label` is a list of ids, a sigmoid per label, binary cross-entropy, a tuned threshold
per label, micro-F1). `task_for(multi_label)` gives the object; data, training, evaluation, the ensemble,
Predictor and the web app ask it instead of branching on "multi". A new task type is a new subclass.
"""

from __future__ import annotations

from typing import Any

from .base import Task
from .multi import MultiLabel
from .single import SingleLabel

SINGLE_LABEL = SingleLabel()
MULTI_LABEL = MultiLabel()


def task_for(multi_label: bool) -> Task:
    return MULTI_LABEL if multi_label else SINGLE_LABEL


def task_of(metrics: dict[str, Any] | None) -> Task:
    """The task of a run's metrics.json (or an evaluation's result)."""
    return task_for(bool((metrics or {}).get("multi_label")))


__all__ = ["MULTI_LABEL", "SINGLE_LABEL", "MultiLabel", "SingleLabel", "Task", "task_for", "task_of"]
