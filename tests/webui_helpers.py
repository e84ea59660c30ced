"""Helpers for the web app's browser tests: start the real app, drive it in Debian's headless Chromium.

The app runs as `python app.py` on a free port with CLASSIFIER_HOME in a temporary folder, exactly as a user
starts it. Chromium is the system one (`apt-get install chromium`); Playwright's own browser download is not
used. Tests that need it are skipped when either Playwright or Chromium is missing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "assets" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Studio:
    url: str
    home: Path
    process: subprocess.Popen
    log: Path
    startup_seconds: float

    @property
    def runs(self) -> list[Path]:
        root = self.home / "runs"
        return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def start_studio(home: Path, timeout: float = 120.0) -> Studio:
    """`python app.py` on a free port; returns once the page is served."""
    port = free_port()
    log = home / "app.log"
    env = {**os.environ, "CLASSIFIER_HOME": str(home), "PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "PYTHONUNBUFFERED": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("GRADIO_SERVER_PORT", None)
    started = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return Studio(url, home, process, log, time.perf_counter() - started)
        except OSError:
            time.sleep(0.25)
    stop_studio(Studio(url, home, process, log, 0.0))
    raise RuntimeError(f"app.py did not serve {url} within {timeout:.0f}s:\n{log.read_text(errors='replace')}")


def stop_studio(studio: Studio) -> None:
    """Stop the app and any training it started (trainers run in sessions of their own and would outlive it)."""
    for run in studio.runs:
        for pid in _trainer_pids(run):
            try:
                os.kill(pid, signal.SIGTERM)  # the trainer stops cleanly on SIGTERM
            except ProcessLookupError:
                pass
    studio.process.terminate()
    try:
        studio.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        studio.process.kill()
    deadline = time.monotonic() + 30
    for run in studio.runs:
        for pid in _trainer_pids(run):
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.5)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _trainer_pids(run: Path) -> set[int]:
    pids = set()
    try:
        lines = (run / "events.jsonl").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return pids
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event.get("type") == "status" and event.get("pid"):
            pids.add(int(event["pid"]))
    # not our own: a run trained in the test process (conftest's sms_run) and copied into the app's runs
    return {pid for pid in pids if pid != os.getpid() and _alive(pid)}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def launch_chromium(playwright):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# ---------------------------------------------------------------------------------------------------------------
# Gradio in the page
# ---------------------------------------------------------------------------------------------------------------
def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def set_number(page, elem_id: str, value) -> None:
    """Type into a gr.Number / gr.Slider box and leave it (which fires its change)."""
    box = page.locator(f"#{elem_id} input[type=number]").first
    box.fill(str(value))
    box.press("Tab")


def choose(page, elem_id: str, label: str) -> None:
    """Pick a gr.Radio option by its visible label."""
    page.locator(f"#{elem_id}").get_by_text(label, exact=True).click()


def pick_dropdown(page, elem_id: str, option_text: str, attempts: int = 3) -> None:
    """Open a (single-select) gr.Dropdown, click the option whose text contains `option_text`, and wait until the
    dropdown shows it. A click that lands the moment the list opens is sometimes lost in headless Chromium on a
    busy machine (the list opened, the dropdown kept its value: seen in a full suite run, never with a human's
    pause), so the pick is tried again, at most `attempts` times."""
    field = page.locator(f"#{elem_id} input").first
    shown = []
    for _ in range(attempts):
        field.click()
        option = page.locator("[data-testid=dropdown-option]", has_text=option_text).first
        label = option.get_attribute("aria-label") or option_text
        option.click()
        try:
            page.wait_for_function("([el, want]) => el.value === want", arg=[field.element_handle(), label],
                                   timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: the pick did not take; again
            shown.append(field.input_value())
    raise AssertionError(f"#{elem_id}: picking {option_text!r} did not take in {attempts} tries (shown: {shown})")


def plot_has_traces(page, elem_id: str, kind: str = "scatterlayer") -> bool:
    return page.locator(f"#{elem_id} .{kind} .trace").count() > 0


HIDE_TOASTS = ("document.head.insertAdjacentHTML('beforeend', "
               "'<style id=\"no-toasts\">.toast-wrap{display:none!important}</style>')")
SHOW_TOASTS = "document.getElementById('no-toasts')?.remove()"


def toast_texts(page) -> list[str]:
    return page.locator("[data-testid=toast-text]").all_inner_texts()


def screenshot(page, name: str, selector: str | None = None) -> Path:
    """Full-page screenshot (or of the element at `selector`) into assets/screenshots/, without notification
    toasts or hover effects."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    page.evaluate(HIDE_TOASTS)
    path = SCREENSHOTS / f"{name}.png"
    try:
        if selector:
            page.locator(selector).screenshot(path=str(path))
        else:
            page.screenshot(path=str(path), full_page=True)
    finally:
        page.evaluate(SHOW_TOASTS)
    return path
