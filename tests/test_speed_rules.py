"""Speed rules of the engine (issue 16): bf16 autocast on a CPU that has bf16 instructions, validation batches
ordered by length. What they gain is measured in bench/RESULTS.md; here, that each rule does what it says."""

from __future__ import annotations

import json


def test_a_cpu_with_bf16_instructions_trains_in_bf16_autocast(monkeypatch):
    """Speed (issue 16): on a CPU whose flags name AVX512-BF16 or AMX-BF16, `auto` trains in bf16 autocast (measured
    ~2x faster at SMS lengths in bench/RESULTS.md); elsewhere, for the head strategy, and with `no`, fp32."""
    from classifier.training import plan

    zen5 = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n"
    sapphire = "flags\t\t: fpu avx512f amx_bf16 amx_tile\n"
    older = "flags\t\t: fpu avx2 avx512f avx512bw avx512_vnni\n"
    assert plan.cpu_has_native_bf16(zen5) and plan.cpu_has_native_bf16(sapphire)
    assert not plan.cpu_has_native_bf16(older) and not plan.cpu_has_native_bf16("no flags line")
    monkeypatch.setattr(plan.torch.cuda, "is_available", lambda: False)
    for native in (True, False):
        monkeypatch.setattr(plan, "cpu_has_native_bf16", lambda native=native: native)
        assert plan.precision_flags("auto", "full") == {"bf16": native, "fp16": False}
        assert plan.precision_flags("auto", "last-n") == {"bf16": native, "fp16": False}
        assert plan.precision_flags("auto", "head") == {"bf16": False, "fp16": False}
        assert plan.precision_flags("no", "full") == {"bf16": False, "fp16": False}
        assert plan.precision_flags("bf16", "full") == {"bf16": True, "fp16": False}  # asked for: always
        assert plan.precision_flags("fp16", "full") == {"bf16": False, "fp16": False}  # no fp16 autocast on a CPU


def test_the_default_run_says_which_precision_it_trained_in(sms_run):
    """The SMS fixture is a default run on this machine: bf16 exactly when /proc/cpuinfo names bf16 instructions
    (read here on its own), recorded in metrics.json; config.json keeps "auto" so that a resume or a repeat on
    another machine decides again (a GPU without bf16, a CPU without the instructions)."""
    from pathlib import Path

    import pytest
    import torch

    if torch.cuda.is_available():
        pytest.skip("the CPU rule; a GPU decides by its own support")
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    native = " avx512_bf16" in cpuinfo or " amx_bf16" in cpuinfo
    events = (sms_run.run_dir / "events.jsonl").read_text(encoding="utf-8")
    assert ("Mixed precision: the forward and backward passes run in bf16" in events) == native
    assert sms_run.metrics["precision"] == ("bf16" if native else "fp32")
    config = json.loads((sms_run.run_dir / "config.json").read_text(encoding="utf-8"))
    assert config["mixed_precision"] == "auto"


def test_validation_rows_are_ordered_longest_first_with_their_labels():
    from classifier.training.inputs import longest_first

    columns = {"input_ids": [[1, 2], [1, 2, 3, 4], [7], [5, 6, 7]], "attention_mask": [[1] * 2, [1] * 4, [1], [1] * 3],
               "labels": [0, 1, 2, 3]}
    ordered = longest_first(columns)
    assert ordered["labels"] == [1, 3, 0, 2]
    assert [len(ids) for ids in ordered["input_ids"]] == [4, 3, 2, 1]
    assert all(len(ids) == len(mask) for ids, mask in zip(ordered["input_ids"], ordered["attention_mask"]))
    # long texts in windows: ordered by all their windows' tokens
    windows = {"input_ids": [[[1, 2]], [[1, 2, 3], [4, 5]], [[1]]], "labels": [[0, 1], [1, 0], [1, 1]]}
    assert longest_first(windows)["labels"] == [[1, 0], [0, 1], [1, 1]]


def test_the_validation_split_the_trainer_evaluates_is_ordered_by_length():
    """What `tokenized_splits` hands the Trainer: validation longest first with each row's own label; training in
    the file's order (its batches are grouped by length by the sampler)."""
    from types import SimpleNamespace

    import pandas as pd
    from transformers import AutoTokenizer

    from classifier.backbones import bundled_path
    from classifier.config import TrainConfig
    from classifier.task import SINGLE_LABEL
    from classifier.training.inputs import tokenized_splits

    texts = ["ok", "Free entry in 2 a wkly comp to win FA Cup final tkts 21st May", "see you at 5 then"]
    frame = pd.DataFrame({"text": texts, "label": [0, 1, 0]})  # label ids, as PreparedData holds them
    data = SimpleNamespace(train=frame, validation=frame, task=SINGLE_LABEL, labels=["ham", "spam"])
    plan = SimpleNamespace(config=TrainConfig(data="x.csv"), chunked=False, max_length=64)
    tokenizer = AutoTokenizer.from_pretrained(bundled_path("all-MiniLM-L6-v2"))
    splits = tokenized_splits(data, tokenizer, plan)
    assert splits["validation"]["labels"] == [1, 0, 0]
    lengths = [len(ids) for ids in splits["validation"]["input_ids"]]
    assert lengths == sorted(lengths, reverse=True) and lengths[0] > lengths[-1]
    assert tokenizer.decode(splits["validation"]["input_ids"][-1], skip_special_tokens=True) == "ok"
    assert splits["train"]["labels"] == [0, 1, 0]
    # with class weights the file's order stays (a weighted loss is a mean per batch); so with windows (memory)
    weighted = SimpleNamespace(config=TrainConfig(data="x.csv", class_weights="balanced"), chunked=False, max_length=64)
    assert tokenized_splits(data, tokenizer, weighted)["validation"]["labels"] == [0, 1, 0]
    windows = SimpleNamespace(config=TrainConfig(data="x.csv", truncation="chunk", chunk_stride=4), chunked=True,
                              max_length=16)
    assert tokenized_splits(data, tokenizer, windows)["validation"]["labels"] == [0, 1, 0]
