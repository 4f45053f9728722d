"""One registry that resolves a backbone name to a model and its preprocessing.

Two families share it:

* course backbones (offline track): small CNNs pretrained by
  ``python -m utils.pretrain`` and shipped in ``data/pretrained/`` with a model card;
* ``keras.applications`` models (imagenet track) with ImageNet weights, which
  Keras downloads once into its cache (``~/.keras/models``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import pretrain as _pretrain


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights could not be loaded (no network, or a missing file).

    Raised by :func:`load_backbone` when ImageNet weights cannot be downloaded or a
    course weights file is missing (also by :func:`load_source_classifier`).

    Examples
    --------
    >>> try:
    ...     backbone = load_backbone("glyphnet-letters", weights="missing.weights.h5")
    ... except WeightsUnavailableError:
    ...     backbone = load_backbone("glyphnet-letters", weights=None)  # random initialisation
    >>> backbone.output_shape
    (None, 128)
    """


@dataclass(frozen=True)
class KerasApp:
    """A ``keras.applications`` backbone: constructor, preprocessing and default input."""

    constructor: str  # attribute of keras.applications
    module: str  # submodule holding preprocess_input
    input_shape: tuple[int, int, int]
    weights_file: str  # file name Keras caches for include_top=False


KERAS_APPLICATIONS: dict[str, KerasApp] = {
    "mobilenet_v2": KerasApp(
        "MobileNetV2", "mobilenet_v2", (224, 224, 3), "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"
    ),
    "efficientnet_b0": KerasApp("EfficientNetB0", "efficientnet", (224, 224, 3), "efficientnetb0_notop.h5"),
    "resnet50": KerasApp(
        "ResNet50", "resnet50", (224, 224, 3), "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    ),
    "resnet50_v2": KerasApp(
        "ResNet50V2", "resnet_v2", (224, 224, 3), "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5"
    ),
    "densenet121": KerasApp(
        "DenseNet121", "densenet", (224, 224, 3), "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5"
    ),
    "vgg16": KerasApp("VGG16", "vgg16", (224, 224, 3), "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
}


def course_backbones(directory: Path | str | None = None) -> list[str]:
    """Names of the course backbones with a model card in ``directory`` (default data/pretrained)."""
    folder = Path(directory or _pretrain.PRETRAINED_DIR)
    return sorted(p.name[: -len(".json")] for p in folder.glob("*.json") if not p.name.startswith("."))


def list_backbones(track: str | None = None) -> list[str]:
    """Backbone names available on a track (``"offline"``, ``"imagenet"``, or ``None`` for both).

    Examples
    --------
    >>> list_backbones("offline")
    ['glyphnet-digits', 'glyphnet-fractals', 'glyphnet-letters', 'glyphnet-letters-narrow']
    >>> list_backbones("imagenet")
    ['densenet121', 'efficientnet_b0', 'mobilenet_v2', 'resnet50', 'resnet50_v2', 'vgg16']
    """
    if track not in (None, "offline", "imagenet"):
        raise ValueError(f"track must be 'offline', 'imagenet' or None, got {track!r}")
    names = []
    if track in (None, "offline"):
        names += course_backbones()
    if track in (None, "imagenet"):
        names += sorted(KERAS_APPLICATIONS)
    return names


def _unknown(name: str) -> ValueError:
    return ValueError(
        f"Unknown backbone {name!r}. Course backbones (offline track): {', '.join(course_backbones()) or 'none built'}; "
        f"keras.applications (imagenet track): {', '.join(sorted(KERAS_APPLICATIONS))}. "
        f"Course backbones are built with `python -m utils.pretrain NAME` (recipes: {', '.join(sorted(_pretrain.RECIPES))})."
    )


def load_card(name: str, directory: Path | str | None = None) -> dict:
    """Read the model card of course backbone ``name``.

    Examples
    --------
    >>> card = load_card("glyphnet-letters")
    >>> card["n_source_classes"], card["feature_dim"], card["command"]
    (52, 128, 'python -m utils.pretrain glyphnet-letters')
    """
    path = _pretrain.card_path(name, directory)
    if not path.exists():
        raise _unknown(name)
    return json.loads(path.read_text())


def get_preprocessing(name: str) -> Callable:
    """The input preprocessing a backbone expects, as a function of a batch of images.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.full((1, 8, 8, 1), 16.0)  # one white grey digit, levels 0..16
    >>> preprocess = get_preprocessing("glyphnet-letters")
    >>> float(preprocess(adapt_images(x, "glyphnet-letters")).max())  # scaled to [0, 1]
    1.0
    >>> float(get_preprocessing("mobilenet_v2")(adapt_images(x, "mobilenet_v2", image_size=32)).max())
    1.0
    """
    import importlib

    if name in KERAS_APPLICATIONS:
        module = importlib.import_module(f"keras.applications.{KERAS_APPLICATIONS[name].module}")
        return module.preprocess_input
    if name in course_backbones() or name in _pretrain.RECIPES:
        from .models import scale_digits

        return scale_digits
    raise _unknown(name)


def keras_cache_dir() -> Path:
    """The folder where Keras keeps downloaded weights."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _requested_file(exc: BaseException, default: str) -> str:
    """The weights file Keras tried to fetch, read from its error (it depends on the input size)."""
    import re

    for link in _chain(exc):
        match = re.search(r"([\w.-]+\.h5)\b", str(link))
        if match:
            return match.group(1)
    return default


def _is_network_failure(exc: BaseException) -> bool:
    import socket
    import urllib.error

    for link in _chain(exc):
        if isinstance(link, (urllib.error.URLError, ConnectionError, socket.error, TimeoutError)):
            return True
        text = str(link).lower()
        if "url fetch failure" in text or "urlopen" in text or "network" in text:
            return True
    return False


def load_backbone(
    name: str,
    *,
    weights: str | None = "pretrained",
    input_shape: tuple[int, int, int] | None = None,
    trainable: bool = False,
):
    """Build backbone ``name`` with its weights; it maps preprocessed images to feature vectors.

    Parameters
    ----------
    name : str
        A course backbone (see :func:`course_backbones`) or a key of :data:`KERAS_APPLICATIONS`.
    weights : {"pretrained", "imagenet", None} or path
        ``"pretrained"`` loads the shipped course weights, or ImageNet weights for a
        ``keras.applications`` model (``"imagenet"`` means the same there); ``None`` gives
        random initialisation (same architecture); a path loads that weights file.
    input_shape : tuple or None
        Input shape; ``None`` uses the backbone's own (8x8x1 for course backbones).
    trainable : bool
        Value of ``backbone.trainable``; frozen by default (feature extraction).

    Returns
    -------
    keras.Model
        Outputs pooled features, shape (batch, feature_dim).

    Raises
    ------
    ValueError
        Unknown name, or weights that do not fit the backbone.
    WeightsUnavailableError
        ImageNet weights could not be downloaded, or the course weights file is missing.

    Examples
    --------
    >>> backbone = load_backbone("glyphnet-letters")  # offline track: the shipped course weights
    >>> backbone.input_shape, backbone.output_shape, backbone.trainable
    ((None, 8, 8, 1), (None, 128), False)

    Not run here: the imagenet track downloads the ImageNet weights once (network needed).

    >>> backbone = load_backbone("mobilenet_v2")  # doctest: +SKIP
    """
    if name in KERAS_APPLICATIONS:
        model = _load_keras_app(name, weights, input_shape)
    elif name in _pretrain.RECIPES or name in course_backbones():
        model = _load_course(name, weights, input_shape)
    else:
        raise _unknown(name)
    model.trainable = trainable
    return model


def _load_course(name: str, weights, input_shape):
    if name not in _pretrain.RECIPES:
        raise _unknown(name)
    recipe = _pretrain.RECIPES[name]
    native = (recipe.image_size, recipe.image_size, 1)
    if input_shape is not None and tuple(input_shape) != native:
        raise ValueError(f"{name} takes images of shape {native}, got input_shape={tuple(input_shape)}")
    if weights == "imagenet":
        raise ValueError(f"{name} is a course backbone; use weights='pretrained' or None, not 'imagenet'")
    return _course_classifier(name, weights).get_layer(name)


def _course_classifier(name: str, weights):
    """A course backbone with its source head, random (``weights=None``) or loaded from a weights file."""
    classifier = _pretrain.build_source_classifier(name)
    if weights is not None:
        path = _pretrain.weights_path(name) if weights == "pretrained" else Path(weights)
        if not path.exists():
            raise WeightsUnavailableError(
                f"Weights file {path.name} for {name!r} is missing. Rebuild it with "
                f"`python -m utils.pretrain {name}` or restore data/pretrained/ from the repository."
            )
        classifier.load_weights(str(path))
    return classifier


def load_source_classifier(name: str):
    """The pretrained course backbone with its source-task head (e.g. to measure forgetting).

    Examples
    --------
    >>> classifier = load_source_classifier("glyphnet-letters")
    >>> classifier.output_shape  # the 52 letters of the source task
    (None, 52)
    """
    if name not in _pretrain.RECIPES:
        raise _unknown(name)
    return _course_classifier(name, "pretrained")


def _load_keras_app(name: str, weights, input_shape):
    import keras

    app = KERAS_APPLICATIONS[name]
    shape = tuple(input_shape) if input_shape is not None else app.input_shape
    if len(shape) != 3 or shape[2] != 3 or min(shape[:2]) < 32:
        raise ValueError(f"{name} needs RGB images of at least 32x32, shape (h, w, 3); got input_shape={shape}")
    if weights == "pretrained":
        weights = "imagenet"
    constructor = getattr(keras.applications, app.constructor)
    try:
        return constructor(include_top=False, weights=weights, input_shape=shape, pooling="avg")
    except Exception as exc:  # noqa: BLE001 - turned into one clear message below
        if weights == "imagenet" and _is_network_failure(exc):
            file = _requested_file(exc, app.weights_file)
            message = (
                f"Could not download the ImageNet weights of {name} (no network?). Either switch to the "
                f"offline track (TL_TRACK=offline, course backbones, no downloads), or, on a machine with "
                f"internet, run keras.applications.{app.constructor}(include_top=False, weights='imagenet', "
                f"input_shape={shape}) once and copy {file} into {keras_cache_dir()}, "
                f"or pass weights='/path/to/{file}'."
            )
            raise WeightsUnavailableError(message) from None
        raise


def adapt_images(x, name: str, *, image_size: int | None = None):
    """Bring images to the raw input backbone ``name`` takes (before its preprocessing).

    Course backbones take 8x8 grey digits (0..16) as they are. A ``keras.applications``
    model takes RGB images with values 0..255 at its input size: grey digits are
    resized (bilinear), repeated over three channels and rescaled from 0..16; RGB
    photos (already 0..255) are only resized. Apply :func:`get_preprocessing` afterwards.

    Parameters
    ----------
    x : ndarray, shape (n, h, w, 1) or (n, h, w, 3)
    name : str
    image_size : int or None
        Output side for a ``keras.applications`` model; default its own input size.

    Returns
    -------
    ndarray, float32

    Examples
    --------
    >>> import numpy as np
    >>> digits = np.full((2, 8, 8, 1), 16.0)  # two white 8x8 grey digits
    >>> adapt_images(digits, "glyphnet-letters").shape  # a course backbone takes them as they are
    (2, 8, 8, 1)
    >>> photos = adapt_images(digits, "mobilenet_v2", image_size=32)
    >>> photos.shape, float(photos.max())
    ((2, 32, 32, 3), 255.0)
    """
    import numpy as np

    x = np.array(x, dtype="float32")  # a copy: keras.applications' preprocess_input may work in place
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise ValueError(f"x must be grey images (n, h, w, 1) or RGB photos (n, h, w, 3), got {x.shape}")
    if name in KERAS_APPLICATIONS:
        import tensorflow as tf

        size = image_size or KERAS_APPLICATIONS[name].input_shape[0]
        if x.shape[1:3] != (size, size):
            x = tf.image.resize(x, (size, size), method="bilinear").numpy()
        if x.shape[-1] == 1:
            x = np.repeat(x * (255.0 / 16.0), 3, axis=-1)
        return x
    if name in _pretrain.RECIPES or name in course_backbones():
        if x.shape[-1] != 1:
            raise ValueError(f"course backbone {name} takes grey images (n, h, w, 1), got {x.shape}")
        if image_size not in (None, x.shape[1]):
            raise ValueError(f"course backbone {name} takes images at their own size, not image_size={image_size}")
        return x
    raise _unknown(name)
