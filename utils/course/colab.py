"""Running the course on a hosted notebook service (Colab, Kaggle): what to install, and where from.

A hosted runtime comes with its own TensorFlow (built for its CUDA and GPU), Keras, NumPy,
pandas and the whole kernel and server stack (ipykernel, IPython, tornado, pyzmq,
prompt-toolkit, Jupyter). Replacing any of those can lose the GPU or make the runtime crash
(Colab pins IPython and ipykernel for its own front end). So the bootstrap installs only the
learner dependencies declared in ``pyproject.toml`` that are **missing** or outside their
declared range, at the locked versions, and never a package of :data:`NEVER_INSTALL` (or of its families); pip is
told to keep the installed versions of those, so a dependency cannot replace them either.
When everything is there (the usual case on Colab), it installs nothing and a re-run is a
no-op. It asks for a restart only when it replaced a package the kernel may have imported.

Each notebook's first cell clones :data:`COURSE_REPO` once when it cannot find ``utils`` (a
re-run reuses the clone), then runs ``python -m utils.course.colab install``. A test checks that the
notebooks and badges use this address; ``python -m utils.course.colab set-repo OWNER/NAME`` rewrites
it everywhere (this module, every notebook, the README) for a course published elsewhere.

Usage::

    python -m utils.course.colab plan              # print what would be installed here
    python -m utils.course.colab install           # install it (pip)
    python -m utils.course.colab install --text    # and what notebook 06 needs (KerasHub)
    python -m utils.course.colab set-repo me/tl    # point the badges and the clone at github.com/me/tl
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from .deps import declared, normalise, requirement_name

ROOT = Path(__file__).resolve().parents[2]
COURSE_REPO = "https://github.com/tl-course/transfer-learning"
#: Distributions a hosted runtime provides and the course never installs or replaces there
#: (normalised names): its deep-learning stack, NumPy and pandas, the kernel and server stack,
#: and the course's test tools.
NEVER_INSTALL = ("tensorflow", "tensorboard", "keras", "tf-keras", "ml-dtypes", "numpy", "pandas", "jax", "h5py",
                 "protobuf", "ipykernel", "ipython", "tornado", "pyzmq", "prompt-toolkit", "notebook", "pytest", "nbval",
                 "ruff", "uv")
#: Families protected with all their members (``tensorflow-text``, ``jaxlib``, ``jupyter-server``, ...).
#: Keras is not one: ``keras-hub`` is a course package that the text notebook installs.
NEVER_INSTALL_PREFIXES = ("tensorflow-", "tensorboard-", "jax", "nvidia-", "jupyter", "ipython-", "pytest-")
_REQUIREMENTS = ROOT / "requirements.txt"
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")


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


def hosted_runtime(environ=None, modules=None) -> str | None:
    """``"colab"``, ``"kaggle"`` or ``None`` (a laptop, Binder, CI).

    Examples
    --------
    >>> hosted_runtime({"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}, {})
    'kaggle'
    """
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    if "google.colab" in modules or "COLAB_RELEASE_TAG" in environ:
        return "colab"
    if "KAGGLE_KERNEL_RUN_TYPE" in environ or "KAGGLE_URL_BASE" in environ:
        return "kaggle"
    return None


def is_protected(name: str) -> bool:
    """True for a distribution of :data:`NEVER_INSTALL`, or of a family of :data:`NEVER_INSTALL_PREFIXES`."""
    name = normalise(name)
    return name in NEVER_INSTALL or name.startswith(NEVER_INSTALL_PREFIXES)


@dataclass
class Plan:
    """What the bootstrap would do.

    Attributes
    ----------
    install : list of str
        ``name==version`` requirements to pip-install (missing or out of range).
    keep : dict
        Protected packages left as they are: ``{name: installed version or "missing"}``.
    restart : bool
        True when an installed package is replaced, so a running kernel may hold the old one.
    """

    install: list[str] = field(default_factory=list)
    keep: dict[str, str] = field(default_factory=dict)
    restart: bool = False
    release: list[str] = field(default_factory=list)


#: KerasHub 0.30 (the first that reads the text notebook's checkpoint) needs Keras 3.15.
TEXT_MIN_KERAS = "3.15"


def add_text_needs(plan: Plan, pins: dict[str, str], installed: dict[str, str]) -> Plan:
    """What notebook 06 needs beyond :func:`make_plan` on a hosted runtime (changes ``plan`` and returns it).

    * Keras older than :data:`TEXT_MIN_KERAS`: Keras is pure Python, so it is upgraded to the
      locked version (the GPU build of TensorFlow is untouched) and a restart is asked for.
    * ``tensorflow-text`` missing: KerasHub needs it, and each release is built for one
      TensorFlow minor version, so the one matching the runtime's TensorFlow is installed
      (``~=X.Y.0``), never one that would replace TensorFlow.

    Examples
    --------
    >>> add_text_needs(Plan(), {"keras": "3.15.1"}, {"keras": "3.10.0", "tensorflow": "2.19.0"}).install
    ['keras==3.15.1', 'tensorflow-text~=2.19.0']
    """
    from packaging.version import Version

    keras = installed.get("keras")
    if keras is not None and Version(keras) < Version(TEXT_MIN_KERAS):
        plan.install.append(f"keras=={pins['keras']}")
        plan.release.append("keras")
        plan.restart = True
    tf = installed.get("tensorflow")
    if tf is not None and Version(tf) < Version("2.20"):
        # keras-hub 0.32 needs tensorflow-text >= 2.20.1, which is built for TensorFlow >= 2.20:
        # on an older runtime let pip pick 0.30 or 0.31 (both read the checkpoint)
        plan.install = ["keras-hub>=0.30,<0.32" if r.startswith("keras-hub==") else r for r in plan.install]
    if "tensorflow-text" not in installed and tf is not None:
        major, minor = Version(tf).release[:2]
        plan.install.append(f"tensorflow-text~={major}.{minor}.0")
        plan.release.append("tensorflow-text")
    return plan


def make_plan(requirements: list[str], pins: dict[str, str], installed: dict[str, str]) -> Plan:
    """Decide what to install so that ``installed`` satisfies the declared ``requirements``.

    Parameters
    ----------
    requirements : list of str
        Declared requirement strings, e.g. ``["seaborn>=0.13.2", "tensorflow>=2.19,<2.22"]``.
    pins : dict
        The lock, ``{normalised name: version}``: what to install when a package is needed.
    installed : dict
        ``{normalised name: version}`` of this environment.

    Examples
    --------
    >>> make_plan(["seaborn>=0.13.2", "numpy>=2.0"], {"seaborn": "0.13.2", "numpy": "2.4.6"}, {"numpy": "2.0.2"}).install
    ['seaborn==0.13.2']
    """
    from packaging.requirements import Requirement

    plan = Plan()
    for text in requirements:
        requirement = Requirement(text)
        name = requirement_name(text)
        have = installed.get(name)
        if is_protected(name):
            plan.keep[name] = have or "missing"
            continue
        if have is not None and requirement.specifier.contains(have, prereleases=True):
            continue
        if name not in pins:
            raise ValueError(f"{name} is declared in pyproject.toml but not in the lock; run make lock")
        plan.install.append(f"{name}=={pins[name]}")
        plan.restart |= have is not None
    return plan


def plan_here(text: bool = False) -> Plan:
    """The plan for this environment: the declared runtime dependencies (and with ``text``, the
    ``text`` extra for notebook 06) against what is installed."""
    pins, installed = read_pins(), installed_versions()
    plan = make_plan(declared("runtime", "text") if text else declared("runtime"), pins, installed)
    return add_text_needs(plan, pins, installed) if text else plan


def install(plan: Plan, installed: dict[str, str] | None = None, *, run=subprocess.run) -> None:
    """pip-install ``plan.install``, holding every installed protected package at its version."""
    if not plan.install:
        return
    installed = installed_versions() if installed is None else installed
    held = [f"{name}=={version}" for name, version in sorted(installed.items())
            if is_protected(name) and name not in plan.release]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(held) + "\n")
    try:
        run([sys.executable, "-m", "pip", "install", "--quiet", "-c", handle.name, *plan.install], check=True)
    finally:
        os.unlink(handle.name)


def describe(plan: Plan, runtime: str | None) -> str:
    where = {"colab": "Colab", "kaggle": "Kaggle", None: "not a hosted runtime"}[runtime]
    lines = [f"{where}: {len(plan.install)} package(s) to install" + (": " + " ".join(plan.install) if plan.install
                                                                     else " (everything the course needs is here)")]
    missing = [name for name, version in plan.keep.items() if version == "missing"]
    if missing:
        lines.append(f"Missing and not installed by the course (the runtime's own): {', '.join(missing)}")
    if runtime is None:
        lines.append("On a laptop, `make setup` installs the exact lock instead.")
    return "\n".join(lines)


def set_repo(slug: str, root: Path | str = ROOT) -> list[Path]:
    """Point this module, every notebook and the README at ``https://github.com/<slug>``.

    Returns the files changed. ``slug`` is ``owner/name`` as GitHub spells it.
    """
    if not _SLUG.match(slug or ""):
        raise ValueError(f"expected OWNER/NAME of a GitHub repository (e.g. my-org/transfer-learning), got {slug!r}")
    root = Path(root)
    old = COURSE_REPO.removeprefix("https://github.com/")
    files = [root / "utils" / "course" / "colab.py", root / "README.md", *sorted((root / "notebooks").glob("*.ipynb"))]
    changed = []
    for path in files:
        text = path.read_text()
        new = text.replace(old, slug)  # addresses (github.com/, Colab's /github/, Binder's /gh/) and prose
        if new != text:
            path.write_text(new)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "set-repo":
        try:
            changed = set_repo(args[1])
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
        print(f"{len(changed)} file(s) now point at https://github.com/{args[1]}")
        return 0
    text = "--text" in args
    args = [a for a in args if a != "--text"]
    if args not in (["plan"], ["install"]):
        print(__doc__)
        return 2
    runtime = hosted_runtime()
    plan = plan_here(text=text)
    print(describe(plan, runtime))
    if args == ["install"] and plan.install:
        install(plan)
        if plan.restart:
            print("Installed. Restart the runtime once (Runtime > Restart session), then run this cell again.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
