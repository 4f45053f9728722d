"""Formula-driven fractal images: a source task with no natural images (FractalDB-style).

Each class is an iterated function system (IFS): a few random contractive affine maps
of the plane, drawn once from ``class_seed``. An image of a class is the class's
attractor, drawn with the chaos game, under a random rotation, scale and shift, and
block-averaged to the digits' resolution (8x8, grey levels 0..16). Kataoka et al.
("Pre-training without Natural Images", ACCV 2020) pretrain on such images.
"""

from __future__ import annotations

import numpy as np

from ._checks import is_int_at_least

CANVAS = 32
_CHAINS, _STEPS, _BURN_IN = 48, 40, 10


def ifs_systems(n_classes: int, *, class_seed: int = 0, maps: tuple[int, int] = (2, 4)) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Draw ``n_classes`` random IFS: for each, (A, b, p) with A (m, 2, 2), b (m, 2), p (m,) map probabilities.

    Every map is contractive (singular values in [0.25, 0.8]); a map is chosen with
    probability proportional to |det A|, so each part of the attractor gets points.
    """
    if not is_int_at_least(n_classes, 2):
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    rng = np.random.default_rng(class_seed)
    systems = []
    for _ in range(n_classes):
        m = int(rng.integers(maps[0], maps[1] + 1))
        angles = rng.uniform(0, 2 * np.pi, (m, 2))
        singular = rng.uniform(0.25, 0.8, (m, 2))
        flips = rng.choice([-1.0, 1.0], m)
        rot = lambda a: np.stack([np.stack([np.cos(a), -np.sin(a)], -1), np.stack([np.sin(a), np.cos(a)], -1)], -2)  # noqa: E731
        a = rot(angles[:, 0]) @ (singular[..., None] * np.eye(2)) @ rot(angles[:, 1])
        a[:, :, 1] *= flips[:, None]
        b = rng.uniform(-1, 1, (m, 2))
        p = np.abs(np.linalg.det(a)) + 1e-3
        systems.append((a, b, p / p.sum()))
    return systems


def _attractor_points(system, n_images: int, rng) -> np.ndarray:
    """Chaos-game points of one IFS: (n_images, points, 2), normalised to [-1, 1] per image set."""
    a, b, p = system
    x = rng.uniform(-1, 1, (n_images, _CHAINS, 2))
    out = []
    for step in range(_STEPS):
        k = rng.choice(len(p), size=(n_images, _CHAINS), p=p)
        x = np.einsum("ncij,ncj->nci", a[k], x) + b[k]
        if step >= _BURN_IN:
            out.append(x)
    pts = np.concatenate(out, axis=1)
    lo, hi = np.percentile(pts.reshape(-1, 2), [1, 99], axis=0)
    centre, half = (lo + hi) / 2, np.maximum((hi - lo).max() / 2, 1e-6)
    return (pts - centre) / half


def render_fractals(
    n: int,
    n_classes: int = 20,
    *,
    seed: int = 0,
    class_seed: int = 0,
    image_size: int = 8,
    value_range: tuple[float, float] = (0.0, 16.0),
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Render ``n`` fractal images, balanced over ``n_classes`` IFS classes.

    Parameters
    ----------
    n : int
    n_classes : int
        Number of classes (IFS systems), >= 2.
    seed : int
        Seed of the images (class order, chaos game, rotation, scale, shift).
    class_seed : int
        Seed of the IFS systems; keep it fixed so the classes are the same task.
    image_size : int
        8, 16 or 32.
    value_range : (float, float)
        Grey level of the background and of the densest pixel.

    Returns
    -------
    x : ndarray, shape (n, image_size, image_size, 1), float32, rounded to integer levels
    y : ndarray of int64, shape (n,)
    class_names : tuple of str, ``("ifs00", "ifs01", ...)``
    """
    if not is_int_at_least(n, 1):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if image_size not in (8, 16, 32):
        raise ValueError(f"image_size must be 8, 16 or 32, got {image_size!r}")
    lo, hi = map(float, value_range)
    if not hi > lo:
        raise ValueError(f"value_range must be (low, high) with high > low, got {value_range!r}")
    systems = ifs_systems(n_classes, class_seed=class_seed)
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % n_classes)
    canvas = np.zeros((n, CANVAS * CANVAS), np.float32)
    for c in range(n_classes):
        idx = np.flatnonzero(y == c)
        if not len(idx):
            continue
        pts = _attractor_points(systems[c], len(idx), rng)
        angle = rng.uniform(0, 2 * np.pi, len(idx))
        scale = rng.uniform(0.7, 1.0, len(idx))
        shift = rng.uniform(-0.15, 0.15, (len(idx), 2))
        cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
        u = scale[:, None] * (cos * pts[..., 0] - sin * pts[..., 1]) + shift[:, :1]
        v = scale[:, None] * (sin * pts[..., 0] + cos * pts[..., 1]) + shift[:, 1:]
        col = np.clip(((u + 1) / 2 * CANVAS).astype(int), 0, CANVAS - 1)
        row = np.clip(((v + 1) / 2 * CANVAS).astype(int), 0, CANVAS - 1)
        flat = (np.arange(len(idx))[:, None] * CANVAS * CANVAS + row * CANVAS + col).ravel()
        counts = np.bincount(flat, minlength=len(idx) * CANVAS * CANVAS).reshape(len(idx), -1)
        canvas[idx] = np.minimum(counts, 3) / 3.0  # ink where the attractor passes, saturating
    block = CANVAS // image_size
    images = canvas.reshape(n, image_size, block, image_size, block).mean(axis=(2, 4))
    images = images / np.maximum(images.reshape(n, -1).max(1), 1e-6)[:, None, None]
    images = np.round(lo + (hi - lo) * images)
    names = tuple(f"ifs{c:02d}" for c in range(n_classes))
    return images[..., None].astype(np.float32), y.astype(np.int64), names
