"""Transferability scores: rank pre-trained models on a target task without fine-tuning.

Each score looks at what a frozen pre-trained model produces on the labelled target
examples (its features, or its predictions over the source classes) and says how
well those outputs explain the target labels. Higher means the model is expected to
transfer better. The scores are for *ranking* candidate models on one target task;
their values are not comparable across tasks or datasets.

- :func:`logme`: the maximum log evidence of a Bayesian linear model on the features
  (per example, averaged over one-vs-rest targets); :func:`log_evidence` computes the
  evidence directly for given hyperparameters.
- :func:`h_score`: how much of the feature covariance is explained by the class means.
- :func:`leep`: the log-likelihood of a classifier built from the source model's soft
  predictions over its source classes.
- :func:`nce`: the negative conditional entropy of the target labels given the source
  model's hard (argmax) predictions.

This module needs only NumPy; it imports neither TensorFlow nor Keras.

References
----------
You et al., "LogME: Practical assessment of pre-trained models for transfer learning", ICML 2021.
MacKay, "Bayesian interpolation", Neural Computation 1992 (the evidence fixed-point updates).
Bao et al., "An information-theoretic approach to transferability in task transfer learning", ICIP 2019 (H-score).
Nguyen et al., "LEEP: A new measure to evaluate transferability of learned representations", ICML 2020.
Tran et al., "Transferability and hardness of supervised classification tasks", ICCV 2019 (NCE).
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_probability_rows, is_int_at_least, is_integer_valued, is_positive_number

__all__ = ["h_score", "leep", "log_evidence", "logme", "nce"]

_BOUNDS = (1e-150, 1e150)  # LogME: alpha and beta are kept in this range
_PINV_RCOND = 1e-10  # H-score: eigenvalues of the feature covariance below this fraction of the largest count as 0


# ---------------------------------------------------------------- input checks
def _check_features(features, name: str = "features") -> np.ndarray:
    features = np.asarray(features, dtype=float)
    if features.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (n_examples, n_features), got shape {features.shape}; "
            "flatten or pool the backbone output first, e.g. features.reshape(len(features), -1)"
        )
    if features.shape[0] < 2 or features.shape[1] < 1:
        raise ValueError(f"{name} needs at least 2 examples and 1 feature, got shape {features.shape}")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return features


def _check_int_labels(labels, n_examples: int, name: str, *, min_classes: int) -> np.ndarray:
    """Validate 1-D integer labels and return them recoded as ``0 .. n_distinct - 1``."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] > 1:
        raise ValueError(
            f"{name} must be a 1-D array of class indices, got shape {labels.shape}; "
            "for one-hot labels or probabilities pass labels.argmax(axis=1)"
        )
    if labels.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class indices, got shape {labels.shape}")
    if len(labels) != n_examples:
        raise ValueError(f"{name} has {len(labels)} entries but there are {n_examples} examples; pass one per example")
    if not is_integer_valued(labels):
        raise ValueError(f"{name} must hold integer class indices, got dtype {labels.dtype}")
    classes, codes = np.unique(labels.astype(np.int64), return_inverse=True)
    if len(classes) < min_classes:
        raise ValueError(
            f"{name} holds {len(classes)} distinct class(es) but at least {min_classes} are needed "
            "to score a classification task; check that the target sample covers several classes"
        )
    return codes.reshape(-1)


def _check_source_probs(source_probs) -> np.ndarray:
    probs = np.asarray(source_probs, dtype=float)
    if probs.ndim != 2 or probs.shape[1] < 2 or len(probs) == 0:
        raise ValueError(
            "source_probs must be a non-empty 2-D array (n_examples, n_source_classes) with at least 2 "
            f"source classes, got shape {probs.shape}"
        )
    if not np.all(np.isfinite(probs)):
        raise ValueError("source_probs contains NaN or infinite values")
    sums = check_probability_rows(
        probs, "source_probs",
        "Pass the source classifier's softmax output (scipy.special.softmax(logits, axis=1)), not logits",
    )
    return probs / sums[:, None]  # absorb float32 rounding so every row sums to exactly 1


def _check_iteration(max_iter, tol) -> None:
    if not is_int_at_least(max_iter, 1):
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    if not is_positive_number(tol):
        raise ValueError(f"tol must be a finite number > 0, got {tol!r}")


def _check_positive(value, name: str) -> float:
    if not is_positive_number(value):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


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
    """
    _, _, evidences, _, _ = _logme_fit(features, y, max_iter=max_iter, tol=tol)
    n = np.asarray(features).shape[0]
    return float(np.mean(evidences) / n)


# ---------------------------------------------------------------- H-score
def h_score(features, y) -> float:
    """H-score: ``tr(cov(f)^+ cov(E[f | y]))``, the share of feature variance the classes explain.

    ``cov(E[f | y])`` is the covariance of the features with every example replaced
    by the mean feature vector of its class (the between-class covariance); both
    covariances use the ``n - 1`` normalisation, and ``cov(f)^+`` is the
    pseudo-inverse (singular values below ``1e-10`` of the largest count as zero).
    Higher is better: the score grows with how well the classes are separated
    relative to the spread of the features.

    Because the total covariance is the within-class plus the between-class
    covariance, the score lies in ``[0, min(D, n_classes - 1)]``; the upper end
    means the features are constant within each class. When ``cov(f)`` has full
    rank the score is invariant to any invertible linear map of the features
    (rescaling, rotation, whitening); with a rank-deficient covariance (e.g.
    ``n <= D`` or duplicated features) that holds only approximately and the
    pseudo-inverse can inflate the score, so prefer ``n`` well above ``D``.

    Parameters
    ----------
    features : array-like of float, shape (n, D)
        The frozen model's features of the labelled target examples, all finite.
    y : array-like of int, shape (n,)
        Target class labels; any integers, at least 2 distinct classes.

    Returns
    -------
    float
        The H-score, >= 0.

    References
    ----------
    Bao et al., "An information-theoretic approach to transferability in task
    transfer learning", ICIP 2019.
    """
    features = _check_features(features)
    codes = _check_int_labels(y, features.shape[0], "y", min_classes=2)
    n = features.shape[0]
    centred = features - features.mean(axis=0)
    counts = np.bincount(codes)
    class_means = np.zeros((len(counts), features.shape[1]))
    np.add.at(class_means, codes, centred)
    class_means /= counts[:, None]
    between = class_means[codes]  # already centred: the class means of centred data average to 0
    cov_f = centred.T @ centred / (n - 1)
    cov_g = between.T @ between / (n - 1)
    score = np.trace(np.linalg.pinv(cov_f, rcond=_PINV_RCOND, hermitian=True) @ cov_g)
    return float(max(score, 0.0))


# ---------------------------------------------------------------- LEEP and NCE
def leep(source_probs, y) -> float:
    """LEEP: the log expected empirical prediction of the target labels.

    With ``theta_i`` the pre-trained classifier's predicted distribution over its
    source classes ``z`` on target example ``i``, the empirical joint and conditional::

        P(y, z) = (1/n) sum_i theta_i(z) [y_i = y]
        P(y | z) = P(y, z) / P(z)

    define a classifier of the target labels, and LEEP is its mean log-likelihood::

        LEEP = (1/n) sum_i log( sum_z P(y_i | z) theta_i(z) )

    It is <= 0, and 0 when the source predictions are certain and determine the
    target label. Higher (closer to 0) is better. A source model that predicts the
    same distribution for every example scores ``sum_y P(y) log P(y) = -H(Y)``.

    Parameters
    ----------
    source_probs : array-like of float, shape (n, Z)
        The source classifier's softmax output (probabilities over its ``Z >= 2``
        source classes, e.g. the 1000 ImageNet classes) on the target examples; rows
        must be non-negative and sum to 1 within 1e-3 (they are renormalised exactly).
    y : array-like of int, shape (n,)
        Target class labels; any integers, at least 2 distinct classes.

    Returns
    -------
    float
        The LEEP score, <= 0 (nats per example).

    References
    ----------
    Nguyen et al., "LEEP: A new measure to evaluate transferability of learned
    representations", ICML 2020.
    """
    theta = _check_source_probs(source_probs)
    codes = _check_int_labels(y, theta.shape[0], "y", min_classes=2)
    n = theta.shape[0]
    joint = np.zeros((codes.max() + 1, theta.shape[1]))
    np.add.at(joint, codes, theta)
    joint /= n
    marginal = joint.sum(axis=0)
    # a source class no example puts any mass on has P(z) = 0; it contributes nothing either way
    conditional = np.divide(joint, marginal, out=np.zeros_like(joint), where=marginal > 0)
    eep = np.sum(conditional[codes] * theta, axis=1)  # > 0: P(y_i | z) >= theta_i(z) / (n P(z))
    return float(min(np.mean(np.log(eep)), 0.0))


def nce(source_labels, y) -> float:
    """NCE: the negative conditional entropy ``-H(Y | Z)`` of the target labels given the source labels.

    ``z_i`` is the source classifier's hard prediction (its top source class) on
    target example ``i``. From the empirical joint distribution ``P(y, z)`` of the
    pairs ``(y_i, z_i)``::

        NCE = -H(Y | Z) = sum_{y, z} P(y, z) log( P(y, z) / P(z) )

    It is <= 0, and 0 exactly when ``z`` determines ``y`` (every source class is
    predicted for examples of one target class only). A constant ``z`` gives
    ``-H(Y)``. Higher (closer to 0) is better.

    Parameters
    ----------
    source_labels : array-like of int, shape (n,)
        The source classifier's predicted source class for each target example, e.g.
        ``source_probs.argmax(axis=1)``; any integers.
    y : array-like of int, shape (n,)
        Target class labels; any integers, at least 2 distinct classes.

    Returns
    -------
    float
        The NCE score, <= 0 (nats).

    References
    ----------
    Tran et al., "Transferability and hardness of supervised classification tasks", ICCV 2019.
    """
    z = np.asarray(source_labels)
    if z.ndim == 0:
        raise ValueError("source_labels must be a 1-D array of predicted source classes, got a scalar")
    z = _check_int_labels(z, len(z), "source_labels", min_classes=1)
    codes = _check_int_labels(y, len(z), "y", min_classes=2)
    n = len(z)
    joint = np.zeros((codes.max() + 1, z.max() + 1))
    np.add.at(joint, (codes, z), 1.0 / n)
    marginal = joint.sum(axis=0)
    nonzero = joint > 0
    conditional = joint[nonzero] / np.broadcast_to(marginal, joint.shape)[nonzero]
    return float(min(np.sum(joint[nonzero] * np.log(conditional)), 0.0))
