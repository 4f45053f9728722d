"""`adapt_images` brings 8x8 grey digits to what each backbone family takes."""

import numpy as np
import pytest

from utils.backbones import adapt_images, get_preprocessing


@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(0)
    return rng.integers(0, 17, size=(3, 8, 8, 1)).astype("float32")


def test_course_backbone_takes_digits_unchanged(digits):
    out = adapt_images(digits, "glyphnet-letters")
    np.testing.assert_array_equal(out, digits)


def test_keras_app_gets_rgb_0_255_at_its_input_size(digits):
    out = adapt_images(digits, "mobilenet_v2", image_size=32)
    assert out.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])  # grey repeated over channels
    assert out.min() >= 0 and out.max() <= 255.0 + 1e-3
    full = adapt_images(np.full((1, 8, 8, 1), 16.0, "float32"), "resnet50", image_size=40)
    np.testing.assert_allclose(full, 255.0, rtol=1e-5)
    scaled = get_preprocessing("mobilenet_v2")(out)
    assert scaled.min() >= -1.0 - 1e-6 and scaled.max() <= 1.0 + 1e-6


def test_default_size_is_the_models_own(digits):
    assert adapt_images(digits[:1], "efficientnet_b0").shape == (1, 224, 224, 3)


@pytest.mark.parametrize("bad", [np.zeros((2, 8, 8)), np.zeros((2, 8, 8, 3))])
def test_wrong_shape_is_refused(bad):
    with pytest.raises(ValueError, match="grey images"):
        adapt_images(bad, "glyphnet-letters")


def test_unknown_backbone_and_resizing_a_course_backbone_are_refused(digits):
    with pytest.raises(ValueError, match="Unknown backbone"):
        adapt_images(digits, "no-such-net")
    with pytest.raises(ValueError, match="own size"):
        adapt_images(digits, "glyphnet-letters", image_size=16)
