"""The benchmark suite: the engine against the baselines, side by side, in one run.

    python bench/run.py            # everything, full size: writes bench/results/<machine>-<date>.json
    python bench/run.py --quick    # reduced sizes (a few minutes on an idle 2-core CPU): ...-<date>-quick.json
    python bench/run.py --quick --smoke --output /tmp/b.json   # the smallest sizes; what the test runs

The last line on stdout is one JSON object: the summary (`train_speedup_vs_naive`,
`train_speedup_vs_trainer_default`, `accuracy_gap_vs_trainer_default`, `head_speedup_vs_recompute`,
`predict_p50_ms`, `predict_speedup_vs_pipeline`, ...). Progress goes to stderr.

Every comparison is made inside this one run: the methods of a comparison alternate within each repetition
(A B C, then C B A, ...), and a speed-up is the median over the repetitions of the ratio within each one (the
ratio of the medians is in the JSON too). The accuracy gap is trainer default's test accuracy minus ours
(negative when ours is better); `accuracy_informative` says whether both models beat the majority class by a
margin at this size (quick sizes are too small for that). Every job runs in a child
process of its own (forked from this one after the heavy imports, so no job pays for them; spawned on a GPU
machine, where CUDA must not be forked), which reports its own peak RSS and peak GPU memory.

What is measured (bench/RESULTS.md has the figures and the details):
- sms / thucnews / longdoc: full fine-tuning, samples per second over the training phase, for ours
  (`classifier.training.train`, strategy full, its defaults), trainer default and naive (bench/baselines.py);
  test accuracy of ours and of trainer default.
- sms head: strategy head for 10 epochs (features once + head epochs) vs recomputing the frozen backbone each
  epoch.
- predict: `classifier.predict.Predictor` vs `transformers.pipeline` on the saved SMS model.
- onnx: Predictor on the run's ONNX export (fp32, int8) beside PyTorch fp32 and pipeline() (bench/onnx_stream.py).
- stream: `predict --input --output` streaming files of N sampled SMS texts: texts/s and peak RSS per size.
- app: `python app.py` to the page served, and Start to the first loss point.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(BENCH.parent))

import onnx_stream  # noqa: E402
import workloads as wl  # noqa: E402

wl.JOBS.update(onnx_stream.JOBS)

# split sizes (None = the whole split of the sample), epochs, repetitions
MODES: dict[str, dict[str, Any]] = {
    "full": {
        "sms": {"train": None, "validation": None, "test": None}, "sms_epochs": 3, "sms_reps": 3,
        "naive_batches": 10, "head_reps": 3, "head_measure_epochs": None,
        "predict_reps": 5, "latency_calls": 300, "pipeline_b1_texts": 680,
        "thucnews": {"train": None, "validation": None, "test": None}, "thucnews_epochs": 1, "thucnews_reps": 1,
        "longdoc": {"train": 600, "validation": 128, "test": 128}, "longdoc_epochs": 1, "longdoc_reps": 1,
        "app_launches": 3,
        "onnx_reps": 5, "onnx_latency_calls": 300, "stream_sizes": [100_000, 1_000_000], "stream_chunk": 10_000,
    },
    "quick": {
        "sms": {"train": 256, "validation": 54, "test": 256}, "sms_epochs": 1, "sms_reps": 2,
        "naive_batches": 1, "head_reps": 2, "head_measure_epochs": 1,
        "predict_reps": 3, "latency_calls": 100, "pipeline_b1_texts": 64,
        "thucnews": {"train": 128, "validation": 30, "test": 128}, "thucnews_epochs": 1, "thucnews_reps": 2,
        "longdoc": {"train": 16, "validation": 4, "test": 8}, "longdoc_epochs": 1, "longdoc_reps": 1,
        "app_launches": 2,
        "onnx_reps": 3, "onnx_latency_calls": 100, "stream_sizes": [10_000, 30_000], "stream_chunk": 5_000,
    },
    "smoke": {
        "sms": {"train": 48, "validation": 16, "test": 48}, "sms_epochs": 1, "sms_reps": 1,
        "naive_batches": 0, "head_reps": 1, "head_measure_epochs": 1,
        "predict_reps": 1, "latency_calls": 20, "pipeline_b1_texts": 16,
        "thucnews": {"train": 24, "validation": 10, "test": 20}, "thucnews_epochs": 1, "thucnews_reps": 1,
        "longdoc": {"train": 4, "validation": 2, "test": 4}, "longdoc_epochs": 1, "longdoc_reps": 1,
        "app_launches": 0,
        "onnx_reps": 1, "onnx_latency_calls": 20, "stream_sizes": [300, 900], "stream_chunk": 200,
        # the naive loop at 512 tokens costs ~10-60 s a batch on a 2-core CPU: smoke runs it on sms only
        "thucnews_methods": ("ours", "trainer_default"), "longdoc_methods": ("ours", "trainer_default"),
    },
}
HEAD_EPOCHS = 10
REQUIRED_KEYS = ("train_speedup_vs_naive", "train_speedup_vs_trainer_default", "head_speedup_vs_recompute",
                 "predict_p50_ms", "predict_speedup_vs_pipeline", "accuracy_gap_vs_trainer_default")
TARGETS = {  # key: (comparison, threshold)
    "train_speedup_vs_naive": (">=", 5.0),
    "train_speedup_vs_trainer_default": (">=", 1.3),
    "accuracy_gap_vs_trainer_default": ("<=", 0.005),
    "head_speedup_vs_recompute": (">=", 8.0),
    "predict_p50_ms": ("<=", 15.0),
    "predict_speedup_vs_pipeline": (">=", 2.0),
    "predict_label_agreement": (">=", 0.995),
    "train_peak_rss_mib": ("<", 4096.0),
    "app_launch_seconds": ("<=", 8.0),
    "app_start_to_first_loss_seconds": ("<=", 20.0),
    "onnx_p50_ms": ("<=", 5.0),
    "onnx_speedup_vs_pipeline": (">=", 4.0),
    "onnx_label_agreement": (">=", 0.999),
    "onnx_max_probability_difference": ("<=", 1e-3),
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def has_gpu() -> bool:
    """Without touching CUDA in this process (a CUDA-initialised parent cannot fork its children)."""
    return Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()


def machine_name() -> str:
    if has_gpu():
        try:
            import subprocess

            name = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                                  text=True, timeout=30).stdout.splitlines()[0]
            return "gpu-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        except Exception:  # noqa: BLE001
            return "gpu"
    return f"cpu-{os.cpu_count()}core"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.median(values) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


class Bench:
    def __init__(self, mode: str, start_method: str, tmp: Path, only: set[str] | None,
                 run_dir: str | None = None) -> None:
        self.given_run = run_dir
        self.mode = mode
        self.size = MODES[mode]
        self.start_method = start_method
        self.tmp = tmp
        self.only = only
        self.results: dict[str, Any] = {}
        self.workloads: dict[str, dict] = {}
        self.errors: list[str] = []

    def wanted(self, part: str) -> bool:
        return self.only is None or part in self.only

    def job(self, name: str, label: str, **kwargs) -> dict[str, Any]:
        log(f"{label} ...")
        result = wl.run_job(name, start_method=self.start_method, **kwargs)
        if "error" in result:
            self.errors.append(f"{label}: {result['error']}")
            log(f"{label} FAILED: {result['error'].strip().splitlines()[-1]}")
        else:
            log(f"{label}: {brief(result)} ({result['job_wall_seconds']:.0f}s)")
        return result

    def workload(self, name: str) -> dict:
        if name not in self.workloads:
            self.workloads[name] = wl.build_workload(name, self.tmp / "data", self.size[name]).to_dict()
            log(f"workload {name}: {self.workloads[name]['sizes']} ({self.workloads[name]['model']})")
        return self.workloads[name]

    # ------------------------------------------------------------------ full fine-tuning: ours, trainer, naive
    def compare_training(self, name: str) -> None:
        work = self.workload(name)
        epochs, reps = self.size[f"{name}_epochs"], self.size[f"{name}_reps"]
        order = list(self.size.get(f"{name}_methods", ("ours", "trainer_default", "naive")))
        runs: dict[str, list[dict]] = {method: [] for method in order}
        for rep in range(reps):
            for method in (order if rep % 2 == 0 else order[::-1]):
                label = f"{name} rep {rep + 1}/{reps}: {method}"
                if method == "ours":
                    res = self.job("ours_train", label, workload=work, epochs=epochs,
                                   output=str(self.tmp / f"{name}-ours-{rep}"))
                elif method == "trainer_default":
                    res = self.job("trainer_default", label, workload=work, epochs=epochs)
                else:
                    res = self.job("naive", label, workload=work, epochs=epochs,
                                   measure_batches=self.size["naive_batches"])
                runs[method].append(res)
        _, test_labels = wl.read_jsonl(work["test_file"])
        majority = max(test_labels.count(name) for name in set(test_labels)) / len(test_labels)
        self.results[name] = {"workload": work, "epochs": epochs, "reps": reps, "test_majority_class_accuracy":
                              majority, "runs": runs}
        self.results[name]["summary"] = summarize_training(self.results[name])
        log(f"{name}: {json.dumps(wl.round_floats(self.results[name]['summary'], 3), ensure_ascii=False)}")

    # ------------------------------------------------------------------ head: features once vs recompute
    def compare_head(self) -> None:
        work = self.workload("sms")
        reps = self.size["head_reps"]
        ours, recompute = [], []
        for rep in range(reps):
            for method in (("ours", "recompute") if rep % 2 == 0 else ("recompute", "ours")):
                label = f"sms head rep {rep + 1}/{reps}: {method}"
                if method == "ours":
                    ours.append(self.job("ours_train", label, workload=work, epochs=HEAD_EPOCHS, strategy="head",
                                         output=str(self.tmp / f"sms-head-{rep}")))
                else:
                    max_length = next((r["max_length"] for r in ours if "max_length" in r), None) \
                        or self._max_length_of(work)
                    recompute.append(self.job("recompute_head", label, workload=work, epochs=HEAD_EPOCHS,
                                              measure_epochs=self.size["head_measure_epochs"],
                                              max_length=max_length))
        self.results["sms_head"] = {"epochs": HEAD_EPOCHS, "reps": reps, "runs": {"ours": ours, "recompute": recompute}}
        self.results["sms_head"]["summary"] = summarize_head(self.results["sms_head"])
        log(f"sms head: {json.dumps(wl.round_floats(self.results['sms_head']['summary'], 3))}")

    def _max_length_of(self, work: dict) -> int:
        from classifier.backbones import resolve_model
        from classifier.data import recommend_max_length, token_lengths
        from classifier.modeling import load_tokenizer

        texts, _ = wl.read_jsonl(work["train_file"])
        return recommend_max_length(token_lengths(texts, load_tokenizer(resolve_model(work["model"])[0])), 512)

    # ------------------------------------------------------------------ prediction
    def sms_run(self) -> str | None:
        """The SMS run to predict with: --run, else one this benchmark trained, else one trained now (1 epoch)."""
        sms = self.results.get("sms", {}).get("runs", {}).get("ours", [])
        run_dir = self.given_run or next((r["run_dir"] for r in sms if "run_dir" in r), None)
        if run_dir is None:
            run_dir = self.job("ours_train", "sms model for prediction", workload=self.workload("sms"), epochs=1,
                               output=str(self.tmp / "sms-predict")).get("run_dir")
            self.given_run = run_dir
        return run_dir

    def compare_predict(self) -> None:
        work = self.workload("sms")
        run_dir = self.sms_run()
        if run_dir is None:
            return
        res = self.job("predict", "predict: Predictor vs pipeline", run_dir=run_dir, test_file=work["test_file"],
                       reps=self.size["predict_reps"], latency_calls=self.size["latency_calls"],
                       pipeline_b1_texts=self.size["pipeline_b1_texts"])
        self.results["predict"] = {"run": res}
        if "error" not in res:
            self.results["predict"]["summary"] = summarize_predict(res)
            log(f"predict: {json.dumps(wl.round_floats(self.results['predict']['summary'], 3))}")

    # ------------------------------------------------------------------ ONNX Runtime and streamed files
    def compare_onnx(self) -> None:
        work, run_dir = self.workload("sms"), self.sms_run()
        if run_dir is None:
            return
        res = self.job("onnx", "onnx: ONNX fp32 / int8 vs PyTorch vs pipeline", run_dir=run_dir,
                       test_file=work["test_file"], reps=self.size["onnx_reps"],
                       latency_calls=self.size["onnx_latency_calls"], work=str(self.tmp))
        self.results["onnx"] = {"run": res, "run_dir": str(run_dir)}
        if "error" not in res:
            self.results["onnx"]["summary"] = summarize_onnx(res)
            log(f"onnx: {json.dumps(wl.round_floats(self.results['onnx']['summary'], 4))}")

    def measure_stream(self) -> None:
        run_dir = self.sms_run()
        if run_dir is None:
            return
        exported = self.tmp / "onnx-run"  # the onnx part's copy, exported; else the run as it is
        run_dir = str(exported) if (exported / "onnx").is_dir() else run_dir
        sizes, runs = self.size["stream_sizes"], []
        for size in sizes:
            source = onnx_stream.synthesize(self.tmp / f"stream-{size}.txt", size, str(wl.SMS))
            res = self.job("stream", f"stream: {size:,} texts", run_dir=run_dir, input_file=str(source),
                           output=str(self.tmp / f"stream-{size}.csv"), chunk_size=self.size["stream_chunk"])
            runs.append({"size": size, **res})
            source.unlink(missing_ok=True)
            (self.tmp / f"stream-{size}.csv").unlink(missing_ok=True)
        self.results["stream"] = {"runs": runs, "run_dir": run_dir,
                                  "summary": {f"{r['size']}": {"texts_per_second": r.get("texts_per_second"),
                                                               "peak_rss_mib": r.get("peak_rss_mib")} for r in runs}}

    # ------------------------------------------------------------------ the app
    def measure_app(self) -> None:
        launches = self.size["app_launches"]
        if not launches:
            self.results["app"] = {"available": False, "reason": f"not measured in {self.mode} mode"}
            return
        home = self.tmp / "app-home"
        home.mkdir(parents=True, exist_ok=True)
        res = self.job("app", "app: launch and Start", launches=launches, home=str(home))
        self.results["app"] = res

def paired(numerators: list[dict], denominators: list[dict], num_key: str, den_key: str) -> list[float]:
    """Per-repetition ratios of two methods measured side by side (rep i of one against rep i of the other)."""
    out = []
    for a, b in zip(numerators, denominators):
        value = ratio(a.get(num_key), b.get(den_key))
        if value is not None:
            out.append(value)
    return out


def summarize_training(part: dict[str, Any]) -> dict[str, Any]:
    """Speed-ups are medians of the per-repetition ratios (ours in rep i / baseline in rep i): the methods of one
    repetition ran minutes apart, so their ratio is the least exposed to the load of a shared machine changing."""
    runs, majority = part["runs"], part["test_majority_class_accuracy"]
    ours, trainer, naive = runs.get("ours", []), runs.get("trainer_default", []), runs.get("naive", [])
    sps = {m: median([r.get("samples_per_second") for r in runs.get(m, [])])
           for m in ("ours", "trainer_default", "naive")}
    acc = {m: median([r.get("accuracy") for r in runs.get(m, [])]) for m in ("ours", "trainer_default")}
    vs_naive = paired(ours, naive, "samples_per_second", "samples_per_second")
    vs_trainer = paired(ours, trainer, "samples_per_second", "samples_per_second")
    vs_trainer_excl = paired(ours, trainer, "samples_per_second_excl_validation", "samples_per_second")
    return {
        "epochs": part["epochs"], "reps": part["reps"], "train_rows": part["workload"]["sizes"]["train"],
        "samples_per_second_median": sps,
        "speedup_vs_naive": median(vs_naive), "speedup_vs_naive_per_rep": vs_naive,
        "speedup_vs_trainer_default": median(vs_trainer), "speedup_vs_trainer_default_per_rep": vs_trainer,
        "speedup_vs_trainer_default_excl_validation": median(vs_trainer_excl),
        "speedup_vs_trainer_default_ratio_of_medians": ratio(sps["ours"], sps["trainer_default"]),
        "ours_validation_share_of_train_time": median([
            r["validation_seconds"] / r["train_seconds"] for r in ours if r.get("train_seconds")]),
        "ours_save_best_seconds_median": median([r.get("save_best_seconds") for r in ours]),
        "test_accuracy_median": acc,
        "accuracy_gap_vs_trainer_default": (acc["trainer_default"] - acc["ours"])
        if None not in acc.values() else None,
        # a model that answers the majority class for every text scores this much: near it, the accuracy
        # comparison says nothing (too little training at this size)
        "test_majority_class_accuracy": majority,
        # informative once both models close a quarter of the distance from the majority-class share to 1
        "accuracy_informative": all(a is not None and a > majority + 0.25 * (1 - majority) for a in acc.values()),
        "naive_extrapolated": any(r.get("extrapolated") for r in naive),
        "peak_rss_mib": {m: max([r.get("peak_rss_mib") or 0 for r in rs]) for m, rs in runs.items()},
        "peak_gpu_mib": {m: max([r.get("peak_gpu_mib") or 0 for r in rs]) or None for m, rs in runs.items()},
        "errors": sum("error" in r for rs in runs.values() for r in rs),
        "other_processes_cpu_share_max": max([r["other_processes_cpu_share"] for rs in runs.values() for r in rs
                                              if r.get("other_processes_cpu_share") is not None], default=None),
    }


def summarize_head(part: dict[str, Any]) -> dict[str, Any]:
    ours, recompute = part["runs"]["ours"], part["runs"]["recompute"]
    same_work = paired(recompute, ours, "seconds", "head_job_seconds")
    train_only = paired(recompute, ours, "train_pass_seconds", "head_job_seconds")
    return {
        "epochs": part["epochs"], "reps": part["reps"],
        "ours_seconds_median": median([r.get("head_job_seconds") for r in ours]),
        "recompute_seconds_median": median([r.get("seconds") for r in recompute]),
        "speedup_vs_recompute": median(same_work), "speedup_vs_recompute_per_rep": same_work,
        "speedup_vs_recompute_train_passes_only": median(train_only),
        "recompute_extrapolated": any(r.get("extrapolated") for r in recompute),
        "ours_test_accuracy_median": median([r.get("accuracy") for r in ours]),
        "peak_rss_mib": {"ours": max([r.get("peak_rss_mib") or 0 for r in ours]),
                         "recompute": max([r.get("peak_rss_mib") or 0 for r in recompute])},
    }


def summarize_predict(res: dict[str, Any]) -> dict[str, Any]:
    per_rep = [a / b for a, b in zip(res["predictor_texts_per_second"], res["pipeline_b32_texts_per_second"]) if b]
    candidates = res.get("candidates") or {}
    return {
        "p50_ms": res["latency_predictor"]["p50_ms"],
        "pipeline_single_p50_ms": res["latency_pipeline"]["p50_ms"],
        "fixed_sms_p50_ms": res["latency_predictor_fixed_sms"]["p50_ms"],
        "speedup_vs_pipeline_b32": median(per_rep), "speedup_vs_pipeline_b32_per_rep": per_rep,
        "speedup_vs_pipeline_b1": ratio(res["predictor_texts_per_second_median"],
                                        res["pipeline_b1_texts_per_second"]),
        "label_agreement_b32": res["label_agreement_b32"], "label_agreement_b1": res["label_agreement_b1"],
        "candidate_one_thread_p50_ms": (candidates.get("one_thread") or {}).get("p50_ms"),
        "candidate_int8_one_thread_p50_ms": (candidates.get("int8_one_thread") or {}).get("p50_ms"),
        "candidate_int8_default_threads_p50_ms": (candidates.get("int8_default_threads") or {}).get("p50_ms"),
        "candidate_int8_label_agreement": candidates.get("int8_label_agreement"),
    }


def summarize_onnx(res: dict[str, Any]) -> dict[str, Any]:
    agree = res["agreement"]
    return {
        "p50_ms": res["latency"]["onnx"]["p50_ms"], "one_thread_p50_ms": res["latency"]["onnx_one_thread"]["p50_ms"],
        "int8_p50_ms": res["latency"]["onnx_int8"]["p50_ms"], "torch_p50_ms": res["latency"]["torch"]["p50_ms"],
        "pipeline_p50_ms": res["latency"]["pipeline"]["p50_ms"],
        "speedup_vs_pipeline_b32": res["onnx_speedup_vs_pipeline_b32"],
        "speedup_vs_torch_predictor": res["onnx_speedup_vs_torch_predictor"],
        "texts_per_second_median": res["texts_per_second_median"],
        "label_agreement": agree["onnx"]["model_label_agreement"],
        "max_probability_difference": agree["onnx"]["model_max_probability_difference"],
        "answer_label_agreement": agree["onnx"]["answer_label_agreement"],
        "int8_label_agreement": agree["onnx_int8"]["model_label_agreement"],
        "int8_max_probability_difference": agree["onnx_int8"]["model_max_probability_difference"],
        "int8_answer_label_agreement": agree["onnx_int8"]["answer_label_agreement"],
    }


def summarize(results: dict[str, Any], mode: str) -> dict[str, Any]:
    """The one-line summary (the last line on stdout) from the per-part summaries."""

    def get(part: str, key: str):
        return ((results.get(part) or {}).get("summary") or {}).get(key)

    app = results.get("app") or {}
    launches = app.get("launch_seconds") or []
    train_rss = [v for part in ("sms", "thucnews", "longdoc") for v in [(get(part, "peak_rss_mib") or {}).get("ours")]
                 if v]
    samples_rss = [v for part in ("sms", "thucnews") for v in [(get(part, "peak_rss_mib") or {}).get("ours")] if v]
    return {
        "train_speedup_vs_naive": get("sms", "speedup_vs_naive"),
        "train_speedup_vs_trainer_default": get("sms", "speedup_vs_trainer_default"),
        "accuracy_gap_vs_trainer_default": get("sms", "accuracy_gap_vs_trainer_default"),
        "accuracy_informative": get("sms", "accuracy_informative"),
        "ours_test_accuracy": (get("sms", "test_accuracy_median") or {}).get("ours"),
        "trainer_default_test_accuracy": (get("sms", "test_accuracy_median") or {}).get("trainer_default"),
        "head_speedup_vs_recompute": get("sms_head", "speedup_vs_recompute"),
        "predict_p50_ms": get("predict", "p50_ms"),
        "predict_speedup_vs_pipeline": get("predict", "speedup_vs_pipeline_b32"),
        "predict_label_agreement": get("predict", "label_agreement_b32"),
        "predict_speedup_vs_pipeline_b1": get("predict", "speedup_vs_pipeline_b1"),
        "predict_p50_ms_one_thread_candidate": get("predict", "candidate_one_thread_p50_ms"),
        "predict_p50_ms_int8_one_thread_candidate": get("predict", "candidate_int8_one_thread_p50_ms"),
        "predict_p50_ms_int8_candidate": get("predict", "candidate_int8_default_threads_p50_ms"),
        "predict_int8_label_agreement_candidate": get("predict", "candidate_int8_label_agreement"),
        "train_speedup_vs_trainer_default_excl_validation": get("sms", "speedup_vs_trainer_default_excl_validation"),
        "head_speedup_vs_recompute_train_passes_only": get("sms_head", "speedup_vs_recompute_train_passes_only"),
        "thucnews_train_speedup_vs_naive": get("thucnews", "speedup_vs_naive"),
        "thucnews_train_speedup_vs_trainer_default": get("thucnews", "speedup_vs_trainer_default"),
        "thucnews_accuracy_gap_vs_trainer_default": get("thucnews", "accuracy_gap_vs_trainer_default"),
        "longdoc_train_speedup_vs_naive": get("longdoc", "speedup_vs_naive"),
        "longdoc_train_speedup_vs_trainer_default": get("longdoc", "speedup_vs_trainer_default"),
        "train_peak_rss_mib": max(samples_rss) if samples_rss else None,
        "train_peak_rss_mib_all_workloads": max(train_rss) if train_rss else None,
        "app_launch_seconds": launches[-1] if launches else None,
        "app_start_to_first_loss_seconds": app.get("start_to_first_loss_seconds"),
        "onnx_p50_ms": get("onnx", "p50_ms"),
        "onnx_speedup_vs_pipeline": get("onnx", "speedup_vs_pipeline_b32"),
        "onnx_label_agreement": get("onnx", "label_agreement"),
        "onnx_max_probability_difference": get("onnx", "max_probability_difference"),
        "onnx_int8_label_agreement": get("onnx", "int8_label_agreement"),
        "stream": (results.get("stream") or {}).get("summary"),
        "mode": mode,
    }


def targets(summary: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, (op, threshold) in TARGETS.items():
        value = summary.get(key)
        met = None if value is None else (value >= threshold if op == ">=" else value <= threshold if op == "<="
                                          else value < threshold)
        out[key] = {"value": value, "target": f"{op} {threshold:g}", "met": met}
        if key == "accuracy_gap_vs_trainer_default" and summary.get("accuracy_informative") is False:
            out[key].update(met=None, note="not informative: a model scores about the majority-class share at "
                                           "this size; see a run on the whole sample")
    return out


def brief(result: dict[str, Any]) -> str:
    keys = ("samples_per_second", "accuracy", "head_job_seconds", "seconds", "peak_rss_mib",
            "predictor_texts_per_second_median", "pipeline_b32_texts_per_second_median", "launch_seconds",
            "start_to_first_loss_seconds")
    return ", ".join(f"{k}={wl.round_floats(result[k], 4)}" for k in keys if result.get(k) is not None)


def environment() -> dict[str, Any]:
    import torch
    import transformers

    return {
        "cpu": cpu_model(), "cpu_count": os.cpu_count(), "python": platform.python_version(),
        "torch": torch.__version__, "transformers": transformers.__version__, "platform": platform.platform(),
        "gpu": has_gpu(), "load_average": list(os.getloadavg()),
    }


def resummarize(path: Path) -> int:
    record = json.loads(path.read_text(encoding="utf-8"))
    results = record["results"]
    for part in results.values():  # files written before these fields moved out of the summaries
        if isinstance(part, dict) and "runs" in part:
            for key in ("epochs", "reps", "test_majority_class_accuracy"):
                part.setdefault(key, (part.get("summary") or {}).get(key))
    for part in ("sms", "thucnews", "longdoc"):
        if part in results and "runs" in results[part]:
            results[part]["summary"] = summarize_training(results[part])
    if "sms_head" in results:
        results["sms_head"]["summary"] = summarize_head(results["sms_head"])
    if "run" in (results.get("onnx") or {}) and "error" not in results["onnx"]["run"]:
        results["onnx"]["summary"] = summarize_onnx(results["onnx"]["run"])
    if "run" in (results.get("predict") or {}) and "error" not in results["predict"]["run"]:
        results["predict"]["summary"] = summarize_predict(results["predict"]["run"])
    summary = summarize(results, record["mode"])
    summary["bench_seconds"] = record["summary"].get("bench_seconds")
    record["summary"] = wl.round_floats(summary)
    record["targets"] = targets(record["summary"])
    path.write_text(json.dumps(wl.round_floats(record), indent=2, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")
    print(json.dumps(record["summary"], ensure_ascii=False), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="reduced sizes: a few minutes on an idle 2-core CPU")
    parser.add_argument("--smoke", action="store_true", help="the smallest sizes (the test suite's run); "
                        "writes no results file unless --output is given")
    parser.add_argument("--output", help="results JSON path (default bench/results/<machine>-<date>[-quick].json)")
    parser.add_argument("--machine", help="machine name in the results file name (default: cpu-<N>core or "
                        "gpu-<name>)")
    parser.add_argument("--only", help="comma-separated parts: sms,head,predict,onnx,stream,thucnews,longdoc,app")
    parser.add_argument("--run", help="a trained SMS run for the predict, onnx and stream parts (default: the one the "
                        "sms part trains, else one trained for them)")
    parser.add_argument("--start-method", choices=("fork", "spawn"),
                        help="how job processes start (default: fork on a CPU machine, spawn with a GPU)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data splits, run folders)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                        help="override a size of the mode, e.g. --set sms_reps=1 --set sms.train=1000")
    parser.add_argument("--resummarize", metavar="RESULTS_JSON",
                        help="recompute the summaries and targets of a results file from its raw figures; no run")
    args = parser.parse_args(argv)
    if args.resummarize:
        return resummarize(Path(args.resummarize))
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    for item in args.set:
        key, _, value = item.partition("=")
        target, _, sub = key.partition(".")
        if target not in MODES[mode] and target not in ("sms_methods", "thucnews_methods", "longdoc_methods"):
            parser.error(f"--set {key}: no such size; known: {', '.join(MODES[mode])}")
        if sub:
            MODES[mode][target][sub] = json.loads(value)
        else:
            MODES[mode][target] = json.loads(value)
    start_method = args.start_method or ("spawn" if has_gpu() else "fork")
    only = set(args.only.split(",")) if args.only else None

    started = time.perf_counter()
    log(f"mode {mode}, jobs by {start_method}; importing torch and transformers once")
    # Heavy imports before the children fork, so that no job pays for them (nothing here starts a thread pool or
    # touches CUDA).
    import baselines  # noqa: F401
    import datasets  # noqa: F401
    import torch  # noqa: F401
    import transformers  # noqa: F401
    from transformers import Trainer, pipeline  # noqa: F401

    import classifier.predict  # noqa: F401
    import classifier.training  # noqa: F401

    env = environment()
    log(f"imports {time.perf_counter() - started:.1f}s; {env['cpu']} x{env['cpu_count']}, "
        f"load average {env['load_average']}")
    tmp = wl.new_tmp()
    bench = Bench(mode, start_method, tmp, only, args.run)
    try:
        if bench.wanted("sms"):
            bench.compare_training("sms")
        if bench.wanted("head"):
            bench.compare_head()
        if bench.wanted("predict"):
            bench.compare_predict()
        if bench.wanted("onnx"):
            bench.compare_onnx()
        if bench.wanted("stream"):
            bench.measure_stream()
        if bench.wanted("thucnews"):
            bench.compare_training("thucnews")
        if bench.wanted("longdoc"):
            bench.compare_training("longdoc")
        if bench.wanted("app"):
            bench.measure_app()
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            wl.remove_tmp(tmp)
    summary = summarize(bench.results, mode)
    summary["bench_seconds"] = time.perf_counter() - started
    summary = wl.round_floats(summary)
    machine = args.machine or machine_name()
    date = dt.date.today().isoformat()
    record = {
        "machine": machine, "date": date, "mode": mode, "command": "python bench/run.py " + " ".join(
            sys.argv[1:] if argv is None else argv),
        "environment": {**env, "load_average_end": list(os.getloadavg()), "start_method": start_method},
        "summary": summary, "targets": targets(summary),
        "workloads": {name: work["sizes"] for name, work in bench.workloads.items()},
        "sizes": MODES[mode], "overrides": args.set, "results": bench.results, "errors": bench.errors,
    }
    output = args.output or (None if mode == "smoke" else
                             str(BENCH / "results" / f"{machine}-{date}{'-quick' if mode == 'quick' else ''}.json"))
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(json.dumps(wl.round_floats(record), indent=2, ensure_ascii=False, default=str)
                                + "\n", encoding="utf-8")
        log(f"wrote {output}")
    for line in bench.errors:
        log(f"error: {line.strip().splitlines()[-1]}")
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    return 1 if bench.errors else 0


if __name__ == "__main__":
    sys.exit(main())
