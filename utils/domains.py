"""The domain-adaptation task of notebook 03 on each track: source data, target data, backbone.

offline track
    source: digits rendered from the fonts matplotlib ships (labelled, synthetic). The fonts
    are split in two disjoint sets: training renders come from ``SOURCE_TRAIN_FONTS``, the
    source validation images from the held-out ``SOURCE_VAL_FONTS``, so source validation
    measures generalisation to new fonts, not recall of training glyphs. Training renders
    carry the mild jitter of real typeset digits (:func:`source_render_config`: small
    rotation, scale, shear, shift and blur), or, *randomised*, the renderer's stronger
    default random affine, stroke, blur and noise (domain randomisation);
    target: scikit-learn's real handwritten digits (the training split, used without
    labels; the test split for evaluation only); backbone: ``glyphnet-letters``.
imagenet track
    source: SVHN house-number crops; target: MNIST; backbone: MobileNetV2 with ImageNet
    weights, reading the 32x32 images resized to 96x96 inside the model. "Randomised"
    source images are colour-inverted or turned grey at random. With ``TL_MINIATURE=1``
    (:func:`utils.miniature`: the rehearsal, or a quick first pass) the sizes shrink to
    :data:`MINIATURE_SIZES` and the images stay 32x32, so that every cell runs in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._checks import is_int_at_least

#: imagenet track with ``TL_MINIATURE=1``: the most images of each kind (fits the rehearsal's stand-ins:
#: 400 SVHN images, 300 MNIST training and 200 test images)
MINIATURE_SIZES = {"n_source": 256, "n_source_val": 64, "n_target": 256, "n_test": 128}


def clean_render_config():
    """A :class:`utils.RenderConfig` with every distortion off (rotation, scale, shear, shift, stroke, blur, noise).

    Examples
    --------
    >>> from utils import render_characters
    >>> config = clean_render_config()
    >>> config.rotation, config.stroke, config.noise
    (0.0, (0,), (0.0, 0.0))
    >>> x, y, _ = render_characters(5, "7", config=config, fonts=["DejaVuSans.ttf"])
    >>> len(np.unique(x, axis=0))  # one font, no distortion: five copies of one glyph
    1
    """
    from .synthetic import RenderConfig

    return RenderConfig(rotation=0.0, scale=(1.0, 1.0), aspect=(1.0, 1.0), shear=0.0, shift=0.0, stroke=(0,),
                        blur=(0.0, 0.0), noise=(0.0, 0.0))


# Fonts kept out of every training render of the offline source (one or two from each family:
# sans, mono, serif, STIX, Computer Modern), used only for source validation.
SOURCE_VAL_FONTS = (
    "DejaVuSans-BoldOblique.ttf", "DejaVuSansMono.ttf", "DejaVuSerif-Italic.ttf", "STIXGeneralBol.ttf",
    "cmss10.ttf", "cmtt10.ttf",
)


def _train_fonts():
    from .synthetic import FONT_FILES

    return tuple(f for f in FONT_FILES if f not in SOURCE_VAL_FONTS)


SOURCE_TRAIN_FONTS = _train_fonts()


def source_render_config():
    """A :class:`utils.RenderConfig` with the mild variation of typeset digits.

    Small random rotation (up to 5 degrees), scale, aspect, shear, shift (1 pixel of the
    32-pixel canvas) and blur, with the font's own stroke and no noise: weaker than the
    renderer's default (domain randomisation), stronger than :func:`clean_render_config`,
    whose images are one fixed glyph per (font, digit).
    """
    from .synthetic import RenderConfig

    return RenderConfig(rotation=5.0, scale=(0.95, 1.05), aspect=(0.9, 1.1), shear=0.1, shift=1.0, stroke=(0,),
                        blur=(0.0, 0.5), noise=(0.0, 0.0))


@dataclass
class DomainTask:
    """Everything notebook 03 needs about its source and target domains.

    Attributes
    ----------
    name : str
    class_names : tuple of str
    source_data : callable ``(seed, randomised=False) -> (x, y)``
        Labelled source images, preprocessed for the backbone.
    source_val : (x, y)
        Held-out labelled source images (model selection never looks at target labels);
        offline: rendered from fonts no training image uses.
    target_x : ndarray
        Unlabelled target images for adaptation.
    test : (x, y)
        Labelled target test images, for evaluation only.
    target_labels : ndarray
        Labels of ``target_x``, only for the target-supervised upper bound.
    make_backbone : callable ``() -> keras.Model``
        A fresh trainable backbone mapping preprocessed images to feature vectors.
    train_fonts, val_fonts : tuple of str
        Offline track: the font files of the training renders and of the held-out source
        validation renders (disjoint); empty on the imagenet track.

    Examples
    --------
    >>> task = load_domain_task("offline", n_source=100)
    >>> x_val, y_val = task.source_val
    >>> x_val.shape, task.target_labels.shape, task.class_names[:3]
    ((1000, 8, 8, 1), (1077,), ('0', '1', '2'))
    >>> len(task.train_fonts), len(task.val_fonts), set(task.train_fonts) & set(task.val_fonts)
    (15, 6, set())
    """

    name: str
    class_names: tuple
    source_data: Callable
    source_val: tuple
    target_x: np.ndarray
    test: tuple
    target_labels: np.ndarray
    make_backbone: Callable
    train_fonts: tuple = ()
    val_fonts: tuple = ()


def load_domain_task(
    track: str,
    *,
    n_source: int = 6000,
    weights="pretrained",
    directory=None,
    image_size: int = 96,
    **pair_options,
) -> DomainTask:
    """The source -> target task of notebook 03 for ``track``.

    Parameters
    ----------
    track : {"offline", "imagenet"}
    n_source : int
        Source images per call of ``source_data`` (offline: rendered fresh for each seed
        from the training fonts; imagenet: a seeded subsample of the SVHN images loaded).
    weights : "pretrained", None or path
        Backbone weights; ``None`` gives random weights (tests).
    directory : path or None
        imagenet track only: a folder holding ``train_32x32.mat`` and ``mnist.npz``
        (see :func:`utils.web_data.load_svhn_mnist`); ``None`` downloads them once.
    image_size : int
        imagenet track only: side the 32x32 images are resized to inside the backbone.
    **pair_options
        imagenet track only: passed to :func:`utils.web_data.load_svhn_mnist` (``n_target``,
        ``n_test``, ``n_source_val``, ``seed``).

        With ``TL_MINIATURE=1`` (:func:`utils.miniature`) the imagenet track caps ``n_source``
        and these counts at :data:`MINIATURE_SIZES` and keeps the images at 32x32
        (``image_size`` is ignored); the offline track is unchanged.

    Returns
    -------
    DomainTask

    Examples
    --------
    >>> task = load_domain_task("offline", n_source=100)
    >>> task.name
    'rendered digits -> real handwritten digits (scikit-learn)'
    >>> x_source, y_source = task.source_data(0)  # labelled renders, a fresh sample per seed
    >>> x_source.shape, task.target_x.shape, task.test[0].shape
    ((100, 8, 8, 1), (1077, 8, 8, 1), (450, 8, 8, 1))
    >>> task.make_backbone().output_shape
    (None, 128)
    """
    from .course.track import VALID_TRACKS

    if track not in VALID_TRACKS:
        raise ValueError(f"track must be one of {VALID_TRACKS}, got {track!r}")
    if not is_int_at_least(n_source, 10):
        raise ValueError(f"n_source must be an integer >= 10, got {n_source!r}")
    if track == "offline":
        if pair_options or directory is not None:
            raise ValueError("directory and SVHN/MNIST options apply to the imagenet track only")
        return _offline_task(n_source, weights)
    return _imagenet_task(n_source, weights, directory, image_size, pair_options)


def _offline_task(n_source, weights):
    from .backbones import load_backbone
    from .data import load_digits_splits
    from .models import scale_digits
    from .synthetic import RenderConfig, render_characters

    digits = load_digits_splits()
    mild, randomised_config = source_render_config(), RenderConfig()

    def render(seed, randomised, n, fonts):
        x, y, _ = render_characters(n, "digits", seed=seed, config=randomised_config if randomised else mild,
                                    fonts=fonts)
        return scale_digits(x), y

    def source_data(seed, randomised=False):
        return render(seed, randomised, n_source, SOURCE_TRAIN_FONTS)

    val_x, val_y = render(10_000, False, 1000, SOURCE_VAL_FONTS)  # held-out fonts, a seed no training run uses
    return DomainTask(
        name="rendered digits -> real handwritten digits (scikit-learn)",
        class_names=digits.class_names,
        source_data=source_data,
        source_val=(val_x[:1000], val_y[:1000]),
        target_x=scale_digits(digits.train.x),
        test=(scale_digits(digits.test.x), digits.test.y),
        target_labels=digits.train.y,
        make_backbone=lambda: load_backbone("glyphnet-letters", weights=weights, trainable=True),
        train_fonts=SOURCE_TRAIN_FONTS,
        val_fonts=SOURCE_VAL_FONTS,
    )


def _imagenet_task(n_source, weights, directory, image_size, pair_options):
    import keras

    from .backbones import load_backbone
    from .course.track import miniature
    from .web_data import load_svhn_mnist

    if not is_int_at_least(image_size, 32):
        raise ValueError(f"image_size must be an integer >= 32, got {image_size!r}")
    if miniature():  # a quick pass (the rehearsal): a few hundred images at MobileNetV2's smallest input, 32x32
        n_source, image_size = min(n_source, MINIATURE_SIZES["n_source"]), 32
        pair_options = {key: min(pair_options.get(key, n), n) for key, n in MINIATURE_SIZES.items()
                        if key != "n_source"} | {k: v for k, v in pair_options.items() if k not in MINIATURE_SIZES}
    pair = load_svhn_mnist(n_source=n_source, directory=directory, **pair_options)

    def source_data(seed, randomised=False):
        x = pair.source.x
        if randomised:  # randomise the look of the source: invert some images, make some grey
            rng = np.random.default_rng(seed)
            flip = rng.random(len(x)) < 0.5
            grey = rng.random(len(x)) < 0.5
            x = np.where(flip[:, None, None, None], 255.0 - x, x)
            x = np.where(grey[:, None, None, None], x.mean(axis=-1, keepdims=True), x).astype("float32")
        return x, pair.source.y

    def make_backbone():
        base = load_backbone("mobilenet_v2", weights=weights, input_shape=(image_size, image_size, 3), trainable=True)
        for layer in base.layers:  # Keras' default 0.999 barely moves in a few hundred steps
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = 0.9
        inputs = keras.Input(pair.source.x.shape[1:], name="image")
        x = keras.layers.Resizing(image_size, image_size, name="resize")(inputs)
        x = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="mobilenet_v2_preprocess")(x)
        return keras.Model(inputs, base(x), name=f"mobilenet_v2_{image_size}")

    return DomainTask(
        name=pair.name,
        class_names=pair.class_names,
        source_data=source_data,
        source_val=(pair.source_val.x, pair.source_val.y),
        target_x=pair.target.x,
        test=(pair.target_test.x, pair.target_test.y),
        target_labels=pair.target.y,
        make_backbone=make_backbone,
    )
