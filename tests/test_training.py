"""Tests of utils.training.train_in_graph: mini-batch training, one compiled graph per epoch."""

import numpy as np
import pytest

from utils import set_seed, train_in_graph
from utils.models import build_glyphnet


def _blobs(n=64, d=4, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    x = rng.normal(0.0, 1.0, (n, d)) + 3.0 * (2 * y[:, None] - 1)
    perm = rng.permutation(n)
    return x[perm].astype("float32"), y[perm]


def _linear(d=4, seed=0):
    import keras

    set_seed(seed)
    return keras.Sequential([keras.Input((d,)), keras.layers.Dense(2, activation="softmax", name="head")])


def _images(n=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, 1.0, (n, 8, 8, 1)).astype("float32"), rng.integers(0, 2, n)


def _backbone_and_head(*, trainable, training, width=2, seed=0):
    """A tiny glyphnet backbone called with ``training`` inside a model with a Dense head."""
    import keras

    set_seed(seed)
    backbone = build_glyphnet((8, 8, 1), width=width, name="backbone")
    backbone.trainable = trainable
    inputs = keras.Input((8, 8, 1))
    features = backbone(inputs, training=training) if training is not None else backbone(inputs)
    outputs = keras.layers.Dense(2, activation="softmax", name="head")(features)
    return keras.Model(inputs, outputs), backbone


def _bn_stats(model):
    return [
        v.numpy()
        for layer in model.layers
        if "_bn" in layer.name
        for v in (layer.moving_mean, layer.moving_variance)
    ]


# ---------------------------------------------------------------- learning


def test_loss_decreases_and_training_accuracy_is_high_on_a_separable_problem():
    import keras

    x, y = _blobs()
    model = _linear()
    history = train_in_graph(model, x, y, epochs=15, batch_size=16, optimizer=keras.optimizers.Adam(0.05))
    losses = history["loss"]
    assert losses[-1] < losses[0] * 0.5
    assert losses[-1] < losses[len(losses) // 2] < losses[0]
    assert history["accuracy"][-1] > 0.9
    predicted = np.asarray(model(x, training=False)).argmax(1)
    assert (predicted == y).mean() > 0.9


def test_from_logits_trains_a_model_without_softmax():
    import keras

    x, y = _blobs()
    set_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    history = train_in_graph(model, x, y, epochs=10, batch_size=16, optimizer=keras.optimizers.Adam(0.05),
                             from_logits=True)
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] > 0.9


# ---------------------------------------------------------------- frozen layers and BatchNorm


def test_frozen_backbone_is_bitwise_unchanged_and_the_head_is_trained():
    x, y = _images()
    model, backbone = _backbone_and_head(trainable=False, training=False)
    backbone_before = [w.numpy() for w in backbone.weights]
    assert any("moving_mean" in w.path for w in backbone.weights)
    head_before = [w.numpy() for w in model.get_layer("head").weights]
    train_in_graph(model, x, y, epochs=3, batch_size=8, optimizer=None)
    for before, weight in zip(backbone_before, backbone.weights):
        np.testing.assert_array_equal(before, weight.numpy(), err_msg=weight.path)
    for before, weight in zip(head_before, model.get_layer("head").weights):
        assert not np.array_equal(before, weight.numpy()), f"{weight.path} was not trained"


def test_batchnorm_stays_in_inference_mode_in_a_frozen_backbone_called_with_training_false():
    x, y = _images()
    model, backbone = _backbone_and_head(trainable=False, training=False)
    before = _bn_stats(backbone)
    features_before = np.asarray(backbone(x, training=False))
    train_in_graph(model, x, y, epochs=2, batch_size=8)
    for a, b in zip(before, _bn_stats(backbone)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(features_before, np.asarray(backbone(x, training=False)))


def test_batchnorm_statistics_do_update_in_a_trainable_backbone_in_training_mode():
    """The contrast case: the check above would notice BatchNorm running in training mode."""
    x, y = _images()
    model, backbone = _backbone_and_head(trainable=True, training=None)
    before = _bn_stats(backbone)
    kernel_before = backbone.get_layer("block1_conv1").kernel.numpy()
    train_in_graph(model, x, y, epochs=2, batch_size=8)
    assert all(not np.array_equal(a, b) for a, b in zip(before, _bn_stats(backbone)))
    assert not np.array_equal(kernel_before, backbone.get_layer("block1_conv1").kernel.numpy())


# ---------------------------------------------------------------- determinism and history


def _seeded_run(seed):
    x, y = _images(seed=1)
    model, _ = _backbone_and_head(trainable=True, training=None, seed=seed)
    history = train_in_graph(model, x, y, epochs=3, batch_size=8, seed=seed)
    return history, [w.numpy() for w in model.weights]


def test_training_is_repeatable_under_a_seed():
    history_a, weights_a = _seeded_run(5)
    history_b, weights_b = _seeded_run(5)
    assert history_a["loss"] == history_b["loss"]
    assert history_a["accuracy"] == history_b["accuracy"]
    assert len(weights_a) == len(weights_b)
    for a, b in zip(weights_a, weights_b):
        np.testing.assert_array_equal(a, b)


def test_shuffling_seed_changes_the_batches():
    x, y = _blobs()
    model_a, model_b = _linear(), _linear()
    model_b.set_weights(model_a.get_weights())
    history_a = train_in_graph(model_a, x, y, epochs=2, batch_size=8, seed=0)
    history_b = train_in_graph(model_b, x, y, epochs=2, batch_size=8, seed=1)
    assert history_a["loss"][0] != history_b["loss"][0]


def test_history_keys_and_lengths_without_validation():
    x, y = _blobs(32)
    history = train_in_graph(_linear(), x, y, epochs=3, batch_size=8)
    assert set(history) == {"loss", "accuracy", "epoch_seconds"}
    for key, values in history.items():
        assert len(values) == 3, key
        assert all(isinstance(v, float) and np.isfinite(v) for v in values), key
    assert all(0.0 <= a <= 1.0 for a in history["accuracy"])
    assert all(s > 0 for s in history["epoch_seconds"])


def test_history_has_validation_scores_with_validation_data():
    x, y = _blobs(32)
    x_val, y_val = _blobs(20, seed=1)
    model = _linear()
    history = train_in_graph(model, x, y, epochs=4, batch_size=8, validation_data=(x_val, y_val))
    assert set(history) == {"loss", "accuracy", "epoch_seconds", "val_loss", "val_accuracy"}
    for key, values in history.items():
        assert len(values) == 4, key
    # the last validation scores are those of the trained model in inference mode
    import keras

    probabilities = np.asarray(model(x_val, training=False))
    assert history["val_accuracy"][-1] == pytest.approx((probabilities.argmax(1) == y_val).mean())
    expected_loss = float(keras.losses.SparseCategoricalCrossentropy()(y_val, probabilities))
    assert history["val_loss"][-1] == pytest.approx(expected_loss, rel=1e-5)


# ---------------------------------------------------------------- inputs


@pytest.mark.parametrize(
    "change, match",
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"epochs": 2.0}, "epochs must be a positive integer"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"batch_size": True}, "batch_size must be a positive integer"),
        ({"y": np.zeros(31, "int64")}, "equal length"),
        ({"x": np.zeros((0, 4), "float32"), "y": np.zeros(0, "int64")}, "non-empty"),
    ],
)
def test_bad_input_raises(change, match):
    x, y = _blobs(32)
    kwargs = {"x": x, "y": y, "epochs": 1, "batch_size": 8, **change}
    with pytest.raises(ValueError, match=match):
        train_in_graph(_linear(), kwargs.pop("x"), kwargs.pop("y"), **kwargs)


def test_model_without_trainable_variables_raises():
    x, y = _blobs(32)
    model = _linear()
    model.trainable = False
    with pytest.raises(ValueError, match="no trainable variables"):
        train_in_graph(model, x, y, epochs=1)


def test_batch_size_larger_than_the_data_is_one_full_batch():
    x, y = _blobs(10)
    model_a, model_b = _linear(), _linear()
    model_b.set_weights(model_a.get_weights())
    big = train_in_graph(model_a, x, y, epochs=3, batch_size=1000)
    full = train_in_graph(model_b, x, y, epochs=3, batch_size=10)
    assert len(big["loss"]) == 3 and all(np.isfinite(big["loss"]))
    np.testing.assert_allclose(big["loss"], full["loss"], rtol=1e-6)
    for a, b in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_graph_trainer_reset_reproduces_a_fresh_run_without_retracing():
    """Reset to a twin's weights + optimiser start state == a brand-new trainer on a brand-new model."""
    import keras

    from utils import set_seed
    from utils.training import GraphTrainer

    def build():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                                 keras.layers.Dense(3, activation="softmax")])

    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4)).astype("float32")
    y = rng.integers(0, 3, 30)
    set_seed(1)
    reference = GraphTrainer(build()).fit(x, y, epochs=3, batch_size=8, seed=1)["loss"]
    set_seed(0)
    trainer = GraphTrainer(build())
    trainer.fit(x, y, epochs=2, batch_size=8)  # dirty it: weights and Adam moments move
    set_seed(1)
    trainer.reset(build().get_weights())
    again = trainer.fit(x, y, epochs=3, batch_size=8, seed=1)["loss"]
    np.testing.assert_allclose(again, reference, rtol=1e-5)
    assert float(trainer.optimizer.learning_rate) == pytest.approx(1e-3)  # the rate is not zeroed
    assert trainer._run_epoch.experimental_get_tracing_count() == 1  # one graph for every run and size


def test_graph_trainer_refuses_a_frozen_model():
    import keras

    from utils.training import GraphTrainer

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.trainable = False
    with pytest.raises(ValueError, match="no trainable variables"):
        GraphTrainer(model)
