"""The web app (Gradio): one module per tab, `i18n` for the words, `runner` for training subprocesses.

This is the only package that imports gradio; `runner` itself does not, so it can be used (and tested) without it.

    from classifier.webui import build_app, launch_options
    build_app().launch(**launch_options())
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def use_persistent_storage() -> Path | None:
    """On a Hugging Face Space with persistent storage (`/data` exists and is writable), runs, the converted models
    and the hub cache go there, so a restart keeps them; CLASSIFIER_HOME, CLASSIFIER_CACHE and HF_HOME, where set,
    win. Applies on a Space (SPACE_ID is set) or where CLASSIFIER_PERSISTENT_DIR names the folder; returns it, or
    None. Runs before any huggingface_hub import (it reads HF_HOME once)."""
    chosen = os.environ.get("CLASSIFIER_PERSISTENT_DIR") or ("/data" if os.environ.get("SPACE_ID") else "")
    if not chosen:
        return None
    data = Path(chosen)
    if not (data.is_dir() and os.access(data, os.W_OK | os.X_OK)):
        return None
    home = data / "text-classifier-studio"
    os.environ.setdefault("CLASSIFIER_HOME", str(home))
    os.environ.setdefault("CLASSIFIER_CACHE", str(home / "cache"))
    os.environ.setdefault("HF_HOME", str(data / ".huggingface"))
    return data


PERSISTENT_DIR = use_persistent_storage()
ON_SPACE = bool(os.environ.get("SPACE_ID"))

# Uploads go into the app's own temporary folder (Gradio reads GRADIO_TEMP_DIR when it is first imported, so this
# runs before any gradio import). An operator may still choose another one with GRADIO_TEMP_DIR.
UPLOAD_DIR = Path(os.environ.setdefault("GRADIO_TEMP_DIR",
                                        str(Path(tempfile.gettempdir()) / "text-classifier-studio" / "uploads")))


def build_app(*args, **kwargs):
    from .app_builder import build_app as _build_app

    return _build_app(*args, **kwargs)


def launch_options():
    from .app_builder import launch_options as _launch_options

    return _launch_options()


__all__ = ["build_app", "launch_options"]
