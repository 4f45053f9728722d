"""Where the course keeps files it makes: the repository root and a git-ignored cache."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cache_dir(*parts: str) -> Path:
    """A folder inside the course cache, created if missing.

    The cache is ``$TL_CACHE_DIR`` when set, else ``.cache/`` at the repository root
    (git-ignored). Nothing in it is user data; it can be deleted at any time.
    """
    base = Path(os.environ.get("TL_CACHE_DIR") or ROOT / ".cache")
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write(path, write) -> Path:
    """Write ``path`` all at once: ``write(tmp)`` fills a temporary file beside it, which is then renamed.

    Readers never see a half-written file, and if ``write`` fails the exception propagates
    and neither the temporary file nor a partial ``path`` is left behind.

    Parameters
    ----------
    path : path
        The final file.
    write : callable
        Called with the temporary file's path (same folder, same suffix as ``path``).

    Returns
    -------
    Path
    """
    import tempfile

    path = Path(path)
    suffix = "".join(path.suffixes[-2:]) if path.name.endswith(".weights.h5") else path.suffix
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path
