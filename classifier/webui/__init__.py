"""The web app (Gradio): one module per tab, `i18n` for the words, `runner` for training subprocesses.

This is the only package that imports gradio; `runner` itself does not, so it can be used (and tested) without it.

    from classifier.webui import build_app, launch_options
    build_app().launch(**launch_options())
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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
