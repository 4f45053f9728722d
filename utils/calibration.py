"""Calibration: expected calibration error, reliability curves and diagrams, temperature scaling.

Is a model's confidence worth trusting? A model that says 90% should be right 90% of the time.
scikit-learn's :func:`sklearn.calibration.calibration_curve` covers the binary case; these
helpers take the multi-class view of Guo et al. (the top label's confidence against its
accuracy) and fit one temperature on validation logits. NumPy and SciPy only: they work on the
outputs of any model.

References
----------
Guo et al., "On calibration of modern neural networks", ICML 2017 (ECE, reliability
diagrams, temperature scaling).
Naeini et al., "Obtaining well calibrated probabilities using Bayesian binning", AAAI 2015 (ECE).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np

from ._checks import check_probability_rows, is_int_at_least, is_integer_valued, is_positive_number

__all__ = ["apply_temperature", "expected_calibration_error", "fit_temperature", "plot_reliability_diagram",
           "reliability_curve"]

_STRATEGIES = ("uniform", "quantile")


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

    Examples
    --------
    >>> probs = np.array([[0.95, 0.05], [0.15, 0.85], [0.75, 0.25], [0.35, 0.65]])
    >>> conf, acc, count = reliability_curve([0, 1, 1, 1], probs, n_bins=5)
    >>> conf.round(2).tolist(), acc.tolist(), count.tolist()
    ([0.7, 0.9], [0.5, 1.0], [2, 2])
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

    Examples
    --------
    >>> probs = np.array([[0.95, 0.05], [0.15, 0.85], [0.75, 0.25], [0.35, 0.65]])
    >>> round(expected_calibration_error([0, 1, 1, 1], probs, n_bins=5), 3)
    0.15
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
    show_counts: bool = True,
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
    show_counts : bool
        Write beside each point how many examples its bin holds (a point made of 3 examples says little).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines`` holds the diagonal first, then one line per model.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> probs = np.array([[0.95, 0.05], [0.15, 0.85], [0.75, 0.25], [0.35, 0.65]])
    >>> ax = plot_reliability_diagram([0, 1, 1, 1], {"fine-tuned": probs}, n_bins=5)
    >>> ax.get_legend_handles_labels()[1]
    ['perfect calibration', 'fine-tuned (ECE 0.150)']
    >>> plt.close(ax.figure)
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
    for i, (name, ((confidence, accuracy, count), ece, top)) in enumerate(curves.items()):
        (line,) = ax.plot(confidence, accuracy, marker="o", markersize=4, label=f"{name} (ECE {ece:.3f})")
        for x, y, n in zip(confidence, accuracy, count, strict=True) if show_counts else ():
            ax.annotate(f"{n}", (x, y), xytext=(3, (-10, 5)[i % 2] - 8 * (i // 2)), textcoords="offset points",
                        fontsize=7, color=line.get_color())  # models alternate below and above their points
        if show_histogram:
            share = np.histogram(top, bins=n_bins, range=(0.0, 1.0))[0] / len(top)
            bar_width = width / len(curves)
            left = np.arange(n_bins) * width + i * bar_width
            ax.bar(left, share, width=bar_width, align="edge", color=line.get_color(), alpha=0.25)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.04)  # room for points at accuracy 1
    ax.set_aspect("equal")
    ax.set_xlabel("confidence (top-label probability)")
    ax.set_ylabel("accuracy" + (" / fraction of examples" if show_histogram else ""))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)  # beside the axes, off the points
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

    Examples
    --------
    >>> logits = np.array([[2.0, 0.0], [0.0, 1.0]])
    >>> apply_temperature(logits, 2.0).round(3).tolist()  # softer than T = 1, same argmax
    [[0.731, 0.269], [0.378, 0.622]]
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

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y_val = rng.integers(0, 3, 200)
    >>> logits_val = 5 * np.eye(3)[y_val] + 3 * rng.normal(size=(200, 3))  # 80% right, over-confident
    >>> T = fit_temperature(logits_val, y_val)  # then apply_temperature(logits_test, T)
    >>> round(T, 2)
    1.68
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
