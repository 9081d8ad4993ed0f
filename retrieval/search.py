"""Hybrid retrieval: dense (FAISS) + BM25 over chunks, fused by reciprocal rank, then unit re-scoring.

A question costs one encoder forward pass: unit vectors are computed at ingest, so
re-scoring the sentences of the retrieved chunks is a matrix-vector product.

Each stage can be switched off in :class:`~kgqa.config.Settings` (``use_dense``,
``use_bm25``, ``use_rescoring``) so the evaluation measures what each contributes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from kgqa.config import Settings
from kgqa.types import Chunk, Passage, Unit
from retrieval.index import Index
from retrieval.question import QuestionAnalysis, analyze


@dataclass(slots=True)
class ScoredUnit:
    """A candidate unit with the features the answerer ranks on."""

    unit: Unit
    score: float
    dense: float
    lexical: float
    chunk_prior: float


@dataclass(slots=True)
class SearchResult:
    question: QuestionAnalysis
    passages: list[Passage]
    chunk_ids: list[int]
    units: list[ScoredUnit]
    timings_ms: dict[str, float] = field(default_factory=dict)


class Retriever:
    """Searches one loaded :class:`~retrieval.index.Index`."""

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._encoder = None

    @property
    def encoder(self):  # type: ignore[no-untyped-def]
        if self._encoder is None:
            from retrieval.embedding import query_embedder

            self._encoder = query_embedder(self.settings.model)
        return self._encoder

    def embed(self, text: str) -> np.ndarray:
        return self.encoder.encode([text])[0]

    def search(self, question: str, k: int | None = None, analysis: QuestionAnalysis | None = None) -> SearchResult:
        """Top ``k`` passages and the ranked candidate units inside them."""
        s = self.settings
        k = k or s.top_k
        timings: dict[str, float] = {}
        t = time.perf_counter()
        qa = analysis or analyze(question)
        n_chunks = len(self.index.chunks)
        qv = self.embed(question) if s.use_dense or s.use_rescoring else None
        timings["embed"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        fused: dict[int, float] = {}
        if s.use_dense and qv is not None:
            _, ids = self.index.chunk_index.search(qv[None, :].astype(np.float32), min(s.dense_k, n_chunks))
            for rank, cid in enumerate(ids[0]):
                if cid >= 0:
                    fused[int(cid)] = fused.get(int(cid), 0.0) + 1.0 / (s.rrf_k + rank + 1)
        if s.use_bm25 and self.index.bm25_chunks is not None:
            bm = self.index.bm25_chunks.scores(question)
            order = np.argsort(-bm)[: s.bm25_k]
            for rank, cid in enumerate(order):
                if bm[cid] > 0:
                    fused[int(cid)] = fused.get(int(cid), 0.0) + 1.0 / (s.rrf_k + rank + 1)
        ranked = sorted(fused.items(), key=lambda x: -x[1])
        timings["retrieve"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        # candidates: units of the top chunks, plus the best units corpus-wide by vector and by BM25
        cand_chunks = [cid for cid, _ in ranked[: max(k * 2, 8)]]
        top = ranked[0][1] if ranked else 1.0
        prior = {cid: sc / top for cid, sc in ranked}
        cand: set[int] = {uid for cid in cand_chunks for uid in self.index.chunks[cid].units}
        dense_u = self.index.unit_vecs @ qv if qv is not None else np.zeros(len(self.index.units), np.float32)
        if self.index.bm25_units is not None and s.use_bm25:
            lex_u = self.index.bm25_units.scores(question)
        else:
            lex_u = np.zeros(len(self.index.units), np.float32)
        lex_max = float(lex_u.max()) if len(lex_u) and lex_u.max() > 0 else 1.0
        if s.use_rescoring:
            if s.use_dense and qv is not None:
                cand.update(int(i) for i in np.argsort(-dense_u)[:20])
            if s.use_bm25:
                cand.update(int(i) for i in np.argsort(-lex_u)[:20] if lex_u[i] > 0)
        units: list[ScoredUnit] = []
        for uid in cand:
            u = self.index.units[uid]
            d = float(dense_u[uid])
            lx = float(lex_u[uid]) / lex_max
            cp = prior.get(u.chunk, 0.0)
            if s.use_rescoring:
                score = 0.55 * d + 0.25 * lx + 0.20 * cp
            else:  # without re-scoring, units inherit their chunk's rank (document order within it)
                score = cp - 1e-4 * (uid - self.index.chunks[u.chunk].units[0])
            units.append(ScoredUnit(u, score, d, lx, cp))
        units.sort(key=lambda x: -x.score)
        timings["rescore"] = (time.perf_counter() - t) * 1000
        passages = [self._passage(self.index.chunks[cid], sc) for cid, sc in ranked[:k]]
        return SearchResult(qa, passages, [cid for cid, _ in ranked[:k]], units, timings)

    def _passage(self, c: Chunk, score: float) -> Passage:
        return Passage(doc=c.doc, chunk_id=c.key, score=score, section=c.section, text=c.text)
