"""Rehearse the imagenet track end to end on a machine without internet.

``python -m utils.course rehearse`` (``make rehearse``; ``make test`` runs it) executes every
notebook on the imagenet track as a learner on Colab would, except that each download is
answered by a local HTTP server on 127.0.0.1 with a miniature stand-in (:mod:`utils.course.standins`):

- the datasets (tf_flowers, SVHN, MNIST, CIFAR-10): same archive layout and file names,
  a few generated images per class;
- the ``keras.applications`` weights: the real file names, holding the weights of the same
  model built with ``weights=None``, made when first asked for;
- the text encoder's Hugging Face files: the same checkpoint the offline track uses.

Inside each notebook kernel an IPython start-up file (written only by the rehearsal, into a
temporary ``IPYTHONDIR``) calls :func:`activate`, which sends Keras's downloads to the local
server instead of the internet and accepts a download only if its SHA-256 is in the
rehearsal's stand-in manifest. Nothing else reads that manifest: outside a rehearsal every
published checksum applies as always.

The knob ``TL_MINIATURE=1`` (:func:`utils.course.track.miniature`), which the rehearsal sets,
makes the notebooks shrink image sizes and counts so that every cell runs in seconds. The kernels
also run TensorFlow functions eagerly (``TL_REHEARSAL_EAGER=0`` turns this off): on miniature data,
tracing a large backbone's training graph costs far more than its few steps. Graph mode of the same
code is what nbval executes on the offline track.

Results of a rehearsal carry ``track: "imagenet-rehearsal"`` and go to a temporary folder:
:func:`utils.course.results.write_results` refuses to write them under ``results/``, and the
executed notebooks, the README and ``benchmarks/`` are never written.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from .paths import ROOT
from .standins import MANIFEST, StandIns, _sha256

TRACK = "imagenet-rehearsal"
#: Set in a notebook kernel by :func:`activate`; read by :func:`active`.
_ACTIVE: dict = {}


def active() -> bool:
    """True inside a rehearsal kernel (after :func:`activate`)."""
    return bool(_ACTIVE)


# ------------------------------------------------------------------ the local server

#: The Hugging Face repository the imagenet track's text encoder comes from (utils.text.HUB_SOURCE).
HF_REPO = "sentence-transformers/all-MiniLM-L6-v2"
HF_COMMIT = "0" * 40  # a fixed revision id for the served copy


def _handler(standins: StandIns, log):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _file(self) -> Path | None:
            path = self.path.split("?", 1)[0]
            hf = f"/{HF_REPO}/resolve/"
            if path.startswith(hf) and standins.text_dir is not None:
                name = path[len(hf):].split("/", 1)[-1]
                candidate = standins.text_dir / name
                return candidate if "/" not in name and candidate.is_file() else None
            return standins.get(path.rsplit("/", 1)[-1]) if path.count("/") == 1 else None

        def _answer(self, body: bool):
            path = self._file()
            if path is None:
                log(f"server: 404 {self.command} {self.path}")
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")  # how the hub says "no such file"
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            size = path.stat().st_size
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.send_header("ETag", f'"{_sha256(path)}"')
            self.send_header("X-Repo-Commit", HF_COMMIT)
            self.end_headers()
            if body:
                with open(path, "rb") as f:
                    shutil.copyfileobj(f, self.wfile)
                log(f"server: sent {self.path} ({size / 2**20:.1f} MB)")

        def do_GET(self):  # noqa: N802 - http.server's naming
            self._answer(body=True)

        def do_HEAD(self):  # noqa: N802
            self._answer(body=False)

        def log_message(self, *args):  # the rehearsal log says what was sent
            pass

    return Handler


class Server:
    """A threaded HTTP server on 127.0.0.1 (a free port) serving :class:`StandIns`; a context manager."""

    def __init__(self, standins: StandIns, log):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(standins, log))
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


# ------------------------------------------------------------------ inside a notebook kernel

def activate(port: int, folder: str, log_path: str) -> None:
    """Send Keras's downloads to the rehearsal server and accept only stand-ins; mark this process.

    Called by the IPython start-up file the rehearsal writes into a temporary ``IPYTHONDIR``.
    Every URL that ``keras.utils.get_file`` opens (``keras.applications``, ``keras.datasets``
    and :func:`utils.course.downloads.fetch` use it) is replaced by
    ``http://127.0.0.1:PORT/<its file name>``; a downloaded or cached file is accepted when
    its SHA-256 is in the rehearsal's manifest (``folder/manifest.json``), whatever checksum
    the caller published.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from keras.src.utils import file_utils

    manifest = Path(folder) / MANIFEST

    def log(message):
        with open(log_path, "a") as f:
            f.write(f"kernel: {message}\n")

    real_urlretrieve = file_utils.urlretrieve

    def urlretrieve(url, filename, reporthook=None, data=None):
        local = f"http://127.0.0.1:{port}/{url.split('?', 1)[0].rstrip('/').rsplit('/', 1)[-1]}"
        log(f"download {url} -> {local}")
        return real_urlretrieve(local, filename, reporthook, data)

    def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
        known = json.loads(manifest.read_text()).values() if manifest.exists() else ()
        ok = _sha256(Path(fpath)) in known
        log(f"checksum of {Path(fpath).name}: {'a stand-in, accepted' if ok else 'not a stand-in, refused'}")
        return ok

    file_utils.urlretrieve = urlretrieve
    file_utils.validate_file = validate_file
    if os.environ.get("TL_REHEARSAL_EAGER", "1") != "0":
        # on miniature data, tracing a large backbone's training graph (tens of seconds) costs far more than
        # running its few steps eagerly; graph mode of the same code is what nbval tests on the offline track
        import tensorflow as tf

        tf.config.run_functions_eagerly(True)
    _ACTIVE.update(port=port, folder=folder, log=log_path)


# ------------------------------------------------------------------ the rehearsal itself

_STARTUP = '''\
# Written by utils.course.rehearsal for one rehearsal of the imagenet track; deleted with its folder.
import sys
sys.path.insert(0, {root!r})
from utils.course import rehearsal
rehearsal.activate({port}, {folder!r}, {log!r})
'''


def _slowest_cells(path: Path, n: int = 4) -> list[tuple[int, float]]:
    """(cell number, seconds) of the ``n`` slowest code cells of an executed notebook with timing metadata."""
    from datetime import datetime

    cells = json.loads(Path(path).read_text())["cells"]
    times = []
    for i, cell in enumerate(cells):
        timing = cell.get("metadata", {}).get("execution", {})
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if start and end:
            seconds = (datetime.fromisoformat(end.replace("Z", "+00:00"))
                       - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
            times.append((i, seconds))
    return sorted(times, key=lambda t: -t[1])[:n]


def _fingerprint(folder: Path) -> dict:
    return {p.name: _sha256(p) for p in sorted(Path(folder).glob("*")) if p.is_file()}


def rehearse(notebooks=None, *, workdir: Path | str | None = None, timeout: float = 600.0, jobs: int = 2,
             log=print) -> int:
    """Execute the notebooks on the imagenet track against the local stand-ins; return 0 if all ran.

    Parameters
    ----------
    notebooks : list of paths or None
        Default: every numbered notebook.
    workdir : path or None
        Where the stand-ins, caches, executed notebooks, results and log go; default a new
        temporary folder, deleted afterwards unless the rehearsal failed.
    timeout : float
        Seconds allowed per cell.
    jobs : int
        Notebooks executed at a time, each in its own kernel. On miniature data most of a
        notebook's time is single-threaded Python (building models, running small steps), so two
        at a time nearly halve the wall time on two cores.
    log : callable

    Returns
    -------
    int
        0 when every notebook ran, every result carries the rehearsal track and ``results/``
        is unchanged; 1 otherwise.
    """
    from concurrent.futures import ThreadPoolExecutor

    from .runner import execute_notebook
    from .tables import list_notebooks

    if not (isinstance(jobs, int) and jobs >= 1):
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    own = workdir is None
    work = Path(tempfile.mkdtemp(prefix="tl-rehearsal-")) if own else Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    log_path = work / "rehearsal.log"
    log_path.write_text("")

    def note(message):
        with open(log_path, "a") as f:
            f.write(message + "\n")

    text_dir = ROOT / ".cache" / "text" / "all-MiniLM-L6-v2"
    standins = StandIns(work / "standins", text_dir if text_dir.is_dir() else None)
    committed = _fingerprint(ROOT / "results")
    start = time.perf_counter()
    with Server(standins, note) as server:
        ipython = work / "ipython"
        startup = ipython / "profile_default" / "startup"
        startup.mkdir(parents=True, exist_ok=True)
        (startup / "00-rehearsal.py").write_text(_STARTUP.format(
            root=str(ROOT), port=server.port, folder=str(standins.folder), log=str(log_path)))
        env = {
            "IPYTHONDIR": str(ipython),
            "TL_MINIATURE": "1",
            "TL_CACHE_DIR": str(work / "cache"),
            "TL_RESULTS_DIR": str(work / "results"),
            "KERAS_HOME": str(work / "keras"),
            "HF_HOME": str(work / "hf"),
            "HF_ENDPOINT": f"http://127.0.0.1:{server.port}",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "TL_RECORD_TIMING": "1",  # the executed copies keep each cell's time: the log lists the slowest
        }
        log(f"rehearsal of the imagenet track in {work}: stand-ins served on 127.0.0.1:{server.port}, "
            f"{jobs} notebook(s) at a time")
        paths = [Path(p) for p in notebooks] if notebooks else list_notebooks()
        env["TL_TRACK"] = "imagenet"
        with ThreadPoolExecutor(max_workers=jobs) as pool:  # each notebook runs in its own kernel process
            runs = list(pool.map(lambda path: execute_notebook(path, timeout=timeout, write=False, env=env,
                                                               keep=work / "executed"), paths))
        problems = []
        for run in runs:
            status = "ok" if run.error is None else f"FAILED: {run.error}"
            log(f"== {run.notebook}: {run.seconds:.0f} s, peak {run.peak_rss_gb:.2f} GiB, {status}")
            if run.error is not None:
                problems.append(f"{run.notebook} failed: {run.error}")
    seconds = time.perf_counter() - start
    for path in sorted((work / "executed").glob("*.ipynb")):
        note(f"slowest cells of {path.name}: " + ", ".join(
            f"[{i}] {s:.0f} s" for i, s in _slowest_cells(path)))
    for made in standins.made:
        note(f"rehearsal: made stand-in {made}")
    for path in sorted((work / "results").glob("*.json")):
        tracks = {r.get("track") for r in json.loads(path.read_text())}
        if tracks != {TRACK}:
            problems.append(f"{path.name}: records carry the tracks {sorted(map(str, tracks))}, not only {TRACK!r}")
    if _fingerprint(ROOT / "results") != committed:
        problems.append("results/ changed during the rehearsal")
    log_text = log_path.read_text()
    log(f"rehearsal log ({log_path}):")
    for line in log_text.splitlines():
        log(f"  {line}")
    if problems:
        log("REHEARSAL FAILED:")
        for problem in problems:
            log(f"  - {problem}")
        log(f"executed notebooks, results and log kept in {work}")
        return 1
    log(f"rehearsal passed: {len(runs)} notebooks, every cell, on the imagenet track with stand-ins, in {seconds:.0f} s")
    if own:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main(argv=None) -> int:
    """``python -m utils.course rehearse [NOTEBOOK ...] [--workdir DIR] [--timeout S]``."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m utils.course rehearse",
                                     description="execute every notebook on the imagenet track against local stand-ins")
    parser.add_argument("notebooks", nargs="*", help="only these notebooks (default: all numbered ones)")
    parser.add_argument("--workdir", default=None, help="keep stand-ins, executed notebooks, results and log here")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per cell")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at a time (default 2)")
    args = parser.parse_args(sys.argv[2:] if argv is None else argv)
    return rehearse(args.notebooks or None, workdir=args.workdir, timeout=args.timeout, jobs=args.jobs)
