"""Cut a backbone at a named layer and score its features with a linear probe."""

from __future__ import annotations

import numpy as np

# where to cut each keras.applications backbone, shallow to deep
KERAS_PROBE_LAYERS = {
    "mobilenet_v2": ("block_2_add", "block_5_add", "block_9_add", "block_12_add", "block_15_add", "out_relu"),
    "efficientnet_b0": ("block2b_add", "block3b_add", "block4c_add", "block5c_add", "block6d_add", "top_activation"),
    "resnet50": ("conv2_block3_out", "conv3_block4_out", "conv4_block6_out", "conv5_block3_out"),
}


def probe_layers(backbone, name: str | None = None) -> list[str]:
    """Layers worth cutting at, shallow to deep, ending with the backbone's output layer.

    For a course backbone: every ReLU and pooling layer, then ``features``. For a
    ``keras.applications`` model: the ends of its stages (:data:`KERAS_PROBE_LAYERS`),
    found by registry ``name`` or by the layer names themselves.

    Parameters
    ----------
    backbone : keras.Model
    name : str or None
        Registry name of the backbone.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from utils import load_backbone
    >>> layers = probe_layers(load_backbone("glyphnet-letters"), "glyphnet-letters")
    >>> layers[:3], layers[-1]
    (['block1_relu1', 'block1_relu2', 'block1_pool'], 'features')
    """
    layer_names = {layer.name for layer in backbone.layers}
    key = name or backbone.name
    if key in KERAS_PROBE_LAYERS:
        return list(KERAS_PROBE_LAYERS[key])
    for layers in KERAS_PROBE_LAYERS.values():  # a keras.applications model under its Keras name
        if layer_names.issuperset(layers):
            return list(layers)
    if "features" in layer_names:  # a course glyphnet
        picked = [layer.name for layer in backbone.layers if layer.name.endswith("_pool") or "_relu" in layer.name]
        return [*picked, "features"]
    raise ValueError(f"no probe layers known for backbone {key!r}; pass the layer names yourself")


def cut_backbone(backbone, layer: str, *, pooling: str = "flatten"):
    """The part of ``backbone`` from its input to ``layer``, as a model giving flat vectors.

    Parameters
    ----------
    backbone : keras.Model
    layer : str
        Name of a layer of ``backbone``.
    pooling : {"flatten", "avg"}
        How a spatial (h, w, c) output becomes a vector: all h*w*c values, or the
        channel means (``GlobalAveragePooling2D``), which suits large backbones.

    Returns
    -------
    keras.Model
        Frozen like ``backbone``; its weights are the backbone's own (shared, not copied).

    Examples
    --------
    >>> from utils import load_backbone
    >>> cut = cut_backbone(load_backbone("glyphnet-letters"), "block2_pool", pooling="flatten")
    >>> cut.name, cut.output_shape, cut.trainable
    ('glyphnet-letters_to_block2_pool', (None, 256), False)
    """
    import keras

    if pooling not in ("flatten", "avg"):
        raise ValueError(f"pooling must be 'flatten' or 'avg', got {pooling!r}")
    names = [item.name for item in backbone.layers]
    if layer not in names:
        try:
            hint = f"probe layers: {', '.join(probe_layers(backbone))}"
        except ValueError:
            hint = f"its layers: {', '.join(names)}"
        raise ValueError(f"{backbone.name} has no layer {layer!r}; {hint}")
    out = backbone.get_layer(layer).output
    if len(out.shape) == 4:
        pool = keras.layers.Flatten if pooling == "flatten" else keras.layers.GlobalAveragePooling2D
        out = pool(name=f"{layer}_{pooling}")(out)  # a fixed name keeps the feature-cache key stable
    elif len(out.shape) != 2:
        raise ValueError(f"layer {layer!r} has output shape {out.shape}; expected (batch, h, w, c) or (batch, d)")
    model = keras.Model(backbone.input, out, name=f"{backbone.name}_to_{layer}")
    model.trainable = backbone.trainable
    return model


def make_linear_probe(C: float = 1.0, *, max_iter: int = 3000):
    """A standardising logistic-regression classifier (scikit-learn pipeline): the linear probe.

    Examples
    --------
    >>> from utils import load_digits_splits
    >>> digits = load_digits_splits()
    >>> probe = make_linear_probe().fit(digits.train.flat, digits.train.y)  # raw pixels as features
    >>> probe.score(digits.test.flat, digits.test.y) > 0.9
    True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if not float(C) > 0:
        raise ValueError(f"C must be positive, got {C!r}")
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter))


def linear_probe(train_features, y_train, eval_features, y_eval, *, C: float = 1.0) -> float:
    """Fit a linear probe on ``train_features`` and return its accuracy on ``eval_features``.

    Parameters
    ----------
    train_features : ndarray, shape (n, d)
    y_train : ndarray of int, shape (n,)
        At least two classes.
    eval_features : ndarray, shape (m, d)
    y_eval : ndarray of int, shape (m,)
    C : float
        Inverse L2 regularisation strength of the logistic regression.

    Returns
    -------
    float
        Accuracy in [0, 1].

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.arange(40) % 2
    >>> features = rng.normal(size=(40, 5)) + 3.0 * y[:, None]  # class 1 lies 3 units away on every axis
    >>> linear_probe(features[:30], y[:30], features[30:], y[30:])
    1.0
    """
    train_features = np.asarray(train_features)
    eval_features = np.asarray(eval_features)
    y_train, y_eval = np.asarray(y_train), np.asarray(y_eval)
    if train_features.ndim != 2 or eval_features.ndim != 2:
        raise ValueError(
            f"features must be 2-D (n, d); got {train_features.shape} and {eval_features.shape}. "
            "Flatten spatial features first (cut_backbone does)."
        )
    if train_features.shape[1] != eval_features.shape[1]:
        raise ValueError(f"train and eval features differ in width: {train_features.shape[1]} vs {eval_features.shape[1]}")
    if len(train_features) != len(y_train) or len(eval_features) != len(y_eval):
        raise ValueError("features and labels differ in length")
    if len(np.unique(y_train)) < 2:
        raise ValueError("y_train needs at least two classes to fit a probe")
    probe = make_linear_probe(C).fit(train_features, y_train)
    return float(probe.score(eval_features, y_eval))
