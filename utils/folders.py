"""Load a learner's own images: a folder with one sub-folder per class.

Built on ``keras.utils.image_dataset_from_directory``. Before Keras reads the
folder, every file is checked: files that are not images or cannot be decoded
are skipped with one warning that names them, and a class left without a
single readable image is an error (it would silently become a class with no
examples).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
# formats TensorFlow's decode_image reads (PIL's names; MPO is a camera JPEG)
DECODABLE_FORMATS = ("BMP", "GIF", "JPEG", "MPO", "PNG")


def scan_image_folder(directory: str | Path) -> tuple[dict[str, list[Path]], list[tuple[Path, str]]]:
    """Check every file of a class-per-sub-folder image tree.

    Parameters
    ----------
    directory : path
        Folder whose sub-folders are the classes.

    Returns
    -------
    good : dict
        Class name -> readable image files, classes in sorted order.
    skipped : list of (path, reason)
        Files that will not be used and why.

    Raises
    ------
    FileNotFoundError
        ``directory`` does not exist or is not a folder.
    ValueError
        No class sub-folders, or a class with no readable image.

    Examples
    --------
    >>> from PIL import Image
    >>> with tempfile.TemporaryDirectory() as tmp:  # cats/ and dogs/ with one image each, and a stray note
    ...     for name in ("cats", "dogs"):
    ...         os.mkdir(os.path.join(tmp, name))
    ...         Image.new("RGB", (8, 8)).save(os.path.join(tmp, name, "1.png"))
    ...     _ = Path(tmp, "dogs", "notes.txt").write_text("not an image")
    ...     good, skipped = scan_image_folder(tmp)
    >>> {name: [path.name for path in files] for name, files in good.items()}
    {'cats': ['1.png'], 'dogs': ['1.png']}
    >>> [(path.name, reason) for path, reason in skipped]
    [('notes.txt', 'not an image file (extension must be one of .bmp, .gif, .jpeg, .jpg, .png)')]
    """
    from PIL import Image, UnidentifiedImageError

    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"Image folder {str(root)!r} does not exist or is not a folder")
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(
            f"{str(root)!r} has no class sub-folders. Put each class's images in a sub-folder named after "
            f"the class, e.g. {root.name}/cats/001.jpg and {root.name}/dogs/002.jpg"
        )
    good: dict[str, list[Path]] = {}
    skipped: list[tuple[Path, str]] = []
    for folder in classes:
        files = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if any(part.startswith(".") for part in path.relative_to(folder).parts):
                # e.g. .DS_Store, or .ipynb_checkpoints/ that JupyterLab makes next to an opened image
                skipped.append((path, "hidden (its name or a folder on its path starts with '.')"))
                continue
            if path.suffix.lower() not in IMAGE_EXTENSIONS:
                skipped.append((path, f"not an image file (extension must be one of {', '.join(IMAGE_EXTENSIONS)})"))
                continue
            try:
                with Image.open(path) as im:
                    im.verify()
                with Image.open(path) as im:
                    im.load()
                    kind = im.format
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
                skipped.append((path, f"cannot be decoded ({type(exc).__name__})"))
                continue
            if kind not in DECODABLE_FORMATS:
                skipped.append((path, f"is a {kind} image; TensorFlow reads only {', '.join(DECODABLE_FORMATS)}"))
                continue
            files.append(path)
        good[folder.name] = files
    empty = [name for name, files in good.items() if not files]
    if empty:
        raise ValueError(
            f"Class folder(s) {', '.join(repr(e) for e in empty)} in {str(root)!r} have no readable images"
            + (f" ({len(skipped)} file(s) skipped: {', '.join(p.name for p, _ in skipped[:5])})" if skipped else "")
            + ". Add images to them or remove the folder(s)."
        )
    return good, skipped


def load_image_folder(
    directory: str | Path,
    *,
    image_size: tuple[int, int] = (224, 224),
    batch_size: int = 32,
    color_mode: str = "rgb",
    validation_split: float | None = None,
    subset: str | None = None,
    seed: int = 0,
    shuffle: bool = True,
):
    """A ``tf.data`` dataset of (image, label) batches from a class-per-sub-folder tree.

    Parameters
    ----------
    directory : path
        Folder whose sub-folders are the classes (``cats/``, ``dogs/``, ...).
    image_size : (height, width)
        Images are resized to this.
    batch_size : int
    color_mode : {"rgb", "grayscale", "rgba"}
    validation_split : float or None
        Fraction held out; use with ``subset``.
    subset : {"training", "validation", "both"} or None
    seed : int
        Seed of the shuffle and of the split.
    shuffle : bool

    Returns
    -------
    tf.data.Dataset or (train, validation)
        With ``class_names`` set as in Keras. Unreadable files are skipped with a warning.

    Examples
    --------
    >>> from PIL import Image
    >>> with tempfile.TemporaryDirectory() as tmp:  # cats/ and dogs/ with three images each
    ...     for name in ("cats", "dogs"):
    ...         os.mkdir(os.path.join(tmp, name))
    ...         for i in range(3):
    ...             Image.new("RGB", (40, 30)).save(os.path.join(tmp, name, f"{i}.png"))
    ...     ds = load_image_folder(tmp, image_size=(32, 32), batch_size=4)
    ...     images, labels = next(iter(ds))  # read the files while they exist
    Found 6 files belonging to 2 classes.
    >>> ds.class_names, tuple(images.shape), tuple(labels.shape)
    (['cats', 'dogs'], (4, 32, 32, 3), (4,))
    """
    import keras

    good, skipped = scan_image_folder(directory)
    if skipped:
        listed = "; ".join(f"{p.relative_to(Path(directory))}: {why}" for p, why in skipped)
        warnings.warn(f"Skipped {len(skipped)} file(s) in {Path(directory).name}/: {listed}", stacklevel=2)
    kwargs = dict(
        labels="inferred",
        label_mode="int",
        class_names=sorted(good),
        image_size=tuple(image_size),
        batch_size=batch_size,
        color_mode=color_mode,
        validation_split=validation_split,
        subset=subset,
        seed=seed,
        shuffle=shuffle,
    )
    keras_reads = sorted(
        p for folder in Path(directory).iterdir() if folder.name in good
        for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
    )
    if keras_reads == sorted(p for files in good.values() for p in files):
        return keras.utils.image_dataset_from_directory(str(directory), **kwargs)
    # Keras reads every file with an image extension; give it a view of the good files only,
    # made of symbolic links in the course cache (the learner's folder is never touched).
    return keras.utils.image_dataset_from_directory(str(_good_file_view(good)), **kwargs)


def _good_file_view(good: dict[str, list[Path]]) -> Path:
    """A folder of symbolic links to the readable files, keyed by their paths, written atomically."""
    import hashlib

    from .course.paths import cache_dir

    listing = "\n".join(f"{name}/{p.resolve()}" for name, files in good.items() for p in files)
    view = cache_dir("image_views") / hashlib.sha256(listing.encode()).hexdigest()[:16]
    if view.is_dir():
        return view
    tmp = Path(tempfile.mkdtemp(dir=view.parent, prefix=".tmp-"))
    for name, files in good.items():
        (tmp / name).mkdir()
        for i, path in enumerate(files):
            os.symlink(path.resolve(), tmp / name / f"{i:06d}_{path.name}")
    try:
        os.rename(tmp, view)
    except OSError:  # another process made it first
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return view
