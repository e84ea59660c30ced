"""transformers 5 resolves its names lazily and two threads resolving them at once can fail (CI at stop 16: "cannot
import name 'AutoConfig' from 'transformers'" on the app's first prediction, while the warm-up thread imported the
Trainer). classifier/hf.py resolves every name the app's threads use, once, under Python's import lock."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_hostile_input import tiny_model  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "classifier"
# code that runs only in a training process (single-threaded), where classifier.training has imported hf first
SHARED = {"transformers", "peft"}
TRAINING_ONLY = {"classifier/hf.py", "classifier/adapt.py", "classifier/tracking.py"}


def _transformers_imports(path: Path) -> list[int]:
    """Line numbers of every `import transformers...` / `from transformers... import` in a module (peft too: its
    import resolves transformers names)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in SHARED:
            lines.append(node.lineno)
        elif isinstance(node, ast.Import) and any(a.name.split(".")[0] in SHARED for a in node.names):
            lines.append(node.lineno)
    return lines


def test_only_hf_and_training_code_import_transformers_directly():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in TRAINING_ONLY or relative.startswith("classifier/training/"):
            continue
        offenders += [f"{relative}:{line}" for line in _transformers_imports(path)]
    assert not offenders, f"take these names from classifier.hf (add them there): {offenders}"
    assert _transformers_imports(PACKAGE / "hf.py")  # the module the rule points to does import them


def test_the_training_package_resolves_the_shared_names_before_the_trainer():
    """classifier/training/__init__.py imports classifier.hf before any of its own modules (which import the
    Trainer), so a training process resolves the shared names first too."""
    tree = ast.parse((PACKAGE / "training" / "__init__.py").read_text(encoding="utf-8"))
    imports = [(node.level, node.module) for node in tree.body if isinstance(node, ast.ImportFrom) and node.level]
    first_own = next(i for i, (level, _) in enumerate(imports) if level == 1)
    assert (2, "hf") in imports[:first_own], imports


SCRIPT = """
import json, sys, threading
from classifier.webui import train_tab

errors = []

def guarded(fn):
    def run():
        try:
            fn()
        except BaseException as exc:
            errors.append(repr(exc))
    return threading.Thread(target=run)

def predict():
    from classifier.predict import Predictor
    Predictor(sys.argv[1]).predict(["Claim your prize now"])

def analyse():
    from classifier.webui import analysis
    analysis._tokenizer(sys.argv[1])

train_tab.warm_up(delay=0)  # what the app starts, here at once, beside two visitors' first requests
threads = [guarded(predict), guarded(analyse), guarded(lambda: __import__("classifier.bundled.e5"))]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
import time
time.sleep(0.5)
while any(t.name == "warm-up" for t in threading.enumerate()):
    time.sleep(0.2)
print(json.dumps({"errors": errors, "trainer": "transformers.trainer" in sys.modules}))
"""


@pytest.mark.parametrize("attempt", range(2))
def test_the_apps_threads_import_models_at_once_without_failing(tiny_model, attempt):  # noqa: F811
    """The CI failure's shape in a fresh interpreter: the warm-up beside a first prediction and a data analysis.
    And the app's process never imports the Trainer (seconds and memory it never uses)."""
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tiny_model)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"errors": [], "trainer": False}
