"""Dense indexes store float16 on disk: real passage vectors round-trip within 1e-3, search order is
that of the float32 vectors, and an index answers the same built in memory or loaded from disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pytest

from retrieval.dense import FaissIndex, MatrixIndex
from retrieval.embedding import document_embedder, query_embedder

QUESTIONS = [
    "What was Twilio's fiscal 2024 revenue?",
    "Why did Twilio acquire Segment?",
    "Which AI-native vendors threaten Twilio's CPaaS layer?",
    "How many employees did Twilio have after the restructuring?",
    "What are Twilio's non-GAAP gross margins?",
    "Who sold Twilio shares recently?",
]


@pytest.fixture(scope="module")
def passages(qa: Any) -> tuple[np.ndarray, np.ndarray]:
    """float32 vectors of the real corpus' units (freshly encoded) and of the questions."""
    texts = [u.text for u in qa.index.units]
    vecs = np.asarray(document_embedder().encode(texts), dtype=np.float32)
    queries = np.asarray(query_embedder().encode(QUESTIONS), dtype=np.float32)
    return vecs, queries


def _exact_order(vecs: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    return [int(i) for i in np.argsort(-(vecs @ q), kind="stable")[:k]]


def test_files_round_trip_within_1e_3(passages: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    vecs, _ = passages
    n, dim = vecs.shape
    FaissIndex.build(vecs).save(tmp_path / "chunks.faiss")
    MatrixIndex(vecs).save(tmp_path / "units.npy")
    assert np.load(tmp_path / "units.npy").dtype == np.float16
    assert isinstance(faiss.read_index(str(tmp_path / "chunks.faiss")), faiss.IndexScalarQuantizer)
    # half the float32 bytes, plus small headers
    assert (tmp_path / "units.npy").stat().st_size < n * dim * 2 + 1024
    assert (tmp_path / "chunks.faiss").stat().st_size < n * dim * 2 + 1024
    f, m = FaissIndex.load(tmp_path / "chunks.faiss"), MatrixIndex.load(tmp_path / "units.npy")
    for index in (f, m):
        got = index.vectors()
        assert got.dtype == np.float32 and got.shape == (n, dim)
        assert float(np.abs(got - vecs).max()) < 1e-3
    # the same float16 values but for FAISS's own rounding of a few halfway cases: at most one float16
    # step of the value (2**-13 for values in [0.125, 0.25)); its SIMD paths round differently per CPU
    fv, mv = f.vectors(), m.vectors()
    step = np.spacing(np.abs(mv).astype(np.float16)).astype(np.float32)
    assert np.all(np.abs(fv - mv) <= step), float(np.abs(fv - mv).max())
    assert np.mean(fv != mv) < 1e-3
    np.testing.assert_array_equal(f.vectors([5, 1]), f.vectors()[[5, 1]])


def test_search_order_matches_float32(passages: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    vecs, queries = passages
    FaissIndex.build(vecs).save(tmp_path / "chunks.faiss")
    MatrixIndex(vecs).save(tmp_path / "units.npy")
    f, m = FaissIndex.load(tmp_path / "chunks.faiss"), MatrixIndex.load(tmp_path / "units.npy")
    for q in queries:
        want = _exact_order(vecs, q, 10)
        assert [i for i, _ in f.search(q, 10)] == want
        assert [i for i, _ in m.search(q, 10)] == want
        exact = vecs[want] @ q
        np.testing.assert_allclose([s for _, s in f.search(q, 10)], exact, atol=1e-3)
        np.testing.assert_allclose(m.scores(q, want), exact, atol=1e-3)


def test_built_and_loaded_indexes_score_alike(passages: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    """The rounding happens when an index is built, so a fresh ingest and a reload answer the same."""
    vecs, queries = passages
    built_f, built_m = FaissIndex.build(vecs), MatrixIndex(vecs)
    built_f.save(tmp_path / "chunks.faiss")
    built_m.save(tmp_path / "units.npy")
    f, m = FaissIndex.load(tmp_path / "chunks.faiss"), MatrixIndex.load(tmp_path / "units.npy")
    for q in queries:
        assert f.search(q, 20) == built_f.search(q, 20)
        assert m.search(q, 20) == built_m.search(q, 20)
    np.testing.assert_array_equal(f.vectors(), built_f.vectors())
    # saving what was loaded (vectors reused for unchanged documents at re-ingest) changes nothing
    FaissIndex.build(f.vectors()).save(tmp_path / "again.faiss")
    MatrixIndex(m.vectors()).save(tmp_path / "again.npy")
    assert (tmp_path / "again.npy").read_bytes() == (tmp_path / "units.npy").read_bytes()
    np.testing.assert_array_equal(FaissIndex.load(tmp_path / "again.faiss").vectors(), f.vectors())


def test_empty_index() -> None:
    f = FaissIndex.build(np.zeros((0, 8), np.float32))
    assert len(f) == 0 and f.vectors().shape == (0, 8) and f.search(np.ones(8, np.float32), 3) == []


def test_generation_files_are_half_precision(qa: Any) -> None:
    root = qa.snapshot.root
    assert np.load(root / "units.npy").dtype == np.float16
    assert isinstance(faiss.read_index(str(root / "chunks.faiss")), faiss.IndexScalarQuantizer)
