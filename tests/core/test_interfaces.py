"""Every shipped part satisfies the Protocol it is held as (core/interfaces.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.config import Settings
from core.interfaces import (
    Answerer,
    ChatModel,
    DenseIndex,
    DocumentStore,
    Embedder,
    GraphStore,
    LexicalIndex,
)
from engine.llm import LlamaChatModel
from engine.llm_answer import LLMAnswerer
from retrieval.dense import FaissIndex, MatrixIndex
from retrieval.embedding import NumpyBertEmbedder, SentenceTransformerEmbedder


def test_retrieval_parts(qa: Any) -> None:
    idx = qa.index
    assert isinstance(idx, DocumentStore)
    assert isinstance(idx.chunk_dense, DenseIndex) and isinstance(idx.unit_dense, DenseIndex)
    assert isinstance(idx.chunk_lexical, LexicalIndex) and isinstance(idx.unit_lexical, LexicalIndex)
    assert isinstance(SentenceTransformerEmbedder(), Embedder)
    assert isinstance(NumpyBertEmbedder(), Embedder)


def test_graph_and_answerers(qa: Any) -> None:
    assert isinstance(qa.graph, GraphStore)
    assert isinstance(qa.offline, Answerer)
    chat = LlamaChatModel(llm=None, label="test", timeout_s=1.0)
    assert isinstance(chat, ChatModel)
    assert isinstance(LLMAnswerer(chat, qa.offline, qa.index, Settings()), Answerer)


def test_dense_indexes_agree() -> None:
    """FAISS and the NumPy matrix are two backends of one contract: same rows, same answers."""
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(50, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    q = vecs[7] + 0.01
    f, m = FaissIndex.build(vecs), MatrixIndex(vecs)
    assert [i for i, _ in f.search(q, 5)] == [i for i, _ in m.search(q, 5)]
    assert f.search(q, 1)[0][0] == 7
    # each scores within its own rounding of the exact inner product: float16 rows (FAISS), int8
    # codes of the row's direction (the matrix: half a step of the row's largest value per value)
    exact = vecs[[3, 7]] @ q
    np.testing.assert_allclose(f.scores(q, [3, 7]), exact, rtol=0, atol=1e-3)
    bound = np.abs(q).sum() * np.abs(vecs[[3, 7]]).max(axis=1) / 127
    assert np.all(np.abs(m.scores(q, [3, 7]) - exact) <= bound)
    np.testing.assert_allclose(f.vectors([2, 4]), vecs[[2, 4]], rtol=0, atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(m.vectors(), axis=1), 1.0, rtol=0, atol=1e-6)
    assert len(f) == len(m) == 50 and f.dim == m.dim == 8


def test_postgresql_parts(qa: Any, settings: Settings, pg_url: str) -> None:
    """The PostgreSQL backends are held as the same Protocols; both stores satisfy IndexStore."""
    from engine.migrate import migrate
    from engine.stores import IndexStore, open_store
    from kg.pg_store import PgGraphStore
    from retrieval.pg import PgBM25Index, PgTsvectorIndex, PgVectorIndex

    migrate(settings, pg_url)
    pg_settings = settings.with_values({"store": pg_url})
    store = open_store(pg_settings)
    assert isinstance(store, IndexStore) and isinstance(open_store(settings), IndexStore)
    snap = store.load(pg_settings)
    idx = snap.index
    assert isinstance(idx, DocumentStore)
    assert isinstance(idx.chunk_dense, PgVectorIndex) and isinstance(idx.chunk_dense, DenseIndex)
    assert isinstance(idx.unit_dense, DenseIndex)
    assert isinstance(idx.chunk_lexical, PgBM25Index) and isinstance(idx.chunk_lexical, LexicalIndex)
    tsv_settings = pg_settings.with_values({"pg_lexical": "tsvector"})
    tsv = open_store(tsv_settings).load(tsv_settings).index
    assert isinstance(tsv.unit_lexical, PgTsvectorIndex) and isinstance(tsv.unit_lexical, LexicalIndex)
    assert isinstance(snap.graph, PgGraphStore) and isinstance(snap.graph, GraphStore)
