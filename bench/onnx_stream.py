"""Benchmark jobs of issue 16: prediction on ONNX Runtime beside PyTorch and pipeline(), and a streamed file of
many texts. Registered into workloads.JOBS by bench/run.py (parts `onnx` and `stream`); each runs in a child
process of its own, which reports its peak RSS.

onnx: the SMS run is exported (fp32 and int8) into a copy; on the same test texts, alternating within each
repetition: Predictor on ONNX fp32, on ONNX int8, on PyTorch fp32 (all batch 32, what the run answers, its TF-IDF
mix included) and transformers.pipeline (batch 32). Agreement: the fine-tuned model's own labels and probabilities
(the forward pass, the part ONNX replaces) against PyTorch fp32, and the labels the run answers. Latency: one text
per call (the test texts in turn, real SMS lengths), after 10 warm-up calls.

stream: `classifier.stream_predict.stream_predict_file` on files of N texts sampled (with replacement, seed 0) from
the SMS sample, one text per line, in a child process per size: texts/s and the child's peak RSS.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path
from typing import Any

from workloads import _percentiles, read_jsonl


def _copy_run(run_dir: str, work: str) -> Path:
    target = Path(work) / "onnx-run"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(run_dir, target, ignore=shutil.ignore_patterns("checkpoints"))
    return target


def job_onnx(run_dir: str, test_file: str, reps: int, latency_calls: int, work: str) -> dict[str, Any]:
    import numpy as np
    from baselines import pipeline_classifier, pipeline_labels

    from classifier.onnx_export import export_onnx
    from classifier.predict import Predictor
    from classifier.runs import model_dir

    texts, _ = read_jsonl(test_file)
    run = _copy_run(run_dir, work)
    t0 = time.perf_counter()
    export_onnx(run, quantize="int8")
    export_seconds = time.perf_counter() - t0
    methods = {"onnx": Predictor(run, backend="onnx"), "onnx_int8": Predictor(run, backend="onnx", int8=True),
               "torch": Predictor(run, backend="torch")}
    pipe = pipeline_classifier(model_dir(run))
    calls = {name: (lambda batch, p=p: [x.label for x in p.predict(batch)]) for name, p in methods.items()}
    calls["pipeline"] = lambda batch: pipeline_labels(pipe, batch, 32)
    for call in calls.values():
        call(texts[:64])
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    answers: dict[str, list[str]] = {}
    for r in range(reps):
        for name in (list(calls) if r % 2 == 0 else list(calls)[::-1]):
            t0 = time.perf_counter()
            answers[name] = calls[name](texts)
            seconds[name].append(time.perf_counter() - t0)
    tps = {name: [len(texts) / s for s in values] for name, values in seconds.items()}
    reference = methods["torch"].model_proba(texts)

    def agreement(name: str) -> dict[str, float]:
        probs = methods[name].model_proba(texts)
        return {"model_label_agreement": float((probs.argmax(1) == reference.argmax(1)).mean()),
                "model_max_probability_difference": float(np.abs(probs - reference).max()),
                "answer_label_agreement": sum(a == b for a, b in zip(answers[name], answers["torch"])) / len(texts)}

    latency = {name: _latency(call, texts, latency_calls) for name, call in calls.items()
               if name != "pipeline"}
    latency["pipeline"] = _latency(lambda batch: pipe(batch[0], truncation=True), texts, latency_calls)
    os.environ["CLASSIFIER_ONNX_THREADS"] = "1"
    one = Predictor(run, backend="onnx")
    latency["onnx_one_thread"] = _latency(lambda batch: one.predict(batch), texts, latency_calls)
    del os.environ["CLASSIFIER_ONNX_THREADS"]
    ratio = [a / b for a, b in zip(tps["onnx"], tps["pipeline"]) if b]
    return {
        "texts": len(texts), "reps": reps, "export_seconds": export_seconds, "texts_per_second": tps,
        "texts_per_second_median": {k: float(np.median(v)) for k, v in tps.items()},
        "onnx_speedup_vs_pipeline_b32_per_rep": ratio, "onnx_speedup_vs_pipeline_b32": float(np.median(ratio)),
        "onnx_speedup_vs_torch_predictor": float(np.median(tps["onnx"]) / np.median(tps["torch"])),
        "latency": latency, "agreement": {"onnx": agreement("onnx"), "onnx_int8": agreement("onnx_int8")},
        "decision": methods["onnx"].decision, "load_average": list(os.getloadavg()),
    }


def _latency(call, texts: list[str], count: int) -> dict[str, float]:
    for text in texts[:10]:
        call([text])
    values = []
    for i in range(count):
        t0 = time.perf_counter()
        call([texts[i % len(texts)]])
        values.append(time.perf_counter() - t0)
    return _percentiles(values)


def synthesize(path: Path, count: int, source: str, seed: int = 0) -> Path:
    """`count` SMS texts sampled with replacement from the sample, one a line, written in blocks."""
    texts = [line.split("\t", 1)[1].replace("\n", " ") for line in
             Path(source).read_text(encoding="utf-8").splitlines()[1:] if "\t" in line]
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for start in range(0, count, 10_000):
            handle.write("\n".join(rng.choice(texts) for _ in range(min(10_000, count - start))) + "\n")
    return path


def job_stream(run_dir: str, input_file: str, output: str, chunk_size: int) -> dict[str, Any]:
    from classifier.stream_predict import stream_predict_file

    load = os.getloadavg()
    result = stream_predict_file(run_dir, input_file, output, chunk_size=chunk_size, progress=False)
    return {"texts": result.texts, "seconds": result.seconds, "texts_per_second": result.texts / result.seconds,
            "backend": result.backend, "chunk_size": chunk_size, "input_mib": Path(input_file).stat().st_size / 2**20,
            "output_mib": Path(output).stat().st_size / 2**20, "load_average_start": list(load),
            "load_average_end": list(os.getloadavg())}


JOBS = {"onnx": job_onnx, "stream": job_stream}
