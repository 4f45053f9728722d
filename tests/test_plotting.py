"""Tests of utils.plotting: labelled image grids and training curves."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from utils import plot_history, plot_image_grid


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_image_grid_shows_n_images_titled_by_class_name():
    images = np.random.default_rng(0).uniform(0, 16, (7, 8, 8, 1))
    labels = np.array([0, 1, 2, 0, 1, 2, 0])
    fig = plot_image_grid(images, labels, class_names=["zero", "one", "two"], ncols=3)
    assert isinstance(fig, Figure)
    shown = _image_axes(fig)
    assert len(shown) == 7
    assert [ax.get_title() for ax in shown] == ["zero", "one", "two", "zero", "one", "two", "zero"]
    assert len(fig.axes) == 9  # 3 rows of 3; the two spare cells stay empty and hidden
    assert all(not ax.axison for ax in fig.axes)
    np.testing.assert_array_equal(shown[0].images[0].get_array(), images[0, ..., 0])


def test_image_grid_uses_labels_as_given_without_class_names():
    fig = plot_image_grid(np.zeros((3, 4, 4)), [5, 6, 7])
    assert [ax.get_title() for ax in _image_axes(fig)] == ["5", "6", "7"]
    fig = plot_image_grid(np.zeros((2, 4, 4)), ["cat", "dog"], class_names=["x", "y"])
    assert [ax.get_title() for ax in _image_axes(fig)] == ["cat", "dog"]


def test_image_grid_without_labels_has_no_titles_and_shrinks_columns():
    fig = plot_image_grid(np.zeros((3, 4, 4)), ncols=10, title="Three")
    assert len(fig.axes) == 3  # ncols is capped at n
    assert all(ax.get_title() == "" for ax in fig.axes)
    assert fig.get_suptitle() == "Three"


def test_image_grid_shows_rgb_images_in_colour():
    images = np.random.default_rng(0).uniform(0, 1, (2, 5, 5, 3))
    fig = plot_image_grid(images)
    shown = _image_axes(fig)
    assert len(shown) == 2
    assert shown[0].images[0].get_array().shape == (5, 5, 3)


def test_image_grid_passes_grey_level_range():
    fig = plot_image_grid(np.zeros((2, 4, 4)), vmin=0, vmax=16)
    assert _image_axes(fig)[0].images[0].get_clim() == (0, 16)


@pytest.mark.parametrize("shape", [(4, 8), (2, 8, 8, 2), (0, 8, 8), (2, 2, 8, 8, 1)])
def test_image_grid_bad_shape_raises(shape):
    with pytest.raises(ValueError, match="images must have shape"):
        plot_image_grid(np.zeros(shape))


def test_image_grid_label_length_mismatch_raises():
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        plot_image_grid(np.zeros((3, 4, 4)), [0, 1])


@pytest.mark.parametrize("ncols", [0, -1, 2.5, True])
def test_image_grid_bad_ncols_raises(ncols):
    with pytest.raises(ValueError, match="ncols must be a positive integer"):
        plot_image_grid(np.zeros((3, 4, 4)), ncols=ncols)


HISTORY = {
    "loss": [1.0, 0.6, 0.4],
    "val_loss": [1.1, 0.8, 0.7],
    "accuracy": [0.5, 0.7, 0.8],
    "val_accuracy": [0.45, 0.6, 0.65],
}


def _curves(ax):
    """Label -> y values of the lines drawn in a panel."""
    handles, labels = ax.get_legend_handles_labels()
    lines = {line.get_label(): line for line in ax.get_lines()}
    return labels, {label: list(lines[label].get_ydata()) for label in labels}


def test_history_dict_draws_train_and_validation_curves():
    fig = plot_history(HISTORY, title="run")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    for ax, metric in zip(fig.axes, ("loss", "accuracy")):
        labels, ys = _curves(ax)
        assert labels == ["train", "validation"]
        np.testing.assert_allclose(ys["train"], HISTORY[metric])
        np.testing.assert_allclose(ys["validation"], HISTORY[f"val_{metric}"])
        assert ax.get_ylabel() == metric
        assert ax.get_xlabel() == "epoch"
        np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])
    assert fig.get_suptitle() == "run"


def test_history_without_validation_draws_train_only():
    fig = plot_history({"loss": [3.0, 2.0]}, metrics=["loss"])
    labels, ys = _curves(fig.axes[0])
    assert labels == ["train"]
    np.testing.assert_allclose(ys["train"], [3.0, 2.0])


def test_history_accepts_a_keras_history():
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    history = model.fit(x, y, validation_data=(x, y), epochs=2, batch_size=8, verbose=0)
    assert isinstance(history, keras.callbacks.History)
    fig = plot_history(history)
    for ax, metric in zip(fig.axes, ("loss", "accuracy")):
        labels, ys = _curves(ax)
        assert labels == ["train", "validation"]
        np.testing.assert_allclose(ys["train"], history.history[metric], rtol=1e-6)
        np.testing.assert_allclose(ys["validation"], history.history[f"val_{metric}"], rtol=1e-6)


def test_history_unknown_metric_raises_key_error():
    with pytest.raises(KeyError, match="auc"):
        plot_history(HISTORY, metrics=["loss", "auc"])


@pytest.mark.parametrize("bad", [[0.1, 0.2], "loss", 3, None])
def test_history_non_mapping_raises_type_error(bad):
    with pytest.raises(TypeError, match="history must be a keras History or a dict"):
        plot_history(bad)


def test_plot_history_accepts_a_single_metric_name():
    import matplotlib.pyplot as plt

    from utils.plotting import plot_history

    fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, metrics="loss")
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "loss"
    plt.close("all")
