"""The imagenet track of notebook 01, end to end, without downloads.

A generated photo folder stands in for tf_flowers and MobileNetV2 runs with
``weights=None`` at 32x32: the same calls the notebook makes on that track.
"""

import numpy as np
import pytest
from PIL import Image

import utils


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for c, name in enumerate(("daisy", "rose", "tulip")):
        (root / name).mkdir()
        for i in range(10):
            base = np.zeros((40, 48, 3), "uint8")
            base[..., c] = 200  # each class has its own dominant colour
            noise = rng.integers(0, 55, base.shape, dtype="uint8")
            Image.fromarray(base + noise).save(root / name / f"{i}.jpg")
    return root


def test_notebook_01_imagenet_track_calls(photo_folder, tmp_path):
    import keras

    data = utils.load_photo_splits(photo_folder, image_size=32)
    name = "mobilenet_v2"
    x = {split: utils.adapt_images(getattr(data, split).x, name, image_size=32) for split in ("train", "test")}
    y = {split: getattr(data, split).y for split in ("train", "test")}
    backbone = utils.load_backbone(name, weights=None, input_shape=x["train"].shape[1:])
    preprocess = utils.get_preprocessing(name)
    layers = utils.probe_layers(backbone, name)
    assert layers[-1] == "out_relu"
    cut = utils.cut_backbone(backbone, layers[1], pooling="avg")
    feats = {s: utils.cached_features(cut, x[s], preprocess=preprocess, cache_dir=tmp_path) for s in x}
    assert feats["train"].shape == (len(y["train"]), cut.output_shape[-1])
    acc = utils.linear_probe(feats["train"], y["train"], feats["test"], y["test"])
    assert 0.0 <= acc <= 1.0

    # the frozen-backbone recipe, trained end to end for one epoch: backbone weights do not move
    backbone.trainable = False
    inputs = keras.Input(x["train"].shape[1:])
    outputs = keras.layers.Dense(data.n_classes, activation="softmax")(backbone(inputs, training=False))
    model = keras.Model(inputs, outputs)
    before = [w.numpy() for w in backbone.weights]
    history = utils.train_in_graph(model, preprocess(np.array(x["train"])), y["train"], epochs=1, batch_size=8)
    assert len(history["loss"]) == 1
    for old, new in zip(before, backbone.weights, strict=True):
        np.testing.assert_array_equal(old, new.numpy())
