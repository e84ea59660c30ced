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
