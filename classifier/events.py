"""RUN/events.jsonl: the training process writes one JSON object per line; readers tail the file.

Every event has `time` (ISO seconds) and `type`:

- `status`: `status` is one of started, running, evaluating, finished, stopped, failed; `message` says why;
  `pid` is the training process.
- `train`: `step`, `total_steps`, `epoch`, `loss`, `learning_rate`, `samples_per_second`, `eta_seconds`,
  `progress` (0..1).
- `eval`: `step`, `epoch`, `eval_loss`, `eval_accuracy`, `eval_macro_f1`, `is_best`, `best_by` (the metric that
  chose the best checkpoint: `loss`, `macro_f1` or `accuracy`).
- `test`: headline test metrics of best/ (`accuracy`, `macro_f1`, `baseline_accuracy`, `baseline_macro_f1`).
- `log`: `message`, a line for the short log in the app.

A `status` or `log` message made with `classifier.messages.say` also has `key` and `params`: the app shows it in
the reader's language from those (`messages.event_text`); `message` keeps the English text for older readers.

A line is written with one `write` call and flushed, so a reader never sees half an object except the last line
while it is being written; `read_events` skips such a line and picks it up next time.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

from .messages import message_fields


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


class EventWriter:
    def __init__(self, path: Path, enabled: bool = True) -> None:
        self.path = Path(path)
        # Under torchrun only rank 0 writes; the others get a writer that does nothing.
        self.enabled = enabled

    def write(self, type_: str, **fields: Any) -> dict[str, Any]:
        event = {"time": now(), "type": type_, **fields}
        if self.enabled:
            line = json.dumps(_finite(event), ensure_ascii=False, default=float, allow_nan=False) + "\n"
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
        return event

    def status(self, status: str, message: str = "", **fields: Any) -> dict[str, Any]:
        from .runs import process_start

        return self.write("status", status=status, message=str(message), **message_fields(message), pid=os.getpid(),
                          pid_start=process_start(os.getpid()), **fields)

    def log(self, message: str) -> dict[str, Any]:
        return self.write("log", message=str(message), **message_fields(message))


def read_events(path: Path, offset: int = 0) -> list[dict[str, Any]]:
    events, _ = tail_events(path, offset)
    return events


def tail_events(path: Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Events written after byte `offset`, and the offset to pass next time (only whole lines are consumed)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return [], offset
    events = []
    consumed = 0
    for raw in data.splitlines(keepends=True):
        if not raw.endswith(b"\n"):
            break  # being written right now
        consumed += len(raw)
        try:
            events.append(json.loads(raw))
        except json.JSONDecodeError:
            continue  # a line torn by a crash: skip it rather than fail the reader
    return events, offset + consumed


def last_status(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    for event in reversed(events):
        if event.get("type") == "status":
            return event
    return None


def _finite(value: Any) -> Any:
    """NaN and infinities (a diverged loss) as null: events.jsonl stays valid JSON for every reader."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy / torch scalars
        try:
            return _finite(value.item())
        except (TypeError, ValueError):
            return value
    return value
