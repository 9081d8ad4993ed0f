"""The computed answer: plan the question, evaluate it over the graph's typed facts, cite every input.

The answer states the result first, then the computation with each input and its citations:
``0.66 (operating cash flow ratio FY2015 = cash from operations / total current liabilities:
cash from operations FY2015 $1,469.5 million [1][2]; total current liabilities FY2015 $2,213.6
million [3][4]).`` Nothing is computed from an uncited number; when an input is missing, the
answer names it and abstains on the computation.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.interfaces import DocumentStore, GraphStore
from core.types import Answer
from engine.compute.evaluate import Evaluator, Used, library, line_item_of, metric_named
from engine.compute.expr import Ref
from engine.compute.facts import FactIndex
from engine.compute.plan import Plan, plan
from engine.compute.render import CitationBook, computation_record, fmt_input, fmt_quantity, marks
from engine.compute.run import Outcome, run


@dataclass
class Computed:
    """A computed answer, and whether the question asked for a computation (rather than a figure a
    passage might state: then the passages answer first and this is the fallback)."""

    answer: Answer
    explicit: bool


def _unit_hint(p: Plan) -> str:
    if isinstance(p.target, Ref):
        m = metric_named(p.target.name)
        if m is not None:
            return m.unit
    return "x" if p.op == "multiple" else ""


class ComputeAnswerer:
    """Answers computed questions from the facts of one index generation's graph."""

    def __init__(self, index: DocumentStore, graph: GraphStore | None) -> None:
        self.index = index
        titles = {d: r.title for d, r in index.docs.items()}
        self.facts = FactIndex(graph, titles) if graph is not None else None
        library()  # read the formula file once, up front

    def evaluate(self, p: Plan, question: str) -> Outcome | None:
        """Carry out plan ``p`` for ``question`` over the graph (``None`` without a graph)."""
        if self.facts is None:
            return None
        subjects = self.facts.companies_in(question)
        period = p.periods[-1] if p.periods else (self.facts.latest_period(subjects) if p.op == "value" else None)
        if period and not p.periods and p.target is not None:
            p.periods = [period]
        ev = Evaluator(self.facts, subjects, p.defs, period, p.statement, question, statements=not p.adjusted)
        return run(p, ev)

    def inputs_text(self, out: Outcome, book: CitationBook) -> tuple[str, dict[int, list[int]]]:
        """Each input with its period, value and citations, and the citation numbers by input."""
        cites = {i: book.cite(u.fact) for i, u in enumerate(out.used) if u.fact is not None}
        parts = []
        for i, u in enumerate(out.used):
            if u.note == "from the question":
                parts.append(f"{u.surface} (from the question)")
            elif u.note.startswith("not reported"):
                parts.append(f"{u.name}{' ' + u.period if u.period else ''} not in the statement (taken as 0)")
            elif cites.get(i):
                who = self._subject_name(u)
                parts.append(f"{_name(u, who)}{' ' + u.period if u.period else ''} {fmt_input(u)} {marks(cites[i])}")
        return "; ".join(parts), cites

    def _subject_name(self, u: Used) -> str:
        if self.facts is None or u.fact is None or u.fact.attrs.get("source") == "statement":
            return ""
        name = self.facts.graph.name_of(u.fact.subject)
        return "" if name.lower() in (u.fact.metric or "").lower() else name

    def answer(self, question: str) -> Computed | None:
        """The computed answer to ``question``, or ``None`` when it asks for no computation we can do."""
        p = plan(question)
        if p is None or self.facts is None:
            return None
        out = self.evaluate(p, question)
        assert out is not None
        lookup = p.op == "value" and not p.explicit and isinstance(p.target, Ref) and line_item_of(p.target.name)
        if lookup and (out.result is None or any(u.fact is None or u.fact.attrs.get("source") != "statement" for u in out.used)):
            return None  # a plain figure that is not in a statement table: the passages answer it
        named = isinstance(p.target, Ref) and metric_named(p.target.name) is not None
        if out.result is None and named and set(self.facts.companies_in(question)) & self.facts.filers:
            return Computed(self._missing(question, p, out, CitationBook(self.index), {}), True)  # "FCF of a filer"
        if out.result is None and not p.explicit:
            return None
        book = CitationBook(self.index)
        _, cites = self.inputs_text(out, book)
        uncited = [u for i, u in enumerate(out.used) if not cites.get(i) and u.fact is not None]
        if out.result is not None and uncited:
            return None  # never compute from an uncited number
        if out.result is None:
            return Computed(self._missing(question, p, out, book, cites), True)
        if not (p.explicit or lookup or len(out.used) >= 2):
            return None  # one stated figure, nothing computed: the passages answer it
        return Computed(self._answer(question, p, out, book, cites), p.explicit or bool(lookup))

    def _answer(self, question: str, p: Plan, out: Outcome, book: CitationBook, cites: dict[int, list[int]]) -> Answer:
        assert out.result is not None
        hint = _unit_hint(p)
        result_text = fmt_quantity(out.result, p.decimals, p.scale, out.points, (p.percent and p.op != "change") or hint == "%",
                                   hint)
        inputs, _ = self.inputs_text(out, book)
        text = f"{result_text} ({out.formula}: {inputs})."
        rounding = f"rounded to {p.decimals} decimal places" if p.decimals is not None else ""
        comp = computation_record(out.formula, out.used, cites, out.result.value, out.result.unit or hint, rounding,
                                  result_text)
        return Answer(question=question, text=text, citations=book.items, abstained=False, route="graph",
                      answer_type="computed", value=result_text, computation=comp, confidence=1.0,
                      notes=_notes(out))

    def _missing(self, question: str, p: Plan, out: Outcome, book: CitationBook, cites: dict[int, list[int]]) -> Answer:
        if out.missing is not None:
            why = f"the corpus does not say the {out.missing}"
        else:
            why = f"the inputs cannot be combined ({out.refused})"
        found, _ = self.inputs_text(out, book)
        text = f"Cannot compute {out.formula}: {why}." + (f" Found: {found}." if found else "")
        comp = computation_record(out.formula, [u for i, u in enumerate(out.used) if cites.get(i)],
                                  {k: v for k, v in enumerate(c for i, c in cites.items() if c)}, None, "", "", "")
        return Answer(question=question, text=text, citations=book.items, abstained=True, route="graph",
                      answer_type="computed", value=None, computation=comp, confidence=0.0,
                      notes=[f"missing input: {out.missing}" if out.missing else f"refused: {out.refused}"])


def _name(u: Used, graph_name: str = "") -> str:
    if u.fact is not None and u.fact.attrs.get("source") != "statement" and u.fact.metric:
        return f"{graph_name} {u.fact.metric}".strip()
    return u.name


def _notes(out: Outcome) -> list[str]:
    companies = sorted({str(u.fact.attrs.get("statement")) for u in out.used if u.fact is not None
                        and u.fact.attrs.get("source") == "statement"})
    return [f"read from: {', '.join(c.replace('_', ' ') for c in companies)}"] if companies else []
