"""Running the course on Google Colab: what to install, and the repository's address.

Colab comes with its own TensorFlow, built for its CUDA and GPU; installing this
repository's ``tensorflow==`` pin there can lose the GPU. So on Colab the course keeps
Colab's TensorFlow family (and the NumPy it was built against) and installs only the
other pins that are missing or at another version. Everywhere else every pin applies.

Each notebook's first cell clones :data:`COURSE_REPO` when it cannot find ``utils`` (on
Colab), then runs ``python -m utils.colab install``. A test checks that the notebooks and
their badges use this address, so it is changed here and in them together.

Usage::

    python -m utils.colab plan      # print what would be installed here
    python -m utils.colab install   # install it (pip)
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

COURSE_REPO = "https://github.com/tl-course/transfer-learning"
#: Distributions Colab provides and the course must not replace there (name prefixes, normalised).
COLAB_KEEPS = ("tensorflow", "tensorboard", "keras", "tf-keras", "ml-dtypes", "numpy", "jax", "nvidia-", "h5py", "protobuf")
_REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


def normalise(name: str) -> str:
    """PEP 503 name normalisation: lower case, runs of ``-_.`` become ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path | str = _REQUIREMENTS) -> dict[str, str]:
    """``{normalised name: version}`` of every ``name==version`` line of a requirements file."""
    pins = {}
    for line in Path(path).read_text().splitlines():
        match = _PIN.match(line)
        if match:
            pins[normalise(match.group(1))] = match.group(2)
    if not pins:
        raise ValueError(f"{path} has no 'name==version' pins")
    return pins


def installed_versions() -> dict[str, str]:
    """``{normalised name: version}`` of the distributions installed in this environment."""
    return {normalise(d.metadata["Name"]): d.version for d in metadata.distributions() if d.metadata["Name"]}


def packages_to_install(pins: dict[str, str], installed: dict[str, str], *, colab: bool) -> list[str]:
    """The ``name==version`` requirements to pip-install so that ``installed`` matches ``pins``.

    On Colab (``colab=True``) the distributions in :data:`COLAB_KEEPS` are left as Colab
    ships them, whatever their version.
    """
    todo = []
    for name, version in sorted(pins.items()):
        name = normalise(name)
        if colab and name.startswith(COLAB_KEEPS):
            continue
        if installed.get(name) != version:
            todo.append(f"{name}=={version}")
    return todo


def main(argv: list[str] | None = None) -> int:
    from .track import in_colab

    args = sys.argv[1:] if argv is None else argv
    if args not in (["plan"], ["install"]):
        print(__doc__)
        return 2
    on_colab = in_colab()
    todo = packages_to_install(read_pins(), installed_versions(), colab=on_colab)
    print(f"{'Colab' if on_colab else 'not Colab'}: {len(todo)} package(s) to install" + (": " + " ".join(todo) if todo else ""))
    if args == ["install"] and todo:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *todo], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
