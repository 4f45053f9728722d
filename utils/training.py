"""``model.fit`` without its per-epoch Python overhead, for small in-memory datasets.

On a few hundred 8x8 images an epoch of real work takes milliseconds, and Keras'
``fit`` loop (callbacks, progress bars, data adapters) costs more than the
arithmetic. :class:`GraphTrainer` runs each epoch as one compiled TensorFlow
graph instead, with the same optimiser and loss, so timings measure the model.

Every traced graph costs memory TensorFlow does not give back, so a study that
trains the same architecture many times should keep one trainer and
:meth:`GraphTrainer.reset` it between runs rather than build a new one.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from ._checks import is_int_at_least

INITIAL_LOSS_SCALE = 2.0**15
LOSS_SCALE_GROWTH_STEPS = 2000


def computes_in_float16(model) -> bool:
    """True when any layer of ``model`` (nested models included) computes in float16 (mixed precision)."""
    from .finetune import _all_layers

    return any(getattr(layer, "compute_dtype", None) == "float16" for layer in _all_layers(model))


def _check_positive_int(name, value):
    if not is_int_at_least(value, 1):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


class GraphTrainer:
    """Train one model with mini-batch gradient descent, one compiled graph per epoch.

    Only ``model.trainable_variables`` change; layers with ``trainable=False`` stay
    as they are (Keras runs a frozen BatchNormalization layer in inference mode).

    Parameters
    ----------
    model : keras.Model
        Outputs class probabilities (or logits with ``from_logits=True``).
    optimizer : keras.optimizers.Optimizer, list of (optimizer, variables, ...) or None
        Default ``Adam(1e-3)`` over all trainable variables. A list gives each group
        of variables its own optimiser (see
        :func:`utils.finetune.discriminative_learning_rates`).
    from_logits : bool
    penalty : callable or None
        Returns a scalar added to the loss at every step (e.g. :class:`utils.finetune.L2SP`).
    jit_compile : bool or None
        Compile each training step with XLA; ``None`` follows :func:`utils.course.speed.speed_settings`
        (on with a GPU, off on the CPU).

    Notes
    -----
    When the model computes in float16 (built under Keras' ``mixed_float16`` policy, see
    :func:`utils.course.speed.configure_speed`), the loss is scaled before the gradient so small
    float16 gradients do not underflow: one dynamic scale for all optimiser groups, halved
    and the step skipped when a gradient is not finite, doubled after 2,000 good steps
    (:attr:`loss_scale`). The output is cast to float32 before the loss; build the model's
    last layer with ``dtype="float32"`` so its softmax is computed in float32 too.

    Examples
    --------
    >>> import keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    >>> x, y = np.random.default_rng(0).normal(size=(32, 4)), np.arange(32) % 3
    >>> trainer, start = GraphTrainer(model, keras.optimizers.Adam(1e-3)), model.get_weights()
    >>> for seed in (0, 1):  # one trainer, reset between runs
    ...     trainer.reset(start)
    ...     history = trainer.fit(x, y, epochs=1, batch_size=16, seed=seed)
    >>> len(history["loss"]), 0.0 <= history["accuracy"][-1] <= 1.0
    (1, True)
    """

    def __init__(self, model, optimizer=None, *, from_logits: bool = False, penalty=None, jit_compile=None):
        import keras
        import tensorflow as tf

        from .course.speed import speed_settings

        if not model.trainable_variables:
            raise ValueError(f"{model.name} has no trainable variables; unfreeze a layer or add a head")
        self.model = model
        if isinstance(optimizer, (list, tuple)):
            groups = [(item[0], list(item[1])) for item in optimizer]
            if not groups or any(not variables for _, variables in groups):
                raise ValueError("optimizer groups must be a non-empty list of (optimizer, variables) with variables")
        else:
            groups = [(optimizer or keras.optimizers.Adam(1e-3), list(model.trainable_variables))]
        if jit_compile is not None and not isinstance(jit_compile, bool):
            raise TypeError(f"jit_compile must be True, False or None, got {jit_compile!r}")
        self.jit_compile = speed_settings().jit_compile if jit_compile is None else jit_compile
        self.mixed_precision = computes_in_float16(model)
        if self.mixed_precision and model.output.dtype != "float32":
            warnings.warn(f"{model.name} computes in float16 and its output is {model.output.dtype}; build its last "
                          "layer with dtype='float32' so the softmax is computed in float32", stacklevel=2)
        for opt, variables in groups:
            opt.build(variables)
        self.groups = groups
        self.optimizer = groups[0][0]
        # step 0, zero moments and the rates, to start again from in reset()
        self._optimizer_start = [[v.numpy() for v in opt.variables] for opt, _ in groups]
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
        variables = [v for _, group in groups for v in group]
        sizes = [len(group) for _, group in groups]
        spec = tf.TensorSpec(shape=[None, *model.input_shape[1:]], dtype=tf.float32)
        labels = tf.TensorSpec(shape=[None], dtype=tf.int64)
        mixed = self.mixed_precision
        self.loss_scale = tf.Variable(INITIAL_LOSS_SCALE if mixed else 1.0, trainable=False, dtype=tf.float32)
        self._good_steps = tf.Variable(0, trainable=False, dtype=tf.int64)

        def apply(grads):
            start_index = 0
            for (opt, group), size in zip(groups, sizes, strict=True):
                opt.apply_gradients(zip(grads[start_index : start_index + size], group, strict=True))
                start_index += size

        def train_step(xb, yb):
            with tf.GradientTape() as tape:
                out = tf.cast(model(xb, training=True), tf.float32)
                loss = self.loss_fn(yb, out)
                if penalty is not None:
                    loss = loss + penalty()
                scaled_loss = loss * self.loss_scale if mixed else loss
            grads = tape.gradient(scaled_loss, variables)
            if not mixed:
                apply(grads)
                return loss, out
            grads = [None if g is None else g / self.loss_scale for g in grads]
            finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads if g is not None])
            if finite:
                apply(grads)
                self._good_steps.assign_add(1)
                if self._good_steps >= LOSS_SCALE_GROWTH_STEPS:
                    self.loss_scale.assign(self.loss_scale * 2.0)
                    self._good_steps.assign(0)
            else:  # skip this step and try a smaller scale
                self.loss_scale.assign(self.loss_scale / 2.0)
                self._good_steps.assign(0)
            return loss, out

        # XLA compiles one step (a fixed batch shape; the last, shorter batch gets its own compilation)
        step = tf.function(train_step, jit_compile=True) if self.jit_compile else train_step

        @tf.function(input_signature=[spec, labels, tf.TensorSpec([None], tf.int64), tf.TensorSpec([], tf.int64)])
        def run_epoch(x, y, order, batch_size):
            n = tf.shape(order, out_type=tf.int64)[0]
            total, correct = tf.constant(0.0), tf.constant(0.0)
            for start in tf.range(tf.constant(0, tf.int64), n, batch_size):
                idx = order[start : start + batch_size]
                xb, yb = tf.gather(x, idx), tf.gather(y, idx)
                loss, out = step(xb, yb)
                total += loss * tf.cast(tf.shape(idx)[0], tf.float32)
                correct += tf.reduce_sum(tf.cast(tf.equal(tf.argmax(out, -1), yb), tf.float32))
            return total / tf.cast(n, tf.float32), correct / tf.cast(n, tf.float32)

        @tf.function(input_signature=[spec, labels])
        def evaluate(x, y):
            out = tf.cast(model(x, training=False), tf.float32)
            return self.loss_fn(y, out), tf.reduce_mean(tf.cast(tf.equal(tf.argmax(out, -1), y), tf.float32))

        self._run_epoch, self._evaluate = run_epoch, evaluate

    def reset(self, weights) -> None:
        """Start again from ``weights`` (``model.get_weights()`` of a freshly built twin) and a fresh optimiser."""
        self.model.set_weights(weights)
        for (opt, _), starts in zip(self.groups, self._optimizer_start, strict=True):
            for variable, start in zip(opt.variables, starts, strict=True):
                variable.assign(start)
        self.loss_scale.assign(INITIAL_LOSS_SCALE if self.mixed_precision else 1.0)
        self._good_steps.assign(0)

    def fit(self, x, y, *, epochs: int, batch_size: int = 64, seed: int = 0, validation_data=None):
        """Train for ``epochs`` epochs; return a history dict.

        Parameters
        ----------
        x : ndarray, shape (n, ...)
        y : ndarray of int, shape (n,)
        epochs : int
        batch_size : int
        seed : int
            Seed of the per-epoch shuffling.
        validation_data : (x_val, y_val) or None
            Scored after every epoch (accuracy and loss, inference mode).

        Returns
        -------
        dict
            ``loss`` and ``accuracy`` per epoch (training batches), ``val_loss`` and
            ``val_accuracy`` with validation data (the shape of ``History.history``), and
            ``epoch_seconds``: wall time of each epoch's training (the first includes tracing).
        """
        import tensorflow as tf

        x = np.asarray(x, dtype="float32")
        y = np.asarray(y)
        if len(x) != len(y) or len(x) == 0:
            raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)} and {len(y)}")
        _check_positive_int("epochs", epochs)
        _check_positive_int("batch_size", batch_size)
        n = len(x)
        x_t, y_t = tf.constant(x), tf.constant(y.astype("int64"))
        bs = tf.constant(min(int(batch_size), n), tf.int64)
        if validation_data is not None:
            xv = tf.constant(np.asarray(validation_data[0], dtype="float32"))
            yv = tf.constant(np.asarray(validation_data[1]).astype("int64"))
        rng = np.random.default_rng(seed)
        history: dict[str, list[float]] = {"loss": [], "accuracy": [], "epoch_seconds": []}
        for _ in range(epochs):
            start = time.perf_counter()
            loss, acc = self._run_epoch(x_t, y_t, tf.constant(rng.permutation(n).astype("int64")), bs)
            history["loss"].append(float(loss))
            history["epoch_seconds"].append(time.perf_counter() - start)
            history["accuracy"].append(float(acc))
            if validation_data is not None:
                val_loss, val_acc = self._evaluate(xv, yv)
                history.setdefault("val_loss", []).append(float(val_loss))
                history.setdefault("val_accuracy", []).append(float(val_acc))
        return history


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
    penalty=None,
    jit_compile: bool | None = None,
) -> dict[str, list[float]]:
    """Train ``model`` once with a new :class:`GraphTrainer`; see :meth:`GraphTrainer.fit`.

    Parameters
    ----------
    model : keras.Model
    x, y : ndarray
    epochs, batch_size : int
    optimizer : keras.optimizers.Optimizer or None
        Default ``Adam(1e-3)``. Pass a fresh optimiser per model.
    seed : int
    validation_data : (x_val, y_val) or None
    from_logits : bool
    penalty : callable or None
        Added to the loss at every step (see :class:`GraphTrainer`).
    jit_compile : bool or None
        XLA; ``None`` follows :func:`utils.course.speed.speed_settings`.

    Returns
    -------
    dict
        The history, as :meth:`GraphTrainer.fit` returns it.

    Examples
    --------
    >>> import keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    >>> x, y = np.random.default_rng(0).normal(size=(32, 4)), np.arange(32) % 3
    >>> history = train_in_graph(model, x, y, epochs=2, batch_size=16, validation_data=(x, y))
    >>> len(history["loss"]), sorted(history)
    (2, ['accuracy', 'epoch_seconds', 'loss', 'val_accuracy', 'val_loss'])
    """
    _check_positive_int("epochs", epochs)
    _check_positive_int("batch_size", batch_size)
    trainer = GraphTrainer(model, optimizer, from_logits=from_logits, penalty=penalty, jit_compile=jit_compile)
    return trainer.fit(x, y, epochs=epochs, batch_size=batch_size, seed=seed, validation_data=validation_data)
