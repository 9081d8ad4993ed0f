"""Citations: numbered, exact spans of the original files behind every answer sentence.

Every :class:`~core.types.Citation` satisfies ``raw[start:end] == text``; a value inside the
span is marked by ``value_start``/``value_end`` so the UI can highlight it.
"""

from __future__ import annotations

from core.interfaces import DocumentStore
from core.normalize import normalize
from core.types import Citation, Evidence, Unit
from core.values import Value


class Citations:
    """Numbers citations in order of first use; one number per unit."""

    def __init__(self, index: DocumentStore) -> None:
        self.index = index
        self.items: list[Citation] = []
        self._by_unit: dict[int, int] = {}
        self._by_span: dict[tuple[str, int, int], int] = {}

    def marks(self, u: Unit, value: Value | None = None) -> str:
        """"[n]" for a unit; a table row also cites its header row, where its column names come from."""
        out = f"[{self.add(u, value)}]"
        header = table_header(self.index, u)
        if header is not None:
            out += f"[{self.add(header)}]"
        return out

    def add(self, u: Unit, value: Value | None = None) -> int:
        if u.id in self._by_unit:
            return self._by_unit[u.id]
        if (u.doc, u.start, u.end) in self._by_span:  # adopted from another answer already
            return self._by_span[(u.doc, u.start, u.end)]
        n = len(self.items) + 1
        self.items.append(citation(self.index, u, n, value))
        self._by_unit[u.id] = n
        return n

    def adopt(self, c: Citation) -> int:
        """Number a citation made elsewhere (a sub-answer's, a graph fact's) in this list; the same span
        keeps one number."""
        key = (c.doc, c.start, c.end)
        for uid, n in self._by_unit.items():
            u = self.index.units[uid]
            if (u.doc, u.start, u.end) == key:
                return n
        if key in self._by_span:
            return self._by_span[key]
        n = len(self.items) + 1
        self.items.append(Citation(n, c.doc, c.title, c.section, c.start, c.end, c.text, c.page, c.value_start, c.value_end))
        self._by_span[key] = n
        return n

    def add_part(self, u: Unit, text: str) -> int:
        """Cite only the part of unit ``u`` that reads ``text`` (normalised), e.g. the clause an answer
        point quotes; the whole unit when ``text`` is not found in it. The span is exact:
        ``raw[start:end]`` is the quoted clause as the file has it."""
        span = part_span(self.index, u, text)
        if span is None or span == (u.start, u.end):
            return self.add(u)
        key = (u.doc, *span)
        if key in self._by_span:
            return self._by_span[key]
        n = len(self.items) + 1
        doc = self.index.docs[u.doc]
        self.items.append(Citation(
            n=n, doc=u.doc, title=doc.title, section=u.section, start=span[0], end=span[1],
            text=doc.raw[span[0] : span[1]], page=doc.page_of(span[0]),
        ))
        self._by_span[key] = n
        return n


def part_span(index: DocumentStore, u: Unit, text: str) -> tuple[int, int] | None:
    """The raw ``[start, end)`` inside unit ``u`` whose normalised text is ``text``, or ``None``."""
    raw = index.docs[u.doc].raw[u.start : u.end]
    local = normalize(raw)
    p = local.text.find(text)
    if p < 0 or not text:
        return None
    a, b = local.raw_span(p, p + len(text))
    return u.start + a, u.start + b


def table_header(index: DocumentStore, u: Unit) -> Unit | None:
    """The header row of the table a row belongs to (the heading just above its run of rows)."""
    if u.kind != "table_row":
        return None
    k = u.id - 1
    while k >= 0 and index.units[k].kind == "table_row" and index.units[k].doc == u.doc:
        k -= 1
    head = index.units[k] if k >= 0 else None
    if head is not None and head.doc == u.doc and head.kind == "heading" and " | " in head.text:
        return head
    return None


def citation(index: DocumentStore, u: Unit, n: int, value: Value | None = None) -> Citation:
    """A citation of unit ``u``; with ``value``, the value's own raw span is marked inside it."""
    doc = index.docs[u.doc]
    raw = doc.raw[u.start : u.end]
    vs = ve = None
    if value is not None:
        local = normalize(raw)
        p = local.text.find(value.surface)
        if p >= 0:
            a, b = local.raw_span(p, p + len(value.surface))
            vs, ve = u.start + a, u.start + b
    return Citation(
        n=n, doc=u.doc, title=doc.title, section=u.section, start=u.start, end=u.end, text=raw,
        page=doc.page_of(u.start), value_start=vs, value_end=ve,
    )


def evidence_citation(index: DocumentStore, ev: Evidence, n: int) -> Citation | None:
    """A citation of a graph fact's evidence span, or ``None`` when the span no longer holds its text."""
    doc = index.docs.get(ev.doc)
    if doc is None or doc.raw[ev.start : ev.end] != ev.text:
        return None  # evidence that does not match the file is never shown
    unit = next((u for u in index.units if u.doc == ev.doc and u.start <= ev.start < u.end), None)
    return Citation(
        n=n, doc=ev.doc, title=doc.title, section=unit.section if unit else "", start=ev.start, end=ev.end,
        text=ev.text, page=doc.page_of(ev.start),
    )
