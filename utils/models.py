"""The course's small CNN backbones ("glyphnets") and their preprocessing."""

from __future__ import annotations

from ._checks import is_int_at_least

DIGITS_MAX = 16.0


def scale_digits(x):
    """Preprocessing of the course backbones: grey levels 0..16 to [0, 1]."""
    return x / DIGITS_MAX


def build_glyphnet(
    input_shape: tuple[int, int, int] = (8, 8, 1),
    width: int = 32,
    *,
    name: str = "glyphnet",
    bn_momentum: float = 0.9,
):
    """A small VGG-style CNN backbone that maps an image to a feature vector.

    Three blocks of 3x3 convolutions with BatchNormalization and ReLU
    (``width``, ``2*width`` and ``4*width`` channels), max-pooling between
    blocks, and global average pooling, so the output has ``4*width`` features.
    Layers are named ``block{b}_conv{i}``, ``block{b}_bn{i}``, ``block{b}_relu{i}``
    so a learner can cut the network at any depth by name.

    Parameters
    ----------
    input_shape : (height, width, channels)
        Height and width at least 4 (two 2x2 poolings).
    width : int
        Channels of the first block.
    name : str
    bn_momentum : float
        Momentum of the BatchNorm moving statistics. 0.9 rather than Keras' 0.99: the
        course trains for a few hundred steps, and with 0.99 the moving variance keeps
        ``0.99**steps`` of its initial value 1.0 (8% after 250 steps), far from the true
        variance of these small activations, so inference-mode outputs would be wrong.

    Returns
    -------
    keras.Model
        Inputs: preprocessed images (see :func:`scale_digits`). Outputs: (batch, 4*width).
    """
    import keras
    from keras import layers

    if len(input_shape) != 3 or min(input_shape[:2]) < 4 or input_shape[2] < 1:
        raise ValueError(f"input_shape must be (height>=4, width>=4, channels>=1), got {input_shape!r}")
    if not is_int_at_least(width, 1):
        raise ValueError(f"width must be a positive integer, got {width!r}")
    if not 0.0 <= bn_momentum < 1.0:
        raise ValueError(f"bn_momentum must be in [0, 1), got {bn_momentum!r}")
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    for block, (channels, convs) in enumerate(((width, 2), (2 * width, 2), (4 * width, 1)), start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(channels, 3, padding="same", use_bias=False, name=f"block{block}_conv{i}")(x)
            x = layers.BatchNormalization(momentum=bn_momentum, name=f"block{block}_bn{i}")(x)
            x = layers.ReLU(name=f"block{block}_relu{i}")(x)
        if block < 3:
            x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    outputs = layers.GlobalAveragePooling2D(name="features")(x)
    return keras.Model(inputs, outputs, name=name)


def build_classifier(backbone, n_classes: int, *, dropout: float = 0.2, name: str | None = None):
    """Backbone + dropout + softmax head, as used for pretraining on a source task.

    Parameters
    ----------
    backbone : keras.Model
        Maps preprocessed images to feature vectors.
    n_classes : int
        At least 2.
    dropout : float
        Dropout rate in [0, 1) before the head.
    name : str or None

    Returns
    -------
    keras.Model
    """
    import keras
    from keras import layers

    if not is_int_at_least(n_classes, 2):
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    inputs = keras.Input(shape=backbone.input_shape[1:], name="image")
    x = backbone(inputs)
    x = layers.Dropout(dropout, name="head_dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="head", dtype="float32")(x)  # float32 under mixed precision
    return keras.Model(inputs, outputs, name=name or f"{backbone.name}_classifier")
