"""Fine-tuning building blocks: L2-SP, BatchNorm freezing, per-layer learning rates."""

import numpy as np
import pytest

from utils import set_seed
from utils.finetune import L2SP, backbone_blocks, discriminative_learning_rates, freeze_batchnorm, glyphnet_blocks
from utils.models import build_glyphnet
from utils.training import GraphTrainer, train_in_graph


def tiny_classifier(width=4):
    import keras

    backbone = build_glyphnet((8, 8, 1), width=width)
    inputs = keras.Input((8, 8, 1))
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(backbone(inputs))
    return backbone, keras.Model(inputs, outputs)


def data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 8, 8, 1)).astype("float32"), rng.integers(0, 3, n)


# --- L2-SP -----------------------------------------------------------------------------------


def test_l2sp_is_zero_at_the_starting_point_and_matches_the_formula():
    import keras

    v = keras.Variable(np.array([1.0, -2.0, 3.0], "float32"))
    w = keras.Variable(np.ones((2, 2), "float32"))
    penalty = L2SP([v, w], alpha=0.5)
    assert float(penalty()) == 0.0
    v.assign(np.array([2.0, -2.0, 1.0], "float32"))  # moved by (1, 0, -2)
    w.assign(np.full((2, 2), 3.0, "float32"))  # moved by 2 everywhere
    expected = 0.5 * 0.5 * (1 + 0 + 4 + 4 * 4)
    assert float(penalty()) == pytest.approx(expected)
    assert penalty.distance() == pytest.approx(np.sqrt(21.0))


def test_l2sp_gradient_points_back_to_the_starting_point():
    import keras
    import tensorflow as tf

    v = keras.Variable(np.array([1.0, -2.0], "float32"))
    penalty = L2SP([v], alpha=0.1)
    v.assign(np.array([3.0, -5.0], "float32"))
    with tf.GradientTape() as tape:
        value = penalty()
    grad = tape.gradient(value, v)
    np.testing.assert_allclose(np.array(grad), 0.1 * np.array([2.0, -3.0]), rtol=1e-6)  # alpha * (w - w0)


def test_l2sp_keeps_weights_closer_to_the_start_during_training():
    x, y = data()
    distances = {}
    for alpha in (0.0, 10.0):
        set_seed(0)
        backbone, model = tiny_classifier()
        penalty = L2SP(backbone.trainable_variables, alpha=alpha)
        train_in_graph(model, x, y, epochs=5, batch_size=8, penalty=penalty)
        distances[alpha] = penalty.distance()
    assert distances[10.0] < distances[0.0]


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_l2sp_rejects_bad_alpha(bad):
    import keras

    with pytest.raises(ValueError, match="alpha"):
        L2SP([keras.Variable(np.zeros(2, "float32"))], alpha=bad)


def test_l2sp_rejects_no_variables():
    with pytest.raises(ValueError, match="at least one"):
        L2SP([], alpha=1.0)


# --- BatchNorm ---------------------------------------------------------------------------------


def bn_stats(backbone):
    return [w.numpy() for layer in backbone.layers if "bn" in layer.name for w in layer.non_trainable_weights]


def test_unfrozen_backbone_updates_batchnorm_statistics_in_training_mode():
    """The contrast case: without freezing, training=True moves the moving statistics."""
    x, y = data()
    set_seed(0)
    backbone, model = tiny_classifier()
    before = bn_stats(backbone)
    train_in_graph(model, x, y, epochs=1, batch_size=8)
    assert any(not np.array_equal(a, b) for a, b in zip(before, bn_stats(backbone), strict=True))


def test_freeze_batchnorm_keeps_statistics_in_inference_mode_while_convolutions_train():
    x, y = data()
    set_seed(0)
    backbone, model = tiny_classifier()
    assert freeze_batchnorm(model) == 5  # the glyphnet has five BatchNorm layers
    stats = bn_stats(backbone)
    kernel = backbone.get_layer("block1_conv1").kernel.numpy()
    train_in_graph(model, x, y, epochs=2, batch_size=8)
    for a, b in zip(stats, bn_stats(backbone), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(kernel, backbone.get_layer("block1_conv1").kernel.numpy())
    # inference mode: the same output whatever training flag
    np.testing.assert_allclose(np.array(model(x, training=True)), np.array(model(x, training=False)), rtol=1e-5, atol=1e-6)


# --- per-layer learning rates -------------------------------------------------------------------


def test_discriminative_rates_decay_towards_the_input():
    backbone, _ = tiny_classifier()
    groups = discriminative_learning_rates(glyphnet_blocks(backbone), base_rate=1e-2, decay=0.5)
    assert [rate for _, _, rate in groups] == pytest.approx([2.5e-3, 5e-3, 1e-2])
    assert sum(len(v) for _, v, _ in groups) == len(backbone.trainable_variables)


def test_sgd_groups_move_each_block_by_its_own_rate():
    """With SGD the update of each variable is rate * gradient: check the rates took effect."""
    import tensorflow as tf

    x, y = data(8)
    set_seed(0)
    backbone, model = tiny_classifier()
    groups = discriminative_learning_rates(
        [*glyphnet_blocks(backbone), [model.get_layer("head")]], base_rate=0.1, decay=0.1, optimizer="sgd"
    )
    before = {id(v): v.numpy() for _, vs, _ in groups for v in vs}
    import keras

    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=False))
    variables = [v for _, vs, _ in groups for v in vs]
    grads = dict(zip((id(v) for v in variables), tape.gradient(loss, variables), strict=True))
    trainer = GraphTrainer(model, groups)
    freeze_batchnorm(model)  # same forward in the step as in the tape above
    trainer._run_epoch(tf.constant(x), tf.constant(y.astype("int64")), tf.range(8, dtype=tf.int64), tf.constant(8, tf.int64))
    for _, vs, rate in groups:
        for v in vs:
            g = np.array(grads[id(v)])
            if np.abs(g).max() > 0:
                np.testing.assert_allclose(before[id(v)] - v.numpy(), rate * g, rtol=1e-3, atol=1e-7)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"base_rate": 0.0, "decay": 0.5}, "base_rate"),
    ({"base_rate": 1e-3, "decay": 0.0}, "decay"),
    ({"base_rate": 1e-3, "decay": 1.5}, "decay"),
    ({"base_rate": 1e-3, "decay": 0.5, "optimizer": "rmsprop"}, "optimizer"),
])
def test_discriminative_rates_reject_bad_input(kwargs, message):
    backbone, _ = tiny_classifier()
    with pytest.raises(ValueError, match=message):
        discriminative_learning_rates(glyphnet_blocks(backbone), **kwargs)


def test_frozen_groups_are_skipped_and_all_frozen_is_an_error():
    backbone, _ = tiny_classifier()
    blocks = glyphnet_blocks(backbone)
    for layer in blocks[0]:
        layer.trainable = False
    groups = discriminative_learning_rates(blocks, base_rate=1e-3, decay=0.5)
    assert len(groups) == 2
    backbone.trainable = False
    with pytest.raises(ValueError, match="no group"):
        discriminative_learning_rates(glyphnet_blocks(backbone), base_rate=1e-3, decay=0.5)


def test_glyphnet_blocks_rejects_other_models():
    import keras

    with pytest.raises(ValueError, match="glyphnet"):
        glyphnet_blocks(keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]))


def test_backbone_blocks_groups_glyphnets_by_block_and_others_evenly():
    import keras

    backbone, _ = tiny_classifier()
    assert [[layer.name for layer in g][0] for g in backbone_blocks(backbone)] == ["block1_conv1", "block2_conv1", "block3_conv1"]
    net = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3))
    groups = backbone_blocks(net, 4)
    assert len(groups) == 4
    assert sum(len(g) for g in groups) == len([layer for layer in net.layers if layer.weights])
    assert groups[0][0].name == "Conv1" and groups[-1][-1].name.startswith("Conv_1")
    with pytest.raises(ValueError, match="n_groups"):
        backbone_blocks(net, 0)
