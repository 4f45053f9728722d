"""utils.text: the pretrained encoder's provenance check, tokenisation and padding, pooling and bucketed embedding.

These load the real all-MiniLM-L6-v2 files that ``make setup`` fetched (no network). They need the
``text`` extra (KerasHub, Keras >= 3.15): the oldest supported stack (make test-floor) runs without it,
so there the module is skipped with that reason; make test runs them.
"""

import numpy as np
import pytest

keras_hub = pytest.importorskip("keras_hub", reason="the text extra (keras-hub) is not installed: the floor stack")

from utils import text  # noqa: E402
from utils.course import textfiles  # noqa: E402


@pytest.fixture(scope="module")
def encoder():
    try:
        return text.load_text_encoder(sequence_length=16)
    except textfiles.TextFilesError as exc:
        pytest.fail(f"{exc} (make test runs make setup first)")


def test_the_published_embedding_of_hello_world_is_reproduced(encoder):
    got = text.check_reference_embedding(*encoder)
    np.testing.assert_allclose(got, text.REFERENCE_EMBEDDING, atol=1e-3)
    assert encoder[0].count_params() == 22_713_216


def test_a_wrong_reference_embedding_is_refused(encoder):
    wrong = np.array(text.REFERENCE_EMBEDDING) + np.array([0, 0, 0.01, 0, 0])
    with pytest.raises(ValueError, match="not the weights of all-MiniLM-L6-v2.*make setup"):
        text.check_reference_embedding(*encoder, reference=wrong)


def test_altered_weights_are_refused(encoder):
    backbone, preprocessor = encoder
    kernel = backbone.token_embedding.embeddings
    saved = kernel.numpy()
    try:
        kernel.assign(saved * 1.05)
        with pytest.raises(ValueError, match="not the weights"):
            text.check_reference_embedding(backbone, preprocessor)
    finally:
        kernel.assign(saved)


def test_wordpiece_tokens_cls_sep_and_padding(encoder):
    tokens = text.tokenize(encoder[1], ["hello world", "Hello, WORLD!"])
    assert tokens["token_ids"].shape == (2, 16)
    np.testing.assert_array_equal(tokens["token_ids"][0, :5], [101, 7592, 2088, 102, 0])  # [CLS] hello world [SEP] [PAD]
    np.testing.assert_array_equal(tokens["padding_mask"][0, :5], [True, True, True, True, False])
    np.testing.assert_array_equal(tokens["token_ids"][1, :6], [101, 7592, 1010, 2088, 999, 102])  # lower-cased, split
    assert not tokens["segment_ids"].any()


def test_long_sentences_are_truncated_and_keep_their_sep(encoder):
    tokens = text.tokenize(encoder[1], [" ".join(["word"] * 40)])
    assert tokens["padding_mask"].all() and tokens["token_ids"][0, -1] == 102 and tokens["token_ids"][0, 0] == 101


def test_mean_pool_ignores_padding():
    h = np.array([[[1.0, 2.0], [3.0, 4.0], [9.0, 9.0]], [[5.0, 5.0], [0.0, 0.0], [0.0, 0.0]]])
    mask = np.array([[True, True, False], [True, False, False]])
    np.testing.assert_allclose(np.asarray(text.mean_pool(h, mask)), [[2.0, 3.0], [5.0, 5.0]])


def test_bucketed_embedding_equals_the_padded_one(encoder):
    backbone, preprocessor = encoder
    sentences = ["a gripping, funny film", "dull", "the plot goes nowhere and the actors know it", "great"]
    tokens = text.tokenize(preprocessor, sentences)
    pools, cls, hidden = text.embed_layers(backbone, tokens, batch_size=3, keep_hidden=3, round_to=4)
    assert pools.shape == (4, 6, 384) and cls.shape == (4, 384) and hidden.shape == (4, 16, 384)
    padded = backbone(tokens, training=False)["sequence_output"].numpy()
    np.testing.assert_allclose(pools[:, -1], np.asarray(text.mean_pool(padded, tokens["padding_mask"])), atol=1e-4)
    np.testing.assert_allclose(cls, padded[:, 0], atol=1e-4)
    np.testing.assert_allclose(text.sentence_embeddings(backbone, preprocessor, sentences),
                               pools[:, -1] / np.linalg.norm(pools[:, -1], axis=1, keepdims=True), atol=1e-4)


def test_hidden_states_are_kept_only_for_the_rows_asked_in_the_dtype_asked(encoder):
    backbone, preprocessor = encoder
    tokens = text.tokenize(preprocessor, ["one", "two words", "three short words", "four"])
    _, _, every = text.embed_layers(backbone, tokens, keep_hidden=2)
    _, _, some = text.embed_layers(backbone, tokens, keep_hidden=2, hidden_rows=[2, 0], hidden_dtype="float16")
    assert some.shape == (2, 16, 384) and some.dtype == np.float16
    np.testing.assert_allclose(some.astype(np.float32), every[[2, 0]], atol=1e-2)
    with pytest.raises(ValueError, match="hidden_rows must be row indices"):
        text.embed_layers(backbone, tokens, keep_hidden=2, hidden_rows=[4])


def test_bad_inputs_are_refused_with_what_to_do(encoder):
    backbone, preprocessor = encoder
    with pytest.raises(ValueError, match="wrap it"):
        text.tokenize(preprocessor, "one string")
    with pytest.raises(ValueError, match="non-empty list of strings"):
        text.tokenize(preprocessor, [])
    tokens = text.tokenize(preprocessor, ["fine"])
    with pytest.raises(ValueError, match="keep_hidden must be a layer index from 0 to 5"):
        text.embed_layers(backbone, tokens, keep_hidden=6)
    with pytest.raises(ValueError, match="utils.text.tokenize"):
        text.embed_layers(backbone, {k: v[:, :0] for k, v in tokens.items()} | {"token_ids": tokens["token_ids"][0]})
    with pytest.raises(ValueError, match="sequence_length"):
        text.load_text_encoder(sequence_length=2)


def test_a_missing_model_folder_names_the_setup_command(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_TEXT_DIR", str(tmp_path))
    with pytest.raises(textfiles.TextFilesError, match="make setup"):
        text.load_text_encoder()


def test_without_keras_hub_the_error_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_keras_hub(name, *args, **kwargs):
        if name == "keras_hub":
            raise ImportError("No module named 'keras_hub'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_keras_hub)
    with pytest.raises(ImportError, match="make setup.*colab install --text"):
        text._keras_hub()


def test_a_hub_preset_without_network_names_the_offline_track(monkeypatch):
    from utils.backbones import WeightsUnavailableError

    def refuse(*args, **kwargs):
        raise ConnectionError("network refused by the test")

    monkeypatch.setattr(keras_hub.models.BertBackbone, "from_preset", refuse)
    with pytest.raises(WeightsUnavailableError, match="TL_TRACK=offline") as info:
        text.load_text_encoder(text.HUB_SOURCE)
    assert info.value.__cause__ is None and info.value.__suppress_context__
