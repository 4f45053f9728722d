"""Statistics for comparing models that scikit-learn and SciPy do not package this way.

A percentile bootstrap for any ``metric(y_true, y_pred)`` (on :func:`scipy.stats.bootstrap`),
McNemar's test for two classifiers scored on the same test set, a paired comparison of two
methods over seeds (t interval and test), and the two usual summaries of how much a pre-trained
model helps: the transfer gain and the relative error reduction. Calibration is in
:mod:`utils.calibration`. This module imports neither TensorFlow nor Keras, so it works on the
NumPy outputs of any model.

References
----------
Efron & Tibshirani, "An introduction to the bootstrap", 1993 (percentile intervals).
Student, "The probable error of a mean", Biometrika 1908 (the paired t interval and test).
McNemar, "Note on the sampling error of the difference between correlated proportions
or percentages", Psychometrika 1947; Dietterich, "Approximate statistical tests for
comparing supervised classification learning algorithms", Neural Computation 1998.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from ._checks import is_int_at_least
from .calibration import (  # noqa: F401 - still importable from here, where the notebooks first met them
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    plot_reliability_diagram,
    reliability_curve,
)

__all__ = ["bootstrap_ci", "mcnemar_test", "paired_difference", "relative_error_reduction", "transfer_gain"]

_EXACT_BELOW = 25  # McNemar: exact binomial test when b + c is smaller than this


# ---------------------------------------------------------------- bootstrap
def bootstrap_ci(
    metric: Callable,
    y_true,
    y_pred,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> tuple[float, float, float]:
    """Percentile bootstrap confidence interval of ``metric(y_true, y_pred)`` over test examples.

    Draws ``n_resamples`` test sets of ``n`` examples with replacement (the same
    indices for ``y_true`` and ``y_pred``), evaluates ``metric`` on each, and returns the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` percentiles. The interval
    shows how much the score would move with another test set of the same size; it
    says nothing about the variation between training runs (seeds).

    Built on :func:`scipy.stats.bootstrap`, which draws the resamples: the same ``seed`` gives
    the same interval, equal to ``scipy.stats.bootstrap((np.arange(n),), ..., method="percentile",
    rng=np.random.default_rng(seed))``. What this adds: any scikit-learn metric of
    ``(y_true, y_pred)``, 2-D score arrays, input checks, and resamples on which the metric is
    undefined counted and left out instead of turning the interval into NaN.

    Parameters
    ----------
    metric : callable
        ``metric(y_true, y_pred) -> float``, e.g. ``sklearn.metrics.accuracy_score`` or
        ``functools.partial(sklearn.metrics.f1_score, average="macro")``.
    y_true : array-like, shape (n,)
    y_pred : array-like, shape (n,) or (n, n_classes)
        Predicted labels, or a 2-D array of scores/probabilities whose rows are
        resampled (for e.g. ``log_loss`` or ``roc_auc_score``).
    n_resamples : int
        Number of bootstrap test sets, >= 1 (1000 is enough for a 95 % interval).
    confidence : float
        Coverage of the interval, in (0, 1).
    seed : int or None
        Seed of ``np.random.default_rng``.

    Returns
    -------
    estimate, low, high : float
        ``metric`` on the full data and the interval's ends. For a metric that is
        skewed under resampling the percentile interval need not contain the estimate.
        Resamples on which the metric is undefined (NaN) are left out with a warning that
        counts them; when it is undefined on all of them, a ``ValueError``.

    Examples
    --------
    >>> from sklearn.metrics import accuracy_score
    >>> y = np.tile([0, 1], 50)
    >>> pred = np.where(np.arange(100) < 20, 1 - y, y)  # the first 20 wrong: accuracy 0.80
    >>> est, low, high = bootstrap_ci(accuracy_score, y, pred, n_resamples=1000, seed=0)
    >>> print(f"{est:.2f} [{low:.2f}, {high:.2f}]")
    0.80 [0.72, 0.88]
    """
    if not callable(metric):
        raise ValueError(f"metric must be a callable metric(y_true, y_pred), got {type(metric).__name__}")
    if not is_int_at_least(n_resamples, 1):
        raise ValueError(f"n_resamples must be an integer >= 1, got {n_resamples!r}")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating)) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a number strictly between 0 and 1 (e.g. 0.95), got {confidence!r}")
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim == 0 or y_pred.ndim == 0:
        raise ValueError("y_true and y_pred must be arrays with one row per test example")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} examples but y_pred has {len(y_pred)}")
    n = len(y_true)
    if n < 2:
        raise ValueError(f"bootstrapping needs at least 2 test examples, got {n}")
    estimate = np.asarray(metric(y_true, y_pred), dtype=float)
    if estimate.ndim != 0:
        raise ValueError(
            f"metric must return a single number, got an array of shape {estimate.shape} "
            "(for per-class scores pass e.g. functools.partial(f1_score, average='macro'))"
        )
    from scipy import stats

    def on_resample(index):
        return metric(y_true[index], y_pred[index])

    # SciPy draws the resamples (the same indices for y_true and y_pred) and evaluates the metric on each;
    # the interval is taken from its bootstrap distribution here, so that undefined resamples can be counted
    with warnings.catch_warnings():  # an undefined resample is counted and reported below, once
        warnings.simplefilter("ignore")
        values = stats.bootstrap((np.arange(n),), on_resample, vectorized=False, n_resamples=n_resamples,
                                 method="percentile", rng=np.random.default_rng(seed)).bootstrap_distribution
    values = np.asarray(values, dtype=float)
    undefined = int(np.sum(~np.isfinite(values)))
    if undefined == n_resamples:
        raise ValueError(f"metric is undefined (NaN) on every one of the {n_resamples} resamples, e.g. ROC AUC "
                         "when a resample holds one class only; use more test examples of every class")
    if undefined:
        warnings.warn(
            f"metric is undefined (NaN) on {undefined} of {n_resamples} resamples (e.g. ROC AUC on a resample "
            "with one class only); the interval is taken over the other resamples and may be too narrow. "
            "Use more test examples of the rare class",
            RuntimeWarning,
            stacklevel=2,
        )
        values = values[np.isfinite(values)]
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(estimate), float(low), float(high)


# ---------------------------------------------------------------- McNemar
def mcnemar_test(y_true, pred_a, pred_b, *, exact: bool | None = None) -> dict:
    """McNemar's test: do two classifiers scored on the same test set differ in accuracy?

    Only the discordant examples count: ``b`` where A is right and B wrong, ``c`` where
    A is wrong and B right. Under the null hypothesis of equal accuracy each discordant
    example is a fair coin flip, so ``b ~ Binomial(b + c, 1/2)``.

    Parameters
    ----------
    y_true, pred_a, pred_b : array-like, shape (n,)
        True labels and the two models' predicted labels (any comparable values).
    exact : bool or None
        True: exact two-sided binomial test (``scipy.stats.binomtest(b, b + c, 0.5)``).
        False: chi-square with continuity correction,
        ``max(|b - c| - 1, 0)^2 / (b + c)`` on 1 degree of freedom.
        None (default): exact when ``b + c < 25``, chi-square otherwise.

    Returns
    -------
    dict
        ``b``, ``c`` (int); ``statistic`` (float: ``min(b, c)`` for the exact test, the
        chi-square value otherwise); ``p_value`` (float, two-sided); ``method``
        (``"exact"`` or ``"chi2"``). With no discordant example, ``statistic`` is 0
        and ``p_value`` 1.

    Examples
    --------
    >>> y = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]
    >>> pred_a = [0, 1, 0, 1, 0, 1, 0, 1, 1, 1]  # 9 right
    >>> pred_b = [0, 1, 1, 0, 1, 0, 1, 1, 0, 1]  # 5 right
    >>> test = mcnemar_test(y, pred_a, pred_b)
    >>> test["b"], test["c"], round(test["p_value"], 3), test["method"]
    (5, 1, 0.219, 'exact')
    """
    if exact is not None and not isinstance(exact, bool):
        raise ValueError(f"exact must be True, False or None, got {exact!r}")
    arrays = [np.asarray(a) for a in (y_true, pred_a, pred_b)]
    for name, a in zip(("y_true", "pred_a", "pred_b"), arrays):
        if a.ndim != 1:
            raise ValueError(
                f"{name} must be a 1-D array of labels, got shape {a.shape}; for scores pass predicted labels, "
                "e.g. scores.argmax(axis=1)"
            )
    if not len(arrays[0]) == len(arrays[1]) == len(arrays[2]):
        raise ValueError(
            f"y_true, pred_a and pred_b must have the same length, got {len(arrays[0])}, {len(arrays[1])}, "
            f"{len(arrays[2])}"
        )
    if len(arrays[0]) == 0:
        raise ValueError("y_true, pred_a and pred_b are empty; McNemar's test needs at least one test example")
    y, a, b_pred = arrays
    right_a, right_b = a == y, b_pred == y
    b = int(np.sum(right_a & ~right_b))
    c = int(np.sum(~right_a & right_b))
    use_exact = (b + c < _EXACT_BELOW) if exact is None else exact
    method = "exact" if use_exact else "chi2"
    if b + c == 0:
        return {"b": b, "c": c, "statistic": 0.0, "p_value": 1.0, "method": method}
    if use_exact:
        statistic = float(min(b, c))
        from scipy import stats

        p_value = stats.binomtest(b, b + c, 0.5, alternative="two-sided").pvalue
    else:
        statistic = max(abs(b - c) - 1, 0) ** 2 / (b + c)
        from scipy import stats

        p_value = stats.chi2.sf(statistic, 1)
    return {"b": b, "c": c, "statistic": float(statistic), "p_value": float(min(p_value, 1.0)), "method": method}


# ---------------------------------------------------------------- paired over seeds
def paired_difference(scores_a, scores_b, *, confidence: float = 0.95) -> dict:
    """Compare two methods run on the same seeds: mean of ``a - b``, its t interval and test.

    Seed ``i`` of both methods must share everything the comparison does not vary
    (the labelled examples drawn, the batches, the initialisation of shared parts), so
    the per-seed differences ``d_i = a_i - b_i`` remove the variation both share. The
    interval is the Student t interval of the mean difference on ``n - 1`` degrees of
    freedom and ``p_value`` the two-sided paired t-test of "mean difference = 0"
    (``scipy.stats.ttest_rel``). Call a difference real only when the interval
    excludes 0; otherwise report "no measurable difference".

    Parameters
    ----------
    scores_a, scores_b : array-like of float, shape (n,)
        One score per seed for each method, in the same seed order; ``n >= 2``.
    confidence : float
        Coverage of the interval, in (0, 1).

    Returns
    -------
    dict
        ``mean`` (float, mean of ``a - b``), ``std`` (float, sample standard deviation
        of the differences, ``ddof=1``), ``low`` and ``high`` (float, the interval's
        ends), ``p_value`` (float, two-sided), ``n`` (int, number of pairs), and
        ``wins``, ``losses``, ``ties`` (int: seeds where ``a`` is above, below or equal
        to ``b``). When every difference is the same value ``d`` the interval is
        ``(d, d)`` and ``p_value`` is 1 for ``d == 0`` and 0 otherwise (differences equal
        within 1e-12 count as the same).

    Raises
    ------
    ValueError
        If the inputs are not 1-D, differ in length, hold fewer than 2 pairs or
        non-finite values, or ``confidence`` is outside (0, 1).

    Examples
    --------
    >>> pretrained = [0.91, 0.89, 0.93, 0.90, 0.92]  # test accuracy on seeds 0-4
    >>> scratch = [0.85, 0.86, 0.88, 0.84, 0.87]  # the same seeds
    >>> r = paired_difference(pretrained, scratch)
    >>> print(f"{r['mean']:.3f} [{r['low']:.3f}, {r['high']:.3f}], wins {r['wins']} of {r['n']}")
    0.050 [0.035, 0.065], wins 5 of 5
    """
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating)) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a number strictly between 0 and 1 (e.g. 0.95), got {confidence!r}")
    arrays = []
    for name, values in (("scores_a", scores_a), ("scores_b", scores_b)):
        try:
            array = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a 1-D array of numbers (one score per seed), got {values!r}") from None
        if array.ndim != 1:
            raise ValueError(f"{name} must be a 1-D array with one score per seed, got shape {array.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} contains NaN or infinite values")
        arrays.append(array)
    a, b = arrays
    if len(a) != len(b):
        raise ValueError(
            f"scores_a has {len(a)} seeds but scores_b has {len(b)}; pass one score per seed for both methods, "
            "in the same seed order"
        )
    if len(a) < 2:
        raise ValueError(
            f"a paired comparison needs at least 2 seeds, got {len(a)}; with one run per method there is no "
            "spread to compare the difference with"
        )
    from scipy import stats

    d = a - b
    n = len(d)
    mean = float(np.mean(d))
    std = float(np.std(d, ddof=1))
    if np.ptp(d) <= 1e-12:  # the same difference on every seed (to rounding): no spread to test against
        low = high = mean
        p_value = 1.0 if abs(mean) <= 1e-12 else 0.0
    else:
        half = float(stats.t.ppf((1 + confidence) / 2, n - 1)) * std / math.sqrt(n)
        low, high = mean - half, mean + half
        p_value = float(stats.ttest_rel(a, b).pvalue)
    return {"mean": mean, "std": std, "low": float(low), "high": float(high), "p_value": p_value, "n": n,
            "wins": int(np.sum(d > 0)), "losses": int(np.sum(d < 0)), "ties": int(np.sum(d == 0))}


# ---------------------------------------------------------------- transfer summaries
def _check_accuracy(value, name: str) -> np.ndarray:
    raw = np.asarray(value)
    if raw.dtype.kind not in "biuf":  # strings ("0.9"), objects: numpy would parse or fail later
        raise ValueError(f"{name} must be an accuracy in [0, 1] (a number or an array of numbers), got {value!r}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an accuracy in [0, 1] (a number or an array), got {value!r}") from None
    if not np.all(np.isfinite(array)) or np.any(array < 0) or np.any(array > 1):
        raise ValueError(
            f"{name} must be accuracies in [0, 1], got {value!r}; pass fractions, not percentages (0.85, not 85)"
        )
    return array


def _scalar_or_array(result: np.ndarray):
    return float(result) if result.ndim == 0 else result


def transfer_gain(pretrained, scratch):
    """Accuracy gained by starting from pre-trained weights: ``pretrained - scratch``.

    Negative values mean negative transfer: the pre-trained start did worse.

    Parameters
    ----------
    pretrained, scratch : float or array-like
        Accuracies in [0, 1] of the two models (arrays broadcast, e.g. one value per
        training-set size or seed).

    Returns
    -------
    float or ndarray
        In [-1, 1]; a float when both inputs are scalars.

    Examples
    --------
    >>> round(transfer_gain(0.90, 0.80), 3)
    0.1
    >>> np.round(transfer_gain([0.70, 0.90], [0.50, 0.85]), 3).tolist()  # e.g. one per training-set size
    [0.2, 0.05]
    """
    pretrained = _check_accuracy(pretrained, "pretrained")
    scratch = _check_accuracy(scratch, "scratch")
    return _scalar_or_array(pretrained - scratch)


def relative_error_reduction(pretrained, scratch):
    """Share of the from-scratch model's errors removed by transfer.

    ``((1 - scratch) - (1 - pretrained)) / (1 - scratch)``: 0.5 means pre-training
    halved the error rate (e.g. 0.8 -> 0.9 accuracy), 1 means it removed every error,
    negative values mean negative transfer. Unlike :func:`transfer_gain` it puts
    gains near the ceiling on the same scale as gains far from it.

    Parameters
    ----------
    pretrained, scratch : float or array-like
        Accuracies in [0, 1] (arrays broadcast).

    Returns
    -------
    float or ndarray
        At most 1; a float when both inputs are scalars.

    Examples
    --------
    >>> round(relative_error_reduction(0.90, 0.80), 3)  # error 0.20 -> 0.10: halved
    0.5
    >>> np.round(relative_error_reduction([0.70, 0.95], [0.50, 0.90]), 3).tolist()
    [0.4, 0.5]
    """
    pretrained = _check_accuracy(pretrained, "pretrained")
    scratch = _check_accuracy(scratch, "scratch")
    scratch_error = 1.0 - scratch
    if np.any(scratch_error == 0):
        raise ValueError(
            "the relative error reduction is undefined when the scratch model has accuracy 1: it makes no errors, "
            "so there is none to reduce (division by zero); report transfer_gain instead"
        )
    return _scalar_or_array((scratch_error - (1.0 - pretrained)) / scratch_error)
