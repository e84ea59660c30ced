"""What an operator can lock down with environment variables, and the safe defaults when they are not set.

    CLASSIFIER_MAX_UPLOAD_MB       largest file the web app accepts (default 100; 10 in demo mode); an .xlsx may
                                   also expand to at most this much sheet XML and hold at most 5,000 rows per MB
                                   (default 500,000)
    CLASSIFIER_MAX_TEXT_CHARS      longest text the web app classifies (default 100,000 characters); also what a
                                   run trained with truncation="chunk" reads of a text
    CLASSIFIER_MAX_REQUEST_CHARS   most characters of all texts of one batch-prediction file (default 50,000,000)
    CLASSIFIER_MAX_PREDICT_TEXTS   most texts of one batch-prediction file (default 100,000)
    CLASSIFIER_LOAD_TIMEOUT        seconds the web app may spend reading and summarising a data file (default 120)
    CLASSIFIER_AUTH                "user:password" (several: comma-separated) - HTTP login for the whole web app;
                                   wrong passwords are slowed down and a name is locked after a few (LoginGuard)
    CLASSIFIER_DEMO                1 - read-only web app: predict (and look at results) only; no training, no deleting
    CLASSIFIER_TRUST_REMOTE_CODE   1 - allow models that ship Python code (off: such a model is refused, never run)

Weights are read from safetensors files only (no pickle, which can run code while it loads); see
`pretrained_kwargs`. Every bound on what one request may cost lives here (docs/security.md lists them), and so do
the helpers that keep hostile content harmless: `clip_text` (what a tokenizer is given), `inside` (no link out of a
run folder), `spreadsheet_safe` (no formulas in a CSV). No gradio here: the engine uses these too.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DataError, ModelError, RunError
from .messages import say

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_MAX_UPLOAD_MB = 100
DEFAULT_DEMO_MAX_UPLOAD_MB = 10  # CLASSIFIER_DEMO=1 takes files for batch prediction only
DEFAULT_MAX_TEXT_CHARS = 100_000
DEFAULT_MAX_REQUEST_CHARS = 50_000_000  # 50 MB of text: 100,000 texts of 500 characters
DEFAULT_MAX_PREDICT_TEXTS = 100_000
DEFAULT_LOAD_TIMEOUT = 120.0
DEFAULT_LABEL_ISSUES_TIMEOUT = 900.0  # the Data tab's label-error search: features of 20,000 texts on 2 cores
DEFAULT_LABEL_ISSUES_MAX_ROWS = 20_000
MAX_COLUMNS = 1_000  # columns of a data file: the column detection looks at each one
SNIFF_SAMPLE_CHARS = 64 * 1024  # csv.Sniffer is quadratic in its sample: a one-line file of quoted fields
SHEET_ROWS_PER_MB = 5_000  # rows an .xlsx may hold per MB of CLASSIFIER_MAX_UPLOAD_MB
CHARS_PER_TOKEN = 20  # a generous ceiling: English runs ~4 characters a token, Chinese ~1
UPLOAD_EXTENSIONS = (".csv", ".tsv", ".txt", ".json", ".jsonl", ".xlsx", ".parquet")
_TRUE = ("1", "true", "yes", "on")


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def trust_remote_code() -> bool:
    """Only when the operator says so: a hub model's own Python code would run inside this process."""
    return _flag("CLASSIFIER_TRUST_REMOTE_CODE")


CODE_CONFIGS = ("config.json", "tokenizer_config.json")  # where a model folder names Python code of its own


def model_code(source) -> list[str]:
    """The Python modules a model names in the `auto_map` of its config.json or tokenizer_config.json: read from
    the folder itself, or for a hub id from the hub cache (offline; `backbones.resolve_model` fetched it)."""
    import json

    modules: set[str] = set()
    for name in CODE_CONFIGS:
        path = _config_file(source, name)
        if path is None:
            continue
        try:
            auto_map = json.loads(Path(path).read_text(encoding="utf-8")).get("auto_map") or {}
        except (OSError, ValueError, AttributeError):
            continue  # unreadable: the loader that reads it says so
        entries = auto_map.values() if isinstance(auto_map, dict) else auto_map
        for entry in entries:
            for ref in entry if isinstance(entry, (list, tuple)) else [entry]:
                if isinstance(ref, str) and "." in ref:
                    modules.add(ref.split("--")[-1].rsplit(".", 1)[0] + ".py")
    return sorted(modules)


def _config_file(source, name: str) -> Path | None:
    folder = Path(str(source)).expanduser()
    if folder.is_dir():
        return folder / name if (folder / name).is_file() else None
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(str(source), name)
    except Exception:  # not a valid repo id: nothing cached under it
        return None
    return Path(cached) if isinstance(cached, str) else None


def check_model_code(source) -> None:
    """ModelError when a model ships Python code of its own and CLASSIFIER_TRUST_REMOTE_CODE is off. Never a
    prompt: transformers asks "run the custom code? [y/N]" on a terminal when it is not told, and with
    trust_remote_code=False it either fails with a message about a "repository" or silently loads its standard
    class instead of the model's own (another model than the one named)."""
    modules = model_code(source)
    if modules and not trust_remote_code():
        from .runs import display_path

        raise ModelError(say("model_ships_code", name=display_path(source), modules=", ".join(modules)))


def pretrained_kwargs(source, weights: bool = False) -> dict:
    """Keyword arguments for every `from_pretrained` (and `from_config`) of a model: checks first that `source`
    (the folder or hub id about to be loaded) runs no code of its own unless allowed (check_model_code), then says
    so to transformers (trust_remote_code, never None: None means "ask on the terminal"); for weights
    safetensors only (a pickled `pytorch_model.bin` can run code when it is loaded). tests/test_security.py checks
    that every such call in classifier/ passes through here."""
    check_model_code(source)
    kwargs: dict = {"trust_remote_code": trust_remote_code()}
    if weights:
        kwargs["use_safetensors"] = True
    return kwargs


def demo_mode() -> bool:
    return _flag("CLASSIFIER_DEMO")


def _positive(name: str, default: float) -> float:
    """A positive number from the environment; the default when unset, malformed or not above 0."""
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = default
    return value if value > 0 and value != float("inf") else default


def max_upload_mb() -> float:
    """CLASSIFIER_MAX_UPLOAD_MB; unset, 100, or 10 in demo mode (an open demo needs no big files)."""
    return _positive("CLASSIFIER_MAX_UPLOAD_MB", DEFAULT_DEMO_MAX_UPLOAD_MB if demo_mode() else DEFAULT_MAX_UPLOAD_MB)


def max_upload_bytes() -> int:
    return int(max_upload_mb() * 1024 * 1024)


def max_sheet_xml_bytes() -> int:
    """Uncompressed sheet XML an .xlsx may expand to: as much as the largest file the app accepts."""
    return max_upload_bytes()


def max_sheet_rows() -> int:
    return max(1, int(max_upload_mb() * SHEET_ROWS_PER_MB))


def max_text_chars() -> int:
    return int(_positive("CLASSIFIER_MAX_TEXT_CHARS", DEFAULT_MAX_TEXT_CHARS))


def max_request_chars() -> int:
    return int(_positive("CLASSIFIER_MAX_REQUEST_CHARS", DEFAULT_MAX_REQUEST_CHARS))


def max_predict_texts() -> int:
    return int(_positive("CLASSIFIER_MAX_PREDICT_TEXTS", DEFAULT_MAX_PREDICT_TEXTS))


def load_timeout() -> float:
    return _positive("CLASSIFIER_LOAD_TIMEOUT", DEFAULT_LOAD_TIMEOUT)


def label_issues_timeout() -> float:
    return _positive("CLASSIFIER_LABEL_ISSUES_TIMEOUT", DEFAULT_LABEL_ISSUES_TIMEOUT)


def label_issues_max_rows() -> int:
    return int(_positive("CLASSIFIER_LABEL_ISSUES_MAX_ROWS", DEFAULT_LABEL_ISSUES_MAX_ROWS))


def auth_pairs() -> list[tuple[str, str]] | None:
    """CLASSIFIER_AUTH="alice:secret,bob:other" -> [("alice", "secret"), ("bob", "other")]; None when unset."""
    raw = os.environ.get("CLASSIFIER_AUTH", "").strip()
    if not raw:
        return None
    pairs = []
    for item in raw.split(","):
        user, sep, password = item.strip().partition(":")
        if not sep or not user or not password:
            raise ValueError("CLASSIFIER_AUTH must be user:password (several separated by commas), e.g. "
                             "CLASSIFIER_AUTH='alice:long-secret'.")
        pairs.append((user, password))
    return pairs


LOGIN_MAX_FAILURES = 5  # wrong passwords for one user name within LOGIN_WINDOW_S, then the name is locked
LOGIN_WINDOW_S = 60.0
LOGIN_LOCKOUT_S = 60.0  # how long a locked name is refused, even with the right password
LOGIN_FAILURE_DELAY_S = 1.0  # every refused login waits this long before its answer
LOGIN_NAMES_KEPT = 10_000  # user names whose failures are remembered (the oldest are forgotten first)


class LoginGuard:
    """The check behind CLASSIFIER_AUTH's login form (`launch(auth=LoginGuard(pairs).check)`); before it, Gradio
    compared the password and answered at once: 100 wrong passwords took 1.3 s.

    Every pair is compared in constant time (hmac.compare_digest, all of them, so the time says nothing about which
    name exists). A refused login waits `delay` seconds before its answer; after `max_failures` wrong passwords for
    one name within `window` seconds that name is refused for `lockout` seconds, the right password included. The
    wait is an asyncio sleep: Gradio awaits an async check in its event loop, where a time.sleep would stop every
    other visitor. The counts are kept under a lock (thread-safe) for at most LOGIN_NAMES_KEPT names. `clock` and
    `sleep` are there for tests."""

    def __init__(self, pairs: list[tuple[str, str]], max_failures: int = LOGIN_MAX_FAILURES,
                 window: float = LOGIN_WINDOW_S, lockout: float = LOGIN_LOCKOUT_S,
                 delay: float = LOGIN_FAILURE_DELAY_S, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._pairs = [(user.encode("utf-8"), password.encode("utf-8")) for user, password in pairs]
        self.max_failures, self.window, self.lockout, self.delay = max_failures, window, lockout, delay
        self._clock, self._sleep = clock, sleep
        self._failures: OrderedDict[str, list[float]] = OrderedDict()  # name -> times of its recent failures
        self._locked: dict[str, float] = {}  # name -> until when
        self._lock = threading.Lock()

    async def check(self, username: str, password: str) -> bool:
        """Gradio's `auth` callable: True lets the visitor in."""
        if self.attempt(username, password):
            return True
        await self._sleep(self.delay)
        return False

    def attempt(self, username: str, password: str) -> bool:
        """The decision, without the wait: False while `username` is locked, else whether the pair is right (a
        wrong one is counted, and may lock the name)."""
        username, password = str(username), str(password)
        key = username[:256]  # a megabyte of user name is not kept as a key
        now = self._clock()
        with self._lock:
            if self._locked.get(key, float("-inf")) > now:
                return False
            self._locked.pop(key, None)
            if self._matches(username, password):
                self._failures.pop(key, None)
                return True
            recent = [t for t in self._failures.pop(key, []) if now - t < self.window] + [now]
            if len(recent) < self.max_failures:
                self._failures[key] = recent
                while len(self._failures) > LOGIN_NAMES_KEPT:
                    self._failures.popitem(last=False)
                return False
            for name in [n for n, until in self._locked.items() if until <= now]:  # expired locks
                del self._locked[name]
            self._locked[key] = now + self.lockout
        logging.getLogger(__name__).warning("Login: %d wrong passwords for user name %r within %g s; refused for %g s.",
                                            len(recent), key[:100], self.window, self.lockout)
        return False

    def _matches(self, username: str, password: str) -> bool:
        user, secret = username.encode("utf-8"), password.encode("utf-8")
        found = False
        for known_user, known_secret in self._pairs:  # every pair, so the time does not depend on which one
            found |= hmac.compare_digest(user, known_user) & hmac.compare_digest(secret, known_secret)
        return found


def safe_filename(name: str, default: str = "file") -> str:
    """A user's file name reduced to a harmless single path component (letters, digits, - _ .), never a path."""
    base = Path(str(name).replace("\\", "/")).name
    stem, suffix = os.path.splitext(base)
    stem = re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9_.-]+", "-", stem)).strip("-.")[:60] or default
    suffix = re.sub(r"[^A-Za-z0-9.]+", "", suffix)[:10].lower()
    return stem + suffix


# ---------------------------------------------------------------------------------------------------------------
# Bounded cost per request
# ---------------------------------------------------------------------------------------------------------------
def check_text(text: str) -> None:
    """A text the web app is asked to classify: refused (DataError) above CLASSIFIER_MAX_TEXT_CHARS."""
    limit = max_text_chars()
    if len(text) > limit:
        raise DataError(say("text_too_long", n=len(text), limit=limit))


def check_texts(texts: list[str], source: str) -> None:
    """The texts of a batch-prediction file: at most CLASSIFIER_MAX_PREDICT_TEXTS texts, each at most
    CLASSIFIER_MAX_TEXT_CHARS and all together at most CLASSIFIER_MAX_REQUEST_CHARS characters."""
    if len(texts) > max_predict_texts():
        raise DataError(say("batch_too_many_texts", source=source, n=len(texts), limit=max_predict_texts()))
    longest = max(range(len(texts)), key=lambda i: len(texts[i]), default=None)
    if longest is not None and len(texts[longest]) > max_text_chars():
        raise DataError(say("batch_text_too_long", source=source, index=longest + 1, n=len(texts[longest]),
                            limit=max_text_chars()))
    total = sum(map(len, texts))
    if total > max_request_chars():
        raise DataError(say("batch_too_many_chars", source=source, n=total, limit=max_request_chars()))


def clip_text(text: str, max_length: int, truncation: str = "head") -> str:
    """The part of a text that a model reading `max_length` tokens can use, cut before tokenizing so that a huge
    text costs no more than a long one. `head`: the first max_length x CHARS_PER_TOKEN characters; `head+tail`:
    that many from the start and from the end (the tokens kept come from both ends); `chunk` (every window is read):
    the first CLASSIFIER_MAX_TEXT_CHARS characters."""
    if truncation == "chunk":
        return text[:max_text_chars()]
    budget = max(int(max_length), 1) * CHARS_PER_TOKEN
    if truncation == "head+tail":
        return text if len(text) <= 2 * budget else text[:budget] + " " + text[-budget:]
    return text[:budget]


# ---------------------------------------------------------------------------------------------------------------
# Links, and CSV files for spreadsheets
# ---------------------------------------------------------------------------------------------------------------
def inside(path: Path, root: Path) -> bool:
    """Whether `path`, links resolved, is `root` or lies under it."""
    resolved, base = Path(path).resolve(), Path(root).resolve()
    return resolved == base or base in resolved.parents


def run_file(run_dir: Path, name: str) -> Path:
    """RUN/name for reading; RunError when it is a link that leads outside the run (README: nothing outside the
    runs folder is read)."""
    path = Path(run_dir) / name
    if path.is_symlink() and not inside(path, run_dir):
        raise RunError(say("run_file_link", run=Path(run_dir).name, name=name))
    return path


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_cell(value):
    """A CSV cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a leading ' (OWASP's CSV
    injection advice); plain numbers such as -1 and anything that is not text stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def from_spreadsheet_cell(value):
    """The value spreadsheet_cell was given back (for our own readers of the CSV files we wrote)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names cannot start a formula (see spreadsheet_cell); for
    every CSV meant to be opened in Excel, LibreOffice or Google Sheets."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    out = frame.copy()
    for column in out.columns:
        if not (is_numeric_dtype(out[column]) or is_bool_dtype(out[column])):  # text: object or str dtype
            out[column] = out[column].map(spreadsheet_cell)
    out.columns = [spreadsheet_cell(c) for c in out.columns]
    return out
