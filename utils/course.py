"""Run the whole course headless, check its budgets and build its results table.

``make course`` calls ``python -m utils.course run``, which

1. executes every numbered notebook on the offline track, each in a fresh kernel
   (a child process per notebook, so its peak memory is measured on its own);
2. records each notebook's wall time and the kernel's peak resident memory;
3. fails with a clear message when a notebook errors or exceeds its budget
   (3 minutes and 2 GiB per notebook, 15 minutes in all; see the README's budgets);
4. collects every ``results/<notebook>.json`` into one table, writes it as JSON
   (``benchmarks/course.json``) and rewrites the README's results and cost tables.

``python -m utils.course compare A.json B.json`` compares two such tables (the
reproducibility check: every number that moved by more than 0.5 points).
``python -m utils.course readme`` rebuilds the README tables from ``results/`` and
the last run's JSON without executing anything.

The pytest plugin :mod:`utils.nbbudget` applies the same budgets to the notebooks
nbval executes in ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .paths import ROOT, atomic_write, cache_dir
from .track import VALID_TRACKS

NOTEBOOK_SECONDS = 180.0
COURSE_SECONDS = 900.0
PEAK_RSS_BYTES = 2 * 1024**3
TOLERANCE_POINTS = 0.5
README_BLOCKS = ("results-table", "notebook-costs")
DEFAULT_TABLE = ROOT / "benchmarks" / "course.json"


@dataclass
class NotebookRun:
    """One notebook's headless execution.

    Attributes
    ----------
    notebook : str
        File name, e.g. ``"02_fine_tuning.ipynb"``.
    seconds : float
        Wall time from kernel start to kernel shutdown.
    peak_rss_bytes : int
        The kernel's peak resident memory (0 if it could not be measured).
    error : str or None
        ``None`` when every cell ran; else which cell failed and how.
    """

    notebook: str
    seconds: float
    peak_rss_bytes: int
    error: str | None = None

    @property
    def peak_rss_gb(self) -> float:
        return self.peak_rss_bytes / 1024**3


def list_notebooks(folder: Path | str | None = None) -> list[Path]:
    """The numbered course notebooks (``NN_*.ipynb``) in order."""
    folder = Path(folder) if folder is not None else ROOT / "notebooks"
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())
    if not found:
        raise FileNotFoundError(f"no numbered notebooks (NN_name.ipynb) in {folder}")
    return found


def _children_peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # macOS gives bytes, Linux KiB


def describe_failure(nb, exc) -> str:
    """One line saying which cell failed and how: its execution count, first source line and the error."""
    import re

    failed = next((c for c in nb.cells if c.cell_type == "code"
                   and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    if failed is not None:
        first = next((line for line in failed.source.splitlines() if line.strip()), "")
        where = f"cell [{failed.get('execution_count') or '?'}] ({first.strip()[:60]})"
    else:
        where = "a cell"
    name, value = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if name is None:
        lines = str(exc).strip().splitlines()
        name, value = type(exc).__name__, lines[-1] if lines else ""
    return re.sub(r"\x1b\[[0-9;]*m", "", f"{where}: {name}: {value}")


def _execute_here(path: Path, out: Path, timeout: float) -> dict:
    """Execute ``path`` in a fresh kernel (a child of this process); write the result to ``out``."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = None
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        error = describe_failure(nb, exc)
    seconds = time.perf_counter() - start
    nbformat.write(nb, out)
    # the kernel was a child of this process and has been waited for: its peak memory is here
    return {"seconds": seconds, "peak_rss_bytes": _children_peak_rss_bytes(), "error": error}


def execute_notebook(path: Path | str, *, timeout: float = 900.0, write: bool = True, env: dict | None = None
                     ) -> NotebookRun:
    """Execute one notebook headless in a fresh kernel and measure it.

    The notebook runs in a child process (``python -m utils.course _execute``), so the
    peak memory measured is that of this notebook's kernel alone.

    Parameters
    ----------
    path : path
        The ``.ipynb`` file.
    timeout : float
        Seconds allowed per cell.
    write : bool
        Replace the notebook by its executed version when every cell ran. A failed run
        is saved as ``<name>.failed.ipynb`` in the course cache instead, never over the notebook.
    env : dict or None
        Extra environment variables (``make course`` passes ``TL_TRACK=offline``).

    Returns
    -------
    NotebookRun
    """
    path = Path(path).resolve()
    if path.suffix != ".ipynb" or not path.is_file():
        raise FileNotFoundError(f"not a notebook file: {path}")
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
    with tempfile.TemporaryDirectory(prefix="tl-course-") as tmp:
        out = Path(tmp) / path.name
        proc = subprocess.run(
            [sys.executable, "-m", "utils.course", "_execute", str(path), str(out), str(timeout)],
            cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True,
        )
        if proc.returncode != 0 or not out.exists():
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
            return NotebookRun(path.name, 0.0, 0, f"could not run the notebook: {tail}")
        measured = json.loads(proc.stdout.strip().splitlines()[-1])
        run = NotebookRun(path.name, measured["seconds"], measured["peak_rss_bytes"], measured["error"])
        if run.error is None and write:
            atomic_write(path, lambda t: Path(t).write_bytes(out.read_bytes()))
        elif run.error is not None:
            kept = cache_dir("course") / path.name.replace(".ipynb", ".failed.ipynb")
            kept.write_bytes(out.read_bytes())
            run.error += f" (executed copy kept in {kept})"
    return run


def budget_limits(environ=None) -> dict:
    """The budgets, with ``TL_BUDGET_NOTEBOOK_SECONDS``, ``TL_BUDGET_COURSE_SECONDS`` and
    ``TL_BUDGET_PEAK_GIB`` overriding the defaults (for a slower machine); keyword arguments
    of :func:`check_budgets`."""
    environ = os.environ if environ is None else environ

    def limit(name, default):
        value = str(environ.get(name, "")).strip()
        if not value:
            return default
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not number > 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")
        return number

    return {"notebook_seconds": limit("TL_BUDGET_NOTEBOOK_SECONDS", NOTEBOOK_SECONDS),
            "course_seconds": limit("TL_BUDGET_COURSE_SECONDS", COURSE_SECONDS),
            "peak_rss_bytes": int(limit("TL_BUDGET_PEAK_GIB", PEAK_RSS_BYTES / 1024**3) * 1024**3)}


def check_budgets(runs, *, notebook_seconds: float = NOTEBOOK_SECONDS, course_seconds: float = COURSE_SECONDS,
                  peak_rss_bytes: int = PEAK_RSS_BYTES, reference_seconds: float | None = None) -> list[str]:
    """Every way ``runs`` break the budgets, as sentences (empty when all is well).

    Parameters
    ----------
    runs : sequence of NotebookRun
    notebook_seconds, course_seconds : float
        Wall-time budget of one notebook and of all of them, on the machine where the budgets
        were set (:data:`utils.reference.BASELINE_SECONDS`).
    peak_rss_bytes : int
        Memory budget of one notebook's kernel.
    reference_seconds : float or None
        The reference workload's time measured in the same run: the time budgets are scaled by
        its ratio to the baseline, so a notebook is judged by its time as a multiple of the
        reference. ``None`` applies the budgets as they are.
    """
    from .reference import scale

    factor = scale(reference_seconds)
    notebook_seconds, course_seconds = notebook_seconds * factor, course_seconds * factor
    problems = []
    for run in runs:
        if run.error is not None:
            problems.append(f"{run.notebook} failed: {run.error}")
        if run.seconds > notebook_seconds:
            problems.append(f"{run.notebook} took {run.seconds:.0f} s, over its budget of {notebook_seconds:.0f} s"
                            + (f" ({run.seconds / reference_seconds:.1f} times the reference workload)"
                               if reference_seconds else ""))
        if run.peak_rss_bytes > peak_rss_bytes:
            problems.append(f"{run.notebook} peaked at {run.peak_rss_gb:.2f} GiB of memory, over its budget of "
                            f"{peak_rss_bytes / 1024**3:.2f} GiB")
    total = sum(run.seconds for run in runs)
    if total > course_seconds:
        problems.append(f"the notebooks took {total:.0f} s in all, over the course budget of {course_seconds:.0f} s")
    return problems


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
    return any(word in m for word in ("accuracy", "f1", "gain"))


def format_value(row: dict) -> str:
    """``mean ± std`` in the unit a reader expects: percent for accuracies, points for gains."""
    metric, mean, std = row["metric"], float(row["mean"]), float(row["std"])
    spread = row.get("n_seeds", 1) > 1
    if is_timing(metric):
        return f"{mean:.1f}×" if "speed" in metric.lower() else f"{mean:.2f} s"
    if "gain" in metric.lower():
        text = f"{100 * mean:+.1f}".replace("-", "−")
        return text + (f" ± {100 * std:.1f} points" if spread else " points")
    if _is_fraction(metric):
        return f"{100 * mean:.1f}%" + (f" ± {100 * std:.1f}%" if spread else "")
    digits = 2 if "tau" in metric.lower() or "distance" in metric.lower() else 3
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
        ok = (run.error is None and run.seconds <= NOTEBOOK_SECONDS * factor
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
              f"per notebook and {COURSE_SECONDS * factor / 60:.1f} min in all." if reference_seconds else "")
    lines.append(f"Budgets: {NOTEBOOK_SECONDS:.0f} s and {PEAK_RSS_BYTES / 1024**3:.0f} GiB per notebook, "
                 f"{COURSE_SECONDS / 60:.0f} min in all.{scaled}" + (f" Measured on {machine}." if machine else ""))
    return "\n".join(lines) + "\n"


def replace_block(text: str, name: str, body: str) -> str:
    """Replace what lies between ``<!-- name:start -->`` and ``<!-- name:end -->`` in ``text``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"the README has no block {start} ... {end} to rewrite")
    return text[: i + len(start)] + "\n" + body + text[j:]


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
        data["reference"] = {"workload": "utils.reference: fit, a compiled training step and a logistic regression on fixed data",
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
    return atomic_write(readme, lambda t: Path(t).write_text(text))


def _key(row):
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
    a, b = {_key(r): r for r in first}, {_key(r): r for r in second}
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


def run_course(notebooks=None, *, readme: bool = True, table: Path | str | None = DEFAULT_TABLE,
               timeout: float = 900.0, write: bool = True, track: str = "offline", log=print
               ) -> tuple[list[NotebookRun], list[str]]:
    """Execute the notebooks one by one, then check budgets, write the table and the README.

    Returns the runs and the problems (empty when all is well). The budgets are those of the
    offline track; on the imagenet track only errors count. The README and table are
    written only when every notebook ran without error.
    """
    if track not in VALID_TRACKS:
        raise ValueError(f"track must be one of {VALID_TRACKS}, got {track!r}")
    limits = budget_limits()  # a bad TL_BUDGET_* value fails now, not after the run
    paths = [Path(p) for p in notebooks] if notebooks else list_notebooks()
    env = {"TL_TRACK": track}
    if track != "offline":  # the committed notebooks, results/, table and README are the offline track's
        readme, write = False, False
        if table is not None and Path(table).resolve() == DEFAULT_TABLE.resolve():
            table = cache_dir("course") / f"{track}.json"
        if not os.environ.get("TL_RESULTS_DIR"):
            env["TL_RESULTS_DIR"] = str(cache_dir("course", f"{track}-results"))
    samples = []  # the reference workload, timed before, halfway through and after the notebooks

    def sample_reference():
        from .reference import measure

        samples.append(measure())
        log(f"reference workload: {samples[-1]:.2f} s")

    if track == "offline":
        sample_reference()
    runs = []
    for i, path in enumerate(paths):
        log(f"== {path.name}")
        run = execute_notebook(path, timeout=timeout, write=write, env=env)
        runs.append(run)
        status = "ok" if run.error is None else f"FAILED: {run.error}"
        log(f"   {run.seconds:.0f} s, peak {run.peak_rss_gb:.2f} GiB, {status}")
        if samples and (i == len(paths) // 2 - 1 or i == len(paths) - 1):
            sample_reference()
    # the median of the samples: a machine whose load changes during the run is judged by its typical speed
    reference = float(statistics.median(samples)) if samples else None
    if reference is not None:
        log(f"reference workload: {reference:.2f} s (median of {len(samples)} samples)")
    problems = check_budgets(runs, **limits, reference_seconds=reference) if track == "offline" else [
        f"{r.notebook} failed: {r.error}" for r in runs if r.error is not None]
    if all(r.error is None for r in runs):
        all_runs = runs
        if notebooks and table is not None and Path(table).exists():
            # a subset: keep the other notebooks' measurements from the last table
            done = {r.notebook for r in runs}
            kept = {r.notebook: r for r in read_table(table)[1] if r.notebook not in done}
            all_runs = sorted([*kept.values(), *runs], key=lambda r: r.notebook)
        folder = env.get("TL_RESULTS_DIR") or os.environ.get("TL_RESULTS_DIR") or None
        rows = collect_results(folder, list_notebooks(paths[0].parent) if notebooks else paths)
        if table is not None:
            write_table(table, rows, all_runs, reference)
            log(f"table of {len(rows)} numbers written to {table}")
        if readme:
            rewrite_readme(rows, all_runs, machine=machine_description(), reference_seconds=reference)
            log("README results and cost tables rewritten")
        if write:
            for path, run in zip(paths, runs, strict=True):
                update_notebook_cost(path, run)
    return runs, problems


def _print_comparison(first, second, tolerance):
    moved, timing, missing = compare_tables(first, second, tolerance_points=tolerance)
    n = len({_key(r) for r in first} & {_key(r) for r in second})
    print(f"{n} numbers in both tables; {len(moved)} moved by more than {tolerance} points (timing excluded)")
    for m in moved:
        print(f"  MOVED {' | '.join(m['key'])} [{m['field']}]: {m['first']:.4f} -> {m['second']:.4f} "
              f"({m['points']:.2f} points)")
    for t in timing:
        print(f"  timing {' | '.join(t['key'])}: {t['first']:.1f} -> {t['second']:.1f} "
              f"({100 * t['relative change']:.0f}% change; clock-based, varies by design)")
    for key in missing:
        print(f"  only in one table: {' | '.join(key)}")
    return 1 if moved or missing else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.course", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute every notebook, check budgets, write the table and the README")
    run.add_argument("notebooks", nargs="*", help="only these notebooks (default: all numbered ones)")
    run.add_argument("--table", default=str(DEFAULT_TABLE), help="where to write the JSON table")
    run.add_argument("--no-readme", action="store_true", help="leave the README alone")
    run.add_argument("--no-write", action="store_true", help="do not save the executed notebooks")
    run.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per cell")
    run.add_argument("--track", default="offline", help="offline (default, budgets checked) or imagenet")
    cmp_ = sub.add_parser("compare", help="compare two JSON tables (reproducibility check)")
    cmp_.add_argument("first")
    cmp_.add_argument("second")
    cmp_.add_argument("--tolerance", type=float, default=TOLERANCE_POINTS, help="points (default 0.5)")
    sub.add_parser("readme", help="rebuild the README tables and the notebooks' cost lines from the last run")
    ex = sub.add_parser("_execute")  # internal: one notebook in this process's own child kernel
    ex.add_argument("path")
    ex.add_argument("out")
    ex.add_argument("timeout", type=float)
    args = parser.parse_args(argv)

    if args.command == "_execute":
        print(json.dumps(_execute_here(Path(args.path), Path(args.out), args.timeout)))
        return 0
    if args.command == "compare":
        return _print_comparison(read_table(args.first)[0], read_table(args.second)[0], args.tolerance)
    if args.command == "readme":
        _, runs, machine = read_table(DEFAULT_TABLE)
        reference = json.loads(DEFAULT_TABLE.read_text()).get("reference", {}).get("seconds")
        rewrite_readme(collect_results(), runs, machine=machine, reference_seconds=reference)
        changed = [run.notebook for run in runs if update_notebook_cost(ROOT / "notebooks" / run.notebook, run)]
        print(f"README results and cost tables rewritten; cost line updated in {len(changed)} notebook(s)")
        return 0
    runs, problems = run_course(args.notebooks or None, readme=not args.no_readme, table=args.table,
                                timeout=args.timeout, write=not args.no_write, track=args.track)
    if problems:
        print("\nThe course is over budget or broken (budgets: see the README):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    total = sum(r.seconds for r in runs)
    print(f"all {len(runs)} notebooks ran within budget: {total:.0f} s in all, "
          f"largest peak {max(r.peak_rss_gb for r in runs):.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
