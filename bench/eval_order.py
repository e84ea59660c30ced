"""Time of one validation pass (`Trainer.evaluate`) in the file's order and longest first (the engine's order,
classifier/training/inputs.py `longest_first`), on SMS texts with all-MiniLM-L6-v2.

    python bench/eval_order.py [--texts 680] [--reps 2]

680 texts is the size of the whole SMS sample's validation split; batch 64 and max_length 56 are the engine's
defaults for it. Prints one JSON line: seconds per pass for each order (each repetition), the eval loss of each
(equal: the order does not change the result), torch's thread count and the 1-minute load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=680)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()

    import torch
    from datasets import Dataset
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    from classifier.backbones import bundled_path
    from classifier.training.inputs import longest_first

    lines = (ROOT / "assets" / "sms_spam.tsv").read_text(encoding="utf-8").splitlines()[1:]
    rows = [line.split("\t", 1) for line in lines]
    random.Random(0).shuffle(rows)
    rows = rows[:args.texts]
    path = bundled_path("all-MiniLM-L6-v2")
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoded = tokenizer([text for _, text in rows], truncation=True, max_length=56)
    columns = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"],
               "labels": [int(label == "spam") for label, _ in rows]}
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
    training_args = TrainingArguments(output_dir="/tmp/eval-order-bench", per_device_eval_batch_size=64, use_cpu=True,
                                      report_to="none", disable_tqdm=True)
    orders = {"file_order": columns, "longest_first": longest_first(columns)}
    load_before = os.getloadavg()[0]
    seconds: dict[str, list[float]] = {name: [] for name in orders}
    losses: dict[str, float] = {}
    for _ in range(args.reps):
        for name, cols in orders.items():
            trainer = Trainer(model=model, args=training_args, eval_dataset=Dataset.from_dict(cols),
                              data_collator=DataCollatorWithPadding(tokenizer))
            start = time.perf_counter()
            losses[name] = round(trainer.evaluate()["eval_loss"], 6)
            seconds[name].append(round(time.perf_counter() - start, 3))
    print(json.dumps({"texts": len(rows), "seconds": seconds, "eval_loss": losses, "threads": torch.get_num_threads(),
                      "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]}))


if __name__ == "__main__":
    main()
