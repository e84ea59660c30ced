"""What resumability costs: the same training with and without the resumable checkpoint (`save_checkpoints`).

For each workload it trains twice, one right after the other (same data, seed and settings), and reports the
training time of both (with a checkpoint at every evaluation: the most writes a run can make), the time spent
writing checkpoints (each Trainer `_save_checkpoint` call, timed), and the
size of one checkpoint on disk. The last stdout line is the summary JSON; `--output` also writes it to a file.

    python bench/checkpoint_cost.py --output bench/results/cpu-2core-2026-11-23-checkpoints.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

WORKLOADS = {
    # the default SMS run on a training subset: MiniLM-L6 (22.7M parameters), full fine-tuning, 4 evaluations
    "sms": {"data": "assets/sms_spam.tsv", "max_train_samples": 1500, "epochs": 2},
    # e5-small (118M parameters, embeddings frozen by default): the biggest bundled encoder's checkpoint
    "thucnews": {"data": "assets/thucnews_titles.tsv", "max_train_samples": 1000, "epochs": 1},
}


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(name: str, settings: dict, save_checkpoints: bool, workdir: Path) -> dict:
    from classifier.config import TrainConfig
    from classifier.training import ClassifierTrainer, train

    saves: list[float] = []
    sizes: list[int] = []
    real = ClassifierTrainer._save_checkpoint

    def timed(self, model, trial):
        started = time.perf_counter()
        real(self, model, trial)
        saves.append(time.perf_counter() - started)
        newest = max((workdir / name / "checkpoints").glob("checkpoint-*"), key=lambda p: p.stat().st_mtime)
        sizes.append(folder_bytes(newest))

    ClassifierTrainer._save_checkpoint = timed
    try:
        config = TrainConfig(**{**settings, "data": str(ROOT / settings["data"])}, baseline=False,
                             save_checkpoints=save_checkpoints, checkpoint_every_seconds=0,
                             output=str(workdir / name))
        result = train(config, progress=False)
    finally:
        ClassifierTrainer._save_checkpoint = real
    return {"save_checkpoints": save_checkpoints, "train_seconds": result.metrics["train_seconds"],
            "accuracy": result.metrics["accuracy"], "steps": result.metrics["steps_trained"],
            "checkpoints_written": len(saves), "checkpoint_seconds": [round(s, 2) for s in saves],
            "checkpoint_seconds_total": round(sum(saves), 2),
            "checkpoint_mib": round(max(sizes) / 2**20, 1) if sizes else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated workloads: " + ", ".join(WORKLOADS))
    parser.add_argument("--output")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(WORKLOADS)
    summary = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "date": time.strftime("%Y-%m-%d"),
               "workloads": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            runs = [measure(f"{name}-{flag}", WORKLOADS[name], flag, Path(tmp)) for flag in (True, False)]
            with_, without = runs
            summary["workloads"][name] = {
                "settings": WORKLOADS[name], "with_checkpoints": with_, "without_checkpoints": without,
                "overhead_share_of_train_time": round(
                    with_["checkpoint_seconds_total"] / max(with_["train_seconds"], 1e-9), 4),
                "same_accuracy": with_["accuracy"] == without["accuracy"],
            }
            print(f"[checkpoints] {name}: {json.dumps(summary['workloads'][name])}", file=sys.stderr, flush=True)
    text = json.dumps(summary)
    if args.output:
        Path(args.output).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
