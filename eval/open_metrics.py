"""Deterministic metrics for open answers and comparisons (no model).

* **point coverage** - the share of a gold question's required points that the answer makes.
  A gold point is a list of keyword groups (each group: alternatives); it is *made* when one
  answer point (for an answer without points: one cited claim of its text) contains every group
  **and** every group also occurs inside the spans that point cites. A keyword outside a cited
  span never counts.
* **cell accuracy** - the share of a gold comparison's expected cells that the answer's table
  gets right: the row of the expected item (its label holds one of the item's alternatives), a
  column whose property label holds one of the expected property's alternatives (any column when
  the gold names none), and in that cell every keyword group, inside the cell's cited spans.
  An answer without a table (the baseline) is scored on its cited claims: a claim that names the
  item and holds the keywords inside its cited spans.
* **lead** - for "which is larger/cheaper" gold comparisons: every lead keyword group is in the
  answer's first sentence.
* **redundancy** - repeated sentences per answer: a sentence counts when it repeats an earlier one
  of the same answer (same words, or one nearly all inside the other).

Keywords are compared after :func:`eval.metrics.fold` (typography folded, lower case).

>>> pts = [AnswerPoint("Margins are 49-52% today.", ["gross margins have been in the 49-52% range"])]
>>> point_made([["49-52%"]], pts)
True
>>> point_made([["telco"]], [AnswerPoint("Costs reflect telco infrastructure.", ["costs rose"])])
False
>>> repeated_sentences(["Revenue grew.", "Margins fell.", "revenue grew"])
1
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.types import Answer
from eval.metrics import answer_sentences, fold, strip_markers
from retrieval.lexical import tokenize

NOT_STATED = re.compile(r"\bnot stated\b", re.I)


@dataclass(frozen=True)
class AnswerPoint:
    """One point of an answer as the metrics read it: its text and the texts of the spans it cites."""

    text: str
    spans: list[str] = field(default_factory=list)


def _has(group: Sequence[str], hay: str) -> bool:
    return any(fold(alt) in hay for alt in group)


def point_made(groups: Sequence[Sequence[str]], points: Sequence[AnswerPoint]) -> bool:
    """Does one answer point hold every keyword group, each inside that point's cited spans?"""
    for p in points:
        text = fold(strip_markers(p.text))
        cited = fold(" || ".join(p.spans))
        if cited and all(_has(g, text) and _has(g, cited) for g in groups):
            return True
    return False


def answer_points(ans: Answer) -> list[AnswerPoint]:
    """The points of an answer: its ``points`` when it has them, else its cited claims."""
    by_n = {c.n: c.text for c in ans.citations}
    if ans.points:
        return [AnswerPoint(p.text, [by_n[n] for n in p.citations if n in by_n]) for p in ans.points]
    return [AnswerPoint(s, [by_n[n] for n in nums if n in by_n]) for s, nums in answer_sentences(ans.text)]


def evidence_cited(evidence: Sequence[Sequence[tuple[str, tuple[int, int]]]], ans: Answer) -> bool:
    """Does a citation of the answer overlap one of the gold point's evidence quotes?"""
    for occ in evidence:
        for doc, (s, e) in occ:
            if any(c.doc == doc and c.start < e and s < c.end for c in ans.citations):
                return True
    return False


# ---- comparisons ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One cell of an answer's comparison table as the metrics read it."""

    item: str
    prop: str
    text: str
    spans: list[str]


def answer_cells(ans: Answer) -> list[Cell]:
    """Every cell of the answer's comparison table (none when it has no table)."""
    comp = ans.comparison
    if comp is None:
        return []
    by_n = {c.n: c.text for c in ans.citations}
    out = []
    for i, item in enumerate(comp.items):
        for j, prop in enumerate(comp.properties):
            cell = comp.cells[i][j]
            out.append(Cell(item, prop, cell.text, [by_n[n] for n in cell.citations if n in by_n]))
    return out


def cell_right(gold_cell: dict[str, Any], items: Sequence[Sequence[str]], ans: Answer) -> bool:
    """Is the expected cell in the answer's table (or, without a table, in one cited claim naming the item)?"""
    alts = items[gold_cell["item"]]
    groups = gold_cell["keywords"]
    props = gold_cell.get("property")
    cells = answer_cells(ans)
    if cells:
        for c in cells:
            if not _has(alts, fold(c.item)):
                continue
            if props and not _has(props, fold(c.prop)):
                continue
            text, cited = fold(strip_markers(c.text)), fold(" || ".join(c.spans))
            if cited and all(_has(g, text) and _has(g, cited) for g in groups):
                return True
        return False
    for p in answer_points(ans):  # no table: a cited claim that names the item and states the cell
        text, cited = fold(strip_markers(p.text)), fold(" || ".join(p.spans))
        if not _has(alts, text + " " + cited):
            continue
        if props and not _has(props, text + " " + cited):
            continue
        if cited and all(_has(g, text) and _has(g, cited) for g in groups):
            return True
    return False


def lead_right(groups: Sequence[Sequence[str]], ans: Answer) -> bool:
    """Does the answer's first sentence name the side a "which is larger" question asks for?"""
    first = re.split(r"(?<=[.!?])\s|\[\d+\]", ans.text, maxsplit=1)[0]
    hay = fold(first)
    return all(_has(g, hay) for g in groups)


# ---- redundancy -------------------------------------------------------------------------------------


def displayed_sentences(ans: Answer) -> list[str]:
    """The sentences a reader sees: points, or table cells (and the lead), or the text's sentences."""
    if ans.points:
        return [p.text for p in ans.points]
    if ans.comparison is not None:
        first = ans.text.split("\n", 1)[0]
        lead = [] if first.startswith("- ") or not first.strip() else [first]  # rows start with "- "
        cells = [c.text for row in ans.comparison.cells for c in row if not NOT_STATED.search(c.text)]
        return [*lead, *cells]
    parts = re.split(r"(?<=[.!?])\s+|\n+", strip_markers(ans.text))
    return [p for p in parts if tokenize(p)]


def repeated_sentences(sentences: Sequence[str]) -> int:
    """How many sentences repeat an earlier one: the same words, or nearly all of one inside the other
    (a list of names followed by the sentence that states them is not a repeat; the same quote twice is).

    >>> repeated_sentences(["A, B and C.", "Vendors like A, B, and C build agents that replace the layer."])
    0
    """
    seen: list[str] = []
    n = 0
    for s in sentences:
        k = " ".join(tokenize(strip_markers(s), keep_stopwords=True))
        if not k:
            continue
        if any(k == x or (min(len(k), len(x)) >= 0.6 * max(len(k), len(x)) and (k in x or x in k)) for x in seen):
            n += 1
        seen.append(k)
    return n
