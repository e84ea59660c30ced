"""The app as it would be hosted publicly (demo mode, login), under load while a training runs.

`python app.py` with CLASSIFIER_DEMO=1 and CLASSIFIER_AUTH on a loopback port; 20 concurrent API clients
(gradio_client, each logged in) call /predict for LOAD_SECONDS (default 60) while `python -m classifier train`
trains a small run into the same runs folder. No request may fail; the training must still finish. The figures
(requests, throughput, p50/p95/max latency) are printed as `LOAD {...}` and recorded in bench/RESULTS.md ("Load").

    python -m pytest tests/test_load.py -s
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from classifier.runs import load_run_info
from classifier.webui.runner import wait_until
from tests.webui_helpers import start_studio, stop_studio

ROOT = Path(__file__).resolve().parents[1]
SMS = ROOT / "assets" / "sms_spam.tsv"
CLIENTS = 20
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
AUTH = ("tester", "load-test-password")
TEXTS = ["WINNER!! Claim your £1000 prize now, call 09061701461", "See you at lunch tomorrow?",
         "URGENT: your mobile won a free holiday, txt CLAIM to 81010", "I'll be late, the bus broke down"]


def train_command(data: Path, output: Path, rows: int) -> list[str]:
    return [sys.executable, "-m", "classifier", "train", "--data", str(data), "--strategy", "head", "--epochs", "1",
            "--max-train-samples", str(rows), "--no-baseline", "--output", str(output), "--quiet"]


def sms_subset(path: Path, rows: int) -> Path:
    lines = SMS.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def public_studio(tmp_path_factory):
    home = tmp_path_factory.mktemp("load-home")
    base = home / "runs" / "20260101-000000-base"
    env = {**os.environ, "CLASSIFIER_HOME": str(home), "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(train_command(sms_subset(home / "sms400.tsv", 400), base, 300), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    saved = {k: os.environ.get(k) for k in ("CLASSIFIER_DEMO", "CLASSIFIER_AUTH")}
    os.environ.update(CLASSIFIER_DEMO="1", CLASSIFIER_AUTH=":".join(AUTH))
    try:
        studio = start_studio(home)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield studio, base
    stop_studio(studio)


@pytest.mark.slow
def test_public_app_needs_a_login_and_offers_no_training(public_studio):
    from gradio_client import Client

    studio, base = public_studio
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(studio.url + "config", timeout=10)
    assert refused.value.code == 401
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own kinds for a refused login
        Client(studio.url, verbose=False)
    client = Client(studio.url, auth=AUTH, verbose=False)
    endpoints = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert "/predict" in endpoints and not endpoints & {"/start_training", "/stop_training", "/load_file"}
    result = client.predict(TEXTS[0], base.name, api_name="/predict")
    assert result["label"] in ("ham", "spam")
    with pytest.raises(Exception, match="not a run name"):
        client.predict(TEXTS[0], "../../etc", api_name="/predict")


@pytest.mark.slow
def test_20_clients_predict_for_a_minute_while_a_training_runs(public_studio):
    from gradio_client import Client

    studio, base = public_studio
    clients = [Client(studio.url, auth=AUTH, verbose=False) for _ in range(CLIENTS)]
    env = {**os.environ, "CLASSIFIER_HOME": str(studio.home), "TOKENIZERS_PARALLELISM": "false"}
    run = studio.home / "runs" / "20260101-000100-during-load"
    data = sms_subset(studio.home / "sms1000.tsv", 1000)
    trainer = subprocess.Popen(train_command(data, run, 600), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + LOAD_SECONDS

    def hammer(index: int, client) -> None:
        i = index
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                result = client.predict(TEXTS[i % len(TEXTS)], base.name, api_name="/predict")
                ok = result.get("label") in ("ham", "spam")
            except Exception as exc:  # a failed request is the finding, not a crash of the test
                ok, result = False, f"{type(exc).__name__}: {exc}"
            with lock:
                (latencies.append(time.perf_counter() - started) if ok else failures.append(str(result)[:200]))
            i += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=hammer, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(LOAD_SECONDS + 120)
    elapsed = time.perf_counter() - started
    training_done_during_load = trainer.poll() is not None
    try:
        trainer.wait(timeout=300)
    finally:
        if trainer.poll() is None:
            trainer.kill()
    ordered = sorted(latencies)
    figures = {
        "clients": CLIENTS, "seconds": round(elapsed, 1), "requests": len(latencies) + len(failures),
        "failed": len(failures), "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000) if ordered else None,
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000) if ordered else None,
        "max_ms": round(ordered[-1] * 1000) if ordered else None,
        "training_finished_during_load": training_done_during_load,
        "training_status": load_run_info(run).status,
        "training_seconds": (json.loads((run / "metrics.json").read_text()).get("total_seconds")
                             if (run / "metrics.json").is_file() else None),
    }
    print("\nLOAD " + json.dumps(figures))
    assert not failures, failures[:5]
    assert len(latencies) >= CLIENTS
    assert trainer.returncode == 0, trainer.stderr.read()[-2000:]
    assert wait_until(lambda: load_run_info(run).status == "finished", 10)
