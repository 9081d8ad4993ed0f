"""Operands stated in prose: the graph's metric facts read off sentences and report tables.

A phrase such as ``non-GAAP operating margin`` or ``Segment revenue`` is matched against each
fact's metric name (stemmed words, synonyms from ``retrieval/data/synonyms.txt``) and subject:
an entity the phrase names must be the fact's subject; the period must match when one is asked;
targets, guidance and scenario projections count only when the question asks for them.
"""

from __future__ import annotations

import re

from core.types import Fact
from engine.compute.facts import FactIndex
from retrieval.lexical import concepts, tokenize

_TARGET = re.compile(r"\b(?:target(?:s|ed|ing)?|goal|guidance|aim(?:s|ing)?|plan(?:s|ned)?|objective)\b", re.I)
_SCENARIO = re.compile(r"\b(?:bull|bear|base)(?:ish)?\s+case\b|\bscenario\b|\bprojected\b|\bby 20\d\d\b", re.I)
_GENERIC = frozenset(tokenize("level value amount figure total number the its their company"))


def _period_key(p: str | None) -> str:
    """``FY2024``, ``fiscal 2024`` and ``2024`` are one period for prose facts."""
    if not p:
        return ""
    m = re.search(r"(?:19|20)\d{2}", p)
    q = re.search(r"\bQ([1-4])\b", p, re.I)
    return (f"Q{q.group(1)} " if q else "") + (m.group(0) if m else p.lower())


def _words(text: str) -> set[str]:
    words = set(tokenize(text)) - _GENERIC
    for own, group in concepts(text):
        words |= own | {next(iter(sorted(group)))}
    return words


def _subject_ids(index: FactIndex, phrase: str) -> set[str]:
    """Entities the phrase names with a fact of their own ("Segment revenue" -> Segment)."""
    out: set[str] = set()
    words = re.findall(r"[\w&/'-]+", phrase)
    for n in (3, 2, 1):
        for i in range(len(words) - n + 1):
            name = " ".join(words[i : i + n])
            if len(name) < 3:
                continue
            for e in index.graph.find(name, fuzzy=False):
                if e.id in index.other and e.type != "Metric":
                    out.add(e.id)
    return out


def prose_fact(index: FactIndex, subjects: list[str], phrase: str, period: str | None, question: str) -> Fact | None:
    """The metric fact stated in text that best fits ``phrase`` at ``period`` (``None``: no good fit)."""
    named = _subject_ids(index, phrase)
    pool = sorted(named) if named else (subjects or list(index.other))
    want = _words(phrase)
    if not want:
        return None
    wants_target = bool(_TARGET.search(phrase))
    wants_scenario = bool(_SCENARIO.search(question))
    best: tuple[float, Fact] | None = None
    for s in pool:
        for f in index.other.get(s, []):
            if f.unit in ("year", "score") and "score" not in phrase:
                continue
            metric = _words(f.metric or "")
            if not metric or not metric & want:
                continue
            have = metric | (_words(index.graph.name_of(s)) & want)  # the subject may be named in the phrase
            overlap = len(want & have)
            f1 = 2 * overlap / (len(want) + len(have))
            if f1 < 0.6:
                continue
            q = f.qualifier or ""
            if q.startswith("projection") and not wants_scenario:
                continue
            if period and _period_key(f.period) != _period_key(period):
                continue
            score = f1 + (0.2 if (q == "target") == wants_target else -0.3) + (0.1 if s in subjects else 0.0)
            score -= 0.05 if q in ("<", "<=", "over", ">=") else 0.0  # a bound is a weaker reading than a value
            if best is None or score > best[0]:
                best = (score, f)
    return best[1] if best else None
