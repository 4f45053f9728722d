"""Tests of utils.metrics: calibration, temperature scaling, bootstrap, McNemar, paired seeds, transfer summaries."""

from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from scipy import special, stats
from sklearn.metrics import accuracy_score, f1_score, log_loss

from utils.metrics import (
    apply_temperature,
    bootstrap_ci,
    expected_calibration_error,
    fit_temperature,
    mcnemar_test,
    paired_difference,
    plot_reliability_diagram,
    relative_error_reduction,
    reliability_curve,
    transfer_gain,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _probs_with_top(top, n_classes, predicted):
    """Rows whose largest probability is ``top[i]`` on class ``predicted[i]``, the rest spread evenly."""
    top = np.asarray(top, dtype=float)
    probs = np.tile(((1 - top) / (n_classes - 1))[:, None], (1, n_classes))
    probs[np.arange(len(top)), predicted] = top
    return probs


def _group(confidence, n, n_correct, n_classes=4):
    """``n`` examples predicted as class 0 with ``confidence``, of which ``n_correct`` are right."""
    probs = _probs_with_top(np.full(n, confidence), n_classes, np.zeros(n, dtype=int))
    y = np.r_[np.zeros(n_correct, dtype=int), np.ones(n - n_correct, dtype=int)]
    return y, probs


def _concat(*groups):
    return np.concatenate([g[0] for g in groups]), np.concatenate([g[1] for g in groups])


def _sample_labels(probs, rng):
    u = rng.random(len(probs))[:, None]
    return np.minimum((probs.cumsum(axis=1) < u).sum(axis=1), probs.shape[1] - 1)


def _overconfident_task(n=4000, n_classes=5, factor=3.0, seed=0):
    rng = np.random.default_rng(seed)
    true_logits = rng.normal(scale=1.5, size=(n, n_classes))
    y = _sample_labels(special.softmax(true_logits, axis=1), rng)
    return true_logits * factor, y


# ---------------------------------------------------------------- ECE
def test_ece_is_zero_when_accuracy_equals_confidence_in_every_bin():
    y, probs = _concat(_group(0.7, 10, 7), _group(0.9, 20, 18), _group(0.4, 5, 2), _group(1.0, 4, 4))
    assert expected_calibration_error(y, probs) == pytest.approx(0.0, abs=1e-12)
    assert expected_calibration_error(y, probs, n_bins=10) == pytest.approx(0.0, abs=1e-12)


def test_ece_is_one_when_certain_and_always_wrong():
    n = 12
    probs = np.zeros((n, 3))
    probs[:, 2] = 1.0
    y = np.arange(n) % 2  # classes 0 and 1, never the predicted 2
    assert expected_calibration_error(y, probs) == pytest.approx(1.0)
    assert expected_calibration_error(y, probs, n_bins=1) == pytest.approx(1.0)


def test_ece_hand_computed_two_bins():
    # bin (0, 0.5]: 4 examples at confidence 0.3, 1 right -> gap |0.25 - 0.3| = 0.05, weight 0.4
    # bin (0.5, 1]: 6 examples at confidence 0.9, 3 right -> gap |0.5 - 0.9| = 0.4, weight 0.6
    y, probs = _concat(_group(0.3, 4, 1), _group(0.9, 6, 3))
    assert expected_calibration_error(y, probs, n_bins=2) == pytest.approx(0.4 * 0.05 + 0.6 * 0.4)
    # one bin: |mean accuracy - mean confidence| = |0.4 - 0.66|
    assert expected_calibration_error(y, probs, n_bins=1) == pytest.approx(abs(0.4 - (4 * 0.3 + 6 * 0.9) / 10))


def test_ece_quantile_bins_split_by_mass():
    y, probs = _concat(_group(0.6, 1, 1, 2), _group(0.7, 1, 0, 2), _group(0.8, 1, 1, 2), _group(0.9, 1, 1, 2))
    # two equal-width bins: all in (0.5, 1], accuracy 0.75 = mean confidence 0.75
    assert expected_calibration_error(y, probs, n_bins=2) == pytest.approx(0.0, abs=1e-12)
    # two equal-mass bins {0.6, 0.7} and {0.8, 0.9}: gaps |0.5 - 0.65| and |1 - 0.85|, half the weight each
    assert expected_calibration_error(y, probs, n_bins=2, strategy="quantile") == pytest.approx(0.15)


def test_quantile_bins_hold_about_equal_counts():
    rng = np.random.default_rng(0)
    probs = special.softmax(rng.normal(scale=2.0, size=(1000, 4)), axis=1)
    y = _sample_labels(probs, rng)
    _, _, count = reliability_curve(y, probs, n_bins=10, strategy="quantile")
    assert len(count) == 10 and count.sum() == 1000
    assert count.min() >= 95 and count.max() <= 105
    ece_q = expected_calibration_error(y, probs, strategy="quantile")
    assert 0 <= ece_q < 0.1  # labels drawn from the probabilities: calibrated up to noise


def test_confidence_of_exactly_one_goes_in_last_bin():
    y, probs = _concat(_group(1.0, 3, 3), _group(0.95, 2, 1))
    conf, acc, count = reliability_curve(y, probs, n_bins=2)
    np.testing.assert_array_equal(count, [5])
    np.testing.assert_allclose(conf, [0.98])
    np.testing.assert_allclose(acc, [0.8])


@pytest.mark.parametrize(
    ("y", "probs", "match"),
    [
        ([0, 1], [0.3, 0.7], "2-D array"),
        ([0, 1], [[1.0], [1.0]], "at least 2 classes"),
        ([0, 1], [[2.0, -1.0], [0.5, 0.5]], "softmax of logits"),
        ([0, 1], [[0.6, 0.6], [0.5, 0.5]], "softmax of logits"),
        ([0, 2], [[0.4, 0.6], [0.5, 0.5]], r"in \[0, 2\)"),
        ([0, -1], [[0.4, 0.6], [0.5, 0.5]], r"in \[0, 2\)"),
        ([0, 1, 1], [[0.4, 0.6], [0.5, 0.5]], "3 labels but there are 2"),
        ([0.5, 1], [[0.4, 0.6], [0.5, 0.5]], "integer class indices"),
        ([[1, 0], [0, 1]], [[0.4, 0.6], [0.5, 0.5]], "argmax"),
        ([0, 1], [[np.nan, 0.5], [0.5, 0.5]], "NaN"),
    ],
)
def test_ece_rejects_bad_inputs(y, probs, match):
    with pytest.raises(ValueError, match=match):
        expected_calibration_error(y, probs)


@pytest.mark.parametrize("n_bins", [0, -3, 2.5, True, "10"])
def test_ece_rejects_bad_n_bins(n_bins):
    with pytest.raises(ValueError, match="n_bins must be an integer >= 1"):
        expected_calibration_error([0, 1], [[0.4, 0.6], [0.5, 0.5]], n_bins=n_bins)


def test_ece_rejects_unknown_strategy():
    with pytest.raises(ValueError, match="strategy must be one of"):
        expected_calibration_error([0, 1], [[0.4, 0.6], [0.5, 0.5]], strategy="kmeans")


def test_ece_accepts_small_rounding_in_row_sums_and_float_labels():
    probs = np.array([[0.3, 0.7004], [0.8, 0.1999]])
    assert expected_calibration_error(np.array([1.0, 0.0]), probs) == pytest.approx(
        expected_calibration_error([1, 0], probs)
    )


# ---------------------------------------------------------------- reliability curve and diagram
def test_reliability_curve_matches_hand_computation():
    y, probs = _concat(_group(0.3, 4, 1), _group(0.9, 6, 3), _group(0.95, 2, 2))
    conf, acc, count = reliability_curve(y, probs, n_bins=2)
    np.testing.assert_array_equal(count, [4, 8])
    np.testing.assert_allclose(conf, [0.3, (6 * 0.9 + 2 * 0.95) / 8])
    np.testing.assert_allclose(acc, [0.25, 5 / 8])
    conf, acc, count = reliability_curve(y, probs, n_bins=20)  # 0.9 -> (0.85, 0.9], 0.95 -> (0.9, 0.95]
    np.testing.assert_array_equal(count, [4, 6, 2])
    np.testing.assert_allclose(acc, [0.25, 0.5, 1.0])


def test_reliability_curve_counts_sum_to_n_and_skip_empty_bins():
    rng = np.random.default_rng(1)
    probs = special.softmax(rng.normal(scale=3.0, size=(500, 10)), axis=1)
    y = rng.integers(0, 10, 500)
    conf, acc, count = reliability_curve(y, probs, n_bins=15)
    assert count.sum() == 500 and np.all(count > 0)
    assert len(conf) == len(acc) == len(count) <= 15
    assert np.all(np.diff(conf) > 0)
    assert np.all((acc >= 0) & (acc <= 1))
    # the ECE is the count-weighted gap of the curve
    assert expected_calibration_error(y, probs) == pytest.approx(np.sum(count / 500 * np.abs(acc - conf)))


def test_reliability_diagram_one_line_per_model_plus_diagonal():
    logits, y = _overconfident_task(n=600)
    models = {"raw": special.softmax(logits, axis=1), "scaled": apply_temperature(logits, 3.0)}
    ax = plot_reliability_diagram(y, models, n_bins=10, title="calibration")
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[0].get_xydata(), [[0, 0], [1, 1]])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for name, probs in models.items():
        ece = expected_calibration_error(y, probs, n_bins=10)
        assert any(label == f"{name} (ECE {ece:.3f})" for label in labels)
    conf, acc, _ = reliability_curve(y, models["raw"], n_bins=10)
    np.testing.assert_allclose(ax.lines[1].get_xydata(), np.column_stack([conf, acc]))
    assert ax.get_title() == "calibration"


def test_reliability_diagram_draws_on_given_axes_with_histogram():
    logits, y = _overconfident_task(n=300)
    fig, (left, right) = plt.subplots(1, 2)
    ax = plot_reliability_diagram(y, {"m": special.softmax(logits, axis=1)}, ax=right, show_histogram=True)
    assert ax is right and not left.lines
    assert len(ax.lines) == 2
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 10 and sum(heights) == pytest.approx(1.0)


def test_reliability_diagram_rejects_bad_inputs():
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_reliability_diagram([0, 1], {})
    with pytest.raises(ValueError, match="model 'bad'.*softmax of logits"):
        plot_reliability_diagram([0, 1], {"good": [[0.4, 0.6], [0.5, 0.5]], "bad": [[3.0, -1.0], [0.0, 2.0]]})


# ---------------------------------------------------------------- temperature scaling
def _nll(logits, y, temperature):
    return log_loss(y, apply_temperature(logits, temperature), labels=np.arange(logits.shape[1]))


def test_fit_temperature_recovers_overconfidence_factor():
    logits, y = _overconfident_task(n=4000, factor=3.0)
    temperature = fit_temperature(logits, y)
    assert temperature == pytest.approx(3.0, rel=0.15)
    assert _nll(logits, y, temperature) < _nll(logits, y, 1.0)
    # the fitted T is a minimum of the NLL
    assert _nll(logits, y, temperature) <= min(_nll(logits, y, temperature * 0.95), _nll(logits, y, temperature * 1.05))
    ece_before = expected_calibration_error(y, apply_temperature(logits, 1.0))
    ece_after = expected_calibration_error(y, apply_temperature(logits, temperature))
    assert ece_after < ece_before / 2


def test_fit_temperature_below_one_for_underconfident_logits():
    logits, y = _overconfident_task(n=3000, factor=0.5, seed=3)
    assert fit_temperature(logits, y) == pytest.approx(0.5, rel=0.15)


def test_fit_temperature_warns_when_everything_is_correct():
    logits = np.array([[2.0, 0.0], [0.0, 2.0], [3.0, 1.0], [-1.0, 1.0]])
    with pytest.warns(RuntimeWarning, match="meaningless"):
        temperature = fit_temperature(logits, [0, 1, 0, 1])
    assert temperature == pytest.approx(0.05, rel=1e-2)


def test_fit_temperature_warns_at_the_upper_bound_when_every_example_is_wrong():
    logits = np.array([[0.0, 2.0], [2.0, 0.0], [1.0, 3.0]])
    with pytest.warns(RuntimeWarning, match="edge of bounds"):
        temperature = fit_temperature(logits, [0, 1, 0])
    assert temperature == pytest.approx(20.0, rel=1e-2)


@pytest.mark.parametrize("bounds", [(0.0, 10.0), (5.0, 1.0), (1.0, np.inf), (1.0,), "ab"])
def test_fit_temperature_rejects_bad_bounds(bounds):
    logits, y = _overconfident_task(n=20)
    with pytest.raises(ValueError, match="bounds"):
        fit_temperature(logits, y, bounds=bounds)


def test_fit_temperature_rejects_bad_logits_and_labels():
    with pytest.raises(ValueError, match="2-D"):
        fit_temperature(np.zeros(5), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="NaN or infinite"):
        fit_temperature([[0.0, np.inf]], [0])
    with pytest.raises(ValueError, match="2 labels but there are 1"):
        fit_temperature([[0.0, 1.0]], [0, 1])


def test_apply_temperature_one_is_softmax_and_keeps_argmax():
    logits, _ = _overconfident_task(n=200)
    np.testing.assert_allclose(apply_temperature(logits, 1.0), special.softmax(logits, axis=1))
    for temperature in (0.1, 0.5, 2, 10.0, np.float32(7.5)):
        probs = apply_temperature(logits, temperature)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0)
        np.testing.assert_array_equal(probs.argmax(axis=1), logits.argmax(axis=1))
    # higher temperature -> lower confidence
    assert apply_temperature(logits, 4.0).max(axis=1).mean() < apply_temperature(logits, 1.0).max(axis=1).mean()


@pytest.mark.parametrize("temperature", [0, -1.0, np.nan, np.inf, True, "2", None])
def test_apply_temperature_rejects_bad_temperature(temperature):
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        apply_temperature([[0.0, 1.0]], temperature)


# ---------------------------------------------------------------- bootstrap
def _labels_with_accuracy(n, accuracy, n_classes=5, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    wrong = rng.permutation(n)[: round(n * (1 - accuracy))]
    pred = y.copy()
    pred[wrong] = (y[wrong] + rng.integers(1, n_classes, len(wrong))) % n_classes
    return y, pred


def test_bootstrap_estimate_and_interval_for_accuracy():
    y, pred = _labels_with_accuracy(450, 0.8)
    estimate, low, high = bootstrap_ci(accuracy_score, y, pred)
    assert estimate == accuracy_score(y, pred) == pytest.approx(0.8)
    assert low <= estimate <= high
    half_width = 1.96 * np.sqrt(0.8 * 0.2 / 450)  # normal approximation
    assert low == pytest.approx(0.8 - half_width, abs=0.01)
    assert high == pytest.approx(0.8 + half_width, abs=0.01)


def test_bootstrap_is_reproducible_and_matches_scipy():
    y, pred = _labels_with_accuracy(200, 0.7)
    first = bootstrap_ci(accuracy_score, y, pred, n_resamples=300, seed=5)
    assert bootstrap_ci(accuracy_score, y, pred, n_resamples=300, seed=5) == first
    assert bootstrap_ci(accuracy_score, y, pred, n_resamples=300, seed=6)[1:] != first[1:]
    reference = stats.bootstrap(
        (np.arange(200),),
        lambda i: accuracy_score(y[i], pred[i]),
        vectorized=False,
        n_resamples=300,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(5),
    ).confidence_interval
    assert first[1:] == pytest.approx((reference.low, reference.high))


def test_bootstrap_interval_narrows_with_more_data_and_lower_confidence():
    small = bootstrap_ci(accuracy_score, *_labels_with_accuracy(100, 0.8), n_resamples=500)
    large = bootstrap_ci(accuracy_score, *_labels_with_accuracy(2000, 0.8), n_resamples=500)
    assert large[2] - large[1] < (small[2] - small[1]) / 2
    y, pred = _labels_with_accuracy(300, 0.8)
    wide = bootstrap_ci(accuracy_score, y, pred, confidence=0.99, n_resamples=500)
    narrow = bootstrap_ci(accuracy_score, y, pred, confidence=0.5, n_resamples=500)
    assert wide[1] <= narrow[1] <= narrow[2] <= wide[2]


def test_bootstrap_macro_f1_and_score_matrices():
    y, pred = _labels_with_accuracy(300, 0.75)
    macro_f1 = partial(f1_score, average="macro")
    estimate, low, high = bootstrap_ci(macro_f1, y, pred, n_resamples=200)
    assert estimate == pytest.approx(macro_f1(y, pred))
    assert low <= estimate <= high
    # 2-D scores: rows are resampled together with the labels
    logits, y = _overconfident_task(n=300)
    probs = special.softmax(logits, axis=1)
    metric = partial(log_loss, labels=np.arange(5))
    estimate, low, high = bootstrap_ci(metric, y, probs, n_resamples=200)
    assert estimate == pytest.approx(log_loss(y, probs))
    assert low < estimate < high


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"confidence": 0}, "strictly between 0 and 1"),
        ({"confidence": 1}, "strictly between 0 and 1"),
        ({"confidence": 95}, "strictly between 0 and 1"),
        ({"n_resamples": 0}, "n_resamples must be an integer >= 1"),
        ({"n_resamples": 10.0}, "n_resamples must be an integer >= 1"),
    ],
)
def test_bootstrap_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bootstrap_ci(accuracy_score, [0, 1, 1], [0, 1, 0], **kwargs)


def test_bootstrap_rejects_bad_data_and_metric():
    with pytest.raises(ValueError, match="3 examples but y_pred has 2"):
        bootstrap_ci(accuracy_score, [0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="at least 2 test examples"):
        bootstrap_ci(accuracy_score, [0], [0])
    with pytest.raises(ValueError, match="callable"):
        bootstrap_ci("accuracy", [0, 1], [0, 1])
    with pytest.raises(ValueError, match="single number"):
        bootstrap_ci(partial(f1_score, average=None), [0, 1, 1], [0, 1, 0])


# ---------------------------------------------------------------- McNemar
def test_mcnemar_counts_and_exact_p_value():
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    a = np.array([0, 1, 2, 0, 1, 2, 0, 0, 0, 1])  # wrong on the last 3
    b = np.array([0, 0, 0, 0, 0, 2, 0, 1, 2, 1])  # wrong on 1, 2, 4 and the last
    result = mcnemar_test(y, a, b)
    assert (result["b"], result["c"]) == (3, 2)  # A right & B wrong: 1, 2, 4; A wrong & B right: 7, 8
    assert result["method"] == "exact"
    assert result["p_value"] == pytest.approx(stats.binomtest(3, 5, 0.5).pvalue)
    assert result["p_value"] == pytest.approx(1.0)
    assert result["statistic"] == 2.0


def test_mcnemar_chi_square_for_many_discordant_pairs():
    n_b, n_c, n_same = 40, 15, 100
    y = np.zeros(n_b + n_c + n_same, dtype=int)
    a = np.r_[np.zeros(n_b), np.ones(n_c), np.zeros(n_same)].astype(int)
    b = np.r_[np.ones(n_b), np.zeros(n_c), np.zeros(n_same)].astype(int)
    result = mcnemar_test(y, a, b)
    assert (result["b"], result["c"], result["method"]) == (40, 15, "chi2")
    expected = (abs(40 - 15) - 1) ** 2 / 55
    assert result["statistic"] == pytest.approx(expected)
    assert result["p_value"] == pytest.approx(stats.chi2.sf(expected, 1))
    assert result["p_value"] < 0.01
    forced = mcnemar_test(y, a, b, exact=True)
    assert forced["method"] == "exact"
    assert forced["p_value"] == pytest.approx(stats.binomtest(40, 55, 0.5).pvalue)
    assert mcnemar_test(y[: 3 + n_b], a[: 3 + n_b], b[: 3 + n_b], exact=False)["method"] == "chi2"


@pytest.mark.parametrize("n_b", [3, 30])
def test_mcnemar_is_symmetric_in_the_two_models(n_b):
    rng = np.random.default_rng(n_b)
    y = rng.integers(0, 3, 200)
    a = np.where(rng.random(200) < 0.8, y, (y + 1) % 3)
    b = a.copy()
    flip = rng.permutation(200)[:n_b]
    b[flip] = np.where(a[flip] == y[flip], (y[flip] + 1) % 3, y[flip])
    ab, ba = mcnemar_test(y, a, b), mcnemar_test(y, b, a)
    assert (ab["b"], ab["c"]) == (ba["c"], ba["b"])
    assert ab["b"] + ab["c"] == n_b
    assert ab["p_value"] == pytest.approx(ba["p_value"])
    assert ab["statistic"] == pytest.approx(ba["statistic"])


def test_mcnemar_identical_predictions_and_string_labels():
    y = ["cat", "dog", "cat", "bird"]
    pred = ["cat", "cat", "cat", "bird"]
    result = mcnemar_test(y, pred, list(pred))
    assert result == {"b": 0, "c": 0, "statistic": 0.0, "p_value": 1.0, "method": "exact"}
    assert mcnemar_test(y, pred, pred, exact=False)["p_value"] == 1.0


def test_mcnemar_equal_discordant_counts_give_p_one():
    y = np.zeros(60, dtype=int)
    a = np.r_[np.zeros(30), np.ones(30)].astype(int)
    result = mcnemar_test(y, a, 1 - a)
    assert (result["b"], result["c"], result["method"]) == (30, 30, "chi2")
    assert result["statistic"] == 0.0 and result["p_value"] == 1.0  # the correction never overshoots zero


def test_mcnemar_rejects_bad_inputs():
    with pytest.raises(ValueError, match="same length"):
        mcnemar_test([0, 1, 1], [0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="argmax"):
        mcnemar_test([0, 1], [[0.9, 0.1], [0.2, 0.8]], [0, 1])
    with pytest.raises(ValueError, match="exact must be"):
        mcnemar_test([0, 1], [0, 1], [0, 1], exact="yes")


# ---------------------------------------------------------------- transfer summaries
def test_transfer_gain_and_relative_error_reduction_hand_cases():
    assert transfer_gain(0.9, 0.8) == pytest.approx(0.1)
    assert relative_error_reduction(0.9, 0.8) == pytest.approx(0.5)
    assert isinstance(transfer_gain(0.9, 0.8), float)
    assert isinstance(relative_error_reduction(0.9, 0.8), float)
    assert relative_error_reduction(1.0, 0.6) == pytest.approx(1.0)
    assert transfer_gain(0.7, 0.7) == 0.0 and relative_error_reduction(0.7, 0.7) == 0.0


def test_negative_transfer_is_negative():
    assert transfer_gain(0.7, 0.8) == pytest.approx(-0.1)
    assert relative_error_reduction(0.7, 0.8) == pytest.approx(-0.5)


def test_transfer_summaries_on_arrays():
    pretrained = np.array([0.9, 0.95, 0.6])
    scratch = np.array([0.8, 0.9, 0.7])
    np.testing.assert_allclose(transfer_gain(pretrained, scratch), [0.1, 0.05, -0.1])
    np.testing.assert_allclose(relative_error_reduction(pretrained, scratch), [0.5, 0.5, -1 / 3])
    np.testing.assert_allclose(transfer_gain([0.9, 0.85], 0.8), [0.1, 0.05])  # broadcasting


@pytest.mark.parametrize("function", [transfer_gain, relative_error_reduction])
@pytest.mark.parametrize(
    ("pretrained", "scratch"), [(90, 0.8), (0.9, -0.1), (np.nan, 0.5), ([0.5, 1.2], 0.5), ("x", 0.5)]
)
def test_transfer_summaries_reject_values_outside_unit_interval(function, pretrained, scratch):
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        function(pretrained, scratch)


def test_relative_error_reduction_undefined_for_perfect_scratch():
    with pytest.raises(ValueError, match="no errors"):
        relative_error_reduction(1.0, 1.0)
    with pytest.raises(ValueError, match="no errors"):
        relative_error_reduction([0.9, 1.0], [0.8, 1.0])
    assert transfer_gain(0.9, 1.0) == pytest.approx(-0.1)


def test_mcnemar_rejects_empty_input():
    import pytest as _pytest

    from utils.metrics import mcnemar_test

    with _pytest.raises(ValueError, match="at least one test example"):
        mcnemar_test([], [], [])


# ---------------------------------------------------------------- paired_difference
def test_paired_difference_matches_scipy_and_the_t_interval():
    a = np.array([0.90, 0.93, 0.88, 0.95, 0.91])
    b = np.array([0.87, 0.92, 0.86, 0.91, 0.90])
    result = paired_difference(a, b)
    d = a - b
    assert result["mean"] == pytest.approx(d.mean())
    assert result["std"] == pytest.approx(d.std(ddof=1))
    assert result["p_value"] == pytest.approx(stats.ttest_rel(a, b).pvalue)
    half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / np.sqrt(5)
    assert (result["low"], result["high"]) == pytest.approx((d.mean() - half, d.mean() + half))
    assert (result["n"], result["wins"], result["losses"], result["ties"]) == (5, 5, 0, 0)
    assert result["low"] > 0  # every seed favours a: the interval excludes 0


def test_paired_difference_pairing_removes_the_shared_seed_variation():
    shared = np.array([0.70, 0.80, 0.90, 0.75, 0.85])  # seeds differ a lot, b is always 0.01 below a
    a, b = shared, shared - 0.01 + np.array([0.001, -0.001, 0.0, 0.0005, -0.0005])
    paired = paired_difference(a, b)
    assert paired["low"] > 0 and paired["p_value"] < 0.001
    unpaired = stats.ttest_ind(a, b)
    assert unpaired.pvalue > 0.5  # ignoring the pairing, the same data show nothing


def test_paired_difference_no_difference_and_constant_differences():
    a = [0.9, 0.8, 0.85]
    same = paired_difference(a, a)
    assert same["mean"] == 0 and same["p_value"] == 1.0 and same["low"] == same["high"] == 0 and same["ties"] == 3
    shifted = paired_difference(np.add(a, 0.25), a)
    assert shifted["mean"] == pytest.approx(0.25) and shifted["low"] == shifted["high"] == pytest.approx(0.25)
    assert shifted["std"] == pytest.approx(0.0, abs=1e-12)
    wider = paired_difference([0.9, 0.8, 0.7, 0.6], [0.85, 0.82, 0.66, 0.63], confidence=0.99)
    narrower = paired_difference([0.9, 0.8, 0.7, 0.6], [0.85, 0.82, 0.66, 0.63], confidence=0.8)
    assert wider["low"] < narrower["low"] < narrower["high"] < wider["high"]
    swapped = paired_difference([0.85, 0.82, 0.66, 0.63], [0.9, 0.8, 0.7, 0.6])
    assert swapped["mean"] == pytest.approx(-narrower["mean"]) and swapped["wins"] == narrower["losses"]


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "message"),
    [
        ([0.9], [0.8], {}, "at least 2 seeds"),
        ([0.9, 0.8], [0.8], {}, "same seed order"),
        ([[0.9, 0.8]], [[0.8, 0.7]], {}, "1-D"),
        ([0.9, float("nan")], [0.8, 0.7], {}, "NaN"),
        (["x", "y"], [0.8, 0.7], {}, "numbers"),
        ([0.9, 0.8], [0.8, 0.7], {"confidence": 95}, "between 0 and 1"),
        ([0.9, 0.8], [0.8, 0.7], {"confidence": True}, "between 0 and 1"),
    ],
)
def test_paired_difference_rejects_bad_input(a, b, kwargs, message):
    with pytest.raises(ValueError, match=message):
        paired_difference(a, b, **kwargs)


# ---------------------------------------------------------------- bugs found by an independent check
def test_fit_temperature_warns_when_every_example_is_right_and_confident():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 30)
    z = rng.normal(size=(30, 10)) + 8 * np.eye(10)[y]
    with pytest.warns(RuntimeWarning, match="meaningless"):
        fit_temperature(z, y)


def test_bootstrap_ci_says_when_the_metric_is_undefined_on_some_resamples():
    from sklearn.metrics import roc_auc_score

    y = np.array([0] * 9 + [1])
    scores = np.linspace(0, 1, 10)
    with pytest.warns(RuntimeWarning, match=r"undefined \(NaN\) on \d+ of 200 resamples"):
        estimate, low, high = bootstrap_ci(roc_auc_score, y, scores, n_resamples=200)
    assert np.isfinite([estimate, low, high]).all()
    with pytest.raises(ValueError, match="undefined \\(NaN\\) on every one"):
        bootstrap_ci(lambda a, b: float("nan"), y, scores, n_resamples=20)


@pytest.mark.parametrize("bad", ["0.9", ["0.9", "0.5"], None])
def test_transfer_gain_refuses_strings_and_other_non_numbers(bad):
    with pytest.raises(ValueError, match="must be an accuracy"):
        transfer_gain(bad, 0.5)
