"""LogME (You et al., ICML 2021): the maximum evidence of a Bayesian linear model on the features.

References
----------
You et al., "LogME: Practical assessment of pre-trained models for transfer learning", ICML 2021.
MacKay, "Bayesian interpolation", Neural Computation 1992 (the evidence fixed-point updates).
"""

from __future__ import annotations

import math

import numpy as np

from ._inputs import _check_features, _check_int_labels, _check_iteration, _check_positive

__all__ = ["log_evidence", "logme"]

_BOUNDS = (1e-150, 1e150)  # alpha and beta are kept in this range


# ---------------------------------------------------------------- LogME
def log_evidence(features, t, alpha: float, beta: float) -> float:
    """Log evidence ``log p(t | F, alpha, beta)`` of Bayesian linear regression, computed directly.

    The model is ``t = F w + noise`` with prior ``w ~ N(0, alpha^-1 I)`` and Gaussian
    noise of precision ``beta``. With ``A = alpha I + beta F^T F`` and the posterior
    mean ``m = beta A^-1 F^T t``::

        log p = n/2 log beta + D/2 log alpha - n/2 log 2 pi
                - beta/2 ||F m - t||^2 - alpha/2 m^T m - 1/2 log|A|

    This is the plain dense-matrix formula (an ``D x D`` solve and log-determinant),
    the reference against which the SVD-based fixed point inside :func:`logme` can
    be checked; it is not divided by ``n``.

    Parameters
    ----------
    features : array-like of float, shape (n, D)
        The design matrix ``F``, used as given.
    t : array-like of float, shape (n,)
        The regression target, e.g. the one-vs-rest indicator of one class.
    alpha, beta : float
        Prior precision of the weights and noise precision, both > 0.

    Returns
    -------
    float
        The log evidence (nats).

    References
    ----------
    MacKay, "Bayesian interpolation", Neural Computation 1992; Bishop, "Pattern
    recognition and machine learning", 2006, eq. 3.86; You et al., ICML 2021, eq. 2.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> F = rng.normal(size=(20, 3))
    >>> t = F @ np.array([1.0, -1.0, 0.5]) + 0.1 * rng.normal(size=20)  # noise of precision 100
    >>> [round(log_evidence(F, t, alpha=1.0, beta=beta), 2) for beta in (1.0, 100.0)]
    [-23.66, 5.48]
    """
    features = _check_features(features)
    t = np.asarray(t, dtype=float)
    if t.shape != (features.shape[0],):
        raise ValueError(
            f"t must be a 1-D array with one value per row of features ({features.shape[0]}), got shape {t.shape}"
        )
    if not np.all(np.isfinite(t)):
        raise ValueError("t contains NaN or infinite values")
    alpha = _check_positive(alpha, "alpha")
    beta = _check_positive(beta, "beta")
    n, d = features.shape
    a = alpha * np.eye(d) + beta * features.T @ features
    m = beta * np.linalg.solve(a, features.T @ t)
    sign, logdet = np.linalg.slogdet(a)
    if sign <= 0:  # A is positive definite in exact arithmetic; this only trips on overflow
        raise ValueError("alpha I + beta F^T F is not numerically positive definite; rescale the features")
    residual = features @ m - t
    return float(
        n / 2 * math.log(beta)
        + d / 2 * math.log(alpha)
        - n / 2 * math.log(2 * math.pi)
        - beta / 2 * residual @ residual
        - alpha / 2 * m @ m
        - logdet / 2
    )


def _evidence_fixed_point(s, n: int, x, t_perp2: float, max_iter: int, tol: float):
    """MacKay's fixed point for one target, in the SVD basis of ``F``.

    ``s`` are the ``r = min(n, D)`` singular values of ``F = U S V^T``, ``x = U^T t``
    and ``t_perp2 = ||t - U U^T t||^2`` (the part of ``t`` no weight vector can fit).
    The other ``D - r`` eigenvalues of ``F^T F`` are 0, so with ``sigma = s^2``::

        m^T m        = sum_i (beta s_i x_i / (alpha + beta sigma_i))^2
        ||t - F m||^2 = t_perp2 + sum_i (alpha x_i / (alpha + beta sigma_i))^2
        log|A|       = sum_i log(alpha + beta sigma_i) + (D - r) log alpha

    and the ``log alpha`` terms of the evidence combine into
    ``-1/2 sum_i log(1 + beta sigma_i / alpha)``, which stays accurate when ``alpha``
    or ``beta`` is huge. Returns ``(alpha, beta, evidence, n_iter, converged)`` with
    the evidence evaluated at the returned ``alpha, beta`` (posterior mean recomputed
    there), so it equals :func:`log_evidence` at those values.
    """
    sigma = s**2
    tiny = np.finfo(float).tiny

    def posterior(alpha, beta):
        denom = alpha + beta * sigma
        m2 = np.sum((beta * s * x / denom) ** 2)
        res2 = t_perp2 + np.sum((alpha * x / denom) ** 2)
        return m2, res2

    alpha, beta = 1.0, 1.0
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007  (n_iter is reported after the loop)
        m2, res2 = posterior(alpha, beta)
        gamma = np.sum(beta * sigma / (alpha + beta * sigma))
        # when the evidence keeps rising towards alpha -> inf (the features do not help) or
        # beta -> inf (an exact fit, n <= D) the updates grow geometrically; the bounds keep
        # them finite, far beyond where the evidence has reached its limit
        new_alpha = float(np.clip(gamma / max(m2, tiny), _BOUNDS[0], _BOUNDS[1]))
        new_beta = float(np.clip((n - gamma) / max(res2, tiny), _BOUNDS[0], _BOUNDS[1]))
        change = max(abs(new_alpha - alpha) / alpha, abs(new_beta - beta) / beta)
        alpha, beta = new_alpha, new_beta
        if change < tol:
            converged = True
            break
    m2, res2 = posterior(alpha, beta)
    evidence = (
        n / 2 * math.log(beta)
        - n / 2 * math.log(2 * math.pi)
        - beta / 2 * res2
        - alpha / 2 * m2
        - np.sum(np.log1p(beta * sigma / alpha)) / 2
    )
    return alpha, beta, float(evidence), n_iter, converged


def _logme_fit(features, y, *, max_iter: int = 100, tol: float = 1e-3):
    """LogME per class: ``(alphas, betas, evidences, n_iters, converged)``, one entry per class in ``y``.

    The evidences are totals (not divided by ``n``); classes are the distinct values
    of ``y`` in increasing order.
    """
    features = _check_features(features)
    codes = _check_int_labels(y, features.shape[0], "y", min_classes=2)
    _check_iteration(max_iter, tol)
    n = features.shape[0]
    u, s, _ = np.linalg.svd(features, full_matrices=False)
    if not s[0] > 0:
        raise ValueError("features are all zero, so they carry no information about the labels")
    out = []
    for k in range(codes.max() + 1):
        t = (codes == k).astype(float)
        x = u.T @ t
        t_perp = t - u @ x
        out.append(_evidence_fixed_point(s, n, x, float(t_perp @ t_perp), max_iter, tol))
    alphas, betas, evidences, n_iters, converged = (np.array(col) for col in zip(*out))
    return alphas, betas, evidences, n_iters, converged


def logme(features, y, *, max_iter: int = 100, tol: float = 1e-3) -> float:
    """LogME: the maximum log evidence per example of a linear model on the features.

    For each class ``k`` the one-vs-rest indicator ``t_k`` (1 where ``y == k``) is
    regressed on the features with Bayesian linear regression, ``t = F w + noise``,
    prior ``w ~ N(0, alpha^-1 I)`` and noise precision ``beta``. The evidence
    ``p(t_k | F, alpha, beta)`` (see :func:`log_evidence`) is maximised over
    ``alpha, beta`` by MacKay's fixed point, computed through the SVD
    ``F = U S V^T`` (``sigma_i = s_i^2``), so it works both for ``n >= D`` and for
    ``n < D`` (where the other ``D - n`` eigenvalues of ``F^T F`` are 0)::

        gamma = sum_i beta sigma_i / (alpha + beta sigma_i)
        m     = beta (alpha I + beta F^T F)^-1 F^T t
        alpha = gamma / m^T m
        beta  = (n - gamma) / ||t - F m||^2

    starting from ``alpha = beta = 1`` until both change by less than ``tol``
    (relative) or ``max_iter`` rounds have run. The score is the mean over classes of
    ``max log evidence / n``. Higher (less negative) is better: the features explain
    the labels with a simple linear model.

    When the features do not help with a class, the evidence keeps rising as
    ``alpha -> inf`` (the best weights are 0); when ``n <= D`` the features can fit
    a target exactly and it may keep rising as ``beta -> inf``. The iteration then
    creeps towards that finite limit and stops at ``max_iter``, so the value can sit
    slightly below the supremum; a larger ``max_iter`` tightens it.

    The features are used as given, like in the paper: they are not standardised or
    centred here (and there is no bias term, so a constant feature column acts as one).
    Multiplying all features by one constant leaves the score unchanged (``alpha``
    absorbs it), but centring, standardising or rescaling single features changes
    it, so prepare the features of every candidate model the same way.

    Parameters
    ----------
    features : array-like of float, shape (n, D)
        The frozen model's features of the labelled target examples (e.g. the pooled
        penultimate layer), all finite.
    y : array-like of int, shape (n,)
        Target class labels; any integers, at least 2 distinct classes. Only classes
        that occur are scored.
    max_iter : int
        Most fixed-point rounds per class, >= 1 (the paper's code runs 11; the fixed
        point usually settles in a few).
    tol : float
        Stop when ``alpha`` and ``beta`` both change by less than this fraction, > 0.

    Returns
    -------
    float
        The LogME score in nats per example (a log-likelihood, usually negative).

    References
    ----------
    You et al., "LogME: Practical assessment of pre-trained models for transfer
    learning", ICML 2021 (Algorithm 1); MacKay, Neural Computation 1992.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 60)
    >>> good = np.eye(3)[y] + 0.5 * rng.normal(size=(60, 3))  # features that separate the classes
    >>> noise = rng.normal(size=(60, 3))  # features that do not
    >>> round(logme(good, y), 3), round(logme(noise, y), 3)  # higher is better
    (-0.491, -0.869)
    """
    _, _, evidences, _, _ = _logme_fit(features, y, max_iter=max_iter, tol=tol)
    n = np.asarray(features).shape[0]
    return float(np.mean(evidences) / n)
