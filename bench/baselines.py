"""The baselines the engine is measured against. They live here, not in the product.

- `naive_train`: the recipe of common tutorials (the Hugging Face course's "A full training" loop): a hand-written
  PyTorch loop, batch 8, AdamW 5e-5, linear schedule, every batch tokenized inside the loop and padded to
  max_length=512, fp32.
- `trainer_default_train`: `transformers.Trainer` with `DataCollatorWithPadding` and default `TrainingArguments`
  (only the output folder, the number of epochs and the quiet switches are set; see the function).
- `recompute_head_train`: the `head` strategy done the obvious way: backbone frozen, but its forward pass
  recomputed for every batch of every epoch (and for every validation pass), only the head trained.
- `pipeline_classifier`: `transformers.pipeline("text-classification")` on a saved run.

Every function takes plain lists (texts, integer labels) and returns a dict of timings and, where it trains to the
end, test predictions; none of them reads the engine's run folder.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _load_classifier(model_path, labels: list[str]):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForSequenceClassification.from_pretrained(
        model_path, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)}, ignore_mismatched_sizes=True)
    return tokenizer, model


# ----------------------------------------------------------------------------------------------------------------
# naive: the tutorial loop
# ----------------------------------------------------------------------------------------------------------------
def naive_train(train_texts: list[str], train_labels: list[int], labels: list[str], model_path, *,
                epochs: float = 1.0, batch_size: int = 8, learning_rate: float = 5e-5, max_length: int = 512,
                measure_batches: int | None = None, seed: int = 42,
                test_texts: list[str] | None = None) -> dict[str, Any]:
    """Train as the tutorials do. With `measure_batches`, stop after one warm-up batch plus that many batches and
    extrapolate the epoch time from their mean (every batch has the same shape, batch x 512, so the cost per batch
    is flat); otherwise run every epoch to the end and predict `test_texts`."""
    from transformers import get_scheduler, set_seed

    set_seed(seed)
    device = _device()
    tokenizer, model = _load_classifier(model_path, labels)
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    n_batches = math.ceil(len(train_texts) / batch_size)
    total_steps = max(1, math.ceil(n_batches * epochs))
    scheduler = get_scheduler("linear", optimizer=optimizer, num_warmup_steps=0, num_training_steps=total_steps)
    order = list(range(len(train_texts)))
    rng = random.Random(seed)
    batch_times: list[float] = []
    step = 0
    model.train()
    start = time.perf_counter()
    done = False
    for _epoch in range(math.ceil(epochs)):
        rng.shuffle(order)
        for b in range(n_batches):
            idx = order[b * batch_size:(b + 1) * batch_size]
            t0 = time.perf_counter()
            batch = tokenizer([train_texts[i] for i in idx], padding="max_length", truncation=True,
                              max_length=max_length, return_tensors="pt").to(device)
            targets = torch.tensor([train_labels[i] for i in idx], device=device)
            outputs = model(**batch, labels=targets)
            outputs.loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            _sync()
            batch_times.append(time.perf_counter() - t0)
            step += 1
            if measure_batches is not None and step >= measure_batches + 1:
                done = True
                break
            if step >= total_steps:
                done = True
                break
        if done:
            break
    wall = time.perf_counter() - start
    samples_total = len(train_texts) * epochs
    if measure_batches is not None and step < total_steps:
        steady = batch_times[1:] or batch_times
        per_batch = float(np.mean(steady))
        seconds = per_batch * total_steps
        result = {"extrapolated": True, "measured_batches": len(steady), "warmup_batches_excluded": 1,
                  "seconds_per_batch": per_batch, "measured_wall_seconds": wall}
    else:
        seconds = wall
        result = {"extrapolated": False, "measured_batches": len(batch_times)}
    result.update({"train_seconds": seconds, "samples_per_second": samples_total / seconds,
                   "batch_size": batch_size, "learning_rate": learning_rate, "max_length": max_length,
                   "steps": total_steps})
    if test_texts is not None and not result["extrapolated"]:
        model.eval()
        predicted = []
        with torch.no_grad():
            for s in range(0, len(test_texts), batch_size):
                batch = tokenizer(test_texts[s:s + batch_size], padding="max_length", truncation=True,
                                  max_length=max_length, return_tensors="pt").to(device)
                predicted.extend(model(**batch).logits.argmax(-1).tolist())
        result["test_predictions"] = predicted
    return result


# ----------------------------------------------------------------------------------------------------------------
# trainer default
# ----------------------------------------------------------------------------------------------------------------
def trainer_default_train(train_texts: list[str], train_labels: list[int], labels: list[str], model_path, *,
                          epochs: float = 1.0, seed: int = 42, test_texts: list[str] | None = None
                          ) -> dict[str, Any]:
    """HF Trainer + DataCollatorWithPadding, tokenized beforehand with `truncation=True` (the model's limit).

    TrainingArguments are the defaults (batch 8, lr 5e-5, linear schedule, no warm-up, fp32 unless asked, random
    batches, no evaluation) except: `num_train_epochs` (the same as the engine's), `save_strategy="no"` and
    `report_to="none"`, `disable_tqdm=True` (no checkpoint writes, no logging integration, no bar: each only
    saves the baseline time)."""
    from datasets import Dataset
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments, set_seed

    set_seed(seed)
    tokenizer, model = _load_classifier(model_path, labels)

    def tokenize(batch):
        return tokenizer(batch["text"], truncation=True)

    train_set = Dataset.from_dict({"text": list(train_texts), "label": list(train_labels)}).map(
        tokenize, batched=True)
    with tempfile.TemporaryDirectory(prefix="bench-trainer-") as out:
        args = TrainingArguments(output_dir=out, num_train_epochs=epochs, seed=seed, save_strategy="no",
                                 report_to="none", disable_tqdm=True)
        trainer = Trainer(model=model, args=args, train_dataset=train_set, processing_class=tokenizer,
                          data_collator=DataCollatorWithPadding(tokenizer))
        _sync()
        t0 = time.perf_counter()
        output = trainer.train()
        _sync()
        seconds = time.perf_counter() - t0
        result: dict[str, Any] = {
            "train_seconds": seconds, "samples_per_second": len(train_texts) * epochs / seconds,
            "trainer_samples_per_second": float(output.metrics.get("train_samples_per_second", 0.0)),
            "batch_size": args.per_device_train_batch_size, "learning_rate": args.learning_rate,
            "steps": trainer.state.global_step, "extrapolated": False,
        }
        if test_texts is not None:
            test_set = Dataset.from_dict({"text": list(test_texts)}).map(tokenize, batched=True)
            t0 = time.perf_counter()
            logits = trainer.predict(test_set).predictions
            logits = logits[0] if isinstance(logits, tuple) else logits
            result["test_seconds"] = time.perf_counter() - t0
            result["test_predictions"] = np.asarray(logits).argmax(-1).tolist()
    return result


# ----------------------------------------------------------------------------------------------------------------
# head strategy, recomputing the frozen backbone every epoch
# ----------------------------------------------------------------------------------------------------------------
def recompute_head_train(train_texts: list[str], train_labels: list[int], val_texts: list[str],
                         val_labels: list[int], labels: list[str], model_path, *, max_length: int,
                         truncation: str = "head", epochs: int = 10, measure_epochs: int | None = None,
                         batch_size: int = 16, eval_batch_size: int = 64, learning_rate: float = 2e-3,
                         weight_decay: float = 0.01, warmup_ratio: float = 0.06, evals_per_epoch: int = 2,
                         seed: int = 42) -> dict[str, Any]:
    """The same job as the engine's `head` strategy (same model, tokenization, max_length, batch size, learning
    rate, schedule, number of validations), except that the frozen backbone runs again for every batch of every
    epoch and for every validation pass instead of once. Texts are tokenized once, up front (not counted), and
    validation batches are sorted by length (the cheapest order), so the baseline only pays for the recompute.

    With `measure_epochs` < `epochs`, that many epochs are run and timed and the time is scaled to `epochs` (every
    epoch does exactly the same work). `validate=False` timings (training passes only) are reported too."""
    from transformers import get_scheduler, set_seed

    from classifier.encoding import encode_texts
    from classifier.modeling import apply_strategy, load_model

    set_seed(seed)
    device = _device()
    loaded = load_model(model_path, dict(enumerate(labels)))
    tokenizer, model = loaded.tokenizer, loaded.model
    apply_strategy(loaded, "head")
    model.to(device).eval()  # frozen backbone: dropout off, as when the features are computed once
    train_enc = encode_texts(train_texts, tokenizer, max_length, truncation)
    val_enc = encode_texts(val_texts, tokenizer, max_length, truncation)
    head_params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(head_params, lr=learning_rate, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(train_texts) / batch_size)
    total_steps = steps_per_epoch * epochs
    scheduler = get_scheduler("linear", optimizer=optimizer, num_warmup_steps=int(warmup_ratio * total_steps),
                              num_training_steps=total_steps)
    eval_every = max(1, steps_per_epoch // evals_per_epoch)
    val_order = np.argsort([len(ids) for ids in val_enc["input_ids"]], kind="stable")

    def batch_of(enc, idx):
        return tokenizer.pad({k: [enc[k][i] for i in idx] for k in ("input_ids", "attention_mask")},
                             return_tensors="pt").to(device)

    def validate() -> float:
        correct = 0
        with torch.inference_mode():
            for s in range(0, len(val_order), eval_batch_size):
                idx = val_order[s:s + eval_batch_size]
                pred = model(**batch_of(val_enc, idx)).logits.argmax(-1).cpu().numpy()
                correct += int((pred == np.asarray(val_labels)[idx]).sum())
        return correct / max(len(val_order), 1)

    run_epochs = min(epochs, measure_epochs or epochs)
    rng = np.random.default_rng(seed)
    train_time = val_time = 0.0
    val_accuracy = None
    step = 0
    for _epoch in range(run_epochs):
        order = rng.permutation(len(train_texts))
        for s in range(steps_per_epoch):
            idx = order[s * batch_size:(s + 1) * batch_size]
            t0 = time.perf_counter()
            logits = model(**batch_of(train_enc, idx)).logits  # backbone recomputed, only the head tracks grads
            loss = F.cross_entropy(logits.float(), torch.as_tensor(np.asarray(train_labels)[idx], device=device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(head_params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            _sync()
            train_time += time.perf_counter() - t0
            step += 1
            if step % eval_every == 0:
                t0 = time.perf_counter()
                val_accuracy = validate()
                val_time += time.perf_counter() - t0
    scale = epochs / run_epochs
    return {
        "epochs": epochs, "measured_epochs": run_epochs, "extrapolated": run_epochs < epochs,
        "train_pass_seconds": train_time * scale, "validation_seconds": val_time * scale,
        "seconds": (train_time + val_time) * scale, "measured_seconds": train_time + val_time,
        "validations": (steps_per_epoch // eval_every) * epochs, "last_validation_accuracy": val_accuracy,
        "batch_size": batch_size, "learning_rate": learning_rate, "max_length": max_length,
    }


# ----------------------------------------------------------------------------------------------------------------
# pipeline
# ----------------------------------------------------------------------------------------------------------------
def pipeline_classifier(model_dir):
    from transformers import pipeline

    return pipeline("text-classification", model=str(model_dir), device=0 if torch.cuda.is_available() else -1)


def pipeline_labels(pipe, texts: list[str], batch_size: int) -> list[str]:
    return [out["label"] for out in pipe(list(texts), batch_size=batch_size, truncation=True)]
