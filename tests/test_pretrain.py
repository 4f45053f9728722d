"""Rebuilding a course backbone with the command on its card reproduces its card."""

import json
import shlex

import pytest

from utils import pretrain
from utils.backbones import load_card


def test_unknown_recipe_is_rejected_with_the_known_names():
    with pytest.raises(ValueError, match="glyphnet-letters"):
        pretrain.pretrain("no-such-net")


def test_bad_epochs_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="epochs"):
        pretrain.pretrain("glyphnet-letters", out_dir=tmp_path, epochs=0)


def test_cli_rejects_unknown_name(capsys):
    with pytest.raises(SystemExit):
        pretrain.main(["no-such-net"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.slow  # about 90 s: run on the locked stack only
def test_rebuild_with_the_card_command_matches_the_card(tmp_path):
    """The slow one (about a minute): the shipped card's command, rerun, lands within 1 point."""
    shipped = load_card("glyphnet-letters")
    argv = shlex.split(shipped["command"])
    assert argv[:3] == ["python", "-m", "utils.pretrain"]
    assert pretrain.main([*argv[3:], "--out", str(tmp_path)]) == 0
    rebuilt = json.loads((tmp_path / "glyphnet-letters.json").read_text())
    assert abs(rebuilt["source_accuracy"] - shipped["source_accuracy"]) <= 0.01
    assert rebuilt["parameters"] == shipped["parameters"]
    assert rebuilt["seed"] == shipped["seed"]
    assert (tmp_path / "glyphnet-letters.weights.h5").stat().st_size <= 2_000_000
    # the write is atomic: no temporary files are left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["glyphnet-letters.json", "glyphnet-letters.weights.h5"]
