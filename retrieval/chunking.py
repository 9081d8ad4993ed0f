"""Group a document's units into section-aware chunks with spans into the raw file.

A chunk never crosses a page break of a paged document (a PDF), nor a section boundary unless it
is still small (under a quarter of ``chunk_chars``: a lone heading is not worth retrieving on its
own, so it opens the chunk of the section it introduces); a small tail of a page joins the page's
previous chunk. A chunk holds whole units up to ``chunk_chars`` characters and repeats the last
``overlap_units`` units of the previous chunk, so an answer sentence is never cut in two.

>>> from retrieval.documents import load_file
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "r.txt"
>>> _ = p.write_text("Acme\\nRevenue\\nSales rose 5% to $2 million in 2024.\\n", encoding="utf-8")
>>> doc = load_file(p)
>>> units, chunks = chunk_document(doc, start_unit=0, start_chunk=0)
>>> [doc.raw[u.start:u.end] for u in units]
['Acme', 'Revenue', 'Sales rose 5% to $2 million in 2024.']
>>> chunks[-1].section, chunks[-1].key
('Revenue', 'r.txt#1')
"""

from __future__ import annotations

import bisect

from core.types import Chunk, Document, Unit
from retrieval.layout import RawUnit, parse_units


def chunk_document(
    doc: Document,
    start_unit: int,
    start_chunk: int,
    chunk_chars: int = 700,
    overlap_units: int = 1,
) -> tuple[list[Unit], list[Chunk]]:
    """Return the document's units and chunks; ids are numbered from ``start_unit``/``start_chunk``."""
    raw_units = parse_units(doc.text)
    units: list[Unit] = []
    groups: list[list[int]] = []  # indices into `units`, one list per chunk
    group_page: list[int] = []
    current: list[int] = []
    size = 0
    section: str | None = None
    page = 0
    small = chunk_chars // 4  # a chunk this small (a lone heading, a page's footer) is not worth retrieving alone
    for ru in raw_units:
        unit = _to_unit(doc, ru, start_unit + len(units), -1)
        if unit is None:
            continue
        unit_page = bisect.bisect_right(doc.page_starts, unit.start) - 1 if doc.page_starts else 0
        if current and unit_page != page:
            if size < small and groups and group_page[-1] == page:  # a page's small tail joins its chunk before
                groups[-1].extend(k for k in current if k not in groups[-1])
            else:
                groups.append(current)
                group_page.append(page)
            current, size = [], 0
        elif current and section is not None and ru.section != section and size >= small:
            groups.append(current)
            group_page.append(page)
            current, size = [], 0
        elif current and size + len(unit.text) > chunk_chars:
            groups.append(current)
            group_page.append(page)
            keep = [k for k in current[-overlap_units:] if units[k].kind != "heading"] if overlap_units else []
            current, size = list(keep), sum(len(units[k].text) for k in keep)
        section, page = ru.section, unit_page
        units.append(unit)
        current.append(len(units) - 1)
        size += len(unit.text) + 1
    if current:
        groups.append(current)
    chunks: list[Chunk] = []
    for g_no, group in enumerate(groups):
        cid = start_chunk + g_no
        members = [units[k] for k in group]
        sec = members[-1].section
        body = "\n".join(u.text for u in members)
        chunks.append(
            Chunk(
                id=cid,
                key=f"{doc.id}#{g_no}",
                doc=doc.id,
                section=sec,
                start=min(u.start for u in members),
                end=max(u.end for u in members),
                text=f"{sec}\n{body}" if sec else body,
                units=tuple(u.id for u in members),
            )
        )
    return _fix_chunk_refs(units, chunks), chunks


def _to_unit(doc: Document, ru: RawUnit, uid: int, chunk_no: int) -> Unit | None:
    start, end = doc.raw_span(ru.start, ru.end)
    if end <= start or not ru.text.strip():
        return None
    return Unit(uid, doc.id, chunk_no, start, end, ru.text, ru.kind, ru.section)


def _with_chunk(u: Unit, chunk: int) -> Unit:
    return Unit(u.id, u.doc, chunk, u.start, u.end, u.text, u.kind, u.section)


def _fix_chunk_refs(units: list[Unit], chunks: list[Chunk]) -> list[Unit]:
    """Point every unit at the first chunk that holds it (overlap copies point back)."""
    first: dict[int, int] = {}
    for c in chunks:
        for uid in c.units:
            first.setdefault(uid, c.id)
    return [_with_chunk(u, first[u.id]) for u in units]
