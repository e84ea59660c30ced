"""Two-class runs: ROC and precision-recall with their areas, rates at a threshold, a saved decision threshold that
Predictor, `predict` and `evaluate` then use (issue 12, item 5)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from classifier.binary import decide, metrics_at, rates_at, save_threshold
from classifier.errors import RunError
from classifier.predict import Predictor
from classifier.security import from_spreadsheet_cell

from .test_engine import cli


def test_rates_at_a_threshold_count_what_they_say():
    truth = np.array([True, True, True, False, False, False, False])
    scores = np.array([0.9, 0.6, 0.2, 0.7, 0.3, 0.1, 0.05])
    assert rates_at(truth, scores, 0.5) == pytest.approx({"tpr": 2 / 3, "fpr": 1 / 4, "tnr": 3 / 4, "fnr": 1 / 3})
    assert rates_at(truth, scores, 0.15) == pytest.approx({"tpr": 1.0, "fpr": 2 / 4, "tnr": 2 / 4, "fnr": 0.0})
    probs = np.stack([1 - scores, scores], 1)
    assert decide(probs, {"positive": 1, "threshold": 0.15}).tolist() == [1, 1, 1, 1, 1, 0, 0]
    assert decide(probs, None).tolist() == [1, 1, 0, 1, 0, 0, 0]


def test_roc_pr_match_scikit_learn_and_a_saved_threshold_is_used(sms_run, tmp_path):
    run = tmp_path / "sms"
    shutil.copytree(sms_run.run_dir, run)  # the shared run stays as it is
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    binary = metrics["binary"]
    assert binary["positive_label"] == "spam" and binary["threshold"] == 0.5  # the rarer class
    table = pd.read_csv(run / "predictions.csv", keep_default_na=False)
    truth = table["gold"].map(from_spreadsheet_cell) == "spam"
    # predictions.csv rounds probabilities to 6 decimals, where very confident texts tie (metrics.json has the
    # unrounded ones): the areas agree to well under a text's worth (1 / 680)
    assert binary["roc_auc"] == pytest.approx(roc_auc_score(truth, table["p_spam"]), abs=2e-4)
    assert binary["pr_auc"] == pytest.approx(average_precision_score(truth, table["p_spam"]), abs=2e-4)
    assert binary["roc_auc"] > 0.95 and len(binary["roc"]["fpr"]) <= 201
    assert binary["tpr"] + binary["fnr"] == pytest.approx(1.0)

    # a low threshold catches more spam and flags more ham, in the preview and once saved
    low = metrics_at(run, 0.02)
    assert low["binary"]["tpr"] >= binary["tpr"] and low["binary"]["fpr"] >= binary["fpr"]
    texts = table["text"].map(from_spreadsheet_cell).tolist()
    before = Predictor(run)
    p_spam = before.predict_proba(texts)[:, before.labels.index("spam")]
    borderline = [t for t, p in zip(texts, p_spam) if 0.02 <= p < 0.5]
    saved = save_threshold(run, 0.02)
    assert saved["accuracy"] == low["accuracy"] and saved["binary"]["threshold"] == 0.02
    after = Predictor(run)
    assert after.binary_decision == {"positive": after.labels.index("spam"), "threshold": 0.02}
    labels = [p.label for p in after.predict(texts)]
    expected = ["spam" if p >= 0.02 else "ham" for p in p_spam]
    assert labels == expected
    if borderline:  # texts between 0.02 and 0.5 changed from ham to spam
        assert all(p.label == "spam" for p in after.predict(borderline))
    written = pd.read_csv(run / "predictions.csv", keep_default_na=False)
    assert written["correct"].astype(str).map({"True": True, "False": False}).mean() == pytest.approx(
        saved["accuracy"])
    # the CLI: the same command, and evaluate applies the saved threshold
    result = cli("threshold", "--run", str(run), "--value", "0.5")
    assert result.returncode == 0 and "TPR" in result.stdout, result.stderr
    assert Predictor(run).binary_decision["threshold"] == 0.5
    with pytest.raises(RunError, match="between 0 and 1"):
        save_threshold(run, 1.5)


def test_the_positive_class_is_the_rarer_one():
    from classifier.binary import positive_class

    assert positive_class(np.array([0, 0, 0, 1])) == 1
    assert positive_class(np.array([0, 1, 1, 1])) == 0
    assert positive_class(np.array([0, 1])) == 1
