"""A pretrained text encoder for notebook 06: load it with KerasHub, check it, embed sentences.

The encoder is all-MiniLM-L6-v2 (sentence-transformers): a 6-layer BERT with 384-dimensional
hidden states, trained to give similar sentences similar mean-pooled embeddings. On the offline
track its files come from the course cache that ``make setup`` fills
(:mod:`utils.course.textfiles`); on the imagenet track KerasHub reads the same checkpoint from
the Hugging Face hub (:data:`HUB_SOURCE`).

What stays in the notebook is the lesson: tokens and padding masks, pooling, a Keras head,
``trainable``, LoRA. What is here is plumbing: the provenance check, and embedding many
sentences fast (sorted by length, so that each batch is only as long as its longest sentence)
while keeping every layer's pooled output for the "which layer transfers" study.

KerasHub is imported on first use, so ``import utils`` stays light.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._checks import is_int_at_least

#: Where KerasHub finds the same checkpoint on the Hugging Face hub (imagenet track; needs network).
HUB_SOURCE = "hf://sentence-transformers/all-MiniLM-L6-v2"
#: The provenance check: the first 5 dimensions of the mean-pooled, L2-normalised embedding of
#: "hello world", as published in fastembed's test suite for this model (qdrant/fastembed,
#: tests/test_text_onnx_embeddings.py, "sentence-transformers/all-MiniLM-L6-v2").
REFERENCE_SENTENCE = "hello world"
REFERENCE_EMBEDDING = (-0.034478, 0.03102, 0.00673, 0.02611, -0.039362)
REFERENCE_TOLERANCE = 1e-3

__all__ = ["HUB_SOURCE", "REFERENCE_EMBEDDING", "check_reference_embedding", "embed_layers", "load_text_encoder",
           "mean_pool", "sentence_embeddings", "tokenize"]


def _keras_hub():
    try:
        import keras_hub
    except ImportError as exc:  # the floor stack, or a runtime without the text extra
        raise ImportError("Notebook 06 needs KerasHub (keras-hub >= 0.30, with Keras >= 3.15) and safetensors. "
                          "Run `make setup` (a laptop), or `python -m utils.course.colab install --text` "
                          "(Colab, Kaggle)") from exc
    return keras_hub


def load_text_encoder(source: str | None = None, *, sequence_length: int = 48, check: bool = True,
                      dropout: float | None = None):
    """The pretrained encoder and its preprocessor, from the course cache or the hub.

    Parameters
    ----------
    source : str or None
        ``None`` for the files ``make setup`` fetched (offline track), or a KerasHub preset:
        a folder, :data:`HUB_SOURCE` or a KerasHub preset name.
    sequence_length : int
        Tokens per sentence after the preprocessor pads or truncates (``[CLS]`` and ``[SEP]`` included).
    check : bool
        Compare the embedding of "hello world" with the published reference
        (:func:`check_reference_embedding`); only meaningful for all-MiniLM-L6-v2.
    dropout : float or None
        The encoder's dropout rate during training; ``None`` keeps the checkpoint's (0.1 here).
        ``0.0`` makes training deterministic given the data (notebook 07 compares replicas with it).

    Returns
    -------
    backbone : keras_hub.models.BertBackbone
    preprocessor : keras_hub.models.BertTextClassifierPreprocessor
        Turns a batch of strings into ``token_ids``, ``segment_ids`` and ``padding_mask``.

    Raises
    ------
    utils.course.textfiles.TextFilesError
        When the offline files are missing or altered; the message names the command that fetches them.
    utils.WeightsUnavailableError
        When a preset from the hub cannot be loaded (no network); the message names the offline track.
    """
    if not is_int_at_least(sequence_length, 4):
        raise ValueError(f"sequence_length must be an integer >= 4, got {sequence_length!r}")
    if dropout is not None and (isinstance(dropout, bool) or not isinstance(dropout, int | float) or not 0 <= dropout < 1):
        raise ValueError(f"dropout must be a number in [0, 1) or None, got {dropout!r}")
    if source is None:
        from .course.textfiles import check_model

        source = str(check_model())
    keras_hub = _keras_hub()
    try:
        backbone = keras_hub.models.BertBackbone.from_preset(source, **({} if dropout is None else {"dropout": dropout}))
        preprocessor = keras_hub.models.BertTextClassifierPreprocessor.from_preset(source,
                                                                                sequence_length=sequence_length)
    except Exception as exc:  # noqa: BLE001 - a download that failed becomes one clear message
        if Path(source).is_dir():
            raise
        from .backbones import WeightsUnavailableError

        raise WeightsUnavailableError(
            f"Could not load the text encoder {source!r} (no network? {type(exc).__name__}: {str(exc)[:160]}). "
            "Either switch to the offline track (TL_TRACK=offline: the same checkpoint, from the files `make setup` "
            "fetched), or run this on a machine with internet.") from None
    if check:
        check_reference_embedding(backbone, preprocessor)
    return backbone, preprocessor


def tokenize(preprocessor, texts) -> dict[str, np.ndarray]:
    """``{"token_ids", "segment_ids", "padding_mask"}`` as NumPy arrays, one row per sentence.

    Examples
    --------
    >>> tokens = tokenize(preprocessor, ["hello world"])  # doctest: +SKIP
    >>> tokens["token_ids"][0, :4], tokens["padding_mask"][0, :5]  # doctest: +SKIP
    (array([ 101, 7592, 2088,  102]), array([ True,  True,  True,  True, False]))
    """
    texts = _check_texts(texts)
    import tensorflow as tf

    return {name: np.asarray(value) for name, value in preprocessor(tf.constant(texts)).items()}


def mean_pool(hidden, padding_mask):
    """Mean of the hidden states over the real tokens (``padding_mask`` True), per sentence.

    Works on NumPy arrays and on Keras tensors (inside a model).

    Examples
    --------
    >>> h = np.array([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    >>> np.asarray(mean_pool(h, np.array([[True, True, False]])))
    array([[2., 3.]])
    """
    import keras

    mask = keras.ops.expand_dims(keras.ops.cast(padding_mask, hidden.dtype), -1)
    return keras.ops.sum(hidden * mask, axis=1) / keras.ops.maximum(keras.ops.sum(mask, axis=1), 1.0)


def sentence_embeddings(backbone, preprocessor, texts, *, normalize: bool = True) -> np.ndarray:
    """Mean-pooled last-layer embeddings of a few sentences (one batch), L2-normalised by default."""
    tokens = tokenize(preprocessor, texts)
    hidden = backbone(tokens, training=False)["sequence_output"]
    pooled = np.asarray(mean_pool(hidden, tokens["padding_mask"]), dtype=np.float64)
    if normalize:
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    return pooled


def check_reference_embedding(backbone, preprocessor, *, reference=REFERENCE_EMBEDDING,
                              atol: float = REFERENCE_TOLERANCE) -> np.ndarray:
    """Refuse an encoder whose embedding of "hello world" is not the published one.

    Returns the first dimensions of the measured embedding when they agree within ``atol``.

    Raises
    ------
    ValueError
        When any of the first ``len(reference)`` dimensions differs by more than ``atol``.
    """
    reference = np.asarray(reference, dtype=np.float64)
    got = sentence_embeddings(backbone, preprocessor, [REFERENCE_SENTENCE])[0, :len(reference)]
    worst = float(np.max(np.abs(got - reference)))
    if not worst <= atol:
        raise ValueError(f"The encoder's embedding of {REFERENCE_SENTENCE!r} starts {np.round(got, 5).tolist()}, not the "
                         f"published {reference.tolist()} (largest difference {worst:.2g} > {atol:g}): these are not the "
                         "weights of all-MiniLM-L6-v2. Delete the course's text folder and run `make setup` again.")
    return got


def embed_layers(backbone, tokens: dict, *, batch_size: int = 64, keep_hidden: int | None = None, hidden_rows=None,
                 hidden_dtype="float32", round_to: int = 8):
    """Every transformer layer's mean-pooled output for many sentences, in one pass.

    Sentences are sorted by length and each batch is cut to its longest sentence (rounded up to
    ``round_to`` tokens, so only a few shapes are compiled): short sentences cost less than when
    everything is padded to the preprocessor's length, and the result is the same because padded
    positions are masked.

    Parameters
    ----------
    backbone : keras_hub.models.BertBackbone
    tokens : dict
        The output of :func:`tokenize`.
    batch_size : int
    keep_hidden : int or None
        Also return the full hidden states (every token) after transformer layer ``keep_hidden``
        (0-based), to train the layers above it without running the ones below again.
    hidden_rows : array of int or None
        Keep those hidden states only for these sentences (row indices of ``tokens``, in the
        order given); ``None`` keeps them for all. Hidden states take ``length x hidden_dim``
        floats per sentence, so keep only the ones you will train or evaluate on.
    hidden_dtype : str
        ``"float16"`` halves their memory (their values round to about 3 significant digits).
    round_to : int

    Returns
    -------
    pools : ndarray, shape (n, n_layers, hidden_dim)
        Mean-pooled output of each transformer layer (the last is the usual sentence embedding).
    cls : ndarray, shape (n, hidden_dim)
        The last layer's output at ``[CLS]`` (the first token).
    hidden : ndarray, shape (len(hidden_rows), sequence_length, hidden_dim), or None
        The hidden states after layer ``keep_hidden``, zero beyond each batch's cut.
    """
    import keras
    import tensorflow as tf

    ids, segments, mask = (np.asarray(tokens[k]) for k in ("token_ids", "segment_ids", "padding_mask"))
    if ids.ndim != 2 or ids.shape != mask.shape or ids.shape != segments.shape or len(ids) == 0:
        raise ValueError("tokens must hold token_ids, segment_ids and padding_mask of one shape (n, length), n > 0; "
                         "make them with utils.text.tokenize")
    if not is_int_at_least(batch_size, 1) or not is_int_at_least(round_to, 1):
        raise ValueError(f"batch_size and round_to must be positive integers, got {batch_size!r} and {round_to!r}")
    layers = backbone.transformer_layers
    if keep_hidden is not None and not (is_int_at_least(keep_hidden, 0) and keep_hidden < len(layers)):
        raise ValueError(f"keep_hidden must be a layer index from 0 to {len(layers) - 1}, or None; got {keep_hidden!r}")
    rows_kept = np.arange(len(ids)) if hidden_rows is None else np.asarray(hidden_rows)
    if keep_hidden is not None and (rows_kept.ndim != 1 or not np.issubdtype(rows_kept.dtype, np.integer)
                                    or (rows_kept.size and not 0 <= rows_kept.min() <= rows_kept.max() < len(ids))):
        raise ValueError(f"hidden_rows must be row indices of tokens (0 to {len(ids) - 1}), or None")
    outputs = [layer.output for layer in layers]
    extractor = keras.Model(backbone.inputs, outputs)
    spec = tf.TensorSpec([None, None], tf.int32)

    @tf.function(input_signature=[spec, spec, tf.TensorSpec([None, None], tf.bool)], reduce_retracing=True)
    def run(token_ids, segment_ids, padding_mask):
        states = extractor({"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask},
                           training=False)
        pooled = tf.stack([mean_pool(h, padding_mask) for h in states], axis=1)
        kept = states[keep_hidden] if keep_hidden is not None else states[-1][:, :0]
        return pooled, states[-1][:, 0], kept

    n, length = ids.shape
    dim = backbone.hidden_dim
    pools = np.zeros((n, len(layers), dim), np.float32)
    cls = np.zeros((n, dim), np.float32)
    hidden = np.zeros((len(rows_kept), length, dim), hidden_dtype) if keep_hidden is not None else None
    where = np.full(n, -1)
    where[rows_kept] = np.arange(len(rows_kept))
    lengths = mask.sum(axis=1)
    order = np.argsort(lengths, kind="stable")
    for start in range(0, n, batch_size):
        rows = order[start:start + batch_size]
        cut = min(length, int(-(-max(int(lengths[rows].max()), 1) // round_to) * round_to))
        pooled, first, kept = run(ids[rows, :cut].astype(np.int32), segments[rows, :cut].astype(np.int32),
                                  mask[rows, :cut].astype(bool))
        pools[rows], cls[rows] = pooled.numpy(), first.numpy()
        if hidden is not None and (where[rows] >= 0).any():
            wanted = where[rows] >= 0
            hidden[where[rows][wanted], :cut] = kept.numpy()[wanted]
    return pools, cls, hidden


def _check_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise ValueError("texts must be a list of sentences, not one string; wrap it: [text]")
    texts = list(texts)
    if not texts or not all(isinstance(t, str) for t in texts):
        raise ValueError("texts must be a non-empty list of strings")
    return texts
