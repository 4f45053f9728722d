"""Building blocks for fine-tuning: L2-SP, BatchNorm freezing, per-layer learning rates.

The recipes themselves (what to unfreeze, which learning rate, the two stages)
belong in the notebook; these are the parts Keras does not provide.
"""

from __future__ import annotations

import numpy as np

from ._checks import is_int_at_least


class L2SP:
    """The L2-SP penalty: ``alpha / 2 * sum ||w - w0||^2`` over a set of weights.

    Li, Grandvalet and Davoine (2018) regularise fine-tuning towards the
    pretrained weights ``w0`` ("starting point") instead of towards zero, so the
    network can adapt but is pulled back to what it learned on the source task.

    Parameters
    ----------
    variables : list of keras.Variable
        The weights to regularise (typically the backbone's trainable kernels).
        Their current values are taken as the starting point ``w0``.
    alpha : float
        Strength, >= 0.

    Examples
    --------
    >>> import keras
    >>> backbone = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> penalty = L2SP(backbone.trainable_variables, alpha=0.01)
    >>> _ = backbone.layers[0].bias.assign([3.0, 4.0])  # fine-tuning moves the weights
    >>> cross_entropy = 0.5
    >>> loss = cross_entropy + penalty()
    >>> round(float(loss), 3), round(penalty.distance(), 3)  # 0.5 + 0.01 / 2 * (3**2 + 4**2)
    (0.625, 5.0)
    """

    def __init__(self, variables, alpha: float):
        import tensorflow as tf

        if not float(alpha) >= 0:
            raise ValueError(f"alpha must be >= 0, got {alpha!r}")
        self.variables = list(variables)
        if not self.variables:
            raise ValueError("L2SP needs at least one variable to regularise")
        self.alpha = float(alpha)
        self.reference = [tf.constant(v.numpy()) for v in self.variables]

    def __call__(self):
        import tensorflow as tf

        total = tf.add_n([tf.reduce_sum(tf.square(v - w0)) for v, w0 in zip(self.variables, self.reference, strict=True)])
        return 0.5 * self.alpha * total

    def distance(self) -> float:
        """Euclidean distance of the current weights from the starting point (no alpha)."""
        return float(np.sqrt(sum(np.sum((v.numpy() - w0.numpy()) ** 2)
                                 for v, w0 in zip(self.variables, self.reference, strict=True))))


def freeze_batchnorm(model) -> int:
    """Set ``trainable = False`` on every BatchNormalization layer inside ``model``.

    A frozen BatchNormalization layer runs in inference mode even when the model
    is called with ``training=True``: it uses and keeps its moving statistics. In
    Keras 3 an outer ``training=True`` overrides a ``training=False`` given to an
    inner backbone call, so after unfreezing a backbone this is the reliable way
    to keep its BatchNorm statistics fixed.

    Returns
    -------
    int
        How many layers were frozen.

    Examples
    --------
    >>> from utils.backbones import load_backbone
    >>> backbone = load_backbone("glyphnet-letters", trainable=True)
    >>> freeze_batchnorm(backbone)
    5
    >>> backbone.get_layer("block1_bn1").trainable, backbone.get_layer("block1_conv1").trainable
    (False, True)
    """
    import keras

    count = 0
    for layer in _all_layers(model):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
            count += 1
    return count


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def discriminative_learning_rates(groups, base_rate: float, decay: float, *, optimizer="adam"):
    """One optimiser per group of layers, the rate shrinking towards the input.

    The last group gets ``base_rate``, the one before ``base_rate * decay``, then
    ``base_rate * decay**2`` and so on (Howard & Ruder, 2018, "discriminative
    fine-tuning"): early, generic layers move less than late, specific ones.

    Parameters
    ----------
    groups : list of lists of keras layers or variables, input side first
    base_rate : float
        Learning rate of the last group, > 0.
    decay : float
        Factor per group towards the input, in (0, 1].
    optimizer : {"adam", "sgd"}

    Returns
    -------
    list of (optimizer, variables, rate)
        Pass it to :class:`utils.training.GraphTrainer` as ``optimizer=``.

    Examples
    --------
    >>> import keras
    >>> from utils.backbones import load_backbone
    >>> backbone = load_backbone("glyphnet-letters", trainable=True)
    >>> head = keras.layers.Dense(10)
    >>> head.build((None, 128))
    >>> groups = discriminative_learning_rates([*backbone_blocks(backbone), [head]], 1e-3, decay=0.3)
    >>> [round(rate, 6) for _, _, rate in groups]  # three blocks, then the head
    [2.7e-05, 9e-05, 0.0003, 0.001]
    """
    import keras

    if not float(base_rate) > 0:
        raise ValueError(f"base_rate must be > 0, got {base_rate!r}")
    if not 0 < float(decay) <= 1:
        raise ValueError(f"decay must be in (0, 1], got {decay!r}")
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    groups = list(groups)
    if not groups:
        raise ValueError("groups is empty")
    out = []
    for depth, group in enumerate(groups):
        variables = []
        for item in group:
            variables += list(item.trainable_variables) if hasattr(item, "trainable_variables") else [item]
        if not variables:
            continue  # a frozen group trains nothing
        rate = float(base_rate) * float(decay) ** (len(groups) - 1 - depth)
        opt = keras.optimizers.Adam(rate) if optimizer == "adam" else keras.optimizers.SGD(rate)
        out.append((opt, variables, rate))
    if not out:
        raise ValueError("no group has trainable variables")
    return out


def glyphnet_blocks(backbone) -> list[list]:
    """The layers of a course glyphnet grouped by block (input side first), for per-block rates.

    Examples
    --------
    >>> from utils.backbones import load_backbone
    >>> blocks = glyphnet_blocks(load_backbone("glyphnet-letters"))
    >>> [len(block) for block in blocks], blocks[-1][0].name
    ([7, 7, 3], 'block3_conv1')
    """
    blocks: dict[str, list] = {}
    for layer in backbone.layers:
        if layer.name.startswith("block"):
            blocks.setdefault(layer.name.split("_")[0], []).append(layer)
    if not blocks:
        raise ValueError(f"{backbone.name} has no layers named block1_..., block2_...; is it a course glyphnet?")
    return [blocks[key] for key in sorted(blocks)]


def backbone_blocks(backbone, n_groups: int = 3) -> list[list]:
    """Layers of any backbone in ``n_groups`` contiguous groups, input side first.

    A course glyphnet is grouped by its named blocks (``n_groups`` is then ignored);
    any other model (e.g. a ``keras.applications`` network) is cut into
    ``n_groups`` runs of layers of about equal length, in the order Keras lists them.

    Examples
    --------
    >>> import keras
    >>> from utils.backbones import load_backbone
    >>> [layer.name for layer in backbone_blocks(load_backbone("glyphnet-letters"))[-1]]
    ['block3_conv1', 'block3_bn1', 'block3_relu1']
    >>> mlp = keras.Sequential([keras.Input((4,)), *[keras.layers.Dense(4) for _ in range(6)]])
    >>> [len(group) for group in backbone_blocks(mlp, n_groups=3)]
    [2, 2, 2]
    """
    if not is_int_at_least(n_groups, 1):
        raise ValueError(f"n_groups must be a positive integer, got {n_groups!r}")
    if any(layer.name.startswith("block1_") for layer in backbone.layers) and any(
        layer.name == "features" for layer in backbone.layers
    ):
        return glyphnet_blocks(backbone)
    layers = [layer for layer in backbone.layers if layer.weights]
    if len(layers) < n_groups:
        raise ValueError(f"{backbone.name} has {len(layers)} layers with weights, fewer than n_groups={n_groups}")
    return [list(chunk) for chunk in np.array_split(np.array(layers, dtype=object), n_groups)]
