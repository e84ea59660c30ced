"""The app as a Hugging Face Space (issue 14, item 4): the Space header matches what requirements.txt installs,
persistent storage (/data) keeps runs and models, and a run whose container stopped reads as interrupted even when
its process id now belongs to another process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_space_header_names_the_gradio_that_requirements_install():
    import gradio

    header = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("---")[1]
    sdk = re.search(r"^sdk_version:\s*(\S+)", header, re.M)
    python = re.search(r'^python_version:\s*"?([\d.]+)"?', header, re.M)
    pin = re.search(r"^gradio==(\S+)", ROOT.joinpath("requirements.txt").read_text(encoding="utf-8"), re.M)
    assert sdk and python and pin, "README header needs sdk_version and python_version; requirements.txt gradio==X"
    assert sdk.group(1) == pin.group(1) == gradio.__version__
    assert python.group(1) == f"{sys.version_info.major}.{sys.version_info.minor}"


def _storage(env: dict[str, str]) -> dict:
    code = ("import json, os; import classifier.webui as w; from classifier.webui.app_builder import storage_note; "
            "note = storage_note(); print(json.dumps({k: os.environ.get(k) for k in "
            "('CLASSIFIER_HOME', 'CLASSIFIER_CACHE', 'HF_HOME')} | {'dir': str(w.PERSISTENT_DIR), "
            "'note': note.visible, 'text': str(note.value)}))")
    clean = {k: v for k, v in os.environ.items() if k not in (
        "CLASSIFIER_HOME", "CLASSIFIER_CACHE", "HF_HOME", "SPACE_ID", "CLASSIFIER_PERSISTENT_DIR")}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_persistent_storage_keeps_runs_models_and_the_hub_cache(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    seen = _storage({"SPACE_ID": "someone/studio", "CLASSIFIER_PERSISTENT_DIR": str(data)})
    assert seen["CLASSIFIER_HOME"] == str(data / "text-classifier-studio")
    assert seen["CLASSIFIER_CACHE"] == str(data / "text-classifier-studio" / "cache")
    assert seen["HF_HOME"] == str(data / ".huggingface")
    assert seen["note"] is True
    # the operator's own choice wins
    mine = _storage({"SPACE_ID": "someone/studio", "CLASSIFIER_PERSISTENT_DIR": str(data),
                     "CLASSIFIER_HOME": str(tmp_path / "mine")})
    assert mine["CLASSIFIER_HOME"] == str(tmp_path / "mine")


def test_a_space_without_persistent_storage_says_runs_are_lost_and_a_laptop_says_nothing(tmp_path):
    gone = _storage({"SPACE_ID": "someone/studio", "CLASSIFIER_PERSISTENT_DIR": str(tmp_path / "missing")})
    assert gone["CLASSIFIER_HOME"] is None and gone["dir"] == "None" and gone["note"] is True
    laptop = _storage({})
    assert laptop["CLASSIFIER_HOME"] is None and laptop["note"] is False


def _run_with_status(tmp_path: Path, pid: int, pid_start: str | None) -> Path:
    run = tmp_path / "runs" / "r"
    run.mkdir(parents=True)
    (run / "config.json").write_text("{}", encoding="utf-8")
    event = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "type": "status", "status": "running", "message": "",
             "pid": pid, "pid_start": pid_start}
    (run / "events.jsonl").write_text(json.dumps(event) + "\n", encoding="utf-8")
    return run


def test_a_run_whose_process_id_was_given_to_another_process_is_interrupted(tmp_path):
    """After a container restart the trainer's old id (here: this test's own, alive) belongs to someone else."""
    from classifier.runs import load_run_info, process_start, read_trainer_pid, training_pid, write_trainer_pid

    me = os.getpid()
    assert process_start(me)
    reused = _run_with_status(tmp_path / "a", me, "another-boot:12345")
    assert load_run_info(reused).status == "interrupted" and training_pid(reused) is None
    same = _run_with_status(tmp_path / "b", me, process_start(me))
    assert load_run_info(same).status == "running" and training_pid(same) == me
    older = _run_with_status(tmp_path / "c", me, None)  # events written before pid_start existed: the id alone
    assert load_run_info(older).status == "running"

    write_trainer_pid(reused, me)
    assert read_trainer_pid(reused) == me
    (reused / "trainer.pid").write_text(f"{me} another-boot:1", encoding="utf-8")
    assert read_trainer_pid(reused) is None


def test_status_events_name_the_process_that_wrote_them(tmp_path):
    from classifier.events import EventWriter
    from classifier.runs import process_start

    event = EventWriter(tmp_path / "events.jsonl").status("running", "x")
    assert event["pid"] == os.getpid() and event["pid_start"] == process_start(os.getpid())
