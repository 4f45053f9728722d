"""Tests of utils.transferability: LogME, H-score, LEEP and NCE."""

import math

import numpy as np
import pytest

from utils.transferability import _logme_fit, h_score, leep, log_evidence, logme, nce


def _labels(n, n_classes, rng):
    """Random labels in which every class occurs."""
    y = rng.integers(0, n_classes, n)
    y[:n_classes] = np.arange(n_classes)
    return y


def _informative_features(y, n_classes, dim, rng, noise=0.1):
    """One-hot of ``y`` plus noise, padded with Gaussian noise dims and rotated into ``dim`` dims."""
    signal = np.eye(n_classes)[y] + noise * rng.normal(size=(len(y), n_classes))
    padded = np.hstack([signal, rng.normal(size=(len(y), dim - n_classes))])
    rotation, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    return padded @ rotation


def _one_vs_rest(y, k):
    return (np.unique(y, return_inverse=True)[1].reshape(-1) == k).astype(float)


# ---------------------------------------------------------------- LogME
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_logme_prefers_features_that_determine_the_labels(seed):
    rng = np.random.default_rng(seed)
    y = _labels(150, 4, rng)
    good = _informative_features(y, 4, 20, rng)
    random = rng.normal(size=good.shape)
    assert logme(good, y) > logme(random, y) + 0.5


def _converged_fit(seed):
    """Three informative classes, 40 examples, 6 features, fitted to a tight tolerance."""
    rng = np.random.default_rng(seed)
    y = _labels(40, 3, rng)
    features = _informative_features(y, 3, 6, rng, noise=0.3)
    alphas, betas, evidences, _, converged = _logme_fit(features, y, max_iter=10_000, tol=1e-10)
    assert converged.all()
    return y, features, alphas, betas, evidences


def test_logme_matches_the_direct_evidence_at_the_fixed_point():
    """The SVD fixed point's evidence equals the dense formula at the converged alpha, beta."""
    y, features, alphas, betas, evidences = _converged_fit(0)
    direct = np.array([log_evidence(features, _one_vs_rest(y, k), alphas[k], betas[k]) for k in range(3)])
    np.testing.assert_allclose(evidences, direct, rtol=0, atol=1e-8)
    n = len(y)
    assert logme(features, y, max_iter=10_000, tol=1e-10) == pytest.approx(direct.mean() / n, abs=1e-10)
    # the default tolerance lands within 1e-4 of it too
    assert logme(features, y) == pytest.approx(direct.mean() / n, abs=1e-4)


def test_logme_fixed_point_is_a_maximum_of_the_evidence():
    y, features, alphas, betas, _ = _converged_fit(1)
    steps = [(a, b) for a in (0.99, 1.0, 1.01) for b in (0.99, 1.0, 1.01) if (a, b) != (1.0, 1.0)]
    for k in range(3):
        t = _one_vs_rest(y, k)
        best = log_evidence(features, t, alphas[k], betas[k])
        for fa, fb in steps:
            moved = log_evidence(features, t, alphas[k] * fa, betas[k] * fb)
            assert moved <= best + 1e-6 * abs(best), (k, fa, fb)


@pytest.mark.parametrize("max_iter", [1, 3, 100])
def test_logme_svd_evidence_matches_direct_when_n_below_d(max_iter):
    """n < D: the D - n zero eigenvalues of F^T F are accounted for, at any alpha, beta reached."""
    rng = np.random.default_rng(2)
    y = _labels(15, 3, rng)
    features = rng.normal(size=(15, 40))
    alphas, betas, evidences, _, _ = _logme_fit(features, y, max_iter=max_iter)
    moderate = [k for k in range(3) if max(alphas[k], betas[k]) < 1e8]  # the dense formula loses accuracy beyond
    assert moderate
    for k in moderate:
        direct = log_evidence(features, _one_vs_rest(y, k), alphas[k], betas[k])
        assert evidences[k] == pytest.approx(direct, rel=1e-8)


def test_logme_n_below_d_is_finite_and_still_ranks():
    rng = np.random.default_rng(3)
    y = _labels(30, 3, rng)
    good = _informative_features(y, 3, 100, rng)
    random = rng.normal(size=good.shape)
    scores = [logme(good, y), logme(random, y)]
    assert all(math.isfinite(s) for s in scores)
    assert scores[0] > scores[1]
    # a very wide case, where beta runs towards infinity, stays finite too
    assert math.isfinite(logme(rng.normal(size=(6, 500)), [0, 1, 0, 1, 2, 2], max_iter=5_000))


def test_logme_is_invariant_to_the_order_of_examples_and_label_values():
    rng = np.random.default_rng(4)
    y = _labels(80, 3, rng)
    features = _informative_features(y, 3, 10, rng, noise=0.5)
    order = rng.permutation(len(y))
    base = logme(features, y)
    assert logme(features[order], y[order]) == pytest.approx(base, rel=1e-10)
    assert logme(features, np.array([7, -1, 42])[y]) == pytest.approx(base, rel=1e-10)


def test_logme_uses_features_as_given():
    """No silent standardisation: one global scale is absorbed by alpha, but per-feature scales matter."""
    rng = np.random.default_rng(5)
    y = _labels(60, 2, rng)
    features = _informative_features(y, 2, 5, rng)
    base = logme(features, y, tol=1e-10, max_iter=10_000)
    assert logme(features * 100.0, y, tol=1e-10, max_iter=10_000) == pytest.approx(base, abs=1e-8)
    reweighted = features * [100.0, 1.0, 0.01, 1.0, 1.0]
    assert abs(logme(reweighted, y, tol=1e-10, max_iter=10_000) - base) > 1e-2
    standardised = (features - features.mean(axis=0)) / features.std(axis=0)
    assert abs(logme(standardised, y, tol=1e-10, max_iter=10_000) - base) > 1e-3


def test_log_evidence_by_hand():
    """F = [[1], [0]], t = [1, 0], alpha = beta = 1 (n = 2, D = 1).

    A = 1 + 1 = 2, m = 1/2, F m - t = [-1/2, 0], so
    log p = 0 + 0 - log(2 pi) - (1/2)(1/4) - (1/2)(1/4) - log(2)/2 = -log(2 pi) - 1/4 - log(2)/2,
    which is log N(1; 0, 2) + log N(0; 0, 1): t ~ N(0, I/beta + F F^T/alpha) = N(0, diag(2, 1)).
    """
    value = log_evidence([[1.0], [0.0]], [1.0, 0.0], 1.0, 1.0)
    assert value == pytest.approx(-math.log(2 * math.pi) - 0.25 - math.log(2) / 2, abs=1e-12)


@pytest.mark.parametrize(
    "features, y, kwargs",
    [
        (np.ones(10), [0, 1] * 5, {}),  # 1-D features
        (np.ones((10, 2, 2)), [0, 1] * 5, {}),  # 3-D features
        (np.ones((10, 3)), [0, 1] * 4, {}),  # length mismatch
        (np.full((10, 3), np.nan), [0, 1] * 5, {}),  # non-finite
        (np.ones((10, 3)), [0] * 10, {}),  # one class
        (np.ones((10, 3)), [0.5, 1] * 5, {}),  # non-integer labels
        (np.ones((10, 3)), np.eye(2)[[0, 1] * 5], {}),  # one-hot labels
        (np.zeros((10, 3)), [0, 1] * 5, {}),  # all-zero features
        (np.ones((10, 3)), [0, 1] * 5, {"max_iter": 0}),
        (np.ones((10, 3)), [0, 1] * 5, {"tol": 0.0}),
        (np.ones((10, 3)), [0, 1] * 5, {"tol": float("nan")}),
    ],
)
def test_logme_rejects_bad_input(features, y, kwargs):
    with pytest.raises(ValueError):
        logme(features, y, **kwargs)


@pytest.mark.parametrize(
    "t, alpha, beta",
    [([1.0, 0.0, 1.0], 1.0, 1.0), ([1.0, 0.0], 0.0, 1.0), ([1.0, 0.0], 1.0, -1.0), ([np.inf, 0.0], 1.0, 1.0)],
)
def test_log_evidence_rejects_bad_input(t, alpha, beta):
    with pytest.raises(ValueError):
        log_evidence(np.ones((2, 3)), t, alpha, beta)


# ---------------------------------------------------------------- H-score
def test_h_score_of_a_balanced_binary_feature_is_one():
    """f = y in {0, 1}: every example already equals its class mean, so cov(f) = cov(E[f|y]) and H = 1."""
    y = np.array([0, 1] * 10)
    assert h_score(y[:, None].astype(float), y) == pytest.approx(1.0, abs=1e-12)


def test_h_score_prefers_separated_classes_and_is_bounded():
    rng = np.random.default_rng(6)
    y = _labels(300, 4, rng)
    features = _informative_features(y, 4, 8, rng, noise=0.3)
    separated = h_score(features, y)
    shuffled = h_score(features, rng.permutation(y))
    assert separated > shuffled + 1.0
    assert 0.0 <= shuffled < separated <= 3.0 + 1e-9  # at most min(D, n_classes - 1)


def test_h_score_is_invariant_to_invertible_linear_maps():
    rng = np.random.default_rng(7)
    y = _labels(200, 3, rng)
    features = _informative_features(y, 3, 5, rng, noise=0.5)
    transform = rng.normal(size=(5, 5)) + 3 * np.eye(5)
    assert abs(np.linalg.det(transform)) > 1e-3
    base = h_score(features, y)
    assert h_score(features @ transform, y) == pytest.approx(base, rel=1e-6)
    assert h_score(features * [1e3, 1e-2, 1.0, 5.0, 0.1] + 7.0, y) == pytest.approx(base, rel=1e-6)


def test_h_score_is_invariant_to_the_order_of_examples():
    rng = np.random.default_rng(8)
    y = _labels(100, 3, rng)
    features = _informative_features(y, 3, 6, rng, noise=0.5)
    order = rng.permutation(len(y))
    assert h_score(features[order], y[order]) == pytest.approx(h_score(features, y), rel=1e-10)


@pytest.mark.parametrize(
    "features, y",
    [
        (np.ones(10), [0, 1] * 5),
        (np.ones((10, 3)), [0, 1] * 4),
        (np.r_[np.ones((9, 3)), [[np.inf, 0, 0]]], [0, 1] * 5),
        (np.ones((10, 3)), [3] * 10),
        (np.ones((1, 3)), [0]),
    ],
)
def test_h_score_rejects_bad_input(features, y):
    with pytest.raises(ValueError):
        h_score(features, y)


# ---------------------------------------------------------------- LEEP
def test_leep_is_zero_when_certain_source_predictions_determine_the_labels():
    y = np.array([0, 1, 2, 1, 0, 2])
    source_labels = np.array([4, 0, 2, 0, 4, 2])  # a bijection between target and used source classes
    source_probs = np.eye(5)[source_labels]
    assert leep(source_probs, y) == pytest.approx(0.0, abs=1e-12)


def test_leep_by_hand():
    """Four examples, two source and two target classes.

    theta = [[.8, .2], [.6, .4], [.2, .8], [.4, .6]], y = [0, 0, 1, 1].
    P(y, z) = [[(.8 + .6)/4, (.2 + .4)/4], [(.2 + .4)/4, (.8 + .6)/4]] = [[.35, .15], [.15, .35]],
    P(z) = [.5, .5], so P(y | z) = [[.7, .3], [.3, .7]].
    Expected empirical predictions: .7*.8 + .3*.2 = .62, .7*.6 + .3*.4 = .54,
    .3*.2 + .7*.8 = .62, .3*.4 + .7*.6 = .54, so LEEP = (log .62 + log .54) / 2.
    """
    theta = [[0.8, 0.2], [0.6, 0.4], [0.2, 0.8], [0.4, 0.6]]
    assert leep(theta, [0, 0, 1, 1]) == pytest.approx((math.log(0.62) + math.log(0.54)) / 2, abs=1e-12)


def test_leep_with_uninformative_source_predictions_is_minus_the_label_entropy():
    """theta_i = 1/Z for all i: P(y | z) = P(y), so LEEP = mean_i log P(y_i) = 3/4 log 3/4 + 1/4 log 1/4."""
    source_probs = np.full((4, 3), 1 / 3)
    expected = 0.75 * math.log(0.75) + 0.25 * math.log(0.25)
    assert leep(source_probs, [0, 0, 0, 1]) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_leep_is_never_positive_and_ignores_example_order(seed):
    rng = np.random.default_rng(seed)
    y = _labels(50, 3, rng)
    source_probs = rng.dirichlet(np.full(7, 0.3), size=50)
    value = leep(source_probs, y)
    assert value <= 0.0
    order = rng.permutation(50)
    assert leep(source_probs[order], y[order]) == pytest.approx(value, rel=1e-12)


def test_leep_tolerates_float32_softmax_rounding():
    rng = np.random.default_rng(9)
    source_probs = rng.dirichlet(np.ones(10), size=20).astype(np.float32)
    y = _labels(20, 2, rng)
    assert leep(source_probs, y) == pytest.approx(leep(source_probs.astype(float), y), abs=1e-6)


@pytest.mark.parametrize(
    "source_probs, y",
    [
        ([[0.5, 0.5], [0.5, 0.5]], [0, 1, 1]),  # length mismatch
        ([[1.5, -0.5], [0.5, 0.5]], [0, 1]),  # negative entry
        ([[2.0, 3.0], [0.5, 0.5]], [0, 1]),  # logits, not probabilities
        ([[np.nan, 0.5], [0.5, 0.5]], [0, 1]),
        ([0.5, 0.5], [0, 1]),  # 1-D
        ([[1.0], [1.0]], [0, 1]),  # one source class
        ([[0.5, 0.5], [0.5, 0.5]], [1, 1]),  # one target class
        ([[0.5, 0.5], [0.5, 0.5]], [[0], [1]]),  # 2-D labels
    ],
)
def test_leep_rejects_bad_input(source_probs, y):
    with pytest.raises(ValueError):
        leep(source_probs, y)


# ---------------------------------------------------------------- NCE
def test_nce_is_zero_when_source_labels_determine_the_labels():
    assert nce([0, 1, 2, 1], [0, 1, 2, 1]) == pytest.approx(0.0, abs=1e-12)
    # not a bijection: several source classes map to one target class
    assert nce([3, 7, 9, 9, 1], [2, 5, 8, 8, 5]) == pytest.approx(0.0, abs=1e-12)


def test_nce_with_a_constant_source_label_is_minus_the_label_entropy():
    """z constant: H(Y | Z) = H(Y); y = [0, 0, 1, 1] gives -log 2."""
    assert nce([5, 5, 5, 5], [0, 0, 1, 1]) == pytest.approx(-math.log(2), abs=1e-12)


def test_nce_by_hand():
    """z = [0, 0, 1, 1], y = [0, 1, 1, 1].

    P(y, z): (0, 0) = 1/4, (1, 0) = 1/4, (1, 1) = 1/2; P(z) = [1/2, 1/2].
    NCE = 1/4 log(1/2) + 1/4 log(1/2) + 1/2 log 1 = -log(2) / 2.
    """
    assert nce([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx(-math.log(2) / 2, abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_nce_lies_between_minus_label_entropy_and_zero(seed):
    rng = np.random.default_rng(seed)
    y = _labels(60, 3, rng)
    z = rng.integers(0, 5, 60)
    value = nce(z, y)
    p = np.bincount(y) / len(y)
    assert np.sum(p * np.log(p)) - 1e-12 <= value <= 0.0  # -H(Y) <= -H(Y|Z) <= 0
    order = rng.permutation(60)
    assert nce(z[order], y[order]) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(
    "source_labels, y",
    [
        ([0, 1, 1], [0, 1]),  # length mismatch
        ([0.5, 1.0], [0, 1]),  # non-integer source labels
        ([[0.3, 0.7], [0.6, 0.4]], [0, 1]),  # probabilities instead of labels
        ([0, 1], [1, 1]),  # one target class
        ([0, np.nan], [0, 1]),
        (3, [0, 1]),  # scalar
    ],
)
def test_nce_rejects_bad_input(source_labels, y):
    with pytest.raises(ValueError):
        nce(source_labels, y)
