"""Notebook 06 without the files `make setup` fetches: its first cell stops with one message naming the command."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

pytestmark = pytest.mark.slow  # starts a notebook kernel: run on the locked stack only

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_transfer_learning_for_text.ipynb"


def test_without_the_text_files_the_first_cell_stops_and_names_make_setup(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_TRACK", "offline")
    monkeypatch.setenv("TL_TEXT_DIR", str(tmp_path / "empty"))  # as on a fresh clone before make setup
    assert os.environ.get("TL_FORBID_NETWORK")  # and no network: nothing may be fetched at run time
    nb = nbformat.read(NOTEBOOK, as_version=4)
    index, first = next((i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code")
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    with client.setup_kernel(), pytest.raises(CellExecutionError) as info:
        client.execute_cell(first, index)
    assert info.value.ename == "SystemExit"
    assert "Notebook 06 cannot start" in info.value.evalue and "make setup" in info.value.evalue
    assert not list((tmp_path / "empty").glob("**/*.safetensors"))  # nothing was downloaded
