"""Miniature stand-ins of every file the imagenet track downloads, for the rehearsal.

Each generator writes a file with the real file name and the real layout (the same archive
members, array shapes and dtypes, pickle keys), but with few, generated images: every class has
its own colour and stripe pattern plus a little noise, so a model can learn something from them
and no cell sees an empty or single-class split. The ``keras.applications`` weights are those of
the same model built with ``weights=None``, saved in the legacy HDF5 layout Keras reads.
:class:`StandIns` makes each file when it is first asked for and keeps the manifest of their SHA-256
digests, the only checksums a rehearsal accepts.

Nothing here is a real dataset or a pretrained model: the files exist only so that every code
path of the imagenet track (download, checksum, unpacking, loading, training) runs on a machine
without internet. :mod:`utils.course.rehearsal` serves them from 127.0.0.1.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import pickle
import re
import tarfile
import threading
import time
from pathlib import Path

import numpy as np

from .paths import atomic_write

#: Images per class of the flower stand-in (the real archive has 633-898).
FLOWERS_PER_CLASS = 24
MANIFEST = "manifest.json"
FLOWER_CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")
#: Images in the SVHN and MNIST stand-ins (the real files: 73,257; 60,000 + 10,000).
N_SVHN, N_MNIST_TRAIN, N_MNIST_TEST = 400, 300, 200


def class_images(labels, size: int, *, channels: int = 3, seed: int = 0, noise: float = 12.0) -> np.ndarray:
    """Generated uint8 images, one colour and stripe pattern per class, plus a little noise.

    Parameters
    ----------
    labels : array of int
        Class of each image (0..9 give distinct colours; more classes repeat them with other stripes).
    size : int
        Height and width.
    channels : int
        1 or 3.
    seed : int
    noise : float
        Standard deviation of the Gaussian noise added (0: every image of a class is the same,
        apart from a shift of its stripes by up to 3 pixels).

    Returns
    -------
    ndarray of shape (n, size, size, channels), uint8
    """
    labels = np.asarray(labels, dtype=int)
    rng = np.random.default_rng(seed)
    hues = np.array([[230, 60, 60], [60, 200, 60], [60, 90, 230], [230, 200, 40], [200, 60, 220],
                     [40, 210, 210], [240, 140, 30], [120, 120, 120], [250, 250, 250], [90, 40, 10]], np.float32)
    rows = np.arange(size)[:, None]
    cols = np.arange(size)[None, :]
    out = np.empty((len(labels), size, size, channels), np.uint8)
    for i, c in enumerate(labels):
        period = 2 + c % 5
        shift = rng.integers(0, 4)
        stripes = ((rows + shift + (cols if c % 2 else 0)) // max(1, size // (2 * period))) % 2
        colour = hues[c % len(hues)] if channels == 3 else hues[c % len(hues)].mean(keepdims=True)
        image = stripes[..., None] * colour + (1 - stripes[..., None]) * (255 - colour) * 0.5
        if noise:
            image += rng.normal(0, noise, image.shape)
        out[i] = np.clip(image, 0, 255).astype(np.uint8)
    return out


def write_flowers(folder: Path, *, per_class: int = FLOWERS_PER_CLASS, size: int = 40) -> Path:
    """``flower_photos.tgz``: ``flower_photos/<class>/<n>.jpg`` for the 5 tf_flowers classes."""
    from PIL import Image

    path = Path(folder) / "flower_photos.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for c, name in enumerate(FLOWER_CLASSES):
            for i, image in enumerate(class_images([c] * per_class, size, seed=c)):
                buf = io.BytesIO()
                Image.fromarray(image).save(buf, format="JPEG", quality=90)
                info = tarfile.TarInfo(f"flower_photos/{name}/{i:04d}.jpg")
                info.size = buf.tell()
                buf.seek(0)
                tar.addfile(info, buf)
    return path


def write_svhn(folder: Path, *, n: int = N_SVHN) -> Path:
    """``train_32x32.mat`` (SVHN format 2): ``X`` of shape (32, 32, 3, n) uint8, ``y`` (n, 1) in 1..10."""
    from scipy.io import savemat

    digits = np.arange(n) % 10
    x = np.moveaxis(class_images(digits, 32, seed=10), 0, 3)
    path = Path(folder) / "train_32x32.mat"
    savemat(path, {"X": x, "y": np.where(digits == 0, 10, digits).astype(np.uint8)[:, None]})
    return path


def write_mnist(folder: Path, *, n_train: int = N_MNIST_TRAIN, n_test: int = N_MNIST_TEST) -> Path:
    """``mnist.npz`` as Keras ships it: ``x_train`` (n, 28, 28) uint8, ``y_train``, ``x_test``, ``y_test``."""
    y_train, y_test = np.arange(n_train) % 10, np.arange(n_test) % 10
    path = Path(folder) / "mnist.npz"
    np.savez(path, x_train=class_images(y_train, 28, channels=1, seed=11)[..., 0], y_train=y_train.astype(np.uint8),
             x_test=class_images(y_test, 28, channels=1, seed=12)[..., 0], y_test=y_test.astype(np.uint8))
    return path


def write_cifar10(folder: Path) -> Path:
    """``cifar-10-python.tar.gz``: ``cifar-10-batches-py/data_batch_1..5``, ``test_batch``, ``batches.meta``.

    The batches are pickled with protocol 4, which Keras's restricted unpickler accepts.

    ``keras.datasets.cifar10.load_data`` expects exactly 10,000 images per batch, so the stand-in
    has the real counts; its images repeat a few patterns, so the archive stays small.
    """
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]
    patterns = {c: class_images([c] * 8, 32, seed=20 + c, noise=0) for c in range(10)}  # 8 variants per class
    path = Path(folder) / "cifar-10-python.tar.gz"

    def batch(labels, label_name):
        images = np.stack([patterns[c][i % 8] for i, c in enumerate(labels)])
        data = np.moveaxis(images, 3, 1).reshape(len(labels), 3072)  # channels first, as CIFAR stores them
        return pickle.dumps({b"batch_label": label_name, b"labels": [int(c) for c in labels], b"data": data,
                             b"filenames": [b"standin_%05d.png" % i for i in range(len(labels))]}, protocol=4)

    members = {f"data_batch_{i}": batch((np.arange(10000) + i) % 10, f"training batch {i} of 5".encode())
               for i in range(1, 6)}
    members["test_batch"] = batch(np.arange(10000) % 10, b"testing batch 1 of 1")
    members["batches.meta"] = pickle.dumps({b"label_names": names, b"num_cases_per_batch": 10000, b"num_vis": 3072},
                                           protocol=4)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return path


# ------------------------------------------------------------------ the folder the rehearsal serves, made on first request

# keras.applications weights files (include_top=False) -> the constructor that builds the same model
_APP_FILES = {
    "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5": ("VGG16", {}),
    "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5": ("ResNet50", {}),
    "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5": ("ResNet50V2", {}),
    "efficientnetb0_notop.h5": ("EfficientNetB0", {}),
    "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5": ("DenseNet121", {}),
    "xception_weights_tf_dim_ordering_tf_kernels_notop.h5": ("Xception", {}),
}
_MOBILENET_V2 = re.compile(r"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_([0-9.]+)_(\d+)_no_top\.h5")
_DATASETS = {
    "flower_photos.tgz": write_flowers,
    "train_32x32.mat": write_svhn,
    "mnist.npz": write_mnist,
    "cifar-10-python.tar.gz": write_cifar10,
}


def _app_builder(name: str):
    """(constructor, kwargs) of the keras.applications model whose weights file is ``name``, or None."""
    if name in _APP_FILES:
        return _APP_FILES[name]
    match = _MOBILENET_V2.fullmatch(name)
    if match:
        rows = int(match.group(2))
        return "MobileNetV2", {"alpha": float(match.group(1)), "input_shape": (rows, rows, 3)}
    return None


def known_file(name: str) -> bool:
    """Whether the rehearsal can serve a stand-in for the file ``name``."""
    return name in _DATASETS or _app_builder(name) is not None


def _write_app_weights(folder: Path, name: str) -> Path:
    import logging

    import keras

    constructor, kwargs = _app_builder(name)
    model = getattr(keras.applications, constructor)(weights=None, include_top=False, **kwargs)
    path = folder / name
    quiet = logging.getLogger("absl")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the ".h5 is a legacy format" warning: the published files use it
    try:
        model.save(path)  # the legacy HDF5 layout of the published files, which load_weights reads
    finally:
        quiet.setLevel(level)
    del model
    keras.backend.clear_session()
    return path


class StandIns:
    """The folder of stand-in files and their manifest of SHA-256 digests; files are made on first request."""

    def __init__(self, folder: Path, text_dir: Path | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.text_dir = text_dir
        self._lock = threading.Lock()
        self.made: list[str] = []

    @property
    def manifest_path(self) -> Path:
        return self.folder / MANIFEST

    def manifest(self) -> dict:
        return json.loads(self.manifest_path.read_text()) if self.manifest_path.exists() else {}

    def get(self, name: str) -> Path | None:
        """The path of stand-in ``name``, made now if needed; None if there is no such stand-in."""
        if "/" in name or name.startswith(".") or not known_file(name):
            return None
        with self._lock:
            path = self.folder / name
            if not path.exists():
                start = time.perf_counter()
                if name in _DATASETS:
                    _DATASETS[name](self.folder)
                else:
                    _write_app_weights(self.folder, name)
                self.made.append(f"{name} ({path.stat().st_size / 2**20:.1f} MB, made in {time.perf_counter() - start:.1f} s)")
            digest = _sha256(path)
            manifest = self.manifest()
            if manifest.get(name) != digest:
                manifest[name] = digest
                atomic_write(self.manifest_path, lambda t: Path(t).write_text(json.dumps(manifest, indent=1)))
            return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
