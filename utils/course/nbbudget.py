"""pytest plugin: the notebooks nbval executes must stay within the course budgets.

Loaded by the repository's ``conftest.py``. For every notebook that nbval runs it
adds up the time of its cells (kernel start and stop included) and reads the kernel's
peak resident memory (``VmHWM`` in ``/proc/<pid>/status``, Linux) just before nbval
stops the kernel. At the end of the session it prints a table and, when a notebook
is over :data:`utils.course.runner.PEAK_RSS_BYTES`, or far over its time budget
(:data:`TIME_SLACK` times :data:`utils.course.runner.NOTEBOOK_SECONDS`, or all of them that many
times :data:`utils.course.runner.COURSE_SECONDS`), fails the run with a message naming the
notebook, so ``make test`` (and CI) catches a notebook that has grown past its budget.
Time is judged as a ratio and loosely on purpose: after the notebooks, the reference workload
(:mod:`utils.course.reference`) is timed on the same machine, the time budgets are scaled by its ratio
to the baseline when that ratio is above 1 (a slower machine gets more time; a faster one is not
held to less, since the short reference is noisier than the notebooks), and then by
:data:`TIME_SLACK`, since the load of a busy machine changes while the notebooks run; a red CI for
that reason would be noise. ``make course`` measures time on a
quiet machine. Memory does not depend on load, so its budget stays strict.
``TL_SKIP_REFERENCE=1`` skips the reference (the budgets then apply as they are, times the slack). ``TL_SKIP_BUDGETS=1`` reports without failing (for a slower
machine); ``TL_BUDGET_NOTEBOOK_SECONDS``, ``TL_BUDGET_COURSE_SECONDS`` and
``TL_BUDGET_PEAK_GIB`` change the limits.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .reference import BASELINE_SECONDS, scale
from .runner import NotebookRun, budget_limits, check_budgets

TIME_SLACK = 3.0

_runs: dict[str, NotebookRun] = {}
_limits: dict = {}


def pytest_configure(config):
    try:  # read the limits now: a bad value should stop the run before the notebooks, not after
        limits = budget_limits()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    _limits.update(limits, notebook_seconds=TIME_SLACK * limits["notebook_seconds"],
                   course_seconds=TIME_SLACK * limits["course_seconds"])


def _is_notebook_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell" and hasattr(item.parent, "kernel")


def kernel_peak_rss_bytes(pid: int) -> int:
    """Peak resident memory of process ``pid`` (``VmHWM``), 0 where ``/proc`` cannot tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _kernel_pid(notebook) -> int | None:
    kernel = getattr(notebook, "kernel", None)
    provisioner = getattr(getattr(kernel, "km", None), "provisioner", None)
    return getattr(provisioner, "pid", None)


def pytest_runtest_logreport(report):
    if getattr(report, "nbbudget_notebook", None) is None:
        return
    run = _runs.setdefault(report.nbbudget_notebook, NotebookRun(report.nbbudget_notebook, 0.0, 0))
    run.seconds += report.duration  # a failing cell is a test failure already; only the cost is kept here


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if _is_notebook_cell(item):
        outcome.get_result().nbbudget_notebook = Path(str(item.parent.fspath)).name


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    if _is_notebook_cell(item) and (nextitem is None or nextitem.parent is not item.parent):
        pid = _kernel_pid(item.parent)  # last cell of this notebook: the kernel is still running
        if pid is not None:
            name = Path(str(item.parent.fspath)).name
            run = _runs.setdefault(name, NotebookRun(name, 0.0, 0))
            run.peak_rss_bytes = max(run.peak_rss_bytes, kernel_peak_rss_bytes(pid))
    yield


def pytest_terminal_summary(terminalreporter):
    if not _runs:
        return
    terminalreporter.section("notebook budgets (README: budgets)")
    for run in _runs.values():
        memory = f"{run.peak_rss_bytes / 1024**3:.2f} GiB" if run.peak_rss_bytes else "not measured"
        terminalreporter.write_line(f"{run.notebook}: {run.seconds:.0f} s, peak {memory}")
    terminalreporter.write_line(f"all notebooks: {sum(r.seconds for r in _runs.values()):.0f} s")
    reference = _reference_seconds()
    if reference:
        terminalreporter.write_line(f"reference workload: {reference:.2f} s here, {BASELINE_SECONDS:.2f} s where the "
                                    f"budgets were set; time budgets scaled by {budget_scale(reference):.2f}, "
                                    f"then by {TIME_SLACK:g} (load)")
    for problem in _problems():
        terminalreporter.write_line(f"OVER BUDGET: {problem}", red=True)


_reference: list[float] = []


def _reference_seconds() -> float | None:
    """The reference workload's time on this machine now (measured once, after the notebooks)."""
    if not _reference and os.environ.get("TL_SKIP_REFERENCE", "") not in ("1", "true", "yes"):
        from .reference import measure

        try:
            _reference.append(measure())
        except RuntimeError:
            return None
    return _reference[0] if _reference else None


def budget_scale(reference_seconds: float | None) -> float:
    """How much the time budgets grow on this machine: the reference's ratio to the baseline, never below 1."""
    return scale(reference_seconds)  # scale never shrinks a budget


def _problems() -> list[str]:
    return check_budgets(list(_runs.values()), **_limits, reference_seconds=_reference_seconds())


def pytest_sessionfinish(session, exitstatus):
    skip = os.environ.get("TL_SKIP_BUDGETS", "") in ("1", "true", "yes")
    if _runs and not skip and session.exitstatus == pytest.ExitCode.OK and _problems():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
