"""Import TensorFlow without its C++ start-up log lines.

TensorFlow's native libraries print oneDNN and CUDA notices straight to file
descriptor 2 before its logging is configured (``TF_CPP_MIN_LOG_LEVEL`` cannot
silence them), and Jupyter shows them as red output cells. The course imports
TensorFlow once through :func:`import_tensorflow` with that descriptor pointed
at ``/dev/null``; Python exceptions are not affected.
"""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def _native_stderr_silenced():
    try:
        fd = sys.__stderr__.fileno() if sys.__stderr__ is not None else 2
        saved = os.dup(fd)
    except (OSError, ValueError, AttributeError):  # no real descriptor (some embedded shells)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def import_tensorflow():
    """Import TensorFlow (and let it probe for GPUs) quietly; return the ``tensorflow`` module.

    Examples
    --------
    >>> tf = import_tensorflow()
    >>> tf.__name__, import_tensorflow() is tf  # later calls return the same module
    ('tensorflow', True)
    """
    if "tensorflow" in sys.modules and getattr(import_tensorflow, "_done", False):
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _native_stderr_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")
    import_tensorflow._done = True
    return tf


def gpu_available() -> bool:
    """Return True when TensorFlow can see at least one GPU."""
    return bool(import_tensorflow().config.list_physical_devices("GPU"))
