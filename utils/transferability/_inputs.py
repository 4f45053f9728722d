"""Input checks shared by the transferability scores."""

from __future__ import annotations

import numpy as np

from .._checks import check_probability_rows, is_int_at_least, is_integer_valued, is_positive_number


# ---------------------------------------------------------------- input checks
def _check_features(features, name: str = "features") -> np.ndarray:
    features = np.asarray(features, dtype=float)
    if features.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (n_examples, n_features), got shape {features.shape}; "
            "flatten or pool the backbone output first, e.g. features.reshape(len(features), -1)"
        )
    if features.shape[0] < 2 or features.shape[1] < 1:
        raise ValueError(f"{name} needs at least 2 examples and 1 feature, got shape {features.shape}")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return features


def _check_int_labels(labels, n_examples: int, name: str, *, min_classes: int) -> np.ndarray:
    """Validate 1-D integer labels and return them recoded as ``0 .. n_distinct - 1``."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] > 1:
        raise ValueError(
            f"{name} must be a 1-D array of class indices, got shape {labels.shape}; "
            "for one-hot labels or probabilities pass labels.argmax(axis=1)"
        )
    if labels.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class indices, got shape {labels.shape}")
    if len(labels) != n_examples:
        raise ValueError(f"{name} has {len(labels)} entries but there are {n_examples} examples; pass one per example")
    if not is_integer_valued(labels):
        raise ValueError(f"{name} must hold integer class indices, got dtype {labels.dtype}")
    classes, codes = np.unique(labels.astype(np.int64), return_inverse=True)
    if len(classes) < min_classes:
        raise ValueError(
            f"{name} holds {len(classes)} distinct class(es) but at least {min_classes} are needed "
            "to score a classification task; check that the target sample covers several classes"
        )
    return codes.reshape(-1)


def _check_source_probs(source_probs) -> np.ndarray:
    probs = np.asarray(source_probs, dtype=float)
    if probs.ndim != 2 or probs.shape[1] < 2 or len(probs) == 0:
        raise ValueError(
            "source_probs must be a non-empty 2-D array (n_examples, n_source_classes) with at least 2 "
            f"source classes, got shape {probs.shape}"
        )
    if not np.all(np.isfinite(probs)):
        raise ValueError("source_probs contains NaN or infinite values")
    sums = check_probability_rows(
        probs, "source_probs",
        "Pass the source classifier's softmax output (scipy.special.softmax(logits, axis=1)), not logits",
    )
    return probs / sums[:, None]  # absorb float32 rounding so every row sums to exactly 1


def _check_iteration(max_iter, tol) -> None:
    if not is_int_at_least(max_iter, 1):
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    if not is_positive_number(tol):
        raise ValueError(f"tol must be a finite number > 0, got {tol!r}")


def _check_positive(value, name: str) -> float:
    if not is_positive_number(value):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)
