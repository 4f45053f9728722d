"""utils.reference: the fixed workload that turns notebook times into machine-independent ratios."""

import pytest

from utils import reference


def test_the_workload_runs_in_a_child_process_and_takes_a_positive_time():
    seconds = reference.measure(repeats=1)
    assert seconds > 0


def test_scale_is_the_ratio_to_the_baseline_and_refuses_nonsense():
    assert reference.scale(None) == 1.0
    assert reference.scale(3 * reference.BASELINE_SECONDS) == pytest.approx(3.0)
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="reference_seconds must be > 0"):
            reference.scale(bad)
