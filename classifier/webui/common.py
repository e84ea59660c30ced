"""What the tabs share: the training form (components bound to TrainConfig fields), how engine errors are shown,
how user- and file-supplied strings are escaped, and the lists of runs the run pickers offer."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import html
import inspect
import logging
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from ..config import TrainConfig, field_kind
from ..errors import ClassifierError
from ..messages import error_text
from ..runs import RunInfo, display_path, list_runs, run_in_root, runs_root
from .i18n import LANGS, tr

log = logging.getLogger(__name__)
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
    """Every failure of a handler reaches the page as a gr.Error toast, never a bare "Error": an engine error
    (ClassifierError) with the engine's message, in the page's language when the handler has a `lang`; anything
    else (a bug) with a short generic message and the exception's one-line summary, its traceback in the server's
    log. Both escaped (the toast renders HTML) and without the server's absolute paths (page_text).
    `guard_handlers` applies this to every event of an app."""
    if getattr(fn, "shows_errors", False):
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except ClassifierError as exc:
            message = error_text(exc, _lang_argument(fn, args, kwargs))  # in the page's language
            raise gr.Error(html_escape(page_text(message)), duration=None, print_exception=False) from None
        except Exception as exc:
            log.exception("Handler %s failed", getattr(fn, "__qualname__", fn))
            message = unexpected_message(exc, _lang_argument(fn, args, kwargs))
            raise gr.Error(html_escape(message), duration=None, print_exception=False) from None

    wrapper.shows_errors = True
    return wrapper


def guard_handlers(blocks: gr.Blocks) -> gr.Blocks:
    """Wrap the function of every event registered in `blocks` (lambdas, Timer ticks, `.then` steps included)
    with shows_errors, so that no failure reaches the page as a bare "Error" with its reason in the log only.
    Called once the app is built: a handler added later to any tab is covered without anyone remembering to."""
    for block_fn in blocks.fns.values():
        if block_fn.fn is not None:
            block_fn.fn = shows_errors(block_fn.fn)
    return blocks


def unexpected_message(exc: BaseException, lang: str | None) -> str:
    """What the page says about a failure that is not the user's: a generic sentence (in both languages when the
    handler has no `lang`) with the exception's type and first line, at most 200 characters, paths hidden."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    summary = page_text(f"{type(exc).__name__}: {first}" if first else type(exc).__name__)
    summary = summary if len(summary) <= 200 else summary[:199] + "…"
    if lang is None:
        return " / ".join(tr(code, "unexpected_error", summary=summary) for code in LANGS)
    return tr(lang, "unexpected_error", summary=summary)


def _lang_argument(fn: Callable, args: tuple, kwargs: dict) -> str | None:
    try:
        return inspect.signature(fn).bind_partial(*args, **kwargs).arguments.get("lang")
    except (TypeError, ValueError):
        return None


_ABSOLUTE_PATH = re.compile(r"(?<![\w.~:/-])(?:/[^\s'\"/<>|,;()]+){2,}/?")


def page_text(text: str) -> str:
    """A message for the page without the server's absolute paths: a path in the runs folder relative to it
    (`sms/best`), any other absolute path of two or more parts by its last part (runs.display_path)."""
    for root in {str(runs_root()), str(runs_root().resolve())}:
        text = text.replace(root + "/", "")
    return _ABSOLUTE_PATH.sub(lambda match: display_path(match.group().rstrip("/")), text)


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
    """(label, name) of the runs with `what`, newest first; the best finished run on the data of the latest run
    (compare.best_run_on_latest_data) is marked ★: it is what Predict and Evaluate open by default."""
    best = default_run(what)
    return [(("★ " if info.name == best else "") + run_label(info), info.name) for info in runs_with(what)]


def default_run(what: str) -> str | None:
    """The run a picker opens by default: the finished run with the best test macro-F1 among the runs trained on
    the same data as the most recent one; else the newest run with `what`."""
    from ..compare import best_run_on_latest_data

    names = [info.name for info in runs_with(what)]
    best = best_run_on_latest_data()
    if best is not None and best.name in names:
        return best.name
    return names[0] if names else None


def run_path(name: str | None) -> Path | None:
    """The run folder of a run name a visitor sent: only a folder directly inside the runs folder (no `../`, no
    absolute path, no symbolic link; those raise RunError); None for no name or no such run."""
    return run_in_root(name, runs_root())


