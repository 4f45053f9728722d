"""The course's budgets, and the check of a run against them.

Each notebook may take 3 minutes (the text notebook, which runs a real 22.7 M-parameter encoder,
6 minutes) and 2 GiB on the offline track, the whole course 15 minutes,
on the 2-core machine the budgets were set on; on another machine the time budgets are scaled
by the reference workload (:mod:`utils.course.reference`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

NOTEBOOK_SECONDS = 180.0
COURSE_SECONDS = 900.0
PEAK_RSS_BYTES = 2 * 1024**3
#: Notebooks allowed a multiple of :data:`NOTEBOOK_SECONDS` (by file name).
NOTEBOOK_SECONDS_FACTOR = {"06_transfer_learning_for_text.ipynb": 2.0}


def notebook_budget(notebook: str, notebook_seconds: float = NOTEBOOK_SECONDS) -> float:
    """The time budget of one notebook: ``notebook_seconds``, times its factor in :data:`NOTEBOOK_SECONDS_FACTOR`.

    Examples
    --------
    >>> notebook_budget("06_transfer_learning_for_text.ipynb"), notebook_budget("01_feature_extraction.ipynb")
    (360.0, 180.0)
    """
    return notebook_seconds * NOTEBOOK_SECONDS_FACTOR.get(notebook.rsplit("/", 1)[-1], 1.0)



@dataclass
class NotebookRun:
    """One notebook's headless execution.

    Attributes
    ----------
    notebook : str
        File name, e.g. ``"02_fine_tuning.ipynb"``.
    seconds : float
        Wall time from kernel start to kernel shutdown.
    peak_rss_bytes : int
        The kernel's peak resident memory (0 if it could not be measured).
    error : str or None
        ``None`` when every cell ran; else which cell failed and how.
    """

    notebook: str
    seconds: float
    peak_rss_bytes: int
    error: str | None = None

    @property
    def peak_rss_gb(self) -> float:
        return self.peak_rss_bytes / 1024**3


def budget_limits(environ=None) -> dict:
    """The budgets, with ``TL_BUDGET_NOTEBOOK_SECONDS``, ``TL_BUDGET_COURSE_SECONDS`` and
    ``TL_BUDGET_PEAK_GIB`` overriding the defaults (for a slower machine); keyword arguments
    of :func:`check_budgets`."""
    environ = os.environ if environ is None else environ

    def limit(name, default):
        value = str(environ.get(name, "")).strip()
        if not value:
            return default
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not number > 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")
        return number

    return {"notebook_seconds": limit("TL_BUDGET_NOTEBOOK_SECONDS", NOTEBOOK_SECONDS),
            "course_seconds": limit("TL_BUDGET_COURSE_SECONDS", COURSE_SECONDS),
            "peak_rss_bytes": int(limit("TL_BUDGET_PEAK_GIB", PEAK_RSS_BYTES / 1024**3) * 1024**3)}


def check_budgets(runs, *, notebook_seconds: float = NOTEBOOK_SECONDS, course_seconds: float = COURSE_SECONDS,
                  peak_rss_bytes: int = PEAK_RSS_BYTES, reference_seconds: float | None = None) -> list[str]:
    """Every way ``runs`` break the budgets, as sentences (empty when all is well).

    Parameters
    ----------
    runs : sequence of NotebookRun
    notebook_seconds, course_seconds : float
        Wall-time budget of one notebook and of all of them, on the machine where the budgets
        were set (:data:`utils.course.reference.BASELINE_SECONDS`).
    peak_rss_bytes : int
        Memory budget of one notebook's kernel.
    reference_seconds : float or None
        The reference workload's time measured in the same run: the time budgets are scaled by
        its ratio to the baseline, so a notebook is judged by its time as a multiple of the
        reference. ``None`` applies the budgets as they are.
    """
    from .reference import scale

    factor = scale(reference_seconds)
    notebook_seconds, course_seconds = notebook_seconds * factor, course_seconds * factor
    problems = []
    for run in runs:
        if run.error is not None:
            problems.append(f"{run.notebook} failed: {run.error}")
        limit = notebook_budget(run.notebook, notebook_seconds)
        if run.seconds > limit:
            problems.append(f"{run.notebook} took {run.seconds:.0f} s, over its budget of {limit:.0f} s"
                            + (f" ({run.seconds / reference_seconds:.1f} times the reference workload)"
                               if reference_seconds else ""))
        if run.peak_rss_bytes > peak_rss_bytes:
            problems.append(f"{run.notebook} peaked at {run.peak_rss_gb:.2f} GiB of memory, over its budget of "
                            f"{peak_rss_bytes / 1024**3:.2f} GiB")
    total = sum(run.seconds for run in runs)
    if total > course_seconds:
        problems.append(f"the notebooks took {total:.0f} s in all, over the course budget of {course_seconds:.0f} s")
    return problems
