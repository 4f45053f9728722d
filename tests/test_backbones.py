"""Tests of utils.backbones: one registry for course backbones and keras.applications."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import utils
from utils import (
    KERAS_APPLICATIONS,
    WeightsUnavailableError,
    get_preprocessing,
    list_backbones,
    load_backbone,
    load_card,
    load_source_classifier,
)
from utils import pretrain as pretrain_module
from utils.backbones import adapt_images, course_backbones, keras_cache_dir

PRETRAINED = pretrain_module.PRETRAINED_DIR
SHIPPED = "glyphnet-letters"
MAX_WEIGHTS_BYTES = 2_000_000
CARD_KEYS = ("source_task", "source_classes", "source_accuracy", "parameters", "seed", "training_time_s", "command")


def _shipped_card(name=SHIPPED):
    """Path of a shipped card; fails clearly if the card or its weights are missing."""
    card, weights = pretrain_module.card_path(name), pretrain_module.weights_path(name)
    assert card.exists() and weights.exists(), f"{card.name} or {weights.name} missing from data/pretrained/"
    return card


def _shipped_cards():
    names = {p.name[: -len(".json")] for p in PRETRAINED.glob("*.json") if not p.name.startswith(".")}
    return sorted(names | {SHIPPED})


@pytest.fixture(scope="module")
def glyphnet():
    _shipped_card()
    import keras  # noqa: F401 - import TensorFlow before anything is timed

    return load_backbone(SHIPPED)


# ---------------------------------------------------------------- registry


def test_offline_track_lists_the_shipped_course_backbone():
    _shipped_card()
    names = list_backbones("offline")
    assert SHIPPED in names
    assert not set(names) & set(KERAS_APPLICATIONS)


def test_imagenet_track_lists_keras_applications():
    names = list_backbones("imagenet")
    assert {"mobilenet_v2", "efficientnet_b0", "resnet50", "resnet50_v2", "densenet121", "vgg16"} <= set(names)
    assert SHIPPED not in names


def test_course_backbones_ignore_hidden_temporary_cards(tmp_path):
    """`python -m utils.pretrain` writes its card as a hidden temporary file first; it is no backbone."""
    (tmp_path / "glyphnet-demo.json").write_text("{}")
    (tmp_path / ".glyphnet-demo.k2j4x_.json").write_text("{}")
    assert course_backbones(tmp_path) == ["glyphnet-demo"]


def test_no_track_lists_both_families():
    _shipped_card()
    assert set(list_backbones()) == set(list_backbones("offline")) | set(list_backbones("imagenet"))


@pytest.mark.parametrize("track", ["gpu", "Offline", ""])
def test_list_backbones_bad_track_raises(track):
    with pytest.raises(ValueError, match="track must be 'offline', 'imagenet' or None"):
        list_backbones(track)


def test_unknown_backbone_raises_listing_known_names():
    _shipped_card()
    with pytest.raises(ValueError, match="Unknown backbone 'no-such-net'") as info:
        load_backbone("no-such-net")
    message = str(info.value)
    for name in (SHIPPED, "mobilenet_v2", "efficientnet_b0", "resnet50"):
        assert name in message
    assert "python -m utils.pretrain" in message
    for call in (lambda: get_preprocessing("no-such-net"), lambda: load_card("no-such-net"),
                 lambda: load_source_classifier("no-such-net")):
        with pytest.raises(ValueError, match="Unknown backbone 'no-such-net'"):
            call()


# ---------------------------------------------------------------- shipped course backbones


@pytest.mark.parametrize("name", _shipped_cards())
def test_shipped_card_matches_its_weights_and_model(name):
    card_file = _shipped_card(name)
    card = json.loads(card_file.read_text())
    assert card == load_card(name)
    for key in CARD_KEYS:
        assert key in card, f"card of {name} lacks {key!r}"
    assert card["name"] == name
    assert isinstance(card["source_task"], str) and card["source_task"]
    assert 0.0 <= card["source_accuracy"] <= 1.0
    assert isinstance(card["seed"], int)
    assert card["training_time_s"] > 0
    assert card["command"].startswith("python -m utils.pretrain")
    assert name in card["command"]

    weights = PRETRAINED / card["weights_file"]
    assert weights == pretrain_module.weights_path(name)
    assert weights.exists()
    data = weights.read_bytes()
    assert hashlib.sha256(data).hexdigest() == card["weights_sha256"]
    assert len(data) <= MAX_WEIGHTS_BYTES
    assert len(data) == card["weights_bytes"]

    backbone = load_backbone(name)
    assert backbone.count_params() == card["parameters"]
    assert backbone.output_shape == (None, card["feature_dim"])
    assert list(backbone.input_shape[1:]) == card["input_shape"]
    assert len(card["source_classes"]) == card["n_source_classes"]


@pytest.mark.parametrize("name", _shipped_cards())
def test_shipped_source_classifier_reaches_the_card_accuracy_on_fresh_images(name):
    from utils.models import scale_digits

    card = json.loads(_shipped_card(name).read_text())
    classifier = load_source_classifier(name)
    x, y, classes = pretrain_module.render_source(name, 2000, seed=12345)
    assert list(classes) == card["source_classes"]
    probs = classifier.predict(scale_digits(x), batch_size=500, verbose=0)
    assert probs.shape == (2000, len(classes))
    accuracy = float(np.mean(probs.argmax(axis=1) == y))
    assert abs(accuracy - card["source_accuracy"]) <= 0.03, (accuracy, card["source_accuracy"])
    # the classifier's backbone is the backbone load_backbone returns
    backbone = load_backbone(name)
    for a, b in zip(classifier.get_layer(name).get_weights(), backbone.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_loaded_backbone_is_frozen_by_default(glyphnet):
    assert glyphnet.trainable is False
    assert glyphnet.trainable_weights == []
    assert load_backbone(SHIPPED, trainable=True).trainable is True


def test_loaded_backbone_maps_digits_to_features(glyphnet):
    x = np.random.default_rng(0).integers(0, 17, (5, 8, 8, 1)).astype("float32")
    out = np.asarray(glyphnet(get_preprocessing(SHIPPED)(x), training=False))
    assert out.shape == (5, 128)
    assert np.isfinite(out).all()
    assert (out >= 0).all()  # ReLU then average pooling


def test_random_weights_differ_from_pretrained(glyphnet):
    random_net = load_backbone(SHIPPED, weights=None)
    assert random_net.count_params() == glyphnet.count_params()
    kernel = "block1_conv1"
    assert not np.allclose(random_net.get_layer(kernel).get_weights()[0], glyphnet.get_layer(kernel).get_weights()[0])


def test_weights_path_loads_that_file(glyphnet):
    from_path = load_backbone(SHIPPED, weights=str(pretrain_module.weights_path(SHIPPED)))
    for a, b in zip(from_path.get_weights(), glyphnet.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_imagenet_weights_for_a_course_backbone_raise():
    with pytest.raises(ValueError, match="course backbone.*not 'imagenet'"):
        load_backbone(SHIPPED, weights="imagenet")


@pytest.mark.parametrize("shape", [(32, 32, 3), (8, 8, 3), (16, 16, 1)])
def test_wrong_input_shape_for_a_course_backbone_raises(shape):
    with pytest.raises(ValueError, match=r"takes images of shape \(8, 8, 1\)"):
        load_backbone(SHIPPED, input_shape=shape)


def test_native_input_shape_is_accepted():
    assert load_backbone(SHIPPED, input_shape=(8, 8, 1)).input_shape == (None, 8, 8, 1)


def test_missing_course_weights_file_raises_weights_unavailable(tmp_path):
    with pytest.raises(WeightsUnavailableError, match="missing.weights.h5") as info:
        load_backbone(SHIPPED, weights=tmp_path / "missing.weights.h5")
    assert "python -m utils.pretrain glyphnet-letters" in str(info.value)
    assert isinstance(info.value, utils.WeightsUnavailableError)


def test_course_preprocessing_scales_0_16_to_0_1():
    preprocess = get_preprocessing(SHIPPED)
    np.testing.assert_allclose(preprocess(16 * np.ones((2, 8, 8, 1), "float32")), 1.0)
    np.testing.assert_allclose(preprocess(np.zeros((1, 8, 8, 1), "float32")), 0.0)
    np.testing.assert_allclose(preprocess(np.full((1, 8, 8, 1), 4.0, "float32")), 0.25)


def test_mobilenet_preprocessing_maps_0_255_to_minus_1_1():
    preprocess = get_preprocessing("mobilenet_v2")
    x = np.stack([np.zeros((4, 4, 3)), np.full((4, 4, 3), 255.0), np.full((4, 4, 3), 127.5)]).astype("float32")
    out = np.asarray(preprocess(x.copy()))
    np.testing.assert_allclose(out[0], -1.0)
    np.testing.assert_allclose(out[1], 1.0)
    np.testing.assert_allclose(out[2], 0.0, atol=1e-6)


# ---------------------------------------------------------------- keras.applications (no weights, no network)


@pytest.mark.parametrize("name, dim", [("mobilenet_v2", 1280), ("efficientnet_b0", 1280), ("resnet50", 2048),
                                       ("resnet50_v2", 2048), ("densenet121", 1024), ("vgg16", 512)])
def test_keras_application_without_weights_builds_and_outputs_features(name, dim):
    model = load_backbone(name, weights=None, input_shape=(32, 32, 3))
    assert model.input_shape == (None, 32, 32, 3)
    assert model.output_shape == (None, dim)
    assert model.trainable is False
    batch = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    out = np.asarray(model(get_preprocessing(name)(batch), training=False))
    assert out.shape == (2, dim)
    assert np.isfinite(out).all()


@pytest.mark.parametrize("shape", [(16, 16, 3), (32, 32, 1), (32, 32)])
def test_keras_application_bad_input_shape_raises(shape):
    with pytest.raises(ValueError, match="needs RGB images of at least 32x32"):
        load_backbone("mobilenet_v2", weights=None, input_shape=shape)


def _assert_keras_cache_is_empty():
    from keras.src.backend.config import keras_home

    cache = keras_cache_dir()
    assert cache == Path(keras_home()) / "models", "utils and Keras disagree about the weights cache"
    assert not cache.exists() or not any(cache.iterdir()), f"{cache} already holds weights; the test needs it empty"
    return cache


def _imagenet_error(name, input_shape, weights="imagenet"):
    cache = _assert_keras_cache_is_empty()
    with pytest.raises(WeightsUnavailableError) as info:
        load_backbone(name, weights=weights, input_shape=input_shape)
    return info.value, cache


def test_imagenet_weights_without_network_give_one_clear_error():
    error, cache = _imagenet_error("mobilenet_v2", None)  # default 224x224 input
    message = str(error)
    assert "TL_TRACK=offline" in message
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5" in message
    assert str(cache) in message
    assert error.__suppress_context__ is True  # raised `from None`: one error, not a chain of URL errors
    assert error.__cause__ is None


def test_imagenet_error_names_the_weights_file_keras_fetches_for_the_input_size():
    """At 96x96, Keras fetches MobileNetV2's 96-pixel weights; the message must say to place that file."""
    error, cache = _imagenet_error("mobilenet_v2", (96, 96, 3))
    message = str(error)
    assert "TL_TRACK=offline" in message
    assert str(cache) in message
    assert error.__suppress_context__ is True
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5" in message


def test_pretrained_means_imagenet_for_keras_applications():
    error, _ = _imagenet_error("efficientnet_b0", (32, 32, 3), weights="pretrained")
    assert "efficientnetb0_notop.h5" in str(error)
    assert "TL_TRACK=offline" in str(error)


def test_adapted_photos_are_a_copy_that_in_place_preprocessing_cannot_alter():
    # keras.applications.mobilenet_v2.preprocess_input rescales a float array in place
    photos = np.full((2, 32, 32, 3), 255.0, "float32")
    get_preprocessing("mobilenet_v2")(adapt_images(photos, "mobilenet_v2", image_size=32))
    assert float(photos.max()) == 255.0
