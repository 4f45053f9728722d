"""Evaluation helpers that scikit-learn and SciPy do not provide.

Calibration (expected calibration error, reliability curves and diagrams,
temperature scaling), a percentile bootstrap for any ``metric(y_true, y_pred)``,
McNemar's test for two classifiers scored on the same test set, a paired comparison
of two methods over seeds (t interval and test), and the two usual
summaries of how much a pre-trained model helps: the transfer gain and the relative
error reduction. scikit-learn and SciPy do the arithmetic underneath; this module
imports neither TensorFlow nor Keras, so it works on the NumPy outputs of any model.

References
----------
Guo et al., "On calibration of modern neural networks", ICML 2017 (ECE, reliability
diagrams, temperature scaling).
Naeini et al., "Obtaining well calibrated probabilities using Bayesian binning", AAAI 2015 (ECE).
Efron & Tibshirani, "An introduction to the bootstrap", 1993 (percentile intervals).
Student, "The probable error of a mean", Biometrika 1908 (the paired t interval and test).
McNemar, "Note on the sampling error of the difference between correlated proportions
or percentages", Psychometrika 1947; Dietterich, "Approximate statistical tests for
comparing supervised classification learning algorithms", Neural Computation 1998.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping

import numpy as np

from ._checks import check_probability_rows, is_int_at_least, is_integer_valued, is_positive_number

__all__ = [
    "apply_temperature",
    "bootstrap_ci",
    "expected_calibration_error",
    "fit_temperature",
    "mcnemar_test",
    "paired_difference",
    "plot_reliability_diagram",
    "relative_error_reduction",
    "reliability_curve",
    "transfer_gain",
]

_STRATEGIES = ("uniform", "quantile")
_EXACT_BELOW = 25  # McNemar: exact binomial test when b + c is smaller than this


# ---------------------------------------------------------------- input checks
def _check_probs(probs, name: str = "probs") -> np.ndarray:
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise ValueError(
            f"{name} must be a 2-D array (n_examples, n_classes) with at least 2 classes, got shape {probs.shape}; "
            "for a binary model with one sigmoid output p, pass np.column_stack([1 - p, p])"
        )
    if len(probs) == 0:
        raise ValueError(f"{name} is empty: there are no examples to evaluate")
    if not np.all(np.isfinite(probs)):
        raise ValueError(f"{name} contains NaN or infinite values")
    check_probability_rows(
        probs, name, "Pass probabilities, e.g. softmax of logits (scipy.special.softmax(logits, axis=1)), not logits"
    )
    return probs


def _check_logits(logits, name: str = "logits") -> np.ndarray:
    logits = np.asarray(logits, dtype=float)
    if logits.ndim != 2 or logits.shape[1] < 2 or len(logits) == 0:
        raise ValueError(
            f"{name} must be a non-empty 2-D array (n_examples, n_classes) with at least 2 classes, "
            f"got shape {logits.shape}"
        )
    if not np.all(np.isfinite(logits)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return logits


def _check_labels(y_true, n_examples: int, n_classes: int, name: str = "y_true") -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] == n_classes and n_classes > 1:
        raise ValueError(
            f"{name} must be a 1-D array of class indices, got shape {y.shape}; "
            "for one-hot labels pass y.argmax(axis=1)"
        )
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class indices, got shape {y.shape}")
    if len(y) != n_examples:
        raise ValueError(f"{name} has {len(y)} labels but there are {n_examples} rows of predictions")
    if not is_integer_valued(y):
        raise ValueError(f"{name} must hold integer class indices, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(
            f"{name} must hold class indices in [0, {n_classes}) to match the {n_classes} columns of the predictions, "
            f"got values from {y.min()} to {y.max()}"
        )
    return y


def _check_temperature(temperature) -> float:
    if not is_positive_number(temperature):
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    return float(temperature)


# ---------------------------------------------------------------- calibration
def _top_label(y_true, probs):
    probs = _check_probs(probs)
    y = _check_labels(y_true, len(probs), probs.shape[1])
    return probs.max(axis=1), (probs.argmax(axis=1) == y).astype(float)


def _bin_index(confidence: np.ndarray, n_bins, strategy: str) -> np.ndarray:
    if not is_int_at_least(n_bins, 1):
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.quantile(confidence, np.linspace(0.0, 1.0, n_bins + 1))
    else:
        raise ValueError(f"strategy must be one of {_STRATEGIES}, got {strategy!r}")
    # bins are (lo, hi]: the count of inner edges strictly below a confidence is its bin, so a
    # confidence of exactly 1.0 (or the smallest one, for quantile bins) lands in the end bins
    return np.searchsorted(edges[1:-1], confidence, side="left")


def reliability_curve(y_true, probs, *, n_bins: int = 15, strategy: str = "uniform"):
    """Mean confidence, accuracy and size of each non-empty confidence bin (top label).

    The confidence of an example is its largest predicted probability and it counts
    as correct when that class is ``y_true``; examples are grouped into ``n_bins``
    bins ``(lo, hi]`` of confidence, the same bins :func:`expected_calibration_error`
    uses. A calibrated model has ``bin_accuracy == bin_confidence``.

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        Class indices in ``[0, n_classes)``.
    probs : array-like, shape (n, n_classes)
        Predicted probabilities (rows summing to 1), e.g. a softmax output.
    n_bins : int
        Number of bins, >= 1.
    strategy : {"uniform", "quantile"}
        ``"uniform"``: equal-width bins on [0, 1] (a confidence of 1.0 goes in the
        last one); ``"quantile"``: edges at quantiles of the confidences, so the bins
        hold about equally many examples.

    Returns
    -------
    bin_confidence, bin_accuracy : ndarray of float, shape (m,)
        Mean confidence and fraction correct in each of the ``m <= n_bins`` non-empty
        bins, in increasing order of confidence.
    bin_count : ndarray of int, shape (m,)
        Examples per bin; sums to ``n``.
    """
    confidence, correct = _top_label(y_true, probs)
    bins = _bin_index(confidence, n_bins, strategy)
    count = np.bincount(bins, minlength=n_bins)
    keep = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(bins, weights=confidence, minlength=n_bins) / count
        accuracy = np.bincount(bins, weights=correct, minlength=n_bins) / count
    return mean_confidence[keep], accuracy[keep], count[keep]


def expected_calibration_error(y_true, probs, *, n_bins: int = 15, strategy: str = "uniform") -> float:
    """Top-label expected calibration error (ECE).

    ``ECE = sum_b (|B_b| / n) * |acc(B_b) - conf(B_b)|``: the gap between accuracy and
    mean confidence in each confidence bin, weighted by the bin's share of examples
    (binning as in :func:`reliability_curve`). 0 for a perfectly calibrated model, 1 for
    one that is certain and always wrong. Lower is better; the value depends on
    ``n_bins``, so compare models with the same binning.

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        Class indices in ``[0, n_classes)``.
    probs : array-like, shape (n, n_classes)
        Predicted probabilities, e.g. ``scipy.special.softmax(logits, axis=1)``.
    n_bins : int
        Number of bins, >= 1 (15 as in Guo et al. 2017).
    strategy : {"uniform", "quantile"}
        Equal-width bins on [0, 1] or equal-mass bins at quantiles of the confidences.

    Returns
    -------
    float
        In [0, 1].
    """
    confidence, accuracy, count = reliability_curve(y_true, probs, n_bins=n_bins, strategy=strategy)
    return float(np.sum(count / count.sum() * np.abs(accuracy - confidence)))


def plot_reliability_diagram(
    y_true,
    probs_by_name: Mapping[str, object],
    *,
    n_bins: int = 10,
    ax=None,
    title: str | None = None,
    show_histogram: bool = False,
):
    """Reliability diagram: accuracy against confidence per bin, one line per model.

    Points on the dashed diagonal are perfectly calibrated; below it a model is
    over-confident, above it under-confident. Each legend entry gives the model's
    ECE with the same ``n_bins`` equal-width bins.

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        Class indices, shared by all models (the same test set).
    probs_by_name : mapping of str to array-like of shape (n, n_classes)
        Predicted probabilities of each model, e.g. ``{"scratch": p1, "pre-trained": p2}``.
    n_bins : int
        Number of equal-width confidence bins, >= 1.
    ax : matplotlib.axes.Axes or None
        Where to draw; a new 4.5 x 4.5 inch figure when None.
    title : str or None
    show_histogram : bool
        Also draw, as faint bars, the fraction of each model's examples in every bin
        (where the points are many and where they are a handful of examples).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines`` holds the diagonal first, then one line per model.
    """
    import matplotlib.pyplot as plt

    if not isinstance(probs_by_name, Mapping) or len(probs_by_name) == 0:
        raise ValueError(
            "probs_by_name must be a non-empty dict mapping a model name to its predicted probabilities, "
            f"got {type(probs_by_name).__name__}"
        )
    if not is_int_at_least(n_bins, 1):
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    curves = {}
    for name, probs in probs_by_name.items():
        try:
            curves[name] = (
                reliability_curve(y_true, probs, n_bins=n_bins),
                expected_calibration_error(y_true, probs, n_bins=n_bins),
                _check_probs(probs).max(axis=1),
            )
        except ValueError as error:
            raise ValueError(f"model {name!r}: {error}") from error
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect calibration")
    width = 1.0 / n_bins
    for i, (name, ((confidence, accuracy, _), ece, top)) in enumerate(curves.items()):
        (line,) = ax.plot(confidence, accuracy, marker="o", markersize=4, label=f"{name} (ECE {ece:.3f})")
        if show_histogram:
            share = np.histogram(top, bins=n_bins, range=(0.0, 1.0))[0] / len(top)
            bar_width = width / len(curves)
            left = np.arange(n_bins) * width + i * bar_width
            ax.bar(left, share, width=bar_width, align="edge", color=line.get_color(), alpha=0.25)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("confidence (top-label probability)")
    ax.set_ylabel("accuracy" + (" / fraction of examples" if show_histogram else ""))
    ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------- temperature scaling
def apply_temperature(logits, temperature: float) -> np.ndarray:
    """Probabilities ``softmax(logits / temperature)``.

    ``temperature > 1`` softens over-confident predictions, ``< 1`` sharpens them; the
    predicted class (the argmax) never changes, so accuracy does not either.

    Parameters
    ----------
    logits : array-like, shape (n, n_classes)
        Pre-softmax outputs of a model.
    temperature : float
        > 0, e.g. from :func:`fit_temperature`.

    Returns
    -------
    ndarray, shape (n, n_classes)
    """
    logits = _check_logits(logits)
    temperature = _check_temperature(temperature)
    from scipy import special  # imported here: SciPy costs 0.5 s at `import utils`

    return special.softmax(logits / temperature, axis=1)


def _nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    from scipy import special

    log_probs = special.log_softmax(logits / temperature, axis=1)
    return float(-np.mean(log_probs[np.arange(len(y)), y]))


def fit_temperature(logits, y_true, *, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """Temperature scaling: the ``T > 0`` minimising the NLL of ``softmax(logits / T)``.

    Fit it on held-out data (a validation split, never the test set), then use
    :func:`apply_temperature` on the test logits. The negative log-likelihood is convex
    in ``1 / T``, so a bounded scalar search over ``log T`` (Brent's method) finds the
    minimum.

    Parameters
    ----------
    logits : array-like, shape (n, n_classes)
        Pre-softmax outputs of the model (not probabilities: take the logits before
        the softmax, or the log of the probabilities).
    y_true : array-like of int, shape (n,)
        Class indices in ``[0, n_classes)``.
    bounds : (float, float)
        Search interval ``0 < low < high`` for ``T``. A warning says when the result
        sits on a bound, e.g. when every example is classified correctly and the NLL
        keeps falling as ``T`` goes to 0.

    Returns
    -------
    float
        The fitted temperature; > 1 means the model was over-confident.
    """
    logits = _check_logits(logits)
    y = _check_labels(y_true, len(logits), logits.shape[1])
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be a pair of numbers (low, high), got {bounds!r}") from None
    if not (0 < low < high and math.isfinite(high)):
        raise ValueError(f"bounds must satisfy 0 < low < high < inf, got {bounds!r}")
    from scipy import optimize

    result = optimize.minimize_scalar(
        lambda log_t: _nll(logits, y, math.exp(log_t)),
        bounds=(math.log(low), math.log(high)),
        method="bounded",
        options={"xatol": 1e-6},
    )
    temperature = math.exp(result.x)
    # where the NLL is flat to rounding (e.g. it keeps falling towards T -> 0) the search stops short of a
    # bound; compare with the bounds themselves
    best = _nll(logits, y, temperature)
    for bound in (low, high):
        if _nll(logits, y, bound) < best:
            temperature, best = bound, _nll(logits, y, bound)
    if np.all(logits.argmax(axis=1) == y) or _nll(logits, y, temperature / 2) == best:
        # every example right: the NLL keeps falling as T -> 0 (no minimum), or it has underflowed to a
        # flat value, so the search stopped anywhere; the number says nothing about calibration
        warnings.warn(
            f"the fitted temperature {temperature:.4g} is meaningless: every held-out example is classified "
            "correctly (or so confidently that the NLL is flat), so the NLL has no minimum. Fit it on held-out "
            "data the model gets some examples wrong on (more or harder data), or keep T = 1",
            RuntimeWarning,
            stacklevel=2,
        )
    elif temperature < low * 1.001 or temperature > high / 1.001:
        warnings.warn(
            f"the fitted temperature {temperature:.4g} is at the edge of bounds={bounds}; the NLL may keep "
            "decreasing beyond it. Widen bounds or use more held-out data",
            RuntimeWarning,
            stacklevel=2,
        )
    return temperature


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

    The same ``seed`` gives the same interval; the result equals
    ``scipy.stats.bootstrap((np.arange(n),), ..., method="percentile", rng=np.random.default_rng(seed))``.

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
    rng = np.random.default_rng(seed)
    values = np.empty(n_resamples)
    for r in range(n_resamples):
        index = rng.integers(0, n, size=n)
        with warnings.catch_warnings():  # an undefined resample is counted and reported below, once
            warnings.simplefilter("ignore")
            values[r] = metric(y_true[index], y_pred[index])
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
