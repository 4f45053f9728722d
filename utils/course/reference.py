"""A fixed reference workload: the yardstick that makes notebook times comparable across machines.

Machines differ: the same commit's notebook 01 took 84 s on one 2-core machine and 213 s on
another, and a busy machine is slower still. So the course judges a notebook by its time
**divided by** the time of this fixed workload, measured in the same run on the same machine
(``make course`` records both in ``benchmarks/course.json``). The workload is a few seconds of the
work the notebooks do, on fixed data: ``model.fit`` and a compiled hand-written training step on a
small convolutional network, and a scikit-learn logistic regression.

:data:`BASELINE_SECONDS` is the workload's time on the machine where the budgets in minutes
were set (a quiet 2-core x86_64 CPU); a notebook's budget on any machine is its budget in
seconds times ``measured reference / BASELINE_SECONDS``.

Usage::

    python -m utils.course.reference     # prints the workload's median time in seconds (JSON)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

#: The workload's median time on the machine where the budgets were set: 0.62-0.63 s in five quiet runs
#: of 5 repeats each on a 2-core x86_64 CPU (AMD EPYC, 2026-12-02), on which the notebooks take the times
#: in the README's cost table.
BASELINE_SECONDS = 0.62
ROOT = Path(__file__).resolve().parents[2]


def run_workload(repeats: int = 5) -> float:
    """Time the workload in this process: median of ``repeats`` runs after a warm-up, in seconds.

    One run does the three kinds of work the notebooks spend their time on, on fixed random data:
    an epoch of ``model.fit`` (32 batches of 32 images of 28x28), 32 steps of a hand-written
    training step compiled with ``tf.function``, and a logistic-regression fit on 2,000 feature
    vectors (one BLAS thread, as :func:`utils.configure_speed` sets).
    """
    from .quiet import import_tensorflow

    tf = import_tensorflow()
    import keras
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    x = rng.random((1024, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 1024)
    features, feature_labels = rng.normal(size=(2000, 128)).astype(np.float32), rng.integers(0, 10, 2000)
    keras.utils.set_random_seed(0)

    def network():
        return keras.Sequential([
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10),
        ])

    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    fitted = network()
    fitted.compile("adam", loss_fn)
    looped, optimizer = network(), keras.optimizers.Adam(1e-3)

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, looped(xb, training=True))
        grads = tape.gradient(loss, looped.trainable_variables)
        optimizer.apply_gradients(zip(grads, looped.trainable_variables))
        return loss

    xs, ys = tf.constant(x), tf.constant(y)

    def once():
        fitted.fit(x, y, batch_size=32, epochs=1, verbose=0)
        for i in range(32):
            loss = train_step(xs[32 * i:32 * (i + 1)], ys[32 * i:32 * (i + 1)])
        float(loss)  # wait for the last step
        with threadpool_limits(1):
            LogisticRegression(max_iter=300).fit(features, feature_labels)

    once()  # warm-up: tracing and memory
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure(repeats: int = 5) -> float:
    """Time the workload in a fresh child process (so the caller needs no TensorFlow), in seconds."""
    proc = subprocess.run([sys.executable, "-m", "utils.course.reference", str(repeats)], cwd=ROOT,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the reference workload failed: {proc.stderr.strip().splitlines()[-1:]}")
    return float(json.loads(proc.stdout.strip().splitlines()[-1])["seconds"])


def scale(reference_seconds: float | None) -> float:
    """How much the time budgets grow here: how much slower than the budget's machine this one is.

    Never below 1.0 (nor when not measured): the budgets are stated for a 2-core machine, and a faster
    one is held to them as stated, not to tighter ones (the reference workload is too noisy to shrink
    a budget by).
    """
    if reference_seconds is None:
        return 1.0
    if not reference_seconds > 0:
        raise ValueError(f"reference_seconds must be > 0, got {reference_seconds!r}")
    return max(1.0, float(reference_seconds) / BASELINE_SECONDS)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(json.dumps({"seconds": run_workload(n)}))
