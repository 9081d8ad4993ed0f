"""The fast query encoder equals the reference sentence-transformers model."""

from __future__ import annotations

import numpy as np

from retrieval.embedding import NumpyBertEmbedder, document_embedder, model_path


def test_model_ships_in_a_package() -> None:
    p = model_path()
    assert (p / "model.safetensors").is_file() and (p / "tokenizer.json").is_file()


def test_numpy_encoder_matches_sentence_transformers() -> None:
    texts = [
        "What was Twilio's fiscal 2024 revenue?",
        "Twilio's non-GAAP gross margins have been in the 49-52% range.",
        "x",
        "Segment " * 300,  # longer than the model's 256 tokens: truncated the same way
        "Ünïcödé — “quotes” and emoji 📈",
    ]
    ref = document_embedder().encode(texts)
    fast = NumpyBertEmbedder().encode(texts)
    assert fast.shape == ref.shape == (len(texts), 384)
    cos = (ref * fast).sum(1)
    assert np.all(cos > 0.9999), cos
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
