"""Tests of utils.probing: where to cut a backbone, the cut itself, and the linear probe."""

import numpy as np
import pytest

from utils.models import build_glyphnet
from utils.probing import KERAS_PROBE_LAYERS, cut_backbone, linear_probe, make_linear_probe, probe_layers

GLYPHNET_PROBES = [
    "block1_relu1", "block1_relu2", "block1_pool",
    "block2_relu1", "block2_relu2", "block2_pool",
    "block3_relu1", "features",
]


def _tiny(seed=0, name="glyphnet"):
    from utils import set_seed

    set_seed(seed)
    return build_glyphnet((8, 8, 1), width=4, name=name)


@pytest.fixture(scope="module")
def glyph():
    return _tiny()


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(0, 1, (6, 8, 8, 1)).astype("float32")


@pytest.fixture(scope="module")
def mobilenet():
    import keras

    return keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3))


@pytest.fixture(scope="module")
def tiny_sequential():
    import keras

    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense_a")], name="tiny_seq")


# ---------------------------------------------------------------- probe_layers


def test_glyphnet_probes_are_relus_and_pools_shallow_to_deep_ending_with_features(glyph):
    layers = probe_layers(glyph)
    assert layers == GLYPHNET_PROBES
    order = [layer.name for layer in glyph.layers]
    assert [order.index(name) for name in layers] == sorted(order.index(name) for name in layers)
    assert layers[-1] == glyph.layers[-1].name == "features"


def test_glyphnet_probes_do_not_depend_on_its_name_or_width():
    from utils import set_seed

    set_seed(0)
    other = build_glyphnet((12, 12, 1), width=2, name="glyphnet-shapes")
    assert probe_layers(other) == GLYPHNET_PROBES
    assert probe_layers(other, name="glyphnet-shapes") == GLYPHNET_PROBES


def test_mobilenet_probes_by_registry_name_and_by_its_layers(mobilenet):
    expected = list(KERAS_PROBE_LAYERS["mobilenet_v2"])
    assert mobilenet.name != "mobilenet_v2"  # Keras calls it mobilenetv2_1.00_32
    assert probe_layers(mobilenet, name="mobilenet_v2") == expected
    assert probe_layers(mobilenet) == expected
    names = {layer.name for layer in mobilenet.layers}
    assert set(expected) <= names
    assert isinstance(probe_layers(mobilenet), list)


def test_registry_layers_run_shallow_to_deep(mobilenet):
    order = [layer.name for layer in mobilenet.layers]
    idx = [order.index(name) for name in KERAS_PROBE_LAYERS["mobilenet_v2"]]
    assert idx == sorted(idx)


def test_unknown_model_raises(tiny_sequential):
    with pytest.raises(ValueError, match="no probe layers known for backbone 'tiny_seq'"):
        probe_layers(tiny_sequential)
    with pytest.raises(ValueError, match="no probe layers known for backbone 'resnet9'"):
        probe_layers(tiny_sequential, name="resnet9")


# ---------------------------------------------------------------- cut_backbone


@pytest.mark.parametrize("layer", GLYPHNET_PROBES)
def test_cut_gives_flat_vectors_of_the_layer_output(glyph, images, layer):
    import keras

    shape = tuple(glyph.get_layer(layer).output.shape[1:])
    inner = np.asarray(keras.Model(glyph.input, glyph.get_layer(layer).output)(images, training=False))
    flat = cut_backbone(glyph, layer)
    avg = cut_backbone(glyph, layer, pooling="avg")
    if len(shape) == 3:
        h, w, c = shape
        assert flat.output_shape == (None, h * w * c)
        assert avg.output_shape == (None, c)
        expected_flat, expected_avg = inner.reshape(len(images), -1), inner.mean(axis=(1, 2))
    else:
        assert flat.output_shape == avg.output_shape == (None, shape[0])
        expected_flat = expected_avg = inner
    out_flat = np.asarray(flat(images, training=False))
    out_avg = np.asarray(avg(images, training=False))
    assert out_flat.ndim == out_avg.ndim == 2
    np.testing.assert_allclose(out_flat, expected_flat, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out_avg, expected_avg, rtol=1e-5, atol=1e-5)


def test_cut_of_mobilenet_is_2d(mobilenet):
    layer = "block_5_add"
    h, w, c = mobilenet.get_layer(layer).output.shape[1:]
    assert cut_backbone(mobilenet, layer).output_shape == (None, h * w * c)
    assert cut_backbone(mobilenet, layer, pooling="avg").output_shape == (None, c)


def test_cut_shares_weights_with_the_backbone(images):
    backbone = _tiny(seed=2)
    cut = cut_backbone(backbone, "block2_relu1")
    assert cut.get_layer("block1_conv1") is backbone.get_layer("block1_conv1")
    before = np.asarray(cut(images, training=False))
    kernel = backbone.get_layer("block1_conv1").kernel
    kernel.assign(kernel.numpy() * -1.5)
    after = np.asarray(cut(images, training=False))
    assert not np.allclose(before, after, atol=1e-4)
    # and the other way round: training the cut trains the backbone
    cut.get_layer("block2_conv1").kernel.assign(np.zeros(cut.get_layer("block2_conv1").kernel.shape, "float32"))
    assert not np.asarray(backbone.get_layer("block2_conv1").kernel).any()


@pytest.mark.parametrize("trainable", [False, True])
def test_cut_keeps_the_trainable_flag(trainable):
    backbone = _tiny(seed=3)
    backbone.trainable = trainable
    cut = cut_backbone(backbone, "block2_pool")
    assert cut.trainable is trainable
    assert backbone.trainable is trainable
    if trainable:
        # block1 and block2: 4 convolutions, each with a kernel and BatchNorm gamma and beta
        assert len(cut.trainable_variables) == 12
    else:
        assert cut.trainable_variables == []


def test_cut_does_not_unfreeze_layers_of_a_partly_frozen_backbone():
    backbone = _tiny(seed=4)
    backbone.get_layer("block1_conv1").trainable = False
    n_trainable = len(backbone.trainable_variables)
    cut_backbone(backbone, "block2_pool")
    assert backbone.get_layer("block1_conv1").trainable is False
    assert len(backbone.trainable_variables) == n_trainable


def test_unknown_layer_raises_listing_the_probe_layers(glyph):
    with pytest.raises(ValueError, match="has no layer 'block9_relu1'") as info:
        cut_backbone(glyph, "block9_relu1")
    message = str(info.value)
    for name in GLYPHNET_PROBES:
        assert name in message


@pytest.mark.parametrize("pooling", ["max", "Flatten", "", None])
def test_bad_pooling_raises(glyph, pooling):
    with pytest.raises(ValueError, match="pooling must be 'flatten' or 'avg'"):
        cut_backbone(glyph, "block1_pool", pooling=pooling)


def test_cut_of_the_shipped_course_backbone():
    """The registry's course backbone is a model nested in its source classifier; cutting it still works."""
    from utils import load_backbone

    backbone = load_backbone("glyphnet-letters")
    layers = probe_layers(backbone, name="glyphnet-letters")
    assert layers[-1] == "features"
    cut = cut_backbone(backbone, layers[0], pooling="avg")
    x = np.random.default_rng(0).uniform(0, 1, (3, *backbone.input_shape[1:])).astype("float32")
    assert np.asarray(cut(x, training=False)).shape == (3, backbone.get_layer(layers[0]).output.shape[-1])
    assert cut.trainable is False


# ---------------------------------------------------------------- linear probe


def _blobs(n, d, seed, gap=10.0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    x = rng.normal(0.0, 1.0, (n, d)) + gap * y[:, None]
    return x, y


def test_separable_features_give_accuracy_one():
    x_train, y_train = _blobs(100, 5, seed=0)
    x_eval, y_eval = _blobs(60, 5, seed=1)
    assert linear_probe(x_train, y_train, x_eval, y_eval) == 1.0


def test_random_labels_give_about_chance():
    rng = np.random.default_rng(0)
    x_train, x_eval = rng.normal(size=(200, 20)), rng.normal(size=(200, 20))
    y_train, y_eval = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    accuracy = linear_probe(x_train, y_train, x_eval, y_eval)
    assert 0.25 < accuracy < 0.75


def test_linear_probe_equals_fitting_make_linear_probe_by_hand():
    rng = np.random.default_rng(3)
    x_train, x_eval = rng.normal(size=(120, 6)), rng.normal(size=(80, 6))
    w = rng.normal(size=(6, 3))
    y_train, y_eval = (x_train @ w).argmax(1), (x_eval @ w).argmax(1)
    for C in (0.05, 1.0):
        by_hand = make_linear_probe(C).fit(x_train, y_train).score(x_eval, y_eval)
        result = linear_probe(x_train, y_train, x_eval, y_eval, C=C)
        assert isinstance(result, float)
        assert result == by_hand
        assert 0.0 <= result <= 1.0


def test_make_linear_probe_standardises_then_fits_a_logistic_regression():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    probe = make_linear_probe(0.3, max_iter=50)
    scaler, logreg = (step for _, step in probe.steps)
    assert isinstance(scaler, StandardScaler)
    assert isinstance(logreg, LogisticRegression)
    assert logreg.C == 0.3 and logreg.max_iter == 50


def _good():
    x, y = _blobs(20, 4, seed=5)
    return x, y, x[:10], y[:10]


@pytest.mark.parametrize(
    "case, match",
    [
        ("3d", "features must be 2-D"),
        ("width", "differ in width"),
        ("train_length", "differ in length"),
        ("eval_length", "differ in length"),
        ("one_class", "at least two classes"),
    ],
)
def test_linear_probe_bad_inputs_raise(case, match):
    x_train, y_train, x_eval, y_eval = _good()
    if case == "3d":
        x_train = x_train.reshape(20, 2, 2)
    elif case == "width":
        x_eval = x_eval[:, :3]
    elif case == "train_length":
        y_train = y_train[:-1]
    elif case == "eval_length":
        y_eval = np.concatenate([y_eval, [0]])
    elif case == "one_class":
        y_train = np.zeros_like(y_train)
    with pytest.raises(ValueError, match=match):
        linear_probe(x_train, y_train, x_eval, y_eval)


@pytest.mark.parametrize("C", [0, 0.0, -1.0, float("nan")])
def test_make_linear_probe_refuses_a_non_positive_C(C):
    with pytest.raises(ValueError, match="C must be positive"):
        make_linear_probe(C)
    x_train, y_train, x_eval, y_eval = _good()
    with pytest.raises(ValueError, match="C must be positive"):
        linear_probe(x_train, y_train, x_eval, y_eval, C=C)
