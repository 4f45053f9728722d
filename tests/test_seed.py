"""Tests of utils.seed.set_seed: one call makes Python, NumPy and Keras repeatable."""

import os
import random

import numpy as np
import pytest

from utils import set_seed


def _draws():
    return random.random(), np.random.rand(3).tolist()  # noqa: NPY002 - set_seed seeds the legacy global state


def _dense_weights():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    return [w.copy() for w in model.get_weights()]


def test_set_seed_returns_the_seed():
    before = os.environ.get("PYTHONHASHSEED")
    assert set_seed(7) == 7
    assert os.environ.get("PYTHONHASHSEED") == before  # only an interpreter's start reads it: not set here
    assert set_seed(np.int64(3)) == 3
    assert type(set_seed(np.int64(3))) is int


def test_same_seed_gives_same_python_and_numpy_draws():
    set_seed(123)
    first = _draws()
    set_seed(123)
    assert _draws() == first


def test_different_seeds_give_different_python_and_numpy_draws():
    set_seed(1)
    first = _draws()
    set_seed(2)
    second = _draws()
    assert first[0] != second[0]
    assert first[1] != second[1]


def test_same_seed_gives_identical_keras_weight_initialisation():
    set_seed(42)
    first = _dense_weights()
    set_seed(42)
    second = _dense_weights()
    assert len(first) == len(second) == 4
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    # the kernels really are random (not all zeros)
    assert np.abs(first[0]).sum() > 0


def test_different_seeds_give_different_keras_weight_initialisation():
    set_seed(0)
    first = _dense_weights()
    set_seed(1)
    second = _dense_weights()
    assert not np.array_equal(first[0], second[0])


@pytest.mark.parametrize("bad", [-1, 1.5, True, False, "3", None])
def test_bad_seed_raises_value_error(bad):
    with pytest.raises(ValueError, match="non-negative integer"):
        set_seed(bad)


def test_set_seed_is_keras_set_random_seed():
    import keras

    set_seed(11)
    ours = _draws(), _dense_weights()
    keras.utils.set_random_seed(11)
    theirs = _draws(), _dense_weights()
    assert ours[0] == theirs[0]
    assert all(np.array_equal(a, b) for a, b in zip(ours[1], theirs[1], strict=True))
