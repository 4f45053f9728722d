"""Tests of utils.features.cached_features and feature_cache_key: extracted features kept on disk."""

import io

import numpy as np
import pytest

import utils.features as features_module
from utils.features import cached_features, extract_features, feature_cache_key
from utils.models import build_glyphnet, scale_digits
from utils.probing import cut_backbone

N = 20


def _tiny(seed=0):
    from utils import set_seed

    set_seed(seed)
    return build_glyphnet((8, 8, 1), width=4, name="tiny_cache")


@pytest.fixture(scope="module")
def net():
    return _tiny()


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).integers(0, 17, (N, 8, 8, 1)).astype("float32")


@pytest.fixture
def calls(monkeypatch):
    """Counts the runs of the extractor behind the cache."""
    counter = []
    real = features_module.extract_features

    def counted(*args, **kwargs):
        counter.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(features_module, "extract_features", counted)
    return counter


def _entries(folder):
    return sorted(p.name for p in folder.iterdir())


def to_unit(x):
    return x / 255.0


# ---------------------------------------------------------------- hits and misses


def test_miss_then_hit_gives_identical_arrays_without_rerunning_the_extractor(net, images, tmp_path, calls):
    first, hit = cached_features(net, images, cache_dir=tmp_path, return_hit=True)
    assert hit is False
    assert len(calls) == 1
    second, hit = cached_features(net, images, cache_dir=tmp_path, return_hit=True)
    assert hit is True
    assert len(calls) == 1, "a cache hit must not run the extractor"
    np.testing.assert_array_equal(first, second)
    assert first.shape == (N, 16) and first.dtype == np.float32
    np.testing.assert_allclose(first, extract_features(net, images), rtol=1e-6, atol=1e-7)


def test_without_return_hit_only_the_features_are_returned(net, images, tmp_path):
    out = cached_features(net, images, cache_dir=tmp_path)
    assert isinstance(out, np.ndarray) and out.shape == (N, 16)
    again = cached_features(net, images, cache_dir=tmp_path)
    assert isinstance(again, np.ndarray)
    np.testing.assert_array_equal(out, again)


def test_preprocess_is_applied_and_cached(net, images, tmp_path):
    feats, hit = cached_features(net, images, preprocess=scale_digits, cache_dir=tmp_path, return_hit=True)
    assert not hit
    np.testing.assert_allclose(feats, extract_features(net, images / 16.0), rtol=1e-5, atol=1e-6)
    again, hit = cached_features(net, images, preprocess=scale_digits, cache_dir=tmp_path, return_hit=True)
    assert hit
    np.testing.assert_array_equal(feats, again)


# ---------------------------------------------------------------- invalidation


def test_new_weights_give_a_new_key_and_a_miss(images, tmp_path, calls):
    model = _tiny()
    before, _ = cached_features(model, images, cache_dir=tmp_path, return_hit=True)
    old_key = feature_cache_key(model, images)
    kernel = model.get_layer("block1_conv1").kernel
    kernel.assign(kernel.numpy() + 0.5)
    assert feature_cache_key(model, images) != old_key
    after, hit = cached_features(model, images, cache_dir=tmp_path, return_hit=True)
    assert hit is False and len(calls) == 2
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, extract_features(model, images), rtol=1e-6, atol=1e-7)


def test_new_batchnorm_statistics_give_a_new_key(images):
    """Moving statistics are weights too (non-trainable): they change inference-mode features."""
    model = _tiny()
    old_key = feature_cache_key(model, images)
    bn = model.get_layer("block2_bn1")
    bn.moving_mean.assign(bn.moving_mean.numpy() + 0.25)
    assert feature_cache_key(model, images) != old_key


def test_one_changed_pixel_gives_a_new_key_and_a_miss(net, images, tmp_path, calls):
    cached_features(net, images, cache_dir=tmp_path)
    changed = images.copy()
    changed[7, 3, 4, 0] += 1.0
    assert feature_cache_key(net, changed) != feature_cache_key(net, images)
    feats, hit = cached_features(net, changed, cache_dir=tmp_path, return_hit=True)
    assert hit is False and len(calls) == 2
    np.testing.assert_allclose(feats, extract_features(net, changed), rtol=1e-6, atol=1e-7)
    assert len(_entries(tmp_path)) == 2


def test_another_cut_layer_gives_a_new_key_and_a_miss(net, images, tmp_path):
    shallow, deep = cut_backbone(net, "block1_pool"), cut_backbone(net, "block2_pool")
    assert feature_cache_key(shallow, images) != feature_cache_key(deep, images)
    a, hit_a = cached_features(shallow, images, cache_dir=tmp_path, return_hit=True)
    b, hit_b = cached_features(deep, images, cache_dir=tmp_path, return_hit=True)
    assert not hit_a and not hit_b
    assert a.shape == (N, 4 * 4 * 4) and b.shape == (N, 2 * 2 * 8)
    # the same layer with the other pooling is another extractor too
    avg = cut_backbone(net, "block2_pool", pooling="avg")
    assert feature_cache_key(avg, images) != feature_cache_key(deep, images)


def test_another_preprocess_function_gives_a_new_key_and_a_miss(net, images, tmp_path):
    keys = {feature_cache_key(net, images, preprocess=p) for p in (None, scale_digits, to_unit)}
    assert len(keys) == 3
    for preprocess in (None, scale_digits, to_unit):
        _, hit = cached_features(net, images, preprocess=preprocess, cache_dir=tmp_path, return_hit=True)
        assert hit is False
    assert len(_entries(tmp_path)) == 3


def test_two_different_lambdas_give_different_keys(net, images, tmp_path):
    """A learner who edits `preprocess=lambda x: x / 16` into `lambda x: x / 255` must not get the old
    features back: both lambdas are named `<lambda>` in the same module, so the name alone is no key."""
    by_16 = lambda x: x / 16.0  # noqa: E731
    by_255 = lambda x: x / 255.0  # noqa: E731
    cached_features(net, images, preprocess=by_16, cache_dir=tmp_path)
    feats, hit = cached_features(net, images, preprocess=by_255, cache_dir=tmp_path, return_hit=True)
    assert hit is False, "the features of `lambda x: x / 16` were returned for `lambda x: x / 255`"
    np.testing.assert_allclose(feats, extract_features(net, images / 255.0), rtol=1e-5, atol=1e-6)
    assert feature_cache_key(net, images, preprocess=by_16) != feature_cache_key(net, images, preprocess=by_255)


# ---------------------------------------------------------------- stable keys


def test_key_is_a_stable_sha256_hex_digest(net, images):
    key = feature_cache_key(net, images)
    assert key == feature_cache_key(net, images)
    assert len(key) == 64 and int(key, 16) >= 0
    assert key == feature_cache_key(net, images.astype("int64")), "the key hashes the data as float32"


def test_separately_built_models_with_the_same_weights_share_a_key(net, images, tmp_path):
    other = _tiny(seed=1)
    assert feature_cache_key(other, images) != feature_cache_key(net, images), "different initial weights"
    other.set_weights(net.get_weights())
    assert feature_cache_key(other, images) == feature_cache_key(net, images)
    cached_features(net, images, cache_dir=tmp_path)
    _, hit = cached_features(other, images, cache_dir=tmp_path, return_hit=True)
    assert hit is True


def test_rebuilding_the_same_cut_reuses_the_cache(net, images, tmp_path):
    """Re-running a notebook cell rebuilds the cut of the same backbone at the same layer; Keras names the
    new Flatten layer flatten_1, flatten_2, ..., which must not make a new key (and recompute every time)."""
    first = cut_backbone(net, "block2_pool")
    second = cut_backbone(net, "block2_pool")
    cached_features(first, images, cache_dir=tmp_path)
    _, hit = cached_features(second, images, cache_dir=tmp_path, return_hit=True)
    assert hit is True
    assert feature_cache_key(first, images) == feature_cache_key(second, images)


# ---------------------------------------------------------------- atomic writes and broken entries


def test_only_the_final_entry_is_left_in_the_cache_folder(net, images, tmp_path):
    cached_features(net, images, cache_dir=tmp_path)
    key = feature_cache_key(net, images)
    assert _entries(tmp_path) == [f"{key}.npy"]
    assert not list(tmp_path.glob(".tmp-*"))
    np.testing.assert_array_equal(np.load(tmp_path / f"{key}.npy"), extract_features(net, images))


def test_failed_write_propagates_and_leaves_no_entry_and_no_temporary_file(net, images, tmp_path, monkeypatch):
    def broken_save(fh, *args, **kwargs):
        fh.write(b"\x93NUMPY\x01\x00half an entry")
        raise OSError("No space left on device")

    monkeypatch.setattr(features_module.np, "save", broken_save)
    with pytest.raises(OSError, match="No space left"):
        cached_features(net, images, cache_dir=tmp_path)
    assert _entries(tmp_path) == []
    monkeypatch.undo()
    feats, hit = cached_features(net, images, cache_dir=tmp_path, return_hit=True)
    assert hit is False
    assert _entries(tmp_path) == [f"{feature_cache_key(net, images)}.npy"]
    np.testing.assert_array_equal(feats, extract_features(net, images))


def _truncated_npy(net, images):
    buffer = io.BytesIO()
    np.save(buffer, extract_features(net, images))
    data = buffer.getvalue()
    return data[: len(data) // 2]


@pytest.mark.parametrize("kind", ["garbage", "truncated", "empty"])
def test_corrupt_entry_is_recomputed_and_replaced(net, images, tmp_path, calls, kind):
    content = {"garbage": b"not a numpy file at all" * 5, "truncated": _truncated_npy(net, images), "empty": b""}[kind]
    path = tmp_path / f"{feature_cache_key(net, images)}.npy"
    path.write_bytes(content)
    feats, hit = cached_features(net, images, cache_dir=tmp_path, return_hit=True)
    assert hit is False
    assert len(calls) == 1
    np.testing.assert_array_equal(feats, extract_features(net, images))
    assert _entries(tmp_path) == [path.name]
    np.testing.assert_array_equal(np.load(path), feats)
    again, hit = cached_features(net, images, cache_dir=tmp_path, return_hit=True)
    assert hit is True and len(calls) == 1
    np.testing.assert_array_equal(again, feats)


def test_default_cache_dir_is_features_in_the_course_cache(net, images, tmp_path, monkeypatch):
    monkeypatch.setenv("TL_CACHE_DIR", str(tmp_path))
    _, hit = cached_features(net, images, return_hit=True)
    assert hit is False
    assert (tmp_path / "features" / f"{feature_cache_key(net, images)}.npy").is_file()
    _, hit = cached_features(net, images, return_hit=True)
    assert hit is True
