"""Shared fixtures: sample files, an isolated CLASSIFIER_HOME, and one trained SMS run reused by many tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMS = ROOT / "assets" / "sms_spam.tsv"
THUCNEWS = ROOT / "assets" / "thucnews_titles.tsv"

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing in the tests may reach the network


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="session")
def sms_run(tmp_path_factory):
    """The SMS sample on the default (bundled English) model, full fine-tuning, a training subset for speed."""
    from classifier.config import TrainConfig
    from classifier.training import train

    out = tmp_path_factory.mktemp("sms-home") / "runs" / "sms"  # a runs folder of its own, for `classifier runs`
    result = train(TrainConfig(data=str(SMS), output=str(out), max_train_samples=1500, epochs=2), progress=False)
    return result


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for a module's browser tests (skipped without playwright; see tests/webui_helpers.py)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.webui_helpers import launch_chromium

    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
