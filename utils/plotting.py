"""Plot helpers: labelled image grids and training curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._checks import is_int_at_least


def plot_image_grid(
    images,
    labels=None,
    class_names: Sequence[str] | None = None,
    *,
    ncols: int = 10,
    cmap: str = "gray_r",
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
    cell_size: float = 0.8,
):
    """Show images in a grid, each titled with its label.

    Parameters
    ----------
    images : array-like, shape (n, h, w) or (n, h, w, c) with c in {1, 3}
    labels : array-like of int or str, shape (n,), or None
    class_names : sequence of str or None
        Names for integer labels.
    ncols : int
    cmap : str
        Colour map for single-channel images (ink dark on white by default).
    vmin, vmax : float or None
        Grey-level range; ``None`` lets matplotlib scale each image.
    title : str or None
        Figure title.
    cell_size : float
        Inches per image.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> images = np.random.default_rng(0).random((12, 8, 8))
    >>> fig = plot_image_grid(images, np.arange(12) % 3, ["cat", "dog", "fox"], ncols=6, vmin=0, vmax=1)
    >>> len(fig.axes), fig.axes[1].get_title()
    (12, 'dog')
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (3, 4)) or len(images) == 0:
        raise ValueError(f"images must have shape (n, h, w), (n, h, w, 1) or (n, h, w, 3); got {images.shape}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if not is_int_at_least(ncols, 1):
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}")
    n = len(images)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(cell_size * ncols, (cell_size + 0.15) * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap=cmap if images.ndim == 3 else None, vmin=vmin, vmax=vmax)
        if labels is not None:
            label = labels[i]
            if class_names is not None and not isinstance(label, str):
                label = class_names[int(label)]
            ax.set_title(str(label), fontsize=8, pad=2)
    if title:
        fig.suptitle(title, fontsize=10)
    _tidy(fig)
    return fig


def plot_history(history, metrics: Sequence[str] = ("loss", "accuracy"), *, title: str | None = None):
    """Training and validation curves, one panel per metric.

    Parameters
    ----------
    history : keras.callbacks.History or mapping of str to list of float
        ``model.fit``'s return value or its ``.history`` dict.
    metrics : sequence of str
        Metric names; ``val_<name>`` is drawn beside each when present.
    title : str or None

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> history = {"loss": [0.9, 0.5], "val_loss": [1.0, 0.7], "accuracy": [0.6, 0.8], "val_accuracy": [0.5, 0.7]}
    >>> fig = plot_history(history, title="Dense head")  # or the History that model.fit returns
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['loss', 'accuracy']
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if isinstance(metrics, str):
        metrics = (metrics,)
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError(f"history must be a keras History or a dict of lists, got {type(history).__name__}")
    missing = [m for m in metrics if m not in logs]
    if missing:
        raise KeyError(f"metric(s) {missing} not in the history; it has {sorted(logs)}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        for key, label in ((metric, "train"), (f"val_{metric}", "validation")):
            if key in logs:
                values = logs[key]
                sns.lineplot(x=np.arange(1, len(values) + 1), y=values, ax=ax, label=label, marker="o", markersize=3)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
    if title:
        fig.suptitle(title)
    _tidy(fig)
    return fig


def plot_data_parallel(n_replicas: int = 4, global_batch: int = 64):
    """A diagram of synchronous data parallelism: batch split, per-replica gradients, all-reduce, same update.

    Parameters
    ----------
    n_replicas : int
        Number of model copies drawn, 1 to 8.
    global_batch : int
        Examples per step over all replicas; a multiple of ``n_replicas``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> fig = plot_data_parallel(4, 64)
    >>> any("16 examples" in t.get_text() for t in fig.axes[0].texts)
    True
    """
    if not (is_int_at_least(n_replicas, 1) and n_replicas <= 8):
        raise ValueError(f"n_replicas must be an integer from 1 to 8, got {n_replicas!r}")
    if not is_int_at_least(global_batch, n_replicas) or global_batch % n_replicas:
        raise ValueError(f"global_batch must be a positive multiple of n_replicas ({n_replicas}), got {global_batch!r}")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    fig, ax = plt.subplots(figsize=(8.5, 3.6))
    ax.set(xlim=(0, 10), ylim=(0, 5.2))
    ax.axis("off")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    def box(x, y, w, h, text, fill, **kw):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", fc=fill, ec="0.3", alpha=0.85))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=9, **kw)

    def arrow(x0, y0, x1, y1):
        ax.annotate("", (x1, y1), (x0, y0), arrowprops={"arrowstyle": "->", "color": "0.3"})

    box(0.2, 4.3, 9.6, 0.6, f"global batch: {global_batch} examples", "0.92")
    width = 9.6 / n_replicas
    share = global_batch // n_replicas
    for r in range(n_replicas):
        x = 0.2 + r * width + 0.08
        w = width - 0.16
        arrow(x + w / 2, 4.25, x + w / 2, 3.75)
        box(x, 2.75, w, 0.95, f"replica {r}\n{share} examples\nsame weights", colors[r % len(colors)], color="white")
        arrow(x + w / 2, 2.7, x + w / 2, 2.05)
        ax.text(x + w / 2 + 0.05, 2.35, f"$g_{r}$", fontsize=9)
    box(0.2, 1.25, 9.6, 0.7, "all-reduce: $g = \\sum_r g_r$ (each $g_r$ from loss summed over its share / global batch)", "0.85")
    arrow(5.0, 1.2, 5.0, 0.75)
    box(0.2, 0.05, 9.6, 0.6, "every replica applies the same update $w \\leftarrow w - \\eta\\, g$: the copies stay identical", "0.92")
    return fig


def _tidy(fig) -> None:
    """Tight layout, unless the figure already has a layout engine (the course style's constrained layout)."""
    if fig.get_layout_engine() is None:
        fig.tight_layout()


def set_course_style(dpi: int = 110) -> None:
    """The course's figure style: a seaborn theme, readable fonts and a sharp inline resolution.

    Call it once in a notebook's first cell; every figure after it uses the style.

    Parameters
    ----------
    dpi : int
        Inline resolution, >= 100 (figures are saved into the notebook at this resolution, so
        higher means sharper and larger files).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> set_course_style()
    >>> plt.rcParams["figure.dpi"], plt.rcParams["axes.titlesize"] >= 11
    (110.0, True)
    """
    if not is_int_at_least(dpi, 100):
        raise ValueError(f"dpi must be an integer >= 100 (smaller figures are hard to read), got {dpi!r}")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind", font_scale=0.95)
    plt.rcParams.update({
        "figure.dpi": dpi, "savefig.dpi": dpi, "figure.autolayout": False, "figure.constrained_layout.use": True,
        "legend.frameon": False, "axes.titlesize": 12, "axes.titleweight": "bold", "image.cmap": "viridis",
    })
