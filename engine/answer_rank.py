"""Candidate ranking for the offline answerer: which retrieved units may answer, and how well.

A :class:`Ranker` reads one index once (word rarity, document titles, section headings) and
then, per question, turns the retrieved units into :class:`Candidate` s scored on retrieval
score plus coverage of the question's rare words. A unit that misses a period, a proper name
or a section heading the question names stays a candidate but is marked ``period_ok=False``,
which the value and list answers skip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from core.config import Settings
from core.interfaces import DocumentStore
from core.types import QuestionAnalysis, ScoredUnit, SearchResult, Unit
from core.values import Value, find_values
from engine.answer_text import capitalised, years
from retrieval.lexical import concepts, tokenize
from retrieval.question import generic_words


@dataclass(slots=True)
class Candidate:
    """A retrieved unit as a possible answer: its ranking score, coverage and usable values."""

    su: ScoredUnit
    score: float
    coverage: float
    values: list[Value] = field(default_factory=list)
    period_ok: bool = True


class Ranker:
    """Scores retrieved units against a question, over one index (caches live as long as it does)."""

    def __init__(self, index: DocumentStore, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.idf = build_idf(index)
        self._values: dict[int, list[Value]] = {}
        self._tok_cache: dict[int, frozenset[str]] = {}
        self._sec_cache: dict[str, list[Value]] = {}
        # what a question may say about a whole document ("the PitchGrade report")
        self.doc_context = {
            d.id: " ".join(str(x) for x in (d.title, d.meta.get("publisher") or "", d.meta.get("kind") or ""))
            for d in index.docs.values()
        }
        self.headings = {u.text for u in index.units if u.kind == "heading" and u.section and " | " not in u.text}

    @property
    def idf_unknown(self) -> float:
        """The weight of a word the corpus never uses (rarer than any word it has)."""
        return math.log(1 + len(self.index.units))

    def values_of(self, u: Unit) -> list[Value]:
        """Quantities in a unit, parsed once per process (units never change)."""
        vals = self._values.get(u.id)
        if vals is None:
            vals = self._values[u.id] = find_values(u.text)
        return vals

    def confidence(self, c: Candidate) -> float:
        """How sure the evidence is: semantic closeness plus coverage of the question's rare words."""
        return 0.55 * c.su.dense + 0.45 * c.coverage

    def abstains(self, c: Candidate) -> bool:
        """Is the evidence of ``c`` too weak to answer from (confidence under the threshold)?"""
        return self.confidence(c) < self.settings.abstain_threshold

    # ---- candidates -------------------------------------------------------------------------

    def candidates(self, result: SearchResult) -> list[Candidate]:
        """The top retrieved units, re-scored and checked against the question's period, names and headings."""
        qa = result.question
        q_years = {int(v.value) for v in qa.values if v.kind in ("year", "quarter")}
        names = self.required_names(qa)
        headings = self.matched_headings(qa)
        if self.unknown_names(qa):
            return []  # "GAAP margin" when the reports only say non-GAAP; "the CEO" when none is named
        out: list[Candidate] = []
        for su in result.units[:40]:
            u = su.unit
            if u.kind == "heading" and u.section == "" and len(result.units) > 1:
                continue  # a document title is not evidence
            # names and headings may sit in a neighbouring sentence of the same passage
            ctx_toks = self._chunk_tokens(u)
            cov = self.coverage(qa, self._unit_tokens(u))
            score = su.score + 0.25 * cov
            period_ok = True
            if q_years:
                found = years(self.values_of(u)) | years(self._section_values(u.section))
                if q_years & found:
                    score += 0.1
                else:
                    period_ok = False  # the question names a period this unit does not speak of
                    score -= 0.2
                    cov *= 0.5
            # a specific name in the question ("Nimbus AI", "Google Cloud") must be in the evidence
            if names - ctx_toks:
                period_ok = False
                score -= 0.15
            if headings:
                if any(h in u.section or set(tokenize(h)) <= ctx_toks for h in headings):
                    score += 0.1
                else:
                    period_ok = False
            out.append(Candidate(su, score, cov, period_ok=period_ok))
        out.sort(key=lambda c: -c.score)
        return out

    # ---- names the question insists on ---------------------------------------------------------

    def unknown_names(self, qa: QuestionAnalysis) -> set[str]:
        """Capitalised words of the question (names, acronyms) that the corpus never uses."""
        return {t for t in capitalised(qa.text) if t not in self.idf and len(t) > 1 and not t.isdigit()}

    def required_names(self, qa: QuestionAnalysis) -> set[str]:
        """Stems of rare capitalised words of the question that the corpus knows (proper names)."""
        n = max(1, len(self.index.units))
        rare = math.log(1 + 1 / 0.25)  # the word is in under a quarter of the units
        return {
            t for t in capitalised(qa.text)
            if t in self.idf and self.idf[t] > rare and n > 4 and not any(ch.isdigit() for ch in t)
        }

    def matched_headings(self, qa: QuestionAnalysis) -> set[str]:
        """Section headings the question names in full when one of their words is rare ("bear case")."""
        q = set(qa.tokens)
        rare = math.log(1 + 1 / 0.12)
        out = set()
        for h in self.headings:
            toks = set(tokenize(h))
            if toks and toks <= q and max(self.idf.get(t, 0.0) for t in toks) > rare:
                out.add(h)
        return out

    # ---- word weights --------------------------------------------------------------------------

    def coverage(self, qa: QuestionAnalysis, toks: frozenset[str]) -> float:
        """IDF-weighted share of the question's content words (or their synonyms) found in ``toks``."""
        idf, unk = self.idf, self.idf_unknown
        total = hit = 0.0
        seen: set[str] = set()
        for own, group in concepts(qa.text):
            w = max(idf.get(t, unk) for t in own)
            total += w
            hit += w if group & toks else 0.0
            seen |= own
        caps = capitalised(qa.text)
        for t in dict.fromkeys(qa.tokens):
            if t in seen or t.isdigit():
                continue
            w = idf.get(t, unk * (2.0 if t in caps else 1.0))
            total += w
            hit += w if t in toks else 0.0
        return hit / total if total else 0.0

    def weight_in(self, qa: QuestionAnalysis, text: str) -> float:
        """IDF weight of the question's words (or their synonyms) present in ``text``."""
        toks = set(tokenize(text))
        w = 0.0
        seen: set[str] = set()
        for own, group in concepts(qa.text):
            seen |= own
            if group & toks:
                w += max(self.idf.get(t, self.idf_unknown) for t in own)
        generic = generic_words()
        w += sum(self.idf.get(t, 0.0) for t in set(qa.tokens) - seen - generic if t in toks and not t.isdigit())
        return w

    def unit_tokens(self, u: Unit) -> frozenset[str]:
        """Words of a unit and its section: what coverage is measured on."""
        return self._unit_tokens(u)

    def section_values(self, section: str) -> list[Value]:
        """Quantities in a section heading ("1-3 Years", "FY2025"), parsed once."""
        return self._section_values(section)

    def _unit_tokens(self, u: Unit) -> frozenset[str]:
        """Words of a unit and its section: what coverage is measured on."""
        toks = self._tok_cache.get(u.id)
        if toks is None:
            toks = self._tok_cache[u.id] = frozenset(tokenize(f"{u.text} {u.section}"))
        return toks

    def _chunk_tokens(self, u: Unit) -> frozenset[str]:
        """Words of the unit's passage and its document's title and publisher: where names may be."""
        key = -1 - u.chunk  # chunk entries share the cache with units, on negative keys
        toks = self._tok_cache.get(key)
        if toks is None:
            text = f"{self.index.chunks[u.chunk].text} {self.doc_context.get(u.doc, '')}"
            toks = self._tok_cache[key] = frozenset(tokenize(text)) | self._unit_tokens(u)
        return toks

    def _section_values(self, section: str) -> list[Value]:
        vals = self._sec_cache.get(section)
        if vals is None:
            vals = self._sec_cache[section] = find_values(section)
        return vals


def build_idf(index: DocumentStore) -> dict[str, float]:
    """``log(1 + units / units with the word)`` for every word of the units, their sections and titles."""
    df: dict[str, int] = {}
    meta = {d.id: f"{d.title} {d.meta.get('publisher') or ''}" for d in index.docs.values()}
    for u in index.units:
        for t in set(tokenize(f"{u.text} {u.section} {meta.get(u.doc, '')}")):
            df[t] = df.get(t, 0) + 1
    n = len(index.units) or 1
    return {t: math.log(1 + n / c) for t, c in df.items()}
