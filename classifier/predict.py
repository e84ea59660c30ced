"""Predictor: a trained run (or any save_pretrained classifier folder) answering texts with labels.

    from classifier.predict import Predictor
    p = Predictor("runs/20261122-sms")
    p.predict(["WINNER!! Claim your prize now"])  # [Prediction(label='spam', score=0.99, probabilities={...})]

Texts longer than the run's `max_length` are truncated the way the run was trained (`head`: the first tokens are
kept; `head+tail`: the first quarter and last three quarters of the token budget). Batches are formed from texts
of similar length, so short texts are not padded to the longest one in the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .encoding import encode_texts
from .errors import RunError
from .metrics import softmax
from .runs import model_dir


@dataclass
class Prediction:
    label: str
    score: float
    probabilities: dict[str, float]


def pick_device(device: str | None = None) -> torch.device:
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Predictor:
    def __init__(self, run: str | Path, device: str | None = None, batch_size: int = 32) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        run = Path(run)
        if not run.exists():
            raise RunError(f"No run or model folder at {run}.")
        self.path = model_dir(run)
        self.run_dir = run if self.path != run else None
        settings = self._settings(self.path)
        self.device = pick_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        self.model = AutoModelForSequenceClassification.from_pretrained(self.path).to(self.device).eval()
        config = self.model.config
        self.labels = [config.id2label[i] for i in range(config.num_labels)]
        self.max_length = int(settings.get("max_length") or min(self.tokenizer.model_max_length, 512))
        self.truncation = settings.get("truncation", "head")
        self.batch_size = batch_size

    @staticmethod
    def _settings(folder: Path) -> dict:
        """max_length and truncation the model was trained with (classifier.json, written by the trainer)."""
        try:
            return json.loads((folder / "classifier.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    @torch.inference_mode()
    def predict_proba(self, texts: list[str]) -> np.ndarray:
        texts = [str(t) if t is not None else "" for t in texts]
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        encoded = encode_texts(texts, self.tokenizer, self.max_length, self.truncation)
        order = np.argsort([len(ids) for ids in encoded["input_ids"]], kind="stable")
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            idx = order[start:start + self.batch_size]
            batch = self.tokenizer.pad(
                {key: [encoded[key][i] for i in idx] for key in ("input_ids", "attention_mask")},
                return_tensors="pt",
            ).to(self.device)
            logits = self.model(**batch).logits.float().cpu().numpy()
            out[idx] = softmax(logits)
        return out

    def predict(self, texts: list[str] | str) -> list[Prediction]:
        if isinstance(texts, str):
            texts = [texts]
        probs = self.predict_proba(list(texts))
        results = []
        for row in probs:
            best = int(row.argmax())
            results.append(Prediction(label=self.labels[best], score=float(row[best]),
                                      probabilities={name: float(p) for name, p in zip(self.labels, row)}))
        return results
