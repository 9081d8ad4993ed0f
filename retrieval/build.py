"""Build-time retrieval work: units and chunks of every document, their context heads, and their vectors.

Each chunk is encoded once (:mod:`retrieval.late`): its head (document, page, section, table
header; :mod:`retrieval.context`) and its units, one per line. The chunk vector pools every token,
each unit's vector pools the tokens of its own span, so no text passes the encoder twice. The
same head + units text is what BM25 indexes for the chunk.

Vectors of unchanged documents are reused from the previous index state when the document still
yields exactly the same units and chunks (and the manifest's embedding signature is unchanged);
everything else is encoded in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from core.config import Settings
from core.types import Chunk, Document, Unit
from retrieval.chunking import chunk_document
from retrieval.context import chunk_heads
from retrieval.late import LateEncoder, Piece, Progress
from retrieval.store import RetrievalIndex

# Part of the manifest's embedding signature: bump when what a vector is computed from changes.
EMBED_SCHEME = "late-chunking+pooled-context-v1"
EncodeFn = Callable[[Sequence[Piece]], tuple[np.ndarray, list[np.ndarray]]]
Say = Callable[[str], None]


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


def all_pieces(docs: Sequence[Document], units: list[Unit], chunks: list[Chunk]) -> list[Piece]:
    """:func:`doc_pieces` of every document, in chunk id order."""
    by_doc_u: dict[str, list[Unit]] = {}
    by_doc_c: dict[str, list[Chunk]] = {}
    for u in units:
        by_doc_u.setdefault(u.doc, []).append(u)
    for c in chunks:
        by_doc_c.setdefault(c.doc, []).append(c)
    out: list[Piece] = []
    for d in docs:
        out.extend(doc_pieces(d, by_doc_u.get(d.id, []), by_doc_c.get(d.id, [])))
    return out


def embed_signature(settings: Settings) -> dict[str, Any]:
    """What the vectors of an index depend on besides the text: stored in the manifest, compared on reuse."""
    return {"model": settings.model, "backend": settings.embed_backend, "scheme": EMBED_SCHEME}


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
    enc = late_encoder(settings.model, settings.embed_backend, Path(settings.cache_dir).expanduser(),
                       settings.embed_threads if threads is None else threads, settings.embed_batch_size)

    def encode(pieces: Sequence[Piece]) -> tuple[np.ndarray, list[np.ndarray]]:
        if not progress:
            return enc.encode(pieces)
        from tqdm import tqdm

        with tqdm(total=enc.count_windows(pieces), unit="row", desc="embedding", leave=False) as bar:
            step: Progress = bar.update
            return enc.encode(pieces, step)

    return encode


def compute_vectors(
    units: list[Unit],
    chunks: list[Chunk],
    pieces: list[Piece],
    prev: RetrievalIndex | None,
    unchanged: set[str],
    encode: EncodeFn,
    say: Say,
    dim: int = 384,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Unit and chunk vectors (reusing ``prev``'s for ``unchanged`` documents) and how many chunks were encoded.

    A unit held by two chunks (the overlap) takes its vector from the first (``unit.chunk``).
    """
    reuse_u: dict[int, np.ndarray] = {}
    reuse_c: dict[int, np.ndarray] = {}
    if prev is not None:
        reuse_u, reuse_c = _reusable(units, chunks, prev, unchanged)
        dim = prev.dim
    todo = [c for c in chunks if c.id not in reuse_c]
    if todo:
        say(f"embedding {len(todo)} chunks ({sum(len(c.units) for c in todo)} units in them), one pass")
    c_new, u_new = encode([pieces[c.id] for c in todo]) if todo else (np.zeros((0, dim), np.float32), [])
    dim = int(c_new.shape[1]) if todo else dim
    unit_vecs = np.zeros((len(units), dim), dtype=np.float32)
    chunk_vecs = np.zeros((len(chunks), dim), dtype=np.float32)
    for i, c in enumerate(todo):
        chunk_vecs[c.id] = c_new[i]
        for k, uid in enumerate(c.units):
            if units[uid].chunk == c.id:
                unit_vecs[uid] = u_new[i][k]
    for k, v in reuse_u.items():
        unit_vecs[k] = v
    for k, v in reuse_c.items():
        chunk_vecs[k] = v
    return unit_vecs, chunk_vecs, len(todo)


def _reusable(
    units: list[Unit], chunks: list[Chunk], prev: RetrievalIndex, unchanged: set[str]
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Map new unit/chunk ids to old vectors where the same document yields the same units and chunks."""
    ru: dict[int, np.ndarray] = {}
    rc: dict[int, np.ndarray] = {}
    for did in unchanged:
        new_u = [u for u in units if u.doc == did]
        old_u = [u for u in prev.units if u.doc == did]
        new_c = [c for c in chunks if c.doc == did]
        old_c = [c for c in prev.chunks if c.doc == did]
        if [(u.text, u.kind, u.section) for u in new_u] != [(u.text, u.kind, u.section) for u in old_u] or [
            (c.text, c.start, c.end) for c in new_c
        ] != [(c.text, c.start, c.end) for c in old_c]:
            continue  # the parser changed: embed afresh
        old_uv = prev.unit_dense.vectors([u.id for u in old_u])
        old_cv = prev.chunk_dense.vectors([c.id for c in old_c])
        for k, (a, _) in enumerate(zip(new_u, old_u, strict=True)):
            ru[a.id] = old_uv[k]
        for k, (a, _) in enumerate(zip(new_c, old_c, strict=True)):
            rc[a.id] = old_cv[k]
    return ru, rc
