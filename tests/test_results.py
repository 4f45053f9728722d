"""The results writer validates records and writes them atomically."""

import json

import pytest

from utils.course.results import RECORD_KEYS, write_results


def record(**changes):
    base = {"experiment": "e", "method": "m", "budget": 10, "metric": "accuracy", "mean": 0.9, "std": 0.01,
            "n_seeds": 3, "track": "offline"}
    return {**base, **changes}


def test_writes_records_as_json_list(tmp_path):
    path = write_results("01_feature_extraction", [record(), record(budget="all"), record(budget=None)],
                         directory=tmp_path)
    assert path == tmp_path / "01_feature_extraction.json"
    data = json.loads(path.read_text())
    assert [r["budget"] for r in data] == [10, "all", None]
    assert all(set(RECORD_KEYS) <= set(r) for r in data)
    assert [p.name for p in tmp_path.iterdir()] == ["01_feature_extraction.json"]  # no temporary file left


def test_rewrite_replaces_the_file(tmp_path):
    write_results("x", [record(mean=0.1)], directory=tmp_path)
    write_results("x", [record(mean=0.2)], directory=tmp_path)
    assert json.loads((tmp_path / "x.json").read_text())[0]["mean"] == 0.2


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([], "empty"),
        ([{"experiment": "e"}], "lacks the key"),
        ([record(budget=0)], "budget"),
        ([record(budget="some")], "budget"),
        ([record(mean=float("nan"))], "finite"),
        ([record(n_seeds=0)], "n_seeds"),
        ([record(metric="p", n_seeds=3)], "never averaged"),
    ],
)
def test_bad_records_are_refused(tmp_path, records, message):
    with pytest.raises(ValueError, match=message):
        write_results("x", records, directory=tmp_path)
    assert not list(tmp_path.iterdir())


def test_bad_stem_is_refused(tmp_path):
    with pytest.raises(ValueError, match="stem"):
        write_results("00_welcome.ipynb", [record()], directory=tmp_path)


def test_results_dir_environment_variable(tmp_path, monkeypatch):
    from utils import write_results

    record = {"experiment": "e", "method": "m", "budget": None, "metric": "accuracy", "mean": 0.5, "std": 0.0,
              "n_seeds": 1, "track": "offline"}
    monkeypatch.setenv("TL_RESULTS_DIR", str(tmp_path / "elsewhere"))
    path = write_results("99_env", [record])
    assert path == tmp_path / "elsewhere" / "99_env.json" and path.exists()
    explicit = write_results("99_env", [record], directory=tmp_path / "explicit")
    assert explicit.parent == tmp_path / "explicit"


def test_committed_results_follow_the_statistics_rules():
    """n_seeds counts runs that could differ, p-values are never averaged, no spread is typed by hand.

    (A std of exactly 0 over several seeds can be honest: five seeds that each score 100%. What is
    checked is that the deterministic fits are one run and that no notebook types a std.)"""
    import re

    from utils.course.paths import ROOT

    problems = []
    for path in sorted((ROOT / "results").glob("*.json")):
        for r in json.loads(path.read_text()):
            where = f"{path.name}: {r['experiment']} / {r['method']} / {r['budget']}"
            if r["metric"] == "p" and r["n_seeds"] > 1:
                problems.append(f"{where}: p-value averaged over {r['n_seeds']} seeds")
            # a deterministic fit on a fixed split (all labels, a linear probe) cannot change with the seed: 1 run
            deterministic = r["budget"] == "all" and ("raw pixels" in r["method"] or "linear-probe" in r["metric"]
                                                      or r["method"].startswith("(c) linear probe"))
            if deterministic and r["n_seeds"] != 1:
                problems.append(f"{where}: a deterministic result recorded as {r['n_seeds']} seeds")
    literal_std = re.compile(r"""["']std["']\s*:\s*-?[0-9.]""")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code" and literal_std.search("".join(cell["source"])):
                problems.append(f"{path.name}: a code cell writes a literal std")
    assert not problems, "\n".join(problems)


def test_results_summary_is_rendered_from_the_records_with_their_intervals():
    from utils.course.results import results_summary

    records = [{"experiment": "e", "method": "a − b", "budget": None, "metric": "accuracy gain", "mean": -0.073,
                "std": 0.0, "n_seeds": 1, "track": "imagenet", "ci_low": -0.1, "ci_high": -0.04},
               {"experiment": "e", "method": "probe", "budget": 10, "metric": "accuracy", "mean": 0.5, "std": 0.1,
                "n_seeds": 3, "track": "imagenet"}]
    text = results_summary(records, budget_label="sentences").data
    assert text.startswith("### Results of this run (imagenet track)")
    assert "| method | sentences |" in text and "[95% interval −10.0 points, −4.0 points]" in text
    assert "| probe | 10 | accuracy | 50.0% ± 10.0% | 3 |" in text
    assert results_summary(records)._repr_markdown_() == results_summary(records).data
    with pytest.raises(ValueError, match="empty"):
        results_summary([])
