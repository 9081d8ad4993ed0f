"""Comparisons side by side: the same properties for each item, every cell cited.

"Compare A and B", "A vs B", "How does A compare with B on P?", "Which is larger/cheaper/riskier, A or
B?", "How do the two reports differ on P?" get a table (``Answer.comparison``) and a text rendering:

1. **items and property** come from the question (:func:`retrieval.question_shape.comparison_parts`);
   when it compares "the two reports", the documents are the items;
2. **quantities** ("which is larger", or items that are quantities themselves: "the FY2025 margin target
   vs the bear-case margin") are asked as one sub-question per item through the normal answerer, so a
   cell holds the same cited value a factoid answer gives;
3. otherwise each item is found (:mod:`engine.compare_items`) and the **properties** are: the columns
   of the table both items are rows of; else the metrics the graph holds for both (paired by name);
   else the property the question names and the aspects both items have evidence for (revenue,
   margins, risks ..., cue words in ``retrieval/data/aspects.json``), after an "in short" row;
4. every **cell** is one cited clause, value or table cell; a side or property without evidence
   reads "not stated in the reports" (no citation) and the comparison still answers. No unit is
   quoted in two cells;
5. the **lead** sentence says which side is larger (cheaper, riskier ...) on the first numeric or
   rated property, and when documents are compared whether they pull in opposite directions.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from core.config import Settings
from core.interfaces import GraphStore
from core.types import Answer, Comparison, Fact, Point, SearchResult
from core.values import same_number
from engine.answer_result import abstain, cited_answer, note_ignored
from engine.citations import Citations, part_span
from engine.compare_items import CellFinder, Item, Pick, item_tokens, metric_key, resolve_items, values_of
from engine.outline import Outline
from retrieval.question import analyze, ordinal_levels, split_question
from retrieval.question_shape import (
    ComparisonParts,
    compare_properties,
    comparison_parts,
    comparison_words,
    polarity_counts,
)
from retrieval.search import Retriever
from retrieval.store import RetrievalIndex

NOT_STATED = "not stated in the reports"
MAX_PROPERTIES = 4
IN_SHORT = "in short"
QUANTITY_TYPES = frozenset({"amount", "percentage", "multiple", "count", "duration", "range", "score", "year"})
AskOne = Callable[[str], Answer]


class Comparer:
    """Builds comparison answers over one index (see module docstring)."""

    def __init__(
        self, index: RetrievalIndex, retriever: Retriever, outline: Outline, settings: Settings,
        graph: GraphStore | None = None,
    ) -> None:
        self.index = index
        self.retriever = retriever
        self.outline = outline
        self.settings = settings
        self.graph = graph

    def answer(self, question: str, k: int | None, ask_one: AskOne) -> Answer | None:
        """The comparison answer, or ``None`` when the question names no two items."""
        parts = comparison_parts(question)
        if parts.across_documents and len(self.index.docs) >= 2:
            labels = [self.index.docs[d].title for d in sorted(self.index.docs)]
        elif len(parts.items) >= 2:
            labels = list(parts.items)
        else:
            return None
        s = self.settings
        qv = self.retriever.embed(question) if s.use_dense or s.use_rescoring else None
        result = self.retriever.search(question, k=k, vector=qv)
        items = resolve_items(labels, self.index, self.outline, self.graph)
        if parts.across_documents:
            for it, d in zip(items, sorted(self.index.docs), strict=True):
                it.doc, it.sections, it.rows, it.facts = d, set(), [], []
        elif not all(it.rows for it in items) and self._is_quantity(parts):
            # quantities that are not rows of one table: one sub-question per item
            ans = self._by_values(question, parts, labels, result, ask_one)
            if ans is not None:
                return ans
        return self._by_evidence(parts, items, result, qv if s.use_dense else None)

    # ---- quantities: one sub-question per item ------------------------------------------------------

    @staticmethod
    def _is_quantity(parts: ComparisonParts) -> bool:
        if parts.direction:
            return True
        probes = [f"What is the {parts.prop}?"] if parts.prop else [f"What is the {x}?" for x in parts.items]
        return any(analyze(p).answer_type in QUANTITY_TYPES for p in probes)

    def _by_values(
        self, question: str, parts: ComparisonParts, labels: list[str], result: SearchResult, ask_one: AskOne,
    ) -> Answer | None:
        subs = split_question(question)  # "which is larger, A or B": the sub-questions factoid answers use
        if parts.prop or len(subs) != len(labels):
            subs = [f"What is the {parts.prop} of {x}?" if parts.prop else f"How much is {x}?" for x in labels]
        answers = [ask_one(s) for s in subs]
        if all(a.abstained for a in answers):
            return None
        cites = Citations(self.index)
        cells: list[list[Point]] = []
        picks: list[Pick | None] = []
        seen: set[str] = set()
        for a in answers:
            claim, nums = _first_claim(a.text)
            if a.abstained or claim.lower() in seen:  # the same sentence for two items states neither
                cells.append([Point(NOT_STATED, [])])
                picks.append(None)
                continue
            seen.add(claim.lower())
            remap = {c.n: cites.adopt(c) for c in a.citations}
            cited = [remap[n] for n in nums if n in remap] or [remap[c.n] for c in a.citations[:1]]
            text = claim or (a.value or "")
            cells.append([Point(_sentence(text), cited)])
            vals = values_of(a.value or claim)
            picks.append(Pick(text, None, vals[0] if vals else None))
        prop = parts.prop or "value"
        comp = Comparison(labels, [prop], cells)
        lead = _lead(question, parts, labels, prop, picks, [row[0] for row in cells])
        ans = self._assemble(result, comp, lead, cites)
        ans.value = "; ".join(a.value for a in answers if a.value and not a.abstained) or None
        ans.notes.append(f"compared as {len(subs)} sub-questions")
        return ans

    # ---- evidence: tables, graph facts, passages ------------------------------------------------------

    def _by_evidence(
        self, parts: ComparisonParts, items: list[Item], result: SearchResult, qv: np.ndarray | None,
    ) -> Answer:
        question = result.question.text
        finder = CellFinder(self.index, self.outline, qv)
        cites = Citations(self.index)
        if all(it.rows for it in items):
            props, picks = self._table_cells(items, parts)
            route = "passages"
        else:
            props, picks = [], [[] for _ in items]
            route = "passages"
            if all(it.facts for it in items) and not parts.prop:
                props, picks = self._graph_cells(items, finder)
                route = "graph" if props else route
            if len(props) < 3:  # few or no paired metrics: the passages line up the rest
                used = {p.unit.id for row in picks for p in row if p is not None and p.unit is not None}
                more, more_picks = self._passage_cells(items, parts, finder, used, MAX_PROPERTIES - len(props))
                props += more
                for row, extra in zip(picks, more_picks, strict=True):
                    row.extend(extra)
                route = "both" if route == "graph" and more else route
        if not props or all(p is None for row in picks for p in row):
            return abstain(self.index, result, [])
        cells = [[self._cell(p, cites) for p in row] for row in picks]
        comp = Comparison([it.label for it in items], props, cells)
        lead = ""
        for j, prop in enumerate(props):
            lead = _lead(question, parts, comp.items, prop, [row[j] for row in picks], [row[j] for row in cells])
            if lead:
                break
        if not lead and parts.across_documents:
            lead = _documents_lead(comp, picks)
        ans = self._assemble(result, comp, lead, cites)
        ans.route = route
        return ans

    def _table_cells(self, items: list[Item], parts: ComparisonParts) -> tuple[list[str], list[list[Pick | None]]]:
        """Both items are rows of one table: its columns are the properties (the asked one first)."""
        cols = list(items[0].cells())
        if parts.prop:
            ptoks = item_tokens(parts.prop)
            cols.sort(key=lambda c: -len(ptoks & item_tokens(c)))
        picks: list[list[Pick | None]] = []
        for it in items:
            row_cells = it.cells()
            row: list[Pick | None] = []
            for col in cols:
                cell = row_cells.get(col)
                row.append(None if cell is None else Pick(cell[0], cell[1], next(iter(values_of(cell[0])), None)))
            picks.append(row)
        return cols, picks

    def _graph_cells(self, items: list[Item], finder: CellFinder) -> tuple[list[str], list[list[Pick | None]]]:
        """Both items have metric facts: pair the metrics by name (or by their last or first word)."""
        props: list[str] = []
        rows: list[list[Pick | None]] = [[] for _ in items]
        used: set[tuple[int, int]] = set()
        for level in range(3):  # exact names, then last words ("margin"), then first words ("revenue")
            for f in items[0].facts:
                if len(props) >= MAX_PROPERTIES or (0, id(f)) in used:
                    continue
                key = metric_key(f.metric or "")[level]
                if not key:
                    continue
                row: list[Pick | None] = [self._fact_pick(f, finder)]
                for i, it in enumerate(items[1:], 1):
                    g = next((g for g in it.facts if (i, id(g)) not in used and metric_key(g.metric or "")[level] == key), None)
                    row.append(self._fact_pick(g, finder) if g is not None else None)
                    if g is not None:
                        used.add((i, id(g)))
                if any(p is None for p in row):
                    continue
                used.add((0, id(f)))
                props.append(f.metric or key if level == 0 else key)
                for i, p in enumerate(row):
                    rows[i].append(p)
        return props, rows

    @staticmethod
    def _fact_pick(f: Fact, finder: CellFinder) -> Pick | None:
        ev = f.evidence[0] if f.evidence else None
        if ev is None:
            return None
        u = finder.unit_at(ev.doc, ev.start)
        if u is None:
            return None
        surface = f.surface or ""
        text = f"{f.metric}: {surface}".strip(": ") + (f" ({f.period})" if f.period and f.period not in surface else "")
        vals = values_of(surface)
        return Pick(text, u, vals[0] if vals else None, f)

    def _passage_cells(
        self, items: list[Item], parts: ComparisonParts, finder: CellFinder, used: set[int] | None = None,
        limit: int = MAX_PROPERTIES,
    ) -> tuple[list[str], list[list[Pick | None]]]:
        """The asked property (else an "in short" row), then aspects both items have evidence for; no
        unit in ``used`` (already quoted) is quoted again."""
        units = [finder.units_of(it) for it in items]
        finder.prepare([u for us in units for u in us])
        used = set(used or ())
        props: list[str] = []
        rows: list[list[Pick | None]] = [[] for _ in items]

        def add(name: str, picks: list[Pick | None]) -> None:
            props.append(name)
            for i, p in enumerate(picks):
                rows[i].append(p)
                if p is not None and p.unit is not None:
                    used.add(p.unit.id)

        def pick_all(**kw: object) -> list[Pick | None]:
            out: list[Pick | None] = []
            taken: set[int] = set()
            for i, it in enumerate(items):
                others = [o for o in items if o is not it]
                p = finder.best(it, others, units[i], used | taken, views=parts.across_documents, **kw)  # type: ignore[arg-type]
                out.append(p)
                if p is not None and p.unit is not None:
                    taken.add(p.unit.id)
            return out

        specs = list(compare_properties())
        if parts.prop:  # the asked property, then aspects of it both items have evidence for
            add(parts.prop, pick_all(prop_text=parts.prop))
        else:
            add(IN_SHORT, pick_all())
        if parts.across_documents and parts.prop:
            specs = []  # how the documents see one thing: that row (and the lead) say it
        for spec in specs:
            if len(props) >= limit:
                break
            picks = pick_all(aspect=spec, prop_text=parts.prop)
            if all(p is not None for p in picks):
                add(spec.name, picks)
        return props, rows

    # ---- rendering -------------------------------------------------------------------------------------

    def _cell(self, p: Pick | None, cites: Citations) -> Point:
        if p is None or p.unit is None:
            return Point(NOT_STATED, [])
        u = p.unit
        if u.kind == "table_row":
            nums = [int(n) for n in re.findall(r"\[(\d+)\]", cites.marks(u))]
        elif p.fact is not None or part_span(self.index, u, p.text) is None:
            nums = [cites.add(u)]
        else:
            nums = [cites.add_part(u, p.text)]
        return Point(_sentence(p.text), nums)

    def _assemble(self, result: SearchResult, comp: Comparison, lead: str, cites: Citations) -> Answer:
        lines = [lead] if lead else []
        for item, row in zip(comp.items, comp.cells, strict=True):
            if len(comp.properties) == 1:
                lines.append(f"- {item}: {_marked(row[0])}")
            else:
                lines.append(f"- {item}: " + "; ".join(f"{p}: {_marked(c)}" for p, c in zip(comp.properties, row, strict=True)))
        ans = cited_answer(result, "\n".join(lines), cites, abstained=False, value=None, confidence=None)
        ans.answer_type = "comparison"
        ans.comparison = comp
        ans.passages = result.passages
        note_ignored(ans, result)
        missing = sum(c.text == NOT_STATED for row in comp.cells for c in row)
        if missing:
            ans.notes.append(f"{missing} cell(s) not stated in the reports")
        return ans


def _first_claim(text: str) -> tuple[str, list[int]]:
    """The text before the first group of "[n]" markers, and those numbers."""
    m = re.search(r"((?:\s*\[\d+\])+)", text)
    if m is None:
        return text.strip(), []
    return text[: m.start()].strip(), [int(n) for n in re.findall(r"\d+", m.group(1))]


def _sentence(text: str) -> str:
    """Capitalised, and closed with a period when it is a sentence (a bare value like "~$560M" is not)."""
    t = text.strip()
    if not t:
        return t
    t = t[:1].upper() + t[1:]
    return t if t[-1:] in ".!?" or len(t.split()) < 4 else t + "."


def _marked(p: Point) -> str:
    if not p.citations:
        return p.text
    return f"{p.text.rstrip('.')} {''.join(f'[{n}]' for n in p.citations)}"


# ---- the lead sentence --------------------------------------------------------------------------------


def _lead(
    question: str, parts: ComparisonParts, items: list[str], prop: str, picks: list[Pick | None], cells: list[Point],
) -> str:
    """"A is larger on P ($5 vs $3) [1][2]." when both cells state comparable values (or ratings)."""
    if len(picks) != 2 or any(p is None for p in picks):
        return ""
    a, b = picks[0], picks[1]
    assert a is not None and b is not None
    marks = "".join(f"[{n}]" for n in dict.fromkeys(n for c in cells for n in c.citations[:1]))
    on = "" if prop in ("value", IN_SHORT) else f" on {prop}"
    va, vb = a.value, b.value
    if va is not None and vb is not None:
        if va.kind != vb.kind or same_number(va.value, vb.value, 0):
            return ""
        want_low = parts.direction == "less"
        big, small = (0, 1) if va.value > vb.value else (1, 0)
        win, lose = (small, big) if want_low else (big, small)
        word = _comparative(question, want_low, va.kind)
        shown = [va.surface, vb.surface]
        return _sentence(f"{items[win]} is {word}{on} ({shown[win]} vs {shown[lose]}) {marks}")
    levels = ordinal_levels()
    fa, fb = _rating(a.text, levels), _rating(b.text, levels)
    if fa is None or fb is None:
        return ""
    (ra, sa), (rb, sb) = fa, fb
    if ra == rb:
        return _sentence(f"Both are rated {sa}{on} {marks}")
    want_low = parts.direction == "less"
    hi, lo = (0, 1) if ra > rb else (1, 0)
    win, lose = (lo, hi) if want_low else (hi, lo)
    ratings = [sa, sb]
    return _sentence(f"{items[win]} is {'lower' if want_low else 'higher'}{on} ({ratings[win]} vs {ratings[lose]}) {marks}")


def _comparative(question: str, want_low: bool, kind: str) -> str:
    """The question's own comparative ("cheaper", "higher"), else larger/smaller (higher/lower for rates)."""
    more, less = comparison_words()
    for w in (less if want_low else more):
        if re.search(rf"\b{re.escape(w)}\b", question, re.I):
            return w
    rate = kind in ("percent", "multiple", "score")
    if want_low:
        return "lower" if rate else "smaller"
    return "higher" if rate else "larger"


def _rating(text: str, levels: tuple[str, ...]) -> tuple[int, str] | None:
    """The rating a cell states (its rank on the ordinal scale, and as the text writes it)."""
    hits = [(i, m.group(0)) for i, lvl in enumerate(levels) if (m := re.search(rf"\b{re.escape(lvl)}\b", text, re.I))]
    return max(hits, key=lambda h: (len(levels[h[0]]), h[0])) if hits else None


def _documents_lead(comp: Comparison, picks: list[list[Pick | None]]) -> str:
    """"The documents differ: A reads more cautious, B more positive." from the cells' polarity."""
    tones = []
    for row in picks:
        neg = pos = 0
        for p in row:
            if p is not None:
                n, q = polarity_counts(p.text)
                neg, pos = neg + n, pos + q
        tones.append(pos - neg)
    if len(tones) != 2 or (tones[0] >= 0) == (tones[1] >= 0) or tones[0] == tones[1]:
        return ""
    cautious, positive = (0, 1) if tones[0] < tones[1] else (1, 0)
    na = next((c.citations[0] for c in comp.cells[cautious] if c.citations), None)
    nb = next((c.citations[0] for c in comp.cells[positive] if c.citations), None)
    ma = f" [{na}]" if na else ""
    mb = f" [{nb}]" if nb else ""
    return (f"The documents differ: “{comp.items[cautious]}” is more cautious{ma}, "
            f"“{comp.items[positive]}” more positive{mb}.")

