"""Build assets/thucnews_multilabel.jsonl: a real multi-label set made from the THUCNews titles.

Each row joins one to three titles of *different* topics into one text (a news digest line) and carries every
topic of its titles as labels: 50% of rows have one label, 35% two, 15% three. Every title is used once, so the
texts are real headlines and the labels are their real topics. Seeded, so the file is reproducible:

    python tools/build_multilabel_sample.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "assets" / "thucnews_titles.tsv"
TARGET = ROOT / "assets" / "thucnews_multilabel.jsonl"


def build(seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    lines = SOURCE.read_text(encoding="utf-8").splitlines()[1:]
    pool: dict[str, list[str]] = {}
    for line in lines:
        label, title = line.split("\t", 1)
        pool.setdefault(label, []).append(title.strip())
    for titles in pool.values():
        rng.shuffle(titles)
    rows = []
    while True:
        available = [label for label, titles in pool.items() if titles]
        if not available:
            break
        k = min(rng.choices([1, 2, 3], weights=[50, 35, 15])[0], len(available))
        topics = rng.sample(available, k)
        titles = [pool[t].pop() for t in topics]
        rows.append({"text": "；".join(titles), "label": sorted(topics)})
    rng.shuffle(rows)
    return rows


if __name__ == "__main__":
    rows = build()
    TARGET.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} rows -> {TARGET}")
