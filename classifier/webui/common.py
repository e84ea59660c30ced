"""What the tabs share: the training form (components bound to TrainConfig fields), how engine errors are shown,
how user- and file-supplied strings are escaped, and the lists of runs the run pickers offer."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import html
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from ..config import TrainConfig, field_kind
from ..errors import ClassifierError
from ..runs import RunInfo, list_runs, run_in_root, runs_root

_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
_DEFAULTS = TrainConfig()


def default(field: str) -> Any:
    """The TrainConfig default of a field: the form shows exactly what the CLI would use."""
    return getattr(_DEFAULTS, field)


class ConfigForm:
    """Form components bound to TrainConfig fields. A handler gets the values of `components` (as the dict that
    gradio passes for a set of inputs) and `to_config` turns them into a TrainConfig; no field list is kept by
    hand anywhere else.

        form.bind(gr.Number(default("epochs"), label=...), "epochs")
        form.bind(radio, convert=lambda choice: {"balance": choice == "balance", ...})   # one widget, two fields
    """

    def __init__(self) -> None:
        self._bindings: list[tuple[gr.components.Component, Callable[[Any], dict[str, Any]]]] = []

    def bind(self, component, field: str | None = None, convert: Callable[[Any], dict[str, Any]] | None = None):
        if field is not None:
            if field not in _FIELDS:
                raise KeyError(f"TrainConfig has no field {field!r}")
            convert = functools.partial(_coerce_into, field)
        if convert is None:
            raise ValueError("bind() needs a TrainConfig field name or a convert function")
        self._bindings.append((component, convert))
        return component

    @property
    def components(self) -> list:
        return [component for component, _ in self._bindings]

    def to_config(self, values: dict, **fixed: Any) -> TrainConfig:
        settings: dict[str, Any] = {}
        for component, convert in self._bindings:
            settings.update(convert(values[component]))
        settings.update(fixed)
        return TrainConfig(**settings)


def _coerce_into(field: str, value: Any) -> dict[str, Any]:
    """A widget's value as the field's declared type (config.field_kind): whole numbers int; an empty optional
    number (which gr.Number sends as 0; no optional number setting takes 0) becomes None, i.e. 'automatic'."""
    base, optional = field_kind(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        return {field: None if optional else default(field)}
    if optional and base in (int, float) and float(value) == 0:
        return {field: None}
    if base is int:
        return {field: int(round(float(value)))}
    if base is float:
        return {field: float(value)}
    if base is bool:
        return {field: bool(value)}
    if base is list:
        return {field: [item.strip() for item in str(value).split(",") if item.strip()] or None}
    return {field: str(value).strip()}


# ---------------------------------------------------------------------------------------------------------------
# Strings from users and files, shown in the page
# ---------------------------------------------------------------------------------------------------------------
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~=$:])")


def md_escape(value: Any) -> str:
    """A user- or file-supplied string (run or model name, label, file name, message) for a Markdown component: no
    HTML (< > & become entities), no Markdown markup (its characters are backslash-escaped), one line."""
    text = " ".join(str(value).splitlines())
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))


def html_escape(value: Any) -> str:
    """A user- or file-supplied string for HTML: gr.Info / gr.Warning / gr.Error render their message as HTML."""
    return html.escape(str(value), quote=False)


def shows_errors(fn: Callable) -> Callable:
    """Engine errors (ClassifierError) become a gr.Error toast with the engine's message (escaped: it quotes file
    names, labels and run names, and the toast renders HTML), never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ClassifierError as exc:
            raise gr.Error(html_escape(exc), duration=None, print_exception=False) from None

    return wrapper


_sessions: dict[str, list] = {}  # session hash -> [lock, events holding or waiting for it]
_sessions_guard = threading.Lock()


@contextlib.contextmanager
def one_at_a_time(request: gr.Request | None) -> Iterator[None]:
    """One visitor's events of this kind run one at a time, in the order they came, while other visitors' events
    run beside them (Gradio's concurrency limits count all visitors together)."""
    key = getattr(request, "session_hash", None)
    if not key:
        yield
        return
    with _sessions_guard:
        entry = _sessions.setdefault(key, [threading.Lock(), 0])
        entry[1] += 1
    try:
        with entry[0]:
            yield
    finally:
        with _sessions_guard:
            entry[1] -= 1
            if entry[1] == 0:
                _sessions.pop(key, None)


# ---------------------------------------------------------------------------------------------------------------
# Runs for the pickers
# ---------------------------------------------------------------------------------------------------------------
def run_label(info: RunInfo) -> str:
    score = f" · F1 {info.macro_f1:.3f}" if info.macro_f1 is not None else ""
    return f"{info.name} · {info.status}{score}"


def runs_with(what: str) -> list[RunInfo]:
    """Runs that have test results (`metrics`) or a saved model (`model`), newest first."""
    infos = list_runs()
    if what == "metrics":
        return [i for i in infos if (i.path / "metrics.json").is_file()]
    return [i for i in infos if any((i.path / sub / "config.json").is_file() for sub in ("best", "last"))]


def run_choices(what: str) -> list[tuple[str, str]]:
    return [(run_label(info), info.name) for info in runs_with(what)]


def run_path(name: str | None) -> Path | None:
    """The run folder of a run name a visitor sent: only a folder directly inside the runs folder (no `../`, no
    absolute path, no symbolic link; those raise RunError); None for no name or no such run."""
    return run_in_root(name, runs_root())


