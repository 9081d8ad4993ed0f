"""The retrieval side of an index state in PostgreSQL: documents, units, chunks, pgvector, lexicon.

Every row carries its generation number ``gen`` (the engine's store decides which one is live)
and rows are numbered ``0..n-1`` within a generation, as in the file store, so the same
retriever and answerers run on either store.

* dense search: pgvector ``vector(dim)`` columns with an HNSW index (``vector_cosine_ops``);
  rows are unit length up to their rounding in the file store (norms 1 +- 6e-5 for float16 chunks,
  1 +- 1e-6 for int8 units, decoded as unit vectors), so the index finds the cosine neighbours and
  each one is scored by its inner product (``<#>``), the score the file store ranks by: a cosine
  would differ by the norm error and reorder near-ties.
  Scores of given rows are computed from the fetched vectors, exactly as the file store does.
* lexical search, two backends measured against bm25s (eval/reports/stores.md):
  ``bm25`` keeps bm25s's precomputed BM25 statistics per term in ``kgqa_lexicon`` (one row per
  term: the rows it occurs in and their weights) and sums them per query term, which reproduces
  the file store's scores exactly; ``tsvector`` ranks a ``tsvector`` of the same tokens with
  ``ts_rank`` (PostgreSQL's own full-text ranking, GIN-indexed).

The tables are created by :func:`retrieval_ddl` and filled from a file-store generation folder
(the ingest's staging format) by :func:`import_retrieval`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from core.interfaces import Vector
from core.types import Chunk, DocRecord, Unit
from retrieval.build import contextual_texts
from retrieval.documents import document_from_record
from retrieval.lexical import BM25Index, expand, tokenize
from retrieval.store import RetrievalIndex

LEXICAL_METHODS = ("bm25", "tsvector")
_KINDS = {"chunks": "c", "units": "u"}
_NEAR_TIES = 8  # extra cosine neighbours fetched, so inner-product ranking decides the k-th place too


def retrieval_ddl(dim: int, hnsw_m: int = 16, hnsw_ef_construction: int = 64) -> list[str]:
    """``CREATE`` statements of the retrieval tables (idempotent)."""
    text_rows = "gen bigint NOT NULL, id int NOT NULL, doc text NOT NULL, section text NOT NULL, " \
                "start_ int NOT NULL, end_ int NOT NULL, text text NOT NULL"
    # the tsvector is PostgreSQL's, made of kgqa's own tokens so both lexical backends see the same words
    tsv = "tokens text NOT NULL, tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', tokens)) STORED"
    hnsw = f"WITH (m = {int(hnsw_m)}, ef_construction = {int(hnsw_ef_construction)})"
    return [
        """CREATE TABLE IF NOT EXISTS kgqa_documents (
            gen bigint NOT NULL, id text NOT NULL, title text NOT NULL, path text NOT NULL, kind text NOT NULL,
            raw text NOT NULL, sha256 text NOT NULL, meta jsonb NOT NULL, page_starts int[] NOT NULL,
            PRIMARY KEY (gen, id))""",
        f"""CREATE TABLE IF NOT EXISTS kgqa_units ({text_rows}, chunk int NOT NULL, kind text NOT NULL,
            embedding vector({int(dim)}) NOT NULL, {tsv}, PRIMARY KEY (gen, id))""",
        f"""CREATE TABLE IF NOT EXISTS kgqa_chunks ({text_rows}, key text NOT NULL, units int[] NOT NULL,
            embedding vector({int(dim)}) NOT NULL, {tsv}, PRIMARY KEY (gen, id))""",
        """CREATE TABLE IF NOT EXISTS kgqa_lexicon (
            gen bigint NOT NULL, kind text NOT NULL, term text NOT NULL, rows int[] NOT NULL, weights real[] NOT NULL,
            PRIMARY KEY (gen, kind, term))""",
        f"CREATE INDEX IF NOT EXISTS kgqa_units_hnsw ON kgqa_units USING hnsw (embedding vector_cosine_ops) {hnsw}",
        f"CREATE INDEX IF NOT EXISTS kgqa_chunks_hnsw ON kgqa_chunks USING hnsw (embedding vector_cosine_ops) {hnsw}",
        "CREATE INDEX IF NOT EXISTS kgqa_units_tsv ON kgqa_units USING gin (tsv)",
        "CREATE INDEX IF NOT EXISTS kgqa_chunks_tsv ON kgqa_chunks USING gin (tsv)",
    ]


RETRIEVAL_TABLES = ("kgqa_documents", "kgqa_units", "kgqa_chunks", "kgqa_lexicon")


# ---- dense -------------------------------------------------------------------------------------------


class PgVectorIndex:
    """A :class:`~core.interfaces.DenseIndex` over one generation's rows of ``kgqa_units`` or ``kgqa_chunks``."""

    def __init__(self, pool: ConnectionPool, table: str, gen: int, n: int, dim: int) -> None:
        if table not in _KINDS:
            raise ValueError(f"unknown vector table {table!r}")
        self._pool, self._table, self._gen, self._n, self._dim = pool, f"kgqa_{table}", gen, n, dim

    @property
    def dim(self) -> int:
        return self._dim

    def __len__(self) -> int:
        return self._n

    def search(self, query: Vector, k: int) -> list[tuple[int, float]]:
        """HNSW search (cosine); ``hnsw.iterative_scan`` keeps ``k`` rows despite the generation filter."""
        k = min(k, self._n)
        if k <= 0:
            return []
        q = np.asarray(query, dtype=np.float32)
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT id, -(embedding <#> %s) FROM {self._table} WHERE gen = %s "
                "ORDER BY embedding <=> %s LIMIT %s",
                (q, self._gen, q, k + _NEAR_TIES),
            ).fetchall()
        # ranked by inner product here (relaxed iterative scans may also return rows slightly out of order)
        return sorted(((int(i), float(s)) for i, s in rows), key=lambda x: (-x[1], x[0]))[:k]

    def scores(self, query: Vector, ids: Sequence[int]) -> Vector:
        """Inner products computed here from the stored rows (float32, as the file store; equal to ~1e-7)."""
        if len(ids) == 0:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self.vectors(ids) @ np.asarray(query, dtype=np.float32), dtype=np.float32)

    def vectors(self, ids: Sequence[int] | None = None) -> Vector:
        with self._pool.connection() as conn, conn.cursor(binary=True) as cur:
            if ids is None:
                cur.execute(f"SELECT id, embedding FROM {self._table} WHERE gen = %s ORDER BY id", (self._gen,))
                got = {int(i): v for i, v in cur.fetchall()}
                order: Sequence[int] = range(self._n)
            else:
                order = [int(i) for i in ids]
                cur.execute(f"SELECT id, embedding FROM {self._table} WHERE gen = %s AND id = ANY(%s)",
                            (self._gen, sorted(set(order))))
                got = {int(i): v for i, v in cur.fetchall()}
        if len(got) != len(set(order)):
            raise KeyError(f"{len(set(order)) - len(got)} vectors missing from {self._table} generation {self._gen}")
        if not order:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.stack([np.asarray(got[i].to_numpy(), dtype=np.float32) for i in order])


# ---- lexical -----------------------------------------------------------------------------------------


class PgBM25Index:
    """A :class:`~core.interfaces.LexicalIndex`: bm25s's BM25 weights kept per term in ``kgqa_lexicon``.

    A query fetches the rows of its (expanded) terms and adds their weights in query order in
    float32, which is what bm25s does: the scores equal the file store's.
    """

    def __init__(self, pool: ConnectionPool, kind: str, gen: int, n: int) -> None:
        self._pool, self._kind, self._gen, self._n = pool, _KINDS[kind], gen, n

    def __len__(self) -> int:
        return self._n

    def scores(self, query: str) -> Vector:
        out = np.zeros(self._n, dtype=np.float32)
        toks = expand(query)
        if not toks or not self._n:
            return out
        with self._pool.connection() as conn, conn.cursor(binary=True) as cur:
            cur.execute("SELECT term, rows, weights FROM kgqa_lexicon WHERE gen = %s AND kind = %s AND term = ANY(%s)",
                        (self._gen, self._kind, sorted(set(toks))))
            postings = {t: (np.asarray(r, dtype=np.int64), np.asarray(w, dtype=np.float32)) for t, r, w in cur.fetchall()}
        for t in toks:  # duplicates count again, as in bm25s
            if t in postings:
                rows, weights = postings[t]
                out[rows] += weights
        return out


class PgTsvectorIndex:
    """A :class:`~core.interfaces.LexicalIndex` ranked by PostgreSQL full text (``ts_rank``) over kgqa's tokens."""

    def __init__(self, pool: ConnectionPool, kind: str, gen: int, n: int) -> None:
        self._pool, self._table, self._gen, self._n = pool, f"kgqa_{kind}", gen, n

    def __len__(self) -> int:
        return self._n

    def scores(self, query: str) -> Vector:
        out = np.zeros(self._n, dtype=np.float32)
        terms = sorted({t for t in expand(query) if t})
        if not terms or not self._n:
            return out
        tsq = " | ".join("'" + t.replace("'", "''") + "'" for t in terms)
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT id, ts_rank(tsv, q) FROM {self._table}, to_tsquery('simple', %s) q "
                "WHERE gen = %s AND tsv @@ q",
                (tsq, self._gen),
            ).fetchall()
        for i, s in rows:
            out[int(i)] = float(s)
        return out


def token_text(text: str) -> str:
    """What a row's ``tsvector`` is made of: kgqa's own tokens (stemmed, no stop words), space-joined."""
    return " ".join(tokenize(text))


# ---- load / import / export ---------------------------------------------------------------------------


def load_retrieval(pool: ConnectionPool, gen: int, dim: int, lexical: str = "bm25") -> RetrievalIndex:
    """The :class:`RetrievalIndex` of generation ``gen``: texts in memory, vectors and lexicon in the database."""
    if lexical not in LEXICAL_METHODS:
        raise ValueError(f"pg_lexical must be one of {', '.join(LEXICAL_METHODS)}, not {lexical!r}")
    with pool.connection() as conn:
        docs = {
            r[0]: DocRecord(r[0], r[1], r[2], r[3], r[4], r[5], dict(r[6] or {}), tuple(r[7] or ()))
            for r in conn.execute(
                "SELECT id, title, path, kind, raw, sha256, meta, page_starts FROM kgqa_documents WHERE gen = %s ORDER BY id",
                (gen,),
            )
        }
        units = [
            Unit(int(r[0]), r[1], int(r[2]), int(r[3]), int(r[4]), r[5], r[6], r[7])
            for r in conn.execute(
                "SELECT id, doc, chunk, start_, end_, text, kind, section FROM kgqa_units WHERE gen = %s ORDER BY id", (gen,)
            )
        ]
        chunks = [
            Chunk(int(r[0]), r[1], r[2], r[3], int(r[4]), int(r[5]), r[6], tuple(int(x) for x in r[7]))
            for r in conn.execute(
                "SELECT id, key, doc, section, start_, end_, text, units FROM kgqa_chunks WHERE gen = %s ORDER BY id", (gen,)
            )
        ]
    lex = PgBM25Index if lexical == "bm25" else PgTsvectorIndex
    return RetrievalIndex(
        docs, units, chunks,
        chunk_dense=PgVectorIndex(pool, "chunks", gen, len(chunks), dim),
        unit_dense=PgVectorIndex(pool, "units", gen, len(units), dim),
        chunk_lexical=lex(pool, "chunks", gen, len(chunks)),
        unit_lexical=lex(pool, "units", gen, len(units)),
    )


def import_retrieval(conn: psycopg.Connection[Any], gen: int, folder: Path) -> dict[str, int]:
    """Copy the retrieval files of a file-store generation ``folder`` into the tables as ``gen``.

    Runs on ``conn`` inside the caller's transaction (nothing is visible before it commits).
    """
    files = RetrievalIndex.load(folder)  # checks the folder is complete and consistent
    # a chunk's tsvector holds what its BM25 row indexes: the contextual head (title, page, section) too
    chunk_texts = contextual_texts([document_from_record(d) for d in files.docs.values()], files.units, files.chunks)
    unit_vecs = np.asarray(files.unit_dense.vectors(), dtype=np.float32)
    chunk_vecs = np.asarray(files.chunk_dense.vectors(), dtype=np.float32)
    with conn.cursor() as cur:
        with cur.copy("COPY kgqa_documents (gen, id, title, path, kind, raw, sha256, meta, page_starts) "
                      "FROM STDIN WITH (FORMAT BINARY)") as cp:
            cp.set_types(["int8", "text", "text", "text", "text", "text", "text", "jsonb", "int4[]"])
            for d in files.docs.values():
                cp.write_row([gen, d.id, d.title, d.path, d.kind, d.raw, d.sha256, Jsonb(d.meta), list(d.page_starts)])
        with cur.copy("COPY kgqa_units (gen, id, doc, chunk, start_, end_, text, kind, section, embedding, tokens) "
                      "FROM STDIN WITH (FORMAT BINARY)") as cp:
            cp.set_types(["int8", "int4", "text", "int4", "int4", "int4", "text", "text", "text", "vector", "text"])
            for u in files.units:
                cp.write_row([gen, u.id, u.doc, u.chunk, u.start, u.end, u.text, u.kind, u.section, unit_vecs[u.id],
                              token_text(u.text)])
        with cur.copy("COPY kgqa_chunks (gen, id, key, doc, section, start_, end_, text, units, embedding, tokens) "
                      "FROM STDIN WITH (FORMAT BINARY)") as cp:
            cp.set_types(["int8", "int4", "text", "text", "text", "int4", "int4", "text", "int4[]", "vector", "text"])
            for c in files.chunks:
                cp.write_row([gen, c.id, c.key, c.doc, c.section, c.start, c.end, c.text, list(c.units), chunk_vecs[c.id],
                              token_text(chunk_texts[c.id])])
        terms = 0
        for kind, lexical in (("chunks", files.chunk_lexical), ("units", files.unit_lexical)):
            assert isinstance(lexical, BM25Index)
            terms += _copy_lexicon(cur, gen, _KINDS[kind], lexical)
    return {"documents": len(files.docs), "units": len(files.units), "chunks": len(files.chunks), "terms": terms}


def _copy_lexicon(cur: psycopg.Cursor[Any], gen: int, kind: str, lexical: BM25Index) -> int:
    """One row per term of bm25s's eager score matrix (CSC: term -> rows, weights)."""
    model: Any = lexical.model
    data, indices, indptr = model.scores["data"], model.scores["indices"], model.scores["indptr"]
    with cur.copy("COPY kgqa_lexicon (gen, kind, term, rows, weights) FROM STDIN WITH (FORMAT BINARY)") as cp:
        cp.set_types(["int8", "text", "text", "int4[]", "float4[]"])
        for term, j in model.vocab_dict.items():
            if j + 1 >= len(indptr):
                continue  # bm25s's placeholder token has no column
            a, b = int(indptr[j]), int(indptr[j + 1])
            if b > a:
                cp.write_row([gen, kind, term, indices[a:b].tolist(), data[a:b].tolist()])
    return len(model.vocab_dict)


def export_retrieval(pool: ConnectionPool, gen: int, dim: int) -> tuple[RetrievalIndex, Vector, Vector]:
    """Generation ``gen`` with every vector, for writing it back as files (``kgqa migrate`` to a folder)."""
    idx = load_retrieval(pool, gen, dim)
    unit_vecs = idx.unit_dense.vectors() if idx.units else np.zeros((0, dim), dtype=np.float32)
    chunk_vecs = idx.chunk_dense.vectors() if idx.chunks else np.zeros((0, dim), dtype=np.float32)
    return idx, unit_vecs, chunk_vecs

