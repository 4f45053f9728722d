"""Tests of utils.data: the fixed digits splits, k-shot sampling and tf.data wrapping."""

import numpy as np
import pytest

from utils import DigitSplits, Split, load_digits_splits, make_dataset, sample_k_shot

N_DIGITS = 1797


@pytest.fixture(scope="module")
def splits():
    return load_digits_splits()


def _row_keys(x):
    return {row.tobytes() for row in np.asarray(x, dtype="float32").reshape(len(x), -1)}


# ---------------------------------------------------------------- load_digits_splits


def test_splits_have_digit_shapes_dtype_and_range(splits):
    assert isinstance(splits, DigitSplits)
    for split in (splits.train, splits.val, splits.test):
        assert isinstance(split, Split)
        assert split.x.ndim == 4 and split.x.shape[1:] == (8, 8, 1)
        assert split.x.dtype == np.float32
        assert split.x.min() >= 0.0 and split.x.max() <= 16.0
        assert split.y.shape == (len(split.x),)
        assert np.issubdtype(split.y.dtype, np.integer)
        assert len(split) == len(split.x)
    # grey levels are the integers 0..16 of the UCI digits, and the full range is used
    assert np.array_equal(splits.train.x, np.round(splits.train.x))
    assert splits.train.x.max() == 16.0


def test_split_sizes_follow_the_fractions(splits):
    assert len(splits.test) == pytest.approx(0.25 * N_DIGITS, abs=1)
    assert len(splits.val) == pytest.approx(0.15 * N_DIGITS, abs=1)
    assert len(splits.train) + len(splits.val) + len(splits.test) == N_DIGITS


def test_splits_are_disjoint_and_cover_all_1797_images(splits):
    from sklearn.datasets import load_digits

    train, val, test = (_row_keys(s.x) for s in (splits.train, splits.val, splits.test))
    assert not train & val
    assert not train & test
    assert not val & test
    everything = _row_keys(load_digits().images.astype("float32"))
    assert len(everything) == N_DIGITS  # the 1797 digits are distinct images
    assert train | val | test == everything


def test_splits_keep_images_with_their_labels(splits):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    label_of = {img.astype("float32").tobytes(): int(t) for img, t in zip(bunch.images, bunch.target)}
    for split in (splits.train, splits.val, splits.test):
        keys = [row.tobytes() for row in split.flat]
        assert [label_of[k] for k in keys] == split.y.tolist()


def test_splits_are_stratified(splits):
    overall = np.bincount(np.concatenate([splits.train.y, splits.val.y, splits.test.y]), minlength=10)
    for split in (splits.train, splits.val, splits.test):
        counts = np.bincount(split.y, minlength=10)
        assert (counts > 0).all(), "every class must be present in every split"
        share = counts / counts.sum()
        np.testing.assert_allclose(share, overall / overall.sum(), atol=0.01)


def test_class_names_are_the_ten_digits(splits):
    assert splits.class_names == tuple("0123456789")
    assert splits.n_classes == 10


def test_splits_are_deterministic(splits):
    again = load_digits_splits()
    for a, b in ((splits.train, again.train), (splits.val, again.val), (splits.test, again.test)):
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)


def test_test_split_depends_only_on_split_seed(splits):
    other_val = load_digits_splits(val_size=0.3)
    np.testing.assert_array_equal(other_val.test.x, splits.test.x)
    np.testing.assert_array_equal(other_val.test.y, splits.test.y)
    assert len(other_val.val) != len(splits.val)
    other_seed = load_digits_splits(split_seed=1)
    assert len(other_seed.test) == len(splits.test)
    assert _row_keys(other_seed.test.x) != _row_keys(splits.test.x)


@pytest.mark.parametrize("kwargs", [
    {"val_size": 0.0}, {"val_size": 1.0}, {"val_size": -0.1}, {"test_size": 0.0}, {"test_size": 1.5},
])
def test_fraction_outside_zero_one_raises(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=f"{name} must be a fraction in \\(0, 1\\)"):
        load_digits_splits(**kwargs)


def test_fractions_leaving_too_little_for_training_raise():
    with pytest.raises(ValueError, match="too little for training"):
        load_digits_splits(val_size=0.45, test_size=0.45)


def test_split_flat_is_n_by_64(splits):
    flat = splits.train.flat
    assert flat.shape == (len(splits.train), 64)
    np.testing.assert_array_equal(flat[0], splits.train.x[0].ravel())
    tiny = Split(np.zeros((3, 8, 8, 1), "float32"), np.zeros(3, "int64"))
    assert tiny.flat.shape == (3, 64)
    assert len(tiny) == 3


# ---------------------------------------------------------------- sample_k_shot


def _toy(n_per_class=(5, 7, 6)):
    """Images whose single pixel is their index, so a draw can be traced back."""
    y = np.concatenate([np.full(n, c) for c, n in enumerate(n_per_class)])
    x = np.arange(len(y), dtype="float32").reshape(-1, 1, 1, 1)
    return x, y


@pytest.mark.parametrize("k", [1, 3, 5, np.int64(2)])
def test_k_shot_draws_exactly_k_per_class(k):
    x, y = _toy()
    xk, yk = sample_k_shot(x, y, k, seed=0)
    assert len(xk) == len(yk) == 3 * k
    assert np.bincount(yk, minlength=3).tolist() == [k] * 3


def test_k_shot_is_a_subset_of_the_input_with_labels_kept():
    x, y = _toy()
    xk, yk = sample_k_shot(x, y, 4, seed=3)
    idx = xk.reshape(-1).astype(int)
    assert len(set(idx.tolist())) == len(idx), "no example drawn twice"
    np.testing.assert_array_equal(y[idx], yk)
    np.testing.assert_array_equal(x[idx], xk)


def test_k_shot_same_seed_same_draw_different_seed_different_draw():
    x, y = _toy((30, 30, 30))
    a = sample_k_shot(x, y, 5, seed=11)
    b = sample_k_shot(x, y, 5, seed=11)
    c = sample_k_shot(x, y, 5, seed=12)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert set(a[0].ravel().tolist()) != set(c[0].ravel().tolist())


def test_k_shot_interleaves_classes():
    x, y = _toy((30, 30, 30))
    _, yk = sample_k_shot(x, y, 10, seed=0)
    assert not np.array_equal(yk, np.sort(yk))


def test_k_shot_on_real_digits(splits):
    xk, yk = sample_k_shot(splits.train.x, splits.train.y, 5, seed=0)
    assert xk.shape == (50, 8, 8, 1)
    assert np.bincount(yk).tolist() == [5] * 10
    assert _row_keys(xk) <= _row_keys(splits.train.x)


@pytest.mark.parametrize("k", [None, "all"])
def test_k_none_or_all_returns_everything(k):
    x, y = _toy()
    xk, yk = sample_k_shot(x, y, k, seed=0)
    np.testing.assert_array_equal(xk, x)
    np.testing.assert_array_equal(yk, y)


def test_k_larger_than_available_raises_naming_short_classes():
    x, y = _toy((5, 7, 6))
    with pytest.raises(ValueError, match=r"k=6") as info:
        sample_k_shot(x, y, 6)
    message = str(info.value)
    assert "{0: 5}" in message  # class 0 has only 5; classes 1 and 2 have enough
    assert "k <= 5" in message
    with pytest.raises(ValueError, match=r"\{0: 5, 2: 6\}"):
        sample_k_shot(x, y, 7)


@pytest.mark.parametrize("k", [0, -1, 2.5, True, "some", "3"])
def test_bad_k_raises(k):
    x, y = _toy()
    with pytest.raises(ValueError, match="k must be a positive integer"):
        sample_k_shot(x, y, k)


def test_k_shot_mismatched_lengths_raise():
    x, y = _toy()
    with pytest.raises(ValueError, match="differ in length"):
        sample_k_shot(x, y[:-1], 2)
    with pytest.raises(ValueError, match="differ in length"):
        sample_k_shot(x, y[:-1], None)


# ---------------------------------------------------------------- make_dataset


def _collect(ds):
    xs, ys = [], []
    for xb, yb in ds:
        xs.append(xb.numpy())
        ys.append(yb.numpy())
    return xs, ys


def test_make_dataset_batch_shapes_and_order_without_shuffle():
    x = np.arange(10 * 4, dtype="float64").reshape(10, 2, 2, 1)
    y = np.arange(10)
    xs, ys = _collect(make_dataset(x, y, batch_size=4))
    assert [b.shape for b in xs] == [(4, 2, 2, 1), (4, 2, 2, 1), (2, 2, 2, 1)]
    assert all(b.dtype == np.float32 for b in xs)
    np.testing.assert_array_equal(np.concatenate(ys), y)
    np.testing.assert_array_equal(np.concatenate(xs), x.astype("float32"))


def test_make_dataset_without_labels_yields_images_only():
    x = np.zeros((5, 8, 8, 1), "float32")
    batches = list(make_dataset(x, batch_size=2, cache=False))
    assert [tuple(b.shape) for b in batches] == [(2, 8, 8, 1), (2, 8, 8, 1), (1, 8, 8, 1)]


def test_make_dataset_shuffle_is_seeded_and_keeps_pairs():
    x = np.arange(50, dtype="float32").reshape(50, 1)
    y = np.arange(50) * 10
    xs1, ys1 = _collect(make_dataset(x, y, batch_size=8, shuffle=True, seed=5))
    xs2, ys2 = _collect(make_dataset(x, y, batch_size=8, shuffle=True, seed=5))
    order1, order2 = np.concatenate(ys1), np.concatenate(ys2)
    np.testing.assert_array_equal(order1, order2)
    assert not np.array_equal(order1, y), "shuffle=True must change the order"
    assert sorted(order1.tolist()) == y.tolist()
    np.testing.assert_array_equal(np.concatenate(xs1)[:, 0] * 10, order1)  # images stay with their labels
    _, ys3 = _collect(make_dataset(x, y, batch_size=8, shuffle=True, seed=6))
    assert not np.array_equal(np.concatenate(ys3), order1)


@pytest.mark.parametrize("batch_size", [0, -4, 2.5, "8", None, True])
def test_make_dataset_bad_batch_size_raises(batch_size):
    x = np.zeros((4, 2), "float32")
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        make_dataset(x, np.zeros(4), batch_size=batch_size)


def test_make_dataset_mismatched_lengths_raise():
    with pytest.raises(ValueError, match="differ in length"):
        make_dataset(np.zeros((4, 2)), np.zeros(3))


def test_faces_splits_are_real_balanced_and_in_the_digits_format():
    from utils.data import load_faces_splits

    faces = load_faces_splits()
    assert faces.class_names == ("non-face", "face")
    assert (len(faces.train), len(faces.val), len(faces.test)) == (80, 40, 80)
    for split in (faces.train, faces.val, faces.test):
        assert split.x.shape[1:] == (8, 8, 1) and split.x.dtype == np.float32
        assert split.x.min() >= 0 and split.x.max() <= 16 and np.all(split.x == np.round(split.x))
        assert np.bincount(split.y).tolist() == [len(split) // 2] * 2
    again = load_faces_splits()
    np.testing.assert_array_equal(faces.test.x, again.test.x)
    assert load_faces_splits(image_size=16).train.x.shape[1:] == (16, 16, 1)


@pytest.mark.parametrize("kwargs", [dict(image_size=2), dict(val_size=0.0), dict(test_size=1.2),
                                    dict(val_size=0.5, test_size=0.45)])
def test_faces_splits_bad_input(kwargs):
    from utils.data import load_faces_splits

    with pytest.raises(ValueError):
        load_faces_splits(**kwargs)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (np.zeros((4, 2)), np.eye(2)[[0, 1, 0, 1]], "one-hot labels pass y.argmax"),
        (np.zeros((0, 2)), np.zeros(0, dtype=int), "empty"),
        (np.zeros((4, 2)), np.array([0.0, 1.0, 0.0, 1.0]), "integer class labels, got dtype float64"),
        (np.zeros((4, 2)), np.array([[0], [1], [0], [1]]), r"shape \(n,\)"),
    ],
)
def test_sample_k_shot_refuses_labels_it_cannot_use(x, y, message):
    with pytest.raises(ValueError, match=message):
        sample_k_shot(x, y, 1)
