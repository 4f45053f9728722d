"""Tests of utils.models: the glyphnet backbone and the classifier head."""

import numpy as np
import pytest

from utils.models import build_classifier, build_glyphnet, scale_digits


@pytest.fixture(scope="module")
def small_net():
    return build_glyphnet((8, 8, 1), width=4, name="tiny")


def test_scale_digits_maps_0_16_to_0_1():
    np.testing.assert_allclose(scale_digits(np.array([0.0, 8.0, 16.0])), [0.0, 0.5, 1.0])


@pytest.mark.parametrize("width", [1, 4, 32])
def test_glyphnet_output_has_4_times_width_features(width):
    net = build_glyphnet((8, 8, 1), width=width)
    assert net.input_shape == (None, 8, 8, 1)
    assert net.output_shape == (None, 4 * width)


def test_glyphnet_runs_on_other_input_shapes():
    net = build_glyphnet((16, 12, 3), width=2)
    out = np.asarray(net(np.zeros((3, 16, 12, 3), "float32"), training=False))
    assert out.shape == (3, 8)


def test_glyphnet_layers_are_named_by_block(small_net):
    names = {layer.name for layer in small_net.layers}
    expected = {
        "block1_conv1", "block1_bn1", "block1_relu1", "block1_conv2", "block1_bn2", "block1_relu2", "block1_pool",
        "block2_conv1", "block2_bn1", "block2_relu1", "block2_conv2", "block2_bn2", "block2_relu2", "block2_pool",
        "block3_conv1", "block3_bn1", "block3_relu1", "features",
    }
    assert expected <= names
    assert small_net.name == "tiny"
    assert small_net.get_layer("block1_conv1").filters == 4
    assert small_net.get_layer("block2_conv1").filters == 8
    assert small_net.get_layer("block3_conv1").filters == 16
    assert small_net.get_layer("block2_pool").output.shape[1:3] == (2, 2)


def test_glyphnet_can_be_cut_at_a_named_layer(small_net):
    import keras

    cut = keras.Model(small_net.input, small_net.get_layer("block2_relu2").output)
    assert cut.output_shape == (None, 4, 4, 8)


def test_glyphnet_same_seed_same_weights():
    from utils import set_seed

    set_seed(3)
    a = build_glyphnet(width=2).get_weights()
    set_seed(3)
    b = build_glyphnet(width=2).get_weights()
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("shape", [(3, 8, 1), (8, 3, 1), (8, 8), (8, 8, 0), (8, 8, 1, 1)])
def test_glyphnet_bad_input_shape_raises(shape):
    with pytest.raises(ValueError, match="input_shape must be"):
        build_glyphnet(shape)


@pytest.mark.parametrize("width", [0, -2, 2.5, True, "8"])
def test_glyphnet_bad_width_raises(width):
    with pytest.raises(ValueError, match="width must be a positive integer"):
        build_glyphnet((8, 8, 1), width=width)


def test_classifier_softmax_rows_sum_to_one(small_net):
    clf = build_classifier(small_net, 5, dropout=0.3)
    assert clf.output_shape == (None, 5)
    assert clf.input_shape == small_net.input_shape
    assert clf.name == "tiny_classifier"
    x = np.random.default_rng(0).uniform(0, 1, (7, 8, 8, 1)).astype("float32")
    probs = np.asarray(clf(x, training=False))
    assert probs.shape == (7, 5)
    assert (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert clf.get_layer("head_dropout").rate == pytest.approx(0.3)
    assert clf.get_layer("tiny") is small_net


def test_classifier_custom_name(small_net):
    assert build_classifier(small_net, 2, name="clf").name == "clf"


@pytest.mark.parametrize("n_classes", [1, 0, -3, 2.0, True, "3"])
def test_classifier_bad_n_classes_raises(small_net, n_classes):
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        build_classifier(small_net, n_classes)


@pytest.mark.parametrize("dropout", [-0.1, 1.0, 1.5])
def test_classifier_bad_dropout_raises(small_net, dropout):
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        build_classifier(small_net, 3, dropout=dropout)
