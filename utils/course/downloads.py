"""Downloads of the imagenet track: once, into the course cache, with a progress bar and a checksum.

Every file the course downloads has a published checksum, which :func:`keras.utils.get_file`
checks (``file_hash=``): a cached copy whose checksum differs is downloaded again. A download
that fails, or a file whose checksum differs (a moved or corrupted file, a half-finished
download), ends in one :class:`DatasetUnavailableError` that says where to put the file by hand;
a file with the wrong checksum is deleted, never read.

``TL_DOWNLOAD_MIRROR`` (a base URL) replaces every origin with ``MIRROR/FILENAME``: for a
local copy of the files, or for the tests, which serve generated files from 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path

from .paths import cache_dir


class DatasetUnavailableError(RuntimeError):
    """A dataset could not be downloaded or found."""


def file_digest(path: Path | str, algorithm: str) -> str:
    """Hex digest of a file (``"sha256"`` or ``"md5"``), read in 1 MB chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _algorithm(checksum: str) -> str:
    if len(checksum) == 64:
        return "sha256"
    if len(checksum) == 32:
        return "md5"
    raise ValueError(f"checksum must be a SHA-256 (64 hex digits) or MD5 (32 hex digits), got {checksum!r}")


def origin(fname: str, url: str) -> str:
    """The URL ``fname`` is fetched from: ``url``, or ``$TL_DOWNLOAD_MIRROR/fname`` when that is set."""
    mirror = os.environ.get("TL_DOWNLOAD_MIRROR")
    return f"{mirror.rstrip('/')}/{fname}" if mirror else url


def _refuse(path: Path, url: str, algorithm: str, expected: str, got: str, hint: str) -> DatasetUnavailableError:
    path.unlink(missing_ok=True)
    return DatasetUnavailableError(
        f"{path.name} has {algorithm.upper()} {got}, expected {expected}: refused and deleted (a moved, "
        f"changed or half-downloaded file). Download it by hand from {url}, check its {algorithm.upper()}, and "
        f"place it at {path}{hint}; or use the offline track (TL_TRACK=offline)."
    )


def fetch(fname: str, url: str, checksum: str, *, extract: bool = False, hint: str = "") -> Path:
    """The path of ``fname`` in the course cache, downloaded and checked if it is not there yet.

    Parameters
    ----------
    fname : str
        File name in the cache (``cache_dir("downloads")``).
    url : str
        Where to download it from (see ``TL_DOWNLOAD_MIRROR``).
    checksum : str
        Its SHA-256 (64 hex digits) or MD5 (32 hex digits).
    extract : bool
        Also unpack a ``.tar``/``.tgz``/``.tar.gz`` archive into the cache folder (members
        that would land outside it are refused); the archive's path is returned.
    hint : str
        Appended to the error message (e.g. another way to provide the data).

    Returns
    -------
    Path

    Raises
    ------
    DatasetUnavailableError
        The download failed (no network, host unreachable, file moved), or the file's
        checksum differs (the file is deleted).
    """
    if not fname or "/" in fname or fname.startswith("."):
        raise ValueError(f"fname must be a plain file name, got {fname!r}")
    algorithm = _algorithm(checksum)
    folder = cache_dir("downloads")
    path = folder / fname
    source = origin(fname, url)
    import keras

    # keras.utils.get_file checks the hash of a cached copy (and downloads again when it differs) and of a
    # fresh download, and shows a progress bar; a wrong file is deleted here, never read
    try:
        keras.utils.get_file(fname, source, file_hash=checksum, hash_algorithm=algorithm,
                             cache_dir=str(folder.parent), cache_subdir=folder.name)
    except ValueError as exc:
        if "hash" not in str(exc):
            raise
        got = file_digest(path, algorithm) if path.is_file() else "(no file)"
        raise _refuse(path, source, algorithm, checksum, got, hint) from None
    except Exception as exc:  # noqa: BLE001 - one clear message instead of a chain of URL errors
        path.unlink(missing_ok=True)  # a corrupted cached copy or a partial download: never read
        raise DatasetUnavailableError(
            f"Could not download {fname} from {source} ({type(exc).__name__}: {str(exc)[:120]}). Use the "
            f"offline track (TL_TRACK=offline), or download it on a machine with internet and place it at "
            f"{path} (its {algorithm.upper()} must be {checksum}){hint}."
        ) from None
    if extract:
        _extract(path, folder)
    return path


def _extract(archive: Path, folder: Path) -> None:
    root = folder.resolve()
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            target = (folder / member.name).resolve()
            if root not in target.parents and target != root:
                raise DatasetUnavailableError(f"{archive.name} contains {member.name!r}, outside the cache; refused")
        tar.extractall(folder, filter="data")
