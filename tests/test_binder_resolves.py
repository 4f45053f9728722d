"""binder/requirements.txt resolves beside repo2docker's base environment (needs the package index).

These tests ask the package index (PyPI) for metadata, so they are marked ``registry``:
``make unit`` deselects them and ``make check-binder`` (run by CI) runs them. The base
environment's pins are test data (tests/data/repo2docker_py311_base.txt); a package that
binder/ pins itself is left out of them, since pip upgrades it in place on Binder.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from utils.course.deps import normalise

pytestmark = pytest.mark.registry
ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "data" / "repo2docker_py311_base.txt"


def _pins(text):
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return {normalise(line.split("==")[0]): line for line in lines}


def _resolve(binder_text, tmp_path):
    binder = _pins(binder_text)
    base = {name: line for name, line in _pins(BASE.read_text()).items() if name not in binder}
    (tmp_path / "binder.txt").write_text("\n".join(binder.values()) + "\n")
    (tmp_path / "base.txt").write_text("\n".join(base.values()) + "\n")
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv, "uv is not installed: run make setup"
    return subprocess.run([uv, "pip", "compile", "--quiet", "--python-version", "3.11",
                           "--python-platform", "x86_64-manylinux_2_28", str(tmp_path / "binder.txt"),
                           str(tmp_path / "base.txt"), "-o", str(tmp_path / "resolved.txt")],
                          capture_output=True, text=True, timeout=300)


def test_binder_resolves_beside_the_base_environment(tmp_path):
    result = _resolve((ROOT / "binder" / "requirements.txt").read_text(), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    resolved = _pins((tmp_path / "resolved.txt").read_text())
    assert re.search(r"==4\.4\.9$", resolved["jupyterlab"]), "the base environment's JupyterLab must stay"


def test_the_check_catches_a_server_pin_that_conflicts(tmp_path):
    # what binder/requirements.txt pinned before: JupyterLab 4.6.6, while the base's notebook 7.4.7 needs < 4.5
    result = _resolve((ROOT / "binder" / "requirements.txt").read_text() + "jupyterlab==4.6.6\n", tmp_path)
    assert result.returncode != 0 and "jupyterlab" in result.stderr
