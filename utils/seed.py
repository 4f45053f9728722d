"""Seed every random number generator the course uses with one call.

:func:`keras.utils.set_random_seed` does the work (Python's ``random``, NumPy's global
generator and TensorFlow's); this wrapper checks the seed, imports TensorFlow quietly, and can
also switch on TensorFlow's op determinism. ``PYTHONHASHSEED`` is not set: it only takes
effect when an interpreter starts, so set it in the shell if you need string hashing fixed.
"""

from __future__ import annotations

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

    Examples
    --------
    >>> import random
    >>> import numpy as np
    >>> SEED = set_seed(0)
    >>> draws = (random.random(), np.random.rand())
    >>> _ = set_seed(SEED)
    >>> (random.random(), np.random.rand()) == draws
    True
    """
    if not is_int_at_least(seed, 0):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    from .course.quiet import import_tensorflow

    tf = import_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)  # Python's random, NumPy's global generator and TensorFlow
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()
    return seed
