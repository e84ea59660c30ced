"""Files the app writes for a visitor to download (model zips, batch predictions): one place for both tabs.

Each export gets a fresh private folder of its own under the app's temp folder, `$GRADIO_TEMP_DIR/exports/`, and
keeps a readable name inside it (`RUN-best.zip`). So two exports never share a path: not two visitors, not two
instances of the app with other runs folders (before, every instance wrote `<tmp>/text-classifier-studio/RUN-best.zip`
and a second one served the first one's zip for a run of the same name). Gradio copies a returned file into its own
cache as the handler returns and serves it from there, so an export is needed for moments only; it is kept
EXPORT_MAX_AGE anyway, and removed at the next export (or app start) after that. At most EXPORT_KEEP exports are
kept at all: an older one beyond them goes once it is EXPORT_GRACE seconds old.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from gradio.utils import get_upload_folder

EXPORTS_DIRNAME = "exports"
EXPORT_MAX_AGE = 3600.0  # seconds an export is kept
EXPORT_KEEP = 16  # exports kept at most (the newest)
EXPORT_GRACE = 600.0  # beyond EXPORT_KEEP, an export younger than this stays (a big zip may still be written)


def exports_root() -> Path:
    """`$GRADIO_TEMP_DIR/exports` (read at call time, like Gradio does)."""
    return Path(get_upload_folder()) / EXPORTS_DIRNAME


def new_export(filename: str, root: Path | None = None) -> Path:
    """A path for `filename` in a fresh folder of its own (mode 0700, a name nobody can guess); old exports are
    removed first. `filename` must be a harmless file name (the callers build it from run names and
    security.safe_filename)."""
    root = root or exports_root()
    root.mkdir(parents=True, exist_ok=True)
    purge_exports(root)
    # mkdtemp's own 8 random characters, and 64 more bits: files under Gradio's upload folder may be named as
    # inputs by a client that knows their path
    folder = Path(tempfile.mkdtemp(prefix=f"{secrets.token_hex(8)}-", dir=root))
    return folder / Path(filename).name


def touch_export(path: Path) -> None:
    """An export handed out again (a model zip reused while the model is unchanged) starts a new life."""
    try:
        os.utime(Path(path).parent)
    except OSError:
        pass


def purge_exports(root: Path | None = None, max_age: float = EXPORT_MAX_AGE, keep: int = EXPORT_KEEP,
                  grace: float = EXPORT_GRACE, now: float | None = None) -> list[Path]:
    """Remove export folders older than `max_age` seconds, and beyond the `keep` newest those older than `grace`;
    returns the folders removed. Anything else in `root` is left alone."""
    root = root or exports_root()
    now = time.time() if now is None else now
    try:
        folders = [(p.stat().st_mtime, p) for p in root.iterdir() if p.is_dir() and not p.is_symlink()]
    except FileNotFoundError:
        return []
    folders.sort(reverse=True)
    removed = []
    for rank, (mtime, folder) in enumerate(folders):
        age = now - mtime
        if age > max_age or (rank >= keep and age > grace):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
