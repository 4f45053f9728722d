"""The course's results table: collected from ``results/``, written as JSON and as the README's tables."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from pathlib import Path

from .budgets import (
    COURSE_SECONDS,
    NOTEBOOK_SECONDS,
    NOTEBOOK_SECONDS_FACTOR,
    PEAK_RSS_BYTES,
    NotebookRun,
    notebook_budget,
)
from .paths import ROOT, atomic_write

TOLERANCE_POINTS = 0.5
README_BLOCKS = ("results-table", "notebook-costs", "syllabus", "imagenet-gpu")
DEFAULT_TABLE = ROOT / "benchmarks" / "course.json"
#: The imagenet track's table: written only by a run on a GPU (``python -m utils.course run --track imagenet``).
IMAGENET_TABLE = ROOT / "benchmarks" / "imagenet.json"


def list_notebooks(folder: Path | str | None = None) -> list[Path]:
    """The numbered course notebooks (``NN_*.ipynb``) in order."""
    folder = Path(folder) if folder is not None else ROOT / "notebooks"
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())
    if not found:
        raise FileNotFoundError(f"no numbered notebooks (NN_name.ipynb) in {folder}")
    return found


def collect_results(folder: Path | str | None = None, notebooks=None) -> list[dict]:
    """Every record of ``results/<notebook stem>.json``, with a ``notebook`` key added.

    Parameters
    ----------
    folder : path or None
        Default: ``results/`` at the repository root.
    notebooks : sequence of path or None
        Only these notebooks' files (default: every numbered notebook's).
    """
    folder = Path(folder) if folder is not None else ROOT / "results"
    stems = [Path(p).stem for p in (notebooks if notebooks is not None else list_notebooks())]
    rows = []
    for stem in stems:
        path = folder / f"{stem}.json"
        if not path.exists():
            continue  # notebook 00-style notebooks may have no experiment
        records = json.loads(path.read_text())
        if not isinstance(records, list):
            raise ValueError(f"{path} must hold a list of records")
        rows.extend({"notebook": stem, **record} for record in records)
    return rows


def is_timing(metric: str) -> bool:
    """Metrics measured with a clock (they change from run to run by design)."""
    return any(word in metric.lower() for word in ("speed", "seconds", "time"))


def _is_fraction(metric: str) -> bool:
    m = metric.lower()
    return any(word in m for word in ("accuracy", "f1", "gain", "share"))


def format_value(row: dict) -> str:
    """``mean ± std`` in the unit a reader expects: percent for accuracies, points for gains."""
    metric, mean, std = row["metric"], float(row["mean"]), float(row["std"])
    spread = row.get("n_seeds", 1) > 1
    if is_timing(metric):
        if "(ms)" in metric:
            return f"{mean:.1f}" + (f" ± {std:.1f}" if spread else "")  # the unit is in the metric's name
        return f"{mean:.1f}×" if "speed" in metric.lower() else f"{mean:.2f} s"
    if "gain" in metric.lower():
        text = f"{100 * mean:+.1f}".replace("-", "−")
        return text + (f" ± {100 * std:.1f} points" if spread else " points")
    if _is_fraction(metric):
        return f"{100 * mean:.1f}%" + (f" ± {100 * std:.1f}%" if spread else "")
    digits = 2 if "tau" in metric.lower() or "distance" in metric.lower() else 3
    if mean != 0 and abs(mean) < 10 ** -digits:  # a tiny value (a p-value, a rounding error) in scientific notation
        return (f"{mean:.1e}" + (f" ± {std:.1e}" if spread else "")).replace("-", "−")
    text = f"{mean:+.{digits}f}" if "tau" in metric.lower() else f"{mean:.{digits}f}"
    return text.replace("-", "−") + (f" ± {std:.{digits}f}" if spread else "")


def _budget_text(budget) -> str:
    return "–" if budget is None else str(budget)


def _cell(text) -> str:
    return str(text).replace("|", "\\|")


def results_markdown(rows: list[dict], runs=None) -> str:
    """The README's results table: one collapsible table per notebook."""
    costs = {Path(r.notebook).stem: r for r in (runs or [])}
    out = []
    for stem in dict.fromkeys(r["notebook"] for r in rows):
        mine = [r for r in rows if r["notebook"] == stem]
        title = stem.replace("_", " ", 1).replace("_", " ")
        cost = costs.get(stem)
        extra = f", {cost.seconds:.0f} s, {cost.peak_rss_gb:.2f} GiB" if cost else ""
        out += [f"<details><summary><b>{title}</b>: {len(mine)} numbers{extra}</summary>", "",
                "| experiment | method | budget (labels per class) | metric | mean ± std | seeds |", "|---|---|---|---|---|---|"]
        out += [f"| {_cell(r['experiment'])} | {_cell(r['method'])} | {_budget_text(r['budget'])} | "
                f"{_cell(r['metric'])} | {format_value(r)} | {r['n_seeds']} |" for r in mine]
        out += ["", "</details>", ""]
    return "\n".join(out).rstrip() + "\n"


def costs_markdown(runs, machine: str | None = None, reference_seconds: float | None = None) -> str:
    """The README's table of each notebook's wall time and peak memory, with the budgets.

    With ``reference_seconds``, each time is also given as a multiple of the reference workload.
    """
    from .reference import BASELINE_SECONDS, scale

    factor = scale(reference_seconds)  # the same scaled budgets as check_budgets
    ref = f" | × reference ({reference_seconds:.2f} s)" if reference_seconds else ""
    lines = [f"| notebook | wall time{ref} | peak memory (kernel RSS) | within budget |",
             "|---|---|---|---|" + ("---|" if reference_seconds else "")]
    for run in runs:
        ok = (run.error is None and run.seconds <= notebook_budget(run.notebook) * factor
              and run.peak_rss_bytes <= PEAK_RSS_BYTES)
        ratio = f" | {run.seconds / reference_seconds:.1f}" if reference_seconds else ""
        lines.append(f"| {run.notebook} | {run.seconds:.0f} s{ratio} | {run.peak_rss_gb:.2f} GiB | "
                     f"{'yes' if ok else '**no**'} |")
    total = sum(r.seconds for r in runs)
    whole = round(total)
    ratio = f" | **{total / reference_seconds:.1f}**" if reference_seconds else ""
    lines.append(f"| **all notebooks** | **{whole // 60} min {whole % 60:02d} s**{ratio} | | "
                 f"{'yes' if total <= COURSE_SECONDS * factor else '**no**'} |")
    lines.append("")
    scaled = (f" On this run's machine, where the reference workload took {reference_seconds:.2f} s against "
              f"{BASELINE_SECONDS} s where the budgets were set, they scale to {NOTEBOOK_SECONDS * factor:.0f} s "
              f"per notebook and {COURSE_SECONDS * factor / 60:.1f} min in all." if reference_seconds and factor > 1
              else f" The reference workload took {reference_seconds:.2f} s on this run's machine ({BASELINE_SECONDS} s "
              "where the budgets were set); budgets grow on a slower machine and never shrink on a faster one."
              if reference_seconds else "")
    longer = "".join(f" ({NOTEBOOK_SECONDS * f:.0f} s for {name.split('_')[0]})" for name, f in NOTEBOOK_SECONDS_FACTOR.items())
    lines.append(f"Budgets: {NOTEBOOK_SECONDS:.0f} s{longer} and {PEAK_RSS_BYTES / 1024**3:.0f} GiB per notebook, "
                 f"{COURSE_SECONDS / 60:.0f} min in all.{scaled}" + (f" Measured on {machine}." if machine else ""))
    return "\n".join(lines) + "\n"


def _block_span(text: str, name: str) -> tuple[int, int]:
    """Where the body of the block ``<!-- name:start -->`` ... ``<!-- name:end -->`` begins and ends in ``text``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"the README has no block {start} ... {end} to rewrite")
    return i + len(start), j


def replace_block(text: str, name: str, body: str) -> str:
    """Replace what lies between ``<!-- name:start -->`` and ``<!-- name:end -->`` in ``text``."""
    i, j = _block_span(text, name)
    return text[:i] + "\n" + body + text[j:]


def syllabus_markdown(block: str, runs) -> str:
    """The README's syllabus with each notebook's measured wall time filled in.

    ``block`` is the syllabus table as written (``| [title](notebooks/<file>) | time | what it teaches |``);
    only the time column changes: the run's time of that notebook, or "not measured".
    """
    seconds = {run.notebook: run.seconds for run in runs}
    lines = []
    for line in block.strip("\n").splitlines():
        cells = line.split(" | ")
        if line.startswith("| [") and len(cells) >= 3 and "](notebooks/" in cells[0]:
            name = cells[0].split("](notebooks/", 1)[1].split(")", 1)[0]
            cells[1] = _minutes(seconds[name]) if name in seconds else "not measured"
            line = " | ".join(cells)
        lines.append(line)
    return "\n".join(lines) + "\n"


def _between(text: str, name: str) -> str:
    i, j = _block_span(text, name)
    return text[i:j]


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"


def cost_sentence(run: NotebookRun) -> str:
    """What a notebook says about its own cost, under its badges."""
    return (f"**Running time:** offline track {_minutes(run.seconds)} on a {os.cpu_count()}-core CPU, "
            f"peak memory {run.peak_rss_gb:.1f} GiB (measured by `make course`); imagenet track on a "
            "Colab T4 GPU: not measured yet.")


def update_notebook_cost(path: Path | str, run: NotebookRun) -> bool:
    """Rewrite the cost sentence between ``<!-- cost:start -->`` and ``<!-- cost:end -->``.

    Only a markdown cell is touched, so the committed outputs stay valid. Returns whether
    the notebook changed (False also when it has no such markers).
    """
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "<!-- cost:start -->" in cell.source:
            new = replace_block(cell.source, "cost", cost_sentence(run) + "\n")
            if new == cell.source:
                return False
            cell.source = new
            atomic_write(path, lambda t: nbformat.write(nb, t))
            return True
    return False


def machine_description() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_table(path: Path | str, rows: list[dict], runs, reference_seconds: float | None = None) -> Path:
    """Write the results table and the notebook costs as JSON.

    With ``reference_seconds`` (the reference workload's time in this run), each run also
    records its time as a multiple of it (``reference_ratio``), the machine-independent cost.
    """
    from .reference import BASELINE_SECONDS

    runs_out = [asdict(r) for r in runs]
    if reference_seconds:
        for run in runs_out:
            run["reference_ratio"] = round(run["seconds"] / reference_seconds, 2)
    data = {"machine": machine_description(), "runs": runs_out, "results": rows}
    if reference_seconds:
        data["reference"] = {"workload": "utils.course.reference: fit, a compiled training step and a logistic regression on fixed data",
                             "seconds": round(reference_seconds, 3), "baseline_seconds": BASELINE_SECONDS}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda t: Path(t).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n"))


def read_table(path: Path | str) -> tuple[list[dict], list[NotebookRun], str]:
    data = json.loads(Path(path).read_text())
    fields = {"notebook", "seconds", "peak_rss_bytes", "error"}
    return (data["results"], [NotebookRun(**{k: v for k, v in r.items() if k in fields}) for r in data["runs"]],
            data.get("machine", ""))


def rewrite_readme(rows: list[dict], runs, *, readme: Path | str | None = None, machine: str | None = None,
                   reference_seconds: float | None = None) -> Path:
    """Rewrite the README's results table and cost table in place."""
    readme = Path(readme) if readme is not None else ROOT / "README.md"
    text = readme.read_text()
    text = replace_block(text, "results-table", results_markdown(rows, runs))
    text = replace_block(text, "notebook-costs", costs_markdown(runs, machine, reference_seconds))
    text = replace_block(text, "syllabus", syllabus_markdown(_between(text, "syllabus"), runs))
    return atomic_write(readme, lambda t: Path(t).write_text(text))


def imagenet_markdown(rows: list[dict], runs, machine: str | None = None) -> str:
    """The README's imagenet-track block: "not measured" until a GPU run, then its costs and numbers."""
    if not runs:
        return ("**Not measured yet.** This table fills in when `python -m utils.course run --track imagenet` runs "
                "on a machine with a GPU and internet (e.g. a Colab T4): it executes every notebook on the imagenet "
                "track, then writes `benchmarks/imagenet.json` and this section. The numbers of a rehearsal "
                "(`make rehearse`, stand-in data) never appear here.\n")
    out = [f"Measured on {machine or 'a GPU machine'}.", "", "| notebook | time | peak memory |", "|---|---|---|"]
    out += [f"| {r.notebook} | {r.seconds:.0f} s | {r.peak_rss_gb:.2f} GiB |" for r in runs]
    return "\n".join(out) + "\n\n" + results_markdown(rows, runs)


def rewrite_imagenet_readme(rows: list[dict], runs, *, readme: Path | str | None = None,
                            machine: str | None = None) -> Path:
    """Rewrite the README's imagenet-track block (``<!-- imagenet-gpu:start -->``) in place."""
    readme = Path(readme) if readme is not None else ROOT / "README.md"
    text = replace_block(readme.read_text(), "imagenet-gpu", imagenet_markdown(rows, runs, machine))
    return atomic_write(readme, lambda t: Path(t).write_text(text))


def record_key(row):
    return (row["notebook"], row["experiment"], row["method"], str(row["budget"]), row["metric"])


def compare_tables(first: list[dict], second: list[dict], *, tolerance_points: float = TOLERANCE_POINTS):
    """Numbers that differ between two results tables.

    A "point" is 0.01 on the stored scale (a percentage point for accuracies; 0.01 of
    a Kendall τ, an ECE or a proxy A-distance). Means and standard deviations are both compared.

    Returns
    -------
    moved : list of dict
        Non-timing numbers that moved by more than ``tolerance_points``.
    timing : list of dict
        Clock-based numbers (speed-ups), with their relative change; they vary by design.
    missing : list of tuple
        Keys present in only one table.
    """
    if not tolerance_points >= 0:
        raise ValueError(f"tolerance_points must be >= 0, got {tolerance_points!r}")
    a, b = {record_key(r): r for r in first}, {record_key(r): r for r in second}
    moved, timing = [], []
    for key in a.keys() & b.keys():
        ra, rb = a[key], b[key]
        if is_timing(key[-1]):
            timing.append({"key": key, "first": ra["mean"], "second": rb["mean"],
                           "relative change": abs(rb["mean"] - ra["mean"]) / max(abs(ra["mean"]), 1e-12)})
            continue
        for field in ("mean", "std"):
            diff = 100 * abs(float(rb[field]) - float(ra[field]))
            if diff > tolerance_points:
                moved.append({"key": key, "field": field, "first": ra[field], "second": rb[field], "points": diff})
    missing = sorted(set(a) ^ set(b))
    order = list(a)
    return (sorted(moved, key=lambda m: order.index(m["key"])), sorted(timing, key=lambda m: order.index(m["key"])),
            missing)
