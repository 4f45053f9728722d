"""The course's declared dependencies, read from ``pyproject.toml`` (course machinery).

``pyproject.toml`` declares what the course needs at compatible ranges: ``[project]
dependencies`` (the learner's runtime: what notebooks and ``utils`` import), the ``lab``
extra (JupyterLab and a kernel, for ``make lab``), the ``text`` extra (KerasHub, for notebook
06) and the ``dev`` dependency group (tests,
lint and the course runner). ``requirements.txt`` is the exact lock generated from it
(``make lock``). This module lets the Makefile, the Colab bootstrap and the tests read that
declaration in one place.

Usage::

    python -m utils.course.deps runtime dev     # the requirement strings of those groups, one per line
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
GROUPS = ("runtime", "lab", "text", "dev")
#: Import names that differ from the distribution's name.
IMPORT_NAMES = {"PIL": "pillow", "sklearn": "scikit-learn", "skimage": "scikit-image", "yaml": "pyyaml",
                "keras_hub": "keras-hub"}


def normalise(name: str) -> str:
    """PEP 503 name normalisation: lower case, runs of ``-_.`` become ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(*groups: str, path: Path | str = PYPROJECT) -> list[str]:
    """The requirement strings of ``groups`` (``"runtime"``, ``"lab"``, ``"text"``, ``"dev"``), without duplicates.

    Examples
    --------
    >>> any(r.startswith("tensorflow") for r in declared("runtime"))
    True
    """
    unknown = [g for g in groups if g not in GROUPS]
    if unknown or not groups:
        raise ValueError(f"groups must be some of {GROUPS}, got {groups!r}")
    data = tomllib.loads(Path(path).read_text())
    sources = {"runtime": data["project"]["dependencies"],
               "lab": data["project"].get("optional-dependencies", {}).get("lab", []),
               "text": data["project"].get("optional-dependencies", {}).get("text", []),
               "dev": data.get("dependency-groups", {}).get("dev", [])}
    out, seen = [], set()
    for group in groups:
        for requirement in sources[group]:
            name = requirement_name(requirement)
            if name not in seen:
                seen.add(name)
                out.append(requirement)
    return out


def requirement_name(requirement: str) -> str:
    """The normalised distribution name of a requirement string such as ``"numpy>=2.0,<2.5"``."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return normalise(match.group(1))


def distribution_of(module: str) -> str:
    """The distribution that provides top-level import ``module`` (e.g. ``sklearn`` -> ``scikit-learn``)."""
    return normalise(IMPORT_NAMES.get(module, module))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        print("\n".join(declared(*args)))
    except ValueError as exc:
        print(f"{exc}\n{__doc__}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
