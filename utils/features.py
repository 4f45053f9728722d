"""Run a frozen backbone over images to get feature vectors."""

from __future__ import annotations

import numpy as np

from ._checks import is_int_at_least


def extract_features(backbone, x, *, preprocess=None, batch_size: int = 64) -> np.ndarray:
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

    Examples
    --------
    >>> from utils import get_preprocessing, load_backbone, load_digits_splits
    >>> backbone, preprocess = load_backbone("glyphnet-letters"), get_preprocessing("glyphnet-letters")
    >>> features = extract_features(backbone, load_digits_splits().test.x[:10], preprocess=preprocess)
    >>> features.shape, features.dtype
    ((10, 128), dtype('float32'))
    """
    x = np.array(x, dtype="float32", copy=True)  # Keras' preprocess_input edits float arrays in place
    expected = tuple(backbone.input_shape[1:])
    if x.ndim != len(expected) + 1 or any(e is not None and e != s for e, s in zip(expected, x.shape[1:])):
        raise ValueError(f"{backbone.name} expects images of shape (n, {', '.join(map(str, expected))}); got {x.shape}")
    if not is_int_at_least(batch_size, 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if len(x) == 0:
        return np.zeros((0, int(np.prod(backbone.output_shape[1:]))), "float32")
    if preprocess is not None:
        x = preprocess(x)
    out = np.concatenate(
        [np.asarray(backbone(x[i : i + batch_size], training=False)) for i in range(0, len(x), batch_size)]
    )
    return out.reshape(len(x), -1).astype("float32")


def feature_cache_key(extractor, x, *, preprocess=None) -> str:
    """A key that changes whenever the extractor's layers, its weights, the data or the preprocessing change.

    Parameters
    ----------
    extractor : keras.Model
    x : ndarray
    preprocess : callable or None

    Returns
    -------
    str
        A SHA-256 hex digest.
    """
    import hashlib
    import json

    digest = hashlib.sha256()
    config = [(layer.__class__.__name__, layer.name) for layer in extractor.layers]
    payload = [extractor.name, config, list(map(str, extractor.output_shape))]
    # float16 features (mixed precision) differ from float32 ones; float32-only keys stay as they were
    half = sorted({str(getattr(layer, "compute_dtype", "float32")) for layer in extractor.layers} - {"float32"})
    digest.update(json.dumps(payload + ([half] if half else [])).encode())
    for weight in extractor.weights:
        value = np.ascontiguousarray(np.asarray(weight))
        digest.update(f"{weight.path}:{value.dtype}:{value.shape}".encode())
        digest.update(value.tobytes())
    data = np.ascontiguousarray(np.asarray(x, dtype="float32"))
    digest.update(f"{data.shape}".encode())
    digest.update(data.tobytes())
    digest.update(_describe_function(preprocess).encode())
    return digest.hexdigest()


def _describe_function(func) -> str:
    """Name and, where Python exposes it, the code and constants of a function (so edits change it)."""
    import functools

    if func is None:
        return "none"
    if isinstance(func, functools.partial):
        return f"partial({_describe_function(func.func)}, {func.args!r}, {sorted(func.keywords.items())!r})"
    parts = [f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', type(func).__name__)}"]
    code = getattr(func, "__code__", None)
    if code is not None:
        parts += [code.co_code.hex(), repr(code.co_consts), repr(getattr(func, "__defaults__", None))]
        for cell in getattr(func, "__closure__", None) or ():
            try:
                parts.append(repr(cell.cell_contents))
            except ValueError:  # empty cell
                parts.append("<empty>")
    return "|".join(parts)


def cached_features(
    extractor,
    x,
    *,
    preprocess=None,
    batch_size: int = 64,
    cache_dir=None,
    return_hit: bool = False,
):
    """:func:`extract_features`, computed once and kept on disk.

    The file is named by :func:`feature_cache_key`, so new weights, new data, another
    cut layer or another preprocessing give a new entry (the old one is never reused).
    Entries are written atomically (a temporary file renamed into place), so an
    interrupted run never leaves a half-written entry; an unreadable entry is recomputed.

    Parameters
    ----------
    extractor : keras.Model
        The frozen backbone, or a cut of it (see :func:`utils.probing.cut_backbone`).
    x : ndarray
        Raw images.
    preprocess : callable or None
    batch_size : int
    cache_dir : path or None
        Default: ``features/`` in the course cache (``$TL_CACHE_DIR`` or ``.cache/``, git-ignored).
    return_hit : bool
        Also return whether the features came from the cache.

    Returns
    -------
    features : ndarray, shape (n, d)
    hit : bool
        Only with ``return_hit=True``.

    Examples
    --------
    >>> import tempfile
    >>> from utils import load_backbone
    >>> backbone, x = load_backbone("glyphnet-letters"), np.zeros((5, 8, 8, 1), "float32")
    >>> with tempfile.TemporaryDirectory() as tmp:  # notebooks leave out cache_dir: the course cache
    ...     for _ in range(2):  # the first call computes and saves, the second reads the file
    ...         features, hit = cached_features(backbone, x, cache_dir=tmp, return_hit=True)
    ...         print(features.shape, hit)
    (5, 128) False
    (5, 128) True
    """
    from pathlib import Path

    from .course.paths import atomic_write
    from .course.paths import cache_dir as _cache_dir

    folder = Path(cache_dir) if cache_dir is not None else _cache_dir("features")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{feature_cache_key(extractor, x, preprocess=preprocess)}.npy"
    if path.exists():
        try:
            features = np.load(path, allow_pickle=False)
            if features.ndim == 2 and len(features) == len(x):
                return (features, True) if return_hit else features
        except (OSError, ValueError, EOFError):
            pass  # unreadable: recompute and replace below
    features = extract_features(extractor, x, preprocess=preprocess, batch_size=batch_size)
    def write(tmp):
        with open(tmp, "wb") as fh:
            np.save(fh, features, allow_pickle=False)

    atomic_write(path, write)
    return (features, False) if return_hit else features
