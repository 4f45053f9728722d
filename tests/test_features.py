"""Tests of utils.features.extract_features: a frozen backbone in inference mode."""

import numpy as np
import pytest

from utils import extract_features
from utils.models import build_glyphnet, scale_digits


@pytest.fixture(scope="module")
def net():
    from utils import set_seed

    set_seed(0)
    model = build_glyphnet((8, 8, 1), width=4, name="tiny")
    # give BatchNorm non-trivial moving statistics, so inference and training mode differ
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if "_bn" in layer.name:
            gamma, beta, mean, var = layer.get_weights()
            mean = rng.normal(0.0, 0.2, mean.shape).astype("float32")
            var = rng.uniform(0.5, 2.0, var.shape).astype("float32")
            layer.set_weights([gamma, beta + 0.1, mean, var])
    return model


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).integers(0, 17, (37, 8, 8, 1)).astype("float32")


def _bn_stats(model):
    return [w.copy() for layer in model.layers if "_bn" in layer.name for w in layer.get_weights()]


def test_features_have_shape_n_by_feature_dim(net, images):
    feats = extract_features(net, images)
    assert feats.shape == (37, 16)
    assert feats.dtype == np.float32
    assert (feats > 0).mean() > 0.5, "the test network should give non-trivial features"
    assert np.unique(feats.round(5), axis=0).shape[0] == 37


def test_batch_size_does_not_change_the_features(net, images):
    np.testing.assert_allclose(
        extract_features(net, images, batch_size=5), extract_features(net, images, batch_size=256), rtol=1e-5, atol=1e-6
    )


def test_inference_mode_keeps_batchnorm_statistics_and_is_repeatable(net, images):
    before = _bn_stats(net)
    first = extract_features(net, images, batch_size=8)
    second = extract_features(net, images, batch_size=8)
    np.testing.assert_array_equal(first, second)
    for a, b in zip(before, _bn_stats(net)):
        np.testing.assert_array_equal(a, b)
    expected = np.asarray(net(images, training=False))
    np.testing.assert_allclose(first, expected, rtol=1e-5, atol=1e-6)
    # the check can fail: training mode would move the statistics (and give other features)
    saved = net.get_weights()
    try:
        in_training_mode = np.asarray(net(images, training=True))
        assert not np.allclose(first, in_training_mode, atol=1e-3)
        assert any(not np.array_equal(a, b) for a, b in zip(before, _bn_stats(net)))
    finally:
        net.set_weights(saved)


def test_preprocess_is_applied_first(net, images):
    with_pre = extract_features(net, images, preprocess=scale_digits)
    by_hand = extract_features(net, images / 16.0)
    np.testing.assert_allclose(with_pre, by_hand, rtol=1e-6, atol=1e-6)
    assert not np.allclose(with_pre, extract_features(net, images), atol=1e-4)


def test_accepts_integer_arrays(net, images):
    as_int = images.astype("int64")
    np.testing.assert_allclose(extract_features(net, as_int), extract_features(net, images), rtol=1e-6)


def test_spatial_outputs_are_flattened(net, images):
    import keras

    cut = keras.Model(net.input, net.get_layer("block2_relu2").output)
    feats = extract_features(cut, images[:3])
    assert feats.shape == (3, 4 * 4 * 8)


@pytest.mark.parametrize("shape", [(4, 8, 8), (4, 16, 16, 1), (4, 8, 8, 3), (8, 8, 1)])
def test_wrong_image_shape_raises(net, shape):
    with pytest.raises(ValueError, match="tiny expects images of shape"):
        extract_features(net, np.zeros(shape, "float32"))


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True])
def test_bad_batch_size_raises(net, images, batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        extract_features(net, images, batch_size=batch_size)


def test_empty_input_returns_zero_rows(net):
    feats = extract_features(net, np.zeros((0, 8, 8, 1), "float32"))
    assert feats.shape == (0, 16)
    assert feats.dtype == np.float32


def test_learners_images_are_not_modified_by_keras_preprocessing():
    """keras.applications' preprocess_input works in place on float arrays; extract_features must not pass it
    the caller's own array, or a second call (re-running a notebook cell) preprocesses the images twice."""
    import keras

    from utils import get_preprocessing

    identity = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten()], name="identity")
    x = np.random.default_rng(0).uniform(0, 255, (3, 4, 4, 3)).astype("float32")
    original = x.copy()
    first = extract_features(identity, x, preprocess=get_preprocessing("mobilenet_v2"))
    np.testing.assert_allclose(first, original.reshape(3, -1) / 127.5 - 1.0, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(x, original)
    second = extract_features(identity, x, preprocess=get_preprocessing("mobilenet_v2"))
    np.testing.assert_array_equal(first, second)
