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


def _pins(path):
    from utils.course.deps import normalise

    return {normalise(line.split("==")[0]): line.split("==")[1] for line in _requirement_lines(path)}


def _third_party_imports():
    """Top-level modules imported by utils/, tests/, conftest.py and the notebooks' code cells."""
    import ast
    import json
    import sys

    modules = set()
    sources = [p.read_text() for p in [*ROOT.glob("utils/**/*.py"), *ROOT.glob("tests/**/*.py"), ROOT / "conftest.py"]]
    for nb in ROOT.glob("notebooks/*.ipynb"):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                lines = "".join(cell["source"]).splitlines()
                sources.append("\n".join(line for line in lines if not line.lstrip().startswith(("%", "!"))))
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    local = {"utils"} | {p.stem for p in ROOT.glob("tests/*.py")}
    return {m for m in modules if m not in sys.stdlib_module_names and m not in local}


def test_every_imported_module_is_declared():
    from utils.course.deps import declared, distribution_of, requirement_name

    names = {requirement_name(r) for r in declared("runtime", "text", "dev")}
    undeclared = sorted(m for m in _third_party_imports() if distribution_of(m) not in names)
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_the_lock_satisfies_the_declared_ranges():
    from packaging.requirements import Requirement

    from utils.course.deps import declared, normalise

    pins = _pins(ROOT / "requirements.txt")
    for text in declared("runtime", "lab", "text", "dev"):
        requirement = Requirement(text)
        name = normalise(requirement.name)
        assert name in pins, f"{name} is declared but not locked: run make lock"
        assert requirement.specifier.contains(pins[name]), f"lock has {name}=={pins[name]}, outside {text}"


def test_the_lock_says_how_it_is_made():
    header = (ROOT / "requirements.txt").read_text().splitlines()[:3]
    assert any("pyproject.toml" in line for line in header) and any("make lock" in line for line in header)


def test_pyproject_declares_the_project():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] and project["requires-python"].startswith(">=3.11")
    filters = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["filterwarnings"]
    assert "ignore::DeprecationWarning" not in filters, "ignore only named third-party deprecations"
    assert all(f.count(":") >= 3 for f in filters if f.startswith("ignore::DeprecationWarning")), filters


SERVER_AND_TEST_STACK = ("jupyterlab", "jupyter-server", "notebook", "ipykernel", "ipython", "tornado", "pyzmq",
                         "prompt-toolkit", "pytest", "nbval", "ruff")


def test_binder_installs_the_runtime_only_at_the_locked_versions():
    binder, lock = _pins(ROOT / "binder" / "requirements.txt"), _pins(ROOT / "requirements.txt")
    assert not [n for n in binder if n in SERVER_AND_TEST_STACK or n.startswith("jupyter")], \
        "repo2docker brings the Jupyter server and kernel; binder/ must not pin them"
    assert {"tensorflow", "keras", "numpy", "scikit-learn", "seaborn"} <= set(binder)
    assert {n: v for n, v in binder.items() if lock.get(n) != v} == {}, "binder/ and the lock disagree: run make lock"


def test_binder_runtime_is_python_311():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_ci_runs_make_test():
    script = ROOT / ".ci" / "run"
    commands = [line.strip() for line in script.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert "make test" in commands
    assert script.stat().st_mode & 0o111, ".ci/run must be executable"


def test_makefile_has_the_documented_targets():
    text = (ROOT / "Makefile").read_text()
    for target in ("setup", "test", "course", "lab", "unit", "lint", "notebooks", "test-floor", "lock"):
        assert re.search(rf"^{target}:", text, re.MULTILINE), f"Makefile has no {target!r} target"
    for target in ("lab", "lint", "unit", "notebooks", "course", "reproduce", "backbones"):
        assert re.search(rf"^{target}:.*\bsetup\b", text, re.MULTILINE), f"make {target} does not depend on setup"


def test_ci_runs_the_floor_and_the_offline_notebooks_without_network():
    script = (ROOT / ".ci" / "run").read_text()
    assert "make test-floor" in script
    assert re.search(r"^notebooks:.*\n(?:\t.*\n)*\t.*scripts/no-network|NONET", (ROOT / "Makefile").read_text(),
                     re.MULTILINE)


def test_readme_gives_the_test_and_course_commands():
    text = (ROOT / "README.md").read_text()
    assert "make test" in text
    assert "make course" in text


def test_nothing_cites_a_design_file_the_repository_does_not_have():
    cited = [str(p.relative_to(ROOT)) for p in [*ROOT.glob("utils/**/*.py"), *ROOT.glob("tests/**/*.py"),
                                               *ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("*.md"), ROOT / "Makefile"]
             if "COURSE_DESIGN" in p.read_text() and p.name != "test_setup_files.py"]
    assert cited == []


def test_no_network_script_leaves_only_loopback():
    """The notebooks of make test run under scripts/no-network: no route out, loopback up for the kernel."""
    import subprocess
    import sys

    probe = ("import socket\n"
             "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"  # a UDP connect sends no packet
             "try:\n    u.connect(('192.0.2.1', 9)); print('route')\nexcept OSError:\n    print('no route')\n"
             "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
             "socket.create_connection(s.getsockname()).close(); print('loopback')\n")
    result = subprocess.run([str(ROOT / "scripts" / "no-network"), sys.executable, "-c", probe],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    if "no network namespace here" in result.stderr:  # the OS refused: the script must say so, and still run
        assert "loopback" in result.stdout
        return
    assert result.stdout.split() == ["no", "route", "loopback"]
