"""The layout of utils: small modules, no import cycles, a light import, every public helper documented."""

import ast
import doctest
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import utils

ROOT = Path(__file__).resolve().parents[1]
UTILS = ROOT / "utils"
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(UTILS.rglob("*.py"))}


@pytest.mark.parametrize("path", MODULES.values(), ids=list(MODULES))
def test_no_module_is_longer_than_400_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def _imports(name: str, path: Path) -> set[str]:
    """The utils modules that ``name`` imports, at module level or inside functions."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found |= {t for t in [target, *(f"{target}.{a.name}" for a in node.names)] if t in MODULES}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in MODULES}
    # a package importing its own sub-modules is how packages work, not a cycle
    return {t for t in found if t != name and not t.startswith(name + ".")}


def test_no_import_cycle_among_utils_modules():
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    cycles = []

    def visit(node, path):
        for nxt in graph[node]:
            if nxt in path:
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            else:
                visit(nxt, path + [nxt])

    for name in graph:
        visit(name, [name])
    assert not cycles, f"import cycles: {sorted(set(cycles))}"


def test_lesson_helpers_and_course_machinery_live_apart():
    machinery = {"colab", "deps", "downloads", "nbbudget", "netguard", "paths", "quiet", "reference", "results",
                 "runner", "speed", "tables", "track", "budgets"}
    assert {p.stem for p in (UTILS / "course").glob("*.py")} >= machinery
    assert not {p.stem for p in UTILS.glob("*.py")} & machinery


def test_import_utils_stays_light():
    code = ("import sys, utils; heavy = [m for m in ('tensorflow', 'keras', 'sklearn', 'matplotlib', 'scipy') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"import utils loads {out.stdout.strip()}"


def _public_helpers():
    from utils import transferability

    names = [(f"utils.{n}", getattr(utils, n)) for n in sorted(set(utils.__all__))]
    names += [(f"utils.transferability.{n}", getattr(transferability, n)) for n in transferability.__all__]
    return [(n, obj) for n, obj in names if callable(obj)]


@pytest.mark.parametrize(("name", "obj"), _public_helpers(), ids=[n for n, _ in _public_helpers()])
def test_every_public_helper_has_a_docstring_with_an_example_and_a_row_in_the_readme(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc and "Examples\n--------" in doc, f"{name}: no numpydoc Examples section"
    assert f"`{name}`" in (UTILS / "README.md").read_text(), f"{name} is missing from utils/README.md"


LESSON_MODULES = [m for m in MODULES if not m.startswith("utils.course") or m in (
    "utils.course.track", "utils.course.speed", "utils.course.quiet", "utils.course.results")]


@pytest.mark.parametrize("name", LESSON_MODULES)
def test_the_examples_in_the_docstrings_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TL_RESULTS_DIR", str(tmp_path / "results"))
    import matplotlib

    matplotlib.use("Agg")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"
