"""utils.course.rehearsal and utils.course.standins: the imagenet track rehearsed against local stand-ins."""

import json
import socket
import tarfile
import urllib.request

import nbformat
import numpy as np
import pytest

from utils.course import rehearsal, standins
from utils.course.paths import ROOT
from utils.course.results import write_results

RECORD = {"experiment": "e", "method": "m", "budget": None, "metric": "accuracy", "mean": 0.5, "std": 0.0,
          "n_seeds": 1, "track": "imagenet"}
REAL_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def test_dataset_standins_have_the_real_layouts(tmp_path):
    from utils.web_data import load_photo_splits, load_svhn_mnist

    with tarfile.open(standins.write_flowers(tmp_path, per_class=10, size=16)) as tar:
        names = tar.getnames()
        tar.extractall(tmp_path / "x", filter="data")
    assert {n.split("/")[1] for n in names} == set(standins.FLOWER_CLASSES) and all(n.endswith(".jpg") for n in names)
    photos = load_photo_splits(tmp_path / "x" / "flower_photos", image_size=16)
    assert photos.class_names == ("daisy", "dandelion", "roses", "sunflowers", "tulips") and len(photos.test) > 0

    standins.write_svhn(tmp_path)
    standins.write_mnist(tmp_path)
    pair = load_svhn_mnist(directory=tmp_path, n_source=100, n_source_val=50, n_target=100, n_test=50)
    assert pair.source.x.shape == (100, 32, 32, 3) and set(pair.target_test.y) == set(range(10))


def test_cifar10_standin_has_the_real_counts_and_keys(tmp_path):
    import pickle

    with tarfile.open(standins.write_cifar10(tmp_path)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert {f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)} < set(members)
        batch = pickle.loads(tar.extractfile(members["cifar-10-batches-py/test_batch"]).read(), encoding="bytes")
    assert batch[b"data"].shape == (10000, 3072) and batch[b"data"].dtype == np.uint8
    assert sorted(set(batch[b"labels"])) == list(range(10))


def test_class_images_differ_between_classes_and_repeat_under_a_seed():
    a = standins.class_images([0, 1, 0], 16, seed=3)
    assert a.shape == (3, 16, 16, 3) and a.dtype == np.uint8
    assert np.abs(a[0].astype(int) - a[1]).mean() > 20  # another class looks different
    assert np.array_equal(a, standins.class_images([0, 1, 0], 16, seed=3))


def test_known_files_and_builders():
    assert standins.known_file("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
    assert standins.known_file("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5")
    assert standins._app_builder("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_128_no_top.h5") == (
        "MobileNetV2", {"alpha": 0.5, "input_shape": (128, 128, 3)})
    assert not standins.known_file("imagenet_full_train.tar") and not standins.known_file("../etc/passwd")


@pytest.fixture
def served(tmp_path):
    files = standins.StandIns(tmp_path / "standins")
    lines = []
    with rehearsal.Server(files, lines.append) as server:
        yield files, server, lines


def test_server_serves_standins_answers_404_otherwise_and_frees_its_port(served):
    files, server, lines = served
    url = f"http://127.0.0.1:{server.port}"
    data = urllib.request.urlopen(f"{url}/mnist.npz", timeout=10).read()
    assert data == (files.folder / "mnist.npz").read_bytes()
    assert files.manifest() == {"mnist.npz": standins._sha256(files.folder / "mnist.npz")}
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{url}/not-a-standin.bin", timeout=10)
    assert err.value.code == 404 and err.value.headers["X-Error-Code"] == "EntryNotFound"
    assert any("404" in line for line in lines) and any("sent /mnist.npz" in line for line in lines)


def test_port_is_free_after_the_server_stops(tmp_path):
    with rehearsal.Server(standins.StandIns(tmp_path), print) as server:
        port = server.port
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # raises if the port were still held


def test_activate_sends_keras_downloads_to_the_server_and_accepts_only_standins(served, tmp_path, monkeypatch):
    import keras
    from keras.src.utils import file_utils

    files, server, _ = served
    monkeypatch.setattr(file_utils, "urlretrieve", file_utils.urlretrieve)  # restored after the test
    monkeypatch.setattr(file_utils, "validate_file", file_utils.validate_file)
    monkeypatch.setattr(rehearsal, "_ACTIVE", {})
    monkeypatch.setenv("TL_REHEARSAL_EAGER", "0")  # eager execution is global: it must not leak into other tests
    log = tmp_path / "kernel.log"
    rehearsal.activate(server.port, str(files.folder), str(log))
    assert rehearsal.active()
    # the published checksum of the real file: the stand-in is accepted because the manifest lists it
    path = keras.utils.get_file("mnist.npz", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
                                file_hash=REAL_MNIST_SHA256, cache_dir=str(tmp_path / "k"))
    assert open(path, "rb").read() == (files.folder / "mnist.npz").read_bytes()
    text = log.read_text()
    assert "download https://storage.googleapis.com/" in text and f"127.0.0.1:{server.port}/mnist.npz" in text
    assert "a stand-in, accepted" in text
    # a cached file that is not a stand-in is refused (and Keras then fetches the stand-in again)
    bogus = tmp_path / "bogus.bin"
    bogus.write_bytes(b"not a stand-in")
    assert file_utils.validate_file(str(bogus), REAL_MNIST_SHA256) is False


def test_rehearsal_records_are_stamped_and_refused_under_results(tmp_path, monkeypatch):
    monkeypatch.setattr(rehearsal, "_ACTIVE", {"port": 1})
    path = write_results("01_x", [RECORD], directory=tmp_path)
    assert json.loads(path.read_text())[0]["track"] == "imagenet-rehearsal"
    for folder in (ROOT / "results", ROOT / "results" / "sub"):
        with pytest.raises(ValueError, match="TL_RESULTS_DIR"):
            write_results("01_x", [RECORD], directory=folder)
    monkeypatch.setenv("TL_RESULTS_DIR", str(ROOT / "results"))
    with pytest.raises(ValueError, match="never go to"):
        write_results("01_x", [RECORD])
    assert not (ROOT / "results" / "01_x.json").exists()


def test_a_rehearsal_record_is_refused_under_results_even_outside_a_rehearsal(tmp_path):
    with pytest.raises(ValueError, match="rehearsal"):
        write_results("01_x", [{**RECORD, "track": "imagenet-rehearsal"}], directory=ROOT / "results")


def test_imagenet_records_go_to_the_cache_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("TL_RESULTS_DIR", raising=False)
    monkeypatch.setenv("TL_CACHE_DIR", str(tmp_path))
    path = write_results("01_x", [RECORD])
    assert path == tmp_path / "course" / "imagenet-results" / "01_x.json"


def _write_results_source(stem, track, directory=""):
    """The code of a notebook cell that writes one record (RECORD, with its track) for notebook ``stem``."""
    record = {k: v for k, v in RECORD.items() if k != "track"}
    return f"utils.write_results({stem!r}, [{{**{record!r}, 'track': {track}}}]{directory})"


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_rehearse_runs_a_notebook_that_downloads_and_keeps_results_out_of_results(tmp_path, monkeypatch):
    """End to end: a kernel whose download goes to the stand-in server, results stamped, results/ untouched."""
    monkeypatch.delenv("TL_RESULTS_DIR", raising=False)
    nb = _notebook(
        tmp_path / "01_download.ipynb",
        "import os, utils\nassert os.environ['TL_TRACK'] == 'imagenet' and utils.miniature()\n"
        "from utils.web_data import load_svhn_mnist\n"
        "pair = load_svhn_mnist(n_source=50, n_source_val=20, n_target=50, n_test=20)\nprint(pair.source.x.shape)",
        _write_results_source("01_download", "utils.select_track(verbose=False)"),
    )
    work = tmp_path / "work"
    lines = []
    assert rehearsal.rehearse([nb], workdir=work, timeout=120, log=lines.append) == 0, "\n".join(lines)
    log = (work / "rehearsal.log").read_text()
    assert "train_32x32.mat" in log and "mnist.npz" in log and "a stand-in, accepted" in log
    records = json.loads((work / "results" / "01_download.json").read_text())
    assert records[0]["track"] == "imagenet-rehearsal"
    assert (work / "executed" / "01_download.ipynb").exists()
    assert not (ROOT / "results" / "01_download.json").exists()


@pytest.mark.slow
def test_rehearse_fails_when_a_notebook_writes_into_results(tmp_path):
    nb = _notebook(
        tmp_path / "01_sneaky.ipynb",
        "import utils\nfrom utils.course.paths import ROOT\n"
        + _write_results_source("01_sneaky", "'imagenet'", ", directory=ROOT / 'results'"),
    )
    lines = []
    assert rehearsal.rehearse([nb], workdir=tmp_path / "work", timeout=120, log=lines.append) == 1
    assert any("never go to" in line for line in lines)
    assert not (ROOT / "results" / "01_sneaky.json").exists()
