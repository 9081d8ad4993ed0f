"""Operands stated in prose: the graph's metric facts read off sentences and report tables.

A phrase such as ``non-GAAP operating margin``, ``Segment revenue`` or ``the bear case margin`` is
matched against each fact's words: its metric name, its subject's name, its qualifier and scenario
("target", "bear case"), compared as stems with synonyms folded onto one word each
(``retrieval/data/synonyms.txt``: "share" and "percent" are one concept). An entity the phrase names
must be the fact's subject, and a capitalised word of the phrase must be in the fact ("Twilio Video"
is not "Twilio"); the period must match when one is asked; targets and scenario projections count
only when the phrase asks for them; a phrase asking for a share fits a percentage.
"""

from __future__ import annotations

import re

from core.types import Fact
from engine.compute.facts import FactIndex
from kg.resolve import norm_key
from retrieval.lexical import concepts, stopwords, tokenize

_TARGET = re.compile(r"\b(?:target(?:s|ed|ing)?|goal|guidance|aim(?:s|ing)?|plan(?:s|ned)?|objective)\b", re.I)
_SCENARIO = re.compile(
    r"\b(?:bull|bear|base)(?:ish)?[\s-]+case\b|\bscenario\b|\bprojected\b|\bby 20\d\d\b|\b(?:near|medium|long)[\s-]+term\b", re.I
)
_SCENARIO_WORDS = re.compile(r"\b(bull|bear|base|near|medium|long)\b", re.I)
_GENERIC = frozenset(tokenize("level value amount figure total number the its their company range outlook"))
_SHARE = re.compile(r"\b(?:share|percent(?:age)?|proportion|portion|fraction|margin|rate)\b|%", re.I)
_NAME = re.compile(r"(?<![\w'])[A-Z][\w&-]*")
MIN_FIT = 0.6


def _period_key(p: str | None) -> str:
    """``FY2024``, ``fiscal 2024`` and ``2024`` are one period for prose facts."""
    if not p:
        return ""
    m = re.search(r"(?:19|20)\d{2}", p)
    q = re.search(r"\bQ([1-4])\b", p, re.I)
    span = re.match(r"\s*(since|through|until|by|before|after)\b", p, re.I)  # "since 2022" is not 2022
    return (span.group(1).lower() + " " if span else "") + (f"Q{q.group(1)} " if q else "") + (m.group(0) if m else p.lower())


def words(text: str) -> set[str]:
    """Stems of ``text`` with each synonym group folded onto one word ("share" = "percent")."""
    out = set(tokenize(text)) - _GENERIC
    for own, group in concepts(text):
        out = (out - own) | {min(group)}
    return out


def _subject_ids(index: FactIndex, phrase: str) -> set[str]:
    """Entities the phrase names that have facts ("Segment revenue" -> Segment), longest names first;
    a two-word name also finds an entity ending with it ("Flex AI" -> "Twilio Flex AI")."""
    tokens = re.findall(r"[\w&/'-]+", phrase)
    for n in (4, 3, 2, 1):
        found: set[str] = set()
        for i in range(len(tokens) - n + 1):
            name = " ".join(tokens[i : i + n])
            if len(name) < 3:
                continue
            found |= {e.id for e in index.graph.find(name, fuzzy=False) if e.id in index.other and e.type != "Metric"}
            if n >= 2:
                key = norm_key(name)
                found |= {s for s in index.other if norm_key(index.graph.name_of(s)).endswith(" " + key)}
        if found:
            return found
    return set()


def _unit_fit(phrase: str, f: Fact) -> float:
    """A phrase asking for a share or a rate fits a percentage, not an amount; one asking for neither
    does not fit a share ("headcount" is not "share of workforce")."""
    if not _SHARE.search(phrase):
        return -0.3 if f.unit == "%" and _SHARE.search(f.metric or "") else 0.0
    return 0.3 if f.unit == "%" else -0.3


def _names_covered(phrase: str, f: Fact, subject_name: str, title: str = "") -> bool:
    """Every capitalised word of the phrase (a name: "Video" in "Twilio Video") is in the fact's subject,
    its metric or the title of the document that states it; a capitalised function word ("The") is not a name."""
    told = f"{subject_name} {f.metric or ''} {title}".lower()
    common = stopwords()
    return all(w.lower() in told or w.lower() in common or re.match(r"(?:FY|Q[1-4])", w) for w in _NAME.findall(phrase))


def _scenario_fit(phrase: str, f: Fact) -> float:
    """+0.3 when the phrase names the fact's scenario ("bull case", "near-term"), -0.3 when it names another."""
    asked = {w.lower() for w in _SCENARIO_WORDS.findall(phrase)}
    if not asked:
        return 0.0
    told = f"{f.qualifier or ''} {f.attrs.get('scenario', '')}".lower()
    return 0.3 if any(w in told for w in asked) else -0.3


def _fit(index: FactIndex, s: str, f: Fact, want: set[str]) -> float:
    """How well the fact's words (metric, subject, qualifier, scenario) cover the phrase's (an F1)."""
    metric = words(f.metric or "")
    if not metric or not metric & want:
        return 0.0
    context = words(f"{index.graph.name_of(s)} {f.qualifier or ''} {f.attrs.get('scenario', '')}")
    have = metric | (context & want)
    overlap = len(want & have)
    return 2 * overlap / (len(want) + len(have))


def prose_fact(index: FactIndex, subjects: list[str], phrase: str, period: str | None, question: str) -> Fact | None:
    """The metric fact stated in text that best fits ``phrase`` at ``period`` (``None``: no good fit)."""
    want = words(phrase)
    if not want:
        return None
    named = _subject_ids(index, phrase)
    wants_target = bool(_TARGET.search(phrase))
    wants_scenario = bool(_SCENARIO.search(phrase) or _SCENARIO.search(question))
    best: tuple[float, Fact] | None = None
    for s in sorted(named) if named else (subjects or list(index.other)):
        for f in index.other.get(s, []):
            if f.unit in ("year", "score") and "score" not in phrase.lower():
                continue
            q = f.qualifier or ""
            if (q.startswith("projection") and not wants_scenario) or (period and _period_key(f.period) != _period_key(period)):
                continue
            f1 = _fit(index, s, f, want)
            title = index.titles.get(f.evidence[0].doc, "") if f.evidence else ""
            if f1 < MIN_FIT or not _names_covered(phrase, f, index.graph.name_of(s), title):
                continue
            score = f1 + (0.2 if (q == "target") == wants_target else -0.3) + (0.1 if s in subjects else 0.0)
            score += _scenario_fit(phrase, f) + _unit_fit(phrase, f)
            score -= 0.05 if q in ("<", "<=", "over", ">=", "range") else 0.0  # a bound is a weaker reading than a value
            if best is None or score > best[0]:
                best = (score, f)
    return best[1] if best else None
