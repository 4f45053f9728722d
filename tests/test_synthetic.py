"""Tests of utils.synthetic: characters rendered from matplotlib's fonts."""

import string

import numpy as np
import pytest

from utils import RenderConfig, render_characters, synthetic
from utils.synthetic import CANVAS, CHARSETS, FONT_FILES, font_has_glyph, glyph_bank

OFF = RenderConfig(
    rotation=0.0, scale=(1.0, 1.0), aspect=(1.0, 1.0), shear=0.0, shift=0.0, stroke=(0,), blur=(0.0, 0.0),
    noise=(0.0, 0.0),
)


@pytest.mark.parametrize("image_size", [8, 16, 32])
def test_shapes_and_dtype_for_each_image_size(image_size):
    x, y, names = render_characters(60, "digits", seed=0, image_size=image_size)
    assert x.shape == (60, image_size, image_size, 1)
    assert x.dtype == np.float32
    assert y.shape == (60,)
    assert np.issubdtype(y.dtype, np.integer)
    assert set(y.tolist()) <= set(range(10))
    assert names == tuple("0123456789")


def test_default_value_range_is_digits_range_and_quantized():
    x, _, _ = render_characters(300, "letters", seed=1)
    assert x.min() >= 0.0 and x.max() <= 16.0
    assert x.min() == 0.0  # empty paper
    assert x.max() == 16.0  # full ink
    np.testing.assert_array_equal(x, np.round(x))


def test_custom_value_range_without_quantize():
    x, _, _ = render_characters(300, "digits", seed=2, value_range=(-1.0, 1.0), quantize=False)
    assert x.min() >= -1.0 and x.max() <= 1.0
    assert x.min() == -1.0
    assert x.max() > 0.9
    assert not np.array_equal(x, np.round(x)), "quantize=False keeps fractional grey levels"


def test_quantize_gives_integers_in_custom_range():
    x, _, _ = render_characters(200, "digits", seed=2, value_range=(0, 255), quantize=True)
    np.testing.assert_array_equal(x, np.round(x))
    assert x.min() >= 0 and x.max() <= 255 and x.max() > 200


@pytest.mark.parametrize("n, chars", [(2000, "letters"), (1000, "digits"), (103, "letters"), (7, "digits")])
def test_classes_are_balanced(n, chars):
    _, y, names = render_characters(n, chars, seed=0)
    counts = np.bincount(y, minlength=len(names))
    assert counts.sum() == n
    assert counts.max() - counts.min() <= 1


def test_class_names_for_named_charsets_and_custom_strings():
    assert render_characters(52, "letters")[2] == tuple(string.ascii_uppercase + string.ascii_lowercase)
    assert len(render_characters(52, "letters")[2]) == 52
    assert render_characters(10, "digits")[2] == tuple(string.digits)
    assert render_characters(26, "uppercase")[2] == tuple(string.ascii_uppercase)
    assert render_characters(26, "lowercase")[2] == tuple(string.ascii_lowercase)
    x, y, names = render_characters(9, "xA7", seed=0)
    assert names == ("x", "A", "7")
    assert np.bincount(y).tolist() == [3, 3, 3]


def test_same_seed_identical_different_seed_different():
    a = render_characters(200, "letters", seed=5)
    b = render_characters(200, "letters", seed=5)
    c = render_characters(200, "letters", seed=6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("n, chars, seed", [(2000, "letters", 0), (2000, "letters", 1), (1000, "digits", 0)])
def test_no_blank_images(n, chars, seed):
    lo, hi = 0.0, 16.0
    x, _, _ = render_characters(n, chars, seed=seed, value_range=(lo, hi))
    peaks = x.reshape(n, -1).max(axis=1)
    blank = np.flatnonzero(peaks <= lo + 0.25 * (hi - lo))
    assert blank.size == 0, f"{blank.size} images without ink, e.g. indices {blank[:10].tolist()}"


@pytest.mark.parametrize("image_size", [16, 32])
def test_no_blank_images_at_higher_resolution(image_size):
    x, _, _ = render_characters(500, "letters", seed=3, image_size=image_size)
    assert (x.reshape(500, -1).max(axis=1) > 4.0).all()


def test_font_has_glyph_rejects_placeholder_and_symbol_fonts():
    assert font_has_glyph("LastResortHE-Regular.ttf", "A") is False
    assert font_has_glyph("cmex10.ttf", "A") is False
    assert font_has_glyph("DejaVuSans.ttf", "A") is True
    assert font_has_glyph("DejaVuSans.ttf", "7") is True
    assert font_has_glyph("cmsy10.ttf", "a") is False  # maths symbols font: no real letter a


def test_shipped_font_list_only_has_real_letter_fonts():
    for font in FONT_FILES:
        assert all(font_has_glyph(font, c) for c in "AZaz09"), font


def test_glyph_bank_only_uses_fonts_that_have_the_glyph(monkeypatch):
    chars = "Ab3"
    fonts_tried = FONT_FILES + ("cmex10.ttf", "LastResortHE-Regular.ttf")
    monkeypatch.setattr(synthetic, "FONT_FILES", fonts_tried)
    images, labels, fonts = glyph_bank.__wrapped__(chars)  # bypass the cache: FONT_FILES was changed
    assert images.shape == (len(labels), CANVAS, CANVAS)
    assert len(fonts) == len(labels)
    assert "cmex10.ttf" not in fonts and "LastResortHE-Regular.ttf" not in fonts
    for label, font in zip(labels, fonts):
        assert font_has_glyph(font, chars[label]), (font, chars[label])
    for label, char in enumerate(chars):
        expected = {f for f in fonts_tried if font_has_glyph(f, char)}
        assert {f for f, lab in zip(fonts, labels) if lab == label} == expected
    # every glyph has ink, scaled into [0, 1]
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert (images.reshape(len(images), -1).max(axis=1) > 0.5).all()


def test_glyph_bank_without_any_font_for_a_char_raises(monkeypatch):
    monkeypatch.setattr(synthetic, "FONT_FILES", ("cmex10.ttf",))
    with pytest.raises(ValueError, match="no shipped font contains the character 'A'"):
        glyph_bank.__wrapped__("A")


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 0}, "n must be a positive integer"),
    ({"n": -5}, "n must be a positive integer"),
    ({"n": 2.0}, "n must be a positive integer"),
    ({"n": True}, "n must be a positive integer"),
    ({"image_size": 7}, "image_size must be 8, 16 or 32"),
    ({"image_size": 64}, "image_size must be 8, 16 or 32"),
    ({"chars": ""}, "string of distinct characters"),
    ({"chars": "AA"}, "string of distinct characters"),
    ({"chars": "é"}, "only ASCII letters and digits"),
    ({"chars": "A?"}, "only ASCII letters and digits"),
    ({"value_range": (1, 1)}, "value_range must be"),
    ({"value_range": (16, 0)}, "value_range must be"),
])
def test_bad_input_raises_value_error(kwargs, match):
    args = {"n": 10, "chars": "digits"} | kwargs
    n = args.pop("n")
    with pytest.raises(ValueError, match=match):
        render_characters(n, **args)


def test_switched_off_distortions_reproduce_the_font_glyph_exactly():
    chars = "digits"
    x, y, names = render_characters(400, chars, seed=0, config=OFF, quantize=False, value_range=(0.0, 1.0))
    bank, bank_labels, _ = glyph_bank(CHARSETS[chars])
    block = CANVAS // 8
    small = bank.reshape(len(bank), 8, block, 8, block).mean(axis=(2, 4))
    small = small / small.reshape(len(small), -1).max(axis=1)[:, None, None]
    for label in range(len(names)):
        rendered = x[y == label, ..., 0]
        templates = small[bank_labels == label]
        distinct = np.unique(rendered.reshape(len(rendered), -1), axis=0)
        # with no distortion every sample is one of the class's font renderings, nothing else
        assert len(distinct) <= len(templates)
        for image in rendered:
            err = np.abs(templates - image).reshape(len(templates), -1).max(axis=1)
            assert err.min() < 1e-5


def test_default_distortions_change_the_pixels():
    x_off, y_off, _ = render_characters(400, "digits", seed=0, config=OFF)
    x_on, y_on, _ = render_characters(400, "digits", seed=0)
    np.testing.assert_array_equal(y_off, y_on)  # labels come first from the same seed
    distinct_off = len(np.unique(x_off.reshape(400, -1), axis=0))
    distinct_on = len(np.unique(x_on.reshape(400, -1), axis=0))
    assert distinct_off <= 10 * len(FONT_FILES)
    assert distinct_on > 0.9 * 400
    assert not np.array_equal(x_off, x_on)


@pytest.mark.parametrize("field, value", [
    ("rotation", 30.0), ("shear", 0.4), ("shift", 3.0), ("stroke", (2,)), ("blur", (1.0, 1.0)), ("noise", (0.05, 0.05)),
    ("scale", (0.7, 0.7)), ("aspect", (0.6, 0.6)),
])
def test_each_distortion_changes_pixels_on_its_own(field, value):
    from dataclasses import replace

    base, _, _ = render_characters(50, "digits", seed=0, config=OFF, quantize=False)
    changed, _, _ = render_characters(50, "digits", seed=0, config=replace(OFF, **{field: value}), quantize=False)
    assert np.abs(base - changed).max() > 0.5


def test_fonts_restricts_the_glyphs_drawn_from():
    fonts = ("DejaVuSans.ttf", "cmr10.ttf")
    x, y, _ = render_characters(200, "digits", seed=0, config=OFF, quantize=False, value_range=(0.0, 1.0), fonts=fonts)
    bank, bank_labels, bank_fonts = glyph_bank(CHARSETS["digits"])
    block = CANVAS // 8
    small = bank.reshape(len(bank), 8, block, 8, block).mean(axis=(2, 4))
    small = small / small.reshape(len(small), -1).max(axis=1)[:, None, None]
    allowed = np.isin(bank_fonts, fonts)
    for image, label in zip(x[..., 0], y):
        err = np.abs(small - image).reshape(len(small), -1).max(axis=1)
        match = np.flatnonzero(err < 1e-5)
        assert match.size and allowed[match].all() and (bank_labels[match] == label).all()
    assert len(np.unique(x.reshape(200, -1), axis=0)) <= 10 * len(fonts)


def test_fonts_none_keeps_the_default_output():
    a = render_characters(100, "digits", seed=3)
    b = render_characters(100, "digits", seed=3, fonts=None)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("fonts, match", [
    ((), "non-empty sequence"),
    ("DejaVuSans.ttf", "non-empty sequence"),
    (("Comic.ttf",), "unknown font"),
])
def test_bad_fonts_raise(fonts, match):
    with pytest.raises(ValueError, match=match):
        render_characters(10, "digits", fonts=fonts)


def test_fonts_without_a_needed_glyph_raise(monkeypatch):
    monkeypatch.setattr(synthetic, "FONT_FILES", FONT_FILES + ("cmex10.ttf",))
    with pytest.raises(ValueError, match="has a glyph for"):
        synthetic._restrict_to_fonts(*glyph_bank(CHARSETS["digits"]), ("cmex10.ttf",), CHARSETS["digits"])
