"""Data that is not a single table file: Parquet, folders written by `datasets`' `save_to_disk`, and Hugging Face
hub data sets (`hub:NAME[:CONFIG][:SPLIT]`).

A Parquet file is read like any table (`read_parquet`). A data set with splits (a `DatasetDict` folder, or a hub
data set) is written once as one Parquet file per split under `$CLASSIFIER_CACHE/datasets/<name>/`, and its
splits are used as given: `train` is the training data, `validation` (or `dev`, `valid`) the validation file, and
`test` the test file, unless the user named those files himself. So everything downstream (reading, columns,
cleaning, the run's data fingerprints, resume) sees ordinary files.

Integer labels with a `ClassLabel` feature keep their names (`0` -> `negative`), as do `Sequence(ClassLabel)`
multi-label columns. Offline, a hub name fails at once with a message that says how to use a local file instead.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError
from .messages import say

HUB_PREFIX = "hub:"
VALIDATION_NAMES = ("validation", "valid", "dev", "val")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Sources:
    data: str
    validation_file: str | None
    test_file: str | None
    note: str | None = None  # one line for the log: where the splits came from


def is_dataset_folder(path: Path) -> bool:
    """A folder written by `Dataset.save_to_disk` or `DatasetDict.save_to_disk`."""
    return path.is_dir() and any((path / name).is_file() for name in ("dataset_dict.json", "state.json"))


def cache_dir() -> Path:
    from .bundled.cache import default_cache_dir

    return default_cache_dir() / "datasets"


def resolve_sources(data: str, validation_file: str | None = None, test_file: str | None = None) -> Sources:
    """Files for `data` (and its validation/test splits where the source has them and none were given)."""
    text = str(data)
    if text.startswith(HUB_PREFIX):
        splits, label = load_hub(text[len(HUB_PREFIX):])
    elif is_dataset_folder(Path(text)):
        splits, label = load_folder(Path(text)), Path(text).name
    else:
        return Sources(text, validation_file, test_file)
    folder = cache_dir() / _SAFE.sub("_", label).strip("_")[:80]
    files = {name: str(write_split(dataset, folder / f"{name}.parquet")) for name, dataset in splits.items()}
    train_name = "train" if "train" in files else next(iter(files))
    validation = next((files[n] for n in VALIDATION_NAMES if n in files), None)
    test = files.get("test")
    used_validation = say("data_splits_validation", name=Path(validation).stem) if validation and \
        not validation_file else say("empty")
    used_test = say("data_splits_test") if test and not test_file else say("empty")
    return Sources(files[train_name], validation_file or validation, test_file or test,
                   note=say("data_splits_note", source=label, train=train_name, validation=used_validation,
                            test=used_test))


def load_folder(path: Path) -> dict:
    from datasets import Dataset, DatasetDict, load_from_disk

    try:
        loaded = load_from_disk(str(path))
    except Exception as exc:  # a damaged or foreign folder
        raise DataError(say("hub_folder_unreadable", name=path.name, reason=str(exc)[:200])) from None
    if isinstance(loaded, Dataset):
        return {"train": loaded}
    if isinstance(loaded, DatasetDict) and len(loaded):
        return dict(loaded)
    raise DataError(say("hub_folder_no_split", name=path.name))


def load_hub(spec: str) -> tuple[dict, str]:
    """`NAME[:CONFIG][:SPLIT]` -> {split: Dataset}; a clear DataError when the hub cannot be reached."""
    parts = [p.strip() for p in spec.split(":")]
    if not parts[0] or len(parts) > 3:
        raise DataError(say("hub_bad_name", spec=spec))
    name, config, split = parts[0], (parts[1] or None) if len(parts) > 1 else None, \
        (parts[2] or None) if len(parts) > 2 else None
    offline_hint = say("hub_offline_hint", name=name)
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes") or \
            os.environ.get("HF_DATASETS_OFFLINE", "").lower() in ("1", "true", "yes"):
        raise DataError(say("hub_offline", name=name, hint=offline_hint))
    from datasets import DatasetDict, load_dataset

    try:
        loaded = load_dataset(name, config, split=split)
    except Exception as exc:  # no network, unknown name, gated repository, missing config
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DataError(say("hub_fetch_failed", name=name, reason=reason, hint=offline_hint)) from None
    splits = dict(loaded) if isinstance(loaded, DatasetDict) else {split or "train": loaded}
    digest = hashlib.sha256(spec.encode()).hexdigest()[:8]
    return splits, f"hub-{name}-{config or 'default'}-{digest}"


def write_split(dataset, target: Path) -> Path:
    """One split as Parquet, with ClassLabel ids turned into their names."""
    from datasets import ClassLabel, Sequence

    target.parent.mkdir(parents=True, exist_ok=True)
    frame = dataset.to_pandas()
    for column, feature in dataset.features.items():
        if isinstance(feature, ClassLabel):
            frame[column] = [feature.int2str(int(v)) if v is not None and int(v) >= 0 else None for v in frame[column]]
        elif isinstance(feature, Sequence) and isinstance(feature.feature, ClassLabel):
            names = feature.feature
            frame[column] = [[names.int2str(int(v)) for v in row] if row is not None else None
                             for row in frame[column]]
    tmp = target.with_name(f".{target.name}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, target)
    return target


def read_parquet(path: Path, max_rows: int, max_bytes: int):
    """A Parquet file as a DataFrame, after checking from its footer that it is not a decompression bomb."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:
        raise DataError(say("parquet_unreadable", name=path.name, reason=str(exc)[:200])) from None
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if meta.num_rows > max_rows or size > max_bytes:
        raise DataError(say("parquet_too_big", name=path.name, rows=meta.num_rows, mb=size / 2**20, max_rows=max_rows,
                            max_mb=max_bytes / 2**20))
    if meta.num_columns > 1000:
        raise DataError(say("parquet_too_many_columns", name=path.name, count=meta.num_columns))
    frame = pq.read_table(path).to_pandas()
    for column in frame.columns:  # lists (multi-label) stay lists; everything else becomes text like other files
        if frame[column].map(lambda v: isinstance(v, (list, tuple)) or hasattr(v, "tolist")).any():
            frame[column] = frame[column].map(lambda v: list(v.tolist() if hasattr(v, "tolist") else v)
                                              if v is not None else None)
        else:
            frame[column] = frame[column].map(lambda v: None if v is None or v != v else str(v))  # NaN != NaN
    return frame
