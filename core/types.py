"""Small typed records that cross folder boundaries.

Every span is a half-open ``[start, end)`` character range into ``Document.raw``, the
original file text (for PDFs: the extracted text layer, pages joined by form feeds), so
``doc.raw[span.start:span.end]`` is exactly the cited text.

>>> s = Span("a.txt", 4, 9)
>>> "the quick brown"[s.start:s.end]
'quick'
"""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from core.values import Value

UnitKind = Literal["sentence", "table_row", "heading", "list_item"]
Route = Literal["passages", "graph", "both", "none", "llm"]


@dataclass(frozen=True, slots=True)
class Span:
    """A character range ``[start, end)`` into the raw text of document ``doc``."""

    doc: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad span {self.start}:{self.end} in {self.doc}")


@dataclass(frozen=True, eq=False)
class Document:
    """One ingested file.

    ``id`` is the path relative to the folder it was ingested from (``reports/q3.txt``).
    ``text`` is ``raw`` normalised for matching (quotes, dashes, hyphens, spaces); for HTML
    it is the visible text. ``starts[i]``/``ends[i]`` give the raw range that ``text[i]``
    came from (int arrays; empty once the document is loaded back from an index).
    """

    id: str
    path: str
    title: str
    kind: str  # txt | md | html | pdf
    raw: str
    text: str
    sha256: str
    meta: dict[str, Any] = field(default_factory=dict)
    # Char offsets in ``raw`` where each PDF page starts (empty for non-PDF files).
    page_starts: tuple[int, ...] = ()
    starts: Any = None
    ends: Any = None

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` range of ``text`` to the matching range of ``raw``."""
        if end <= start:
            p = int(self.starts[start]) if start < len(self.text) else len(self.raw)
            return p, p
        return int(self.starts[start]), int(self.ends[end - 1])

    def page_of(self, raw_pos: int) -> int | None:
        """1-based PDF page holding ``raw_pos``; ``None`` for non-PDF documents."""
        return page_of(self.page_starts, raw_pos)


def page_of(page_starts: tuple[int, ...], raw_pos: int) -> int | None:
    """1-based page holding ``raw_pos`` given each page's start offset; ``None`` without pages.

    >>> page_of((0, 100, 250), 120), page_of((), 5)
    (2, None)
    """
    if not page_starts:
        return None
    return bisect.bisect_right(page_starts, raw_pos)


@dataclass
class DocRecord:
    """What an index keeps of a document: enough to cite it and show its context."""

    id: str
    title: str
    path: str
    kind: str
    raw: str
    sha256: str
    meta: dict[str, Any] = field(default_factory=dict)
    page_starts: tuple[int, ...] = ()

    def page_of(self, pos: int) -> int | None:
        return page_of(self.page_starts, pos)


@dataclass(frozen=True, slots=True)
class Unit:
    """The smallest citable piece: a sentence, a table row, a heading or a list item.

    ``text`` is normalised; for table rows it is ``"Header: cell; Header: cell"`` so that
    matching sees the column names, while ``span`` still covers the raw row.
    """

    id: int
    doc: str
    chunk: int
    start: int
    end: int
    text: str
    kind: UnitKind
    section: str


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrieval passage: consecutive units of one section, with its raw span."""

    id: int
    key: str  # stable "doc#index" identifier
    doc: str
    section: str
    start: int
    end: int
    text: str
    units: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a fact or entity was read: a span of a document plus its sentence text."""

    doc: str
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Entity:
    """A node of the knowledge graph, with every alias merged onto it."""

    id: str
    type: str
    name: str
    aliases: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Fact:
    """A typed edge or metric value, always backed by evidence.

    Relations have ``object`` set (an entity id); metric facts have ``value`` and ``unit``
    (``value_high`` for ranges), ``metric`` naming what is measured.
    """

    subject: str
    predicate: str
    object: str | None = None
    metric: str | None = None
    value: float | None = None
    value_high: float | None = None
    unit: str | None = None
    period: str | None = None
    qualifier: str | None = None
    surface: str | None = None  # the value as written, e.g. "~$560M"
    attrs: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Citation:
    """One numbered source of an answer; ``raw[start:end] == text`` in file ``doc``."""

    n: int
    doc: str
    title: str
    section: str
    start: int
    end: int
    text: str
    page: int | None = None
    # The exact answer value inside the span, when there is one (for highlighting).
    value_start: int | None = None
    value_end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk and its fused score."""

    doc: str
    chunk_id: str
    score: float
    section: str = ""
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"doc": self.doc, "chunk_id": self.chunk_id, "score": round(self.score, 6)}


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    """The parts of a question the retriever and answerers use (made by ``retrieval.question``)."""

    text: str
    answer_type: str
    kinds: tuple[str, ...]  # value kinds that can answer, best first
    tokens: tuple[str, ...]  # stemmed content words
    values: tuple[Value, ...]  # quantities named in the question ("in 2028", "13%")
    wants_range: bool
    sides: tuple[str, ...] = ()  # the two things compared, for comparisons
    aggregate_money: bool = False  # asks for a total (revenue, guidance ...), not a per-unit price


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
    """What retrieval hands the answerers: the analysed question, top passages, ranked units."""

    question: QuestionAnalysis
    passages: list[Passage]
    chunk_ids: list[int]
    units: list[ScoredUnit]
    timings_ms: dict[str, float] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # documents of top passages skipped as instruction-like


@dataclass(slots=True)
class Point:
    """One distinct point of an open answer: a short sentence and the citation numbers behind it."""

    text: str
    citations: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "citations": list(self.citations)}


@dataclass(slots=True)
class Comparison:
    """A side-by-side answer: ``cells[i][j]`` is item ``i`` on property ``j`` (a cell without
    evidence says so in its text and has no citations)."""

    items: list[str]
    properties: list[str]
    cells: list[list[Point]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": list(self.items),
            "properties": list(self.properties),
            "cells": [[c.to_dict() for c in row] for row in self.cells],
        }


@dataclass(slots=True)
class ComputationInput:
    """One number a computation used, with where it was read (``citation`` is an answer citation
    number; ``None`` only for a number written in the question itself)."""

    name: str
    value: float
    unit: str = ""
    period: str | None = None
    citation: int | None = None
    surface: str = ""  # as written in the source ("$4.46 billion")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "unit": self.unit, "period": self.period,
                "citation": self.citation, "surface": self.surface}


@dataclass(slots=True)
class Computation:
    """A computed answer: the formula, every input with its citation, the result and its rounding."""

    formula: str
    inputs: list[ComputationInput]
    result: float | None
    unit: str = ""
    rounding: str = ""
    result_text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"formula": self.formula, "inputs": [i.to_dict() for i in self.inputs], "result": self.result,
                "unit": self.unit, "rounding": self.rounding, "result_text": self.result_text}


@dataclass(slots=True)
class Answer:
    """What every interface returns: text with [n] markers and the citations behind them.

    ``answer_type`` says how to render it: plain answers are ``text``; open answers also carry
    ``points``, comparisons a ``comparison`` table, computed answers a ``computation``.
    """

    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    route: Route
    passages: list[Passage] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    answer_type: str = ""
    value: str | None = None  # the exact value, when the question asks for one
    mode: str = "offline"  # offline | llm | llm-fallback
    notes: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    confidence: float | None = None  # the evidence score the abstention threshold is compared with
    points: list[Point] = field(default_factory=list)
    comparison: Comparison | None = None
    computation: Computation | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "value": self.value,
            "answer_type": self.answer_type,
            "route": self.route,
            "mode": self.mode,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "notes": list(self.notes),
            "conflicts": list(self.conflicts),
            "points": [p.to_dict() for p in self.points],
            "comparison": self.comparison.to_dict() if self.comparison else None,
            "computation": self.computation.to_dict() if self.computation else None,
        }
