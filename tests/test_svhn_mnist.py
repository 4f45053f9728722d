"""Tests of utils.web_data.load_svhn_mnist with small fake SVHN / MNIST files (no network, no real data).

Every fake image is constant-valued and encodes its own index, so the tests can tell which
images a split holds and check that images and labels stay paired.
"""

import shutil
from pathlib import Path

import numpy as np
import pytest

from utils.data import Split
from utils.web_data import MNIST_URL, SVHN_URL, DatasetUnavailableError, DomainPair, load_svhn_mnist

N_SVHN, N_MNIST_TRAIN, N_MNIST_TEST = 60, 50, 30
MNIST_TEST_OFFSET = 100  # fake MNIST test image j has grey level 100 + j
SMALL = {"n_source": 20, "n_source_val": 10, "n_target": 15, "n_test": 12}


def _svhn_label(index):
    """The fake SVHN label of image ``index``, as stored in the file: 1..10 (10 = digit 0)."""
    return index % 10 + 1


def _write_fakes(folder):
    from scipy.io import savemat

    x = np.empty((32, 32, 3, N_SVHN), np.uint8)
    for i in range(N_SVHN):
        x[..., i] = i  # constant image whose value is its index
    y = np.array([[_svhn_label(i)] for i in range(N_SVHN)], np.uint8)
    assert (y == 10).any()
    savemat(folder / "train_32x32.mat", {"X": x, "y": y})

    x_train = np.empty((N_MNIST_TRAIN, 28, 28), np.uint8)
    x_train[:] = (np.arange(N_MNIST_TRAIN) + 1)[:, None, None]  # 1.., so it differs from the black border
    x_test = np.empty((N_MNIST_TEST, 28, 28), np.uint8)
    x_test[:] = (np.arange(N_MNIST_TEST) + MNIST_TEST_OFFSET)[:, None, None]
    np.savez(
        folder / "mnist.npz",
        x_train=x_train,
        y_train=(np.arange(N_MNIST_TRAIN) % 10).astype(np.uint8),
        x_test=x_test,
        y_test=(np.arange(N_MNIST_TEST) % 10).astype(np.uint8),
    )
    return folder


@pytest.fixture(scope="module")
def fake_dir(tmp_path_factory):
    return _write_fakes(tmp_path_factory.mktemp("digits-da"))


@pytest.fixture(scope="module")
def pair(fake_dir):
    return load_svhn_mnist(directory=fake_dir, **SMALL)


def _splits(pair):
    return {"source": pair.source, "source_val": pair.source_val, "target": pair.target, "target_test": pair.target_test}


def _centre_values(split):
    """The index-encoding value of every image (its centre pixel, red channel)."""
    c = split.x.shape[1] // 2
    return split.x[:, c, c, 0].astype(int)


def test_returns_a_domain_pair_with_digit_names(pair):
    assert isinstance(pair, DomainPair)
    assert pair.class_names == tuple(str(d) for d in range(10))
    assert pair.n_classes == 10
    assert pair.name == "SVHN -> MNIST"
    for split in _splits(pair).values():
        assert isinstance(split, Split)


def test_shapes_dtypes_and_value_range(pair):
    expected_n = {"source": 20, "source_val": 10, "target": 15, "target_test": 12}
    for name, split in _splits(pair).items():
        assert split.x.shape == (expected_n[name], 32, 32, 3), name
        assert split.x.dtype == np.float32, name
        assert split.y.shape == (expected_n[name],), name
        assert split.y.dtype == np.int64, name
        assert split.x.min() >= 0.0 and split.x.max() <= 255.0, name
        assert set(np.unique(split.y)) <= set(range(10)), name


def test_svhn_label_10_becomes_digit_0_and_images_stay_paired(fake_dir):
    whole = load_svhn_mnist(directory=fake_dir, **{**SMALL, "n_source": 40, "n_source_val": 20})
    for split in (whole.source, whole.source_val):
        index = _centre_values(split)
        np.testing.assert_array_equal(split.y, _svhn_label(index) % 10)
        assert np.all(split.x == split.x[:, :1, :1, :1]), "SVHN images are unchanged at image_size=32"
    labels = np.concatenate([whole.source.y, whole.source_val.y])
    original = _svhn_label(np.concatenate([_centre_values(whole.source), _centre_values(whole.source_val)]))
    assert (original == 10).sum() == N_SVHN // 10
    assert np.all(labels[original == 10] == 0)
    assert np.bincount(labels, minlength=10).tolist() == [N_SVHN // 10] * 10


def test_mnist_is_padded_grey_in_three_channels_and_paired(pair):
    for split, offset in ((pair.target, 1), (pair.target_test, MNIST_TEST_OFFSET)):
        np.testing.assert_array_equal(split.x[..., 0], split.x[..., 1])
        np.testing.assert_array_equal(split.x[..., 0], split.x[..., 2])
        assert np.all(split.x[:, :2, :, :] == 0) and np.all(split.x[:, -2:, :, :] == 0), "2-pixel black border"
        assert np.all(split.x[:, :, :2, :] == 0) and np.all(split.x[:, :, -2:, :] == 0)
        index = _centre_values(split) - offset
        assert np.all(split.x[:, 2:30, 2:30, :] == (index + offset)[:, None, None, None]), "the 28x28 digit is intact"
        np.testing.assert_array_equal(split.y, index % 10)


def test_subsamples_are_distinct_and_source_val_is_disjoint_from_source(pair):
    source, val = _centre_values(pair.source), _centre_values(pair.source_val)
    assert len(set(source)) == len(source) and len(set(val)) == len(val)
    assert not set(source) & set(val)
    assert set(source) | set(val) <= set(range(N_SVHN))
    target = _centre_values(pair.target) - 1
    test = _centre_values(pair.target_test) - MNIST_TEST_OFFSET
    assert len(set(target)) == len(target) and set(target) <= set(range(N_MNIST_TRAIN))
    assert len(set(test)) == len(test) and set(test) <= set(range(N_MNIST_TEST))


def test_whole_svhn_file_can_be_used(fake_dir):
    pair = load_svhn_mnist(directory=fake_dir, n_source=40, n_source_val=20, n_target=N_MNIST_TRAIN,
                           n_test=N_MNIST_TEST)
    both = np.concatenate([_centre_values(pair.source), _centre_values(pair.source_val)])
    assert sorted(both) == list(range(N_SVHN))
    assert sorted(_centre_values(pair.target_test) - MNIST_TEST_OFFSET) == list(range(N_MNIST_TEST))


def test_same_seed_same_draw_other_seed_other_draw(fake_dir, pair):
    again = load_svhn_mnist(directory=fake_dir, **SMALL)
    for name, split in _splits(pair).items():
        other = _splits(again)[name]
        np.testing.assert_array_equal(split.x, other.x, err_msg=name)
        np.testing.assert_array_equal(split.y, other.y, err_msg=name)
    changed = load_svhn_mnist(directory=fake_dir, seed=1, **SMALL)
    for name, split in _splits(pair).items():
        assert not np.array_equal(_centre_values(split), _centre_values(_splits(changed)[name])), name


def test_image_size_16(fake_dir):
    pair = load_svhn_mnist(directory=fake_dir, image_size=16, **SMALL)
    for name, split in _splits(pair).items():
        assert split.x.shape[1:] == (16, 16, 3), name
        assert split.x.dtype == np.float32, name
        assert split.x.min() >= 0.0 and split.x.max() <= 255.0, name
    # constant SVHN images stay constant (and keep their index) through the bilinear resize
    source = pair.source.x
    assert np.all(source == source[:, :1, :1, :1])
    np.testing.assert_array_equal(pair.source.y, _svhn_label(_centre_values(pair.source)) % 10)
    # MNIST keeps a dark border (blurred a little by the resize) and the bright digit in the middle
    test = pair.target_test.x
    assert np.all(test[:, 0, 0, :] < 0.1 * test[:, 8, 8, :])
    assert np.all(test[:, 8, 8, 0] >= MNIST_TEST_OFFSET)


@pytest.mark.parametrize("missing", ["train_32x32.mat", "mnist.npz"])
def test_missing_file_in_directory(fake_dir, tmp_path, missing):
    for name in ("train_32x32.mat", "mnist.npz"):
        if name != missing:
            shutil.copy(fake_dir / name, tmp_path / name)
    with pytest.raises(DatasetUnavailableError, match=missing.replace(".", r"\.")):
        load_svhn_mnist(directory=tmp_path, **SMALL)


def test_unreadable_file_is_a_clear_error(fake_dir, tmp_path):
    shutil.copy(fake_dir / "mnist.npz", tmp_path / "mnist.npz")
    (tmp_path / "train_32x32.mat").write_bytes(b"not a MATLAB file")
    with pytest.raises(DatasetUnavailableError, match="train_32x32.mat"):
        load_svhn_mnist(directory=tmp_path, **SMALL)


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    cache = tmp_path / "fresh-cache"
    monkeypatch.setenv("TL_CACHE_DIR", str(cache))
    return cache


def test_without_network_the_download_fails_with_one_clear_error(fresh_cache, monkeypatch):
    import keras

    calls = []

    def no_network(fname, origin, **kwargs):
        calls.append((fname, origin, kwargs))
        raise Exception("URL fetch failure")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    with pytest.raises(DatasetUnavailableError) as info:
        load_svhn_mnist(**SMALL)
    error = info.value
    message = str(error)
    assert "TL_TRACK=offline" in message
    assert SVHN_URL in message
    assert "train_32x32.mat" in message
    assert str(fresh_cache / "downloads") in message  # where to place the file by hand
    assert error.__suppress_context__ is True and error.__cause__ is None
    assert len(calls) == 1
    fname, origin, kwargs = calls[0]
    assert (fname, origin) == ("train_32x32.mat", SVHN_URL)
    assert kwargs["cache_dir"] == str(fresh_cache) and kwargs["cache_subdir"] == "downloads"


def _trust_fakes(fake_dir, monkeypatch):
    """Make the loader accept the fake files' checksums (it checks every file it reads from the cache)."""
    import utils.web_data as data
    from utils.course.downloads import file_digest

    monkeypatch.setitem(data._FILE_HASHES, "train_32x32.mat", file_digest(fake_dir / "train_32x32.mat", "md5"))
    monkeypatch.setitem(data._FILE_HASHES, "mnist.npz", file_digest(fake_dir / "mnist.npz", "sha256"))


def test_mnist_download_failure_names_mnist(fake_dir, fresh_cache, monkeypatch):
    import keras

    _trust_fakes(fake_dir, monkeypatch)
    (fresh_cache / "downloads").mkdir(parents=True)
    shutil.copy(fake_dir / "train_32x32.mat", fresh_cache / "downloads" / "train_32x32.mat")

    def no_network(fname, origin, *, cache_dir, cache_subdir, **kwargs):
        cached = Path(cache_dir) / cache_subdir / fname
        if cached.is_file():  # as keras.utils.get_file: a cached copy (its hash checked) needs no network
            return str(cached)
        raise Exception("URL fetch failure")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    with pytest.raises(DatasetUnavailableError) as info:
        load_svhn_mnist(**SMALL)
    message = str(info.value)
    assert "mnist.npz" in message and MNIST_URL in message and "TL_TRACK=offline" in message


def test_downloads_land_in_the_cache_and_are_reused(fake_dir, fresh_cache, monkeypatch, pair):
    import keras

    calls = []

    def fake_get_file(fname, origin, *, cache_dir, cache_subdir, file_hash, **kwargs):
        folder = Path(cache_dir) / cache_subdir
        if not (folder / fname).is_file():  # as keras.utils.get_file: download only what the cache lacks
            calls.append(fname)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(fake_dir / fname, folder / fname)
        return str(folder / fname)

    _trust_fakes(fake_dir, monkeypatch)
    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    downloaded = load_svhn_mnist(**SMALL)
    assert sorted(calls) == ["mnist.npz", "train_32x32.mat"]
    assert (fresh_cache / "downloads" / "train_32x32.mat").is_file()
    assert (fresh_cache / "downloads" / "mnist.npz").is_file()
    for name, split in _splits(pair).items():
        np.testing.assert_array_equal(split.x, _splits(downloaded)[name].x, err_msg=name)
    load_svhn_mnist(**SMALL)
    assert len(calls) == 2, "files already in the cache are not downloaded again"


@pytest.mark.parametrize("name", ["n_source", "n_source_val", "n_target", "n_test"])
@pytest.mark.parametrize("value", [0, -1, 1.5, 10.0, True, "10", None])
def test_bad_counts_raise(fake_dir, name, value):
    with pytest.raises(ValueError, match=f"{name} must be a positive integer"):
        load_svhn_mnist(directory=fake_dir, **{**SMALL, name: value})


@pytest.mark.parametrize("size", [4, 7, 7.5, 16.0, True, 0, "16"])
def test_bad_image_size_raises(fake_dir, size):
    with pytest.raises(ValueError, match="image_size must be an integer >= 8"):
        load_svhn_mnist(directory=fake_dir, image_size=size, **SMALL)


def test_bad_arguments_are_checked_before_looking_for_files(tmp_path):
    with pytest.raises(ValueError, match="n_source must be a positive integer"):
        load_svhn_mnist(directory=tmp_path / "nowhere", n_source=0)


@pytest.mark.parametrize(
    ("change", "available"),
    [
        ({"n_source": 50, "n_source_val": 11}, f"SVHN train has only {N_SVHN} images"),
        ({"n_source": N_SVHN + 1}, f"SVHN train has only {N_SVHN} images"),
        ({"n_target": N_MNIST_TRAIN + 1}, f"MNIST train has only {N_MNIST_TRAIN} images"),
        ({"n_test": N_MNIST_TEST + 1}, f"MNIST test has only {N_MNIST_TEST} images"),
    ],
)
def test_asking_for_more_than_available_raises(fake_dir, change, available):
    with pytest.raises(ValueError, match=available):
        load_svhn_mnist(directory=fake_dir, **{**SMALL, **change})
