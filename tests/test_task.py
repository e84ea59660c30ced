"""The task objects (classifier/task/): each implements the whole interface, and their answers are the ones the
rest of the engine relied on before they existed."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifier.task import MULTI_LABEL, SINGLE_LABEL, Task, task_for, task_of

ROOT = Path(__file__).resolve().parents[1]


def _abstract_methods() -> list[str]:
    source = inspect.getsource(Task)
    return [node.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)
            and any(isinstance(s, ast.Raise) for s in node.body)]


@pytest.mark.parametrize("task", [SINGLE_LABEL, MULTI_LABEL], ids=["single", "multi"])
def test_every_task_implements_the_interface(task):
    missing = [name for name in _abstract_methods() if getattr(type(task), name) is getattr(Task, name)]
    assert not missing, f"{type(task).__name__} lacks {missing}"
    for attribute in Task.__annotations__:
        assert hasattr(task, attribute), attribute
    assert task_for(task.multi_label) is task
    assert task_of({"multi_label": task.multi_label}) is task


def test_decisions_and_targets():
    probs = np.array([[0.2, 0.7, 0.6], [0.1, 0.2, 0.05]], dtype=np.float32)
    assert SINGLE_LABEL.decide(probs, None).tolist() == [1, 1]
    assert MULTI_LABEL.decide(probs, [0.5, 0.5, 0.65]).tolist() == [[0, 1, 0], [0, 0, 0]]
    two = np.array([[0.7, 0.3], [0.45, 0.55]])
    # a two-class run's saved decision threshold moves the decision; without one argmax decides
    assert SINGLE_LABEL.decide(two, None, {"positive": 1, "threshold": 0.25}).tolist() == [1, 1]
    assert MULTI_LABEL.targets(pd.Series([[0, 2], []]), 3).tolist() == [[1, 0, 1], [0, 0, 0]]
    assert SINGLE_LABEL.targets(pd.Series([2, 0]), 3).tolist() == [2, 0]
    assert MULTI_LABEL.label_text([0, 2], ["a", "b", "c"]) == "a|c"
    # in the row's order: the rarest-label split keys break ties by it (a resumed run splits as it did)
    assert MULTI_LABEL.to_ids(pd.Series([("c", "a")]), {"a": 0, "b": 1, "c": 2}).tolist() == [[2, 0]]
    assert MULTI_LABEL.correct(np.array([[1, 0], [1, 1]]), np.array([[1, 0], [1, 0]])).tolist() == [True, False]


@pytest.mark.parametrize("classes", [2, 3])
def test_single_label_logistic_fit_gives_sklearn_probabilities(classes):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5))
    y = rng.integers(0, classes, size=120)
    coef, intercept = SINGLE_LABEL.fit_logistic(x, y, classes + 1, C=1.0, seed=0, max_iter=500)  # one class unseen
    ours = SINGLE_LABEL.probabilities(x @ coef.T.astype(np.float64) + intercept)
    theirs = LogisticRegression(max_iter=500, C=1.0, random_state=0).fit(x, y).predict_proba(x)
    np.testing.assert_allclose(ours[:, :classes], theirs, atol=1e-5)
    assert ours[:, classes].max() < 1e-10


def test_multi_label_logistic_fit_and_constant_labels():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 4))
    y = np.stack([(x[:, 0] > 0).astype(int), np.zeros(80, dtype=int), np.ones(80, dtype=int)], axis=1)
    coef, intercept = MULTI_LABEL.fit_logistic(x, y, 3, C=1.0, seed=0, max_iter=500)
    probs = MULTI_LABEL.probabilities(x @ coef.T.astype(np.float64) + intercept)
    assert ((probs[:, 0] >= 0.5) == (x[:, 0] > 0)).mean() > 0.9
    assert probs[:, 1].max() < 1e-10 and probs[:, 2].min() > 1 - 1e-10


def test_loss_weights_count_what_is_rare():
    single = SINGLE_LABEL.loss_weights(pd.Series([0, 0, 0, 1]), 2)
    assert single[1] > single[0]
    multi = MULTI_LABEL.loss_weights(pd.Series([[0], [0], [0, 1], [0]]), 2)
    assert multi.tolist() == [1.0, 3.0]  # label 1: 3 negatives per positive; label 0 has no negative


# Where single- and multi-label may still differ outside classifier/task/: deciding which task a file is
# (data/columns.py, the config check), the HF-compatible forward of the mean-pooling model, the binary-threshold
# page (two-class single-label runs only), and the controls only a multi-label run has (the Predict tab's threshold
# slider, the Data tab's note on several labels a text).
ALLOWED = {"classifier/data/columns.py", "classifier/config.py", "classifier/pooling.py", "classifier/binary.py",
           "classifier/webui/predict_tab.py", "classifier/webui/data_tab.py"}


def test_no_multi_label_branches_outside_the_task_objects():
    pattern = re.compile(r"\bif\b[^\n]*\bmulti(_label)?\b|\bmulti(_label)?\b[^\n]*\belse\b")
    found = []
    for path in sorted((ROOT / "classifier").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name.startswith("classifier/task/") or name in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if pattern.search(code) and '"""' not in code:
                found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "branches on multi-label outside classifier/task/:\n" + "\n".join(found)
