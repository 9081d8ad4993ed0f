"""Text helpers shared by the offline answer builders: clauses, quoting, table cells, unit runs.

>>> join_names(["A", "B", "C"])
'A, B and C'
>>> sorted(capitalised("Who owns Nimbus AI and the LLM-based router?"))
['ai', 'llm', 'nimbus']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from core.types import Unit
from core.values import Value
from retrieval.lexical import tokenize

# Clauses: split at ; : , and before "and"/"while"/"with" so "30% less wait time and 12% more output" splits.
CLAUSE = re.compile(r"[^;:,]+?(?=\s+(?:and|while|with|whereas|but|vs\.?)\s|[;:,]|$)|[^;:,]+")
# A document's own "[1]"-style reference marks, which must not read as our citations.
FAKE_MARKER = re.compile(r"\[(\d{1,3})\]")
# A short label that opens a paragraph or list item ("Developer mindshare. ...", "Funding Constraints: ...").
LEAD_IN = re.compile(r"^([A-Z][^.:;]{2,60}?)[.:]\s+\S")


def quote(u: Unit) -> str:
    """A unit as quoted in an answer; its own "[1]"-style markers become "(1)" so they are not citations.

    >>> quote(Unit(0, "doc", 0, 0, 16, "Revenue rose [3]", "table_row", ""))
    'Revenue rose (3).'
    """
    t = FAKE_MARKER.sub(r"(\1)", u.text.strip())
    if u.kind == "table_row":
        return t + "."
    return t


def cells(u: Unit) -> str:
    """A unit's text without table headers ("Header: cell; ..." -> "cell; ...")."""
    if u.kind != "table_row":
        return u.text
    return "; ".join(part.split(": ", 1)[-1] for part in u.text.split("; "))


def first_cell(u: Unit) -> str:
    """The first cell of a table row, without its header."""
    first = u.text.split("; ", 1)[0]
    return first.split(": ", 1)[-1].strip()


def join_names(names: list[str]) -> str:
    """``"A, B and C"`` (``""`` for no names)."""
    if len(names) <= 1:
        return names[0] if names else ""
    return ", ".join(names[:-1]) + " and " + names[-1]


def tok1(word: str) -> str:
    """The one token of ``word`` as the lexical index stems it (stopwords kept), or ``""``."""
    toks = tokenize(word, keep_stopwords=True)
    return toks[0] if toks else ""


def years(vals: list[Value]) -> set[int]:
    """Every year the values speak of, year ranges ("2024-2026") expanded."""
    out = {int(v.value) for v in vals if v.kind in ("year", "quarter")}
    out |= {y for v in vals if v.kind == "year" and v.high for y in range(int(v.value), int(v.high) + 1)}
    return out


@lru_cache(maxsize=1024)
def capitalised(text: str) -> frozenset[str]:
    """Stems of capitalised words that do not start the question (likely names or acronyms).

    Only the capitalised parts of hyphenated words count ("LLM-based" gives "llm"); a word
    that starts in lower case ("non-GAAP") is not a name.
    """
    out: set[str] = set()
    for word in text.split()[1:]:
        word = word.strip("\"'(),.?!:;")
        if not word[:1].isupper():
            continue
        for part in word.split("-"):
            if part[:1].isupper():
                out.update(tokenize(part))
    return frozenset(out)


def run(units: Sequence[Unit], i: int, same: Callable[[Unit], bool]) -> list[Unit]:
    """The contiguous run of units around index ``i`` for which ``same`` holds."""
    a = i
    while a > 0 and same(units[a - 1]):
        a -= 1
    b = i
    while b + 1 < len(units) and same(units[b + 1]):
        b += 1
    return list(units[a : b + 1])


def neighbours(units: Sequence[Unit], u: Unit) -> list[Unit]:
    """The non-heading units just before and after ``u`` in its own section."""
    out = []
    for j in (u.id - 1, u.id + 1):
        if 0 <= j < len(units) and units[j].doc == u.doc and units[j].section == u.section and units[j].kind != "heading":
            out.append(units[j])
    return out


def next_unit(units: Sequence[Unit], u: Unit) -> Unit | None:
    """The sentence or list item right after ``u`` in its section, or ``None``."""
    if u.id + 1 < len(units):
        nxt = units[u.id + 1]
        if nxt.doc == u.doc and nxt.section == u.section and nxt.kind in ("sentence", "list_item"):
            return nxt
    return None
