"""Choose the course track (``offline`` or ``imagenet``) in one place.

The track is read from the environment variable ``TL_TRACK``. With it unset,
the ``imagenet`` track runs when a GPU is visible and the ``offline`` track
otherwise. A notebook may override it in its first cell by passing ``track=``.
"""

from __future__ import annotations

import os
import sys

from .quiet import gpu_available

VALID_TRACKS = ("offline", "imagenet")
ENV_VAR = "TL_TRACK"
GPU_HINT = ("No GPU visible. For a GPU (and the imagenet track): on Colab, Runtime > Change runtime type > "
            "T4 GPU; on Kaggle, Settings > Accelerator > GPU; then run this cell again.")


def in_colab() -> bool:
    """Return True when running inside Google Colab.

    Examples
    --------
    >>> in_colab()  # True inside Google Colab
    False
    """
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def resolve_track(track: str | None = None, *, gpu: bool | None = None) -> tuple[str, str]:
    """Decide which track runs and say why, without printing.

    Parameters
    ----------
    track : str or None
        An explicit choice (as a notebook's first cell may pass). ``None`` reads
        ``TL_TRACK``, and with that unset, picks by GPU visibility.
    gpu : bool or None
        Whether a GPU is visible; ``None`` asks TensorFlow. Tests pass it.

    Returns
    -------
    track, reason : tuple of str

    Raises
    ------
    ValueError
        If the requested track is not one of :data:`VALID_TRACKS`.
    """
    if track is not None:
        source = "chosen in the notebook"
    elif os.environ.get(ENV_VAR, "").strip():
        track = os.environ[ENV_VAR]
        source = f"from the environment variable {ENV_VAR}"
    else:
        if gpu is None:
            gpu = gpu_available()
        if gpu:
            return "imagenet", f"{ENV_VAR} is unset and a GPU is visible"
        return "offline", f"{ENV_VAR} is unset and no GPU is visible"
    value = str(track).strip().lower()
    if value not in VALID_TRACKS:
        raise ValueError(
            f"Unknown track {track!r} ({source}). Valid tracks are: "
            f"{', '.join(VALID_TRACKS)}. Set {ENV_VAR}=offline (no downloads, runs on a CPU) "
            f"or {ENV_VAR}=imagenet (ImageNet backbones and photo datasets, wants a GPU)."
        )
    return value, source


def select_track(track: str | None = None, *, verbose: bool = True, gpu: bool | None = None) -> str:
    """Pick the track for this session and print which one runs and why.

    Also sets the speed options once (:func:`utils.course.speed.configure_speed`): mixed
    precision and XLA on when a GPU is visible, off on the CPU, and prints them.

    Parameters
    ----------
    track : str or None
        Explicit choice; ``None`` reads ``TL_TRACK`` and falls back to GPU detection.
    verbose : bool
        Print one line naming the track and the reason.
    gpu : bool or None
        Whether a GPU is visible; ``None`` asks TensorFlow.

    Returns
    -------
    str
        ``"offline"`` or ``"imagenet"``.

    Examples
    --------
    >>> TRACK = select_track("offline", gpu=False)  # doctest: +ELLIPSIS
    Track: offline (chosen in the notebook)
    Speed: mixed precision off, XLA off (no GPU: float32 and no XLA are faster on a CPU)
    No GPU visible. For a GPU (and the imagenet track): ...
    >>> from utils.course.speed import reset_speed
    >>> reset_speed()  # undo the speed settings select_track made
    """
    from .speed import configure_speed

    if gpu is None:
        gpu = gpu_available()
    value, reason = resolve_track(track, gpu=gpu)
    speed = configure_speed(gpu=gpu)
    if verbose:
        print(f"Track: {value} ({reason})")
        print(speed.describe())
        if not gpu:
            print(GPU_HINT)
    return value


MINIATURE_ENV = "TL_MINIATURE"


def miniature() -> bool:
    """Whether the notebooks should shrink image sizes and counts (``TL_MINIATURE=1``).

    The rehearsal of the imagenet track (``make rehearse``) sets it, so that every cell runs in
    seconds on miniature stand-in data; a learner can set it too, for a first quick pass through a
    notebook on a CPU. Its numbers then mean nothing: they only show that the code runs.

    Examples
    --------
    >>> import os
    >>> miniature() == (os.environ.get("TL_MINIATURE", "").strip() not in ("", "0"))
    True
    """
    return os.environ.get(MINIATURE_ENV, "").strip() not in ("", "0")
