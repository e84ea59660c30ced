"""Time of one "why this label" explanation (classifier/explain.py) of a ~50-token text, on a trained run.

    python bench/explain_time.py RUN [--steps 20] [--reps 10]

Prints one JSON line: the text's token count, the median and p90 seconds per explanation (after one warm-up),
the plain prediction's median for comparison, the torch thread count and the 1-minute load average before and
after (the machine is shared: say the load with the figure).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEXT = ("URGENT! Your mobile number has won a free holiday for two in the sun. Txt CLAIM to 81010 to collect your "
        "prize now, or call 09061701461 before midnight. T&Cs apply, 16+ only, stop to opt out")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()

    import torch

    from classifier.explain import explain, top_words
    from classifier.predict import Predictor

    load_before = os.getloadavg()[0]
    predictor = Predictor(args.run)
    tokens = len(predictor.tokenizer(TEXT)["input_ids"])
    explain(predictor, TEXT, steps=args.steps)  # warm-up
    seconds, predict_seconds = [], []
    for _ in range(args.reps):
        start = time.perf_counter()
        result = explain(predictor, TEXT, steps=args.steps)
        seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        predictor.predict([TEXT])
        predict_seconds.append(time.perf_counter() - start)
    seconds.sort()
    print(json.dumps({
        "run": os.path.basename(os.path.normpath(args.run)), "tokens": tokens, "steps": args.steps,
        "reps": args.reps, "median_s": round(statistics.median(seconds), 3),
        "p90_s": round(seconds[int(0.9 * (len(seconds) - 1))], 3),
        "predict_median_s": round(statistics.median(predict_seconds), 4), "threads": torch.get_num_threads(),
        "load1_before": round(load_before, 2), "load1_after": round(os.getloadavg()[0], 2),
        "delta": result["delta"], "target": result["target"], "top": top_words(result, 3),
    }))


if __name__ == "__main__":
    main()
