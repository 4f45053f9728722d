"""Tests of utils.adaptation: gradient reversal, CORAL, MMD, AdaBN, proxy A-distance."""

import numpy as np
import pytest

import utils
from utils.adaptation import GradientReversal, adabn, coral_loss, dann_lambda, mmd_loss, proxy_a_distance
from utils.course.quiet import import_tensorflow

tf = import_tensorflow()
import keras  # noqa: E402


# ---------------------------------------------------------------- gradient reversal
@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0, 2.5])
def test_reversal_is_identity_forward_and_negates_scaled_gradient(lam):
    layer = GradientReversal(lam)
    x = tf.constant(np.random.default_rng(0).normal(size=(4, 3)), tf.float32)
    upstream = tf.constant(np.random.default_rng(1).normal(size=(4, 3)), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(y * upstream)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), -lam * upstream.numpy(), rtol=1e-6, atol=0)


def test_reversal_lambda_changes_without_retracing():
    layer = GradientReversal(1.0)
    traces = []

    @tf.function
    def grad(x):
        traces.append(1)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(layer(x))
        return tape.gradient(y, x)

    x = tf.ones((2, 2))
    np.testing.assert_allclose(grad(x).numpy(), -1.0)
    layer.set_lambda(0.25)
    np.testing.assert_allclose(grad(x).numpy(), -0.25)
    assert len(traces) == 1
    assert layer.lambda_ == 0.25


def test_reversal_has_no_trainable_weights_and_round_trips_config():
    layer = GradientReversal(0.7, name="grl")
    assert layer.trainable_weights == []
    config = layer.get_config()
    assert config["lambda_"] == pytest.approx(0.7) and config["name"] == "grl"
    clone = GradientReversal.from_config(config)
    assert clone.lambda_ == pytest.approx(0.7)


def test_reversal_survives_model_save_and_load(tmp_path):
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(1)(GradientReversal(0.4, name="grl")(inputs))
    model = keras.Model(inputs, outputs)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.get_layer("grl").lambda_ == pytest.approx(0.4)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)


@pytest.mark.parametrize("bad", [-0.1, "1", None, True, float("nan")])
def test_reversal_rejects_bad_lambda(bad):
    with pytest.raises(ValueError, match="lambda_"):
        GradientReversal(bad)
    with pytest.raises(ValueError, match="lambda_"):
        GradientReversal(1.0).set_lambda(bad)


def test_dann_lambda_schedule():
    assert dann_lambda(0.0) == 0.0
    assert dann_lambda(1.0) == pytest.approx(2 / (1 + np.exp(-10)) - 1)
    values = [dann_lambda(p) for p in np.linspace(0, 1, 11)]
    assert all(b > a for a, b in zip(values, values[1:]))
    assert dann_lambda(1.0, maximum=0.3) == pytest.approx(0.3 * dann_lambda(1.0))
    for bad in (dict(progress=-0.1), dict(progress=1.5), dict(progress=0.5, gamma=0), dict(progress=0.5, maximum=-1)):
        with pytest.raises(ValueError):
            dann_lambda(**bad)


# ---------------------------------------------------------------- CORAL
def _features(seed, n=64, d=8, scale=1.0, shift=0.0):
    return (np.random.default_rng(seed).normal(size=(n, d)) * scale + shift).astype("float32")


def test_coral_is_zero_for_identical_batches():
    a = _features(0)
    assert float(coral_loss(a, a)) == pytest.approx(0.0, abs=1e-12)
    # same covariance, shifted mean: CORAL only sees second-order statistics
    assert float(coral_loss(a, a + 3.0)) == pytest.approx(0.0, abs=1e-9)


def test_coral_is_positive_for_different_batches_and_matches_formula():
    a, b = _features(0), _features(1, scale=2.0)
    value = float(coral_loss(a, b))
    expected = np.sum((np.cov(a, rowvar=False) - np.cov(b, rowvar=False)) ** 2) / (4 * a.shape[1] ** 2)
    assert value > 0
    assert value == pytest.approx(expected, rel=1e-4)
    assert float(coral_loss(_features(0), _features(1))) > 0  # two samples of one distribution differ a little


def test_coral_gradient_pulls_covariances_together():
    a = tf.Variable(_features(0, scale=2.0))
    b = tf.constant(_features(1))
    before = float(coral_loss(a, b))
    for _ in range(20):
        with tf.GradientTape() as tape:
            loss = coral_loss(a, b)
        a.assign_sub(50.0 * tape.gradient(loss, a))
    assert float(coral_loss(a, b)) < 0.5 * before


@pytest.mark.parametrize("fn", [coral_loss, mmd_loss])
def test_alignment_losses_reject_bad_shapes(fn):
    with pytest.raises(ValueError, match="2-D"):
        fn(np.ones((4, 2, 2)), np.ones((4, 4)))
    with pytest.raises(ValueError, match="width"):
        fn(np.ones((4, 3)), np.ones((4, 5)))


def test_coral_needs_two_rows():
    with pytest.raises(ValueError, match="at least 2 rows"):
        coral_loss(np.ones((1, 3)), np.ones((4, 3)))


# ---------------------------------------------------------------- MMD
def test_mmd_is_zero_for_identical_samples():
    a = _features(0)
    assert float(mmd_loss(a, a)) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_mmd_is_non_negative_and_grows_with_the_shift(seed):
    a = _features(seed)
    values = [float(mmd_loss(a, _features(seed + 10, shift=s))) for s in (0.0, 0.5, 2.0)]
    assert all(v >= 0 for v in values)
    assert values[0] < values[1] < values[2]


def test_mmd_is_symmetric_and_differentiable():
    a, b = _features(0), _features(1, shift=1.0)
    assert float(mmd_loss(a, b)) == pytest.approx(float(mmd_loss(b, a)), rel=1e-5)
    x = tf.Variable(a)
    with tf.GradientTape() as tape:
        loss = mmd_loss(x, b)
    grad = tape.gradient(loss, x)
    assert grad is not None and np.all(np.isfinite(grad.numpy())) and np.abs(grad.numpy()).sum() > 0


def test_mmd_rejects_bad_bandwidths():
    with pytest.raises(ValueError, match="bandwidths"):
        mmd_loss(_features(0), _features(1), bandwidths=(1.0, 0.0))
    with pytest.raises(ValueError, match="bandwidths"):
        mmd_loss(_features(0), _features(1), bandwidths=())


# ---------------------------------------------------------------- AdaBN
def _small_net(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6, 6, 1))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.5, name="drop")(x)
    x = keras.layers.Dense(3, name="dense")(x)
    outputs = keras.layers.BatchNormalization(name="bn2")(x)
    return keras.Model(inputs, outputs)


def _target(n=50, seed=0):
    return (np.random.default_rng(seed).normal(size=(n, 6, 6, 1)) * 3.0 + 2.0).astype("float32")


def _is_stat(variable):
    return "moving" in variable.path


def test_adabn_changes_only_batchnorm_statistics():
    model = _small_net()
    before = {v.path: v.numpy() for v in model.weights}
    assert adabn(model, _target()) == 2
    after = {v.path: v.numpy() for v in model.weights}
    stats = [p for p in before if "moving" in p]
    assert len(stats) == 4
    for path in before:
        if path in stats:
            assert not np.allclose(before[path], after[path]), path
        else:
            np.testing.assert_array_equal(before[path], after[path], err_msg=path)


def test_adabn_sets_the_statistics_of_the_target_data():
    model = _small_net()
    x = _target()
    adabn(model, x)
    conv = model.get_layer("conv")(x).numpy()
    bn1 = model.get_layer("bn1")
    np.testing.assert_allclose(bn1.moving_mean.numpy(), conv.mean(axis=(0, 1, 2)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn1.moving_variance.numpy(), conv.var(axis=(0, 1, 2)), rtol=1e-3, atol=1e-5)
    # with target statistics, the first BatchNorm's inference output is standardised on the target
    normed = bn1(conv, training=False).numpy()
    np.testing.assert_allclose(normed.mean(axis=(0, 1, 2)), bn1.beta.numpy(), atol=1e-3)


def test_adabn_restores_momentum_trainable_and_dropout():
    model = _small_net()
    model.get_layer("bn1").trainable = False
    adabn(model, _target(), batch_size=16)
    assert model.get_layer("bn1").trainable is False
    assert model.get_layer("bn2").trainable is True
    assert model.get_layer("bn1").momentum == pytest.approx(0.99)
    assert model.get_layer("drop").rate == 0.5


def test_adabn_updates_a_frozen_batchnorm_too():
    model = _small_net()
    utils.freeze_batchnorm(model)
    before = model.get_layer("bn1").moving_mean.numpy()
    adabn(model, _target())
    assert not np.allclose(before, model.get_layer("bn1").moving_mean.numpy())


def test_adabn_in_batches_averages_the_batch_means():
    x = _target(64)
    exact, batched = _small_net(), _small_net()
    adabn(exact, x)
    adabn(batched, x, batch_size=16)
    np.testing.assert_allclose(
        batched.get_layer("bn1").moving_mean.numpy(), exact.get_layer("bn1").moving_mean.numpy(), rtol=1e-4, atol=1e-5
    )


def test_adabn_finds_batchnorm_inside_a_nested_backbone():
    inner = _small_net()
    inputs = keras.Input((6, 6, 1))
    outer = keras.Model(inputs, keras.layers.Dense(2)(inner(inputs)))
    assert adabn(outer, _target()) == 2


def test_adabn_bad_input():
    model = _small_net()
    with pytest.raises(ValueError, match="input shape"):
        adabn(model, np.ones((10, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match="at least 2"):
        adabn(model, np.ones((1, 6, 6, 1), "float32"))
    with pytest.raises(ValueError, match="batch_size"):
        adabn(model, _target(), batch_size=1)
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no BatchNormalization"):
        adabn(plain, np.ones((4, 3), "float32"))


# ---------------------------------------------------------------- proxy A-distance
def test_proxy_a_distance_near_zero_for_one_distribution_and_two_for_separable():
    same = proxy_a_distance(_features(0, n=400), _features(1, n=400))
    apart = proxy_a_distance(_features(0, n=400), _features(1, n=400, shift=5.0))
    assert 0.0 <= same < 0.3
    assert apart == pytest.approx(2.0)


def test_proxy_a_distance_grows_with_the_shift_and_is_seeded():
    a = _features(0, n=300)
    values = [proxy_a_distance(a, _features(1, n=300, shift=s)) for s in (0.0, 0.3, 1.0)]
    assert values[0] < values[1] < values[2]
    b = _features(2, n=250, shift=0.3)
    assert proxy_a_distance(a, b, seed=3) == proxy_a_distance(a, b, seed=3)


def test_proxy_a_distance_bad_input():
    with pytest.raises(ValueError, match="at least 10 rows"):
        proxy_a_distance(_features(0, n=5), _features(1))
    with pytest.raises(ValueError, match="width"):
        proxy_a_distance(_features(0, d=4), _features(1, d=5))
    bad = _features(1)
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        proxy_a_distance(_features(0), bad)
    with pytest.raises(ValueError, match="C must"):
        proxy_a_distance(_features(0), _features(1), C=0)


def test_lazy_exports():
    assert utils.GradientReversal is GradientReversal and utils.adabn is adabn
    with pytest.raises(AttributeError):
        utils.no_such_thing  # noqa: B018


def test_adabn_in_uneven_batches_weights_each_batch_by_its_size():
    x = _target(50)
    exact, batched = _small_net(), _small_net()
    adabn(exact, x)
    adabn(batched, x, batch_size=16)  # 16, 16, 16 and 2 images
    np.testing.assert_allclose(
        batched.get_layer("bn1").moving_mean.numpy(), exact.get_layer("bn1").moving_mean.numpy(), rtol=1e-4, atol=1e-5
    )
