"""What an operator can lock down with environment variables, and the safe defaults when they are not set.

    CLASSIFIER_MAX_UPLOAD_MB       largest file the web app accepts (default 100)
    CLASSIFIER_AUTH                "user:password" (several: comma-separated) - HTTP login for the whole web app
    CLASSIFIER_DEMO                1 - read-only web app: predict (and look at results) only; no training, no deleting
    CLASSIFIER_TRUST_REMOTE_CODE   1 - allow models whose hub repository ships Python code (off: such code never runs)

Weights are read from safetensors files only (no pickle, which can run code while it loads); see
`pretrained_kwargs`. No gradio here: the engine uses these too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

DEFAULT_MAX_UPLOAD_MB = 100
UPLOAD_EXTENSIONS = (".csv", ".tsv", ".txt", ".json", ".jsonl", ".xlsx")
_TRUE = ("1", "true", "yes", "on")


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def trust_remote_code() -> bool:
    """Only when the operator says so: a hub model's own Python code would run inside this process."""
    return _flag("CLASSIFIER_TRUST_REMOTE_CODE")


def pretrained_kwargs(weights: bool = False) -> dict:
    """Keyword arguments for every `from_pretrained` on a user-chosen model: no remote code unless allowed, and
    for weights safetensors only (a pickled `pytorch_model.bin` can run code when it is loaded)."""
    kwargs: dict = {"trust_remote_code": trust_remote_code()}
    if weights:
        kwargs["use_safetensors"] = True
    return kwargs


def demo_mode() -> bool:
    return _flag("CLASSIFIER_DEMO")


def max_upload_mb() -> float:
    raw = os.environ.get("CLASSIFIER_MAX_UPLOAD_MB", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        value = DEFAULT_MAX_UPLOAD_MB
    return value if value > 0 else DEFAULT_MAX_UPLOAD_MB


def max_upload_bytes() -> int:
    return int(max_upload_mb() * 1024 * 1024)


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


def safe_filename(name: str, default: str = "file") -> str:
    """A user's file name reduced to a harmless single path component (letters, digits, - _ .), never a path."""
    base = Path(str(name).replace("\\", "/")).name
    stem, suffix = os.path.splitext(base)
    stem = re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9_.-]+", "-", stem)).strip("-.")[:60] or default
    suffix = re.sub(r"[^A-Za-z0-9.]+", "", suffix)[:10].lower()
    return stem + suffix
