"""``model.fit`` without its per-epoch Python overhead, for small in-memory datasets.

On a few hundred 8x8 images an epoch of real work takes milliseconds, and Keras'
``fit`` loop (callbacks, progress bars, data adapters) costs more than the
arithmetic. :func:`train_in_graph` runs each epoch as one compiled TensorFlow
graph instead, with the same optimiser and loss, so timings measure the model.
"""

from __future__ import annotations

import time

import numpy as np


def train_in_graph(
    model,
    x,
    y,
    *,
    epochs: int,
    batch_size: int = 64,
    optimizer=None,
    seed: int = 0,
    validation_data: tuple | None = None,
    from_logits: bool = False,
) -> dict[str, list[float]]:
    """Train ``model`` with mini-batch gradient descent, one compiled graph per epoch.

    Only ``model.trainable_variables`` change; layers with ``trainable=False`` stay
    as they are, and a frozen backbone called with ``training=False`` inside the
    model keeps its BatchNorm layers in inference mode.

    Parameters
    ----------
    model : keras.Model
        Outputs class probabilities (or logits with ``from_logits=True``).
    x : ndarray, shape (n, ...)
    y : ndarray of int, shape (n,)
    epochs : int
    batch_size : int
    optimizer : keras.optimizers.Optimizer or None
        Default ``Adam(1e-3)``. Pass a fresh optimiser per model.
    seed : int
        Seed of the per-epoch shuffling.
    validation_data : (x_val, y_val) or None
        Scored after every epoch (accuracy and loss, inference mode).
    from_logits : bool

    Returns
    -------
    dict
        ``loss`` and ``accuracy`` per epoch (training batches), ``val_loss`` and
        ``val_accuracy`` with validation data (the shape of ``History.history``), and
        ``epoch_seconds``: wall time of each epoch's training (the first includes tracing).
    """
    import keras
    import tensorflow as tf

    x = np.asarray(x, dtype="float32")
    y = np.asarray(y)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)} and {len(y)}")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not model.trainable_variables:
        raise ValueError(f"{model.name} has no trainable variables; unfreeze a layer or add a head")
    optimizer = optimizer or keras.optimizers.Adam(1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    n, bs = len(x), int(min(batch_size, len(x)))
    x_t, y_t = tf.constant(x), tf.constant(y.astype("int64"))
    variables = model.trainable_variables

    @tf.function(reduce_retracing=True)
    def run_epoch(order):
        total, correct = tf.constant(0.0), tf.constant(0.0)
        for start in tf.range(0, n, bs):
            idx = order[start : start + bs]
            xb, yb = tf.gather(x_t, idx), tf.gather(y_t, idx)
            with tf.GradientTape() as tape:
                out = model(xb, training=True)
                loss = loss_fn(yb, out)
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            size = tf.cast(tf.shape(idx)[0], tf.float32)
            total += loss * size
            correct += tf.reduce_sum(tf.cast(tf.equal(tf.argmax(out, -1), yb), tf.float32))
        return total / n, correct / n

    @tf.function
    def evaluate(xv, yv):
        out = model(xv, training=False)
        return loss_fn(yv, out), tf.reduce_mean(tf.cast(tf.equal(tf.argmax(out, -1), yv), tf.float32))

    if validation_data is not None:
        xv = tf.constant(np.asarray(validation_data[0], dtype="float32"))
        yv = tf.constant(np.asarray(validation_data[1]).astype("int64"))
    rng = np.random.default_rng(seed)
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "epoch_seconds": []}
    for _ in range(epochs):
        start = time.perf_counter()
        loss, acc = run_epoch(tf.constant(rng.permutation(n)))
        history["loss"].append(float(loss))
        history["epoch_seconds"].append(time.perf_counter() - start)
        history["accuracy"].append(float(acc))
        if validation_data is not None:
            val_loss, val_acc = evaluate(xv, yv)
            history.setdefault("val_loss", []).append(float(val_loss))
            history.setdefault("val_accuracy", []).append(float(val_acc))
    return history
