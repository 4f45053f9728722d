"""Real datasets the imagenet track downloads: flower photos, and SVHN -> MNIST for adaptation.

Each file is fetched once into the course cache, hash-checked (:mod:`utils.course.downloads`);
the offline track never calls these. The splits have the same form as the digits'
(:class:`utils.data.DigitSplits`), so the notebooks' code does not change with the track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import is_int_at_least
from .course.downloads import DatasetUnavailableError, fetch
from .data import SPLIT_SEED, DigitSplits, Split

__all__ = ["DatasetUnavailableError", "DomainPair", "load_photo_splits", "load_svhn_mnist"]

FLOWERS_URL = "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"



FLOWERS_SHA256 = "4c54ace7911aaffe13a365c34f650e71dd5bf1be0a58b464e5a7183e3e595d9c"  # TFDS url_checksums/tf_flowers.txt


def load_photo_splits(
    directory=None,
    *,
    image_size: int = 96,
    val_size: float = 0.15,
    test_size: float = 0.25,
    split_seed: int = SPLIT_SEED,
) -> DigitSplits:
    """A folder of class sub-folders of photos, resized and split like the digits (imagenet track).

    Parameters
    ----------
    directory : path or None
        A class-per-sub-folder image tree. ``None`` downloads the tf_flowers photos
        (3,670 images, 5 classes, about 220 MB) once into the course cache.
    image_size : int
        Side of the square the photos are resized to.
    val_size, test_size : float
        Fractions for validation and test, stratified and seeded.
    split_seed : int

    Returns
    -------
    DigitSplits
        Images as float32 RGB in 0..255, shape (n, image_size, image_size, 3).

    Raises
    ------
    DatasetUnavailableError
        The download failed (no network); the message says where to put the files by hand.

    Examples
    --------
    The imagenet track's call downloads tf_flowers (about 220 MB), so it is skipped here:

    >>> flowers = load_photo_splits(image_size=96)  # doctest: +SKIP

    Any class-per-sub-folder tree works offline, here 10 tiny grey images in each of two classes:

    >>> import os, tempfile, PIL.Image
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     for name in ("cats", "dogs"):
    ...         os.mkdir(os.path.join(tmp, name))
    ...         for i in range(10):
    ...             PIL.Image.new("RGB", (12, 12), (20 * i,) * 3).save(os.path.join(tmp, name, f"{i}.png"))
    ...     photos = load_photo_splits(tmp, image_size=16)
    >>> photos.class_names, photos.train.x.shape, len(photos.val), len(photos.test)
    (('cats', 'dogs'), (12, 16, 16, 3), 3, 5)
    """
    from PIL import Image
    from sklearn.model_selection import train_test_split

    from .course.paths import cache_dir
    from .folders import scan_image_folder

    if not is_int_at_least(image_size, 8):
        raise ValueError(f"image_size must be an integer >= 8, got {image_size!r}")
    if directory is None:
        target = cache_dir("downloads") / "flower_photos"
        if not (target / "daisy").is_dir():
            fetch("flower_photos.tgz", FLOWERS_URL, FLOWERS_SHA256, extract=True,  # 229 MB, once
                  hint="; or unpack it anywhere and pass its flower_photos folder as directory=")
            if not (target / "daisy").is_dir():
                raise DatasetUnavailableError(f"the tf_flowers archive did not contain flower_photos/; delete {target.parent} and retry")
        directory = target
    good, _ = scan_image_folder(directory)
    names = tuple(good)
    images, labels = [], []
    for label, name in enumerate(names):
        for path in good[name]:
            with Image.open(path) as im:
                images.append(np.asarray(im.convert("RGB").resize((image_size, image_size), Image.Resampling.BILINEAR)))
            labels.append(label)
    x = np.stack(images).astype("float32")
    y = np.asarray(labels, dtype="int64")
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=test_size, stratify=y, random_state=split_seed)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_size / (1.0 - test_size), stratify=y_rest, random_state=split_seed
    )
    return DigitSplits(Split(x_train, y_train), Split(x_val, y_val), Split(x_test, y_test), names)


# ---------------------------------------------------------------- digits domain adaptation: SVHN -> MNIST

SVHN_URL = "http://ufldl.stanford.edu/housenumbers/train_32x32.mat"
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
_SVHN_FILE = "train_32x32.mat"
_MNIST_FILE = "mnist.npz"
# published checksums (torchvision's SVHN md5, Keras' MNIST sha256): a truncated download is caught
_FILE_HASHES = {
    _SVHN_FILE: "e26dedcc434d2e4c54c9b2d4a06d8373",
    _MNIST_FILE: "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
}
_FILE_URLS = {_SVHN_FILE: SVHN_URL, _MNIST_FILE: MNIST_URL}


@dataclass(frozen=True)
class DomainPair:
    """A labelled source domain and an unlabelled target domain with the same classes.

    ``target.y`` is kept only so a teacher can check results; the adaptation notebooks use
    ``target.x`` alone. ``target_test`` is for final evaluation only, and ``source_val``
    (held-out *source* images) is what model selection may use without target labels.

    Examples
    --------
    :func:`load_svhn_mnist` returns the real pair; a toy one shows the fields:

    >>> split = Split(np.zeros((4, 32, 32, 3), "float32"), np.arange(4))
    >>> pair = DomainPair(split, split, split, split, class_names=("0", "1", "2", "3"), name="toy")
    >>> pair.n_classes, pair.source.x.shape, pair.target.y.tolist()
    (4, (4, 32, 32, 3), [0, 1, 2, 3])
    """

    source: Split
    source_val: Split
    target: Split
    target_test: Split
    class_names: tuple[str, ...]
    name: str

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


def _digit_file(fname: str, directory) -> str:
    """The path of ``fname``: in ``directory`` if given, else in the course cache (downloaded if missing)."""
    from pathlib import Path


    if directory is not None:
        path = Path(directory) / fname
        if not path.is_file():
            raise DatasetUnavailableError(
                f"{fname} not found in {Path(directory)}. Download it from {_FILE_URLS[fname]} and place it "
                f"there, or pass directory=None to download it into the course cache."
            )
        return str(path)
    return str(fetch(fname, _FILE_URLS[fname], _FILE_HASHES[fname], hint="; or place it in a folder you pass as directory="))


def _read_svhn(path: str) -> tuple[np.ndarray, np.ndarray]:
    """SVHN format-2 ``X`` as (n, 32, 32, 3) uint8 (a view, not a copy) and labels 0..9."""
    from scipy.io import loadmat

    try:
        mat = loadmat(path, variable_names=["X", "y"])
        x, y = mat["X"], np.asarray(mat["y"]).reshape(-1)
    except Exception as exc:  # noqa: BLE001
        raise DatasetUnavailableError(
            f"could not read {path} as SVHN format 2 ({type(exc).__name__}: {exc}); delete it and retry"
        ) from None
    if x.ndim != 4 or x.shape[:3] != (32, 32, 3) or x.shape[3] != len(y) or not np.isin(y, np.arange(1, 11)).all():
        raise DatasetUnavailableError(
            f"{path} is not SVHN format 2 (X of shape (32, 32, 3, n), y in 1..10); delete it and retry"
        )
    return np.moveaxis(x, 3, 0), (y % 10).astype("int64")  # label 10 is the digit 0


def _read_mnist(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST ``x_train, y_train, x_test, y_test`` from Keras' mnist.npz."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = tuple(f[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    except Exception as exc:  # noqa: BLE001
        raise DatasetUnavailableError(
            f"could not read {path} as Keras' mnist.npz ({type(exc).__name__}: {exc}); delete it and retry"
        ) from None
    for x, y in (arrays[:2], arrays[2:]):
        if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y):
            raise DatasetUnavailableError(f"{path} is not Keras' mnist.npz (x of shape (n, 28, 28)); delete it and retry")
    return arrays


def _resize_uint8(images: np.ndarray, size: int) -> np.ndarray:
    """Resize (n, h, w) or (n, h, w, 3) uint8 images to size x size, PIL bilinear."""
    from PIL import Image

    if images.shape[1:3] == (size, size):
        return images
    resample = Image.Resampling.BILINEAR
    return np.stack([np.asarray(Image.fromarray(im).resize((size, size), resample)) for im in images])


def load_svhn_mnist(
    *,
    n_source: int = 20000,
    n_target: int = 20000,
    n_test: int = 2000,
    n_source_val: int = 2000,
    image_size: int = 32,
    seed: int = 0,
    directory=None,
) -> DomainPair:
    """The digits domain-adaptation pair SVHN -> MNIST (imagenet track), seeded subsamples.

    Source: SVHN cropped digits (format 2, ``train_32x32.mat``, 73,257 colour house-number
    photos, about 182 MB). Target: MNIST (``mnist.npz`` as Keras ships it, 60,000 training and
    10,000 test handwritten digits, about 11 MB). ``source`` and ``source_val`` are disjoint
    draws from SVHN train; ``target`` is drawn from MNIST train and ``target_test`` from MNIST
    test. MNIST's 28x28 grey digits get a 2-pixel black border (32x32, as in the DANN paper)
    and their grey level is repeated in 3 channels; then both domains are resized (PIL
    bilinear) to ``image_size`` if it is not 32.

    For reference, the DANN paper (Ganin et al., JMLR 2016) reports 54.9% target accuracy
    for a source-only model on SVHN -> MNIST and 73.85% with DANN.

    Parameters
    ----------
    n_source, n_source_val : int
        Labelled SVHN training and held-out images; together at most 73,257.
    n_target : int
        Target training images (MNIST train), at most 60,000. Their labels are kept in
        ``target.y`` for checking only; adaptation uses ``target.x``.
    n_test : int
        Labelled MNIST test images for the final evaluation, at most 10,000.
    image_size : int
        Side of the square images, >= 8.
    seed : int
        Seed of all the subsamples; the same seed gives the same images in the same order.
    directory : path or None
        A folder holding ``train_32x32.mat`` and ``mnist.npz`` (nothing is downloaded).
        ``None`` uses the course cache (``cache_dir("downloads")``), downloading the files
        that are missing from :data:`SVHN_URL` and :data:`MNIST_URL` once.

    Returns
    -------
    DomainPair
        ``source``, ``source_val``, ``target`` and ``target_test`` splits with images as float32
        RGB in 0..255 of shape (n, image_size, image_size, 3) and int64 labels 0..9, the class
        names "0".."9", and the name "SVHN -> MNIST".

    Raises
    ------
    ValueError
        If an ``n_*`` is not a positive integer, ``image_size`` is not an integer >= 8, or more
        images are asked for than the files hold (the message says how many there are).
    DatasetUnavailableError
        A file is missing from ``directory``, could not be downloaded (no network; the message
        says where to place it by hand) or is not the expected format.

    Examples
    --------
    Skipped here: the call downloads SVHN and MNIST (about 190 MB) on first use.

    >>> pair = load_svhn_mnist(n_source=1000, n_target=1000, n_test=500, n_source_val=200)  # doctest: +SKIP
    >>> pair.name, pair.source.x.shape, pair.target_test.x.shape  # doctest: +SKIP
    ('SVHN -> MNIST', (1000, 32, 32, 3), (500, 32, 32, 3))
    """
    sizes = {"n_source": n_source, "n_source_val": n_source_val, "n_target": n_target, "n_test": n_test}
    for name, value in sizes.items():
        if not is_int_at_least(value, 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not is_int_at_least(image_size, 8):
        raise ValueError(f"image_size must be an integer >= 8, got {image_size!r}")

    svhn_path = _digit_file(_SVHN_FILE, directory)
    mnist_path = _digit_file(_MNIST_FILE, directory)
    svhn_x, svhn_y = _read_svhn(svhn_path)
    mnist_x, mnist_y, mnist_x_test, mnist_y_test = _read_mnist(mnist_path)
    if n_source + n_source_val > len(svhn_x):
        raise ValueError(
            f"n_source + n_source_val = {n_source + n_source_val} but SVHN train has only {len(svhn_x)} images"
        )
    if n_target > len(mnist_x):
        raise ValueError(f"n_target = {n_target} but MNIST train has only {len(mnist_x)} images")
    if n_test > len(mnist_x_test):
        raise ValueError(f"n_test = {n_test} but MNIST test has only {len(mnist_x_test)} images")

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(svhn_x))
    source_idx, val_idx = order[:n_source], order[n_source : n_source + n_source_val]
    target_idx = rng.permutation(len(mnist_x))[:n_target]
    test_idx = rng.permutation(len(mnist_x_test))[:n_test]

    def svhn(idx):
        return Split(_resize_uint8(svhn_x[idx], image_size).astype("float32"), svhn_y[idx])

    def mnist(x, y, idx):
        grey = _resize_uint8(np.pad(x[idx], ((0, 0), (2, 2), (2, 2))), image_size)
        return Split(np.repeat(grey[..., None], 3, axis=-1).astype("float32"), y[idx].astype("int64"))

    return DomainPair(
        source=svhn(source_idx),
        source_val=svhn(val_idx),
        target=mnist(mnist_x, mnist_y, target_idx),
        target_test=mnist(mnist_x_test, mnist_y_test, test_idx),
        class_names=tuple(str(c) for c in range(10)),
        name="SVHN -> MNIST",
    )
