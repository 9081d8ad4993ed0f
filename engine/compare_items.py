"""What a comparison lines up: the items (found as table rows, sections, graph facts, documents or the
sentences that name them) and the evidence for each item on each property.

:func:`resolve_items` turns the question's item phrases into :class:`Item` s; :class:`CellFinder`
picks, for one item and one property, the unit (or graph fact, or table cell) that states it.
Nothing here names a company or section: items are matched by their words.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import numpy as np

from core.interfaces import GraphStore
from core.types import Fact, Unit
from core.values import Value, find_values
from engine.outline import Outline, point_text
from retrieval.lexical import concepts, tokenize
from retrieval.question_shape import Aspect, frame_words, is_lead_in, polarity_counts
from retrieval.store import RetrievalIndex

GENERIC_ITEM_WORDS = frozenset({"scenario", "case", "business", "segment", "category", "line", "unit", "division"})


@dataclass
class Item:
    """One side of a comparison and where the corpus speaks of it."""

    label: str
    tokens: frozenset[str]  # its own words (stems), without frame words
    distinct: frozenset[str]  # the words that tell it from the other items
    rows: list[Unit] = field(default_factory=list)  # table rows whose first cell names it
    sections: set[tuple[str, str]] = field(default_factory=set)  # sections headed by it
    doc: str | None = None  # the document itself, when documents are compared
    facts: list[Fact] = field(default_factory=list)  # graph metric facts about it

    def cells(self) -> dict[str, tuple[str, Unit]]:
        """Its table cells by column header (from its first table row)."""
        if not self.rows:
            return {}
        out = {}
        for part in self.rows[0].text.split("; ")[1:]:
            head, _, cell = part.partition(": ")
            if cell:
                out[head.strip()] = (cell.strip(), self.rows[0])
        return out


@dataclass
class Pick:
    """The evidence of one cell: its text, the unit it quotes (or ``None``), and the value it states."""

    text: str
    unit: Unit | None
    value: Value | None = None
    fact: Fact | None = None


def item_tokens(label: str) -> frozenset[str]:
    return frozenset(t for t in tokenize(label) if t not in frame_words())


def resolve_items(labels: list[str], index: RetrievalIndex, outline: Outline, graph: GraphStore | None) -> list[Item]:
    """Find each item of a comparison in the corpus (rows, sections, graph facts)."""
    own = [item_tokens(x) for x in labels]
    items = []
    for i, label in enumerate(labels):
        others = frozenset().union(*(own[j] for j in range(len(labels)) if j != i))
        # what tells it apart: not the other items' words, not words most units use, not "case"/"scenario"
        distinct = (own[i] - others - outline.common - GENERIC_ITEM_WORDS) or (own[i] - others) or own[i]
        it = Item(label, own[i], distinct)
        it.sections = outline.focus_sections(tuple(own[i]))
        it.rows = [u for u in _rows_naming(outline, own[i]) if u.chunk not in outline.skip]
        if graph is not None:
            it.facts = _facts_of(graph, label, it.distinct)
        items.append(it)
    _same_table_only(items)
    return items


def _rows_naming(outline: Outline, toks: frozenset[str]) -> list[Unit]:
    """Table rows whose first cell is the item: its head word is one of the item's words, or the item's
    words are all in it ("Segment" names "Segment (data platform)"). Only rows sharing a word with the
    item are looked at (:attr:`Outline.rows_by_word`)."""
    specific = toks - GENERIC_ITEM_WORDS or toks
    units = outline.index.units
    out = []
    for uid in sorted({i for t in specific for i in outline.rows_by_word.get(t, ())}):
        head = outline.row_heads[uid]
        if (head[0] in specific) or (specific and specific <= set(head)):
            out.append(units[uid])
    return out


def _same_table_only(items: list[Item]) -> None:
    """Keep table rows only when every item has a row in one same table (a table compares its rows)."""
    tables = [{(u.doc, u.section, u.chunk) for u in it.rows} for it in items]
    if not all(tables):
        for it in items:
            it.rows = []
        return
    sections = [{(d, s) for d, s, _ in t} for t in tables]
    shared = set.intersection(*sections)
    for it in items:
        it.rows = [u for u in it.rows if (u.doc, u.section) in shared][:1]
    if not all(it.rows for it in items):
        for it in items:
            it.rows = []


def _facts_of(graph: GraphStore, label: str, distinct: frozenset[str]) -> list[Fact]:
    """Metric facts about the item: of the entity it names, or of the scenario it names (facts
    qualified "projection:bull" belong to "the bull case")."""
    out: list[Fact] = []
    for e in graph.find(label, fuzzy=True, cutoff=0.85)[:1]:
        out += [f for f in graph.metric_facts(e.id) if f.subject == e.id]
    if not out and distinct:
        for f in graph.all_facts():
            q = f.qualifier or ""
            if f.value is not None and q.startswith("projection") and distinct <= set(tokenize(q)):
                out.append(f)
    return out


# ---- cells ---------------------------------------------------------------------------------------------


class CellFinder:
    """Picks the evidence of each cell from the units about each item."""

    def __init__(self, index: RetrievalIndex, outline: Outline, qv: np.ndarray | None) -> None:
        self.index = index
        self.outline = outline
        self.qv = qv
        self._dense: dict[int, float] = {}
        self._hits: dict[tuple[str, int], float] = {}
        self._sec: dict[str, frozenset[str]] = {}
        self._starts: dict[str, list[tuple[int, int]]] = {}
        for u in index.units:
            self._starts.setdefault(u.doc, []).append((u.start, u.id))

    def unit_at(self, doc: str, pos: int) -> Unit | None:
        """The unit holding raw position ``pos`` of ``doc``."""
        starts = self._starts.get(doc, [])
        k = bisect.bisect_right(starts, (pos, 1 << 60)) - 1
        if k < 0:
            return None
        u = self.index.units[starts[k][1]]
        return u if u.start <= pos < u.end and u.chunk not in self.outline.skip else None

    def units_of(self, it: Item) -> list[Unit]:
        """Units about the item: its sections (or document), its rows, and the sentences naming it."""
        ids: set[int] = set()
        for key in it.sections:
            ids.update(self.outline.section_units.get(key, []))
        if it.doc is not None:
            ids.update(u.id for u in self.index.units if u.doc == it.doc)
        ids.update(u.id for u in it.rows)
        if not it.sections and it.doc is None and it.distinct:
            toks = self.outline.unit_tokens
            ids.update(u.id for u in self.index.units if it.distinct <= toks[u.id])
        return [self.index.units[i] for i in sorted(ids) if self._citable(self.index.units[i])]

    def prepare(self, units: list[Unit]) -> None:
        """Score the question against all these units in one product (instead of one by one)."""
        if self.qv is None:
            return
        ids = sorted({u.id for u in units} - set(self._dense))
        if ids:
            for uid, d in zip(ids, self.index.unit_dense.scores(self.qv, ids).tolist(), strict=True):
                self._dense[uid] = float(d)

    def _citable(self, u: Unit) -> bool:
        return u.chunk not in self.outline.skip and u.kind != "heading" and not is_lead_in(u.text) and bool(u.section or u.kind == "sentence")

    def dense(self, u: Unit) -> float:
        if self.qv is None:
            return 0.0
        d = self._dense.get(u.id)
        if d is None:
            d = self._dense[u.id] = float(self.index.unit_dense.scores(self.qv, [u.id])[0])
        return d

    def best(
        self, it: Item, others: list[Item], units: list[Unit], used: set[int],
        aspect: Aspect | None = None, prop_text: str = "", views: bool = False,
    ) -> Pick | None:
        """The unit that best states ``it`` on a property (an aspect's cues, or the property's words and
        their synonyms; neither for the "in short" row), preferring units that do not also speak of the
        other items."""
        best: tuple[float, Unit] | None = None
        groups = self._prop_groups(prop_text)
        total = sum(w for w, _ in groups) or 1.0
        phrase = re.compile(r"\b" + r"\W+".join(map(re.escape, prop_text.split())), re.I) if prop_text.strip() else None
        for u in units:
            if u.id in used:
                continue
            own = self.outline.unit_tokens[u.id]
            toks = own | self._section_tokens(u.section)
            s = 0.4 * self.dense(u)
            if groups:  # before the aspect's cues: set operations reject most units for less than a regex
                share = sum(w for w, g in groups if g & toks) / total
                if share < 0.34:
                    continue
                s += 0.5 * share + (0.1 if phrase is not None and phrase.search(u.text) else 0.0)
            if aspect is not None:
                hits = self._aspect_hits(aspect, u)
                if hits <= 0:
                    continue
                s += 0.12 * min(hits, 2.0)
            s += 0.3 if it.distinct <= own else 0.15
            if views:  # how documents view something: evaluative sentences say it
                neg, pos = polarity_counts(u.text)
                s += 0.06 * min(neg + pos, 2)
            if any(o.distinct and o.distinct <= toks for o in others):
                s -= 0.25
            if best is None or s > best[0]:
                best = (s, u)
        if best is None:
            return None
        u = best[1]
        return Pick(self.quote(u, it, others, item_tokens(prop_text)), u)

    def _aspect_hits(self, aspect: Aspect, u: Unit) -> float:
        """``aspect.hits(u.text)``, remembered: each cell of a comparison looks at the same units."""
        key = (aspect.name, u.id)
        h = self._hits.get(key)
        if h is None:
            h = self._hits[key] = aspect.hits(u.text)
        return h

    def _prop_groups(self, prop_text: str) -> list[tuple[float, frozenset[str]]]:
        """The property's words as weighted groups: a synonym group counts once ("competitive position"
        also finds "moat"); words most units use carry no weight."""
        if not prop_text:
            return []
        idf = self.outline.text_idf
        out: list[tuple[float, frozenset[str]]] = []
        seen: set[str] = set()
        for own, group in concepts(prop_text):
            seen |= own
            out.append((max(idf.get(t, 1.0) for t in own), group))
        for t in item_tokens(prop_text) - seen - self.outline.common:
            out.append((idf.get(t, 1.0), frozenset({t})))
        return out

    def _section_tokens(self, section: str) -> frozenset[str]:
        toks = self._sec.get(section)
        if toks is None:
            toks = self._sec[section] = frozenset(tokenize(section))
        return toks

    def quote(self, u: Unit, it: Item, others: list[Item], prop: frozenset[str] = frozenset()) -> str:
        """The clause of ``u`` that speaks of the item (not of the other items), shortened for a cell."""
        mine = it.distinct | prop
        theirs = frozenset().union(*(o.distinct for o in others)) - it.distinct

        def weight(part: str) -> float:
            toks = set(tokenize(part))
            if it.distinct and not it.distinct & toks and it.distinct & self.outline.unit_tokens[u.id]:
                return -1e9  # a clause that does not name the item cannot be its cell
            return 2.0 * len(toks & mine) - 1.0 * len(toks & theirs)

        return point_text(u, weight)


def values_of(text: str) -> list[Value]:
    """Quantities a cell states (years are context, not the compared value)."""
    return [v for v in find_values(text) if v.kind not in ("year", "quarter")]


def metric_key(name: str) -> tuple[str, str, str]:
    """``(name, last word, first word)`` of a metric, lower case, for pairing metrics across items."""
    words = [w for w in re.findall(r"[a-z0-9%]+", name.lower()) if w not in {"non", "gaap"}]
    if not words:
        return (name.lower(), "", "")
    return (" ".join(words), words[-1], words[0])
