"""utils.distribute: logical devices, replica equivalence, two workers on 127.0.0.1, and clean failure."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from utils import distribute

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str, timeout: float = 600) -> str:
    """Run `code` in a fresh interpreter (TensorFlow's devices can be split only before it starts)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
def test_split_cpu_gives_logical_devices_and_refuses_a_late_resplit_with_advice():
    out = json.loads(_python("""
        import json
        from utils import distribute
        names = distribute.split_cpu(4)
        import tensorflow as tf
        tf.constant(1.0)  # the runtime starts
        again = distribute.split_cpu(4)  # same split: harmless
        try:
            distribute.split_cpu(2)
            late = ""
        except RuntimeError as exc:
            late = str(exc)
        print(json.dumps({"names": names, "again": again, "late": late}))
    """))
    assert out["names"] == out["again"] == [f"/device:CPU:{i}" for i in range(4)]
    assert "Restart the kernel" in out["late"] and "split_cpu(2)" in out["late"]


@pytest.mark.parametrize("bad", [0, -1, 2.0, "4", True])
def test_split_cpu_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="n_devices"):
        distribute.split_cpu(bad)


@pytest.mark.slow
def test_one_two_and_four_replicas_train_the_same_weights_and_a_bigger_batch_does_not():
    """The notebook's recipe (frozen base + head, then fine-tuning with BatchNorm frozen), same global batch."""
    gaps = json.loads(_python("""
        import json
        import numpy as np
        import utils
        from utils import distribute
        devices = distribute.split_cpu(4)
        import keras, tensorflow as tf
        data = utils.load_digits_splits().train
        x = utils.get_preprocessing("glyphnet-letters")(utils.adapt_images(data.x[:512], "glyphnet-letters"))
        y = data.y[:512]

        def build():
            base = utils.load_backbone("glyphnet-letters")
            inputs = keras.Input(base.input_shape[1:])
            return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(base(inputs, training=False))), base

        keras.utils.set_random_seed(0)
        initial = build()[0].get_weights()

        def train(n, batch=64):
            strategy = tf.distribute.MirroredStrategy(devices[:n], cross_device_ops=tf.distribute.ReductionToOneDevice())
            with strategy.scope():
                model, base = build()
                model.set_weights(initial)
                model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
            data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch, drop_remainder=True)
            model.fit(data, epochs=2, verbose=0)
            with strategy.scope():
                base.trainable = True
                utils.freeze_batchnorm(base)
                model.compile(keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy")
            model.fit(data, epochs=1, verbose=0)
            return model.get_weights()

        def gap(a, b):
            return max(float(np.max(np.abs(u - v))) for u, v in zip(a, b))

        one = train(1)
        print(json.dumps({"2": gap(one, train(2)), "4": gap(one, train(4)), "control": gap(one, train(4, batch=256))}))
    """))
    assert gaps["2"] < 1e-5 and gaps["4"] < 1e-5, gaps
    assert gaps["control"] > 1e-3, gaps  # the check can fail: 4 times the batch trains another model


def _listening_on(port: int) -> bool:
    return not distribute.port_is_free(port)


@pytest.mark.slow
def test_two_workers_end_with_identical_weights_and_release_processes_and_ports(tmp_path):
    started = []
    results = distribute.run_workers(2, steps=8, global_batch=32, timeout=300, workdir=tmp_path,
                                     on_start=lambda procs: started.extend(procs))
    assert [r["task"] for r in results] == [0, 1] and all(r["replicas"] == 2 for r in results)
    assert len(results[0]["losses"]) == 8 and results[0]["losses"] == results[1]["losses"]
    assert all(np.array_equal(a, b) for a, b in zip(results[0]["weights"], results[1]["weights"]))
    assert results[0]["losses"][-1] < results[0]["losses"][0]  # it trained
    assert all(p.returncode == 0 and _gone(p.pid) for p in started)
    assert all(0 < r["peak_rss_bytes"] < 4 * 2**30 for r in results)  # the worker's own peak, not its parent's


@pytest.mark.slow
def test_a_worker_killed_mid_run_gives_a_clear_error_and_leaves_no_process_or_port(tmp_path):
    started = []

    def kill_worker_1_after_a_few_steps(procs):
        started.extend(procs)

        def killer():
            log = tmp_path / "worker1.log"
            while procs[1].poll() is None:
                if log.exists() and "step 5/" in log.read_text(errors="replace"):
                    os.kill(procs[1].pid, signal.SIGKILL)
                    return
                time.sleep(0.05)

        threading.Thread(target=killer, daemon=True).start()

    with pytest.raises(distribute.WorkerError) as caught:
        distribute.run_workers(2, steps=1_000_000, global_batch=32, timeout=600, workdir=tmp_path,
                               on_start=kill_worker_1_after_a_few_steps)
    message = str(caught.value)
    assert "worker 1 was killed by signal SIGKILL" in message and "every worker has been stopped" in message
    assert "step 5/" in message  # the end of its log
    assert sorted(caught.value.pids) == sorted(p.pid for p in started)
    assert all(p.poll() is not None and _gone(p.pid) for p in started)
    assert all(distribute.port_is_free(port) for port in caught.value.ports)


def _exited(pid: int) -> bool:
    """Gone, or a zombie waiting for a parent that is not ours to reap."""
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return _gone(pid)


@pytest.mark.slow
def test_workers_exit_when_the_process_that_started_them_is_killed(tmp_path):
    """A killed kernel must not leave workers behind: they watch their parent."""
    pids = tmp_path / "pids.json"
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import json
        from utils import distribute
        distribute.run_workers(2, steps=1_000_000, timeout=600, workdir={str(tmp_path)!r},
                               on_start=lambda procs: open({str(pids)!r}, "w").write(json.dumps([p.pid for p in procs])))
    """)], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES=""))
    try:
        for _ in range(1200):  # the workers are running once both have logged a step
            logs = [tmp_path / f"worker{i}.log" for i in (0, 1)]
            if pids.exists() and all(log.exists() and "step 2/" in log.read_text(errors="replace") for log in logs):
                break
            time.sleep(0.1)
        workers = json.loads(pids.read_text())
        parent.kill()
        parent.wait()
        for _ in range(600):  # a bounded wait for them to notice, not a speed requirement
            if all(_exited(pid) for pid in workers):
                break
            time.sleep(0.1)
        assert all(_exited(pid) for pid in workers), "workers outlived the process that started them"
    finally:
        parent.kill()


@pytest.mark.slow
def test_workers_that_run_out_of_time_are_stopped(tmp_path):
    with pytest.raises(distribute.WorkerError, match="did not finish within 3 s") as caught:
        distribute.run_workers(2, steps=1_000_000, timeout=3, workdir=tmp_path)
    assert all(_gone(pid) for pid in caught.value.pids)
    assert all(distribute.port_is_free(port) for port in caught.value.ports)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_workers": 0}, "n_workers"),
    ({"n_workers": 2, "global_batch": 33}, "multiple of n_workers"),
    ({"steps": 0}, "steps"),
    ({"timeout": 0}, "timeout"),
])
def test_run_workers_rejects_bad_arguments_before_starting_anything(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        distribute.run_workers(workdir=tmp_path, **kwargs)
    assert not list(tmp_path.iterdir())


def test_free_ports_are_distinct_and_a_listening_port_is_not_free():
    ports = distribute.free_ports(3)
    assert len(set(ports)) == 3 and all(distribute.port_is_free(p) for p in ports)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert _listening_on(server.getsockname()[1])
    with pytest.raises(ValueError, match="n must be"):
        distribute.free_ports(0)


def test_the_data_parallel_diagram_checks_its_arguments():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from utils import plot_data_parallel

    fig = plot_data_parallel(2, 8)
    assert any("4 examples" in t.get_text() for t in fig.axes[0].texts)
    plt.close(fig)
    with pytest.raises(ValueError, match="multiple of n_replicas"):
        plot_data_parallel(4, 6)
    with pytest.raises(ValueError, match="1 to 8"):
        plot_data_parallel(9, 72)
