"""Cost of the hostile inputs of issue 17 (the "high" items), each in a fresh process: wall time and peak memory.

    python bench/hostile.py            # prints a markdown table; results in bench/results/hostile-<date>.json

Each case runs in a child process that imports what it needs first, notes its resident memory, performs the
attack and reports the time it took and how far its peak resident memory rose above that baseline. The files are
generated (as in tests/test_hostile_input.py), never committed. The figures before the fixes are the ones the issue
reported from an outside probe.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BEFORE = {  # issue 17, outside probe (2 cores)
    "predict_10mb": "16 s, 0.57 -> 2.1 GB resident",
    "predict_50mb": "103 s, peak about 9.3 GB",
    "quoted_csv_400kb": "85 s",
    "quoted_csv_50mb": "never finished",
    "wide_csv_100k_columns": "175 s (Data tab)",
    "xlsx_bomb_1m_rows": "54 s, +310 MB",
}


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _tiny_model(folder: Path) -> Path:
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from classifier.backbones import bundled_path

    tokenizer = AutoTokenizer.from_pretrained(bundled_path("all-MiniLM-L6-v2"))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, num_labels=2,
                        id2label={0: "ham", 1: "spam"}, label2id={"ham": 0, "spam": 1})
    torch.manual_seed(0)
    best = folder / "best"
    BertForSequenceClassification(config).save_pretrained(best)
    tokenizer.save_pretrained(best)
    (best / "classifier.json").write_text(json.dumps({"max_length": 64, "truncation": "head"}))
    return folder


def case(name: str, work: Path) -> dict:
    """Run one attack in this process; returns seconds, peak rise in MB and what happened."""
    from classifier.data import read_table
    from classifier.errors import ClassifierError
    from classifier.predict import Predictor
    from tests.test_hostile_input import huge_text, xlsx_bomb

    setup = None
    if name.startswith("predict"):
        predictor = Predictor(_tiny_model(work / "run"))
        chars = 10_000_000 if name == "predict_10mb" else 50_000_000
        text = huge_text(chars)
        predictor.predict(["warm up"])

        def setup():
            return predictor.predict([text])[0].label
    elif name.startswith("quoted_csv"):
        fields = 80_000 if name.endswith("400kb") else 10_000_000
        path = work / "quoted.csv"
        path.write_text('label,text\na,"x"' + ', "x"' * fields + "\n", encoding="utf-8")

        def setup():
            return read_table(path)
    elif name.startswith("wide_csv"):
        path = work / "wide.csv"
        path.write_text("\n".join(",".join(f"{r}{i}" for i in range(100_000)) for r in "cab") + "\n")

        def setup():
            return read_table(path)
    else:
        path = xlsx_bomb(work / "bomb.xlsx", 1_000_000)

        def setup():
            return read_table(path)
    base = _rss_mb()
    started = time.perf_counter()
    try:
        result = setup()
        outcome = f"answered {result!r}"[:80] if isinstance(result, str) else "read"
    except ClassifierError as exc:
        outcome = "refused: " + str(exc)[:100]
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"case": name, "seconds": round(seconds, 2), "peak_rise_mb": round(max(0.0, peak - base), 1),
            "outcome": outcome, "before": BEFORE[name]}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        with tempfile.TemporaryDirectory() as work:
            print(json.dumps(case(sys.argv[2], Path(work))))
        return
    rows = []
    for name in BEFORE:
        done = subprocess.run([sys.executable, __file__, "--case", name], capture_output=True, text=True,
                              timeout=900)
        line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        rows.append(json.loads(line) if line.startswith("{") else {"case": name, "error": done.stderr[-500:]})
        print(rows[-1], flush=True)
    load = os.getloadavg()[0]
    record = {"date": dt.date.today().isoformat(), "load_1min_at_end": round(load, 2), "cores": os.cpu_count(),
              "rows": rows}
    out = ROOT / "bench" / "results" / f"hostile-{record['date']}.json"
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print("\n| case | before (issue 17) | now: time | now: peak memory rise | outcome |\n|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['case']} | {row.get('before', '')} | {row.get('seconds', '-')} s | "
              f"{row.get('peak_rise_mb', '-')} MB | {row.get('outcome', row.get('error', ''))[:70]} |")


if __name__ == "__main__":
    main()
