"""Size limits of issue 15: no module in classifier/ over 500 lines (data tables aside), no function over 80 lines.

A function is measured from its `def` line to its last line (ast: end_lineno - lineno + 1), nested functions and
methods included. The ones still over a limit are listed below with their size when the list was last written:
the test fails when one of them grows, and when one fits the limit again (then take it off the list). Shorten a
function by giving its parts names (helpers, a small object for closures over many locals); do not raise a number.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "classifier"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80

# data tables, not code: no module limit (they grow by a line with every new string)
DATA_TABLES = {
    "classifier/webui/i18n.py",  # every word of the UI in English and Chinese (643 lines when this was written)
    "classifier/message_catalogue.py",  # every engine message in English and Chinese (553 lines when added here)
}

# path relative to the repository root -> lines (none today)
OVER_MODULE: dict[str, int] = {}

# "path:qualified name" -> lines (none today)
OVER_FUNCTION: dict[str, int] = {}


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, lines) of every function and method, nested ones too."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = prefix + node.name
            yield name, node.end_lineno - node.lineno + 1
            yield from _functions(node, name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, prefix + node.name + ".")
        else:
            yield from _functions(node, prefix)


def _sizes() -> tuple[dict[str, int], dict[str, int]]:
    modules, functions = {}, {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        modules[relative] = len(text.splitlines())
        for name, lines in _functions(ast.parse(text)):
            key = f"{relative}:{name}"
            functions[key] = max(lines, functions.get(key, 0))  # a name defined twice: the longer
    return modules, functions


def _check(sizes: dict[str, int], allowed: dict[str, int], limit: int, what: str) -> list[str]:
    problems = []
    for name, lines in sorted(sizes.items()):
        if lines <= limit:
            continue
        if name not in allowed:
            problems.append(f"{name}: {lines} lines, over the {limit}-line limit for a {what}; split it.")
        elif lines > allowed[name]:
            problems.append(f"{name}: {lines} lines, grown from {allowed[name]} (already over the {limit}-line "
                            f"limit for a {what}); shorten it rather than raise its number in {Path(__file__).name}.")
    for name, was in sorted(allowed.items()):
        if name not in sizes:
            problems.append(f"{name} (listed at {was} lines) no longer exists: take it off the list in "
                            f"{Path(__file__).name}.")
        elif sizes[name] <= limit:
            problems.append(f"{name} (listed at {was} lines) is now {sizes[name]}, within the limit: take it off the "
                            f"list in {Path(__file__).name}.")
    return problems


def test_no_module_over_500_lines():
    modules, _ = _sizes()
    assert len(modules) > 50, "the walk did not find the package"
    code = {name: lines for name, lines in modules.items() if name not in DATA_TABLES}
    problems = _check(code, OVER_MODULE, MAX_MODULE_LINES, "module")
    assert not problems, "\n".join(problems)


def test_no_function_over_80_lines():
    _, functions = _sizes()
    problems = _check(functions, OVER_FUNCTION, MAX_FUNCTION_LINES, "function")
    assert not problems, "\n".join(problems)


def test_the_walk_measures_what_it_says():
    source = ("class A:\n    def f(self):\n        def g():\n            pass\n        return g\n\n\n"
              "async def h():\n    pass\n")
    assert dict(_functions(ast.parse(source))) == {"A.f": 4, "A.f.g": 2, "h": 2}
