"""A bundled sample trained with the defaults (or with a few flags changed), scored on the run's own test split.

    OMP_NUM_THREADS=1 python bench/sample_run.py --data assets/thucnews_titles.tsv --label defaults \\
        --output bench/results/thucnews-sample-bf16.json
    OMP_NUM_THREADS=1 python bench/sample_run.py --data assets/thucnews_titles.tsv --label epochs5 \\
        --output bench/results/thucnews-sample-bf16.json --train-args="--epochs 5"

Each call adds (or replaces) one record named by --label in the output file: the command, commit, machine and load,
the settings the run resolved, test accuracy and macro-F1 of what the run answers and of the model alone, the TF-IDF
baseline, the ensemble's validation scores, and the time. The run folder is deleted afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESOLVED = ("model", "strategy", "pooling", "epochs", "learning_rate", "layerwise_lr_decay", "max_length",
            "batch_size", "freeze_embeddings", "mixed_precision", "token_dropout", "backbone_dropout", "seed")


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="the labelled file (a bundled sample)")
    parser.add_argument("--label", required=True, help="the record's name in the output file")
    parser.add_argument("--output", required=True, help="JSON file the record is merged into")
    parser.add_argument("--train-args", default="", help="extra `train` flags, e.g. '--epochs 5'")
    args = parser.parse_args(argv)

    extra = shlex.split(args.train_args)
    data_file = str(Path(args.data).resolve())  # the run starts in the repository root
    with tempfile.TemporaryDirectory(prefix="sample-run-") as work:
        run = Path(work) / "run"
        command = [sys.executable, "-m", "classifier", "train", "--data", data_file, "--output", str(run), "--quiet",
                   *extra]
        load_before = os.getloadavg()
        started = dt.datetime.now(dt.timezone.utc)
        t0 = time.perf_counter()
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                  filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            print((proc.stderr or proc.stdout)[-3000:], file=sys.stderr)
            return 1
        sys.path.insert(0, str(ROOT))
        from classifier.run_folder import RunFolder

        folder = RunFolder(run)
        metrics, config = folder.read_metrics(), folder.read_config()
    ensemble = metrics.get("ensemble") or {}
    record = {
        "command": "OMP_NUM_THREADS=" + os.environ.get("OMP_NUM_THREADS", "(unset)") + " python -m classifier "
                   "train --data " + args.data + (" " + args.train_args if args.train_args else ""),
        "commit": _commit(),
        "date": started.strftime("%Y-%m-%dT%H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, OMP_NUM_THREADS="
                   f"{os.environ.get('OMP_NUM_THREADS', '(unset)')}",
        "load_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "wall_seconds": round(wall, 1),
        "resolved": {key: config.get(key) for key in RESOLVED},
        "precision": metrics.get("precision"),
        "metrics": {key: metrics.get(key) for key in ("accuracy", "macro_f1", "decision", "best_step",
                                                      "steps_trained", "train_seconds", "total_seconds")},
        "model_only": metrics.get("model_only"),
        "baseline": {key: (metrics.get("baseline") or {}).get(key) for key in ("accuracy", "macro_f1")},
        "ensemble": {key: ensemble.get(key) for key in ("weight", "decision", "validation_scores", "mix_test")},
    }
    out = Path(args.output)
    data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    data.setdefault("what", f"{args.data} with the defaults (or the flags in 'command'); the run's own 70/15/15 "
                    "split, test = its own test split")
    data.setdefault("records", {})[args.label] = record
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({args.label: record["metrics"], "model_only": record["model_only"]}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
