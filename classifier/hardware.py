"""What this machine trains on, asked without importing transformers (torch only): the app shows it and its time
estimate uses it, and the app's process never needs the Trainer (training runs in its own process)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import torch

from .messages import say


def describe_device() -> str:
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        name = torch.cuda.get_device_name(0)
        return f"{count} x {name}" if count > 1 else name
    return say("device_cpu", cores=os.cpu_count())


@functools.lru_cache(maxsize=4)
def cpu_has_native_bf16(cpuinfo: str | None = None) -> bool:
    """An x86 CPU with bf16 dot-product instructions (AVX512-BF16 or AMX-BF16: AMD Zen 4 and later, Intel Cooper
    Lake, Sapphire Rapids and later). There bf16 autocast trains ~1.3-2x faster than fp32 (bench/RESULTS.md);
    elsewhere oneDNN emulates bf16, which is slower, so fp32 stays."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:  # not Linux
            return False
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return bool({"avx512_bf16", "amx_bf16"} & set(line.partition(":")[2].split()))
    return False
