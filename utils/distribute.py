"""Plumbing for data-parallel training (notebook 07): logical CPU devices, and worker processes on 127.0.0.1.

The lesson (strategies, scopes, the custom training loop) stays in the notebook and in
:mod:`utils.distribute_worker`; this module only prepares devices, launches and supervises
workers, and cleans up after them.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ._checks import is_int_at_least

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["WorkerError", "free_ports", "port_is_free", "run_workers", "split_cpu"]


class WorkerError(RuntimeError):
    """A worker process failed, was killed or did not finish in time; every worker has been stopped.

    Attributes
    ----------
    pids : list of int
        The worker processes' ids (all of them have been stopped and, normally, reaped).
    ports : list of int
        The ports the cluster used on 127.0.0.1 (all closed).
    """

    def __init__(self, message: str, *, pids: Sequence[int] = (), ports: Sequence[int] = ()):
        super().__init__(message)
        self.pids, self.ports = list(pids), list(ports)


def split_cpu(n_devices: int) -> list[str]:
    """Split the CPU into ``n_devices`` logical devices, so strategies can place replicas on them.

    Logical devices share the same cores: this shows how replicas, batches and all-reduce behave,
    not a speed-up. It must run before TensorFlow's runtime starts (before any tensor or model
    is made); running it again with the same number is harmless.

    Parameters
    ----------
    n_devices : int
        Number of logical CPU devices, at least 1.

    Returns
    -------
    list of str
        The logical CPU devices' names, e.g. ``['/device:CPU:0', '/device:CPU:1']``.

    Raises
    ------
    ValueError
        ``n_devices`` is not an integer >= 1.
    RuntimeError
        TensorFlow's runtime already started with another split; the message says to restart the kernel.

    Examples
    --------
    In a fresh kernel, right after the imports (not run here: this process's TensorFlow may have started):

    >>> devices = split_cpu(4)  # doctest: +SKIP
    >>> strategy = tf.distribute.MirroredStrategy(devices[:2])  # doctest: +SKIP
    """
    if not is_int_at_least(n_devices, 1):
        raise ValueError(f"n_devices must be an integer >= 1, got {n_devices!r}")
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n_devices)
    except RuntimeError:
        names = [d.name for d in tf.config.list_logical_devices("CPU")]
        if len(names) == n_devices:
            return names
        raise RuntimeError(
            f"TensorFlow already started with {len(names)} logical CPU device(s), so it cannot be split into "
            f"{n_devices} now. Restart the kernel and run utils.distribute.split_cpu({n_devices}) before any "
            "tensor or model is made (right after the imports).") from None
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a TCP server could listen on ``host:port`` now (as servers do, with ``SO_REUSEADDR``).

    A port whose last connections are in TIME_WAIT counts as free: servers may listen on it;
    one that a process still listens on does not.

    Examples
    --------
    >>> import socket
    >>> with socket.socket() as server:
    ...     server.bind(("127.0.0.1", 0)); server.listen()
    ...     port = server.getsockname()[1]
    ...     port_is_free(port)
    False
    >>> port_is_free(port)
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            s.listen()
        except OSError:
            return False
    return True


def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` distinct TCP ports that are free on ``host`` (asked of the OS, then released).

    Examples
    --------
    >>> ports = free_ports(2)
    >>> len(set(ports)), all(port_is_free(p) for p in ports)
    (2, True)
    """
    if not is_int_at_least(n, 1):
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _stop(procs: Sequence[subprocess.Popen], grace: float = 2.0) -> None:
    """Terminate every still-running worker (its whole process group), then kill and reap them."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        for p in procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + wait
        for p in procs:
            try:
                p.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        if all(p.poll() is not None for p in procs):
            return


def _tail(path: Path, lines: int = 12) -> str:
    """The last ``lines`` lines of a worker's log, without TensorFlow's start-up chatter."""
    text = path.read_text(errors="replace") if path.exists() else ""
    kept = [line for line in text.splitlines() if line.strip()]
    chatter = re.compile(r"^([IWE]\d{4} |WARNING: All log messages before absl)")
    said = [line for line in kept if not chatter.match(line)]
    return "\n".join((said or kept)[-lines:]) or "(empty: the worker was still starting)"


def _why(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def run_workers(
    n_workers: int = 2,
    *,
    steps: int = 30,
    global_batch: int = 64,
    learning_rate: float = 1e-3,
    seed: int = 0,
    timeout: float = 180.0,
    workdir: str | os.PathLike | None = None,
    on_start: Callable[[list[subprocess.Popen]], None] | None = None,
) -> list[dict]:
    """Train with ``MultiWorkerMirroredStrategy`` in ``n_workers`` processes on 127.0.0.1; return their results.

    Each worker runs :mod:`utils.distribute_worker` (a custom training loop) with its own
    ``TF_CONFIG``, on the CPU, in its own process group. If a worker fails, is killed or the
    run takes longer than ``timeout`` seconds, every worker is stopped and reaped, and
    :class:`WorkerError` says which worker and why (with the end of its log). Ports and
    processes are released whatever happens here; if the calling process itself is killed,
    the workers notice and exit. The ports are asked of the OS and released just before the
    workers bind them, so another program could take one in between: the worker's log then
    says the address is in use, and running again picks new ports.

    Parameters
    ----------
    n_workers : int
        Number of worker processes, at least 1.
    steps : int
        Training steps (each on one global batch split across the workers).
    global_batch : int
        Examples per step over all workers; must be a multiple of ``n_workers``.
    learning_rate : float
        Adam's learning rate.
    seed : int
        Seed of the head's initial weights (the same on every worker).
    timeout : float
        Seconds the whole run may take, start-up included.
    workdir : path or None
        Where workers write their logs, weights and results; a temporary folder (deleted
        afterwards) when ``None``.
    on_start : callable or None
        Called with the list of started ``subprocess.Popen`` objects (used by tests to kill one).

    Returns
    -------
    list of dict
        Per worker, in task order: ``task``, ``losses`` (one per step, the global batch's mean
        loss), ``seconds`` (training loop only), ``startup_seconds``, ``peak_rss_bytes``,
        ``replicas`` and ``weights`` (list of arrays, the trained model's).

    Raises
    ------
    ValueError
        Bad arguments.
    WorkerError
        A worker failed, was killed or timed out; every worker has been stopped.

    Examples
    --------
    >>> workers = run_workers(2, steps=30, timeout=240)  # doctest: +SKIP
    >>> all(np.array_equal(a, b) for a, b in zip(workers[0]["weights"], workers[1]["weights"]))  # doctest: +SKIP
    True
    """
    for name, value, low in (("n_workers", n_workers, 1), ("steps", steps, 1), ("global_batch", global_batch, 1)):
        if not is_int_at_least(value, low):
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if global_batch % n_workers:
        raise ValueError(f"global_batch ({global_batch}) must be a multiple of n_workers ({n_workers}): "
                         "each worker takes an equal share of every batch")
    if not (isinstance(timeout, int | float) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="tl-workers-") as tmp:
            return run_workers(n_workers, steps=steps, global_batch=global_batch, learning_rate=learning_rate,
                               seed=seed, timeout=timeout, workdir=tmp, on_start=on_start)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    ports = free_ports(n_workers)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1",
               TL_WORKER_PARENT=str(os.getpid()),  # a worker exits if this process dies (a killed kernel)
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    procs: list[subprocess.Popen] = []
    logs = [workdir / f"worker{i}.log" for i in range(n_workers)]
    start = time.monotonic()
    try:
        for i in range(n_workers):
            worker_env = dict(env, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}))
            args = [sys.executable, "-m", "utils.distribute_worker", "--out", str(workdir), "--steps", str(steps),
                    "--global-batch", str(global_batch), "--learning-rate", repr(float(learning_rate)),
                    "--seed", str(int(seed)), "--timeout", str(max(1, math.ceil(timeout)))]
            with open(logs[i], "wb") as log:
                procs.append(subprocess.Popen(args, cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL, start_new_session=True))
        if on_start is not None:
            on_start(list(procs))
        while True:
            codes = [p.poll() for p in procs]
            failed = [i for i, c in enumerate(codes) if c not in (None, 0)]
            if failed:
                i = failed[0]  # the finally below stops the others before the caller sees the error
                raise WorkerError(f"worker {i} {_why(codes[i])} after {time.monotonic() - start:.0f} s; every "
                                  f"worker has been stopped. The end of its log:\n{_tail(logs[i])}",
                                  pids=[p.pid for p in procs], ports=ports)
            if all(c == 0 for c in codes):
                break
            if time.monotonic() - start > timeout:
                tails = "\n".join(f"worker {i}: {_tail(log, 3)}" for i, log in enumerate(logs))
                raise WorkerError(f"the workers did not finish within {timeout:g} s and have been stopped; "
                                  f"raise `timeout` on a slow machine. The end of their logs:\n{tails}",
                                  pids=[p.pid for p in procs], ports=ports)
            time.sleep(0.2)
    finally:
        _stop(procs)  # nothing survives this function: on success, error, timeout or KeyboardInterrupt
    results = []
    for i in range(n_workers):
        summary = json.loads((workdir / f"worker{i}.json").read_text())
        with np.load(workdir / f"worker{i}.npz") as weights:
            summary["weights"] = [weights[f"w{k}"] for k in range(len(weights.files))]
        results.append(summary)
    return results
