"""Tests of utils.web_data.load_photo_splits (a folder of photos, split like the digits) and of
utils.backbones.adapt_images with RGB photos."""

import numpy as np
import pytest

from utils import DigitSplits, load_photo_splits
from utils.backbones import adapt_images
from utils.web_data import FLOWERS_URL, DatasetUnavailableError

CLASSES = ("tulips", "daisy", "roses")  # created out of order: the loader sorts them
PER_CLASS = 12
SIZE = 16


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory):
    """3 classes x 12 random photos of different sizes, JPEG and PNG, a few not in RGB mode."""
    from PIL import Image

    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for c, name in enumerate(CLASSES):
        (root / name).mkdir()
        for i in range(PER_CLASS):
            h, w = int(rng.integers(10, 40)), int(rng.integers(10, 40))
            pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            pixels[..., c] = np.maximum(pixels[..., c], 128)  # a little class signal
            image = Image.fromarray(pixels, "RGB")
            if i == 0:
                image.convert("L").save(root / name / f"{i:02d}.png")
            elif i == 1:
                image.convert("RGBA").save(root / name / f"{i:02d}.png")
            elif i % 2:
                image.save(root / name / f"{i:02d}.jpg", quality=90)
            else:
                image.save(root / name / f"{i:02d}.png")
    return root


@pytest.fixture(scope="module")
def splits(photo_dir):
    return load_photo_splits(photo_dir, image_size=SIZE)


def _expected_images(photo_dir):
    """(label, bytes) of every photo, read and resized the way the loader documents it."""
    from PIL import Image

    expected = []
    for label, name in enumerate(sorted(CLASSES)):
        for path in sorted((photo_dir / name).iterdir()):
            with Image.open(path) as im:
                array = np.asarray(im.convert("RGB").resize((SIZE, SIZE), Image.Resampling.BILINEAR))
            expected.append((label, array.astype("float32").tobytes()))
    return expected


def _all(splits):
    return [splits.train, splits.val, splits.test]


def test_photos_become_float32_rgb_squares_in_0_255(splits):
    assert isinstance(splits, DigitSplits)
    for split in _all(splits):
        assert split.x.dtype == np.float32
        assert split.x.ndim == 4 and split.x.shape[1:] == (SIZE, SIZE, 3)
        assert split.x.min() >= 0.0 and split.x.max() <= 255.0
        assert split.y.shape == (len(split.x),)
        assert np.issubdtype(split.y.dtype, np.integer)
    assert max(split.x.max() for split in _all(splits)) > 200, "values are 0..255, not rescaled"


def test_class_names_are_the_sorted_folder_names(splits):
    assert splits.class_names == tuple(sorted(CLASSES))
    assert splits.n_classes == 3


def test_splits_are_disjoint_cover_every_photo_and_keep_their_labels(splits, photo_dir):
    got = [(int(label), row.tobytes()) for split in _all(splits) for label, row in zip(split.y, split.x)]
    assert len(got) == len(CLASSES) * PER_CLASS
    assert len({key for _, key in got}) == len(got), "a photo is in two splits (or twice in one)"
    assert sorted(got) == sorted(_expected_images(photo_dir))
    assert len(splits.test) == 9 and len(splits.val) == 6 and len(splits.train) == 21


def test_every_class_is_in_every_split(splits):
    for split in _all(splits):
        assert set(np.unique(split.y).tolist()) == {0, 1, 2}


def test_loading_is_deterministic(splits, photo_dir):
    again = load_photo_splits(photo_dir, image_size=SIZE)
    for a, b in zip(_all(splits), _all(again)):
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)
    assert again.class_names == splits.class_names


@pytest.mark.parametrize("size", [4, 7, 7.5, 16.0, True, 0, "16"])
def test_bad_image_size_raises(photo_dir, size):
    with pytest.raises(ValueError, match="image_size must be an integer >= 8"):
        load_photo_splits(photo_dir, image_size=size)


def test_without_network_the_download_fails_with_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_CACHE_DIR", str(tmp_path / "fresh-cache"))
    with pytest.raises(DatasetUnavailableError) as info:
        load_photo_splits(image_size=SIZE)
    error = info.value
    assert isinstance(error, RuntimeError)
    message = str(error)
    assert "TL_TRACK=offline" in message
    assert FLOWERS_URL in message
    assert "directory=" in message
    assert str(tmp_path / "fresh-cache") in message  # where to place the photos by hand
    assert error.__suppress_context__ is True
    assert error.__cause__ is None


# ---------------------------------------------------------------- adapt_images with photos


@pytest.fixture(scope="module")
def photos():
    x = np.random.default_rng(1).uniform(0.0, 255.0, (2, 16, 16, 3)).astype("float32")
    x[0, 0, 0] = (0.0, 255.0, 0.0)
    return x


def test_photos_are_resized_for_a_keras_application(photos):
    out = adapt_images(photos, "mobilenet_v2", image_size=32)
    assert out.shape == (2, 32, 32, 3)
    assert out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 255.0 + 1e-3
    assert out.max() > 200.0, "RGB photos keep their 0..255 scale (no 255/16 rescaling)"


def test_photo_channels_are_only_resized_not_mixed():
    flat = np.empty((1, 16, 16, 3), "float32")
    flat[...] = (10.0, 100.0, 250.0)
    out = adapt_images(flat, "mobilenet_v2", image_size=32)
    np.testing.assert_allclose(out[0, :, :, 0], 10.0, rtol=1e-5)
    np.testing.assert_allclose(out[0, :, :, 1], 100.0, rtol=1e-5)
    np.testing.assert_allclose(out[0, :, :, 2], 250.0, rtol=1e-5)


def test_photos_already_at_the_input_size_are_unchanged():
    x = np.random.default_rng(2).uniform(0.0, 255.0, (2, 32, 32, 3)).astype("float32")
    out = adapt_images(x, "mobilenet_v2", image_size=32)
    assert out.shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(out, x)


def test_course_backbone_refuses_rgb_photos(photos):
    with pytest.raises(ValueError, match="takes grey images"):
        adapt_images(photos, "glyphnet-letters")
