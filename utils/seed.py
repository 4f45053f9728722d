"""Seed every random number generator the course uses with one call."""

from __future__ import annotations

import os
import random

import numpy as np

from ._checks import is_int_at_least


def set_seed(seed: int, *, deterministic_ops: bool = False) -> int:
    """Seed Python's ``random``, NumPy and Keras/TensorFlow.

    Parameters
    ----------
    seed : int
        A non-negative integer.
    deterministic_ops : bool
        Also ask TensorFlow for deterministic kernels
        (``tf.config.experimental.enable_op_determinism``). Slower; on the CPU
        the course's models are already repeatable without it.

    Returns
    -------
    int
        The seed, so ``seed = set_seed(0)`` reads naturally.
    """
    if not is_int_at_least(seed, 0):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    from .quiet import import_tensorflow

    tf = import_tensorflow()
    import keras

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - learners still call the legacy global API
    keras.utils.set_random_seed(seed)  # seeds Python, NumPy and the backend
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()
    return seed
