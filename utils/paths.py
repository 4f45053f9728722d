"""Where the course keeps files it makes: the repository root and a git-ignored cache."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cache_dir(*parts: str) -> Path:
    """A folder inside the course cache, created if missing.

    The cache is ``$TL_CACHE_DIR`` when set, else ``.cache/`` at the repository root
    (git-ignored). Nothing in it is user data; it can be deleted at any time.
    """
    base = Path(os.environ.get("TL_CACHE_DIR") or ROOT / ".cache")
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
