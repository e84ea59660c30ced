import json

import pytest

from classifier.config import TrainConfig
from classifier.errors import ConfigError


def test_round_trip_through_json(tmp_path):
    config = TrainConfig(data="x.csv", epochs=2.5, model="all-MiniLM-L6-v2", extra={"note": "中文"})
    path = tmp_path / "c.json"
    config.to_json(path)
    assert TrainConfig.from_json(path) == config


@pytest.mark.parametrize("changes,message", [
    ({"strategy": "lora-x"}, "strategy"),
    ({"epochs": 0}, "epochs"),
    ({"validation_fraction": 0.5, "test_fraction": 0.45}, "add up"),
    ({"balance": True, "class_weights": "balanced"}, "either balancing"),
    ({"max_length": 4}, "max_length"),
    ({"data": ""}, "No training data"),
])
def test_bad_settings_name_the_setting(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(data="x.csv").replace(**changes).validate()


def test_unknown_keys_in_a_config_file(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"data": "x.csv", "epoch": 3}')
    with pytest.raises(ConfigError, match="Unknown setting.*epoch"):
        TrainConfig.from_json(path)


# ---------------------------------------------------------------------------------------------------------------
# One declaration per setting: the CLI, the checks and the web form's types come from it (#15.1, #17.10)
# ---------------------------------------------------------------------------------------------------------------
def _train_help() -> str:
    from classifier.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices["train"].format_help()


def test_every_setting_has_a_cli_flag_and_help():
    from classifier.cli import build_parser
    from classifier.config import settings

    parser = build_parser()
    train = next(a for a in parser._actions if a.dest == "command").choices["train"]
    flags = {action.dest: action for action in train._actions}
    for spec in settings():
        assert spec.metadata["help"].strip(), f"{spec.name} has no help text"
        if spec.name == "extra":  # free-form notes of the web app and the Python API, not a flag
            assert spec.metadata["cli"] is False
            continue
        assert spec.name in flags, f"{spec.name} has no CLI flag"
        assert flags[spec.name].help, f"{spec.name}'s flag has no help"
        if spec.metadata.get("choices"):
            assert tuple(flags[spec.name].choices) == tuple(spec.metadata["choices"])
    # the ones that had no flag before
    for flag in ("--freeze-embeddings", "--eval-batch-size", "--max-grad-norm", "--logging-steps", "--name"):
        assert flag in _train_help()


def test_flags_reach_the_config(tmp_path):
    from classifier.cli import _train_config, build_parser

    args = build_parser().parse_args([
        "train", "--data", "x.csv", "--validation", "v.csv", "--no-checkpoints", "--balance", "--no-ensemble",
        "--label-columns", "a, b,", "--max-grad-norm", "0.5", "--freeze-embeddings", "no", "--epochs", "2",
    ])
    config = _train_config(args)
    assert config.validation_file == "v.csv" and config.save_checkpoints is False and config.balance is True
    assert config.ensemble is False and config.label_columns == ["a", "b"] and config.max_grad_norm == 0.5
    assert config.freeze_embeddings == "no" and config.epochs == 2.0
    untouched = _train_config(build_parser().parse_args(["train", "--data", "x.csv"]))
    assert untouched == TrainConfig(data="x.csv")


@pytest.mark.parametrize("values,field", [
    ({"epochs": "three"}, "epochs"),
    ({"batch_size": "16"}, "batch_size"),
    ({"data": 5}, "data"),
    ({"max_length": 64.5}, "max_length"),
    ({"validation_fraction": None}, "validation_fraction"),
    ({"balance": "no"}, "balance"),       # was accepted and turned balancing on
    ({"epochs": 1e9}, "epochs"),          # planned 13e9 steps
    ({"seed": -1}, "seed"),
    ({"label_columns": [1, 2]}, "label_columns"),
    ({"name": "../elsewhere"}, "name"),
])
def test_config_values_of_the_wrong_type_or_range_exit_2_naming_the_setting(tmp_path, capsys, values, field):
    from classifier.cli import main

    path = tmp_path / "c.json"
    path.write_text(json.dumps({"data": "x.csv", **values}), encoding="utf-8")
    assert main(["train", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"'{field}'" in err and "bug" not in err


def test_nan_in_a_config_file_exits_2(tmp_path, capsys):
    from classifier.cli import main

    path = tmp_path / "c.json"
    path.write_text('{"data": "x.csv", "learning_rate": NaN}', encoding="utf-8")  # Python's json reads NaN
    assert main(["train", "--config", str(path)]) == 2
    assert "'learning_rate'" in capsys.readouterr().err


def test_a_whole_float_in_json_is_an_int(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"data": "x.csv", "max_length": 64.0, "label_columns": "a,b"}', encoding="utf-8")
    config = TrainConfig.from_json(path).validate()
    assert config.max_length == 64 and isinstance(config.max_length, int) and config.label_columns == ["a", "b"]


def test_a_config_file_that_is_not_utf8_exits_2(tmp_path, capsys):
    from classifier.cli import main

    path = tmp_path / "c.json"
    path.write_bytes('{"data": "数据.csv"}'.encode("gb18030"))
    assert main(["train", "--config", str(path)]) == 2
    assert "UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize("argv,needle", [
    (["train", "--data", "x.csv", "--epochs", "nan"], "'epochs'"),
    (["train", "--data", "x.csv", "--learning-rate", "inf"], "'learning_rate'"),
    (["train", "--data", "x.csv", "--epochs", "1e9"], "'epochs'"),
    (["train", "--data", "x.csv", "--warmup-ratio", "-0.1"], "'warmup_ratio'"),
])
def test_bad_flag_values_exit_2(capsys, argv, needle):
    from classifier.cli import main

    assert main(argv) == 2
    assert needle in capsys.readouterr().err


@pytest.mark.parametrize("size", ["0", "-1"])
def test_predict_batch_size_must_be_positive(capsys, size):
    from classifier.cli import main

    with pytest.raises(SystemExit) as exit_info:  # argparse refuses it before anything loads
        main(["predict", "--run", "whatever", "--batch-size", size, "hello"])
    assert exit_info.value.code == 2
    assert "1 or more" in capsys.readouterr().err


def test_stop_on_a_finished_run_is_refused(tmp_path, capsys, monkeypatch):
    from classifier.cli import main
    from classifier.runs import STOP_FILE, runs_root

    run = runs_root() / "done"
    run.mkdir(parents=True)
    (run / "events.jsonl").write_text(json.dumps({"time": 0, "type": "status", "status": "finished",
                                                  "message": "", "pid": 1}) + "\n", encoding="utf-8")
    assert main(["stop", "--run", "done"]) == 2
    assert "not training" in capsys.readouterr().err
    assert not (run / STOP_FILE).exists()


def test_name_names_the_run_folder(monkeypatch):
    import classifier.training as training
    import classifier.training.run as training_run

    seen = {}

    def fake_train(config, run_dir, *args, **kwargs):
        seen["run_dir"] = run_dir
        return "done"

    monkeypatch.setattr(training_run, "_train", fake_train)
    assert training.train(TrainConfig(data="x.csv", name="spam-v2"), progress=False) == "done"
    assert seen["run_dir"].name.endswith("-spam-v2")


def test_events_never_hold_nan(tmp_path):
    from classifier.events import EventWriter, read_events

    writer = EventWriter(tmp_path / "events.jsonl")
    writer.write("log", loss=float("nan"), grad_norm=float("inf"), nested={"x": [1.0, float("-inf")]})
    line = (tmp_path / "events.jsonl").read_text(encoding="utf-8")
    assert "NaN" not in line and "Infinity" not in line
    json.loads(line, parse_constant=lambda name: pytest.fail(f"{name} in events.jsonl"))
    event = read_events(tmp_path / "events.jsonl")[-1]
    assert event["loss"] is None and event["nested"] == {"x": [1.0, None]}
