"""Tests of utils.course.downloads against an HTTP server on 127.0.0.1 serving generated files (no internet)."""

import functools
import hashlib
import http.server
import io
import tarfile
import threading

import numpy as np
import pytest

from utils.course.downloads import DatasetUnavailableError, fetch, file_digest, origin
from utils.web_data import FLOWERS_URL, load_photo_splits


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "downloads"


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serve tmp_path/www on 127.0.0.1 and point TL_DOWNLOAD_MIRROR at it; count the requests."""
    root = tmp_path / "www"
    root.mkdir()
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            hits.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("TL_DOWNLOAD_MIRROR", f"http://127.0.0.1:{httpd.server_address[1]}")
    yield root, hits
    httpd.shutdown()
    httpd.server_close()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_with_checksum_lands_in_the_cache_once(cache, server):
    root, hits = server
    data = np.random.default_rng(0).bytes(50_000)
    (root / "blob.bin").write_bytes(data)
    path = fetch("blob.bin", "https://example.invalid/blob.bin", _sha256(data))
    assert path == cache / "blob.bin" and path.read_bytes() == data
    assert hits == ["/blob.bin"]
    again = fetch("blob.bin", "https://example.invalid/blob.bin", _sha256(data))
    assert again == path and hits == ["/blob.bin"]  # cached: no second request


def test_md5_checksums_are_accepted(cache, server):
    root, _ = server
    (root / "small.mat").write_bytes(b"abc")
    assert fetch("small.mat", "https://example.invalid/x", hashlib.md5(b"abc").hexdigest()).read_bytes() == b"abc"


def test_checksum_mismatch_is_refused_and_the_file_not_kept(cache, server):
    root, _ = server
    (root / "moved.bin").write_bytes(b"this is not the file you expected")
    with pytest.raises(DatasetUnavailableError) as info:
        fetch("moved.bin", "https://example.invalid/moved.bin", "0" * 64)
    message = str(info.value)
    assert "refused and deleted" in message and "SHA256" in message and "TL_TRACK=offline" in message
    assert not (cache / "moved.bin").exists()


def test_a_corrupted_cached_file_is_never_read(cache, monkeypatch):
    cache.mkdir(parents=True)
    (cache / "old.bin").write_bytes(b"truncated")
    monkeypatch.setenv("TL_DOWNLOAD_MIRROR", "http://127.0.0.1:9")  # no network: it cannot be downloaded again
    with pytest.raises(DatasetUnavailableError, match="Could not download old.bin"):
        fetch("old.bin", "https://example.invalid/old.bin", _sha256(b"the full file"))
    assert not (cache / "old.bin").exists()


def test_a_corrupted_cached_file_is_downloaded_again(cache, server):
    root, _ = server
    (root / "old.bin").write_bytes(b"the full file")
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "old.bin").write_bytes(b"truncated")
    assert fetch("old.bin", "https://example.invalid/old.bin", _sha256(b"the full file")).read_bytes() == b"the full file"


def test_unreachable_host_gives_one_clear_error(cache, monkeypatch):
    monkeypatch.setenv("TL_DOWNLOAD_MIRROR", "http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(DatasetUnavailableError) as info:
        fetch("any.bin", "https://example.invalid/any.bin", "0" * 64)
    message = str(info.value)
    assert "Could not download any.bin" in message and "TL_TRACK=offline" in message
    assert str(cache / "any.bin") in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert not (cache / "any.bin").exists()


def test_missing_file_on_the_server_gives_one_clear_error(cache, server):
    with pytest.raises(DatasetUnavailableError, match="Could not download gone.tgz"):
        fetch("gone.tgz", "https://example.invalid/gone.tgz", "0" * 64)


def test_origin_uses_the_mirror_only_when_set(monkeypatch):
    monkeypatch.delenv("TL_DOWNLOAD_MIRROR", raising=False)
    assert origin("a.tgz", "https://host/path/a.tgz") == "https://host/path/a.tgz"
    monkeypatch.setenv("TL_DOWNLOAD_MIRROR", "http://127.0.0.1:8000/")
    assert origin("a.tgz", "https://host/path/a.tgz") == "http://127.0.0.1:8000/a.tgz"


def test_bad_arguments():
    with pytest.raises(ValueError, match="checksum"):
        fetch("a.bin", "https://example.invalid/a.bin", "abc")
    with pytest.raises(ValueError, match="plain file name"):
        fetch("../a.bin", "https://example.invalid/a.bin", "0" * 64)


def _flowers_archive() -> bytes:
    """A tiny flower_photos.tgz: 2 classes x 6 JPEGs of 20x20 pixels."""
    from PIL import Image

    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("daisy", "roses"):
            for i in range(6):
                img = io.BytesIO()
                Image.fromarray(rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)).save(img, "JPEG")
                info = tarfile.TarInfo(f"flower_photos/{name}/{i}.jpg")
                info.size = img.tell()
                img.seek(0)
                tar.addfile(info, img)
    return buf.getvalue()


def test_photo_splits_download_extract_and_load(cache, server, monkeypatch):
    import utils.web_data as data

    root, hits = server
    archive = _flowers_archive()
    (root / "flower_photos.tgz").write_bytes(archive)
    monkeypatch.setattr(data, "FLOWERS_SHA256", _sha256(archive))
    splits = load_photo_splits(image_size=16, val_size=0.25, test_size=0.25)
    assert splits.class_names == ("daisy", "roses")
    assert len(splits.train) + len(splits.val) + len(splits.test) == 12
    assert file_digest(cache / "flower_photos.tgz", "sha256") == _sha256(archive)
    load_photo_splits(image_size=16, val_size=0.25, test_size=0.25)
    assert hits == ["/flower_photos.tgz"]  # extracted once, read from the cache afterwards


def test_photo_splits_refuse_an_archive_with_the_wrong_checksum(cache, server):
    root, _ = server
    (root / "flower_photos.tgz").write_bytes(_flowers_archive())  # not the published archive
    with pytest.raises(DatasetUnavailableError, match="refused and deleted"):
        load_photo_splits()
    assert not (cache / "flower_photos.tgz").exists() and not (cache / "flower_photos").exists()
    assert FLOWERS_URL.endswith("flower_photos.tgz")


def test_archive_members_outside_the_cache_are_refused(cache, server):
    root, _ = server
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    (root / "evil.tgz").write_bytes(buf.getvalue())
    with pytest.raises(DatasetUnavailableError, match="outside the cache"):
        fetch("evil.tgz", "https://example.invalid/evil.tgz", _sha256(buf.getvalue()), extract=True)
    assert not (cache.parent / "escape.txt").exists()
