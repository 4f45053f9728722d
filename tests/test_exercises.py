"""The exercises' self-check and the course figure style."""

import matplotlib
import numpy as np
import pytest

from utils import check_answer, plot_reliability_diagram, set_course_style

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _restore_matplotlib_settings():
    """set_course_style changes global settings; other test modules must not see them."""
    with matplotlib.rc_context():
        yield


def verdict(capsys, *args, **kwargs):
    assert check_answer(*args, **kwargs) is None  # nothing to display under the cell but the printed verdict
    return capsys.readouterr().out


def test_a_placeholder_answer_is_not_done_yet_and_does_not_raise(capsys):
    assert "not done yet" in verdict(capsys, "accuracy", None, 0.9)
    assert "not done yet" in verdict(capsys, "accuracy", ..., 0.9)


def test_numbers_and_arrays_within_the_tolerance_are_right(capsys):
    assert verdict(capsys, "accuracy", 0.905, 0.9, tolerance=0.01).startswith("✔")
    assert verdict(capsys, "counts", [1, 2, 3], np.array([1, 2, 3])).startswith("✔")


def test_a_wrong_answer_says_so_with_the_hint(capsys):
    out = verdict(capsys, "accuracy", 0.5, 0.9, tolerance=0.01, hint="use the test split")
    assert out.startswith("✘") and "not right" in out and "use the test split" in out


def test_shapes_must_match_and_strings_compare_without_case(capsys):
    assert verdict(capsys, "counts", [1, 2], [1, 2, 3]).startswith("✘")
    assert verdict(capsys, "layer", " Block2_pool", "block2_pool").startswith("✔")
    assert verdict(capsys, "layer", 3, "block2_pool").startswith("✘")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "", "answer": 1, "expected": 1}, "name"),
    ({"name": "x", "answer": 1, "expected": None}, "expected value is missing"),
    ({"name": "x", "answer": 1, "expected": 1, "tolerance": -1}, "tolerance"),
])
def test_bad_calls_are_refused_with_a_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_answer(**kwargs)


def test_the_course_style_sets_a_readable_resolution():
    import matplotlib.pyplot as plt

    set_course_style()
    assert plt.rcParams["figure.dpi"] >= 100 and plt.rcParams["savefig.dpi"] >= 100
    with pytest.raises(ValueError, match=">= 100"):
        set_course_style(dpi=72)


def test_the_reliability_diagram_writes_each_bin_count_beside_its_point():
    import matplotlib.pyplot as plt

    probs = np.array([[0.95, 0.05], [0.9, 0.1], [0.15, 0.85], [0.75, 0.25]])
    ax = plot_reliability_diagram([0, 0, 1, 1], {"model": probs}, n_bins=5)
    counts = sorted(int(t.get_text()) for t in ax.texts)
    assert counts == [1, 3] and sum(counts) == len(probs)
    assert not plot_reliability_diagram([0, 0, 1, 1], {"m": probs}, n_bins=5, show_counts=False).texts
    plt.close("all")


def test_the_plot_helpers_do_not_fight_the_course_style_layout():
    import warnings

    import matplotlib.pyplot as plt

    from utils import plot_history, plot_image_grid

    set_course_style()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "The figure layout has changed to tight" would fail here
        plot_image_grid(np.zeros((4, 8, 8)), [0, 1, 2, 3], title="grid")
        plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, metrics=["loss"])
    plt.close("all")
