"""Input checks shared by the package."""

from __future__ import annotations

import numpy as np


def is_int_at_least(value, minimum: int) -> bool:
    """True if ``value`` is an integer (not a bool) and ``value >= minimum``."""
    return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value >= minimum
