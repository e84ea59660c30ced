"""Achieved training TFLOP/s of a bert-base-sized classifier with the engine's GPU settings, against naive fp32.

    python bench/gpu_flops.py                          # on a GPU: bert-base (12 x 768), sequence length 128
    python bench/gpu_flops.py --variants engine_b16,engine_b128 --output /tmp/flops.json
    python bench/gpu_flops.py --tiny --steps 2 --repeats 1 --output /tmp/flops.json   # CPU smoke (seconds)

No weights are needed: the model is `BertForSequenceClassification` built from a `BertConfig` (bert-base-uncased's
sizes, 2 labels) with random weights, fed random token ids (every token real: no padding), so every variant does
exactly the same arithmetic per sample. Each variant builds its model afresh from the same seed.

Variants (`--variants`, comma-separated; default: all):
- `naive_fp32`: the tutorial loop of bench/baselines.py at this sequence length: batch 8, fp32 (torch's default:
  no TF32), `torch.optim.AdamW` (its default implementation), linear schedule, no clipping.
- `naive_fp32_pad512`: the same loop padding every text to 512 tokens as bench/baselines.py's naive does
  (`padding="max_length", max_length=512`); the 128 real tokens then cost a 512-token step. Samples/s only; its
  FLOPs are not counted as useful work.
- `engine_bN`: what `classifier.training.train` asks HF Trainer for on a GPU, reproduced as a plain loop: bf16
  autocast (`TrainingArguments(bf16=True)`), SDPA attention (transformers' default for BERT, named explicitly
  here), fused AdamW (Trainer's default optimizer with torch >= 2.8, `adamw_torch_fused`), weight decay 0.01,
  gradient clipping at 1.0, linear schedule, `F.cross_entropy(logits.float(), labels)` as the engine's
  `ClassifierTrainer.compute_loss`; batch N (the engine's default is 16).
- `engine_bN_compile`: the same with `torch.compile(model)` (not something the engine does today).
- `trainer_bN`: HF `Trainer` itself with the engine's `TrainingArguments` (bf16, group_by_length sampling,
  pinned memory, `pad_to_multiple_of=8` collator, no evaluation or saving) on a `datasets.Dataset` of the same
  random texts: the loop above plus Trainer's own overheads (data loading, collation, callbacks). Timed between
  step ends after the warm-up steps.

Figures per variant: median seconds per optimizer step over `--repeats` timed blocks of `--steps` steps (after
`--warmup` steps; CUDA synchronised around each block), samples/s, tokens/s, peak GPU memory
(`torch.cuda.max_memory_allocated`, reset per variant), and model FLOP/s counted two ways:
- `tflops_6n`: 6 x (all parameters, embeddings included) x tokens -- the usual rough count;
- `tflops_6n_attn`: 6 x (parameters without the embedding tables) x tokens + the attention matmuls
  (QK^T and AV: 4 x seq x hidden FLOPs per token per layer forward, x3 for forward+backward = 12 x L x seq x
  hidden per token). Embedding lookups do no matrix arithmetic, so this is the closer count of useful work.
Each is also given as a share of the H100 SXM dense bf16 peak (`--peak-tflops`, default 989.4) and of the bf16
matmul ceiling measured at the start (an 8192^3 bf16 `torch.matmul` on random data, median of 20 after warm-up).
The fp32 variants are reported against the same bf16 peak (their own fp32 ceiling is ~67 TFLOP/s on an H100 SXM).

A correctness check compares the bf16-autocast loss and logits with fp32 on the same batch and weights.
The last stdout line is the summary JSON; `--output` writes everything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

H100_SXM_BF16_DENSE_TFLOPS = 989.4
VOCAB = 30522  # bert-base-uncased
DEFAULT_VARIANTS = ("naive_fp32", "naive_fp32_pad512", "engine_b16", "engine_b64", "engine_b128", "engine_b256",
                    "engine_b128_compile", "trainer_b16", "trainer_b128")


def log(message: str) -> None:
    print(f"[gpu_flops {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def bert_config(tiny: bool, attn: str):
    from transformers import BertConfig

    if tiny:
        config = BertConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=256, max_position_embeddings=512, num_labels=2)
    else:  # bert-base-uncased
        config = BertConfig(vocab_size=VOCAB, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                            intermediate_size=3072, max_position_embeddings=512, num_labels=2)
    config._attn_implementation = attn
    return config


def build_model(tiny: bool, attn: str, device: torch.device):
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    model = BertForSequenceClassification(bert_config(tiny, attn))
    if getattr(model.config, "_attn_implementation", attn) != attn:
        model.config._attn_implementation = attn
    return model.to(device).train()


def param_counts(model) -> dict[str, int]:
    total = sum(p.numel() for p in model.parameters())
    emb = model.bert.embeddings
    embedding = sum(m.weight.numel() for m in (emb.word_embeddings, emb.position_embeddings,
                                                 emb.token_type_embeddings))
    return {"total": total, "embedding_tables": embedding, "non_embedding": total - embedding}


def flops_per_sample(counts: dict[str, int], config, seq: int) -> dict[str, float]:
    attention = 12 * config.num_hidden_layers * seq * config.hidden_size * seq
    return {"6n": 6.0 * counts["total"] * seq, "6n_attn": 6.0 * counts["non_embedding"] * seq + attention}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def make_batches(n: int, batch: int, seq: int, device: torch.device, pad_to: int | None = None, seed: int = 1):
    """n distinct random batches (rotated through, so no two consecutive steps read the same tensors)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        ids = torch.randint(1000, VOCAB, (batch, seq), generator=gen)
        ids[:, 0], ids[:, -1] = 101, 102  # [CLS] ... [SEP]
        mask = torch.ones(batch, seq, dtype=torch.long)
        if pad_to and pad_to > seq:
            ids = torch.cat([ids, torch.zeros(batch, pad_to - seq, dtype=torch.long)], 1)
            mask = torch.cat([mask, torch.zeros(batch, pad_to - seq, dtype=torch.long)], 1)
        labels = torch.randint(0, 2, (batch,), generator=gen)
        out.append({k: v.to(device) for k, v in (("input_ids", ids), ("attention_mask", mask),
                                                  ("labels", labels))})
    return out


def timed_loop(step, batches, warmup: int, steps: int, repeats: int, device: torch.device) -> list[float]:
    """Seconds per step of each timed block."""
    i = 0
    for _ in range(warmup):
        step(batches[i % len(batches)])
        i += 1
    sync(device)
    per_step = []
    for _ in range(repeats):
        sync(device)
        t0 = time.perf_counter()
        for _ in range(steps):
            step(batches[i % len(batches)])
            i += 1
        sync(device)
        per_step.append((time.perf_counter() - t0) / steps)
    return per_step


def run_loop_variant(name: str, args, device: torch.device) -> dict[str, Any]:
    from transformers import get_scheduler

    naive = name.startswith("naive")
    batch = 8 if naive else int(name.split("_b")[1].split("_")[0])
    compiled = name.endswith("_compile")
    pad_to = 512 if name == "naive_fp32_pad512" else None
    model = build_model(args.tiny, "sdpa", device)
    config = model.config
    total_steps = args.warmup + args.steps * args.repeats
    if naive:
        optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    else:
        decay = [p for n, p in model.named_parameters() if not any(k in n for k in ("bias", "LayerNorm"))]
        rest = [p for n, p in model.named_parameters() if any(k in n for k in ("bias", "LayerNorm"))]
        optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}],
                                      lr=1e-4, fused=device.type == "cuda")
    scheduler = get_scheduler("linear", optimizer, num_warmup_steps=0, num_training_steps=total_steps)
    forward = torch.compile(model) if compiled else model
    use_bf16 = not naive and device.type == "cuda"

    def step(inputs):
        labels = inputs["labels"]
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            logits = forward(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits
        loss = F.cross_entropy(logits.float(), labels)
        loss.backward()
        if not naive:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)

    batches = make_batches(4, batch, args.seq, device, pad_to=pad_to)
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    warmup = args.warmup + (args.compile_warmup if compiled else 0)
    t0 = time.perf_counter()
    per_step = timed_loop(step, batches, warmup, args.steps, args.repeats, device)
    result = summarize(name, per_step, batch, args, model, config, device,
                       wall=time.perf_counter() - t0, useful_flops=pad_to is None)
    result.update({"precision": "bf16 autocast" if use_bf16 else "fp32",
                   "optimizer": "AdamW fused" if not naive and device.type == "cuda" else "AdamW (default)",
                   "clip_grad_norm": None if naive else 1.0, "compiled": compiled, "padded_to": pad_to,
                   "attn_implementation": getattr(config, "_attn_implementation", None)})
    return result  # the model, optimizer and batches go with this frame


def run_trainer_variant(name: str, args, device: torch.device, tmp: Path) -> dict[str, Any]:
    """HF Trainer with the engine's TrainingArguments (those that matter for speed), on random texts."""
    from datasets import Dataset
    from tokenizers import Tokenizer, models
    from transformers import (
        DataCollatorWithPadding,
        PreTrainedTokenizerFast,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    batch = int(name.split("_b")[1])
    model = build_model(args.tiny, "sdpa", device)
    total_steps = args.warmup + args.steps * args.repeats
    n = total_steps * batch
    gen = torch.Generator().manual_seed(2)
    ids = torch.randint(1000, VOCAB, (n, args.seq), generator=gen)
    ids[:, 0], ids[:, -1] = 101, 102
    data = Dataset.from_dict({"input_ids": ids.tolist(), "attention_mask": [[1] * args.seq] * n,
                              "labels": torch.randint(0, 2, (n,), generator=gen).tolist()})
    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel({"[PAD]": 0, "[UNK]": 100},
                                                                              unk_token="[UNK]")),
                                  pad_token="[PAD]", unk_token="[UNK]")
    on_gpu = device.type == "cuda"
    collator = DataCollatorWithPadding(tok, pad_to_multiple_of=8 if on_gpu else None)
    marks: list[float] = []

    class Clock(TrainerCallback):
        def on_step_end(self, targs, state, control, **kwargs):
            sync(device)
            marks.append(time.perf_counter())

    targs = TrainingArguments(
        output_dir=str(tmp / name), per_device_train_batch_size=batch, num_train_epochs=1, learning_rate=1e-4,
        weight_decay=0.01, warmup_steps=0.06, lr_scheduler_type="linear", max_grad_norm=1.0, eval_strategy="no",
        save_strategy="no", report_to="none", seed=42, data_seed=42, disable_tqdm=True, logging_strategy="no",
        train_sampling_strategy="group_by_length", dataloader_num_workers=0, dataloader_pin_memory=on_gpu,
        use_cpu=not on_gpu, bf16=on_gpu,
    )
    trainer = Trainer(model=model, args=targs, train_dataset=data, data_collator=collator, callbacks=[Clock()])
    if on_gpu:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    trainer.train()
    wall = time.perf_counter() - t0
    # blocks of args.steps steps after the warm-up, as in the loop variants
    per_step = [(marks[args.warmup + (r + 1) * args.steps - 1] - marks[args.warmup + r * args.steps - 1]) / args.steps
                for r in range(args.repeats) if args.warmup + (r + 1) * args.steps - 1 < len(marks)
                and args.warmup + r * args.steps - 1 >= 0]
    result = summarize(name, per_step, batch, args, model, model.config, device, wall=wall, useful_flops=True)
    result.update({"precision": "bf16 autocast (Trainer)" if on_gpu else "fp32", "optimizer": targs.optim,
                   "clip_grad_norm": 1.0, "compiled": False, "padded_to": None,
                   "attn_implementation": getattr(model.config, "_attn_implementation", None),
                   "train_sampling_strategy": "group_by_length"})
    del trainer, model
    return result


def summarize(name, per_step, batch, args, model, config, device, wall: float, useful_flops: bool) -> dict:
    counts = param_counts(model)
    fps = flops_per_sample(counts, config, args.seq)
    sec = statistics.median(per_step) if per_step else math.nan
    samples = batch / sec
    out: dict[str, Any] = {
        "variant": name, "batch_size": batch, "seq_len": args.seq, "seconds_per_step": sec,
        "seconds_per_step_each_block": per_step, "samples_per_second": samples,
        "tokens_per_second": samples * args.seq, "wall_seconds": wall, "parameters": counts,
    }
    if useful_flops:
        for key, per in fps.items():
            tflops = per * samples / 1e12
            out[f"tflops_{key}"] = tflops
            out[f"tflops_{key}_share_of_peak"] = tflops / args.peak_tflops
            if args.matmul_tflops:
                out[f"tflops_{key}_share_of_measured_matmul"] = tflops / args.matmul_tflops
    if device.type == "cuda":
        out["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return out


def measure_matmul(device: torch.device, n: int = 8192) -> float | None:
    if device.type != "cuda":
        return None
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(20):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        a @ b
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    del a, b
    torch.cuda.empty_cache()
    return 2 * n**3 / statistics.median(times) / 1e12


def correctness(args, device: torch.device) -> dict[str, Any]:
    """bf16 autocast vs fp32 on one batch, same weights, dropout off."""
    model = build_model(args.tiny, "sdpa", device).eval()
    inputs = make_batches(1, 16, args.seq, device, seed=3)[0]
    with torch.no_grad():
        ref = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits.double()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            low = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits.double()
    rel = float((low - ref).norm() / ref.norm())
    loss_ref = float(F.cross_entropy(ref, inputs["labels"]))
    loss_low = float(F.cross_entropy(low, inputs["labels"]))
    del model
    return {"logits_rel_error_bf16_vs_fp32": rel, "loss_fp32": loss_ref, "loss_bf16": loss_low,
            "finite": math.isfinite(rel)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default=",".join(DEFAULT_VARIANTS))
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--compile-warmup", type=int, default=5, help="extra warm-up steps for compiled variants")
    parser.add_argument("--steps", type=int, default=20, help="steps per timed block")
    parser.add_argument("--repeats", type=int, default=3, help="timed blocks per variant (median reported)")
    parser.add_argument("--peak-tflops", type=float, default=H100_SXM_BF16_DENSE_TFLOPS)
    parser.add_argument("--tiny", action="store_true", help="2 layers x 64: a CPU smoke run of the script")
    parser.add_argument("--output", help="write the full JSON here")
    args = parser.parse_args(argv)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    import tempfile

    import transformers

    info = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "torch": torch.__version__,
            "transformers": transformers.__version__, "python": platform.python_version(),
            "device": torch.cuda.get_device_name(0) if device.type == "cuda" else f"CPU ({platform.processor()})",
            "cuda": torch.version.cuda, "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
            "model": "tiny BERT (2 x 64)" if args.tiny else "bert-base (12 x 768, 12 heads, 3072 FFN), random init",
            "seq_len": args.seq, "peak_tflops_used": args.peak_tflops,
            "peak_note": "H100 SXM dense bf16 (no sparsity)", "flops_counts": {
                "6n": "6 x all parameters x tokens",
                "6n_attn": "6 x non-embedding parameters x tokens + 12 x layers x seq x hidden x tokens"}}
    log(f"{info['device']}, torch {info['torch']}, transformers {info['transformers']}")
    args.matmul_tflops = measure_matmul(device)
    info["measured_bf16_matmul_tflops"] = args.matmul_tflops
    if args.matmul_tflops:
        log(f"bf16 8192^3 matmul: {args.matmul_tflops:.0f} TFLOP/s")
    info["correctness"] = correctness(args, device)
    log(f"correctness: {info['correctness']}")
    results, errors = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in [v.strip() for v in args.variants.split(",") if v.strip()]:
            try:
                log(f"{name} ...")
                if name.startswith("trainer_b"):
                    res = run_trainer_variant(name, args, device, Path(tmp))
                else:
                    res = run_loop_variant(name, args, device)
                results.append(res)
                log(f"{name}: {res['samples_per_second']:.1f} samples/s, "
                    f"{res.get('tflops_6n_attn', float('nan')):.1f} TFLOP/s (6N+attn), "
                    f"peak {res.get('peak_gpu_mib', '-')} MiB")
            except Exception as exc:  # noqa: BLE001 -- one variant failing (OOM, compile) must not lose the others
                errors[name] = f"{type(exc).__name__}: {str(exc)[:500]}"
                log(f"{name} FAILED: {errors[name]}")
            if device.type == "cuda":
                torch.cuda.empty_cache()
    by_name = {r["variant"]: r for r in results}
    naive = by_name.get("naive_fp32")
    for r in results:
        if naive:
            r["speedup_vs_naive_fp32"] = r["samples_per_second"] / naive["samples_per_second"]
        if "naive_fp32_pad512" in by_name:
            r["speedup_vs_naive_fp32_pad512"] = r["samples_per_second"] / by_name["naive_fp32_pad512"][
                "samples_per_second"]
    best = max((r for r in results if "tflops_6n" in r and not r["variant"].startswith("naive")),
               key=lambda r: r["tflops_6n"], default=None)
    summary = {
        "device": info["device"], "torch": info["torch"], "peak_tflops_used": args.peak_tflops,
        "measured_bf16_matmul_tflops": args.matmul_tflops,
        "engine_default_b16": {k: by_name.get("engine_b16", {}).get(k) for k in (
            "samples_per_second", "tflops_6n", "tflops_6n_share_of_peak", "tflops_6n_attn",
            "tflops_6n_attn_share_of_peak", "speedup_vs_naive_fp32", "peak_gpu_mib")},
        "best": None if best is None else {k: best.get(k) for k in (
            "variant", "samples_per_second", "tflops_6n", "tflops_6n_share_of_peak", "tflops_6n_attn",
            "tflops_6n_attn_share_of_peak", "speedup_vs_naive_fp32", "peak_gpu_mib")},
        "targets": {"mfu_share_of_peak >= 0.35 (6n, best variant)": None if best is None else
                    best["tflops_6n_share_of_peak"] >= 0.35,
                    "speedup_vs_naive_fp32 >= 8 (best variant)": None if best is None or not naive else
                    best["speedup_vs_naive_fp32"] >= 8},
        "errors": errors,
    }
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps({"info": info, "results": results, "summary": summary}, indent=2))
    # a short table on stderr, the summary JSON last on stdout
    print(f"{'variant':22} {'batch':>5} {'samples/s':>10} {'TF/s 6N':>8} {'%peak':>6} {'TF/s 6N+a':>9} "
          f"{'%peak':>6} {'x naive':>7} {'peak MiB':>9}", file=sys.stderr)
    for r in results:
        print(f"{r['variant']:22} {r['batch_size']:5d} {r['samples_per_second']:10.1f} "
              f"{r.get('tflops_6n', math.nan):8.1f} {100 * r.get('tflops_6n_share_of_peak', math.nan):6.1f} "
              f"{r.get('tflops_6n_attn', math.nan):9.1f} {100 * r.get('tflops_6n_attn_share_of_peak', math.nan):6.1f} "
              f"{r.get('speedup_vs_naive_fp32', math.nan):7.2f} {r.get('peak_gpu_mib', '-')!s:>9}", file=sys.stderr)
    print(json.dumps(summary))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
