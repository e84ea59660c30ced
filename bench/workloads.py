"""Workloads (data + model) and the jobs `bench/run.py` runs, each in a process of its own.

Workloads
- `sms`: assets/sms_spam.tsv (English, 2 classes) with the default English model, all-MiniLM-L6-v2.
- `thucnews`: assets/thucnews_titles.tsv (Chinese news titles, 10 classes) with multilingual-e5-small.
- `longdoc`: long documents made from the SMS sample (24 messages each, ~450-512 tokens; `spam` when three of
  the 24 are spam), English model. Built per split, so no message sits in two splits.

The split is the engine's own (`classifier.data.prepare_data`, seed 42, 70/15/15); a reduced size keeps a
stratified part of each split. The splits are written as JSONL files, and every method (ours, trainer default,
naive) trains on the same training file and is tested on the same test file.

Jobs are plain functions returning a JSON-able dict; `run_job` runs one in a child process and adds the child's
peak RSS (and peak GPU memory on a GPU), so every figure comes from a clean process.
"""

from __future__ import annotations

import json
import math
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (str(ROOT), str(Path(__file__).resolve().parent)):  # the engine, and bench/ for `baselines`
    if _path not in sys.path:
        sys.path.insert(0, _path)

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SMS = ROOT / "assets" / "sms_spam.tsv"
THUCNEWS = ROOT / "assets" / "thucnews_titles.tsv"
MODELS = {"sms": "all-MiniLM-L6-v2", "thucnews": "multilingual-e5-small", "longdoc": "all-MiniLM-L6-v2"}


# ----------------------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class Workload:
    name: str
    model: str
    train_file: str
    validation_file: str
    test_file: str
    labels: list[str]
    sizes: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stratified(frame, n: int | None, seed: int = 42):
    """At most n rows, every class keeping its share (at least one row)."""
    if n is None or len(frame) <= n:
        return frame.reset_index(drop=True)
    share = n / len(frame)
    parts = [group.sample(n=max(1, round(len(group) * share)), random_state=seed)
             for _, group in frame.groupby("label")]
    import pandas as pd

    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _write_jsonl(path: Path, texts: list[str], labels: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for text, label in zip(texts, labels):
            handle.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")


def read_jsonl(path: str | Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(row["label"])
    return texts, labels


def build_workload(name: str, folder: Path, sizes: dict[str, int | None], seed: int = 42) -> Workload:
    """Write train/validation/test JSONL files for a workload; `sizes` caps each split (None: whole split)."""
    from classifier.data import prepare_data

    folder.mkdir(parents=True, exist_ok=True)
    source = THUCNEWS if name == "thucnews" else SMS
    data = prepare_data(source, seed=seed)
    names = data.labels.names
    splits = {"train": data.train, "validation": data.validation, "test": data.test}
    written: dict[str, tuple[list[str], list[str]]] = {}
    if name == "longdoc":
        for split, frame in splits.items():
            texts, labels = _long_documents(frame["text"].tolist(), [names[i] for i in frame["label"]],
                                            sizes.get(split) or _LONGDOC_FULL[split], seed + len(split))
            written[split] = (texts, labels)
    else:
        for split, frame in splits.items():
            part = _stratified(frame, sizes.get(split), seed)
            written[split] = (part["text"].tolist(), [names[i] for i in part["label"]])
    files = {}
    for split, (texts, labels) in written.items():
        files[split] = folder / f"{name}-{split}.jsonl"
        _write_jsonl(files[split], texts, labels)
    labels_used = sorted(set(written["train"][1]))
    return Workload(name=name, model=MODELS[name], train_file=str(files["train"]),
                    validation_file=str(files["validation"]), test_file=str(files["test"]), labels=labels_used,
                    sizes={split: len(texts) for split, (texts, _) in written.items()})


_LONGDOC_FULL = {"train": 600, "validation": 128, "test": 128}
MESSAGES_PER_DOC = 24
SPAM_PER_SPAM_DOC = 3


def _long_documents(texts: list[str], labels: list[str], n_docs: int, seed: int) -> tuple[list[str], list[str]]:
    """Half `ham` documents (24 ham messages), half `spam` (21 ham + 3 spam, shuffled), from one split's messages."""
    rng = random.Random(seed)
    ham = [t for t, lab in zip(texts, labels) if lab == "ham"]
    spam = [t for t, lab in zip(texts, labels) if lab == "spam"]
    docs, doc_labels = [], []
    for i in range(n_docs):
        if i % 2 == 0 or not spam:
            parts, label = rng.sample(ham, min(MESSAGES_PER_DOC, len(ham))), "ham"
        else:
            parts = rng.sample(ham, min(MESSAGES_PER_DOC - SPAM_PER_SPAM_DOC, len(ham)))
            parts += rng.sample(spam, min(SPAM_PER_SPAM_DOC, len(spam)))
            rng.shuffle(parts)
            label = "spam"
        docs.append(" ".join(parts))
        doc_labels.append(label)
    return docs, doc_labels


def _model_path(model: str):
    from classifier.backbones import resolve_model

    return resolve_model(model)[0]


def _accuracy(gold: list[str], predicted: list[str]) -> float:
    return sum(g == p for g, p in zip(gold, predicted)) / max(len(gold), 1)


# ----------------------------------------------------------------------------------------------------------------
# Jobs
# ----------------------------------------------------------------------------------------------------------------
def job_ours_train(workload: dict, epochs: float, output: str, strategy: str = "full") -> dict[str, Any]:
    """The engine as a user runs it (`classifier.training.train`), default settings but the strategy and epochs.

    Timing: the training phase as the engine runs it (Trainer.train, the same span as metrics.json's
    `train_seconds`), which includes the engine's validation passes (2 per epoch) and the saving of best/ after
    each improvement. The child wraps ClassifierTrainer.train/evaluate, the save of best/ and the head strategy's
    feature pass with timers (instrumentation of this process only, no change to the engine) to split those out
    (`validation_seconds` includes `save_best_seconds`)."""
    import classifier.training as training
    import classifier.training.features as training_features
    import classifier.training.model as training_model
    from classifier.config import TrainConfig

    timers = {"train": 0.0, "evaluate_in_train": 0.0, "features": 0.0, "save_in_train": 0.0}
    in_train = [False]
    original_train, original_eval = training.ClassifierTrainer.train, training.ClassifierTrainer.evaluate
    original_features, original_save = training_features.pooled_features, training_model.atomic_save_dir

    def timed_train(self, *args, **kwargs):
        t0 = time.perf_counter()
        in_train[0] = True
        try:
            return original_train(self, *args, **kwargs)
        finally:
            in_train[0] = False
            timers["train"] += time.perf_counter() - t0

    def timed_eval(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original_eval(self, *args, **kwargs)
        finally:
            if in_train[0]:
                timers["evaluate_in_train"] += time.perf_counter() - t0

    def timed_features(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original_features(*args, **kwargs)
        finally:
            timers["features"] += time.perf_counter() - t0

    def timed_save(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original_save(*args, **kwargs)
        finally:
            if in_train[0]:
                timers["save_in_train"] += time.perf_counter() - t0

    training.ClassifierTrainer.train, training.ClassifierTrainer.evaluate = timed_train, timed_eval
    training_features.pooled_features, training_model.atomic_save_dir = timed_features, timed_save
    config = TrainConfig(data=workload["train_file"], validation_file=workload["validation_file"],
                         test_file=workload["test_file"], model=workload["model"], strategy=strategy, epochs=epochs,
                         output=output)
    t0 = time.perf_counter()
    from classifier.run_folder import RunFolder

    result = training.train(config, progress=False)
    wall = time.perf_counter() - t0
    metrics = result.metrics or {}
    n_train = workload["sizes"]["train"]
    resolved = RunFolder(output).read_config()
    out = {
        "run_dir": str(result.run_dir), "status": result.status, "epochs": epochs, "strategy": strategy,
        "train_rows": n_train, "max_length": resolved["max_length"], "batch_size": resolved["batch_size"],
        "learning_rate": resolved["learning_rate"], "train_seconds_engine": metrics.get("train_seconds"),
        "train_seconds": timers["train"], "validation_seconds": timers["evaluate_in_train"],
        "features_seconds": timers["features"], "save_best_seconds": timers["save_in_train"],
        "total_seconds_engine": metrics.get("total_seconds"),
        "wall_seconds": wall, "engine_train_samples_per_second": metrics.get("train_samples_per_second"),
        "samples_per_second": n_train * epochs / timers["train"],
        "samples_per_second_excl_validation": n_train * epochs / max(timers["train"] - timers["evaluate_in_train"],
                                                                     1e-9),
        "accuracy": metrics.get("accuracy"), "macro_f1": metrics.get("macro_f1"),
        "tfidf_accuracy": (metrics.get("baseline") or {}).get("accuracy"), "steps": metrics.get("steps_trained"),
        "device": metrics.get("device"),
    }
    if strategy == "head":
        # the head strategy's cost: one feature pass over train + validation, then the epochs over the features
        out["head_job_seconds"] = timers["features"] + timers["train"]
    return out


def job_trainer_default(workload: dict, epochs: float) -> dict[str, Any]:
    from baselines import trainer_default_train

    texts, names = read_jsonl(workload["train_file"])
    test_texts, test_names = read_jsonl(workload["test_file"])
    labels = workload["labels"]
    ids = [labels.index(n) for n in names]
    result = trainer_default_train(texts, ids, labels, _model_path(workload["model"]), epochs=epochs,
                                   test_texts=test_texts)
    predicted = [labels[i] for i in result.pop("test_predictions")]
    result["accuracy"] = _accuracy(test_names, predicted)
    result["train_rows"] = len(texts)
    return result


def job_naive(workload: dict, epochs: float, measure_batches: int | None) -> dict[str, Any]:
    from baselines import naive_train

    texts, names = read_jsonl(workload["train_file"])
    labels = workload["labels"]
    result = naive_train(texts, [labels.index(n) for n in names], labels, _model_path(workload["model"]),
                         epochs=epochs, measure_batches=measure_batches)
    result["train_rows"] = len(texts)
    return result


def job_recompute_head(workload: dict, epochs: int, measure_epochs: int | None, max_length: int,
                       truncation: str = "head") -> dict[str, Any]:
    from baselines import recompute_head_train

    texts, names = read_jsonl(workload["train_file"])
    val_texts, val_names = read_jsonl(workload["validation_file"])
    labels = workload["labels"]
    return recompute_head_train(texts, [labels.index(n) for n in names], val_texts,
                                [labels.index(n) for n in val_names], labels, _model_path(workload["model"]),
                                max_length=max_length, truncation=truncation, epochs=epochs,
                                measure_epochs=measure_epochs)


def _percentiles(values: list[float]) -> dict[str, float]:
    import numpy as np

    arr = np.asarray(values) * 1000.0
    return {"p50_ms": float(np.percentile(arr, 50)), "p90_ms": float(np.percentile(arr, 90)),
            "p99_ms": float(np.percentile(arr, 99)), "mean_ms": float(arr.mean()), "calls": len(values)}


def job_predict(run_dir: str, test_file: str, reps: int, latency_calls: int, pipeline_b1_texts: int
                ) -> dict[str, Any]:
    """Predictor (the product) against transformers.pipeline on the same saved model and texts.

    Batch: the test texts, Predictor (batch 32, its default) vs pipeline batch 32, `reps` times alternating;
    pipeline batch 1 on the first `pipeline_b1_texts` texts. Latency: one text per call (the test texts in turn,
    i.e. real SMS lengths), after 10 warm-up calls, for Predictor and for the pipeline."""
    import numpy as np
    import torch
    from baselines import pipeline_classifier, pipeline_labels

    from classifier.predict import Predictor
    from classifier.runs import model_dir

    texts, gold = read_jsonl(test_file)
    t0 = time.perf_counter()
    predictor = Predictor(run_dir)
    load_predictor = time.perf_counter() - t0
    t0 = time.perf_counter()
    pipe = pipeline_classifier(model_dir(Path(run_dir)))
    load_pipeline = time.perf_counter() - t0

    def sync():
        if torch.cuda.is_available():
            torch.cuda.synchronize()

    # warm-up both
    predictor.predict(texts[:64])
    pipeline_labels(pipe, texts[:64], 32)
    ours_s, pipe_s = [], []
    ours_labels = pipe32_labels = None
    for r in range(reps):
        for which in (("ours", "pipe") if r % 2 == 0 else ("pipe", "ours")):
            sync()
            t0 = time.perf_counter()
            if which == "ours":
                ours_labels = [p.label for p in predictor.predict(texts)]
            else:
                pipe32_labels = pipeline_labels(pipe, texts, 32)
            sync()
            (ours_s if which == "ours" else pipe_s).append(time.perf_counter() - t0)
    b1_texts = texts[:pipeline_b1_texts]
    t0 = time.perf_counter()
    pipe1_labels = pipeline_labels(pipe, b1_texts, 1)
    pipe_b1_s = time.perf_counter() - t0

    def latencies(call) -> list[float]:
        for text in texts[:10]:
            call(text)
        values = []
        for i in range(latency_calls):
            text = texts[i % len(texts)]
            t0 = time.perf_counter()
            call(text)
            values.append(time.perf_counter() - t0)
        return values

    ours_lat = latencies(lambda text: predictor.predict(text))
    pipe_lat = latencies(lambda text: pipe(text, truncation=True))
    fixed = "WINNER!! As a valued network customer you have been selected to receive a 900 prize reward! To claim " \
            "call 09061701461. Claim code KL341. Valid 12 hours only."
    fixed_lat = []
    for _ in range(10):
        predictor.predict(fixed)
    for _ in range(max(20, latency_calls // 2)):
        t0 = time.perf_counter()
        predictor.predict(fixed)
        fixed_lat.append(time.perf_counter() - t0)
    candidates = _latency_candidates(predictor, texts, ours_labels, latencies)
    n = len(texts)
    ours_tps = [n / s for s in ours_s]
    pipe_tps = [n / s for s in pipe_s]
    agree = sum(a == b for a, b in zip(ours_labels, pipe32_labels)) / n
    agree_b1 = sum(a == b for a, b in zip(ours_labels[:len(b1_texts)], pipe1_labels)) / max(len(b1_texts), 1)
    tokens = predictor.tokenizer(texts[:latency_calls])["input_ids"]
    return {
        "texts": n, "reps": reps, "predictor_batch_size": predictor.batch_size, "max_length": predictor.max_length,
        "predictor_texts_per_second": ours_tps, "pipeline_b32_texts_per_second": pipe_tps,
        "predictor_texts_per_second_median": float(np.median(ours_tps)),
        "pipeline_b32_texts_per_second_median": float(np.median(pipe_tps)),
        "pipeline_b1_texts": len(b1_texts), "pipeline_b1_texts_per_second": len(b1_texts) / pipe_b1_s,
        "label_agreement_b32": agree, "label_agreement_b1": agree_b1,
        "predictor_accuracy": _accuracy(gold, ours_labels), "pipeline_accuracy": _accuracy(gold, pipe32_labels),
        "latency_predictor": _percentiles(ours_lat), "latency_pipeline": _percentiles(pipe_lat),
        "latency_predictor_fixed_sms": _percentiles(fixed_lat),
        "fixed_sms_tokens": len(predictor.tokenizer(fixed)["input_ids"]),
        "latency_text_tokens_p50": float(np.median([len(t) for t in tokens])),
        "load_seconds_predictor": load_predictor, "load_seconds_pipeline": load_pipeline,
        "torch_threads": torch.get_num_threads(), "candidates": candidates,
    }


def _latency_candidates(predictor, texts: list[str], labels: list[str], latencies) -> dict[str, Any]:
    """Not the product: what engine changes would do to single-text latency, measured here on the same model.

    - one intra-op thread (`torch.set_num_threads(1)`) instead of one per core: on a small, busy CPU the threads of
      one tiny matrix product wait for each other;
    - dynamic int8 quantization of the Linear layers (`torch.ao.quantization.quantize_dynamic`), with one thread
      and with the default threads, and the share of identical labels over the test texts."""
    import torch

    threads = torch.get_num_threads()
    out: dict[str, Any] = {}
    try:
        torch.set_num_threads(1)
        out["one_thread"] = _percentiles(latencies(lambda text: predictor.predict(text)))
        model = predictor.model
        try:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                quantized = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
            predictor.model = quantized
            out["int8_one_thread"] = _percentiles(latencies(lambda text: predictor.predict(text)))
            torch.set_num_threads(threads)
            out["int8_default_threads"] = _percentiles(latencies(lambda text: predictor.predict(text)))
            int8_labels = [p.label for p in predictor.predict(texts)]
            out["int8_label_agreement"] = sum(a == b for a, b in zip(labels, int8_labels)) / max(len(texts), 1)
        except Exception as exc:  # noqa: BLE001 - quantization support varies by build; record why
            out["int8_error"] = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            predictor.model = model
    finally:
        torch.set_num_threads(threads)
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def job_app(launches: int, home: str, start_timeout: float = 180.0) -> dict[str, Any]:
    """`python app.py` until its page answers 200 (each launch a fresh process; the later ones are warm: files in
    the OS cache), then Start to the first loss point, measured where the app's Start handler goes:
    `TrainingRunner.start(config)` (it writes request.json and starts `python -m classifier train`), then the
    first `train` event in events.jsonl, as the app's timer reads it. The browser round trip is not included."""
    app = ROOT / "app.py"
    if not app.is_file():
        return {"available": False, "reason": "app.py does not exist"}
    env = {**os.environ, "CLASSIFIER_HOME": home, "GRADIO_ANALYTICS_ENABLED": "False",
           "PYTHONUNBUFFERED": "1"}
    launch_seconds = []
    errors = []
    for _ in range(launches):
        port = _free_port()
        log = open(Path(home) / f"app-{port}.log", "wb")
        proc = subprocess.Popen([sys.executable, str(app)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env={**env, "GRADIO_SERVER_PORT": str(port)},
                                start_new_session=True)
        t0 = time.perf_counter()
        served = None
        try:
            while time.perf_counter() - t0 < start_timeout and proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                        if response.status == 200 and response.read(200):
                            served = time.perf_counter() - t0
                            break
                except OSError:
                    pass
                time.sleep(0.1)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the app's own process group (start_new_session)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log.close()
        if served is None:
            tail = (Path(home) / f"app-{port}.log").read_text(errors="replace")[-800:]
            errors.append(f"no page within {start_timeout:.0f}s (exit code {proc.returncode}): {tail}")
        else:
            launch_seconds.append(served)
    out: dict[str, Any] = {"available": not errors, "launch_seconds": launch_seconds, "errors": errors}
    # Start -> first loss point: what the app's Start does (classifier/webui/runner.py), read from the run folder
    # as every reader reads it (classifier.run_folder)
    from classifier.config import TrainConfig
    from classifier.run_folder import RunFolder, curves, run_status
    from classifier.runs import FINAL, new_run_dir, request_stop, write_trainer_pid

    os.environ["CLASSIFIER_HOME"] = home
    folder = RunFolder(new_run_dir("app-start", Path(home) / "runs"))
    TrainConfig(data=str(SMS), output=str(folder.path)).to_json(folder.request)  # the app's defaults on SMS
    t0 = time.perf_counter()
    with open(folder.logs, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "classifier", "train", "--config", str(folder.request),
                                 "--output", str(folder.path), "--quiet"], cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"})
    write_trainer_pid(folder.path, proc.pid)
    first_loss = first_running = None
    try:
        while time.perf_counter() - t0 < start_timeout:
            state = run_status(folder, trainer_alive=proc.poll() is None)
            if first_running is None and state.status == "running":
                first_running = time.perf_counter() - t0
            if curves(folder.read_events()).train:
                first_loss = time.perf_counter() - t0
                break
            if state.status in FINAL or proc.poll() is not None:
                break
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            request_stop(folder.path, proc.pid)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        state = run_status(folder, trainer_alive=False)
    out.update({"start_to_first_loss_seconds": first_loss, "start_to_running_seconds": first_running,
                "train_status": state.status, "train_message": state.message})
    if first_loss is None:
        out["available"] = False
        out["errors"].append(f"no loss point within {start_timeout:.0f}s: {state.status}: {state.message}")
    return out


JOBS = {
    "ours_train": job_ours_train,
    "trainer_default": job_trainer_default,
    "naive": job_naive,
    "recompute_head": job_recompute_head,
    "predict": job_predict,
    "app": job_app,
}


# ----------------------------------------------------------------------------------------------------------------
# One job in one child process
# ----------------------------------------------------------------------------------------------------------------
def _child(conn, name: str, kwargs: dict) -> None:
    os.dup2(2, 1)  # the child's prints (Trainer's log dicts, warnings) go to stderr: stdout ends with our JSON
    sys.stdout = sys.stderr
    try:
        try:
            import datasets

            datasets.disable_progress_bars()
        except Exception:  # noqa: BLE001
            pass
        result = JOBS[name](**kwargs)
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        result["peak_rss_mib"] = round(peak_kib / 1024, 1)
        import torch

        if torch.cuda.is_available() and torch.cuda.is_initialized():
            result["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
        else:
            result["peak_gpu_mib"] = None
        conn.send({"ok": True, "result": result})
    except BaseException:  # noqa: BLE001 - reported to the parent, which records it in the results
        conn.send({"ok": False, "error": traceback.format_exc()[-4000:]})
    finally:
        conn.close()


def _busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has been busy (all processes, all cores), from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_job(name: str, start_method: str = "fork", timeout: float = 3600.0, **kwargs) -> dict[str, Any]:
    """Run JOBS[name](**kwargs) in a child process; returns its dict (with `peak_rss_mib`, `peak_gpu_mib` and
    `job_wall_seconds`), or {"error": ...}."""
    import multiprocessing as mp

    ctx = mp.get_context(start_method)
    parent_conn, child_conn = ctx.Pipe(duplex=False)
    t0 = time.perf_counter()
    busy0, ours0, load0 = _busy_cpu_seconds(), _children_cpu_seconds(), os.getloadavg()[0]
    proc = ctx.Process(target=_child, args=(child_conn, name, kwargs), name=f"bench-{name}")
    proc.start()
    child_conn.close()
    message = None
    try:
        if parent_conn.poll(timeout):
            message = parent_conn.recv()
    except EOFError:
        message = None
    proc.join(timeout=60)
    if proc.is_alive():
        proc.kill()
        proc.join()
    if message is None:
        return {"error": f"job {name} gave no result (exit code {proc.exitcode}; timeout {timeout:.0f}s)",
                "job_wall_seconds": time.perf_counter() - t0}
    if not message["ok"]:
        return {"error": message["error"], "job_wall_seconds": time.perf_counter() - t0}
    result = message["result"]
    wall = time.perf_counter() - t0
    result["job_wall_seconds"] = round(wall, 2)
    busy1, ours1 = _busy_cpu_seconds(), _children_cpu_seconds()
    if busy0 is not None and busy1 is not None and wall > 0:
        # how much of the machine other processes took while this job ran (0: it had the CPU to itself; on a
        # 2-core machine 0.5 means another process kept one core busy the whole time)
        foreign = (busy1 - busy0) - (ours1 - ours0)
        result["other_processes_cpu_share"] = round(max(0.0, foreign) / (wall * (os.cpu_count() or 1)), 3)
    result["load_average_1min"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
    return result


def new_tmp(prefix: str = "bench-") -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def remove_tmp(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def round_floats(value: Any, digits: int = 5) -> Any:
    """Floats to `digits` significant digits (5e-05 stays 5e-05), recursively."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}") if math.isfinite(value) else value
    if isinstance(value, dict):
        return {k: round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [round_floats(v, digits) for v in value]
    return value
