"""`--refit` (issue 11): after validation has chosen, a second pass on train + validation answers; the test split
stays unseen and what validation chose for the first model is kept."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from classifier.training.refit import refit_plan

from .conftest import SMS


def test_refit_plan_keeps_the_epochs_and_stops_at_the_best_checkpoints_epoch():
    # first pass: 1,400 texts, batch 16 -> 88 steps an epoch, 6 epochs; best at step 440 = epoch 5
    plan = refit_plan(best_step=440, first_steps_per_epoch=88, epochs=6, train_size=1400, validation_size=300,
                      samples_per_step=16)
    assert (plan.texts, plan.steps_per_epoch, plan.total_steps) == (1700, 107, 642)
    assert plan.stop_step == 535  # 5 epochs of 107 steps
    # best at the last step: the whole stretched schedule
    assert refit_plan(528, 88, 6, 1400, 300, 16).stop_step == 642
    # never beyond the schedule, never zero
    assert refit_plan(1, 88, 6, 1400, 0, 16).stop_step == 1


def test_with_validation_in_train_adds_the_validation_rows_under_max_train_samples():
    from classifier.data import prepare_data

    data = prepare_data(str(SMS), None, None, None, None, 0.15, 0.15, 42, False, 300)
    both = data.with_validation_in_train()
    assert len(both.train) == 300 + len(data.validation) and both.validation is data.validation
    assert both.train["text"].tolist()[300:] == data.validation["text"].tolist()
    some = data.with_validation_in_train(max_rows=350).train
    assert len(some) == 350 and set(some["text"][300:]) <= set(data.validation["text"])
    assert some["text"].tolist()[300:] != data.validation["text"].tolist()[:50]  # drawn at random, not the top
    assert len(data.with_validation_in_train(max_rows=300).train) == 300


@pytest.mark.slow
def test_refit_trains_on_train_and_validation_and_answers_with_it(tmp_path):
    from safetensors.numpy import load_file

    from classifier.config import TrainConfig
    from classifier.predict import Predictor
    from classifier.training import train

    rows = SMS.read_text(encoding="utf-8").splitlines()
    small = tmp_path / "sms600.tsv"
    small.write_text("\n".join(rows[:601]) + "\n", encoding="utf-8")
    run = tmp_path / "run"
    result = train(TrainConfig(data=str(small), output=str(run), epochs=2, refit=True, ensemble=False),
                   progress=False)
    metrics = result.metrics
    sizes = json.loads((run / "data.json").read_text(encoding="utf-8"))
    n_train, n_val = sizes["splits"]["train"], sizes["splits"]["validation"]
    expected = refit_plan(metrics["best_step"], -(-n_train // 16), 2, n_train, n_val, 16)
    assert metrics["refit"]["texts"] == n_train + n_val == expected.texts
    assert metrics["refit"]["steps"] == expected.stop_step > metrics["best_step"]
    meta = json.loads((run / "best" / "classifier.json").read_text(encoding="utf-8"))
    assert meta["refit"]["steps"] == meta["step"] == expected.stop_step
    assert meta["ensemble"]["decision"] == "model"  # validation's choice for the first model, kept
    first, second = load_file(run / "last" / "model.safetensors"), load_file(run / "best" / "model.safetensors")
    assert any(not np.array_equal(first[k], second[k]) for k in first)
    assert not (run / ".refit").exists() and not (run / ".first-best").exists()
    # it learned, and the test metrics are those of the refitted model
    assert metrics["accuracy"] >= 0.93 and metrics["macro_f1"] >= 0.8, metrics
    table = pd.read_csv(run / "predictions.csv")
    predicted = Predictor(run).predict(table["text"].tolist())
    assert [p.label for p in predicted] == table["predicted"].tolist()
    events = [json.loads(line) for line in (run / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e.get("key") for e in events].count("log_refit_done") == 1


def test_refit_with_tfidf_alone_refits_only_it(tmp_path):
    from types import SimpleNamespace

    from classifier.data import prepare_data
    from classifier.ensemble import EnsembleChoice
    from classifier.events import EventWriter
    from classifier.run_folder import ModelMeta, RunFolder
    from classifier.tfidf import JSON_FILE, TfidfModel
    from classifier.training.refit import _refit_tfidf_only

    data = prepare_data(str(SMS), None, None, None, None, 0.15, 0.15, 42, False, 400)
    run = RunFolder(tmp_path)
    run.best.mkdir()
    ModelMeta(labels=data.labels.names, step=7, ensemble={"weight": 0.0, "decision": "baseline"}).write(run.best)
    old = TfidfModel(data.labels.names).fit(data.train["text"].tolist(), data.targets(data.train))
    old.save(run.best)
    decided = SimpleNamespace(tfidf=old, choice=EnsembleChoice(weight=0.0, decision="baseline", metric="macro_f1"))
    plan = SimpleNamespace(config=SimpleNamespace(seed=42))
    both = data.with_validation_in_train()
    done = _refit_tfidf_only(data, both, plan, run, decided, EventWriter(run.events))
    assert done == {"texts": 400 + len(data.validation), "steps": 0, "first_best_step": None, "tfidf_only": True}
    assert decided.tfidf is not old
    stored = TfidfModel.load(run.best)
    texts = data.test["text"].tolist()[:50]
    assert np.abs(stored.predict_proba(texts) - decided.tfidf.predict_proba(texts)).max() < 1e-6
    assert np.abs(stored.predict_proba(texts) - old.predict_proba(texts)).max() > 1e-4
    meta = json.loads((run.best / "classifier.json").read_text(encoding="utf-8"))
    assert meta["refit"]["tfidf_only"] and meta["step"] == 7 and (run.best / JSON_FILE).is_file()
    assert list(tmp_path.glob(".tfidf.*")) == []


def test_a_resume_gets_the_first_pass_best_back(tmp_path):
    """A run killed after the refit replaced best/ (before it finished) resumes with the first pass's best/, to
    which its checkpoints and validation choices belong; the refit then runs again."""
    from classifier.runs import FIRST_BEST_DIR, REFIT_DIR, atomic_save_dir
    from classifier.training.resume import clear_for_resume

    best = tmp_path / "best"
    best.mkdir()
    (best / "classifier.json").write_text('{"step": 40}', encoding="utf-8")
    atomic_save_dir(best, lambda tmp: (tmp / "classifier.json").write_text('{"step": 57}', encoding="utf-8"),
                    keep_old_as=tmp_path / FIRST_BEST_DIR)
    assert json.loads((best / "classifier.json").read_text(encoding="utf-8")) == {"step": 57}
    assert json.loads((tmp_path / FIRST_BEST_DIR / "classifier.json").read_text(encoding="utf-8")) == {"step": 40}
    (tmp_path / REFIT_DIR).mkdir()
    clear_for_resume(tmp_path)
    assert json.loads((best / "classifier.json").read_text(encoding="utf-8")) == {"step": 40}
    assert not (tmp_path / FIRST_BEST_DIR).exists() and not (tmp_path / REFIT_DIR).exists()
    clear_for_resume(tmp_path)  # nothing to restore: best/ stays
    assert json.loads((best / "classifier.json").read_text(encoding="utf-8")) == {"step": 40}
