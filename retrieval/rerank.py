"""Second-stage ranking of the fused top chunks: how much of the question each holds, and its best unit.

Reciprocal-rank fusion adds ranks, not evidence: a chunk ranked high by BM25 for one rare word of
the question and a chunk holding every word of it ("Hailey", "start", "baking") end up with close
fused scores. The first ``depth`` fused chunks are scored again with

* **coverage**: the IDF-weighted share of the question's terms that the chunk's indexed text holds
  (a term or one of its synonyms, as the lexical index matches them), and
* **best unit**: the cosine of the question to the chunk's closest sentence or table row. Unit
  vectors are pooled from the chunk's own encoder pass at ingest, so this costs one matrix-vector
  product; a chunk whose one sentence answers is not diluted by the rest of it.

Weights were chosen on the development half of each benchmark's questions (FinanceBench pages and
filings, LiHua-World; ``eval.bench_common.tuning_half``) and checked on the held-out half
(eval/README.md, "Latest figures").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from core.interfaces import DenseIndex, LexicalIndex
from core.types import Chunk
from retrieval.lexical import tokenize


def term_coverage(lexical: LexicalIndex, question: str, ids: Sequence[int]) -> np.ndarray:
    """For each row of ``ids``: the IDF-weighted share of the question's terms found in it.

    A term found nowhere in the index carries no weight (it cannot tell rows apart).

    >>> from retrieval.lexical import BM25Index
    >>> lex = BM25Index.build(["Hailey starts baking at 4 AM.", "Hailey delivered bread.", "The gym opens at 7."])
    >>> term_coverage(lex, "When does Hailey start baking?", [0, 1, 2]).round(2).tolist()
    [1.0, 0.19, 0.0]
    """
    out = np.zeros(len(ids), dtype=np.float64)
    n = len(lexical)
    total = 0.0
    rows = np.asarray(ids, dtype=np.int64)
    for term in sorted(set(tokenize(question))):
        found = lexical.scores(term) > 0
        df = int(found.sum())
        if not df:
            continue
        idf = math.log((n - df + 0.5) / (df + 0.5) + 1.0)
        out += idf * found[rows]
        total += idf
    return out / total if total else out


def best_unit_scores(chunks: Sequence[Chunk], unit_dense: DenseIndex, query: np.ndarray, ids: Sequence[int],
                     ) -> np.ndarray:
    """For each chunk of ``ids``: the highest cosine of ``query`` to one of its units (one lookup)."""
    members = [list(chunks[c].units) for c in ids]
    flat = [u for m in members for u in m]
    if not flat:
        return np.zeros(len(ids), dtype=np.float64)
    sims = np.asarray(unit_dense.scores(query, flat), dtype=np.float64)
    bounds = np.cumsum([0, *(len(m) for m in members)])
    return np.array([sims[a:b].max() if b > a else 0.0 for a, b in itertools.pairwise(bounds)])


def rerank(
    ranked: Sequence[tuple[int, float]], depth: int, coverage: np.ndarray | None, best_unit: np.ndarray | None,
    coverage_weight: float, unit_weight: float,
) -> list[tuple[int, float]]:
    """The first ``depth`` of ``ranked`` ordered by fused score / top fused score + weighted
    coverage + weighted best-unit cosine (arrays aligned with them; None: that signal is off); the
    rest unchanged after them. Every re-scored chunk scores at least its own normalised fused score,
    so the whole list stays in descending order.

    >>> [(c, round(s, 3)) for c, s in rerank([(7, 0.03), (8, 0.029), (9, 0.01)], 2, np.array([0.2, 1.0]), None, 0.3, 0.5)]
    [(8, 1.267), (7, 1.06), (9, 0.333)]
    """
    if not ranked:
        return []
    top = ranked[0][1] or 1.0
    head = list(ranked[:depth])
    score = np.array([sc / top for _, sc in head])
    if coverage is not None:
        score = score + coverage_weight * coverage
    if best_unit is not None:
        score = score + unit_weight * np.clip(best_unit, 0.0, None)
    order = np.argsort(-score, kind="stable")
    return [(head[i][0], float(score[i])) for i in order] + [(cid, sc / top) for cid, sc in ranked[depth:]]
