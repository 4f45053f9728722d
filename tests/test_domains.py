"""Tests of utils.domains.load_domain_task (notebook 03's source and target data, both tracks)."""

import numpy as np
import pytest
from test_svhn_mnist import _write_fakes  # tests/ is on sys.path under pytest

import utils
from utils.adaptation import adabn, coral_loss
from utils.course.quiet import import_tensorflow

tf = import_tensorflow()


@pytest.fixture(scope="module")
def offline():
    return utils.load_domain_task("offline", n_source=200)


def test_offline_task_shapes_and_ranges(offline):
    x, y = offline.source_data(0)
    assert x.shape == (200, 8, 8, 1) and y.shape == (200,)
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert offline.target_x.shape == (1077, 8, 8, 1) and offline.target_x.max() <= 1.0
    assert offline.test[0].shape == (450, 8, 8, 1) and len(offline.test[1]) == 450
    assert offline.source_val[0].shape == (1000, 8, 8, 1)
    assert len(offline.target_labels) == len(offline.target_x)
    assert offline.class_names == tuple("0123456789")


def test_offline_source_is_seeded_and_randomisation_changes_it(offline):
    a, _ = offline.source_data(1)
    b, _ = offline.source_data(1)
    c, _ = offline.source_data(2)
    r, _ = offline.source_data(1, randomised=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, r)


def test_clean_renders_have_no_distortion():
    config = utils.clean_render_config()
    x1, y1, _ = utils.render_characters(40, "digits", seed=0, config=config)
    x2, y2, _ = utils.render_characters(40, "digits", seed=5, config=config)
    # without distortion an image is a function of (digit, font) only: every image of seed 5 occurs in seed 0's
    # bank of glyphs or is another font of the same digit, so clean renders have far fewer distinct images
    distinct = {(int(label), img.tobytes()) for img, label in zip(np.concatenate([x1, x2]), np.r_[y1, y2])}
    assert len(distinct) < 80


def test_offline_validation_fonts_are_held_out(offline):
    from utils.domains import SOURCE_TRAIN_FONTS, SOURCE_VAL_FONTS
    from utils.synthetic import FONT_FILES

    assert set(SOURCE_TRAIN_FONTS).isdisjoint(SOURCE_VAL_FONTS)
    assert set(SOURCE_TRAIN_FONTS) | set(SOURCE_VAL_FONTS) == set(FONT_FILES)
    assert offline.train_fonts == SOURCE_TRAIN_FONTS and offline.val_fonts == SOURCE_VAL_FONTS
    x, _ = offline.source_data(0)
    train = {img.tobytes() for img in x}
    val = {img.tobytes() for img in offline.source_val[0]}
    assert train.isdisjoint(val)


def test_offline_training_renders_vary_within_a_font():
    # mild jitter: far more distinct images than the 10 digits x 15 training fonts of clean renders
    x, _, _ = utils.render_characters(600, "digits", seed=0, config=utils.domains.source_render_config(),
                                      fonts=utils.domains.SOURCE_TRAIN_FONTS)
    assert len(np.unique(x.reshape(600, -1), axis=0)) > 500
    # but milder than domain randomisation (the renderer's default): less ink added
    x_rand, _, _ = utils.render_characters(600, "digits", seed=0, fonts=utils.domains.SOURCE_TRAIN_FONTS)
    assert x.mean() < x_rand.mean()


def test_offline_backbone_is_trainable_and_fresh(offline):
    a, b = offline.make_backbone(), offline.make_backbone()
    assert a.trainable and a.output_shape == (None, 128)
    a.weights[0].assign(a.weights[0] + 1.0)
    assert not np.allclose(a.weights[0].numpy(), b.weights[0].numpy())


def test_bad_track_and_options():
    with pytest.raises(ValueError, match="track"):
        utils.load_domain_task("cloud")
    with pytest.raises(ValueError, match="n_source"):
        utils.load_domain_task("offline", n_source=3)
    with pytest.raises(ValueError, match="imagenet track only"):
        utils.load_domain_task("offline", n_target=5)


@pytest.fixture(scope="module")
def imagenet(tmp_path_factory):
    folder = _write_fakes(tmp_path_factory.mktemp("svhn-mnist"))
    return utils.load_domain_task("imagenet", n_source=20, weights=None, directory=folder, image_size=32,
                                  n_source_val=10, n_target=15, n_test=12)


def test_imagenet_task_without_downloads(imagenet):
    x, y = imagenet.source_data(0)
    assert x.shape == (20, 32, 32, 3) and y.shape == (20,)
    assert imagenet.target_x.shape == (15, 32, 32, 3)
    assert imagenet.test[0].shape == (12, 32, 32, 3)
    r, _ = imagenet.source_data(0, randomised=True)
    assert r.shape == x.shape and r.dtype == np.float32 and not np.array_equal(r, x)
    assert 0.0 <= r.min() and r.max() <= 255.0


def test_imagenet_backbone_runs_an_adaptation_step_and_adabn(imagenet):
    import keras

    backbone = imagenet.make_backbone()
    assert backbone.input_shape == (None, 32, 32, 3) and backbone.trainable
    bns = [layer for layer in backbone.get_layer(index=-1).layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert bns and all(layer.momentum == 0.9 for layer in bns)
    classifier = keras.layers.Dense(10)
    xs, ys = imagenet.source_data(0)
    xs, ys, xt = xs[:8], ys[:8], imagenet.target_x[:8]
    opt = keras.optimizers.Adam(1e-3)
    with tf.GradientTape() as tape:
        f_s, f_t = tf.split(backbone(tf.concat([xs, xt], 0), training=True), 2)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(ys, classifier(f_s)) + coral_loss(f_s, f_t)
    variables = backbone.trainable_variables + classifier.trainable_variables
    before = [v.numpy() for v in variables]
    opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
    assert np.isfinite(float(loss))
    assert any(not np.allclose(b, v.numpy()) for b, v in zip(before, variables))
    assert adabn(backbone, imagenet.target_x) == len(bns)
