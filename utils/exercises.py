"""Self-checks for the exercises: say what is right or wrong, never raise on a learner's answer."""

from __future__ import annotations

import numbers

import numpy as np


def check_answer(name: str, answer, expected, *, tolerance: float = 0.0, hint: str = "") -> None:
    """Compare a learner's answer with the expected one and print a verdict.

    An answer left as ``None`` or ``...`` (the starter cell's placeholder) prints "not done
    yet" instead of failing, so a starter cell always runs.

    Parameters
    ----------
    name : str
        What the answer is, e.g. ``"accuracy at 10 labels"``.
    answer : object
        The learner's value: a number, an array, a string, or ``None`` / ``...`` when not done.
    expected : object
        The right value, of the same kind.
    tolerance : float
        Largest absolute difference accepted for numbers and arrays, >= 0.
    hint : str
        Printed with a wrong answer.

    Returns
    -------
    None
        The verdict is printed (a notebook cell ending with the call shows no stray ``True``/``False``).

    Examples
    --------
    >>> check_answer("the mean", 0.51, 0.5, tolerance=0.02)
    ✔ the mean: right (0.51)
    >>> check_answer("the mean", None, 0.5)
    … the mean: not done yet (fill in the TODO above)
    >>> check_answer("the mean", 0.7, 0.5, tolerance=0.02, hint="average over seeds")
    ✘ the mean: 0.7 is not right; hint: average over seeds
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string saying what is checked, got {name!r}")
    if not isinstance(tolerance, numbers.Real) or tolerance < 0:
        raise ValueError(f"tolerance must be a number >= 0, got {tolerance!r}")
    if expected is None or expected is Ellipsis:
        raise ValueError(f"{name}: the expected value is missing (got {expected!r}); pass the right answer")
    if answer is None or answer is Ellipsis:
        print(f"… {name}: not done yet (fill in the TODO above)")
    elif _same(answer, expected, tolerance):
        print(f"✔ {name}: right ({_short(answer)})")
    else:
        print(f"✘ {name}: {_short(answer)} is not right" + (f"; hint: {hint}" if hint else ""))


def _same(answer, expected, tolerance) -> bool:
    if isinstance(expected, str):
        return isinstance(answer, str) and answer.strip().lower() == expected.strip().lower()
    try:
        a, e = np.asarray(answer, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return answer == expected
    return a.shape == e.shape and bool(np.all(np.abs(a - e) <= tolerance + 1e-12))


def _short(value) -> str:
    text = f"{value:.4g}" if isinstance(value, numbers.Real) and not isinstance(value, bool) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
