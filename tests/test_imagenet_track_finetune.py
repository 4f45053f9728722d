"""Notebook 02's fine-tuning calls on the imagenet track, with weights=None and generated images."""

import numpy as np

import utils


def test_notebook_02_imagenet_track_calls():
    import keras

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (12, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 3, 12)
    name = "mobilenet_v2"
    x = utils.get_preprocessing(name)(x)
    backbone = utils.load_backbone(name, weights=None, input_shape=(32, 32, 3), trainable=True)
    assert utils.freeze_batchnorm(backbone) > 10
    inputs = keras.Input((32, 32, 3))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Dropout(0.2)(backbone(inputs, training=False)))
    model = keras.Model(inputs, outputs)
    groups = utils.discriminative_learning_rates([*utils.backbone_blocks(backbone), [model.layers[-1]]], 1e-3, 0.3)
    assert [round(rate, 6) for _, _, rate in groups] == [2.7e-05, 9e-05, 3e-04, 1e-03]
    stats = [w.numpy() for w in backbone.non_trainable_weights]
    penalty = utils.L2SP(backbone.trainable_variables, alpha=0.1)
    trainer = utils.GraphTrainer(model, groups, penalty=penalty)
    history = trainer.fit(x, y, epochs=1, batch_size=4)
    assert np.isfinite(history["loss"][0])
    for old, new in zip(stats, backbone.non_trainable_weights, strict=True):
        np.testing.assert_array_equal(old, new.numpy())  # BatchNorm statistics kept
    assert penalty.distance() > 0  # the convolutions did train
