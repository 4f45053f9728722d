"""Tests of utils.folders: a learner's own class-per-sub-folder images."""

import io

import numpy as np
import pytest
from PIL import Image

from utils import load_image_folder, scan_image_folder


def _png(path, seed=0, size=(12, 10), grey=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    shape = (size[1], size[0]) if grey else (size[1], size[0], 3)
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(path)
    return path


def _png_bytes(seed=0):
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _snapshot(root):
    """Every file under root with its size and modification time."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns, p.is_symlink())
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def clean_folder(tmp_path):
    root = tmp_path / "pets"
    for c, n in (("cats", 3), ("dogs", 2)):
        for i in range(n):
            _png(root / c / f"{c}_{i}.png", seed=10 * len(c) + i)
    return root


@pytest.fixture
def messy_folder(tmp_path):
    """3 good cats, 2 good dogs, 1 bird; a truncated PNG, a random-bytes PNG and a text file."""
    root = tmp_path / "animals"
    for i in range(3):
        _png(root / "cats" / f"cat{i}.png", seed=i)
    _png(root / "dogs" / "dog0.png", seed=10)
    _png(root / "dogs" / "dog1.jpg", seed=11)  # PIL writes a JPEG here: extension case and format
    _png(root / "birds" / "bird0.PNG", seed=20, grey=True)
    data = _png_bytes()
    (root / "cats" / "truncated.png").write_bytes(data[: len(data) // 2])
    (root / "dogs" / "corrupt.png").write_bytes(np.random.default_rng(1).bytes(300))
    (root / "dogs" / "notes.txt").write_text("my dog photos")
    return root


# ---------------------------------------------------------------- scan_image_folder


def test_scan_returns_good_files_per_class_in_sorted_order(messy_folder):
    good, _ = scan_image_folder(messy_folder)
    assert list(good) == ["birds", "cats", "dogs"]
    assert [p.name for p in good["cats"]] == ["cat0.png", "cat1.png", "cat2.png"]
    assert [p.name for p in good["dogs"]] == ["dog0.png", "dog1.jpg"]
    assert [p.name for p in good["birds"]] == ["bird0.PNG"]


def test_scan_skips_corrupt_truncated_and_non_image_files_with_reasons(messy_folder):
    _, skipped = scan_image_folder(messy_folder)
    reasons = {p.name: why for p, why in skipped}
    assert set(reasons) == {"truncated.png", "corrupt.png", "notes.txt"}
    assert reasons["notes.txt"].startswith("not an image file")
    assert reasons["corrupt.png"].startswith("cannot be decoded")
    assert reasons["truncated.png"].startswith("cannot be decoded")


def test_scan_of_clean_folder_skips_nothing(clean_folder):
    good, skipped = scan_image_folder(clean_folder)
    assert skipped == []
    assert {k: len(v) for k, v in good.items()} == {"cats": 3, "dogs": 2}


def test_scan_ignores_hidden_class_folders(clean_folder):
    _png(clean_folder / ".ipynb_checkpoints" / "x.png")
    good, _ = scan_image_folder(clean_folder)
    assert list(good) == ["cats", "dogs"]


def test_missing_directory_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        scan_image_folder(tmp_path / "nope")
    with pytest.raises(FileNotFoundError):
        load_image_folder(tmp_path / "nope")


def test_file_instead_of_directory_raises_file_not_found(tmp_path):
    path = _png(tmp_path / "one.png")
    with pytest.raises(FileNotFoundError, match="not a folder"):
        scan_image_folder(path)


def test_folder_without_class_subfolders_raises(tmp_path):
    root = tmp_path / "flat"
    _png(root / "a.png")
    _png(root / "b.png", seed=1)
    with pytest.raises(ValueError, match="has no class sub-folders"):
        scan_image_folder(root)
    with pytest.raises(ValueError, match="has no class sub-folders"):
        load_image_folder(root)


def test_empty_class_folder_raises_naming_the_class(clean_folder):
    (clean_folder / "hamsters").mkdir()
    with pytest.raises(ValueError, match="'hamsters'") as info:
        scan_image_folder(clean_folder)
    assert "cats" not in str(info.value) and "dogs" not in str(info.value)
    with pytest.raises(ValueError, match="'hamsters'.*no readable images"):
        load_image_folder(clean_folder)


def test_class_with_only_a_corrupt_file_raises_naming_class_and_file(clean_folder):
    (clean_folder / "fish").mkdir()
    (clean_folder / "fish" / "nemo.png").write_bytes(b"not really a png")
    with pytest.raises(ValueError, match="'fish'.*no readable images") as info:
        load_image_folder(clean_folder)
    assert "nemo.png" in str(info.value)


# ---------------------------------------------------------------- load_image_folder


def test_load_warns_naming_skipped_files(messy_folder):
    with pytest.warns(UserWarning, match="Skipped 3 file") as record:
        load_image_folder(messy_folder, image_size=(16, 16), batch_size=4)
    message = " ".join(str(w.message) for w in record)
    assert "cats/truncated.png" in message
    assert "dogs/corrupt.png" in message
    assert "dogs/notes.txt" in message


def test_load_skips_bad_files_and_dataset_iterates(messy_folder):
    with pytest.warns(UserWarning):
        ds = load_image_folder(messy_folder, image_size=(16, 16), batch_size=4, shuffle=False)
    assert ds.class_names == ["birds", "cats", "dogs"]
    images, labels = [], []
    for xb, yb in ds:
        images.append(xb.numpy())
        labels.append(yb.numpy())
    x, y = np.concatenate(images), np.concatenate(labels)
    assert x.shape == (6, 16, 16, 3)  # the 6 readable images only
    assert sorted(y.tolist()) == [0, 1, 1, 1, 2, 2]
    assert x.min() >= 0 and x.max() <= 255


def test_load_clean_folder_gives_no_warning(clean_folder, recwarn):
    ds = load_image_folder(clean_folder, image_size=(8, 8), batch_size=2, color_mode="grayscale")
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
    assert ds.class_names == ["cats", "dogs"]
    batches = list(ds)
    assert sum(len(yb) for _, yb in batches) == 5
    assert batches[0][0].shape[1:] == (8, 8, 1)


def test_load_does_not_modify_the_learners_folder(messy_folder):
    before = _snapshot(messy_folder)
    with pytest.warns(UserWarning):
        ds = load_image_folder(messy_folder, image_size=(16, 16), batch_size=4)
    for _ in ds:
        pass
    assert _snapshot(messy_folder) == before


def test_load_with_validation_split_returns_two_disjoint_datasets(messy_folder):
    with pytest.warns(UserWarning):
        train, val = load_image_folder(
            messy_folder, image_size=(16, 16), batch_size=8, validation_split=0.5, subset="both", seed=1
        )
    n_train = sum(len(yb) for _, yb in train)
    n_val = sum(len(yb) for _, yb in val)
    assert n_train + n_val == 6
    assert n_val == 3


def test_hidden_image_files_are_ignored_consistently(clean_folder):
    """A hidden file such as macOS's '._photo.png' is ignored by the scan, so Keras must not read it either."""
    (clean_folder / "cats" / "._cats_0.png").write_bytes(b"\x00\x05\x16\x07" + np.random.default_rng(2).bytes(200))
    good, skipped = scan_image_folder(clean_folder)
    assert sum(len(v) for v in good.values()) == 5
    assert [p.name for p, _ in skipped] == ["._cats_0.png"]
    with pytest.warns(UserWarning, match=r"cats/\._cats_0\.png: hidden"):
        ds = load_image_folder(clean_folder, image_size=(8, 8), batch_size=2)
    assert sum(len(yb) for _, yb in ds) == 5


def test_files_in_a_hidden_folder_inside_a_class_are_skipped_and_named(clean_folder):
    """JupyterLab makes face/.ipynb_checkpoints/ next to an opened image: those copies are not examples."""
    _png(clean_folder / "cats" / ".ipynb_checkpoints" / "cats_0-checkpoint.png", seed=99)
    good, skipped = scan_image_folder(clean_folder)
    assert {k: len(v) for k, v in good.items()} == {"cats": 3, "dogs": 2}
    assert [(p.parent.name, why.split(" ")[0]) for p, why in skipped] == [(".ipynb_checkpoints", "hidden")]
    with pytest.warns(UserWarning, match=r"\.ipynb_checkpoints/cats_0-checkpoint\.png: hidden"):
        ds = load_image_folder(clean_folder, image_size=(8, 8), batch_size=2)
    assert sum(len(yb) for _, yb in ds) == 5


def test_image_in_a_format_keras_cannot_decode_is_skipped(clean_folder):
    """A TIFF saved as 'scan.png' opens in PIL but not in TensorFlow's decoder, which Keras uses."""
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)).save(clean_folder / "cats" / "scan.png",
                                                                           format="TIFF")
    _, skipped = scan_image_folder(clean_folder)
    assert [p.name for p, _ in skipped] == ["scan.png"]
    with pytest.warns(UserWarning, match="scan.png"):
        ds = load_image_folder(clean_folder, image_size=(8, 8), batch_size=2)
    assert sum(len(yb) for _, yb in ds) == 5
