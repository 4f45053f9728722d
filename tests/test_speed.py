"""Tests of utils.course.speed and of GraphTrainer under mixed precision and XLA (run on the CPU)."""

import numpy as np
import pytest

import utils
from utils.course.speed import BLAS_ENV, MIXED_ENV, XLA_ENV, configure_speed, reset_speed, speed_settings
from utils.features import feature_cache_key

tf = utils.import_tensorflow()
import keras  # noqa: E402


@pytest.fixture(autouse=True)
def _no_speed_env(monkeypatch):
    monkeypatch.delenv(MIXED_ENV, raising=False)
    monkeypatch.delenv(XLA_ENV, raising=False)
    monkeypatch.delenv(BLAS_ENV, raising=False)
    yield
    reset_speed()


@pytest.mark.parametrize("gpu", [True, False])
def test_default_follows_the_gpu(gpu):
    settings = configure_speed(gpu=gpu)
    assert settings.mixed_precision is gpu and settings.jit_compile is gpu
    assert speed_settings() == settings
    assert keras.mixed_precision.global_policy().name == ("mixed_float16" if gpu else "float32")
    assert ("GPU is visible" if gpu else "no GPU") in settings.describe()


def _blas_threads():
    from threadpoolctl import threadpool_info

    return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


def test_blas_is_limited_to_one_thread_and_reset_restores_it():
    before = _blas_threads()
    settings = configure_speed(gpu=False)
    assert settings.blas_threads == 1 and _blas_threads() == {1}
    reset_speed()
    assert _blas_threads() == before


def test_blas_threads_from_the_environment_or_the_call(monkeypatch):
    monkeypatch.setenv(BLAS_ENV, "2")
    assert configure_speed(gpu=False).blas_threads == 2 and _blas_threads() == {2}
    assert configure_speed(gpu=False, blas_threads=1).blas_threads == 1 and _blas_threads() == {1}


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_bad_blas_threads_in_the_environment_say_what_to_set(monkeypatch, value):
    monkeypatch.setenv(BLAS_ENV, value)
    with pytest.raises(ValueError, match="TL_BLAS_THREADS must be a positive whole number"):
        configure_speed(gpu=False)


@pytest.mark.parametrize("value", [0, True, 1.0, "1"])
def test_bad_blas_threads_argument(value):
    with pytest.raises(ValueError, match="blas_threads must be a positive int"):
        configure_speed(gpu=False, blas_threads=value)


def test_reset_goes_back_to_float32():
    configure_speed(gpu=True)
    reset_speed()
    assert keras.mixed_precision.global_policy().name == "float32"
    assert not speed_settings().mixed_precision and not speed_settings().jit_compile


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("on", True), ("0", False), ("False", False)])
def test_environment_overrides_the_gpu_default(monkeypatch, value, expected):
    monkeypatch.setenv(MIXED_ENV, value)
    monkeypatch.setenv(XLA_ENV, value)
    settings = configure_speed(gpu=not expected)
    assert settings.mixed_precision is expected and settings.jit_compile is expected
    assert MIXED_ENV in settings.reason


def test_explicit_choice_wins_over_environment(monkeypatch):
    monkeypatch.setenv(MIXED_ENV, "1")
    settings = configure_speed(gpu=True, mixed_precision=False)
    assert settings.mixed_precision is False and settings.jit_compile is True
    assert "chosen in the notebook" in settings.reason


def test_bad_values_are_refused(monkeypatch):
    with pytest.raises(TypeError, match="mixed_precision must be True, False or None"):
        configure_speed(gpu=False, mixed_precision="yes")
    monkeypatch.setenv(XLA_ENV, "maybe")
    with pytest.raises(ValueError, match="TL_XLA must be 1 or 0"):
        configure_speed(gpu=False)


def test_select_track_configures_speed_and_prints_it(capsys):
    utils.select_track("offline", gpu=False)
    out = capsys.readouterr().out
    assert "Track: offline" in out and "Speed: mixed precision off, XLA off" in out
    utils.select_track("imagenet", gpu=True)
    assert "Speed: mixed precision on, XLA on" in capsys.readouterr().out
    assert keras.mixed_precision.global_policy().name == "mixed_float16"


def _toy(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6, 6, 1)).astype("float32")
    return x, (x.mean(axis=(1, 2, 3)) > 0).astype(int)


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6, 6, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax", dtype="float32")(x))


def test_mixed_precision_training_scales_the_loss_and_learns():
    x, y = _toy()
    configure_speed(gpu=False, mixed_precision=True, jit_compile=False)
    model = _model()
    assert model.layers[1].compute_dtype == "float16" and model.layers[1].kernel.dtype == "float32"
    trainer = utils.GraphTrainer(model, keras.optimizers.Adam(1e-2))
    assert trainer.mixed_precision
    assert float(trainer.loss_scale.numpy()) == 2.0**15
    history = trainer.fit(x, y, epochs=15, batch_size=32)
    assert np.all(np.isfinite(history["loss"]))
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] > 0.8


def test_an_overflowing_step_is_skipped_and_the_scale_halved():
    x, y = _toy(64)
    configure_speed(gpu=False, mixed_precision=True, jit_compile=False)
    model = _model()
    trainer = utils.GraphTrainer(model, keras.optimizers.Adam(1e-2))
    before = [w.copy() for w in model.get_weights()]
    trainer.loss_scale.assign(3e38)  # the scaled float16 gradients overflow
    trainer.fit(x, y, epochs=1, batch_size=64)  # one step
    assert float(trainer.loss_scale.numpy()) == pytest.approx(1.5e38)
    trainable = {id(v) for v in model.trainable_variables}
    for w, old, new in zip(model.weights, before, model.get_weights()):
        if id(w) in trainable:
            np.testing.assert_array_equal(old, new)  # the step was skipped
    trainer.reset(before)
    assert float(trainer.loss_scale.numpy()) == 2.0**15


def test_mixed_precision_follows_the_model_not_the_current_policy():
    configure_speed(gpu=False, mixed_precision=True, jit_compile=False)
    model = _model()
    reset_speed()  # a float16 model trained after the policy went back to float32 still scales its loss
    assert utils.GraphTrainer(model).mixed_precision
    assert not utils.GraphTrainer(_model()).mixed_precision


def test_a_float16_output_gets_a_warning():
    configure_speed(gpu=False, mixed_precision=True, jit_compile=False)
    inputs = keras.Input((6, 6, 1))
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(inputs))
    with pytest.warns(UserWarning, match="dtype='float32'"):
        utils.GraphTrainer(keras.Model(inputs, outputs))


def test_mixed_precision_with_optimizer_groups_trains_every_group():
    x, y = _toy()
    configure_speed(gpu=False, mixed_precision=True, jit_compile=False)
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    conv, dense = model.layers[1].trainable_variables, model.layers[-1].trainable_variables
    groups = [(keras.optimizers.Adam(1e-3), conv), (keras.optimizers.Adam(1e-2), dense)]
    trainer = utils.GraphTrainer(model, groups)
    trainer.fit(x, y, epochs=2, batch_size=32)
    changed = [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]
    assert changed[0] and changed[-1]  # conv kernel and dense bias moved


def test_mixed_precision_and_xla_together_with_a_short_last_batch():
    x, y = _toy(100)  # batches of 32, 32, 32 and 4
    configure_speed(gpu=False, mixed_precision=True, jit_compile=True)
    trainer = utils.GraphTrainer(_model(), keras.optimizers.Adam(1e-2))
    assert trainer.jit_compile and trainer.mixed_precision
    history = trainer.fit(x, y, epochs=5, batch_size=32)
    assert np.all(np.isfinite(history["loss"])) and history["loss"][-1] < history["loss"][0]


def test_xla_gives_the_same_training_as_plain_graphs():
    x, y = _toy(100)  # a short last batch too
    reset_speed()
    histories = []
    for jit in (False, True):
        trainer = utils.GraphTrainer(_model(), keras.optimizers.Adam(1e-2), jit_compile=jit)
        assert trainer.jit_compile is jit
        histories.append(trainer.fit(x, y, epochs=3, batch_size=32, seed=1))
    np.testing.assert_allclose(histories[0]["loss"], histories[1]["loss"], rtol=1e-4)


def test_trainer_follows_the_speed_settings_and_refuses_bad_jit():
    configure_speed(gpu=False, jit_compile=True)
    assert utils.GraphTrainer(_model()).jit_compile is True
    reset_speed()
    assert utils.GraphTrainer(_model()).jit_compile is False
    with pytest.raises(TypeError, match="jit_compile"):
        utils.GraphTrainer(_model(), jit_compile="auto")


def test_coral_and_mmd_accept_float16_features():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(16, 5)), rng.normal(1.0, 2.0, size=(16, 5))
    for loss in (utils.coral_loss, utils.mmd_loss):
        half = loss(tf.constant(a, tf.float16), tf.constant(b, tf.float16))
        assert half.dtype == tf.float32
        np.testing.assert_allclose(float(half), float(loss(a, b)), rtol=1e-2)


def test_imagenet_backbone_trains_under_mixed_precision_with_a_float32_head():
    configure_speed(gpu=False, mixed_precision=True, jit_compile=False)
    backbone = keras.applications.MobileNetV2(
        weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3), alpha=0.35
    )
    inputs = keras.Input((32, 32, 3))
    outputs = keras.layers.Dense(3, activation="softmax", dtype="float32")(backbone(inputs))
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).uniform(-1, 1, size=(8, 32, 32, 3)).astype("float32")
    history = utils.GraphTrainer(model).fit(x, np.arange(8) % 3, epochs=1, batch_size=8)
    assert np.isfinite(history["loss"][0])
    assert model.output.dtype == "float32"


def test_feature_cache_key_tells_float16_from_float32_extractors():
    x = np.zeros((4, 6, 6, 1), "float32")
    reset_speed()
    plain = _model()
    key32 = feature_cache_key(plain, x)
    configure_speed(gpu=False, mixed_precision=True, jit_compile=False)
    half = _model()
    half.set_weights(plain.get_weights())
    assert feature_cache_key(half, x) != key32
