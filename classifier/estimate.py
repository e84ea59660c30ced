"""How long will a training take? A first guess from the model, strategy, data size and device, replaced by past
runs' measured speed where there are some. The web app shows it before Start (the progress bar's measured estimate
takes over once the run trains); the benchmark and notebooks may use it too."""

from __future__ import annotations

from typing import Any

# Training samples per second on a small CPU (2 cores, busy, texts of ~50 tokens), measured with the bundled
# models; evaluation (forward only) runs about 6x faster, a GPU about 15x. Past runs of the same model, strategy
# and kind of device replace these guesses.
# Measured on a 2-core CPU with the default settings (docs/results.md): SMS on MiniLM-L6 trained at 36 samples/s
# with nothing else running; THUCNews on e5-small (embeddings frozen) at 17 samples/s on a shared machine.
CPU_SAMPLES_PER_SECOND = {
    ("all-MiniLM-L6-v2", "full"): 30.0, ("all-MiniLM-L6-v2", "last-n"): 60.0,
    ("multilingual-e5-small", "full"): 20.0, ("multilingual-e5-small", "last-n"): 40.0,
    ("all-MiniLM-L6-v2", "lora"): 45.0,  # docs/results.md, "Decoders and LoRA"
    ("SmolLM2-135M", "last-n"): 8.0, ("SmolLM2-135M", "lora"): 0.6, ("SmolLM2-135M", "full"): 0.5,
}
UNKNOWN_MODEL_SAMPLES_PER_SECOND = 4.0  # a base-size hub model on a CPU
# A CPU with bf16 instructions trains in bf16 autocast by default: 2.2x (SMS, MiniLM) and 1.9x (THUCNews, e5) the
# fp32 throughput of the figures above, 1.2x at 512 tokens (bench/RESULTS.md, 2026-12-02)
CPU_BF16_SPEEDUP = 2.0
EVAL_SPEEDUP = 6.0
GPU_SPEEDUP = 15.0
OVERHEAD_SECONDS = 20.0  # process start, imports, model loading, the TF-IDF baseline


def estimate_seconds(model: str, strategy: str, train_rows: int, epochs: float, on_gpu: bool,
                     history: list[dict[str, Any]] | None = None, eval_texts: int = 0, bf16_cpu: bool = False) -> float:
    """A rough duration: training samples / throughput + texts evaluated / eval throughput + fixed overhead.

    `eval_texts`: validation texts x evaluations + test texts. `history`: metrics.json dicts of earlier runs; their
    `train_samples_per_second` (which already includes the validation passes) is the best guess there is.
    `bf16_cpu`: the run will train in bf16 on a CPU (measured for full fine-tuning only; the head strategy's feature
    pass is fp32).
    """
    strategy = "full" if strategy == "auto" else strategy
    speedup = GPU_SPEEDUP if on_gpu else CPU_BF16_SPEEDUP if bf16_cpu and strategy == "full" else 1.0
    base = CPU_SAMPLES_PER_SECOND.get((model, "full" if strategy == "head" else strategy),
                                      UNKNOWN_MODEL_SAMPLES_PER_SECOND) * speedup
    samples = max(train_rows, 1) * max(epochs, 0.01)
    same = sorted(m["train_samples_per_second"] for m in history or []
                  if m.get("model") == model and m.get("strategy") == strategy and m.get("train_samples_per_second")
                  and ("CPU" in str(m.get("device", ""))) == (not on_gpu)
                  and (on_gpu or m.get("precision", "fp32") == ("bf16" if speedup > 1 else "fp32")))
    if strategy == "head":  # one forward pass over every text, then epochs over cached features cost ~nothing
        seconds = (train_rows + eval_texts) / (base * EVAL_SPEEDUP) + epochs
    elif same:
        seconds = samples / same[len(same) // 2] + eval_texts / (same[len(same) // 2] * EVAL_SPEEDUP) / 3
    else:
        seconds = samples / base + eval_texts / (base * EVAL_SPEEDUP)
    return seconds + OVERHEAD_SECONDS / (2 if on_gpu else 1)
