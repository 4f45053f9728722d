"""Input checks shared by the package."""

from __future__ import annotations

import math

import numpy as np


def is_int_at_least(value, minimum: int) -> bool:
    """True if ``value`` is an integer (not a bool) and ``value >= minimum``."""
    return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value >= minimum


def is_positive_number(value) -> bool:
    """True if ``value`` is a real number (not a bool), finite and > 0."""
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.integer, np.floating))
        and math.isfinite(value)
        and value > 0
    )


def is_integer_valued(array: np.ndarray) -> bool:
    """True if a numeric, non-bool array holds only finite whole numbers."""
    return (
        array.dtype != bool
        and np.issubdtype(array.dtype, np.number)
        and bool(np.all(np.isfinite(array)))
        and not np.any(array != np.round(array))
    )


def check_probability_rows(probs: np.ndarray, name: str, advice: str) -> np.ndarray:
    """Raise unless every row of ``probs`` is non-negative and sums to 1 within 1e-3; return the row sums."""
    sums = probs.sum(axis=1)
    if np.any(probs < 0) or not np.allclose(sums, 1.0, rtol=0, atol=1e-3):
        worst = int(np.argmax(np.abs(sums - 1.0)))
        raise ValueError(
            f"{name} must hold probabilities: non-negative rows summing to 1 (within 1e-3); "
            f"row {worst} sums to {sums[worst]:.6g} and the smallest entry is {probs.min():.6g}. {advice}"
        )
    return sums
