"""Synthetic source data: characters rendered from the fonts matplotlib ships.

Each glyph is drawn once per font with FreeType (``matplotlib.ft2font``) into a
32x32 canvas, cropped to its ink and scaled to fill the canvas the way the UCI
digits were normalised. Every sample then gets a random affine warp (rotation,
scale, aspect, shear, shift), a random stroke width, blur and noise, all
vectorised over the batch, and is block-averaged down to the target resolution
and value range (8x8, 0..16 like scikit-learn's digits). Everything is drawn
from one seeded generator, so the same seed gives the same images.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ._checks import is_int_at_least

CANVAS = 32
CHARSETS = {
    "digits": string.digits,
    "letters": string.ascii_uppercase + string.ascii_lowercase,
    "uppercase": string.ascii_uppercase,
    "lowercase": string.ascii_lowercase,
}
# Fonts with real Latin letters and digits (the rest of matplotlib's fonts are
# symbols, a placeholder font, or display cuts without letters).
FONT_FILES = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-Oblique.ttf",
    "DejaVuSansMono-BoldOblique.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf",
    "DejaVuSerif-BoldItalic.ttf", "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf",
    "STIXGeneralBolIta.ttf", "cmr10.ttf", "cmb10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmti10.ttf",
)
_DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _expected_glyph_name(char: str) -> str:
    return _DIGIT_NAMES[int(char)] if char.isdigit() else char


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def font_has_glyph(font_file: str, char: str) -> bool:
    """True if the font maps ``char`` to its own glyph (not a placeholder or symbol)."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(_font_dir() / font_file))
    index = font.get_char_index(ord(char))
    return index != 0 and font.get_glyph_name(index) == _expected_glyph_name(char)


def _render_glyph(font_file: str, char: str, fill: float) -> np.ndarray:
    """One glyph, cropped to its ink, scaled to ``fill`` of the canvas, centred; float in [0, 1]."""
    from matplotlib.ft2font import FT2Font
    from PIL import Image

    font = FT2Font(str(_font_dir() / font_file))
    font.set_size(48, 72)
    font.set_text(char, 0.0)
    font.draw_glyphs_to_bitmap(antialiased=True)
    ink = np.asarray(font.get_image(), dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(ink.max(1) > 0.1), np.flatnonzero(ink.max(0) > 0.1)
    if rows.size == 0:
        raise RuntimeError(f"font {font_file} drew no ink for {char!r}")
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = ink.shape
    scale = fill * CANVAS / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.asarray(Image.fromarray(ink).resize((nw, nh), Image.Resampling.LANCZOS)).clip(0, 1)
    out = np.zeros((CANVAS, CANVAS), np.float32)
    top, left = (CANVAS - nh) // 2, (CANVAS - nw) // 2
    out[top : top + nh, left : left + nw] = small
    return out


@lru_cache(maxsize=16)
def glyph_bank(chars: str, fill: float = 0.875) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Render every (font, char) pair whose font really contains the glyph.

    Returns
    -------
    images : ndarray, shape (m, 32, 32)
    labels : ndarray of int, shape (m,)
        Index of the character in ``chars``.
    fonts : tuple of str
        Font file of each image.
    """
    images, labels, fonts = [], [], []
    for label, char in enumerate(chars):
        usable = [f for f in FONT_FILES if font_has_glyph(f, char)]
        if not usable:
            raise ValueError(f"no shipped font contains the character {char!r}")
        for font_file in usable:
            images.append(_render_glyph(font_file, char, fill))
            labels.append(label)
            fonts.append(font_file)
    return np.stack(images), np.asarray(labels), tuple(fonts)


@dataclass(frozen=True)
class RenderConfig:
    """Ranges of the random distortions (uniform draws); set a range to (0, 0) to switch it off.

    Angles in degrees, shifts in pixels of the 32x32 canvas, blur sigma in the same pixels,
    noise as a fraction of the value range. ``stroke`` lists the stroke-width changes drawn
    from: 0 keeps the font's stroke, +k thickens it by k pixels, -k thins it.

    Examples
    --------
    >>> config = RenderConfig(rotation=0.0, noise=(0.0, 0.0))  # no rotation, no noise; other ranges as default
    >>> config.rotation, config.scale, config.stroke
    (0.0, (0.85, 1.1), (0, 1, 2))
    >>> x, y, names = render_characters(6, "ABC", seed=0, config=config)
    >>> x.shape, names
    ((6, 8, 8, 1), ('A', 'B', 'C'))
    """

    rotation: float = 12.0
    scale: tuple[float, float] = (0.85, 1.1)
    aspect: tuple[float, float] = (0.8, 1.2)
    shear: float = 0.25
    shift: float = 2.0
    stroke: tuple[int, ...] = (0, 1, 2)
    blur: tuple[float, float] = (0.0, 1.0)
    noise: tuple[float, float] = (0.0, 0.03)


def _affine_warp(images: np.ndarray, matrices: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Bilinear warp of a batch: output(p) = input(M^-1 (p - c - t) + c), zero outside."""
    n, size = images.shape[0], images.shape[1]
    c = (size - 1) / 2.0
    rows, cols = (g.reshape(1, -1) - c for g in np.meshgrid(np.arange(size), np.arange(size), indexing="ij"))
    inv = np.linalg.inv(matrices).astype(np.float32)  # (n, 2, 2) acting on (row, col)
    shifts = shifts.astype(np.float32)
    dr, dc = (rows - shifts[:, :1]).astype(np.float32), (cols - shifts[:, 1:]).astype(np.float32)
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1))).reshape(n, -1)
    width = size + 2
    r = inv[:, 0, :1] * dr + inv[:, 0, 1:] * dc + (c + 1)
    q = inv[:, 1, :1] * dr + inv[:, 1, 1:] * dc + (c + 1)
    inside = (r >= 0) & (r <= size + 1) & (q >= 0) & (q <= size + 1)
    r0 = np.clip(np.floor(r), 0, size).astype(np.int32)
    q0 = np.clip(np.floor(q), 0, size).astype(np.int32)
    fr = np.clip(r - r0, 0, 1).astype(np.float32)
    fq = np.clip(q - q0, 0, 1).astype(np.float32)
    base = r0 * width + q0
    top = np.take_along_axis(padded, base, 1) * (1 - fq) + np.take_along_axis(padded, base + 1, 1) * fq
    bottom = (
        np.take_along_axis(padded, base + width, 1) * (1 - fq)
        + np.take_along_axis(padded, base + width + 1, 1) * fq
    )
    out = top * (1 - fr) + bottom * fr
    return (out * inside).reshape(n, size, size).astype(np.float32)


def _morph(images: np.ndarray, op) -> np.ndarray:
    """3x3 grey dilation (op=np.maximum) or erosion (op=np.minimum) of a batch."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)), constant_values=0.0)
    out = images.copy()
    size = images.shape[1]
    for dr in (0, 1, 2):
        for dc in (0, 1, 2):
            out = op(out, padded[:, dr : dr + size, dc : dc + size])
    return out


def _blur(images: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """Separable Gaussian blur with one sigma per image, as two batched matrix products."""
    size = images.shape[1]
    d = np.arange(size)[:, None] - np.arange(size)[None, :]
    s = np.maximum(sigmas, 1e-3)[:, None, None]
    k = np.exp(-0.5 * (d[None] / s) ** 2)
    k /= k.sum(axis=2, keepdims=True)
    k = k.astype(np.float32)
    return np.matmul(np.matmul(k, images), k.transpose(0, 2, 1))


def _restrict_to_fonts(bank, bank_labels, bank_fonts, fonts, charset):
    """The rows of a glyph bank drawn from ``fonts`` (order kept, so labels stay sorted)."""
    if isinstance(fonts, str) or not all(isinstance(f, str) for f in fonts) or not fonts:
        raise ValueError(f"fonts must be a non-empty sequence of font file names, got {fonts!r}")
    unknown = sorted(set(fonts) - set(FONT_FILES))
    if unknown:
        raise ValueError(f"unknown font file(s) {unknown}; choose among utils.synthetic.FONT_FILES")
    keep = np.isin(np.asarray(bank_fonts), list(fonts))
    missing = [charset[c] for c in range(len(charset)) if not np.any(keep & (bank_labels == c))]
    if missing:
        raise ValueError(f"none of the fonts {list(fonts)} has a glyph for {missing}; add a font that does")
    return bank[keep], bank_labels[keep]


def render_characters(
    n: int,
    chars: str = "letters",
    *,
    seed: int = 0,
    image_size: int = 8,
    value_range: tuple[float, float] = (0.0, 16.0),
    quantize: bool = True,
    config: RenderConfig | None = None,
    fonts: tuple[str, ...] | list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Render ``n`` randomly distorted characters, balanced over the classes.

    Parameters
    ----------
    n : int
        Number of images.
    chars : str
        A charset name (``"digits"``, ``"letters"`` = A-Z and a-z as 52 classes, ``"uppercase"``,
        ``"lowercase"``)
        or the characters themselves, e.g. ``"ABC"``; the class of an image is the
        character's position in this string.
    seed : int
        Seed of every random choice; the same seed gives identical images.
    image_size : int
        Output side in pixels: 8 (the digits' resolution), 16 or 32.
    value_range : (float, float)
        Grey level of empty paper and of full ink; (0, 16) matches the digits.
    quantize : bool
        Round to integer grey levels, as the digits are.
    config : RenderConfig or None
        Distortion ranges; ``None`` uses the defaults.
    fonts : sequence of str or None
        Font files (names from ``FONT_FILES``) to draw the glyphs from, e.g. to keep some
        fonts apart for validation; ``None`` uses every font that has the glyph. Every
        character must exist in at least one of them.

    Returns
    -------
    x : ndarray, shape (n, image_size, image_size, 1), float32
    y : ndarray of int, shape (n,)
    class_names : tuple of str

    Examples
    --------
    >>> x, y, names = render_characters(20, "digits", seed=0)
    >>> x.shape, float(x.min()), float(x.max())
    ((20, 8, 8, 1), 0.0, 16.0)
    >>> names[:3], np.bincount(y).tolist()  # balanced: two of each digit
    (('0', '1', '2'), [2, 2, 2, 2, 2, 2, 2, 2, 2, 2])
    """
    if not is_int_at_least(n, 1):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if image_size not in (8, 16, 32):
        raise ValueError(f"image_size must be 8, 16 or 32 (divisors of the {CANVAS}px canvas), got {image_size!r}")
    charset = CHARSETS.get(chars, chars)
    if not isinstance(charset, str) or not charset or len(set(charset)) != len(charset):
        raise ValueError(
            f"chars must be one of {sorted(CHARSETS)} or a string of distinct characters, got {chars!r}"
        )
    bad = [c for c in charset if not (c.isascii() and c.isalnum())]
    if bad:
        raise ValueError(f"only ASCII letters and digits can be rendered, not {bad}")
    lo, hi = map(float, value_range)
    if not hi > lo:
        raise ValueError(f"value_range must be (low, high) with high > low, got {value_range!r}")
    cfg = config or RenderConfig()
    bank, bank_labels, bank_fonts = glyph_bank(charset)
    if fonts is not None:
        bank, bank_labels = _restrict_to_fonts(bank, bank_labels, bank_fonts, fonts, charset)
    rng = np.random.default_rng(seed)

    y = rng.permutation(np.arange(n) % len(charset))
    # pick a font for each image among the fonts that have its glyph
    starts = np.searchsorted(bank_labels, np.arange(len(charset)))
    counts = np.bincount(bank_labels, minlength=len(charset))
    pick = starts[y] + (rng.random(n) * counts[y]).astype(int)
    images = bank[pick]

    angle = np.deg2rad(rng.uniform(-cfg.rotation, cfg.rotation, n))
    scale = rng.uniform(*cfg.scale, n)
    aspect = rng.uniform(*cfg.aspect, n)
    shear = rng.uniform(-cfg.shear, cfg.shear, n)
    cos, sin = np.cos(angle), np.sin(angle)
    rot = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    shape = np.zeros((n, 2, 2))
    shape[:, 0, 0] = scale / np.sqrt(aspect)
    shape[:, 1, 1] = scale * np.sqrt(aspect)
    shape[:, 1, 0] = shear * scale
    shifts = rng.uniform(-cfg.shift, cfg.shift, (n, 2))
    images = _affine_warp(images, rot @ shape, shifts)

    stroke = rng.choice(np.asarray(cfg.stroke), n)
    for width in np.unique(stroke):
        idx = np.flatnonzero(stroke == width)
        for _ in range(abs(int(width))):
            images[idx] = _morph(images[idx], np.maximum if width > 0 else np.minimum)
    images = _blur(images, rng.uniform(*cfg.blur, n))

    block = CANVAS // image_size
    images = images.reshape(n, image_size, block, image_size, block).mean(axis=(2, 4))
    peak = np.maximum(images.reshape(n, -1).max(1), 1e-6)[:, None, None]
    images = images / peak  # strongest ink is full ink, like the target's dark strokes
    images = images + rng.normal(0, 1, images.shape) * rng.uniform(*cfg.noise, n)[:, None, None]
    images = lo + (hi - lo) * np.clip(images, 0.0, 1.0)
    if quantize:
        images = np.round(images)
    return images[..., None].astype(np.float32), y.astype(np.int64), tuple(charset)
