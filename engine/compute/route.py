"""Where computed and yes/no answers enter :meth:`engine.qa.QA.ask` (issue 12).

:meth:`ComputeRoute.first` returns the answer to give before the passage answerers run: a
computation the question asks for (or names a missing input of), a statement-table figure, or a
decided yes/no. :meth:`ComputeRoute.fallback` replaces a passage answer that abstained with a
computation that only combines stated figures ("what share of X is Y"). An answer citing text
inside a quarantined, instruction-like passage (:class:`core.safety.Quarantine`) is never given.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.errors import KgqaError
from core.interfaces import DocumentStore, GraphStore
from core.safety import Quarantine
from core.types import Answer, Comparison, Point, SearchResult
from engine.compute.answerer import ComputeAnswerer, Computed
from engine.compute.plan import core_clause
from engine.compute.yesno import YesNoAnswerer, is_yes_no
from retrieval.question import analyze

Search = Callable[[str], SearchResult]
log = logging.getLogger(__name__)


class ComputeRoute:
    """Computed and yes/no answers over one index generation (module docstring)."""

    def __init__(self, index: DocumentStore, graph: GraphStore | None, quarantine: Quarantine | None = None) -> None:
        self.compute = ComputeAnswerer(index, graph)
        self.yesno = YesNoAnswerer(self.compute)
        self.quarantine = quarantine or Quarantine()

    def first(self, question: str, search: Search) -> tuple[Answer | None, Computed | None]:
        """``(answer now, fallback for an abstaining passage answer)``; ``search`` runs at most once.

        A failure here is logged and leaves the question to the passage answerers."""
        try:
            first, fallback = self._first(question, search)
        except (KgqaError, ArithmeticError, LookupError, ValueError) as exc:
            log.warning("computed answer failed for %r: %s: %s", question[:120], type(exc).__name__, exc)
            return None, None
        if first is not None and self._quarantined(first):
            log.warning("computed answer for %r cites an instruction-like passage: not given", question[:120])
            return None, None
        if fallback is not None and self._quarantined(fallback.answer):
            fallback = None
        return first, fallback

    def _quarantined(self, answer: Answer) -> bool:
        """Whether any cited span lies in a quarantined passage (every input must be trustworthy)."""
        return bool(self.quarantine.spans) and any(
            self.quarantine.covers(c.doc, c.start, c.end) for c in answer.citations)

    def _first(self, question: str, search: Search) -> tuple[Answer | None, Computed | None]:
        if is_yes_no(core_clause(question)):  # "Yes"/"No" first, decided by a figure or a statement
            result = search(question)
            yn = self.yesno.answer(question, result)
            return (_with_passages(yn, result), None) if yn is not None else (None, None)
        computed = self.compute.answer(question)
        if computed is not None and computed.explicit:
            if analyze(question).answer_type == "comparison":  # "the difference between A and B"
                if computed.answer.abstained:  # a side without a figure: the side-by-side table says what is stated
                    return None, None
                side_by_side(computed.answer)
            return _with_passages(computed.answer, search(question)), None
        return None, computed

    @staticmethod
    def fallback(answer: Answer, computed: Computed | None) -> Answer:
        if computed is None or not answer.abstained or computed.answer.abstained:
            return answer
        out = computed.answer
        out.passages, out.timings_ms = answer.passages, dict(answer.timings_ms)
        return out


def side_by_side(answer: Answer) -> None:
    """Give a computed comparison of two cited figures its table too: one row per side, the figure
    as read and its citation, so a reader of ``comparison`` sees both sides as for any comparison.

    >>> from core.types import Computation, ComputationInput
    >>> a = Answer("q", "$0.45 ($0.50 - $0.05) [1][2]", [], False, "passages")
    >>> a.computation = Computation("A - B", [ComputationInput("A", 0.5, "USD", None, 1, "$0.50"),
    ...                                      ComputationInput("B", 0.05, "USD", None, 2, "$0.05")], 0.45)
    >>> side_by_side(a); a.comparison.items, [[c.text for c in row] for row in a.comparison.cells]
    (['A', 'B'], [['$0.50'], ['$0.05']])
    """
    comp = answer.computation
    if comp is None or answer.abstained or len(comp.inputs) != 2 or any(i.citation is None for i in comp.inputs):
        return
    cells = [[Point(i.surface + (f" ({i.period})" if i.period and i.period not in i.surface else ""),
                    [i.citation] if i.citation is not None else [])] for i in comp.inputs]
    answer.comparison = Comparison([i.name for i in comp.inputs], ["figure"], cells)


def _with_passages(answer: Answer, result: SearchResult) -> Answer:
    answer.passages = result.passages
    answer.timings_ms.update(result.timings_ms)
    return answer
