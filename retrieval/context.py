"""Contextual retrieval: the short head that a chunk's embedded and BM25-indexed text carries.

A 700-character chunk of a filing is often a run of figures ("Net loss (5,053) (4,290)") whose
meaning lives elsewhere: in the document's name (company, year, form), on the cover (the
registrant, the period covered), at the top of its page (the statement's title, "(Dollars in
millions)", the period columns) or in the header rows of the table it continues. The head puts
those lines before the chunk's units, so the encoder and BM25 see them; the units and their raw
spans are untouched, so citations stay exact (only the text fed to the encoder and BM25 changes).

What a chunk carries, one line each, empty parts left out - its *context*, shared by many chunks:

1. the document label: its file name (``ADOBE_2022_10K.pdf`` -> ``ADOBE 2022 10K``), its title,
   and the registrant and period its cover states (cues in ``retrieval/data/context_cues.txt``);
2. the page head: the heading-like lines that open the chunk's page (a document without pages is
   one page), minus page furniture ("Table of Contents", "Page 3 of 15", running headers) - only
   when the chunk does not itself start with them;

and its own *head*:

3. the section path (its last levels);
4. for a chunk that starts inside a table, the table's header rows above it (period columns,
   the units line, the table's caption).

>>> import tempfile, pathlib
>>> from retrieval.documents import load_file
>>> from retrieval.chunking import chunk_document
>>> p = pathlib.Path(tempfile.mkdtemp()) / "ACME_2023_10K.txt"
>>> _ = p.write_text("Acme Corp\\nConsolidated Statements of Operations\\n(In millions)\\n"
...                  "Years ended December 31, 2023 2022\\nRevenue $ 5,100 $ 4,800\\n", encoding="utf-8")
>>> doc = load_file(p)
>>> units, chunks = chunk_document(doc, 0, 0, chunk_chars=60)
>>> heads = chunk_heads(doc, units, chunks)
>>> context, head = heads[-1]
>>> context.splitlines()[0]
'Acme Corp · ACME 2023 10K'
>>> "Years ended December 31, 2023 2022" in context
True
"""

from __future__ import annotations

import bisect
import re
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

from core.types import Chunk, Document, Unit
from retrieval.layout import SECTION_SEP, figure_row

DATA = Path(__file__).resolve().parent / "data"
SEP = " · "
MAX_LABEL, MAX_PAGE_HEAD, MAX_SECTION, MAX_TABLE_HEAD = 160, 200, 120, 160
HEAD_LINES = 12  # lines of a page read for its head
COVER_CHARS = 8000  # where a cover's registrant and period are looked for


@cache
def cues() -> dict[str, tuple[re.Pattern[str], ...]]:
    """The context cues by kind (``furniture``, ``registrant``, ``period``, ``units``)."""
    out: dict[str, list[re.Pattern[str]]] = {}
    for line in (DATA / "context_cues.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        kind, _, rx = line.partition(":")
        out.setdefault(kind.strip(), []).append(re.compile(rx.strip(), re.I))
    return {k: tuple(v) for k, v in out.items()}


def _any(kind: str, text: str) -> re.Match[str] | None:
    return next((m for rx in cues().get(kind, ()) if (m := rx.search(text))), None)


def _clean(line: str) -> str:
    return " ".join(line.split())


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _cap(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def file_label(doc_id: str) -> str:
    """A document's file name as words: extension dropped, URL quoting and separators undone.

    >>> file_label("ADOBE_2022_10K.pdf"), file_label("3M_2018_10K%23p59.txt"), file_label("notes/q3-call.md")
    ('ADOBE 2022 10K', '3M 2018 10K p59', 'notes q3 call')
    """
    p = PurePosixPath(urllib.parse.unquote(doc_id))
    words = re.sub(r"[\W_]+", " ", str(p.with_suffix("")) if p.suffix else str(p))
    return " ".join(words.split())


def doc_label(doc: Document) -> str:
    """Title, file name, and the registrant and period of a report's cover; a part adding no word is left out."""
    cover = doc.raw[:COVER_CHARS]
    parts = [_clean(doc.title), file_label(doc.id)]
    lines = [_clean(x) for x in cover.splitlines()]
    for i, line in enumerate(lines):
        if _any("registrant", line):
            name = next((x for x in reversed(lines[max(0, i - 3) : i]) if x and not _any("furniture", x)), "")
            parts.append(name)
            break
    period = _any("period", " ".join(lines))
    if period:
        parts.append(period.group(0))
    out: list[str] = []
    seen: set[str] = set()
    for part in parts:
        words = _words(part)
        if words - seen and not _any("furniture", part):
            out.append(part)
            seen |= words
    return _cap(SEP.join(out), MAX_LABEL)


@dataclass(frozen=True, slots=True)
class PageHead:
    """The heading-like lines opening a page, and the raw offsets where they start and end."""

    text: str
    start: int
    end: int


def page_heads(doc: Document) -> list[PageHead]:
    """The head of every page of ``doc`` (one page for a document without page breaks)."""
    starts = list(doc.page_starts) or [0]
    bounds = [*starts[1:], len(doc.raw)]
    pages = [doc.raw[a:b] for a, b in zip(starts, bounds, strict=True)]
    running = _running_lines(pages)
    return [_page_head(page, start, running) for page, start in zip(pages, starts, strict=True)]


def _running_lines(pages: list[str]) -> set[str]:
    """Lines that open many pages (running headers): furniture, not a page's own head."""
    if len(pages) < 4:
        return set()
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_clean(x) for x in page.splitlines()[:4] if x.strip()})
    return {line for line, n in seen.items() if n >= max(3, len(pages) // 4)}


def _page_head(page: str, start: int, running: set[str]) -> PageHead:
    out: list[str] = []
    first = end = pos = start
    raw_lines = page.splitlines(keepends=True)[:HEAD_LINES]
    for n, raw_line in enumerate(raw_lines):
        line = _clean(raw_line)
        pos += len(raw_line)
        if not line or line in running or _any("furniture", line):
            first = end = pos
            if not out:
                continue
            break
        if (figure_row(line) and not _column_header(line)) or not (_heading_like(line) or _column_header(line)):
            break
        nxt = next((_clean(x) for x in raw_lines[n + 1 :] if x.strip()), "")
        if nxt and not (_heading_like(nxt) or figure_row(nxt)):
            break  # a heading over prose opens a section: the layout parser's section path says it
        out.append(line)
        end = pos
        if _column_header(line):  # the period columns close the head
            break
    return PageHead(_cap(SEP.join(out), MAX_PAGE_HEAD), first, end)


def _heading_like(line: str) -> bool:
    """Short, not a sentence, not a continued one: a title, a caption, a units or period line."""
    if len(line) > 100 or len(line.split()) > 14 or line[:1].islower():
        return False
    return not re.search(r"[.;,]$", line) or bool(_any("units", line))


def _column_header(line: str) -> bool:
    """A row of period columns ("Years ended December 31, 2022 2021 2020"): its figures are years or days.

    >>> _column_header("Years ended December 31, 2022 2021 2020"), _column_header("Net loss (5,053) (4,290)")
    (True, False)
    """
    nums = re.findall(r"\d[\d,.]*", line)
    years = [n for n in nums if re.fullmatch(r"(19|20)\d\d", n)]
    return bool(years) and all(re.fullmatch(r"(19|20)\d\d|[0-3]?\d,?", n) for n in nums)


def chunk_heads(doc: Document, units: list[Unit], chunks: list[Chunk]) -> list[tuple[str, str]]:
    """``(context, head)`` of each of ``doc``'s ``chunks`` (``units`` numbered as the chunks' ids say).

    The context (label, page head) is shared by many chunks; the head (section, table header)
    is the chunk's own.
    """
    label = doc_label(doc)
    known = _words(label)
    heads = [PageHead(SEP.join(x for x in h.text.split(SEP) if _words(x) - known), h.start, h.end)
             for h in page_heads(doc)]  # what the label says already is not repeated
    starts = list(doc.page_starts) or [0]
    base = units[0].id if units else 0
    out = []
    for c in chunks:
        page = max(0, bisect.bisect_right(starts, c.start) - 1)
        ph = heads[page] if page < len(heads) else PageHead("", 0, 0)
        context = [label]
        if ph.text and c.start > ph.start:  # a chunk opening the page holds its head already
            context.append(ph.text)
        section = [x for x in c.section.split(SECTION_SEP) if x and not _any("furniture", x)]
        sec = SECTION_SEP.join(dict.fromkeys(section[-2:]))
        head = [_cap(sec, MAX_SECTION) if sec and _key(sec) not in _key(ph.text) else "",
                table_head(units, c.units[0] - base, starts[page], ph)]
        out.append(("\n".join(x for x in context if x), "\n".join(x for x in head if x)))
    return out


def table_head(units: list[Unit], k: int, page_start: int, ph: PageHead) -> str:
    """For a chunk starting at ``units[k]`` inside a table: the table's header rows above it on its page."""
    if units[k].kind != "table_row" or k == 0 or units[k - 1].kind != "table_row":
        return ""
    found: list[str] = []
    for j in range(k - 1, max(-1, k - 40), -1):
        u = units[j]
        if u.start < max(page_start, ph.end) or u.doc != units[k].doc:
            break
        if u.kind == "table_row" and not _column_header(u.text):
            continue
        if len(u.text) > 200:
            break
        if _column_header(u.text) or _any("units", u.text) or u.kind != "table_row":
            found.append(u.text)
        if len(found) >= 3 or (u.kind != "table_row" and not _any("units", u.text)):
            break  # the caption above the table ends the header
    return _cap(SEP.join(reversed(found)), MAX_TABLE_HEAD)
