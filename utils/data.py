"""Offline target data: the real handwritten digits that scikit-learn ships.

The 1,797 digits are 8x8 images with integer grey levels 0..16 (from the UCI
"Optical Recognition of Handwritten Digits" set; each pixel counts the ink in
a 4x4 block of a 32x32 bitmap). They are split once, stratified and seeded,
into train / validation / test; the test split is for final numbers only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import is_int_at_least

DIGITS_SHAPE = (8, 8, 1)
DIGITS_MAX = 16.0
SPLIT_SEED = 0


@dataclass(frozen=True)
class Split:
    """Images ``x`` of shape (n, 8, 8, 1), float32 in [0, 16], and int labels ``y``.

    Examples
    --------
    >>> split = Split(np.zeros((3, 8, 8, 1), "float32"), np.array([0, 1, 2]))
    >>> len(split), split.x.shape, split.y.tolist(), split.flat.shape
    (3, (3, 8, 8, 1), [0, 1, 2], (3, 64))
    """

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    @property
    def flat(self) -> np.ndarray:
        """The images as (n, 64) rows, for scikit-learn estimators."""
        return self.x.reshape(len(self.x), -1)


@dataclass(frozen=True)
class DigitSplits:
    """The fixed train / validation / test splits of the digits.

    Examples
    --------
    >>> digits = load_digits_splits()
    >>> len(digits.train), len(digits.val), len(digits.test)
    (1077, 270, 450)
    >>> digits.n_classes, digits.class_names[:3]
    (10, ('0', '1', '2'))
    """

    train: Split
    val: Split
    test: Split
    class_names: tuple[str, ...]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def load_digits_splits(
    *, val_size: float = 0.15, test_size: float = 0.25, split_seed: int = SPLIT_SEED
) -> DigitSplits:
    """Load scikit-learn's digits and split them, stratified and seeded.

    Parameters
    ----------
    val_size, test_size : float
        Fractions of all 1,797 images for validation and test, each in (0, 1),
        together below 0.9 so the training split keeps >= 10% of the data.
    split_seed : int
        Seed of the split. Keep the default so every notebook sees the same test set.

    Returns
    -------
    DigitSplits
        ``train``, ``val`` and ``test`` splits, and the class names "0".."9".

    Examples
    --------
    >>> digits = load_digits_splits()
    >>> digits.train.x.shape, digits.train.flat.shape, digits.test.y.shape
    ((1077, 8, 8, 1), (1077, 64), (450,))
    >>> float(digits.train.x.min()), float(digits.train.x.max())
    (0.0, 16.0)
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    for name, value in (("val_size", val_size), ("test_size", test_size)):
        if not 0.0 < float(value) < 1.0:
            raise ValueError(f"{name} must be a fraction in (0, 1), got {value!r}")
    if val_size + test_size >= 0.9:
        raise ValueError(
            f"val_size + test_size = {val_size + test_size:.2f} leaves too little for training; keep it below 0.9"
        )
    bunch = load_digits()
    x = bunch.images.astype("float32")[..., None]
    y = bunch.target.astype("int64")
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=test_size, stratify=y, random_state=split_seed
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_size / (1.0 - test_size), stratify=y_rest, random_state=split_seed
    )
    names = tuple(str(c) for c in bunch.target_names)
    return DigitSplits(Split(x_train, y_train), Split(x_val, y_val), Split(x_test, y_test), names)


def sample_k_shot(x: np.ndarray, y: np.ndarray, k: int | None, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``k`` labelled examples of every class, seeded.

    Parameters
    ----------
    x : ndarray, shape (n, ...)
    y : ndarray of int, shape (n,)
    k : int or None
        Examples per class; ``None`` (or the string ``"all"``) returns everything.
    seed : int
        Seed of the draw; the same seed gives the same examples.

    Returns
    -------
    x_k, y_k : ndarray
        ``k * n_classes`` examples, shuffled (classes interleaved).

    Raises
    ------
    ValueError
        If ``k`` is not a positive integer, a class has fewer than ``k`` examples, or ``y``
        is not a non-empty 1-D array of integer labels (one-hot, float or empty labels).

    Examples
    --------
    >>> x_k, y_k = sample_k_shot(np.zeros((6, 2)), np.array([0, 0, 0, 1, 1, 1]), 2, seed=0)
    >>> sorted(y_k.tolist())
    [0, 0, 1, 1]
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        raise ValueError(f"y must be integer class labels of shape (n,), got shape {y.shape}; "
                         "for one-hot labels pass y.argmax(axis=1)")
    if y.ndim != 1:
        raise ValueError(f"y must be integer class labels of shape (n,), got shape {y.shape}")
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} images, {len(y)} labels")
    if len(y) == 0:
        raise ValueError("x and y are empty: there is nothing to sample from")
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.bool_)):
        raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}; convert with y.astype(int) "
                         "if the values are whole numbers")
    if k is None or (isinstance(k, str) and k == "all"):
        return x, y
    if not is_int_at_least(k, 1):
        raise ValueError(f"k must be a positive integer, None or 'all'; got {k!r}")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < k:
        short = {int(c): int(n) for c, n in zip(classes, counts) if n < k}
        raise ValueError(
            f"k={k} examples per class requested, but some classes have fewer: {short} "
            f"(class: examples available). Use k <= {int(counts.min())} or k=None for all."
        )
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), size=k, replace=False) for c in classes])
    idx = rng.permutation(idx)
    return x[idx], y[idx]


def make_dataset(
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
    cache: bool = True,
):
    """Wrap arrays in a ``tf.data`` pipeline: (shuffle), batch, cache, prefetch.

    Parameters
    ----------
    x : ndarray
    y : ndarray or None
        Labels; ``None`` yields images only (for prediction or feature extraction).
    batch_size : int
    shuffle : bool
        Reshuffle every epoch, seeded by ``seed``.
    seed : int
    cache : bool
        Cache the batched arrays in memory (they are small).

    Returns
    -------
    tf.data.Dataset

    Examples
    --------
    >>> x, y = np.zeros((10, 8, 8, 1)), np.arange(10)
    >>> ds = make_dataset(x, y, batch_size=4, shuffle=True, seed=0)
    >>> [tuple(x_batch.shape) for x_batch, y_batch in ds]
    [(4, 8, 8, 1), (4, 8, 8, 1), (2, 8, 8, 1)]
    """
    import tensorflow as tf

    if not is_int_at_least(batch_size, 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    x = np.asarray(x, dtype="float32")
    if y is not None and len(y) != len(x):
        raise ValueError(f"x and y differ in length: {len(x)} images, {len(y)} labels")
    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, np.asarray(y)))
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def load_faces_splits(*, image_size: int = 8, val_size: float = 0.2, test_size: float = 0.4,
                      split_seed: int = SPLIT_SEED) -> DigitSplits:
    """Faces vs non-faces: scikit-image's ``lfw_subset`` (real photos), resized like the digits.

    100 face crops from Labeled Faces in the Wild and 100 non-face crops, 25x25 grey,
    shipped with scikit-image (no download). Resized with anti-aliasing to
    ``image_size`` and scaled to grey levels 0..16 (rounded), the digits' format, so
    the course backbones read them as they are.

    Parameters
    ----------
    image_size : int
        Output side, >= 4.
    val_size, test_size : float
        Fractions for validation and test, stratified and seeded; together below 0.9.
    split_seed : int

    Returns
    -------
    DigitSplits
        Images (n, image_size, image_size, 1) float32 in 0..16; classes ("non-face", "face").

    Examples
    --------
    >>> faces = load_faces_splits()
    >>> faces.class_names, faces.train.x.shape, len(faces.val), len(faces.test)
    (('non-face', 'face'), (80, 8, 8, 1), 40, 80)
    """
    from skimage.data import lfw_subset
    from skimage.transform import resize
    from sklearn.model_selection import train_test_split

    if not is_int_at_least(image_size, 4):
        raise ValueError(f"image_size must be an integer >= 4, got {image_size!r}")
    for name, value in (("val_size", val_size), ("test_size", test_size)):
        if not 0.0 < float(value) < 1.0:
            raise ValueError(f"{name} must be a fraction in (0, 1), got {value!r}")
    if val_size + test_size >= 0.9:
        raise ValueError(f"val_size + test_size = {val_size + test_size:.2f} leaves too little for training")
    images = lfw_subset()  # the first half faces, the second half non-faces
    half = len(images) // 2
    y = np.r_[np.ones(half), np.zeros(len(images) - half)].astype("int64")
    small = resize(images, (len(images), image_size, image_size), anti_aliasing=True)
    x = np.round(16.0 * small).astype("float32")[..., None]
    n_test, n_val = round(test_size * len(x)), round(val_size * len(x))  # counts, so 0.2 of 200 is exactly 40
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=n_test, stratify=y, random_state=split_seed)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=n_val, stratify=y_rest,
                                                      random_state=split_seed)
    return DigitSplits(Split(x_train, y_train), Split(x_val, y_val), Split(x_test, y_test), ("non-face", "face"))
