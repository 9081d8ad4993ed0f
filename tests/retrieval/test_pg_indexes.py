"""pgvector and in-database lexical indexes against the file store's FAISS/NumPy and bm25s ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.config import Settings
from engine.migrate import migrate
from engine.store import FileStore
from engine.stores import open_store
from retrieval.lexical import BM25Index

pytestmark = pytest.mark.pg
QUERIES = [
    "What was Twilio's fiscal 2024 revenue?", "non-GAAP gross margin", "insider selling by executives",
    "CPaaS alternatives", "zzzz unknownword", "revenue revenue growth",
]


@pytest.fixture()
def both(qa: Any, settings: Settings, pg_url: str) -> tuple[Any, Any]:
    migrate(settings, pg_url)
    pg_settings = settings.with_values({"store": pg_url})
    return qa.index, open_store(pg_settings).load(pg_settings).index


def test_bm25_in_tables_scores_exactly_like_bm25s(both: tuple[Any, Any]) -> None:
    files, pg = both
    for q in QUERIES:
        np.testing.assert_array_equal(pg.chunk_lexical.scores(q), files.chunk_lexical.scores(q))
        np.testing.assert_array_equal(pg.unit_lexical.scores(q), files.unit_lexical.scores(q))
    assert len(pg.chunk_lexical) == len(files.chunks)


def test_tsvector_ranks_the_same_matching_rows(qa: Any, settings: Settings, pg_url: str) -> None:
    migrate(settings, pg_url)
    s = settings.with_values({"store": pg_url, "pg_lexical": "tsvector"})
    pg = open_store(s).load(s).index
    for q in QUERIES:
        a, b = qa.index.chunk_lexical.scores(q), pg.chunk_lexical.scores(q)
        assert set(np.flatnonzero(b)) <= set(np.flatnonzero(a)) | set(np.flatnonzero(b))
        assert (b > 0).sum() == (a > 0).sum(), q  # same rows match: the same tokens are indexed
        if (a > 0).any():
            assert int(np.argmax(b)) in set(np.argsort(-a)[:5].tolist()), q


def test_migrating_back_to_files_keeps_the_contextual_lexical_index(
    qa: Any, settings: Settings, pg_url: str, tmp_path: Path
) -> None:
    """Files -> PostgreSQL -> files: BM25 still indexes each chunk's title and section head with its text."""
    migrate(settings, pg_url)
    back = tmp_path / "back"
    migrate(settings.with_values({"store": pg_url}), str(back))
    copy = FileStore(back).load(settings).index
    plain = BM25Index.build([c.text for c in qa.index.chunks])
    assert any((plain.scores(q) != qa.index.chunk_lexical.scores(q)).any() for q in QUERIES)  # heads count
    for q in QUERIES:
        np.testing.assert_array_equal(copy.chunk_lexical.scores(q), qa.index.chunk_lexical.scores(q))
        np.testing.assert_array_equal(copy.unit_lexical.scores(q), qa.index.unit_lexical.scores(q))


def test_pgvector_hnsw_finds_the_exact_neighbours(both: tuple[Any, Any], settings: Settings) -> None:
    files, pg = both
    rng = np.random.default_rng(1)
    for i in rng.choice(len(files.chunks), 5, replace=False):
        q = files.chunk_dense.vectors([int(i)])[0]
        got, want = pg.chunk_dense.search(q, 10), files.chunk_dense.search(q, 10)
        assert [r for r, _ in got] == [r for r, _ in want]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
        ids = [int(x) for x in rng.choice(len(files.units), 7, replace=False)]
        np.testing.assert_allclose(pg.unit_dense.scores(q, ids), files.unit_dense.scores(q, ids), rtol=1e-6)
    np.testing.assert_array_equal(pg.unit_dense.vectors(), files.unit_dense.vectors())
    assert pg.dim == files.dim == 384 and len(pg.unit_dense) == len(files.units)
