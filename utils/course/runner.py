"""Run the whole course headless, check its budgets and build its results table.

``make course`` calls ``python -m utils.course run``, which

1. executes every numbered notebook on the offline track, each in a fresh kernel
   (a child process per notebook, so its peak memory is measured on its own);
2. records each notebook's wall time and the kernel's peak resident memory;
3. fails with a clear message when a notebook errors or exceeds its budget
   (3 minutes and 2 GiB per notebook, 15 minutes in all; see the README's budgets);
4. collects every ``results/<notebook>.json`` into one table, writes it as JSON
   (``benchmarks/course.json``) and rewrites the README's results and cost tables.

``python -m utils.course compare A B`` compares two such tables, or two folders of results files (the
reproducibility check: every number that moved by more than 0.5 points, or ``--tolerance``; ``make notebooks``
holds the notebooks nbval has just executed to 2 points of the committed ``results/``).
``python -m utils.course readme`` rebuilds the README tables from ``results/`` and
the last run's JSON without executing anything.

The pytest plugin :mod:`utils.course.nbbudget` applies the same budgets to the notebooks
nbval executes in ``make test``.
"""


from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .budgets import COURSE_SECONDS, NOTEBOOK_SECONDS, PEAK_RSS_BYTES, NotebookRun, budget_limits, check_budgets
from .paths import ROOT, atomic_write, cache_dir
from .tables import (
    DEFAULT_TABLE,
    IMAGENET_TABLE,
    README_BLOCKS,
    TOLERANCE_POINTS,
    collect_results,
    compare_tables,
    cost_sentence,
    costs_markdown,
    format_value,
    is_timing,
    list_notebooks,
    machine_description,
    read_table,
    record_key,
    replace_block,
    results_markdown,
    rewrite_imagenet_readme,
    rewrite_readme,
    update_notebook_cost,
    write_table,
)
from .track import VALID_TRACKS, miniature

__all__ = [  # the runner's own functions, and the budgets' and tables' names it is used with
    "COURSE_SECONDS", "DEFAULT_TABLE", "NOTEBOOK_SECONDS", "PEAK_RSS_BYTES", "README_BLOCKS", "TOLERANCE_POINTS",
    "NotebookRun", "budget_limits", "check_budgets", "collect_results", "compare_tables", "cost_sentence",
    "costs_markdown", "describe_failure", "execute_notebook", "format_value", "is_timing", "list_notebooks",
    "machine_description", "main", "read_table", "replace_block", "results_markdown", "rewrite_readme",
    "run_course", "update_notebook_cost", "write_table",
]


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
        nb, timeout=timeout, kernel_name="python3", record_timing=bool(os.environ.get("TL_RECORD_TIMING")),
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


def execute_notebook(path: Path | str, *, timeout: float = 900.0, write: bool = True, env: dict | None = None,
                     keep: Path | str | None = None) -> NotebookRun:
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
    keep : path or None
        A folder to save the executed copy in as well (the rehearsal's), whether or not it ran.

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
        if keep is not None:
            Path(keep).mkdir(parents=True, exist_ok=True)
            (Path(keep) / path.name).write_bytes(out.read_bytes())
        if run.error is None and write:
            atomic_write(path, lambda t: Path(t).write_bytes(out.read_bytes()))
        elif run.error is not None:
            kept = cache_dir("course") / path.name.replace(".ipynb", ".failed.ipynb")
            kept.write_bytes(out.read_bytes())
            run.error += f" (executed copy kept in {kept})"
    return run



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
    gpu_record = False  # a full imagenet-track run on a GPU fills benchmarks/imagenet.json and its README block
    if track != "offline":  # the committed notebooks, results/, table and README are the offline track's
        write = False
        if table is not None and Path(table).resolve() == DEFAULT_TABLE.resolve():
            from .quiet import gpu_available

            gpu_record = readme and not notebooks and not miniature() and gpu_available()
            table = IMAGENET_TABLE if gpu_record else cache_dir("course") / f"{track}.json"
            if not gpu_record:
                log(f"no GPU (or a partial or miniature run): the table goes to {table}; "
                    "benchmarks/imagenet.json records full GPU runs only")
        readme = False
        if not (env.get("TL_RESULTS_DIR") or os.environ.get("TL_RESULTS_DIR")):
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
        if gpu_record:
            rewrite_imagenet_readme(rows, runs, machine=machine_description() + ", GPU")
            log("README imagenet-track section rewritten")
        if write:
            for path, run in zip(paths, runs, strict=True):
                update_notebook_cost(path, run)
    return runs, problems


def _rows(path) -> list[dict]:
    """The records of a JSON table (``benchmarks/course.json``), or of a folder of ``results/``-style files."""
    path = Path(path)
    if path.is_dir():
        return collect_results(path)
    if not path.exists():
        raise SystemExit(f"{path} does not exist: give a JSON table or a folder of results files")
    return read_table(path)[0]


def _print_comparison(first, second, tolerance, exempt=()):
    moved, timing, missing = compare_tables(first, second, tolerance_points=tolerance)
    excused = [m for m in moved if m["key"][-1] in exempt]
    moved = [m for m in moved if m["key"][-1] not in exempt]
    n = len({record_key(r) for r in first} & {record_key(r) for r in second})
    print(f"{n} numbers in both tables; {len(moved)} moved by more than {tolerance} points (timing excluded"
          + (f"; metrics {', '.join(exempt)} reported, not held to the tolerance)" if exempt else ")"))
    for m in moved:
        print(f"  MOVED {' | '.join(m['key'])} [{m['field']}]: {m['first']:.4f} -> {m['second']:.4f} "
              f"({m['points']:.2f} points)")
    for m in excused:
        print(f"  moved, not held to the tolerance: {' | '.join(m['key'])} [{m['field']}]: {m['first']:.4f} -> "
              f"{m['second']:.4f}")
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
    cmp_ = sub.add_parser("compare", help="compare two JSON tables or results folders (reproducibility check)")
    cmp_.add_argument("first", help="a JSON table (benchmarks/course.json) or a folder of results files (results/)")
    cmp_.add_argument("second", help="the same, from another run")
    cmp_.add_argument("--tolerance", type=float, default=TOLERANCE_POINTS, help="points (default 0.5)")
    cmp_.add_argument("--exempt", nargs="*", default=[], metavar="METRIC",
                      help="metrics listed when they move but not held to the tolerance (e.g. p)")
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
        return _print_comparison(_rows(args.first), _rows(args.second), args.tolerance, tuple(args.exempt))
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
