"""Build-time retrieval work: units and chunks of every document, their context heads, and their vectors.

Each chunk is encoded once (:mod:`retrieval.late`): its head (document, page, section, table
header; :mod:`retrieval.context`) and its units, one per line. The chunk vector pools every token,
each unit's vector pools the tokens of its own span, so no text passes the encoder twice. The
same head + units text is what BM25 indexes for the chunk.

Reusing the vectors of unchanged documents, and running the encoder beside the parsing workers,
is :mod:`engine.ingest_stages`'s part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from core.config import Settings
from core.types import Chunk, Document, Unit
from retrieval.chunking import chunk_document
from retrieval.context import chunk_heads
from retrieval.late import LateEncoder, Piece, Progress

# Part of the manifest's embedding signature: bump when what a vector is computed from changes.
EMBED_SCHEME = "late-chunking+pooled-context-v1"
EncodeFn = Callable[[Sequence[Piece]], tuple[np.ndarray, list[np.ndarray]]]


def chunk_all(docs: Iterable[Document], settings: Settings) -> tuple[list[Unit], list[Chunk]]:
    """Units and chunks of ``docs`` in order, numbered from 0."""
    units: list[Unit] = []
    chunks: list[Chunk] = []
    for d in docs:
        us, cs = chunk_document(d, len(units), len(chunks), settings.chunk_chars, settings.chunk_overlap_units)
        units.extend(us)
        chunks.extend(cs)
    return units, chunks


def doc_pieces(doc: Document, units: list[Unit], chunks: list[Chunk]) -> list[Piece]:
    """The encoder input of each of one document's chunks (``units``: that document's, in id order)."""
    base = units[0].id if units else 0
    heads = chunk_heads(doc, units, chunks)
    return [Piece(head, tuple(units[u - base].text for u in c.units), context)
            for (context, head), c in zip(heads, chunks, strict=True)]


def _per_doc(docs: Iterable[Document], units: Iterable[Unit], chunks: Iterable[Chunk]
             ) -> Iterator[tuple[Document, list[Unit], list[Chunk]]]:
    """Each document with its own units and chunks, in the given orders."""
    by_doc_u: dict[str, list[Unit]] = {}
    by_doc_c: dict[str, list[Chunk]] = {}
    for u in units:
        by_doc_u.setdefault(u.doc, []).append(u)
    for c in chunks:
        by_doc_c.setdefault(c.doc, []).append(c)
    for d in docs:
        yield d, by_doc_u.get(d.id, []), by_doc_c.get(d.id, [])


def all_pieces(docs: Sequence[Document], units: list[Unit], chunks: list[Chunk]) -> list[Piece]:
    """:func:`doc_pieces` of every document, in chunk id order."""
    return [p for d, us, cs in _per_doc(docs, units, chunks) for p in doc_pieces(d, us, cs)]


def contextual_texts(docs: Iterable[Document], units: Sequence[Unit], chunks: Sequence[Chunk]) -> list[str]:
    """What BM25 indexes for each chunk (its :attr:`Piece.text <retrieval.late.Piece.text>`), by chunk id,
    recomputed from a stored index state exactly as ingest computes it (the head is not stored).

    Another store (PostgreSQL's ``tsvector``) or an exported copy indexes the same words with it.
    """
    at = {c.id: i for i, c in enumerate(chunks)}
    texts = [c.text for c in chunks]
    for d, us, cs in _per_doc(docs, units, chunks):
        for c, p in zip(cs, doc_pieces(d, us, cs), strict=True):
            texts[at[c.id]] = p.text
    return texts


def embed_signature(settings: Settings) -> dict[str, Any]:
    """What the vectors of an index depend on besides the text: stored in the manifest, compared on reuse."""
    return {"model": settings.model, "backend": encoder_backend(settings), "scheme": EMBED_SCHEME}


def encoder_backend(settings: Settings) -> str:
    """The backend that embeds at ingest: ``settings.embed_backend``, ``"auto"`` resolved on this machine."""
    from retrieval.encoder_choice import resolve_backend

    return resolve_backend(settings.embed_backend, settings.model, Path(settings.cache_dir).expanduser(),
                           settings.embed_threads)


@cache
def late_encoder(model: str, backend: str, cache_dir: Path, threads: int, batch_size: int) -> LateEncoder:
    """The process-wide late-chunking encoder for these settings (its backend loads on first use)."""
    from tokenizers import Tokenizer

    from retrieval.embedding import model_path
    from retrieval.encoder import max_tokens, token_encoder

    path = model_path(model)
    states = token_encoder(model, backend, cache_dir, threads)
    return LateEncoder(states, Tokenizer.from_file(str(path / "tokenizer.json")), max_tokens(path), batch_size)


def default_encode_fn(settings: Settings, progress: bool, threads: int | None = None) -> EncodeFn:
    """Encode pieces with the configured backend (``threads``: default ``settings.embed_threads``, 0 = all
    cores); a tqdm bar over encoder rows when ``progress``."""
    enc = late_encoder(settings.model, encoder_backend(settings), Path(settings.cache_dir).expanduser(),
                       settings.embed_threads if threads is None else threads, settings.embed_batch_size)

    def encode(pieces: Sequence[Piece]) -> tuple[np.ndarray, list[np.ndarray]]:
        if not progress:
            return enc.encode(pieces)
        from tqdm import tqdm

        with tqdm(total=enc.count_windows(pieces), unit="row", desc="embedding", leave=False) as bar:
            step: Progress = bar.update
            return enc.encode(pieces, step)

    return encode

