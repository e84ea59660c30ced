"""What the Data tab shows about a data file, computed in a worker process with a time limit.

`analyse` is the engine's own view: `classifier.data.prepare_data` (the very split and warnings a run will get) and
`classifier.data.summarize` (token lengths in the default model's tokenizer, recommended max length).
`analyse_bounded` runs it in a child process (classifier.worker), so a hostile or huge file costs at most
CLASSIFIER_LOAD_TIMEOUT seconds and never the web server's memory. No gradio here: the child imports this module.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..backbones import default_model_for, resolve_model
from ..data import language_hint, prepare_data, read_table, summarize
from ..errors import DataError
from ..messages import say
from ..security import load_timeout, pretrained_kwargs
from ..worker import TimeLimitExceeded, call_with_time_limit

PREVIEW_ROWS = 30


@dataclass
class DataInfo:
    """What the other tabs need to know about the loaded data (kept in a gr.State)."""

    path: str
    name: str
    sample: str | None
    columns: list[str]
    text_column: str
    label_column: str
    language: str
    model: str
    rows_read: int
    rows_used: int
    class_counts: dict[str, int]
    splits: dict[str, int]
    lengths: list[int] = field(default_factory=list)
    recommended_max_length: int | None = None
    model_limit: int | None = None
    p50: int | None = None
    warnings: list[str] = field(default_factory=list)
    over_limit: int = 0  # texts longer than the model's limit (of those sampled for lengths)
    multi_label: bool = False


@functools.lru_cache(maxsize=4)
def _tokenizer(model: str):
    from ..hf import AutoConfig
    from ..modeling import load_tokenizer, model_limit_of

    path, _ = resolve_model(model)
    tokenizer = load_tokenizer(path)
    return tokenizer, model_limit_of(AutoConfig.from_pretrained(path, **pretrained_kwargs(path)), tokenizer)


def analyse(path: str | Path, text_column: str | None = None, label_column: str | None = None,
            validation_fraction: float = 0.15, test_fraction: float = 0.15, seed: int = 42,
            balance: bool = False, validation_file: str | None = None, test_file: str | None = None,
            sample: str | None = None) -> tuple[DataInfo, pd.DataFrame]:
    """The engine's view of a data file with these split settings, and its first PREVIEW_ROWS rows as read
    (raises DataError on unusable data)."""
    from ..datasources import resolve_sources

    given = str(path)
    sources = resolve_sources(given, validation_file, test_file)  # a hub name or dataset folder: its splits
    path, validation_file, test_file = sources.data, sources.validation_file, sources.test_file
    prepared = prepare_data(path, text_column, label_column, validation_file, test_file, validation_fraction,
                            test_fraction, seed, balance)
    everything = pd.concat([prepared.train, prepared.validation, prepared.test])
    texts = everything["text"].tolist()
    language = language_hint(texts)
    model = default_model_for(language)
    tokenizer, limit = _tokenizer(model)
    summary = summarize(texts, [prepared.label_names_of(v) for v in everything["label"]], tokenizer, limit)
    frame = read_table(path)
    info = DataInfo(
        path=given, name=given if sources.note else Path(path).name, sample=sample,
        columns=list(map(str, frame.columns)),
        text_column=prepared.text_column, label_column=prepared.label_column, language=language, model=model,
        rows_read=prepared.stats["rows_read"], rows_used=prepared.stats["rows_used"],
        class_counts=prepared.stats["class_counts"], splits=prepared.split_sizes(),
        lengths=summary.get("token_lengths_sample", []), recommended_max_length=summary.get("recommended_max_length"),
        model_limit=summary.get("model_limit"), p50=(summary.get("token_length") or {}).get("p50"),
        warnings=prepared.warnings + summary.get("warnings", []),
        over_limit=int(summary.get("over_limit") or 0), multi_label=prepared.multi_label,
    )
    return info, frame.head(PREVIEW_ROWS)


def analyse_bounded(path: str | Path, **settings: Any) -> tuple[DataInfo, pd.DataFrame]:
    """`analyse` in a worker process, stopped after CLASSIFIER_LOAD_TIMEOUT seconds."""
    seconds = load_timeout()
    try:
        return call_with_time_limit(analyse, str(path), seconds=seconds, **settings)
    except TimeLimitExceeded:
        raise DataError(say("read_too_slow", name=Path(path).name, seconds=seconds)) from None
