"""The outline of an index: section headings (and the names a question may call them by), the units of
each section, word rarity over the units' own text, and how long sentences split into clauses.

Shared by the open answerer and the comparer, built once per loaded index.

>>> heading_names("1-3 Years (Near Term)")
['1-3 Years (Near Term)', '1-3 Years', 'Near Term']
>>> heading_names("Verdict: AI Margin Pressure Score 7/10")
['Verdict: AI Margin Pressure Score 7/10', 'Verdict']
>>> t = "Margins improved; growth slowed, but cash rose (in 2024, mostly)."
>>> [t[a:b] for a, b in clauses(t)]
['Margins improved', 'growth slowed', 'but cash rose (in 2024, mostly).']
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from core.interfaces import DocumentStore
from core.types import Unit
from engine.answer_text import FAKE_MARKER, first_cell
from retrieval.lexical import tokenize

RARE_HEADING = math.log(1 + 1 / 0.12)  # a heading word in under an eighth of the units
POINT_CHARS = 260  # a longer sentence is cut to the clauses that carry the point


class Outline:
    """Headings, section members and word rarity of one index."""

    def __init__(self, index: DocumentStore, skip: frozenset[int] = frozenset()) -> None:
        self.index = index
        self.skip = skip  # chunks never used as evidence (instruction-like passages, core.safety.Quarantine)
        self.headings: dict[tuple[str, str], list[frozenset[str]]] = {}
        self.section_units: dict[tuple[str, str], list[int]] = {}
        self.unit_tokens: list[frozenset[str]] = []  # each unit's own words (stems), in unit order
        df: dict[str, int] = {}
        for u in index.units:
            toks = frozenset(tokenize(u.text))
            self.unit_tokens.append(toks)
            key = (u.doc, u.section)
            if u.kind == "heading":
                if u.section and " | " not in u.text:
                    self.headings.setdefault(key, []).extend(frozenset(tokenize(v)) for v in heading_names(u.text))
            elif u.section and u.chunk not in skip:
                self.section_units.setdefault(key, []).append(u.id)
            for t in toks:
                df[t] = df.get(t, 0) + 1
        n = max(1, len(index.units))
        self.text_idf = {t: math.log(1 + n / c) for t, c in df.items()}  # over unit text only, not titles
        self.common = frozenset(t for t, c in df.items() if c > 0.25 * n)  # words of most units ("the company")
        self.part_names = _part_names(index, self.common)
        self.doc_words = distinctive_doc_words(index)
        # per question only the headings sharing a word (or a word's 6-letter stem) with it are checked:
        # scanning every heading of every document per question grew with the corpus (6.8 s per
        # comparison at 100x the bundled corpus)
        self._rare: list[tuple[tuple[str, str], frozenset[str]]] = []
        self._by_word: dict[str, list[int]] = {}
        for key, variants in self.headings.items():
            for toks in variants:
                rare = frozenset(t for t in toks if self.text_idf.get(t, RARE_HEADING + 1) > RARE_HEADING
                                 and not any(c.isdigit() for c in t))
                if not rare:
                    continue
                for t in rare:
                    for k in _word_keys(t):
                        self._by_word.setdefault(k, []).append(len(self._rare))
                self._rare.append((key, rare))
        self.row_heads: dict[int, tuple[str, ...]] = {}  # table rows' first-cell words, by unit id
        self.rows_by_word: dict[str, list[int]] = {}
        for u in index.units:
            if u.kind == "table_row" and (head := tuple(tokenize(first_cell(u)))):
                self.row_heads[u.id] = head
                for t in set(head):
                    self.rows_by_word.setdefault(t, []).append(u.id)

    def focus_sections(self, q_tokens: tuple[str, ...] | list[str]) -> set[tuple[str, str]]:
        """Sections whose heading the question names: every distinctive word of the heading (or of one
        of its names, :func:`heading_names`) is in the question, allowing word forms, or two thirds of
        them for a long heading ("Summarize the bear case" names "Bear Case"; "what does the verdict
        say" names "Verdict: AI Margin Pressure Score 7/10")."""
        q = set(q_tokens)
        candidates = sorted({i for x in q for k in _word_keys(x) for i in self._by_word.get(k, ())})
        out = set()
        named: dict[frozenset[str], bool] = {}  # a heading repeated across documents is judged once
        for i in candidates:
            key, rare = self._rare[i]
            if key in out:
                continue
            if rare not in named:
                hit = sum(any(same_word(t, x) for x in q) for t in rare)
                named[rare] = hit == len(rare) or (len(rare) >= 3 and hit >= 2 and 3 * hit >= 2 * len(rare))
            if named[rare]:
                out.add(key)
        return out


def _word_keys(word: str) -> tuple[str, ...]:
    """Where a word is filed for :meth:`Outline.focus_sections`: itself, and its first six letters when
    it is longer (two words :func:`same_word` calls one share them).

    >>> _word_keys("margin"), _word_keys("conclusion")
    (('margin', '~margin'), ('conclusion', '~conclu'))
    >>> _word_keys("ai")
    ('ai',)
    """
    return (word, "~" + word[:6]) if len(word) >= 6 else (word,)


BOUNDARY = re.compile(r"\s*[;:]\s+|,\s+(?=(?:but|while|whereas|which|so)\b)|\s+(?=but\b)")


def clauses(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of the clauses of a sentence: split at ";", ":", " - " and before "but"/", while"
    etc., never inside parentheses or at a comma of an enumeration."""
    cuts = []
    depth = 0
    last = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if depth == 0 and i >= last:
            m = BOUNDARY.match(text, i)
            if m and m.end() > i and i > 0:
                cuts.append((last, i))
                last = m.end()
    cuts.append((last, len(text)))
    return [(a, b) for a, b in cuts if text[a:b].strip()]


def _part_names(index: DocumentStore, common: frozenset[str]) -> tuple[str, ...]:
    """Lower-case names of the corpus's parts that a question may name in lower case: table rows' first
    cells of two words or more, without their parenthesis ("Test services", "Edge computing"). A
    one-word row ("Communications") is also what sentences call by other names, so it is not one."""
    out: set[str] = set()
    for u in index.units:
        if u.kind != "table_row":
            continue
        name = re.sub(r"\s*\(.*?\)\s*", " ", first_cell(u)).strip().lower()
        toks = tokenize(name)
        if len(toks) >= 2 and not set(toks) <= common:
            out.add(name)
    return tuple(sorted(out, key=len, reverse=True))


def point_text(u: Unit, weight: Callable[[str], float], max_chars: int = POINT_CHARS) -> str:
    """What an answer quotes of unit ``u``: its text, or for a sentence over ``max_chars`` the run of
    clauses that ``weight`` values most (never a label that ends in a colon without what follows it).
    Document "[1]"-style marks become "(1)" so they never read as citations."""
    text = FAKE_MARKER.sub(r"(\1)", u.text.strip())
    if u.kind == "table_row" or len(text) <= max_chars:
        return text
    parts = clauses(text)
    if len(parts) < 2:
        return text
    best, best_w = (parts[0][0], parts[-1][1]), -1.0
    for i in range(len(parts)):
        for j in range(i, len(parts)):
            a, b = parts[i][0], parts[j][1]
            if b - a > max_chars:
                break
            if text[b:].lstrip().startswith(":") and b - parts[j][0] < 80:
                continue  # "Cost:" / "The disruption is X:" - a short label without what follows says little
            w = weight(text[a:b]) + 0.002 * (b - a)  # the fuller of two equal runs
            if w > best_w:
                best, best_w = (a, b), w
    a, b = best
    part = text[a:b].strip(" ,;:")
    if a > 0:  # a clause cut out of the sentence does not start with its connective
        part = re.sub(r"^(?:and|but|while|whereas|with|so|as|or|vs\.?)\s+", "", part, flags=re.I).strip(" ,;:-")
    return part if len(part) >= 40 else text


def heading_names(text: str) -> list[str]:
    """A heading and its name before a colon or dash ("Verdict: AI Margin ..." -> also "Verdict")."""
    names = [text]
    head = re.split(r":\s|\s[-–—]\s|\s\(", text, maxsplit=1)[0]
    head = re.sub(r"^\s*\d+[.)]\s*", "", head)
    if head and head != text:
        names.append(head)
    names += re.findall(r"\(([^()]{3,40})\)", text)  # "1-3 Years (Near Term)" is also "Near Term"
    return names


def same_word(a: str, b: str) -> bool:
    """Two stems of one word ("conclusion"/"conclud"): equal, or sharing a long prefix."""
    if a == b:
        return True
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n >= 6 and n >= 0.8 * min(len(a), len(b))


def distinctive_doc_words(index: DocumentStore) -> dict[str, frozenset[str]]:
    """Words of each document's kind and publisher that no other document's have ("commentary")."""
    words = {
        d.id: frozenset(tokenize(" ".join(str(x) for x in (d.meta.get("kind") or "", d.meta.get("publisher") or ""))))
        for d in index.docs.values()
    }
    out = {}
    for d, ws in words.items():
        others = set().union(*(w for o, w in words.items() if o != d)) if len(words) > 1 else set()
        out[d] = frozenset(ws - others)
    return out
