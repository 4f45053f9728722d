"""Run a frozen backbone over images to get feature vectors."""

from __future__ import annotations

import numpy as np


def extract_features(backbone, x, *, preprocess=None, batch_size: int = 256) -> np.ndarray:
    """Feature vectors of ``x`` from ``backbone`` in inference mode (BatchNorm uses its moving statistics).

    Parameters
    ----------
    backbone : keras.Model
    x : ndarray, shape (n, *backbone.input_shape[1:])
        Raw images; ``preprocess`` is applied first.
    preprocess : callable or None
        The backbone's preprocessing (see :func:`utils.backbones.get_preprocessing`).
    batch_size : int

    Returns
    -------
    ndarray, shape (n, feature_dim), float32
        Spatial outputs are flattened.
    """
    x = np.array(x, dtype="float32", copy=True)  # Keras' preprocess_input edits float arrays in place
    expected = tuple(backbone.input_shape[1:])
    if x.ndim != len(expected) + 1 or any(e is not None and e != s for e, s in zip(expected, x.shape[1:])):
        raise ValueError(f"{backbone.name} expects images of shape (n, {', '.join(map(str, expected))}); got {x.shape}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if len(x) == 0:
        return np.zeros((0, int(np.prod(backbone.output_shape[1:]))), "float32")
    if preprocess is not None:
        x = preprocess(x)
    out = np.concatenate(
        [np.asarray(backbone(x[i : i + batch_size], training=False)) for i in range(0, len(x), batch_size)]
    )
    return out.reshape(len(x), -1).astype("float32")
