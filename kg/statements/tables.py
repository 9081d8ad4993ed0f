"""Read statement tables off a document's text: title, scale, column periods and rows of figures.

Works on the three ways a table reaches kgqa as text, without knowing the filer:

* a PDF text layer, one cell per line or several per line (``Net sales`` / ``$`` /
  ``34,229 $`` / ``35,355``), labels sometimes without spaces (``Totalcurrentassets``);
* HTML, where the loader writes each row on one line with `` | `` between cells;
* markdown pipe tables (``| Revenue | $4.1B | $4.5B |``).

A row is a label followed by as many figures as the header has period columns (extra
"change" columns are dropped); a row with fewer figures is skipped, because which column is
empty cannot be known. Offsets are into ``text`` (the normalised document text).

>>> text = "Acme Corp\\nConsolidated Statements of Operations\\n(In millions)\\nYear Ended December 31,\\n2023\\n2022\\nNet sales\\n$ 1,250\\n$ 1,100\\nNet loss\\n(40)\\n12\\n"
>>> t = read_tables(text)[0]
>>> t.statement, t.scale, [p.label for p in t.periods]
('income', 1000000.0, ['FY2023', 'FY2022'])
>>> [(r.label, [v.text for v in r.values]) for r in t.rows]
[('Net sales', ['$ 1,250', '$ 1,100']), ('Net loss', ['(40)', '12'])]
>>> t.rows[1].values[0].value
-40.0
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.statements.items import clean_label, statement_kind
from kg.statements.periods import Period, is_header_cell, read_header

_SCALE_WORD = re.compile(r"(thousands|millions|billions|thousand|million|billion)", re.I)
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
# one figure as printed: "(1,577)", "$ 5,363", "-12.5", "25 %", "$4.1B", "—"; never "3M" (a name)
FIGTOK = (
    r"~?\(?\s*[-−–]?\s*(?:(?:US)?\$\s*\d[\d,]*(?:\.\d+)?(?:\s?(?:[BMK]|bn|mn|billion|million|thousand))?(?![a-zA-Z])"
    r"|\d[\d,]*(?:\.\d+)?(?![\w]))\s*\)?\s*%?"
)
_FIG = re.compile(
    r"~?(?P<open>\()?\s*(?P<minus>[-−–])?\s*(?:US)?\$?\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>[BMK]|bn|mn|billion|million|thousand))?\s*(?P<close>\))?\s*(?P<pct>%)?"
)
_INLINE = {"b": 1e9, "bn": 1e9, "billion": 1e9, "m": 1e6, "mn": 1e6, "million": 1e6, "k": 1e3, "thousand": 1e3}
_NIL = re.compile(r"^(?:[—–-]+|#|n/?m|n/?a|nm)$", re.I)
_TOKEN = re.compile(rf"{FIGTOK}|[—–]+|#|(?<!\S)-(?!\S)|\)")
_TAIL = re.compile(rf"(?:(?:^|\s)(?:{FIGTOK}|[—–]+|\$|\)|#|-(?=\s|$)))+\s*$")
_YEARISH = re.compile(r"^(?:19[89]\d|20[0-4]\d)$")
_LABEL_LETTERS = re.compile(r"[A-Za-z].*[A-Za-z]")


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure cell: its text range, the number as printed (sign from parentheses) and flags."""

    start: int
    end: int
    text: str
    value: float | None  # None: a dash or "n/m" (nothing reported)
    percent: bool = False
    scale: float = 1.0  # an inline scale suffix ("$4.1B")


@dataclass
class Row:
    """A label and its figures, one per period column."""

    label: str
    start: int
    end: int
    values: list[Figure]
    section: str = ""


@dataclass
class Table:
    """One statement table: where it starts, its kind, scale, column periods and rows."""

    start: int
    title: str
    statement: str | None
    scale: float
    scale_text: str
    periods: list[Period]
    period_spans: list[tuple[int, int]]
    header_start: int
    rows: list[Row] = field(default_factory=list)
    extra_columns: int = 0


@dataclass(frozen=True, slots=True)
class _Cell:
    start: int
    end: int
    text: str


def _cells(text: str) -> list[_Cell]:
    """Non-empty cells in text order: each line, split on ``|`` (HTML and markdown rows)."""
    out: list[_Cell] = []
    pos = 0
    for line in text.split("\n"):
        parts = line.split("|") if "|" in line else [line]
        p = pos
        for part in parts:
            s = part.strip()
            if s and not re.fullmatch(r":?-{2,}:?", s):
                a = p + part.index(s)
                out.append(_Cell(a, a + len(s), s))
            p += len(part) + 1
        pos += len(line) + 1
    return out


def _figures(offset: int, tail: str, out: list[Figure]) -> list[Figure]:
    """Figures in the numeric tail of a cell (``tail`` starts at ``offset`` in the text), appended to ``out``
    (a lone ")" closes the figure before it: HTML filings put it in a cell of its own)."""
    for tok in _TOKEN.finditer(tail):
        t = tok.group(0).strip()
        a = offset + tok.start() + tok.group(0).index(t)
        if t == ")":  # "(1,577" | ")" in HTML: the closing parenthesis of the figure before
            if out and out[-1].value is not None and "(" in out[-1].text and ")" not in out[-1].text:
                last = out[-1]
                out[-1] = Figure(last.start, a + 1, last.text + ")", last.value, last.percent, last.scale)
            continue
        if _NIL.match(t):
            out.append(Figure(a, a + len(t), t, None))
            continue
        m = _FIG.fullmatch(t)
        if m is None:
            continue
        v = float(m.group("num").replace(",", ""))
        if m.group("open") or m.group("minus"):
            v = -v
        sc = _INLINE.get((m.group("scale") or "").strip().lower(), 1.0)
        out.append(Figure(a, a + len(t), t, v, bool(m.group("pct")), sc))
    return out


def scale_of(text: str) -> tuple[float, str] | None:
    """``(1e6, "millions")`` for a cell such as ``(Dollars in millions, except per share amount)``.

    >>> scale_of("(Millions)"), scale_of("$ in millions, except per share amounts"), scale_of("(Inthousands,exceptsharedata)")
    ((1000000.0, 'millions'), (1000000.0, 'millions'), (1000.0, 'thousands'))
    >>> scale_of("Revenue grew by millions of dollars") is None
    True
    """
    t = text.strip()
    if len(t) > 110:
        return None
    m = _SCALE_WORD.search(t)
    if m is None:
        return None
    before = t[: m.start()].lower()
    if not (t.startswith(("(", "$")) or re.search(r"(?:\bin|\$|\(|usd|dollars)\s*$", before) or "($" in before):
        return None
    word = m.group(1).lower()
    return _SCALES[word.rstrip("s")], word


class _Reader:
    """Walks the cells of a document, opening a table at each period header."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tables: list[Table] = []
        self.table: Table | None = None
        self.head: list[_Cell] = []  # header cells since the last row of figures
        self.titles: list[_Cell] = []  # label cells with no figures since the last table opened
        self.section = ""
        self.label: _Cell | None = None  # the label waiting for its figures
        self.figs: list[Figure] = []
        self.scale: tuple[float, str, int] | None = None
        self.statement: tuple[str, int] | None = None

    def run(self) -> list[Table]:
        for cell in _cells(self.text):
            self.cell(cell)
        self.flush()
        return [t for t in self.tables if t.rows]

    def cell(self, cell: _Cell) -> None:
        t = cell.text
        sc = scale_of(t)
        if sc is not None:
            self.flush()
            kind = statement_kind(re.sub(r"\(.*?\)|#+", " ", t))
            if kind is not None:  # "## Consolidated statement of income (in millions)"
                self.statement = (kind, cell.start)
            self.scale = (sc[0], sc[1], cell.start)
            rest = re.sub(r"\(.*?\)", "", t)
            if rest.strip() and is_header_cell(rest):  # "Year Ended December 31 (Millions, ...)"
                self.head.append(cell)
            return
        if is_header_cell(t):
            self.flush()
            self.end_label()
            self.head.append(cell)
            return
        m = _TAIL.search(t)
        if m and re.search(r"\b(?:of|and|at|to|from|for|by|in|with|or|between)$", t[: m.start()].rstrip(), re.I):
            m = None  # "net of allowances of $160 and $174": the figures belong to the label
        label_part = t[: m.start()].rstrip() if m else t
        if _LABEL_LETTERS.search(label_part):
            self.flush()
            kind = statement_kind(label_part)
            if kind is not None:
                self.statement = (kind, cell.start)
            wrapped = (self.label is not None and label_part[:1].islower() and not self.figs
                       and self.label.end >= cell.start - 4)
            if wrapped and self.label is not None:
                self.label = _Cell(self.label.start, cell.start + len(label_part), f"{self.label.text} {label_part}")
            else:
                self.end_label()
                self.label = _Cell(cell.start, cell.start + len(label_part), label_part)
            if m:
                _figures(cell.start + m.start(), t[m.start():], self.figs)
            return
        _figures(cell.start, t, self.figs)

    def end_label(self) -> None:
        """A label that got no figures is a title or a section heading ("Current assets")."""
        if self.label is not None and not self.figs:
            self.titles.append(self.label)
            self.section = self.label.text
            self.label = None

    def flush(self) -> None:
        """End the pending row: open a table on a new header, then file the row under it."""
        if self.label is None or not self.figs:
            return
        years = all(f.value is not None and _YEARISH.match(f.text) for f in self.figs)
        if years and is_header_cell(f"{self.label.text} 2000"):
            # "Year Ended December 31, 2019 2018": a header written as a label followed by years
            self.head += [self.label] + [_Cell(f.start, f.end, f.text) for f in self.figs]
            self.label, self.figs = None, []
            return
        if self.head:
            self.open_table()
        if self.table is not None:
            self.add_row()
        self.label, self.figs = None, []

    def open_table(self) -> None:
        cells = [c.text for c in self.head]
        start = self.head[0].start
        kind = self.statement[0] if self.statement and self.statement[1] >= start - 600 else None
        periods = read_header(cells, instant=kind == "balance_sheet")
        if periods:
            titles = [c for c in self.titles[-5:] if c.start >= start - 600]
            if self.statement and start - 600 <= self.statement[1] < start:
                titles = [c for c in titles if c.start >= self.statement[1]] or titles
            first = min([c.start for c in titles] + [start])
            scale, word = (self.scale[0], self.scale[1]) if self.scale and self.scale[2] >= first - 300 else (1.0, "")
            extra = len(re.findall(r"vs\.?|versus|change", " ".join(cells), re.I))
            self.table = Table(first, " / ".join(c.text for c in titles), kind, scale, word, periods,
                               _period_spans(self.head, len(periods)), start, extra_columns=extra)
            self.tables.append(self.table)
            last = self.titles[-1] if self.titles else None
            self.section = last.text if last is not None and last.start > self.head[-1].start else ""
        self.head = []
        self.titles = []

    def add_row(self) -> None:
        assert self.table is not None and self.label is not None
        n = len(self.table.periods)
        figs = self.figs
        if len(figs) > n and (self.table.extra_columns or (all(f.percent for f in figs[n:]) and not any(f.percent for f in figs[:n]))):
            figs = figs[:n]  # change columns ("2022 vs. 2021", "% change") after the periods
        total: list[Figure] = []
        if len(figs) == 2 * n and self.section:  # the section's total follows its last row without a label
            figs, total = figs[:n], figs[n:]
        if len(figs) != n or (all(f.value is None for f in figs) and self.table.statement is None):
            return  # a row of dashes counts (zeros) only in a financial statement
        self.table.rows.append(Row(clean_label(self.label.text), self.label.start, self.label.end, figs, self.section))
        if total:
            name = f"Total {clean_label(self.section).lower()}"
            self.table.rows.append(Row(name, total[0].start, total[0].start, total, self.section))


def _period_spans(head: list[_Cell], n: int) -> list[tuple[int, int]]:
    """The text range of each column's own header cell (its year or date), for citing it."""
    cells = [c for c in head if re.search(r"\b(?:19[89]\d|20[0-4]\d)\b", c.text) and not re.search(r"\band\b", c.text)]
    spans = [(c.start, c.end) for c in cells]
    if len(spans) == n:
        return spans
    return [(head[0].start, head[-1].end)] * n


def read_tables(text: str) -> list[Table]:
    """Every statement-like table of ``text`` (see module docstring)."""
    return _Reader(text).run()
