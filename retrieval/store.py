"""The retrieval side of an index, kept in one folder: documents, units, chunks, vectors, BM25.

Files written by :func:`write_retrieval` (the engine puts them in a new index generation)::

    docs.json.gz                raw text and metadata of every document (for citations)
    units.json.gz chunks.json.gz  citable units and retrieval chunks with raw spans
    chunks.faiss                normalised chunk vectors, float16 (inner product)
    units.npz                   normalised unit vectors, int8 codes and a scale per row (re-scoring)
    bm25_chunks.zip bm25_units.zip  lexical indexes (bm25s's files, deflated)

The ``.json.gz`` files are gzip-compressed JSON (:mod:`core.jsonio`).

:class:`RetrievalIndex` is the file-backed :class:`~core.interfaces.DocumentStore` with its
dense and lexical indexes; it knows nothing of generations, manifests or the graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import IndexUnusable
from core.interfaces import DenseIndex, LexicalIndex
from core.jsonio import read_json, write_json
from core.types import Chunk, DocRecord, Document, Unit
from retrieval.dense import FaissIndex, MatrixIndex
from retrieval.lexical import BM25Index

DOCS_FILE = "docs.json.gz"
UNITS_FILE = "units.json.gz"
CHUNKS_FILE = "chunks.json.gz"
UNIT_VECTORS_FILE = "units.npz"


@dataclass
class RetrievalIndex:
    """Documents, units and chunks of one index state, with their dense and lexical indexes."""

    docs: dict[str, DocRecord]
    units: list[Unit]
    chunks: list[Chunk]
    chunk_dense: DenseIndex
    unit_dense: DenseIndex
    chunk_lexical: LexicalIndex
    unit_lexical: LexicalIndex

    def unit_raw(self, u: Unit) -> str:
        return self.docs[u.doc].raw[u.start : u.end]

    @property
    def dim(self) -> int:
        return self.chunk_dense.dim

    @classmethod
    def load(cls, folder: Path) -> RetrievalIndex:
        """Read a folder written by :func:`write_retrieval`; :class:`IndexUnusable` names what is wrong."""
        try:
            docs = {
                d["id"]: DocRecord(
                    d["id"], d["title"], d["path"], d["kind"], d["raw"], d["sha256"],
                    d.get("meta", {}), tuple(d.get("page_starts", ())),
                )
                for d in read_json(folder / DOCS_FILE)
            }
            units = [Unit(*row) for row in read_json(folder / UNITS_FILE)]
            chunks = [
                Chunk(r[0], r[1], r[2], r[3], r[4], r[5], r[6], tuple(r[7])) for r in read_json(folder / CHUNKS_FILE)
            ]
            self = cls(
                docs, units, chunks,
                chunk_dense=FaissIndex.load(folder / "chunks.faiss"),
                unit_dense=MatrixIndex.load(folder / UNIT_VECTORS_FILE),
                chunk_lexical=BM25Index.load(folder / "bm25_chunks.zip"),
                unit_lexical=BM25Index.load(folder / "bm25_units.zip"),
            )
        except Exception as exc:  # any missing or damaged file means the same thing to the user
            raise IndexUnusable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        if len(self.chunk_dense) != len(chunks) or len(self.unit_dense) != len(units) or (
            units and self.unit_dense.dim != self.chunk_dense.dim
        ):
            raise IndexUnusable("vector counts do not match")
        return self


def write_retrieval(
    folder: Path,
    docs: list[Document],
    units: list[Unit],
    chunks: list[Chunk],
    unit_vecs: np.ndarray,
    chunk_vecs: np.ndarray,
    chunk_texts: list[str] | None = None,
) -> None:
    """Write every retrieval file of one index state into ``folder`` (which must exist).

    ``chunk_texts`` is what BM25 indexes for each chunk (default: its text; ingest passes the
    chunk's embedded text, its context head included).
    """
    write_json(
        folder / DOCS_FILE,
        [
            {"id": d.id, "title": d.title, "path": d.path, "kind": d.kind, "raw": d.raw, "sha256": d.sha256,
             "meta": d.meta, "page_starts": list(d.page_starts)}
            for d in docs
        ],
    )
    write_json(folder / UNITS_FILE, [[u.id, u.doc, u.chunk, u.start, u.end, u.text, u.kind, u.section] for u in units])
    write_json(
        folder / CHUNKS_FILE,
        [[c.id, c.key, c.doc, c.section, c.start, c.end, c.text, list(c.units)] for c in chunks],
    )
    FaissIndex.build(chunk_vecs).save(folder / "chunks.faiss")
    MatrixIndex(unit_vecs).save(folder / UNIT_VECTORS_FILE)
    BM25Index.build(chunk_texts if chunk_texts is not None else [c.text for c in chunks]).save(folder / "bm25_chunks.zip")
    BM25Index.build([u.text for u in units]).save(folder / "bm25_units.zip")
