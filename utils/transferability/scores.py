"""H-score, LEEP and NCE: transferability scores from features or from the source model's predictions.

References
----------
Bao et al., "An information-theoretic approach to transferability in task transfer learning", ICIP 2019 (H-score).
Nguyen et al., "LEEP: A new measure to evaluate transferability of learned representations", ICML 2020.
Tran et al., "Transferability and hardness of supervised classification tasks", ICCV 2019 (NCE).
"""

from __future__ import annotations

import numpy as np

from ._inputs import _check_features, _check_int_labels, _check_source_probs

__all__ = ["h_score", "leep", "nce"]

_PINV_RCOND = 1e-10  # H-score: eigenvalues of the feature covariance below this fraction of the largest count as 0


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

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 60)
    >>> good = np.eye(3)[y] + 0.5 * rng.normal(size=(60, 3))  # features that separate the classes
    >>> noise = rng.normal(size=(60, 3))  # features that do not
    >>> round(h_score(good, y), 3), round(h_score(noise, y), 3)  # higher is better
    (1.233, 0.043)
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

    Examples
    --------
    >>> from scipy.special import softmax
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 60)
    >>> source_probs = softmax(3 * np.eye(5)[y] + rng.normal(size=(60, 5)), axis=1)  # 5 source classes
    >>> round(leep(source_probs, y), 3)
    -0.359
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

    Examples
    --------
    >>> from scipy.special import softmax
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 60)
    >>> source_probs = softmax(3 * np.eye(5)[y] + rng.normal(size=(60, 5)), axis=1)  # 5 source classes
    >>> round(nce(source_probs.argmax(axis=1), y), 3)
    -0.067
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
