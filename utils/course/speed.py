"""GPU speed settings: mixed precision and XLA, on by default on a GPU, off on the CPU.

On a GPU with tensor cores (Colab's T4 and newer NVIDIA GPUs), computing in float16
while keeping the weights in float32 (*mixed precision*) and compiling each training
step with XLA both save time. Both are switched on for any visible GPU; on an older
GPU without tensor cores float16 may not help: set ``TL_MIXED_PRECISION=0``. On a CPU neither helps: float16 arithmetic is
emulated and XLA's compile time outweighs what it saves on the course's small
models, so both stay off there and the offline track computes in float32.

:func:`configure_speed` decides once per session (``select_track`` calls it)
and :func:`speed_settings` returns the decision, which
:class:`utils.training.GraphTrainer` follows. The environment variables
``TL_MIXED_PRECISION`` and ``TL_XLA`` (``1``/``0``) override the default.

It also limits the BLAS library behind NumPy, SciPy and scikit-learn to one thread
(``TL_BLAS_THREADS`` overrides). The course's scikit-learn fits are small (a linear
probe on a thousand feature vectors), and for them the cost of keeping several BLAS
threads in step outweighs the work: on the 2-core machine the course is tested on, one
probe fit took 0.31 s with two BLAS threads and 0.011 s with one, with the same result.
TensorFlow has its own thread pools and is not affected.

What a notebook must do for mixed precision: give every model a float32 output
(``keras.layers.Dense(..., dtype="float32")``) so the softmax and the loss are
computed in float32, and scale the loss in hand-written training steps
(``GraphTrainer`` casts and scales the loss for you).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from .._checks import is_int_at_least

MIXED_ENV = "TL_MIXED_PRECISION"
XLA_ENV = "TL_XLA"
BLAS_ENV = "TL_BLAS_THREADS"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class SpeedSettings:
    """What :func:`configure_speed` chose.

    Attributes
    ----------
    mixed_precision : bool
        Keras' global dtype policy is ``mixed_float16`` (else ``float32``).
    jit_compile : bool
        Training steps are compiled with XLA.
    reason : str
        Why, in words (printed by :func:`utils.select_track`).
    blas_threads : int or None
        Threads of the BLAS library used by NumPy, SciPy and scikit-learn (``None``: not set).
    """

    mixed_precision: bool = False
    jit_compile: bool = False
    reason: str = "default: float32, no XLA"
    blas_threads: int | None = None

    def describe(self) -> str:
        on_off = {True: "on", False: "off"}
        return (
            f"Speed: mixed precision {on_off[self.mixed_precision]}, XLA {on_off[self.jit_compile]} ({self.reason})"
        )


_current = SpeedSettings()
_blas_limiter = None  # threadpoolctl's handle, to restore the original thread counts


def _flag(name: str) -> bool | None:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be 1 or 0 (also true/false, yes/no, on/off), got {os.environ[name]!r}")


def _check_bool(name, value):
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"{name} must be True, False or None, got {value!r}")


def _blas_threads(explicit: int | None) -> int:
    if explicit is None:
        value = os.environ.get(BLAS_ENV, "").strip()
        if not value:
            return 1
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"{BLAS_ENV} must be a positive whole number of threads, got {value!r}")
        return int(value)
    if not is_int_at_least(explicit, 1):
        raise ValueError(f"blas_threads must be a positive int or None, got {explicit!r}")
    return int(explicit)


def configure_speed(
    *, gpu: bool | None = None, mixed_precision: bool | None = None, jit_compile: bool | None = None,
    blas_threads: int | None = None,
) -> SpeedSettings:
    """Turn mixed precision and XLA on when a GPU is visible, off otherwise, and remember the choice.

    Call it before building models: Keras reads the dtype policy when a layer is
    created.

    Parameters
    ----------
    gpu : bool or None
        Whether a GPU is visible; ``None`` asks TensorFlow. Tests pass it.
    mixed_precision, jit_compile : bool or None
        An explicit choice; ``None`` reads ``TL_MIXED_PRECISION`` / ``TL_XLA`` and,
        when those are unset, follows ``gpu``.
    blas_threads : int or None
        Threads for NumPy's, SciPy's and scikit-learn's BLAS; ``None`` reads
        ``TL_BLAS_THREADS`` and, when unset, uses 1 (see the module's notes).

    Returns
    -------
    SpeedSettings

    Examples
    --------
    >>> SPEED = configure_speed(mixed_precision=False, gpu=False)  # gpu=None asks TensorFlow
    >>> print(SPEED.describe())
    Speed: mixed precision off, XLA off (chosen in the notebook; no GPU: float32 and no XLA are faster on a CPU)
    >>> reset_speed()  # back to float32, no XLA and the original BLAS threads
    """
    global _current, _blas_limiter
    _check_bool("mixed_precision", mixed_precision)
    _check_bool("jit_compile", jit_compile)
    _check_bool("gpu", gpu)
    threads = _blas_threads(blas_threads)
    env_mixed, env_xla = _flag(MIXED_ENV), _flag(XLA_ENV)
    if gpu is None and (
        (mixed_precision is None and env_mixed is None) or (jit_compile is None and env_xla is None)
    ):
        from .quiet import gpu_available

        gpu = gpu_available()
    default_reason = "a GPU is visible" if gpu else "no GPU: float32 and no XLA are faster on a CPU"
    reasons = []

    def choose(explicit, env, env_name):
        if explicit is not None:
            reasons.append("chosen in the notebook")
            return explicit
        if env is not None:
            reasons.append(f"from {env_name}")
            return env
        reasons.append(default_reason)
        return bool(gpu)

    mixed = choose(mixed_precision, env_mixed, MIXED_ENV)
    xla = choose(jit_compile, env_xla, XLA_ENV)
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
    from threadpoolctl import threadpool_limits

    if _blas_limiter is not None:
        _blas_limiter.restore_original_limits()
    _blas_limiter = threadpool_limits(limits=threads, user_api="blas")  # stays in force for the session
    _current = SpeedSettings(mixed, xla, "; ".join(dict.fromkeys(reasons)), threads)
    return _current


def speed_settings() -> SpeedSettings:
    """The settings :func:`configure_speed` chose last (float32, no XLA before any call).

    Examples
    --------
    >>> _ = configure_speed(gpu=False, jit_compile=True)
    >>> speed_settings().jit_compile  # GraphTrainer(jit_compile=None) follows it
    True
    >>> reset_speed()
    >>> speed_settings().jit_compile
    False
    """
    return _current


def reset_speed() -> None:
    """Back to float32, no XLA and the original BLAS threads (tests use it to undo a configuration)."""
    global _current, _blas_limiter
    if _blas_limiter is not None:
        _blas_limiter.restore_original_limits()
        _blas_limiter = None
    if "keras" in sys.modules:  # also undoes a policy set directly with Keras
        sys.modules["keras"].mixed_precision.set_global_policy("float32")
    _current = SpeedSettings()
