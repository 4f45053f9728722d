"""utils.course: executing notebooks with measurements, the results table, README rewriting, comparison."""

import json
import math
from pathlib import Path

import nbformat
import pytest

from utils.course import runner as course
from utils.course.runner import NotebookRun


@pytest.fixture(autouse=True)
def _reference_workload(monkeypatch):
    """The reference workload takes seconds; these tests use a fixed stand-in (tests/test_reference.py runs it)."""
    from utils.course import reference

    monkeypatch.setattr(reference, "measure", lambda repeats=5: 2 * reference.BASELINE_SECONDS)


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def _row(notebook="01_a", metric="accuracy", mean=0.9, std=0.01, n_seeds=3, budget=10, method="probe"):
    return {"notebook": notebook, "experiment": "e", "method": method, "budget": budget, "metric": metric,
            "mean": mean, "std": std, "n_seeds": n_seeds, "track": "offline"}


def test_execute_notebook_writes_outputs_and_measures_the_kernel(tmp_path):
    path = _notebook(tmp_path / "01_ok.ipynb", "x = bytearray(30 * 1024 * 1024)\nprint(6 * 7)")
    run = course.execute_notebook(path, timeout=60)
    assert run.error is None and run.notebook == "01_ok.ipynb"
    assert isinstance(run.seconds, float) and math.isfinite(run.seconds)  # measured, never bounded
    assert 30 * 1024**2 < run.peak_rss_bytes < 2 * 1024**3  # the kernel held the 30 MiB
    outputs = nbformat.read(path, as_version=4).cells[0].outputs
    assert outputs[0]["text"].strip() == "42"


def test_failed_notebook_is_reported_and_not_overwritten(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_CACHE_DIR", str(tmp_path / "cache"))
    path = _notebook(tmp_path / "02_bad.ipynb", "print('fine')", "raise ValueError('broken on purpose')")
    before = path.read_bytes()
    run = course.execute_notebook(path, timeout=60)
    assert run.error is not None
    assert "cell [2] (raise ValueError" in run.error and "ValueError: broken on purpose" in run.error
    assert "\x1b[" not in run.error  # no terminal colour codes
    assert path.read_bytes() == before
    kept = tmp_path / "cache" / "course" / "02_bad.failed.ipynb"
    assert kept.exists() and str(kept) in run.error
    assert check_failed(run)


def check_failed(run):
    return any("02_bad.ipynb failed" in p for p in course.check_budgets([run]))


def test_execute_notebook_refuses_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a notebook"):
        course.execute_notebook(tmp_path / "missing.ipynb")
    path = _notebook(tmp_path / "03_x.ipynb", "1")
    with pytest.raises(ValueError, match="timeout"):
        course.execute_notebook(path, timeout=0)


def test_list_notebooks_finds_the_numbered_ones_in_order(tmp_path):
    for name in ("02_b.ipynb", "00_a.ipynb", "scratch.ipynb", "1_c.ipynb"):
        _notebook(tmp_path / name, "1")
    assert [p.name for p in course.list_notebooks(tmp_path)] == ["00_a.ipynb", "02_b.ipynb"]
    with pytest.raises(FileNotFoundError, match="no numbered notebooks"):
        course.list_notebooks(tmp_path / "empty")


def test_the_course_has_eight_notebooks_each_with_results():
    stems = [p.stem for p in course.list_notebooks()]
    assert stems[0].startswith("00_") and len(stems) == 8
    rows = course.collect_results()
    assert {r["notebook"] for r in rows} == set(stems)


def test_collect_results_adds_the_notebook_and_skips_missing_files(tmp_path):
    (tmp_path / "01_a.json").write_text(json.dumps([{k: v for k, v in _row().items() if k != "notebook"}]))
    rows = course.collect_results(tmp_path, ["notebooks/01_a.ipynb", "notebooks/02_none.ipynb"])
    assert rows == [_row()]
    (tmp_path / "01_a.json").write_text("{}")
    with pytest.raises(ValueError, match="list of records"):
        course.collect_results(tmp_path, ["01_a.ipynb"])


@pytest.mark.parametrize(("row", "text"), [
    (_row(mean=0.8948, std=0.0281), "89.5% ± 2.8%"),
    (_row(mean=0.9644, n_seeds=1), "96.4%"),
    (_row(metric="accuracy gain", mean=-0.003, std=0.003), "−0.3 ± 0.3 points"),
    (_row(metric="accuracy gain", mean=0.1696, std=0.0319), "+17.0 ± 3.2 points"),
    (_row(metric="ECE (test, 15 bins)", mean=0.04694, std=0.00492), "0.047 ± 0.005"),
    (_row(metric="Kendall tau", mean=0.8, std=0.0, n_seeds=1), "+0.80"),
    (_row(metric="proxy A-distance", mean=1.9213, std=0.022), "1.92 ± 0.02"),
    (_row(metric="speed-up", mean=156.18, n_seeds=1), "156.2×"),
    (_row(metric="p", mean=0.00031822, n_seeds=1), "3.2e−04"),  # tiny values in scientific notation, not 0.000
    (_row(metric="reverse validation loss", mean=3.4e-4, std=2.5e-4, n_seeds=5), "3.4e−04 ± 2.5e−04"),
    (_row(metric="largest |weight difference|", mean=0.0, n_seeds=1), "0.000"),
    (_row(metric="time per step (ms)", mean=7.234, std=0.21, n_seeds=3), "7.2 ± 0.2"),
    (_row(metric="trainable share of the parameters", mean=0.00993, n_seeds=1), "1.0%"),
])
def test_format_value_uses_the_unit_readers_expect(row, text):
    assert course.format_value(row) == text


def test_results_markdown_groups_by_notebook_with_costs():
    rows = [_row(), _row(notebook="02_b", method="a | b", budget=None)]
    text = course.results_markdown(rows, [NotebookRun("01_a.ipynb", 12.3, 1024**3)])
    assert text.count("<details>") == 2
    assert "<b>01 a</b>: 1 numbers, 12 s, 1.00 GiB" in text
    assert "| e | probe | 10 | accuracy | 90.0% ± 1.0% | 3 |" in text
    assert "| e | a \\| b | – | accuracy |" in text  # pipes escaped, no budget shown as a dash


def test_costs_markdown_flags_what_is_over_budget():
    runs = [NotebookRun("01_a.ipynb", 100, 1024**3), NotebookRun("02_b.ipynb", 200, 1024**3)]
    text = course.costs_markdown(runs, "a test machine")
    assert "| 01_a.ipynb | 100 s | 1.00 GiB | yes |" in text
    assert "| 02_b.ipynb | 200 s | 1.00 GiB | **no** |" in text
    assert "**5 min 00 s**" in text and "a test machine" in text


def test_replace_block_rewrites_only_between_markers():
    text = "intro\n<!-- t:start -->\nold\n<!-- t:end -->\noutro\n"
    assert course.replace_block(text, "t", "new\n") == "intro\n<!-- t:start -->\nnew\n<!-- t:end -->\noutro\n"
    with pytest.raises(ValueError, match="no block"):
        course.replace_block("no markers", "t", "x")


def test_the_readme_has_both_generated_blocks():
    text = (course.ROOT / "README.md").read_text()
    for name in course.README_BLOCKS:
        assert f"<!-- {name}:start -->" in text and f"<!-- {name}:end -->" in text


def test_rewrite_readme_and_json_table_round_trip(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- results-table:start -->\n<!-- results-table:end -->\n"
                      "<!-- notebook-costs:start -->\n<!-- notebook-costs:end -->\n"
                      "<!-- syllabus:start -->\n| [01 a](notebooks/01_a.ipynb) | ? | x |\n<!-- syllabus:end -->\n")
    runs = [NotebookRun("01_a.ipynb", 10.0, 1024**3)]
    course.rewrite_readme([_row()], runs, readme=readme)
    assert "90.0% ± 1.0%" in readme.read_text() and "| 01_a.ipynb | 10 s |" in readme.read_text()
    assert "| [01 a](notebooks/01_a.ipynb) | 10 s | x |" in readme.read_text()
    rows, runs_back, machine = course.read_table(course.write_table(tmp_path / "t.json", [_row()], runs))
    assert rows == [_row()] and runs_back == runs and "cores" in machine


def test_compare_tables_reports_moves_over_half_a_point_and_timing_separately():
    first = [_row(mean=0.900), _row(method="m2", mean=0.500), _row(metric="speed-up", mean=50.0),
             _row(method="gone")]
    second = [_row(mean=0.904), _row(method="m2", mean=0.510, std=0.02), _row(metric="speed-up", mean=40.0),
              _row(method="new")]
    moved, timing, missing = course.compare_tables(first, second)
    assert [(m["key"][2], m["field"]) for m in moved] == [("m2", "mean"), ("m2", "std")]
    assert moved[0]["points"] == pytest.approx(1.0)
    assert timing[0]["relative change"] == pytest.approx(0.2)
    assert {k[2] for k in missing} == {"gone", "new"}
    assert course.compare_tables(first, first) == ([], [{**timing[0], "second": 50.0, "relative change": 0.0}], [])
    with pytest.raises(ValueError, match="tolerance_points"):
        course.compare_tables(first, second, tolerance_points=-1)


def test_run_course_refuses_an_unknown_track():
    with pytest.raises(ValueError, match="track must be one of"):
        course.run_course(["notebooks/00_welcome_and_setup.ipynb"], track="gpu", readme=False, table=None)


def test_run_course_on_a_tiny_notebook_writes_the_table_and_checks_budgets(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_RESULTS_DIR", str(tmp_path / "results"))
    path = _notebook(tmp_path / "01_tiny.ipynb",
                     "import os, json, pathlib\n"
                     "d = pathlib.Path(os.environ['TL_RESULTS_DIR']); d.mkdir(exist_ok=True)\n"
                     "row = dict(experiment='e', method='m', budget=None, metric='accuracy', mean=0.5, std=0.0,\n"
                     "           n_seeds=1, track=os.environ['TL_TRACK'])\n"
                     "(d / '01_tiny.json').write_text(json.dumps([row]))")
    lines = []
    runs, problems = course.run_course([path], readme=False, table=tmp_path / "t.json", log=lines.append)
    assert problems == [] and runs[0].error is None
    rows, _, _ = course.read_table(tmp_path / "t.json")
    assert rows[0]["notebook"] == "01_tiny" and rows[0]["track"] == "offline"
    assert any("01_tiny.ipynb" in line for line in lines)
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["reference"]["seconds"] == 2 * data["reference"]["baseline_seconds"]
    assert data["runs"][0]["reference_ratio"] == round(data["runs"][0]["seconds"] / data["reference"]["seconds"], 2)


def test_time_budgets_scale_with_the_reference_workload():
    from utils.course.reference import BASELINE_SECONDS

    runs = [NotebookRun("01_a.ipynb", 300.0, 1)]
    assert any("over its budget of 180 s" in p for p in course.check_budgets(runs))
    # a machine twice as slow as the budget's (by the reference workload) gets twice the time
    assert course.check_budgets(runs, reference_seconds=2 * BASELINE_SECONDS) == []
    problems = course.check_budgets([NotebookRun("01_a.ipynb", 400.0, 1)], reference_seconds=2 * BASELINE_SECONDS)
    assert any("over its budget of 360 s" in p and "times the reference workload" in p for p in problems)


def _results_notebook(path, mean):
    return _notebook(path,
                     "import os, json, pathlib\n"
                     "d = pathlib.Path(os.environ['TL_RESULTS_DIR']); d.mkdir(exist_ok=True)\n"
                     f"row = dict(experiment='e', method='m', budget=None, metric='accuracy', mean={mean}, std=0.0,\n"
                     "           n_seeds=1, track=os.environ['TL_TRACK'])\n"
                     f"(d / '{path.stem}.json').write_text(json.dumps([row]))")


def test_running_one_notebook_keeps_the_others_in_the_table(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_RESULTS_DIR", str(tmp_path / "results"))
    first, second = _results_notebook(tmp_path / "01_a.ipynb", 0.5), _results_notebook(tmp_path / "02_b.ipynb", 0.7)
    table = tmp_path / "t.json"
    course.run_course([first, second], readme=False, table=table, log=lambda _: None)
    course.run_course([second], readme=False, table=table, log=lambda _: None)
    rows, runs, _ = course.read_table(table)
    assert [r.notebook for r in runs] == ["01_a.ipynb", "02_b.ipynb"]
    assert [r["notebook"] for r in rows] == ["01_a", "02_b"]


def test_the_imagenet_track_never_overwrites_committed_files(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TL_RESULTS_DIR", raising=False)
    path = _results_notebook(tmp_path / "01_a.ipynb", 0.5)
    before = path.read_bytes()
    committed = course.DEFAULT_TABLE.read_bytes()
    runs, problems = course.run_course([path], track="imagenet", log=lambda _: None)
    assert problems == [] and runs[0].error is None
    assert path.read_bytes() == before and course.DEFAULT_TABLE.read_bytes() == committed
    rows, _, _ = course.read_table(tmp_path / "cache" / "course" / "imagenet.json")
    assert rows[0]["track"] == "imagenet"


def test_budget_limits_read_the_environment_and_refuse_nonsense():
    assert course.budget_limits({}) == {"notebook_seconds": 180.0, "course_seconds": 900.0,
                                        "peak_rss_bytes": 2 * 1024**3}
    assert course.budget_limits({"TL_BUDGET_NOTEBOOK_SECONDS": "240"})["notebook_seconds"] == 240.0
    for bad in ("0", "-3", "ten"):
        with pytest.raises(ValueError, match="TL_BUDGET_PEAK_GIB must be a positive number"):
            course.budget_limits({"TL_BUDGET_PEAK_GIB": bad})


def test_costs_markdown_judges_by_the_budgets_scaled_to_the_reference():
    from utils.course.reference import BASELINE_SECONDS

    runs = [NotebookRun("01_a.ipynb", 200, 1024**3)]
    slower = course.costs_markdown(runs, reference_seconds=2 * BASELINE_SECONDS)  # budget 360 s here
    assert f"| 01_a.ipynb | 200 s | {200 / (2 * BASELINE_SECONDS):.1f} | 1.00 GiB | yes |" in slower
    assert "scale to 360 s per notebook" in slower
    # a faster machine is held to the budgets as stated (180 s), never to tighter ones
    faster = course.costs_markdown(runs, reference_seconds=BASELINE_SECONDS / 2)
    assert f"| 01_a.ipynb | 200 s | {200 / (BASELINE_SECONDS / 2):.1f} | 1.00 GiB | **no** |" in faster
    assert course.check_budgets(runs, reference_seconds=BASELINE_SECONDS / 2)  # the same verdict
    within = [NotebookRun("01_a.ipynb", 150, 1024**3)]
    assert "| yes |" in course.costs_markdown(within, reference_seconds=BASELINE_SECONDS / 2)
    assert course.check_budgets(within, reference_seconds=BASELINE_SECONDS / 2) == []


def test_costs_markdown_rounds_minutes_and_seconds_together():
    assert "**2 min 00 s**" in course.costs_markdown([NotebookRun("01_a.ipynb", 119.7, 0)])


def test_update_notebook_cost_rewrites_only_the_marked_markdown(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("badges\n\n<!-- cost:start -->\nold\n<!-- cost:end -->"),
                nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output("stream", text="kept\n")])]
    path = tmp_path / "01_a.ipynb"
    nbformat.write(nb, path)
    run = NotebookRun("01_a.ipynb", 84.4, int(1.19 * 1024**3))
    assert course.update_notebook_cost(path, run)
    back = nbformat.read(path, as_version=4)
    assert "offline track 1 min 24 s" in back.cells[0].source and "peak memory 1.2 GiB" in back.cells[0].source
    assert "old" not in back.cells[0].source and back.cells[1].outputs[0]["text"] == "kept\n"
    assert not course.update_notebook_cost(path, run)  # unchanged the second time
    assert not course.update_notebook_cost(_notebook(tmp_path / "02_b.ipynb", "1"), run)  # no markers


def test_every_course_notebook_states_its_measured_cost():
    _, runs, _ = course.read_table(course.DEFAULT_TABLE)
    by_name = {r.notebook: r for r in runs}
    for path in course.list_notebooks():
        badges = nbformat.read(path, as_version=4).cells[1].source
        assert course.cost_sentence(by_name[path.name]).split(" on a ")[0] in badges, path.name


def test_command_line_run_fails_with_a_message_when_over_budget(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TL_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("TL_BUDGET_NOTEBOOK_SECONDS", "0.001")
    path = _results_notebook(tmp_path / "01_a.ipynb", 0.5)
    assert course.main(["run", str(path), "--no-readme", "--no-write", "--table", str(tmp_path / "t.json")]) == 1
    err = capsys.readouterr().err
    assert "over budget or broken" in err and "01_a.ipynb took" in err and "over its budget of 0 s" in err
    monkeypatch.delenv("TL_BUDGET_NOTEBOOK_SECONDS")
    assert course.main(["run", str(path), "--no-readme", "--no-write", "--table", str(tmp_path / "t.json")]) == 0
    assert "ran within budget" in capsys.readouterr().out
    assert course.main(["compare", str(tmp_path / "t.json"), str(tmp_path / "t.json")]) == 0


def test_the_reference_is_sampled_during_the_run_and_its_median_judges(tmp_path, monkeypatch):
    from utils.course import reference

    samples = iter([1.0, 5.0, 2.0])  # before, halfway (after the second of four notebooks), after
    monkeypatch.setattr(reference, "measure", lambda repeats=5: next(samples))
    monkeypatch.setattr(course, "execute_notebook", lambda path, **_: NotebookRun(Path(path).name, 10.0, 1))
    monkeypatch.setenv("TL_RESULTS_DIR", str(tmp_path / "results"))
    paths = [_notebook(tmp_path / f"0{i}_x.ipynb", "pass") for i in range(4)]
    lines = []
    runs, problems = course.run_course(paths, readme=False, table=None,
                                       write=False, log=lines.append)
    assert [line for line in lines if line.startswith("reference")][-1] == \
        "reference workload: 2.00 s (median of 3 samples)"
    assert next(samples, None) is None and problems == []


def test_the_text_notebook_has_twice_the_notebook_budget_and_the_others_do_not():
    from utils.course.budgets import NOTEBOOK_SECONDS, NotebookRun, check_budgets, notebook_budget

    assert notebook_budget("06_transfer_learning_for_text.ipynb") == 2 * NOTEBOOK_SECONDS
    assert notebook_budget("notebooks/02_fine_tuning.ipynb") == NOTEBOOK_SECONDS
    runs = [NotebookRun("06_transfer_learning_for_text.ipynb", 1.5 * NOTEBOOK_SECONDS, 0),
            NotebookRun("02_fine_tuning.ipynb", 1.5 * NOTEBOOK_SECONDS, 0)]
    problems = check_budgets(runs, course_seconds=1e9)
    assert len(problems) == 1 and problems[0].startswith("02_fine_tuning.ipynb took")


def test_the_syllabus_gets_each_notebook_measured_time_and_keeps_its_text():
    from utils.course.tables import syllabus_markdown

    block = ("| notebook | time | what it teaches |\n|---|---|---|\n"
             "| [00 welcome](notebooks/00_a.ipynb) | ? | settings | and more |\n"
             "| [01 features](notebooks/01_b.ipynb) | 9 s | probes |\n")
    runs = [NotebookRun("00_a.ipynb", 75.4, 1)]
    out = syllabus_markdown(block, runs)
    assert "| [00 welcome](notebooks/00_a.ipynb) | 1 min 15 s | settings | and more |" in out
    assert "| [01 features](notebooks/01_b.ipynb) | not measured | probes |" in out
    assert out.splitlines()[:2] == block.splitlines()[:2]


def test_the_readme_syllabus_lists_every_notebook():
    from utils.course.tables import _between

    syllabus = _between((Path(__file__).resolve().parents[1] / "README.md").read_text(), "syllabus")
    for path in course.list_notebooks():
        assert f"(notebooks/{path.name})" in syllabus, f"{path.name} is missing from the README's syllabus"


def test_a_full_imagenet_run_on_a_gpu_fills_benchmarks_imagenet_and_its_readme_block(tmp_path, monkeypatch):
    from utils.course import quiet, tables

    monkeypatch.setenv("TL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("TL_RESULTS_DIR", raising=False)
    monkeypatch.delenv("TL_MINIATURE", raising=False)
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- imagenet-gpu:start -->\nold\n<!-- imagenet-gpu:end -->\n")
    monkeypatch.setattr(course, "IMAGENET_TABLE", tmp_path / "imagenet.json")
    monkeypatch.setattr(course, "rewrite_imagenet_readme",
                        lambda rows, runs, machine: tables.rewrite_imagenet_readme(rows, runs, readme=readme, machine=machine))
    monkeypatch.setattr(course, "list_notebooks", lambda folder=None: [_results_notebook(tmp_path / "01_a.ipynb", 0.5)])
    monkeypatch.setattr(quiet, "gpu_available", lambda: True)
    committed = course.DEFAULT_TABLE.read_bytes()
    runs, problems = course.run_course(track="imagenet", log=lambda _: None)
    assert problems == [] and course.DEFAULT_TABLE.read_bytes() == committed
    rows, saved, _ = course.read_table(tmp_path / "imagenet.json")
    assert rows[0]["track"] == "imagenet" and saved[0].notebook == "01_a.ipynb"
    text = readme.read_text()
    assert "| 01_a.ipynb |" in text and "Not measured" not in text and "old" not in text


def test_imagenet_block_says_not_measured_until_a_gpu_run():
    from utils.course import tables

    assert tables.imagenet_markdown([], []).startswith("**Not measured yet.**")
    readme = (course.ROOT / "README.md").read_text()
    assert "<!-- imagenet-gpu:start -->" in readme and "<!-- imagenet-gpu:end -->" in readme


def test_no_committed_results_or_benchmark_carries_a_rehearsal_or_imagenet_number():
    """results/ and benchmarks/course.json hold the offline track's numbers; imagenet.json only GPU runs."""
    for path in sorted((course.ROOT / "results").glob("*.json")):
        assert {r["track"] for r in json.loads(path.read_text())} == {"offline"}, path.name
    assert {r["track"] for r in json.loads(course.DEFAULT_TABLE.read_text())["results"]} == {"offline"}
    gpu = json.loads((course.ROOT / "benchmarks" / "imagenet.json").read_text())
    assert all(r["track"] == "imagenet" for r in gpu["results"])


def test_compare_reads_results_folders_holds_them_to_the_tolerance_and_lists_exempt_metrics(tmp_path, capsys):
    def folder(name, accuracy, p):
        (tmp_path / name).mkdir()
        records = [{"experiment": "e", "method": "m", "budget": None, "metric": "accuracy", "mean": accuracy,
                    "std": 0.01, "n_seeds": 5, "track": "offline"},
                   {"experiment": "e", "method": "m − c", "budget": None, "metric": "p", "mean": p, "std": 0.0,
                    "n_seeds": 1, "track": "offline"},
                   {"experiment": "e", "method": "m", "budget": None, "metric": "seconds per epoch", "mean": 3.0 * p,
                    "std": 0.0, "n_seeds": 1, "track": "offline"}]
        (tmp_path / name / "03_domain_adaptation.json").write_text(json.dumps(records))
        return str(tmp_path / name)

    committed = folder("committed", 0.700, 0.058)
    assert course.main(["compare", committed, folder("close", 0.715, 0.100), "--tolerance", "2", "--exempt", "p"]) == 0
    out = capsys.readouterr().out
    assert "0 moved by more than 2.0 points" in out and "not held to the tolerance" in out and "| p [mean]" in out
    assert course.main(["compare", committed, folder("far", 0.730, 0.058), "--tolerance", "2", "--exempt", "p"]) == 1
    assert "MOVED 03_domain_adaptation | e | m | None | accuracy [mean]: 0.7000 -> 0.7300 (3.00 points)" in \
        capsys.readouterr().out
    assert course.main(["compare", committed, folder("p moved", 0.700, 0.100), "--tolerance", "2"]) == 1  # p not exempt
    with pytest.raises(SystemExit, match="does not exist"):
        course.main(["compare", committed, str(tmp_path / "nowhere.json")])
