"""Parquet files, `datasets` save_to_disk folders and hub names as training data (issue 12, item 4)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from classifier.config import TrainConfig
from classifier.data import prepare_data, read_table
from classifier.errors import DataError

from .conftest import SMS
from .test_engine import cli


def _sms_frame(n: int) -> pd.DataFrame:
    rows = [line.split("\t", 1) for line in SMS.read_text(encoding="utf-8").splitlines()[1:n + 1]]
    return pd.DataFrame({"sms": [r[1] for r in rows], "category": [r[0] for r in rows]})


def test_a_parquet_file_reads_like_a_table_and_trains(tmp_path):
    from classifier.predict import Predictor
    from classifier.training import train

    frame = _sms_frame(600)
    frame.to_parquet(tmp_path / "sms.parquet", index=False)
    read = read_table(tmp_path / "sms.parquet")
    assert list(read.columns) == ["sms", "category"] and read["category"].tolist() == frame["category"].tolist()
    result = train(TrainConfig(data=str(tmp_path / "sms.parquet"), max_train_samples=200, epochs=1, baseline=False,
                               output=str(tmp_path / "run")), progress=False)
    assert result.status == "finished" and result.metrics["labels"] == ["ham", "spam"]
    assert Predictor(result.run_dir).predict(["ok see you later"])[0].label in ("ham", "spam")


def test_a_parquet_bomb_is_refused_from_its_footer(tmp_path, monkeypatch):
    pd.DataFrame({"text": ["x" * 10] * 5000, "label": ["a", "b"] * 2500}).to_parquet(tmp_path / "big.parquet")
    monkeypatch.setenv("CLASSIFIER_MAX_UPLOAD_MB", "0.1")  # 500 rows allowed
    with pytest.raises(DataError, match="5,000 rows.*at most 500 rows"):
        read_table(tmp_path / "big.parquet")


def test_a_save_to_disk_folder_keeps_its_splits_and_label_names(tmp_path, monkeypatch):
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    monkeypatch.setenv("CLASSIFIER_CACHE", str(tmp_path / "cache"))
    frame = _sms_frame(900)
    features = Features({"text": Value("string"), "label": ClassLabel(names=["ham", "spam"])})

    def part(rows: pd.DataFrame) -> Dataset:
        return Dataset.from_dict({"text": rows["sms"].tolist(),
                                  "label": [0 if c == "ham" else 1 for c in rows["category"]]}, features=features)

    DatasetDict({"train": part(frame[:600]), "validation": part(frame[600:750]),
                 "test": part(frame[750:])}).save_to_disk(str(tmp_path / "sms_dataset"))
    data = prepare_data(tmp_path / "sms_dataset")  # read_table takes the training split
    assert data.labels.names == ["ham", "spam"]  # the ClassLabel names, not 0 and 1
    result = cli("train", "--data", str(tmp_path / "sms_dataset"), "--max-train-samples", "150", "--epochs", "1",
                 "--no-baseline", "--quiet", "--output", str(tmp_path / "run"),
                 env={"CLASSIFIER_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr[-2000:]
    sizes = json.loads((tmp_path / "run" / "data.json").read_text(encoding="utf-8"))["splits"]
    used = json.loads((tmp_path / "run" / "config.json").read_text(encoding="utf-8"))
    assert used["validation_file"].endswith("validation.parquet") and used["test_file"].endswith("test.parquet")
    assert used["extra"]["data_source"] == str(tmp_path / "sms_dataset")
    assert sizes["test"] == len({t for t in frame["sms"][750:]})  # the given test split, whole (deduplicated)
    events = (tmp_path / "run" / "events.jsonl").read_text(encoding="utf-8")
    assert "splits used as given" in events


def test_a_hub_name_offline_fails_at_once_with_what_to_do(tmp_path):
    result = cli("train", "--data", "hub:imdb", "--output", str(tmp_path / "run"), env={"HF_HUB_OFFLINE": "1"},
                 timeout=120)
    assert result.returncode == 2, (result.returncode, result.stderr[-1000:])
    assert "hub data set 'imdb' cannot be fetched" in result.stderr and "save_to_disk" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_data_tab_reads_a_hub_name_in_its_worker_and_offline_says_what_to_do(monkeypatch):
    from classifier.webui.analysis import analyse_bounded
    from classifier.webui.data_tab import HUB_NAME

    assert HUB_NAME.fullmatch("stanfordnlp/imdb") and HUB_NAME.fullmatch("glue:sst2:train")
    assert not any(HUB_NAME.fullmatch(n) for n in ("../etc", "a/b/c", "<img src=x>", "x y"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError, match="hub data set 'imdb' cannot be fetched.*offline"):
        analyse_bounded("hub:imdb")
