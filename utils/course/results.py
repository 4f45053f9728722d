"""Write a notebook's results summary to ``results/<notebook stem>.json`` (design section 7)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from .paths import ROOT, atomic_write

RECORD_KEYS = ("experiment", "method", "budget", "metric", "mean", "std", "n_seeds", "track")


def write_results(stem: str, records: list[dict], *, directory: Path | str | None = None) -> Path:
    """Validate result records and write them atomically as JSON.

    Parameters
    ----------
    stem : str
        The notebook's file stem, e.g. ``"01_feature_extraction"``.
    records : list of dict
        Each with the keys ``experiment``, ``method``, ``budget`` (examples per class,
        ``"all"`` or ``None``), ``metric``, ``mean``, ``std``, ``n_seeds`` and ``track``.
        ``n_seeds`` counts the runs that could differ (a deterministic fit is 1), and a
        p-value (``metric`` ``"p"``) is one test's, so its ``n_seeds`` must be 1.
    directory : path or None
        Default: the environment variable ``TL_RESULTS_DIR`` if set (the test suite points it
        at a temporary folder, so executing the notebooks under test leaves ``results/``
        alone), else ``results/`` at the repository root.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> records = [{"experiment": "probe", "method": "logistic regression", "budget": 10, "metric": "accuracy",
    ...             "mean": 0.91, "std": 0.02, "n_seeds": 5, "track": "offline"}]
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_results("01_feature_extraction", records, directory=folder)
    ...     print(path.name, json.loads(path.read_text())[0]["mean"])
    01_feature_extraction.json 0.91
    """
    if not stem or "/" in stem or stem.endswith(".ipynb"):
        raise ValueError(f"stem must be a notebook file stem like '01_feature_extraction', got {stem!r}")
    if not records:
        raise ValueError("records is empty; a results file needs at least one record")
    clean = []
    for i, record in enumerate(records):
        missing = [k for k in RECORD_KEYS if k not in record]
        if missing:
            raise ValueError(f"record {i} lacks the key(s) {missing}; every record needs {list(RECORD_KEYS)}")
        budget = record["budget"]
        if not (budget is None or budget == "all" or (isinstance(budget, int) and budget > 0)):
            raise ValueError(f"record {i}: budget must be a positive int, 'all' or None, got {budget!r}")
        for key in ("mean", "std"):
            if not math.isfinite(float(record[key])):
                raise ValueError(f"record {i}: {key} must be a finite number, got {record[key]!r}")
        if int(record["n_seeds"]) < 1:
            raise ValueError(f"record {i}: n_seeds must be >= 1, got {record['n_seeds']!r}")
        if record["metric"] == "p" and int(record["n_seeds"]) > 1:
            raise ValueError(f"record {i}: a p-value is never averaged over seeds; record one p per seed "
                             "(n_seeds 1 each) or one test on the pooled paired predictions")
        clean.append({**record, "mean": float(record["mean"]), "std": float(record["std"]),
                      "n_seeds": int(record["n_seeds"])})
    if directory is None:
        directory = os.environ.get("TL_RESULTS_DIR") or ROOT / "results"
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    return atomic_write(folder / f"{stem}.json", lambda tmp: Path(tmp).write_text(json.dumps(clean, indent=2) + "\n"))
