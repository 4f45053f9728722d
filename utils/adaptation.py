"""Building blocks of unsupervised domain adaptation (notebook 03).

The training loops of the methods stay in the notebook; this module holds their parts:
the gradient reversal layer of DANN and its schedule, the CORAL and MMD alignment losses,
AdaBN (BatchNorm statistics recomputed on target data) and the proxy A-distance between
two sets of features.

Further reading: ADAPT (``pip install adapt``; de Mathelin et al., "ADAPT: Awesome Domain
Adaptation Python Toolbox", 2021, https://adapt-python.github.io/adapt/) ships DANN, Deep
CORAL, MDD and many other methods as ready-made estimators. The course writes its methods
itself instead, for two reasons: a learner should see the few lines that make each method
(the loss, the reversed gradient), and ADAPT was written for TensorFlow 2 with Keras 2, so
its support of Keras 3 is partial.

References
----------
Ganin et al., "Domain-adversarial training of neural networks", JMLR 2016 (DANN, the
reversal layer, the lambda schedule, proxy A-distance as used there).
Sun & Saenko, "Deep CORAL", ECCV workshops 2016.
Gretton et al., "A kernel two-sample test", JMLR 2012 (MMD); Long et al., ICML 2015 (multi-kernel MMD for adaptation).
Li et al., "Revisiting batch normalization for practical domain adaptation", 2016 (AdaBN).
Ben-David et al., "A theory of learning from different domains", Machine Learning 2010.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import is_int_at_least
from .course.quiet import import_tensorflow
from .finetune import _all_layers

tf = import_tensorflow()
import keras  # noqa: E402  (after the quiet TensorFlow import)

__all__ = ["GradientReversal", "adabn", "coral_loss", "dann_lambda", "mmd_loss", "proxy_a_distance"]


@keras.saving.register_keras_serializable(package="tl_course")
class GradientReversal(keras.layers.Layer):
    """Identity on the forward pass; multiplies the gradient by ``-lambda_`` on the backward pass.

    Placed between a feature extractor and a domain classifier, it lets one optimiser
    step train the domain classifier to tell the domains apart while pushing the
    features to make them indistinguishable (DANN, Ganin et al. 2016).

    ``lambda_`` lives in a non-trainable variable, so a schedule can change it with
    :meth:`set_lambda` during training without retracing a compiled train step.

    Parameters
    ----------
    lambda_ : float
        Strength of the reversed gradient, >= 0.
    **kwargs
        Passed to :class:`keras.layers.Layer` (e.g. ``name``).

    Examples
    --------
    >>> grl = GradientReversal(0.0, name="grl")
    >>> grl.set_lambda(0.5)  # e.g. dann_lambda(step / steps) at every step
    >>> x = tf.Variable([[1.0, 2.0]])
    >>> with tf.GradientTape() as tape:
    ...     y = tf.reduce_sum(grl(x))  # forward pass: the identity
    >>> tape.gradient(y, x).numpy()  # backward pass: the gradient times -0.5
    array([[-0.5, -0.5]], dtype=float32)
    """

    def __init__(self, lambda_: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        _check_lambda(lambda_)
        self.strength = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(float(lambda_)), trainable=False, name="lambda"
        )

    @property
    def lambda_(self) -> float:
        """The current strength of the reversed gradient."""
        return float(self.strength.numpy())

    def set_lambda(self, value: float) -> None:
        """Change the strength (e.g. from :func:`dann_lambda` at every step)."""
        _check_lambda(value)
        self.strength.assign(float(value))

    def call(self, inputs):
        strength = tf.convert_to_tensor(self.strength)

        @tf.custom_gradient
        def reverse(x):
            def grad(dy):
                return -tf.cast(strength, dy.dtype) * dy

            return tf.identity(x), grad

        return reverse(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["lambda_"] = self.lambda_
        return config


def _check_lambda(value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or not value >= 0:
        raise ValueError(f"lambda_ must be a number >= 0, got {value!r}")


def dann_lambda(progress: float, *, gamma: float = 10.0, maximum: float = 1.0) -> float:
    """The DANN schedule: ``maximum * (2 / (1 + exp(-gamma * progress)) - 1)``.

    Starts at 0, so the domain classifier's noisy early gradients do not disturb the
    features, and rises smoothly to ``maximum`` as ``progress`` goes from 0 to 1.

    Parameters
    ----------
    progress : float
        Fraction of training done, in [0, 1].
    gamma : float
        Steepness (10 in the paper), > 0.
    maximum : float
        Final strength, >= 0.

    Examples
    --------
    >>> lambdas = [dann_lambda(i / 4, maximum=0.5) for i in range(5)]  # one per training step
    >>> [round(value, 3) for value in lambdas]
    [0.0, 0.424, 0.493, 0.499, 0.5]
    """
    if not 0.0 <= float(progress) <= 1.0:
        raise ValueError(f"progress must be in [0, 1], got {progress!r}")
    if not gamma > 0 or not maximum >= 0:
        raise ValueError(f"gamma must be > 0 and maximum >= 0, got gamma={gamma!r}, maximum={maximum!r}")
    return float(maximum) * (2.0 / (1.0 + math.exp(-float(gamma) * float(progress))) - 1.0)


def _two_feature_batches(source, target, min_rows: int):
    # float32 whatever comes in (float16 features under mixed precision, float64 arrays)
    source = tf.cast(tf.convert_to_tensor(source), tf.float32)
    target = tf.cast(tf.convert_to_tensor(target), tf.float32)
    for name, t in (("source", source), ("target", target)):
        if t.shape.rank != 2:
            raise ValueError(f"{name} features must be a 2-D batch (n, d), got shape {tuple(t.shape)}")
        if t.shape[0] is not None and t.shape[0] < min_rows:
            raise ValueError(f"{name} batch needs at least {min_rows} rows, got {t.shape[0]}")
    if source.shape[1] is not None and target.shape[1] is not None and source.shape[1] != target.shape[1]:
        raise ValueError(f"source and target features differ in width: {source.shape[1]} vs {target.shape[1]}")
    return source, target


def _covariance(x):
    n = tf.cast(tf.shape(x)[0], x.dtype)
    centred = x - tf.reduce_mean(x, axis=0, keepdims=True)
    return tf.matmul(centred, centred, transpose_a=True) / (n - 1.0)


def coral_loss(source, target):
    """Deep CORAL: squared Frobenius distance between the feature covariances, ``/ (4 d^2)``.

    Parameters
    ----------
    source, target : tensor or array, shape (n_s, d) and (n_t, d)
        Features of a source batch and a target batch; at least 2 rows each.

    Returns
    -------
    scalar tf.Tensor
        0 when the two batches have the same covariance, > 0 otherwise. Differentiable.

    Examples
    --------
    >>> f_s = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> round(float(coral_loss(f_s, f_s)), 3)
    0.0
    >>> round(float(coral_loss(f_s, 3 * f_s)), 3)  # target features spread three times wider
    4.56
    """
    source, target = _two_feature_batches(source, target, 2)
    d = tf.cast(tf.shape(source)[1], tf.float32)
    return tf.reduce_sum(tf.square(_covariance(source) - _covariance(target))) / (4.0 * d * d)


def mmd_loss(source, target, *, bandwidths=(0.25, 0.5, 1.0, 2.0, 4.0)):
    """Squared maximum mean discrepancy with a sum of Gaussian kernels (biased estimate).

    ``MMD^2 = mean k(s, s') + mean k(t, t') - 2 mean k(s, t)``, with
    ``k(a, b) = sum_b exp(-|a - b|^2 / (b * m))`` where ``m`` is the mean squared distance
    between all pairs in the two batches (held constant for the gradient). The biased
    estimate is a squared norm, so it is >= 0, and exactly 0 for identical samples.

    Parameters
    ----------
    source, target : tensor or array, shape (n_s, d) and (n_t, d)
    bandwidths : sequence of float
        Multipliers of ``m``, all > 0.

    Returns
    -------
    scalar tf.Tensor

    Examples
    --------
    >>> f_s = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> round(float(mmd_loss(f_s, f_s)), 3)
    0.0
    >>> round(float(mmd_loss(f_s, f_s + 1.0)), 3)  # target features shifted by 1
    0.913
    """
    source, target = _two_feature_batches(source, target, 1)
    widths = [float(b) for b in bandwidths]
    if not widths or any(not b > 0 for b in widths):
        raise ValueError(f"bandwidths must be a non-empty sequence of positive numbers, got {bandwidths!r}")
    both = tf.concat([source, target], axis=0)
    sq = tf.reduce_sum(tf.square(both), axis=1)
    d2 = tf.maximum(sq[:, None] + sq[None, :] - 2.0 * tf.matmul(both, both, transpose_b=True), 0.0)
    scale = tf.stop_gradient(tf.maximum(tf.reduce_mean(d2), 1e-6))
    kernel = tf.add_n([tf.exp(-d2 / (b * scale)) for b in widths])
    n = tf.shape(source)[0]
    k_ss, k_tt, k_st = kernel[:n, :n], kernel[n:, n:], kernel[:n, n:]
    value = tf.reduce_mean(k_ss) + tf.reduce_mean(k_tt) - 2.0 * tf.reduce_mean(k_st)
    return tf.maximum(value, 0.0)  # rounding can give -1e-8 for identical samples


def adabn(model, x, *, batch_size: int | None = None) -> int:
    """AdaBN: replace every BatchNorm layer's moving statistics by those of ``x``.

    Runs ``x`` through ``model`` in training mode with each BatchNormalization layer's
    momentum set so that its moving mean and variance become the average over the
    batches of ``x``, weighted by batch size (with one batch, exactly the statistics of
    ``x``, computed layer by layer on the target activations). Weights and BatchNorm
    scale and offset do not change. Frozen (``trainable=False``) BatchNorm layers get
    target statistics too: they are unfrozen for the pass and frozen again. Dropout is
    switched off during the pass so it does not distort the statistics.

    Parameters
    ----------
    model : keras.Model
        Contains BatchNormalization layers (nested models are searched).
    x : array, shape (n, ...)
        Target images, preprocessed as the model expects; ``n >= 2``.
    batch_size : int or None
        ``None`` uses all of ``x`` at once (exact). With batches, the variance is the
        mean of the per-batch variances (it ignores how the batch means differ).

    Returns
    -------
    int
        Number of BatchNormalization layers updated.

    Examples
    --------
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization()])
    >>> x_target = np.random.default_rng(0).normal(5.0, 2.0, size=(100, 3))
    >>> adabn(model, x_target, batch_size=50)
    1
    >>> np.allclose(model.layers[0].moving_mean.numpy(), x_target.mean(axis=0), atol=1e-4)
    True
    """
    layers = list(_all_layers(model))
    bns = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not bns:
        raise ValueError(f"{model.name} has no BatchNormalization layer; AdaBN has nothing to adapt")
    x = np.asarray(x, dtype="float32")
    if x.ndim < 2 or len(x) < 2:
        raise ValueError(f"x must be a batch of at least 2 inputs, got shape {x.shape}")
    expected = tuple(model.input_shape[1:])
    if len(expected) != x.ndim - 1 or any(e is not None and e != s for e, s in zip(expected, x.shape[1:])):
        raise ValueError(f"x has input shape {x.shape[1:]}, the model expects {expected}")
    if batch_size is None:
        batch_size = len(x)
    if not is_int_at_least(batch_size, 2):
        raise ValueError(f"batch_size must be an integer >= 2 or None, got {batch_size!r}")
    dropouts = [layer for layer in layers if isinstance(layer, keras.layers.Dropout)]
    saved = [(layer, layer.momentum, layer.trainable) for layer in bns]
    saved_rates = [(layer, layer.rate) for layer in dropouts]
    try:
        for layer in bns:
            layer.trainable = True
        for layer in dropouts:
            layer.rate = 0.0
        seen = 0
        for start in range(0, len(x), batch_size):
            chunk = x[start : start + batch_size]
            if len(chunk) < 2:  # a 1-image batch has no variance; the earlier batches already cover it
                break
            for layer in bns:
                layer.momentum = seen / (seen + len(chunk))  # running average, weighted by batch size
            model(chunk, training=True)
            seen += len(chunk)
    finally:
        for layer, momentum, trainable in saved:
            layer.momentum = momentum
            layer.trainable = trainable
        for layer, rate in saved_rates:
            layer.rate = rate
    return len(bns)


def proxy_a_distance(source, target, *, seed: int = 0, C: float = 1.0) -> float:
    """Proxy A-distance ``2 (1 - 2 err)`` between two feature sets (Ben-David et al.).

    A linear classifier (standardised features, logistic regression) learns to tell
    source from target on one half of the data; ``err`` is its error on the other
    half. Indistinguishable domains give ``err = 0.5`` and a distance of 0; perfectly
    separable ones give 2. Both sets are first cut to the same size (seeded).

    Parameters
    ----------
    source, target : array, shape (n_s, d) and (n_t, d)
        At least 10 rows each, the same width.
    seed : int
        Seed of the subsampling and of the split.
    C : float
        Inverse regularisation strength of the logistic regression, > 0.

    Returns
    -------
    float
        In [0, 2] (an error above 0.5 is counted as 0.5).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> source = rng.normal(size=(100, 5))
    >>> round(proxy_a_distance(source, rng.normal(size=(100, 5)), seed=0), 2)  # same distribution
    0.0
    >>> round(proxy_a_distance(source, rng.normal(3.0, 1.0, size=(100, 5)), seed=0), 2)  # shifted by 3
    2.0
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    source = np.asarray(source, dtype="float64")
    target = np.asarray(target, dtype="float64")
    for name, a in (("source", source), ("target", target)):
        if a.ndim != 2 or len(a) < 10:
            raise ValueError(f"{name} must be a 2-D array with at least 10 rows, got shape {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} features contain NaN or infinite values")
    if source.shape[1] != target.shape[1]:
        raise ValueError(f"source and target features differ in width: {source.shape[1]} vs {target.shape[1]}")
    if not C > 0:
        raise ValueError(f"C must be > 0, got {C!r}")
    rng = np.random.default_rng(seed)
    n = min(len(source), len(target))
    source = source[rng.choice(len(source), n, replace=False)]
    target = target[rng.choice(len(target), n, replace=False)]
    x = np.concatenate([source, target])
    y = np.r_[np.zeros(n), np.ones(n)]
    x_fit, x_eval, y_fit, y_eval = train_test_split(x, y, test_size=0.5, stratify=y, random_state=seed)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
    error = 1.0 - clf.fit(x_fit, y_fit).score(x_eval, y_eval)
    return 2.0 * (1.0 - 2.0 * min(error, 0.5))
