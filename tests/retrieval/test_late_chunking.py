"""Late chunking (retrieval.late): one encoder pass gives a chunk's vector and its units' vectors.

Real model, real passages of the bundled corpus: the chunk vector of a piece that fits the window
is the sentence-transformers vector of its text; unit vectors pooled from the chunk's pass stay
close to separately encoded ones; every unit of an index has a vector; long pieces are windowed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.config import Settings
from engine.store import FileStore
from retrieval.build import all_pieces, chunk_all, late_encoder
from retrieval.documents import load_documents
from retrieval.embedding import NumpyBertEmbedder
from retrieval.late import Piece

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="module")
def corpus_pieces() -> tuple[list, list, list[Piece]]:  # type: ignore[type-arg]
    docs, _ = load_documents([CORPUS])
    docs.sort(key=lambda d: d.id)
    units, chunks = chunk_all(docs, Settings())
    return units, chunks, all_pieces(docs, units, chunks)


def _torch() -> object:
    s = Settings(embed_backend="torch")
    return late_encoder(s.model, "torch", Path(s.cache_dir).expanduser(), 0, s.embed_batch_size)


def test_chunk_vector_is_the_sentence_vector_of_its_text(corpus_pieces) -> None:  # type: ignore[no-untyped-def]
    _, _, pieces = corpus_pieces
    plain = [Piece(p.head, p.parts) for p in pieces[:12]]  # no shared context: one window, one text
    chunk_vecs, _ = _torch().encode(plain)  # type: ignore[attr-defined]
    ref = NumpyBertEmbedder().encode([p.late_text for p in plain])
    cos = (chunk_vecs * ref).sum(1)
    assert np.all(cos > 0.999), cos


def test_unit_vectors_stay_close_to_separately_encoded_units(corpus_pieces) -> None:  # type: ignore[no-untyped-def]
    _, _, pieces = corpus_pieces
    enc = _torch()
    sample = pieces[:20]
    _, part_vecs = enc.encode(sample)  # type: ignore[attr-defined]
    late = np.concatenate(part_vecs)
    texts = [t for p in sample for t in p.parts]
    alone = NumpyBertEmbedder().encode(texts)
    cos = (late * alone).sum(1)
    assert cos.mean() >= 0.7 and cos.min() >= 0.3, (cos.mean(), cos.min())
    # each late unit vector is nearest to its own text among the sampled units, for most units
    nearest = (late @ alone.T).argmax(1)
    same_text = [texts[j] == texts[i] for i, j in enumerate(nearest)]
    assert np.mean(same_text) >= 0.8, np.mean(same_text)


def test_every_unit_of_an_index_has_a_unit_vector(built_index: Path, settings: Settings) -> None:
    idx = FileStore(built_index).load(settings).index
    vecs = np.asarray(idx.unit_dense.vectors(), np.float32)
    assert vecs.shape == (len(idx.units), idx.dim)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    chunk_vecs = np.asarray(idx.chunk_dense.vectors(), np.float32)
    assert np.allclose(np.linalg.norm(chunk_vecs, axis=1), 1.0, atol=1e-4)


def test_a_piece_longer_than_the_window_is_split_and_every_part_pooled() -> None:
    enc = _torch()
    rows = tuple(f"Row {i}: revenue {i * 13} million, cost {i * 7} million, margin {i % 9} percent." for i in range(60))
    piece = Piece("Consolidated Statements of Operations (in millions)", rows)
    assert enc.count_windows([piece]) > 1  # type: ignore[attr-defined]
    chunk_vecs, part_vecs = enc.encode([piece])  # type: ignore[attr-defined]
    assert part_vecs[0].shape == (len(rows), chunk_vecs.shape[1])
    assert np.allclose(np.linalg.norm(part_vecs[0], axis=1), 1.0, atol=1e-5)
    # a part's vector is its own: rows far apart differ more than a row and itself
    assert float(part_vecs[0][0] @ part_vecs[0][59]) < 0.999
