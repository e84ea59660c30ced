"""Using a trained run on new files: score it on a labelled file, label a file of texts, inspect a data file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .data import (
    decode_bytes,
    detect_columns,
    read_table,
    resolve_label_layout,
    summarize,
)
from .errors import DataError
from .messages import say
from .predict import Predictor
from .runs import atomic_write_text, resolve_run_dir
from .security import check_texts, spreadsheet_safe
from .stream_limits import clip_texts
from .task import task_for


def evaluate_file(run: str | Path, data: str | Path, text_column: str | None = None,
                  label_column: str | None = None, ensemble: bool = True) -> dict[str, Any]:
    """Metrics of what the run answers on a labelled file (`ensemble=False`: the fine-tuned model alone, without
    the TF-IDF mix its validation may have chosen). Rows whose label the model does not know are left out
    (multi-label: such labels are left out of their rows), and counted in the warnings."""
    predictor = Predictor(resolve_run_dir(run), ensemble=ensemble)
    task = predictor.task
    frame = read_table(data)
    warnings: list[str] = []
    name = Path(data).name
    _, text_col, label_cols = resolve_label_layout(frame, text_column, label_column, None,
                                                   task.layout, "|", name, warnings)
    cleaned = task.clean(frame, text_col, label_cols, "|", name, warnings)
    if cleaned.empty:
        raise DataError(say("eval_no_rows_multi", name=name))
    cleaned, unknown, affected = task.keep_known(cleaned, predictor.labels)
    if unknown:
        warnings.append(say(task.eval_unknown_key, n=affected,
                            labels=", ".join(map(repr, unknown[:10]))))
    if cleaned.empty:
        raise DataError(say("eval_no_known_label", name=name, labels=", ".join(predictor.labels)))
    label2id = {label: i for i, label in enumerate(predictor.labels)}
    gold = task.targets(task.to_ids(cleaned["label_name"], label2id), len(predictor.labels))
    probs = predictor.predict_proba(cleaned["text"].tolist())
    result = task.score(gold, predictor.decisions(probs), predictor.labels)
    task.add_evaluation_details(result, predictor.labels, predictor.thresholds)
    result["warnings"] = warnings
    result["data"] = str(data)
    result["decision"] = predictor.decision
    return result


def predict_file(run: str | Path, data: str | Path, output: str | Path, text_column: str | None = None,
                 batch_size: int = 32, int8: bool = False, bounded: bool = False) -> int:
    """Label every text of a file; writes a CSV with the text, the label, its probability and every class's (safe to
    open in a spreadsheet: no cell starts a formula). `bounded` (the web app): refuse a file over the limits of
    security.check_texts before loading the model; else a text over CLASSIFIER_MAX_TEXT_CHARS is cut to that many
    characters and a warning logged (stream_limits.py; the same rows as the streamed `predict --input`)."""
    texts = read_texts(data, text_column)
    if bounded:
        check_texts(texts, Path(data).name)
    texts, long_texts = clip_texts(texts)  # over CLASSIFIER_MAX_TEXT_CHARS: cut, as `predict --input` does
    if long_texts.count:
        logging.getLogger(__name__).warning("%s", long_texts.message(str(output)))
    predictor = Predictor(resolve_run_dir(run), batch_size=batch_size, int8=int8)
    probs = predictor.predict_proba(texts)
    return write_prediction_table(Path(output), texts, {"label": predicted_labels(predictor, probs)}, probs,
                                  predictor.labels)


def label_names(predicted: np.ndarray, names: list[str]) -> list[str]:
    """Label ids (one per text) or rows of 0/1 per label (multi-label: the names joined by "|") as names."""
    if predicted.ndim == 2:
        return ["|".join(names[j] for j in np.flatnonzero(row)) for row in predicted]
    return [names[i] for i in predicted]


def write_prediction_table(path: Path, texts: list[str], labels: dict[str, list[str]], probs: np.ndarray,
                           names: list[str], extra: dict[str, Any] | None = None) -> int:
    """A CSV of predictions, written atomically and safe to open in a spreadsheet (no cell starts a formula):
    text, the `labels` columns, confidence (the highest probability), the `extra` columns, then p_<label> for every
    label. RUN/predictions.csv (the test step) and `predict_file` are written here. Returns the rows written."""
    table = prediction_frame(texts, labels, probs, names, extra)
    atomic_write_text(path, table.to_csv(index=False))
    return len(table)


def prediction_frame(texts: list[str], labels: dict[str, list[str]], probs: np.ndarray, names: list[str],
                     extra: dict[str, Any] | None = None) -> pd.DataFrame:
    """The rows of a predictions CSV (see write_prediction_table), spreadsheet-safe; `stream_predict` writes them
    chunk by chunk, so a streamed file and a whole one are the same bytes."""
    table = pd.DataFrame({"text": texts, **labels, "confidence": probs.max(-1).round(6), **(extra or {})})
    for i, name in enumerate(names):
        table[f"p_{name}"] = probs[:, i].round(6)
    return spreadsheet_safe(table)


def predicted_labels(predictor: Predictor, probs: np.ndarray) -> list[str]:
    """What the run answers per text: its label, or a multi-label run's labels over their thresholds joined by |."""
    return label_names(predictor.decisions(probs), predictor.labels)


def read_texts(data: str | Path, text_column: str | None = None) -> list[str]:
    """Texts of a file: a table's text column, or one text per line of a plain .txt file."""
    path = Path(data)
    if not path.exists():
        raise DataError(say("read_no_such_file", path=str(path)))
    if path.suffix.lower() == ".txt" and text_column is None:
        text, _ = decode_bytes(path.read_bytes(), path.name)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines and not any("\t" in line for line in lines[:50]):
            return lines  # a plain list of texts, commas and all
    try:
        frame = read_table(path)
    except DataError as exc:
        if "single column" not in str(exc):
            raise
        # one column: texts, perhaps under a header such as "text"
        import csv
        import io

        from .data import TEXT_NAMES

        text, _ = decode_bytes(path.read_bytes(), path.name)
        rows = [row[0].strip() for row in csv.reader(io.StringIO(text)) if row and row[0].strip()]
        if rows and rows[0].lower() in TEXT_NAMES:
            rows = rows[1:]
        return rows
    if text_column is None:
        if len(frame.columns) == 1:
            text_column = frame.columns[0]
        else:
            text_column, _ = detect_columns(frame)
    if text_column not in frame.columns:
        raise DataError(say("stream_no_column", column=text_column, columns=", ".join(map(str, frame.columns))))
    texts = frame[text_column].fillna("").astype(str).str.strip()
    texts = texts[texts != ""].tolist()
    if not texts:
        raise DataError(say("stream_no_texts", name=path.name))
    return texts


def inspect_file(data: str | Path, text_column: str | None = None, label_column: str | None = None,
                 model: str = "auto") -> dict[str, Any]:
    """What the engine makes of a file before training: columns, counts, lengths, the model it would pick."""
    from .backbones import default_model_for, resolve_model
    from .data import language_hint
    from .modeling import load_tokenizer, model_limit_of

    frame = read_table(data)
    warnings: list[str] = []
    name = Path(data).name
    multi, text_col, label_cols = resolve_label_layout(frame, text_column, label_column, None, "auto", "|", name,
                                                       warnings)
    label_col = ", ".join(label_cols)
    task = task_for(multi)
    cleaned = task.clean(frame, text_col, label_cols, "|", name, warnings)
    labels = task.label_occurrences(cleaned["label_name"])  # multi-label: each label once per text carrying it
    model = default_model_for(language_hint(cleaned["text"].tolist())) if model == "auto" else model
    path, _ = resolve_model(model)
    tokenizer = load_tokenizer(path)
    from .hf import AutoConfig
    from .security import pretrained_kwargs

    limit = model_limit_of(AutoConfig.from_pretrained(path, **pretrained_kwargs(path)), tokenizer)
    summary = summarize(cleaned["text"].tolist(), labels, tokenizer, limit)
    summary["multi_label"] = multi
    summary.pop("token_lengths_sample", None)
    warnings += summary.pop("warnings", [])
    return {"columns": list(map(str, frame.columns)), "text_column": text_col, "label_column": label_col,
            "model": model, "warnings": warnings, **summary}
