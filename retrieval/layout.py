"""Turn a document's normalised text into citable units with a section path.

Recognises, without knowing the corpus: markdown and plain-text headings, markdown pipe
tables, tables whose cells were run together when a web page was copied as text
("TrendDescriptionImpact on Acme"), bullet and numbered list items, paragraphs split into
sentences, and a trailing block of web boilerplate (calls to action), which is dropped.

Every unit keeps its ``[start, end)`` range in the normalised text; the chunker maps it to
the raw file.

>>> units = parse_units("Acme Report\\nRevenue\\nSales rose 5% to $2 million. Costs then fell sharply.\\n")
>>> [(u.kind, u.section, u.text) for u in units]
[('heading', '', 'Acme Report'), ('heading', 'Revenue', 'Revenue'), ('sentence', 'Revenue', 'Sales rose 5% to $2 million.'), ('sentence', 'Revenue', 'Costs then fell sharply.')]
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.types import UnitKind

DATA = Path(__file__).resolve().parent / "data"
SECTION_SEP = " > "


@dataclass(frozen=True, slots=True)
class RawUnit:
    """A unit before chunking: offsets into the normalised text, and its match text."""

    start: int
    end: int
    text: str
    kind: UnitKind
    section: str


@cache
def _lines_of(name: str) -> tuple[str, ...]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return tuple(x.strip() for x in lines if x.strip() and not x.lstrip().startswith("#"))


@cache
def _cue_re() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{c})" for c in _lines_of("boilerplate_cues.txt")), re.I)


@cache
def abbreviations() -> frozenset[str]:
    return frozenset(_lines_of("abbreviations.txt"))


# --- lines --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    start: int  # offset of the first non-space char in the text
    end: int  # offset after the last non-space char
    text: str  # stripped line


def _split_lines(text: str) -> list[_Line]:
    out = []
    pos = 0
    for piece in text.split("\n"):
        stripped = piece.strip()
        lead = len(piece) - len(piece.lstrip())
        out.append(_Line(pos + lead, pos + lead + len(stripped), stripped))
        pos += len(piece) + 1
    return out


def boilerplate_start(lines: list[_Line]) -> int:
    """Index of the first line of a trailing boilerplate block (``len(lines)`` if none).

    The block is the run of short lines at the end of the document, starting at its first
    line that matches a call-to-action cue, when at least two of its lines match a cue.
    """
    i = len(lines)
    short_from = i
    while i > 0:
        ln = lines[i - 1]
        if ln.text and (len(ln.text) > 120 or len(ln.text.split()) > 22):
            break
        i -= 1
        if ln.text:
            short_from = i
    block = [k for k in range(short_from, len(lines)) if lines[k].text]
    cues = [k for k in block if _cue_re().search(lines[k].text)]
    if len(cues) >= 2 or (cues and len(block) >= 3 and len(cues) * 3 >= len(block)):
        return cues[0]
    return len(lines)


# --- headings -----------------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)[.)]?\s+\S")
_LIST_ITEM = re.compile(r"^(?:[*\-+](?=\s)|\(?[a-z0-9]{1,3}[.)](?=\s))\s*")
_END_PUNCT = re.compile(r"[.,;:!?]$")


_NUMERIC = re.compile(r"^[\s$€£¥%()\[\]\-–—.,:;/*+0-9]*$")


def _numeric_line(t: str) -> bool:
    """A line of figures only ("$", "5,363", "(370)", "2018"): a table cell in a PDF's text layer."""
    return bool(t) and bool(_NUMERIC.match(t))


# two or more figure cells ending a line ("Net loss (5,053) (4,290) (11,941)", "Revenue $ 6,504 — 7.1 %")
_FIGURE = r"(?:[$€£¥]\s?)?\(?[$€£¥]?-?\d[\d,]*(?:\.\d+)?\)?%?"
_TRAILING_FIGURES = re.compile(rf"(?:\s+(?:{_FIGURE}|[—–-]|[$€£¥]|%)){{2,}}\s*$")


def figure_row(t: str) -> bool:
    """A label followed by two or more figure cells: a statement-table row of a PDF's text layer.

    >>> figure_row("Net loss attributable to Boeing Shareholders ($4,935) ($4,202) ($11,873)")
    True
    >>> figure_row("Years ended December 31, 2022 2021 2020"), figure_row("Revenue grew 5% in 2024.")
    (True, False)
    """
    m = None if _END_PUNCT.search(t) else _TRAILING_FIGURES.search(t)
    return m is not None and any(ch.isalpha() for ch in t[: m.start()])


def _body_follows(lines: list[_Line], i: int, stop: int) -> bool:
    """Real text (a long line or a sentence) within the next two non-empty lines."""
    seen = 0
    for k in range(i + 1, stop):
        t = lines[k].text
        if not t:
            continue
        if len(t) >= 60 or (_END_PUNCT.search(t) and len(t.split()) >= 6) or _LIST_ITEM.match(t):
            return True
        seen += 1
        if seen >= 2 or _numeric_line(t):
            return False
    return False


def _is_plain_heading(line: _Line, next_text: str | None) -> bool:
    t = line.text
    if not t or next_text is None or len(t) > 90 or len(t.split()) > 12 or _numeric_line(t):
        return False
    if sum(ch.isdigit() for ch in t) > len(t) // 3:  # "Net sales 32,765 31,657" is a row
        return False
    if _END_PUNCT.search(t) or t.startswith(("*", "-", "|")):
        return False
    if not (t[0].isupper() or t[0].isdigit() or t[0] in "\"'"):
        return False
    # a heading is followed by text, not by the end of the document
    return bool(next_text)


def _numbered_heading(lines: list[_Line], i: int, stop: int) -> bool:
    """A numbered line stands alone (blank line after it) rather than inside a list."""
    if not _NUMBERED.match(lines[i].text):
        return False
    after = lines[i + 1].text if i + 1 < stop else ""
    return not after or not _LIST_ITEM.match(after)


# --- tables ---------------------------------------------------------------------------

_PIPE_ROW = re.compile(r"^\|.*\|$")
_PIPE_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_CAMEL = re.compile(r"(?<=[a-z)])(?=[A-Z])")
# a run-together header is column names only: a speaker label ("LiHua: ..."), an exclamation, a question
# or a sentence break inside it makes the line a message or prose whose names happen to be camel-case
_NOT_HEADER = re.compile(r"[:;!?]|\.\s")


def _pipe_cells(line: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each stripped cell of a markdown row, relative to the line."""
    cells = []
    bars = [m.start() for m in re.finditer(r"(?<!\\)\|", line)]
    for a, b in itertools.pairwise(bars):
        seg = line[a + 1 : b]
        lead = len(seg) - len(seg.lstrip())
        cells.append((a + 1 + lead, a + 1 + lead + len(seg.strip())))
    return cells


def _glued_header(t: str) -> list[str] | None:
    """Split a run-together table header like ``MetricValueBenchmark``; ``None`` if it is not one.

    >>> _glued_header("AI Use CaseTechnical StackBusiness Value")
    ['AI Use Case', 'Technical Stack', 'Business Value']
    >>> _glued_header("LiHua: You too! Have a great day! \N{SMILING FACE WITH SMILING EYES}") is None
    True
    """
    if not t or len(t) > 80 or _END_PUNCT.search(t) or len(t.split()) > 8 or _NOT_HEADER.search(t):
        return None
    if any(unicodedata.category(c) == "So" for c in t):  # emoji and pictographs: a message, not a header
        return None
    parts = [p for p in _CAMEL.split(t) if p]
    if len(parts) < 2 or any(len(p.strip()) < 2 for p in parts):
        return None
    return [p.strip() for p in parts]


def _row_boundaries(t: str) -> list[tuple[float, int]]:
    """Candidate cell boundaries in a run-together table row, with a plausibility score."""
    out: list[tuple[float, int]] = []
    for i in range(1, len(t)):
        a, b = t[i - 1], t[i]
        if a in ".!?)" and b.isupper():
            out.append((3.0, i))
        elif a.islower() and b.isupper():
            run = re.match(r"[A-Z][a-z]*", t[i:])
            out.append((1.0 + (len(run.group(0)) if run else 0) / 10, i))
        elif ((a.islower() or a == ")") and (b.isdigit() or b in "$<>~")) or (a == "%" and b.isdigit()):
            out.append((2.0, i))
    return out


def split_glued_row(t: str, n_cells: int) -> list[tuple[int, int]]:
    """Split a run-together row into at most ``n_cells`` ``(start, end)`` ranges.

    >>> row = "CI/CD Pipelines & GitOpsContinuous integration as code.Acme's GitHub repos run tests."
    >>> [row[a:b] for a, b in split_glued_row(row, 3)]
    ['CI/CD Pipelines & GitOps', 'Continuous integration as code.', "Acme's GitHub repos run tests."]
    """
    cands = sorted(_row_boundaries(t), key=lambda x: (-x[0], x[1]))[: max(0, n_cells - 1)]
    cuts = sorted(i for _, i in cands)
    bounds = [0, *cuts, len(t)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _row_text(header: list[str], cells: list[str]) -> str:
    parts = []
    for k, cell in enumerate(cells):
        h = header[k] if k < len(header) else ""
        parts.append(f"{h}: {cell}" if h and cell else cell)
    return "; ".join(p for p in parts if p)


# --- sentences ------------------------------------------------------------------------

_SENT_END = re.compile(r"[.!?]+[\"')\]]*(?=\s+[\"'(\[]?[A-Z0-9$*])")


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence ranges in ``text`` (shifted by ``offset``), aware of abbreviations and decimals.

    >>> t = "Revenue was approx. $4.46 billion. Margins rose to 15% vs. 12% in 2023. Ok."
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['Revenue was approx. $4.46 billion.', 'Margins rose to 15% vs. 12% in 2023. Ok.']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        end = m.end()
        word = re.search(r"(\S+?)[.!?]+[\"')\]]*$", text[start:end])
        token = word.group(1).lower().lstrip("(\"'") if word else ""
        if text[m.start()] == "." and (token in abbreviations() or re.fullmatch(r"[a-z]", token)):
            continue
        spans.append((start, end))
        start = end
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text.rstrip())))
    # a fragment of one to three words ("Ok.", "Developer mindshare.") joins the next sentence
    merged: list[tuple[int, int]] = []
    carry: int | None = None
    for a, b in spans:
        if carry is not None:
            a, carry = carry, None
        short = len(text[a:b].split()) <= 3
        if short and (a, b) != spans[-1]:
            carry = a
            continue
        if short and merged:  # a trailing fragment joins the sentence before it
            merged[-1] = (merged[-1][0], b)
            continue
        merged.append((a, b))
    if carry is not None:
        if merged:
            merged[-1] = (merged[-1][0], spans[-1][1])
        else:
            merged.append((carry, spans[-1][1]))
    return [(a + offset, b + offset) for a, b in merged]


# --- the parser -------------------------------------------------------------------------


class _Sections:
    """A heading stack; plain-text headings get levels from simple layout cues."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, str, bool]] = []  # (level, title, numbered)
        self.last_was_heading = False

    def push(self, title: str, level: int | None, numbered: bool) -> None:
        if level is None:
            level = self._plain_level(title, numbered)
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, title, numbered))
        self.last_was_heading = True

    def _plain_level(self, title: str, numbered: bool) -> int:
        if not self.stack:
            return 1
        top_level, top_title, _ = self.stack[-1]
        if self.last_was_heading:  # a heading right under a heading is its child
            return top_level + 1
        if len(self.stack) >= 2 and top_title[:1].isdigit() == title[:1].isdigit() and not numbered:
            return top_level  # same shape as the current child: a sibling
        if numbered:
            return 1
        if any(n for _, _, n in self.stack):  # unnumbered headings live under numbered ones
            return max(lvl for lvl, _, n in self.stack if n) + 1
        return 1

    @property
    def path(self) -> str:
        return SECTION_SEP.join(t for _, t, _ in self.stack)


def _is_paragraph(text: str) -> bool:
    """A long line of several sentences is prose, never a title.

    >>> _is_paragraph("Acme Robotics: annual review 2024"), _is_paragraph("Revenue rose. " * 20)
    (False, True)
    """
    return len(text) > 200 and bool(re.search(r"[.!?]\s+[A-Z]", text))


def parse_units(text: str) -> list[RawUnit]:
    """Split normalised document text into units (see module docstring)."""
    lines = _split_lines(text)
    stop = boilerplate_start(lines)
    units: list[RawUnit] = []
    sections = _Sections()
    title_done = False
    i = 0
    while i < stop:
        ln = lines[i]
        if not ln.text:
            i += 1
            continue
        nxt = next((lines[k].text for k in range(i + 1, stop) if lines[k].text), None)
        md = _MD_HEADING.match(ln.text)
        if not title_done and not md and (nxt is None or _is_paragraph(ln.text)):
            title_done = True  # a one-line document, or one opening with prose: text, not a title
        if not title_done:
            # the first line names the document; it is a unit but not a section
            title_done = True
            heading = md.group(2).strip() if md else ln.text
            units.append(RawUnit(ln.start, ln.end, heading, "heading", ""))
            i += 1
            continue
        if md:
            sections.push(md.group(2).strip(), len(md.group(1)), False)
            units.append(RawUnit(ln.start, ln.end, md.group(2).strip(), "heading", sections.path))
            i += 1
            continue
        if _PIPE_ROW.match(ln.text):
            i = _pipe_table(lines, i, stop, sections.path, units)
            sections.last_was_heading = False
            continue
        header = _glued_header(ln.text)
        if header and nxt is not None and _row_boundaries(nxt) and len(nxt) > len(ln.text):
            i = _glued_table(lines, i, stop, header, sections.path, units)
            sections.last_was_heading = False
            continue
        if _numeric_line(ln.text) and units and units[-1].section == sections.path and units[-1].kind != "heading":
            # figures on their own lines belong to the label line above (PDF statement tables)
            last = units[-1]
            units[-1] = RawUnit(last.start, ln.end, f"{last.text} {ln.text}", "table_row", last.section)
            i += 1
            continue
        if figure_row(ln.text) and not _LIST_ITEM.match(ln.text):
            # a statement row: one unit, never a heading (a heading would cut the table into sections)
            units.append(RawUnit(ln.start, ln.end, " ".join(ln.text.split()), "table_row", sections.path))
            sections.last_was_heading = False
            i += 1
            continue
        if (
            _is_plain_heading(ln, nxt)
            and (not _LIST_ITEM.match(ln.text) or _numbered_heading(lines, i, stop))
            and _body_follows(lines, i, stop)
        ):
            sections.push(ln.text, None, bool(_NUMBERED.match(ln.text)))
            units.append(RawUnit(ln.start, ln.end, ln.text, "heading", sections.path))
            i += 1
            continue
        sections.last_was_heading = False
        item = _LIST_ITEM.match(ln.text)
        body_start = ln.start + (item.end() if item else 0)
        body_end = ln.end
        # a line wrapped mid-sentence (PDF text layers) continues on a line that starts in lower case
        while (
            i + 1 < stop and not _END_PUNCT.search(lines[i].text)
            and lines[i + 1].text[:1].islower() and not _numeric_line(lines[i + 1].text)
        ):
            i += 1
            body_end = lines[i].end
        body = text[body_start:body_end]
        for k, (a, b) in enumerate(split_sentences(body, body_start)):
            kind: UnitKind = "list_item" if item and k == 0 else "sentence"
            units.append(RawUnit(a, b, " ".join(text[a:b].split()), kind, sections.path))
        i += 1
    return units


def _pipe_table(lines: list[_Line], i: int, stop: int, section: str, units: list[RawUnit]) -> int:
    header: list[str] = []
    while i < stop and _PIPE_ROW.match(lines[i].text):
        ln = lines[i]
        i += 1
        if _PIPE_SEP.match(ln.text):
            continue
        cells = [ln.text[a:b] for a, b in _pipe_cells(ln.text)]
        if not header:
            header = cells
            units.append(RawUnit(ln.start, ln.end, " | ".join(cells), "heading", section))
            continue
        units.append(RawUnit(ln.start, ln.end, _row_text(header, cells), "table_row", section))
    return i


def _glued_table(
    lines: list[_Line], i: int, stop: int, header: list[str], section: str, units: list[RawUnit]
) -> int:
    hl = lines[i]
    units.append(RawUnit(hl.start, hl.end, " | ".join(header), "heading", section))
    i += 1
    while i < stop and lines[i].text and _row_boundaries(lines[i].text):
        ln = lines[i]
        cells = [ln.text[a:b].strip() for a, b in split_glued_row(ln.text, len(header))]
        units.append(RawUnit(ln.start, ln.end, _row_text(header, cells), "table_row", section))
        i += 1
    return i
