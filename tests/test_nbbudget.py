"""The notebook budget check of make test (utils.course.nbbudget) and of make course (utils.course)."""

import nbformat
import pytest

from utils.course.nbbudget import kernel_peak_rss_bytes
from utils.course.paths import ROOT
from utils.course.runner import NotebookRun, check_budgets

pytestmark = pytest.mark.slow  # each test runs pytest and nbval on a notebook: run on the locked stack only


def _notebook(path, source):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, path)


@pytest.fixture
def tiny_notebook(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("TL_SKIP_REFERENCE", "1")  # the reference workload is tested on its own (test_course)
    # the plugin is loaded as in the repository's conftest; nothing else of it is needed
    pytester.makeconftest('pytest_plugins = ["utils.course.nbbudget"]\n')
    _notebook(pytester.path / "01_tiny.ipynb", "x = bytearray(50 * 1024 * 1024)\nprint(len(x))")
    return pytester


def test_within_budget_reports_time_and_kernel_memory(tiny_notebook):
    result = tiny_notebook.runpytest_subprocess("--nbval-lax", "01_tiny.ipynb")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*notebook budgets*", "01_tiny.ipynb: * s, peak * GiB", "all notebooks: * s"])
    peak = float(next(line for line in result.outlines if line.startswith("01_tiny.ipynb:")).split("peak ")[1].split()[0])
    assert 0.05 < peak < 2  # the 50 MiB the cell holds, plus Python and IPython


def test_over_budget_fails_the_run_and_names_the_notebook(tiny_notebook, monkeypatch):
    monkeypatch.setenv("TL_BUDGET_NOTEBOOK_SECONDS", "0.001")
    result = tiny_notebook.runpytest_subprocess("--nbval-lax", "01_tiny.ipynb")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*OVER BUDGET: 01_tiny.ipynb took * s, over its budget of 0 s*"])


def test_memory_budget_and_skip_switch(tiny_notebook, monkeypatch):
    monkeypatch.setenv("TL_BUDGET_PEAK_GIB", "0.01")
    result = tiny_notebook.runpytest_subprocess("--nbval-lax", "01_tiny.ipynb")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*OVER BUDGET: 01_tiny.ipynb peaked at * GiB of memory*"])
    monkeypatch.setenv("TL_SKIP_BUDGETS", "1")
    assert tiny_notebook.runpytest_subprocess("--nbval-lax", "01_tiny.ipynb").ret == 0


def test_bad_budget_value_is_a_usage_error(tiny_notebook, monkeypatch):
    monkeypatch.setenv("TL_BUDGET_COURSE_SECONDS", "ten")
    result = tiny_notebook.runpytest_subprocess("--nbval-lax", "01_tiny.ipynb")
    assert "TL_BUDGET_COURSE_SECONDS must be a positive number" in result.stderr.str() + result.stdout.str()


def test_peak_rss_of_a_missing_process_is_zero():
    assert kernel_peak_rss_bytes(2**22 + 12345) == 0


def test_check_budgets_names_each_problem():
    gib = 1024**3
    runs = [NotebookRun("01_a.ipynb", 100.0, gib), NotebookRun("02_b.ipynb", 200.0, 3 * gib),
            NotebookRun("03_c.ipynb", 650.0, gib, error="cell 4: ValueError: bad")]
    problems = check_budgets(runs)
    assert any("02_b.ipynb took 200 s, over its budget of 180 s" in p for p in problems)
    assert any("02_b.ipynb peaked at 3.00 GiB" in p for p in problems)
    assert any("03_c.ipynb failed: cell 4: ValueError: bad" in p for p in problems)
    assert any("950 s in all, over the course budget of 900 s" in p for p in problems)
    assert not any("01_a" in p for p in problems)
    assert check_budgets(runs[:1]) == []


def test_make_test_judges_time_loosely_and_memory_strictly(monkeypatch):
    """A busy machine can make a notebook a few times slower: nbval fails only far beyond the time budget."""
    monkeypatch.setenv("TL_BUDGET_NOTEBOOK_SECONDS", "0.5")
    import utils.course.nbbudget as nbbudget

    nbbudget._limits.clear()
    nbbudget.pytest_configure(None)
    assert nbbudget._limits["notebook_seconds"] == nbbudget.TIME_SLACK * 0.5
    assert nbbudget._limits["course_seconds"] == nbbudget.TIME_SLACK * 900.0
    assert nbbudget._limits["peak_rss_bytes"] == 2 * 1024**3
    nbbudget._limits.clear()


def test_the_loose_check_gives_a_slower_machine_more_time_but_never_less_to_a_faster_one():
    from utils.course.nbbudget import budget_scale
    from utils.course.reference import BASELINE_SECONDS

    assert budget_scale(None) == 1.0
    assert budget_scale(2 * BASELINE_SECONDS) == pytest.approx(2.0)
    assert budget_scale(BASELINE_SECONDS / 2) == 1.0
