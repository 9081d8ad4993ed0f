"""The retriever the engine asks through: retrieval's hybrid search plus what the engine knows.

A question naming a financial metric ("Has Acme's quick ratio improved?") also searches for the
statements and line items the metric is computed from (:func:`engine.compute.expand.statement_query`):
the balance sheet holding cash, receivables and current liabilities is the evidence, though it
shares few words with the question. Retrieval stays free of finance: it fuses whatever extra
queries it is given (``Retriever.search(also=...)``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.types import QuestionAnalysis, SearchResult
from engine.compute.expand import statement_query
from retrieval.search import Retriever


class EngineRetriever(Retriever):
    """:class:`~retrieval.search.Retriever` whose searches add the question's statement query."""

    def search(
        self, question: str, k: int | None = None, analysis: QuestionAnalysis | None = None,
        vector: np.ndarray | None = None, also: Sequence[str] = (),
    ) -> SearchResult:
        if not also and self.settings.also_weight > 0:
            extra = statement_query(question)
            also = (extra,) if extra else ()
        return super().search(question, k=k, analysis=analysis, vector=vector, also=also)
