"""Build-time retrieval work: units and chunks of every document, and their vectors.

Vectors of unchanged documents are reused from the previous index state when the document
still yields exactly the same texts; everything else is embedded in one batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from core.config import Settings
from core.types import Chunk, Document, Unit
from retrieval.chunking import chunk_document
from retrieval.store import RetrievalIndex

EmbedFn = Callable[[list[str]], np.ndarray]
Say = Callable[[str], None]


def unit_embed_text(u: Unit) -> str:
    """What a unit's vector is computed from: its section leaf gives short sentences context."""
    leaf = u.section.rsplit(" > ", 1)[-1] if u.section else ""
    return f"{leaf}: {u.text}" if leaf and u.kind != "heading" else u.text


def chunk_all(docs: Iterable[Document], settings: Settings) -> tuple[list[Unit], list[Chunk]]:
    """Units and chunks of ``docs`` in order, numbered from 0."""
    units: list[Unit] = []
    chunks: list[Chunk] = []
    for d in docs:
        us, cs = chunk_document(d, len(units), len(chunks), settings.chunk_chars, settings.chunk_overlap_units)
        units.extend(us)
        chunks.extend(cs)
    return units, chunks


def default_embed_fn(settings: Settings, progress: bool) -> EmbedFn:
    from retrieval.embedding import document_embedder

    enc = document_embedder(settings.model)

    def embed(texts: list[str]) -> np.ndarray:
        return enc.encode(texts, batch_size=settings.embed_batch_size, progress=progress)

    return embed


def compute_vectors(
    units: list[Unit],
    chunks: list[Chunk],
    prev: RetrievalIndex | None,
    unchanged: set[str],
    embed_fn: EmbedFn,
    say: Say,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Unit and chunk vectors (reusing ``prev``'s for ``unchanged`` documents) and how many texts were embedded."""
    reuse_u: dict[int, np.ndarray] = {}
    reuse_c: dict[int, np.ndarray] = {}
    if prev is not None:
        reuse_u, reuse_c = _reusable(units, chunks, prev, unchanged)
    u_todo = [u for u in units if u.id not in reuse_u]
    c_todo = [c for c in chunks if c.id not in reuse_c]
    texts = [unit_embed_text(u) for u in u_todo] + [c.text for c in c_todo]
    if texts:
        say(f"embedding {len(texts)} texts ({len(u_todo)} units, {len(c_todo)} chunks)")
    new = embed_fn(texts) if texts else np.zeros((0, 0), dtype=np.float32)
    dim = new.shape[1] if len(texts) else (prev.dim if prev is not None else 384)
    unit_vecs = np.zeros((len(units), dim), dtype=np.float32)
    chunk_vecs = np.zeros((len(chunks), dim), dtype=np.float32)
    for i, u in enumerate(u_todo):
        unit_vecs[u.id] = new[i]
    for i, c in enumerate(c_todo):
        chunk_vecs[c.id] = new[len(u_todo) + i]
    for k, v in reuse_u.items():
        unit_vecs[k] = v
    for k, v in reuse_c.items():
        chunk_vecs[k] = v
    return unit_vecs, chunk_vecs, len(texts)


def _reusable(
    units: list[Unit], chunks: list[Chunk], prev: RetrievalIndex, unchanged: set[str]
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Map new unit/chunk ids to old vectors where the same document yields the same texts."""
    ru: dict[int, np.ndarray] = {}
    rc: dict[int, np.ndarray] = {}
    for did in unchanged:
        new_u = [u for u in units if u.doc == did]
        old_u = [u for u in prev.units if u.doc == did]
        new_c = [c for c in chunks if c.doc == did]
        old_c = [c for c in prev.chunks if c.doc == did]
        if [unit_embed_text(u) for u in new_u] != [unit_embed_text(u) for u in old_u] or [c.text for c in new_c] != [
            c.text for c in old_c
        ]:
            continue  # the parser changed: embed afresh
        old_uv = prev.unit_dense.vectors([u.id for u in old_u])
        old_cv = prev.chunk_dense.vectors([c.id for c in old_c])
        for k, (a, _) in enumerate(zip(new_u, old_u, strict=True)):
            ru[a.id] = old_uv[k]
        for k, (a, _) in enumerate(zip(new_c, old_c, strict=True)):
            rc[a.id] = old_cv[k]
    return ru, rc
