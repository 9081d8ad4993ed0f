"""Dense indexes store rounded vectors on disk: chunks as float16 (within 1e-3 of float32, the same
search order), units as int8 codes with a scale per row (cosines within 3e-3, the same order but for
near-ties); either index answers the same built in memory or loaded from disk."""

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


def test_files_round_trip(passages: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    vecs, _ = passages
    n, dim = vecs.shape
    FaissIndex.build(vecs).save(tmp_path / "chunks.faiss")
    MatrixIndex(vecs).save(tmp_path / "units.npz")
    with np.load(tmp_path / "units.npz") as z:
        assert z["codes"].dtype == np.int8 and z["codes"].shape == (n, dim) and z["scale"].dtype == np.float32
    assert isinstance(faiss.read_index(str(tmp_path / "chunks.faiss")), faiss.IndexScalarQuantizer)
    # a quarter (units) and half (chunks) of the float32 bytes, plus small headers
    assert (tmp_path / "units.npz").stat().st_size < n * (dim + 4) + 1024
    assert (tmp_path / "chunks.faiss").stat().st_size < n * dim * 2 + 1024
    f, m = FaissIndex.load(tmp_path / "chunks.faiss"), MatrixIndex.load(tmp_path / "units.npz")
    for index, tol in ((f, 1e-3), (m, 2e-3)):
        got = index.vectors()
        assert got.dtype == np.float32 and got.shape == (n, dim)
        assert float(np.abs(got - vecs).max()) < tol
    # int8 rows: the same direction (each value within half a step before the row is made unit length)
    cos = np.sum(m.vectors() * vecs, axis=1) / np.linalg.norm(vecs, axis=1)
    assert float(cos.min()) > 0.9999, float(cos.min())
    np.testing.assert_allclose(np.linalg.norm(m.vectors(), axis=1), 1.0, rtol=0, atol=1e-6)
    # float16 rows: FAISS rounds a few halfway cases differently per CPU, by at most one float16 step
    fv, hv = f.vectors(), vecs.astype(np.float16)
    step = np.spacing(np.abs(hv)).astype(np.float32)
    assert np.all(np.abs(fv - hv.astype(np.float32)) <= step), float(np.abs(fv - hv).max())
    assert np.mean(fv != hv.astype(np.float32)) < 1e-3
    np.testing.assert_array_equal(f.vectors([5, 1]), f.vectors()[[5, 1]])


def test_search_order_matches_float32(passages: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    vecs, queries = passages
    FaissIndex.build(vecs).save(tmp_path / "chunks.faiss")
    MatrixIndex(vecs).save(tmp_path / "units.npz")
    f, m = FaissIndex.load(tmp_path / "chunks.faiss"), MatrixIndex.load(tmp_path / "units.npz")
    cos_err = []
    for q in queries:
        want = _exact_order(vecs, q, 10)
        exact = vecs @ q
        assert [i for i, _ in f.search(q, 10)] == want
        np.testing.assert_allclose([s for _, s in f.search(q, 10)], exact[want], atol=1e-3)
        # int8: a row may only trade places with one whose exact cosine is within 2e-3 of its own
        got = [i for i, _ in m.search(q, 10)]
        for rank, i in enumerate(got):
            assert exact[i] >= exact[want[rank]] - 2e-3, (rank, i, want[rank])
        cos_err.append(np.abs(m.scores(q, range(len(vecs))) - exact))
    err = np.concatenate(cos_err)
    assert float(err.max()) < 3e-3 and float(err.mean()) < 1e-3, (float(err.max()), float(err.mean()))


def test_built_and_loaded_indexes_score_alike(passages: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    """The rounding happens when an index is built, so a fresh ingest and a reload answer the same."""
    vecs, queries = passages
    built_f, built_m = FaissIndex.build(vecs), MatrixIndex(vecs)
    built_f.save(tmp_path / "chunks.faiss")
    built_m.save(tmp_path / "units.npz")
    f, m = FaissIndex.load(tmp_path / "chunks.faiss"), MatrixIndex.load(tmp_path / "units.npz")
    for q in queries:
        assert f.search(q, 20) == built_f.search(q, 20)
        assert m.search(q, 20) == built_m.search(q, 20)
    np.testing.assert_array_equal(f.vectors(), built_f.vectors())
    np.testing.assert_array_equal(m.vectors(), built_m.vectors())
    # saving what was loaded (vectors reused for unchanged documents at re-ingest) changes nothing
    FaissIndex.build(f.vectors()).save(tmp_path / "again.faiss")
    MatrixIndex(m.vectors()).save(tmp_path / "again.npz")
    assert (tmp_path / "again.npz").read_bytes() == (tmp_path / "units.npz").read_bytes()
    np.testing.assert_array_equal(FaissIndex.load(tmp_path / "again.faiss").vectors(), f.vectors())


def test_a_units_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "units.npz", codes=np.zeros((2, 4), np.float16), scale=np.ones(2, np.float32))
    with pytest.raises(ValueError, match="int8 codes"):
        MatrixIndex.load(tmp_path / "units.npz")


def test_empty_index() -> None:
    f = FaissIndex.build(np.zeros((0, 8), np.float32))
    assert len(f) == 0 and f.vectors().shape == (0, 8) and f.search(np.ones(8, np.float32), 3) == []


def test_generation_files_hold_rounded_vectors(qa: Any) -> None:
    root = qa.snapshot.root
    with np.load(root / "units.npz") as z:
        assert z["codes"].dtype == np.int8 and len(z["codes"]) == len(qa.index.units)
    assert isinstance(faiss.read_index(str(root / "chunks.faiss")), faiss.IndexScalarQuantizer)
