"""One function call in a child process, with a time limit: how the web app reads a visitor's data file.

A file can be made to cost far more than its size suggests (issue 17: a sniffer that is quadratic in a line, a
sheet that expands a thousandfold). In a child process the cost is bounded: at the time limit the child is killed,
and whatever memory it took goes back to the system when it ends, not to the web server's heap.

Children come from multiprocessing's fork server, which imports the engine (pandas, torch, transformers) once; a
child then starts in milliseconds instead of the seconds a fresh interpreter needs to import them. The fork server
is a fresh single-threaded process, so forking it is safe where forking the threaded web server is not. Like every
multiprocessing child, a child imports the main script as `__mp_main__` (app.py builds no app then).
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from collections.abc import Callable
from typing import Any

from .errors import ClassifierError
from .messages import say

# imported once by the fork server (pandas, torch, transformers' tokenizer and config machinery), not by each child
PRELOAD = ["classifier.data", "classifier.modeling", "classifier.backbones",
           "transformers.models.auto.tokenization_auto", "transformers.models.auto.configuration_auto"]
_lock = threading.Lock()
_context: Any = None


class TimeLimitExceeded(ClassifierError):
    """The call took longer than its limit; the child was stopped."""


def _get_context():
    global _context
    with _lock:
        if _context is None:
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload(PRELOAD)
        return _context


def _child(sender, fn: Callable, args: tuple, kwargs: dict) -> None:
    try:
        result = ("ok", fn(*args, **kwargs))
    except ClassifierError as exc:
        result = ("error", exc)
    except BaseException:  # a bug: its traceback goes to the server's log
        result = ("bug", traceback.format_exc())
    try:
        sender.send(result)
    except Exception:  # a result that cannot be pickled
        sender.send(("bug", traceback.format_exc()))
    sender.close()


def call_with_time_limit(fn: Callable, *args: Any, seconds: float, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)` in a child process: its result, or the ClassifierError it raised. TimeLimitExceeded
    after `seconds` (the child is killed); ClassifierError when the child dies without an answer (e.g. killed for
    memory); RuntimeError with the child's traceback for any other exception. `fn` and its arguments must be
    picklable (a module-level function)."""
    context = _get_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, fn, args, kwargs), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise TimeLimitExceeded(f"It took longer than {seconds:g} seconds and was stopped.")
        kind, value = receiver.recv()
    except EOFError:
        raise ClassifierError(say("worker_no_answer")) from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    if kind == "ok":
        return value
    if kind == "error":
        raise value
    raise RuntimeError(f"{getattr(fn, '__name__', fn)} failed in a worker process:\n{value}")
