"""utils.course.reference: the fixed workload that turns notebook times into machine-independent ratios."""

import math

import pytest

from utils.course import reference


def test_the_workload_runs_in_a_child_process_and_reports_a_time():
    seconds = reference.measure(repeats=1)  # what it is depends on the machine: only its type is checked
    assert isinstance(seconds, float) and math.isfinite(seconds)


def test_a_failing_workload_is_reported(monkeypatch):
    monkeypatch.setattr(reference.sys, "executable", "/nonexistent/python")
    with pytest.raises((RuntimeError, OSError)):
        reference.measure(repeats=1)


def test_scale_is_the_ratio_to_the_baseline_and_refuses_nonsense():
    assert reference.scale(None) == 1.0
    assert reference.scale(3 * reference.BASELINE_SECONDS) == pytest.approx(3.0)
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="reference_seconds must be > 0"):
            reference.scale(bad)
