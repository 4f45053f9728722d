"""Write a notebook's results summary to ``results/<notebook stem>.json`` (design section 7)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from .paths import ROOT, atomic_write, cache_dir

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
        alone), else ``results/`` at the repository root for the offline track's records and
        the course cache (``.cache/course/imagenet-results``) for the imagenet track's. Inside a rehearsal of the imagenet
        track (:mod:`utils.course.rehearsal`) every record's ``track`` becomes
        ``"imagenet-rehearsal"``, and such records are refused under ``results/``.

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
    from . import rehearsal

    if rehearsal.active():  # a rehearsal's numbers come from stand-in data and weights: labelled as such
        clean = [{**record, "track": rehearsal.TRACK} for record in clean]
    if directory is None:
        directory = os.environ.get("TL_RESULTS_DIR")
    if directory is None:  # results/ holds the offline track's numbers; another track's go to the cache
        offline = all(r["track"] == "offline" for r in clean)
        directory = ROOT / "results" if offline else cache_dir("course", "imagenet-results")
    folder = Path(directory)
    committed = (ROOT / "results").resolve()
    if any(r["track"] == rehearsal.TRACK for r in clean) and (
            folder.resolve() == committed or committed in folder.resolve().parents):
        raise ValueError(f"refused: rehearsal results (track {rehearsal.TRACK!r}, from stand-in data) never go to "
                         f"{committed}; set TL_RESULTS_DIR to a temporary folder (the rehearsal does)")
    folder.mkdir(parents=True, exist_ok=True)
    return atomic_write(folder / f"{stem}.json", lambda tmp: Path(tmp).write_text(json.dumps(clean, indent=2) + "\n"))


class Markdown:
    """Markdown text that Jupyter displays rendered (``_repr_markdown_``); ``.data`` is the text."""

    def __init__(self, data: str):
        self.data = data

    def _repr_markdown_(self) -> str:
        return self.data

    def __repr__(self) -> str:
        return self.data


def results_summary(records: list[dict], *, title: str = "Results of this run", budget_label: str = "labels per class"):
    """The results summary of a notebook, rendered from its records: Markdown, one table per experiment.

    Generated from the records this run measured, so it is right on either track; a notebook
    ends with ``utils.results_summary(records)`` instead of a table typed by hand.

    Parameters
    ----------
    records : list of dict
        Result records (see :func:`write_results`); a record with ``ci_low`` and ``ci_high``
        shows that interval beside its mean.
    title : str
        The heading; the track of the records is added to it.
    budget_label : str
        Heading of the ``budget`` column (notebook 06 counts labelled sentences in all, not per class).

    Returns
    -------
    Markdown
        Displays as tables in Jupyter (``_repr_markdown_``); ``.data`` is the Markdown text.

    Examples
    --------
    >>> records = [{"experiment": "probe", "method": "logistic regression", "budget": 10, "metric": "accuracy",
    ...             "mean": 0.91, "std": 0.02, "n_seeds": 5, "track": "offline"}]
    >>> print(results_summary(records).data)
    ### Results of this run (offline track)
    <BLANKLINE>
    **probe**
    <BLANKLINE>
    | method | labels per class | metric | mean ± std | seeds |
    |---|---|---|---|---|
    | logistic regression | 10 | accuracy | 91.0% ± 2.0% | 5 |
    <BLANKLINE>
    """
    from .tables import _budget_text, _cell, format_value

    if not records:
        raise ValueError("records is empty: run the notebook's experiments first")
    missing = [k for k in RECORD_KEYS if k not in records[0]]
    if missing:
        raise ValueError(f"records lack the key(s) {missing}; every record needs {list(RECORD_KEYS)}")
    def _value(r):  # mean ± std, and the record's own 95% interval when it carries one (e.g. a paired bootstrap)
        text = format_value(r)
        if "ci_low" in r and "ci_high" in r:
            low, high = (format_value({**r, "mean": r[k], "n_seeds": 1}) for k in ("ci_low", "ci_high"))
            text += f" [95% interval {low}, {high}]"
        return text

    tracks = sorted({str(r["track"]) for r in records})
    out = [f"### {title} ({', '.join(tracks)} track)", ""]
    for experiment in dict.fromkeys(r["experiment"] for r in records):
        out += [f"**{_cell(experiment)}**", "", f"| method | {_cell(budget_label)} | metric | mean ± std | seeds |",
                "|---|---|---|---|---|"]
        out += [f"| {_cell(r['method'])} | {_budget_text(r['budget'])} | {_cell(r['metric'])} | {_value(r)} | "
                f"{r['n_seeds']} |" for r in records if r["experiment"] == experiment]
        out.append("")
    return Markdown("\n".join(out).rstrip() + "\n")
