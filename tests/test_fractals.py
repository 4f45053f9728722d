"""Tests of utils.fractals (formula-driven fractal images, the source task of glyphnet-fractals)."""

import numpy as np
import pytest

from utils.fractals import ifs_systems, render_fractals


def test_shapes_range_balance_and_names():
    x, y, names = render_fractals(200, 10, seed=0)
    assert x.shape == (200, 8, 8, 1) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() <= 16 and np.all(x == np.round(x))
    assert np.bincount(y).tolist() == [20] * 10
    assert names == tuple(f"ifs{c:02d}" for c in range(10))
    assert (x.reshape(200, -1).max(1) == 16).all()  # no blank image: every image has full ink somewhere


def test_same_seed_same_images_other_seed_other_images():
    a = render_fractals(50, 5, seed=3)[0]
    np.testing.assert_array_equal(a, render_fractals(50, 5, seed=3)[0])
    assert not np.array_equal(a, render_fractals(50, 5, seed=4)[0])


def test_classes_are_fixed_by_class_seed():
    a = ifs_systems(4, class_seed=0)
    b = ifs_systems(4, class_seed=0)
    c = ifs_systems(4, class_seed=1)
    for (a1, b1, p1), (a2, b2, p2) in zip(a, b):
        for left, right in ((a1, a2), (b1, b2), (p1, p2)):
            np.testing.assert_array_equal(left, right)
    assert any(x[0].shape != y[0].shape or not np.allclose(x[0], y[0]) for x, y in zip(a, c))


def test_maps_are_contractive_and_probabilities_sum_to_one():
    for a, b, p in ifs_systems(30, class_seed=0):
        assert np.linalg.svd(a, compute_uv=False).max() < 1.0 and b.shape == (len(p), 2)
        assert p.sum() == pytest.approx(1.0) and (p > 0).all()


def test_classes_are_learnable_by_a_linear_model():
    from sklearn.linear_model import LogisticRegression

    x, y, _ = render_fractals(2000, 5, seed=0)
    xt, yt, _ = render_fractals(500, 5, seed=1)
    clf = LogisticRegression(max_iter=2000).fit(x.reshape(len(x), -1), y)
    assert clf.score(xt.reshape(len(xt), -1), yt) > 0.5  # chance is 0.2


@pytest.mark.parametrize("kwargs", [dict(n=0), dict(n=10, n_classes=1), dict(n=10, image_size=12),
                                    dict(n=10, value_range=(5, 5))])
def test_bad_input(kwargs):
    with pytest.raises(ValueError):
        render_fractals(**kwargs)
