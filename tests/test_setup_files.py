"""Tests of the files that set the course up: pins, Binder, CI and the README's commands."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _requirement_lines(path):
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_every_requirement_is_pinned_exactly():
    lines = _requirement_lines(ROOT / "requirements.txt")
    assert lines, "requirements.txt lists no packages"
    unpinned = [line for line in lines if not re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[A-Za-z0-9_.+!\-]+", line)]
    assert unpinned == [], f"not pinned with '==': {unpinned}"
    names = [line.split("==")[0].lower().replace("_", "-") for line in lines]
    assert len(names) == len(set(names)), "a package is pinned twice"


def test_requirements_pin_what_the_course_imports():
    names = {line.split("==")[0].lower().replace("_", "-") for line in _requirement_lines(ROOT / "requirements.txt")}
    needed = {"tensorflow", "keras", "numpy", "scikit-learn", "matplotlib", "seaborn", "pillow", "pytest", "nbval",
              "ruff", "jupyterlab"}
    assert needed <= names, f"missing pins: {sorted(needed - names)}"


def test_binder_requirements_are_identical_to_requirements():
    assert (ROOT / "binder" / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()


def test_binder_runtime_is_python_311():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_ci_runs_make_test():
    script = ROOT / ".ci" / "run"
    commands = [line.strip() for line in script.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert "make test" in commands
    assert script.stat().st_mode & 0o111, ".ci/run must be executable"


def test_makefile_has_the_documented_targets():
    text = (ROOT / "Makefile").read_text()
    for target in ("test", "course", "lab", "unit", "lint", "notebooks"):
        assert re.search(rf"^{target}:", text, re.MULTILINE), f"Makefile has no {target!r} target"


def test_readme_gives_the_test_and_course_commands():
    text = (ROOT / "README.md").read_text()
    assert "make test" in text
    assert "make course" in text
