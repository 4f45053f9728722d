"""Tests of utils.colab: what a notebook's first cell installs on Colab, and the one repository address."""

import json
import re
from pathlib import Path

import pytest

from utils import colab

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_requirements_pins_are_read_and_normalised():
    pins = colab.read_pins()
    assert pins["tensorflow"] and pins["scikit-learn"] and pins["nbval"]
    assert all(name == colab.normalise(name) for name in pins)
    assert colab.normalise("Scikit_Learn.Extra") == "scikit-learn-extra"


def test_on_colab_the_tensorflow_family_is_kept_and_other_pins_installed():
    pins = {"tensorflow": "2.21.0", "keras": "3.15.1", "numpy": "2.4.6", "tensorboard": "2.21.0",
            "scikit-learn": "1.9.1", "seaborn": "0.13.2", "nbval": "0.11.0"}
    colab_env = {"tensorflow": "2.19.0", "keras": "3.8.0", "numpy": "2.0.2", "tensorboard": "2.19.0",
                 "scikit-learn": "1.6.1", "seaborn": "0.13.2"}
    todo = colab.packages_to_install(pins, colab_env, colab=True)
    assert todo == ["nbval==0.11.0", "scikit-learn==1.9.1"]  # seaborn already right; TF, Keras, NumPy kept
    assert not any(t.startswith(("tensorflow", "keras", "numpy", "tensorboard")) for t in todo)


def test_off_colab_every_pin_applies():
    pins = {"tensorflow": "2.21.0", "numpy": "2.4.6"}
    assert colab.packages_to_install(pins, {"tensorflow": "2.19.0"}, colab=False) == ["numpy==2.4.6", "tensorflow==2.21.0"]
    assert colab.packages_to_install(pins, dict(pins), colab=False) == []


def test_this_environment_matches_its_pins():
    assert colab.packages_to_install(colab.read_pins(), colab.installed_versions(), colab=False) == []


def test_plan_prints_without_installing(capsys):
    assert colab.main(["plan"]) == 0
    assert "0 package(s) to install" in capsys.readouterr().out
    assert colab.main(["bogus"]) == 2


def test_a_file_without_pins_is_an_error(tmp_path):
    (tmp_path / "r.txt").write_text("# nothing\nnumpy>=1\n")
    with pytest.raises(ValueError, match="no 'name==version' pins"):
        colab.read_pins(tmp_path / "r.txt")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_bootstraps_from_the_one_address(path):
    cells = json.loads(path.read_text())["cells"]
    setup = next("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert f'"{colab.COURSE_REPO}"' in setup and '"utils.colab", "install"' in setup
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
