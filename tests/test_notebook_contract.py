"""What every lesson notebook promises a learner: the course figure style, exercises to do with hidden
solutions, a quiz, plain Keras before any helper, and a link to the next notebook."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
KERAS_FIRST = ("01_", "02_", "03_")


def _cells(path, kind=None):
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if kind is None or c["cell_type"] == kind]


def _code(path):
    return "\n".join("".join(c["source"]) for c in _cells(path, "code"))


def _tagged(path, tag):
    return [c for c in _cells(path, "code") if tag in c.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_uses_the_course_figure_style_and_no_low_resolution(path):
    code = _code(path)
    assert "set_course_style(" in code, f"{path.name}: call utils.set_course_style() in the setup cell"
    for dpi in re.findall(r"figure\.dpi\W+(\d+)", code) + re.findall(r"dpi\s*=\s*(\d+)", code):
        assert int(dpi) >= 100, f"{path.name}: dpi {dpi} is below 100"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_has_exercises_to_do_hidden_solutions_and_a_quiz(path):
    exercises, solutions = _tagged(path, "exercise"), _tagged(path, "solution")
    assert len(exercises) >= 2 and len(solutions) >= 2, f"{path.name}: {len(exercises)} exercise, {len(solutions)} solution cells"
    for cell in exercises:
        assert "TODO" in "".join(cell["source"]), f"{path.name}: a starter cell without a # TODO"
    for cell in solutions:
        assert cell["metadata"].get("jupyter", {}).get("source_hidden"), f"{path.name}: a solution is not collapsed"
    headings = [line for c in _cells(path, "markdown") for line in "".join(c["source"]).splitlines()]
    assert any(re.match(r"#+ .*Quiz", line) for line in headings), f"{path.name}: no Quiz section"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name.startswith(KERAS_FIRST)], ids=lambda p: p.stem)
def test_the_first_recipes_are_taught_in_plain_keras(path):
    code = _code(path)
    for piece in ("trainable = False", ".compile(", ".fit("):
        assert piece in code, f"{path.name}: no {piece!r} in its code"


@pytest.mark.parametrize("path", NOTEBOOKS[:-1], ids=lambda p: p.stem)
def test_every_notebook_ends_with_a_link_to_the_next(path):
    following = NOTEBOOKS[NOTEBOOKS.index(path) + 1].name
    tail = "".join("".join(c["source"]) for c in _cells(path, "markdown")[-3:])
    assert f"]({following})" in tail, f"{path.name}: its last cells do not link to {following}"


def test_notebook_00_records_an_unsupervised_transfer_result():
    records = json.loads((ROOT / "results" / "00_welcome_and_setup.json").read_text())
    assert any("unsupervised transfer" in r["experiment"] for r in records)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_is_right_on_both_tracks(path):
    """Results summary generated from the run's records; published imagenet-track figures labelled as such."""
    assert "utils.results_summary(" in _code(path), f"{path.name}: no results summary generated from the records"
    prose = "\n".join("".join(c["source"]) for c in _cells(path, "markdown"))
    assert "What to expect on the imagenet track" in prose, f"{path.name}: no 'What to expect on the imagenet track'"
    assert "published, not measured here" in prose
    assert re.search(r"https?://", prose), f"{path.name}: its published figures need sources"
    assert "if TRACK == \"offline\":\n    utils.write_results" not in _code(path)  # results on every track


def test_the_classic_vgg16_on_cifar10_example_is_in_the_notebooks():
    code = "\n".join(_code(p) for p in NOTEBOOKS)
    assert "keras.applications.VGG16(" in code and "keras.datasets.cifar10.load_data()" in code
