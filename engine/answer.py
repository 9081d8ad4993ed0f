"""The offline answerer: exact value first, supporting sentences after, every sentence cited.

No model generates text here. The answer is read off the retrieved units:

1. keep candidate units that can answer the question's type (a unit with a percentage for
   "what share ...", an enumeration of names for "which vendors ...");
2. rank them by retrieval score plus cues (the question's period appears, its rare words
   appear, the value sits close to them);
3. take the value nearest the question's words in the best unit, state it, then quote up to
   ``max_support`` units as support;
4. abstain when the evidence is weak (a calibrated confidence below ``abstain_threshold``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from core.config import Settings
from core.interfaces import DocumentStore
from core.types import Answer, QuestionAnalysis, ScoredUnit, SearchResult, Unit
from core.values import Value, find_values, format_value, same_number
from engine.citations import Citations
from retrieval.lexical import concepts, tokenize
from retrieval.question import generic_words


@dataclass(slots=True)
class Candidate:
    su: ScoredUnit
    score: float
    coverage: float
    values: list[Value] = field(default_factory=list)
    period_ok: bool = True


# Capitalised names ("Nimbus AI", "Google Cloud", "Acme Cloud Studio"), for list/name answers.
_NAME = re.compile(
    r"\b(?:[A-Z][A-Za-z0-9&.'-]*[A-Za-z0-9]|[A-Z]{2,})(?:\s+(?:[A-Z][A-Za-z0-9&.'-]*[A-Za-z0-9]|[A-Z]{2,}|(?:of|&|de)\b))*"
)
_ENUM_SEP = re.compile(r"\s*(?:,\s*(?:and|or)\s+|,\s*|\s+and\s+|\s+or\s+|/)\s*")
# Clauses: split at ; : , and before "and"/"while"/"with" so "30% less wait time and 12% more output" splits.
_CLAUSE = re.compile(r"[^;:,]+?(?=\s+(?:and|while|with|whereas|but|vs\.?)\s|[;:,]|$)|[^;:,]+")
_BEFORE = re.compile(r"\b(before|prior|previous(ly)?|originally|initially|at (its|the) peak|used to)\b", re.I)
_AFTER = re.compile(r"\b(after|now|currently|today|latest|by (early|late|mid|the end))\b", re.I)
_CAUSAL = re.compile(
    r"\b(because|due to|as a result|driven by|reflecting|mechanism|the risk is|which is why|so that|since|given|"
    r"as (?:ai|the|it|they)|prevents?|requires?|means?|therefore|thus)\b",
    re.I,
)
_ACROSS_DOCS = re.compile(r"\b(two|both|each|all the|the) (documents|reports|sources|articles|papers)\b|\bdiffer\b", re.I)
LOOSE_LIST = "list from loose names"
_FAKE_MARKER = re.compile(r"\[(\d{1,3})\]")
_LEAD_IN = re.compile(r"^([A-Z][^.:;]{2,60}?)[.:]\s+\S")
_APPROX_WORD = {"approx": "About", "over": "Over", ">=": "At least", "<": "Under", "<=": "Up to"}


class OfflineAnswerer:
    """The default answerer (see module docstring)."""

    def __init__(self, index: DocumentStore, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.idf = _idf(index)
        self._values: dict[int, list[Value]] = {}
        self._tok_cache: dict[int, frozenset[str]] = {}
        self._sec_cache: dict[str, list[Value]] = {}
        # what a question may say about a whole document ("the PitchGrade report")
        self.doc_context = {
            d.id: " ".join(str(x) for x in (d.title, d.meta.get("publisher") or "", d.meta.get("kind") or ""))
            for d in index.docs.values()
        }
        self.headings = {u.text for u in index.units if u.kind == "heading" and u.section and " | " not in u.text}

    def values_of(self, u: Unit) -> list[Value]:
        """Quantities in a unit, parsed once per process (units never change)."""
        vals = self._values.get(u.id)
        if vals is None:
            vals = self._values[u.id] = find_values(u.text)
        return vals

    # ---- public -----------------------------------------------------------------------

    def answer(self, result: SearchResult, draft: Answer | None = None) -> Answer:
        """The offline answer to ``result`` (``draft`` is ignored: this answerer is the first one)."""
        qa = result.question
        cands = self._candidates(result)
        if not cands:
            return self._abstain(result, [])
        if qa.kinds and qa.answer_type != "comparison":
            return self._value_answer(result, cands)
        if qa.answer_type in {"list", "name"}:
            return self._names_answer(result, cands)
        return self._sentence_answer(result, cands)

    def confidence(self, c: Candidate) -> float:
        """How sure the evidence is: semantic closeness plus coverage of the question's rare words."""
        return 0.55 * c.su.dense + 0.45 * c.coverage

    # ---- candidates -------------------------------------------------------------------

    def _candidates(self, result: SearchResult) -> list[Candidate]:
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
            cov = self._coverage(qa, self._unit_tokens(u))
            score = su.score + 0.25 * cov
            period_ok = True
            if q_years:
                found = _years(self.values_of(u)) | _years(self._section_values(u.section))
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

    def _weight_in(self, qa: QuestionAnalysis, text: str) -> float:
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

    def _anchored(self, qa: QuestionAnalysis, u: Unit, v: Value) -> bool:
        """Does the value's own clause speak of the question, compared with the unit's other clauses?"""
        anchor = _anchor_text(u, v)
        if self._weight_in(qa, anchor) <= 0:
            return False
        # a name the question is about must sit next to the value, not elsewhere in the sentence
        names = self.required_names(qa)
        in_unit = names & set(tokenize(u.text))
        return not in_unit or bool(in_unit & set(tokenize(anchor))) or u.kind == "table_row"

    def unknown_names(self, qa: QuestionAnalysis) -> set[str]:
        """Capitalised words of the question (names, acronyms) that the corpus never uses."""
        return {t for t in _capitalised(qa.text) if t not in self.idf and len(t) > 1 and not t.isdigit()}

    def required_names(self, qa: QuestionAnalysis) -> set[str]:
        """Stems of rare capitalised words of the question that the corpus knows (proper names)."""
        n = max(1, len(self.index.units))
        rare = math.log(1 + 1 / 0.25)  # the word is in under a quarter of the units
        return {
            t for t in _capitalised(qa.text)
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

    def _coverage(self, qa: QuestionAnalysis, toks: frozenset[str]) -> float:
        """IDF-weighted share of the question's content words (or their synonyms) found in ``toks``."""
        idf, unk = self.idf, self.idf_unknown
        total = hit = 0.0
        seen: set[str] = set()
        for own, group in concepts(qa.text):
            w = max(idf.get(t, unk) for t in own)
            total += w
            hit += w if group & toks else 0.0
            seen |= own
        caps = _capitalised(qa.text)
        for t in dict.fromkeys(qa.tokens):
            if t in seen or t.isdigit():
                continue
            w = idf.get(t, unk * (2.0 if t in caps else 1.0))
            total += w
            hit += w if t in toks else 0.0
        return hit / total if total else 0.0

    @property
    def idf_unknown(self) -> float:
        return math.log(1 + len(self.index.units))

    # ---- value questions ------------------------------------------------------------------

    def _value_answer(self, result: SearchResult, cands: list[Candidate]) -> Answer:
        qa = result.question
        typed: list[Candidate] = []
        for c in cands[:25]:
            if not c.period_ok:
                continue  # "FY2023 revenue" is not answered by a sentence about 2024
            vals = [
                v for v in self.values_of(c.su.unit)
                if v.kind in qa.kinds and not _asked(v, qa)
                and not (qa.aggregate_money and v.kind == "money" and v.value < 1000)  # a unit price is no total
            ]
            if not vals:
                continue
            c.values = vals
            rank = min(_rank(qa, v) for v in vals)
            bonus = 0.15 if rank == 0 else 0.07
            if qa.wants_range and any(v.is_range for v in vals):
                bonus += 0.08
            if c.su.unit.kind == "heading":
                bonus -= 0.1  # "1-3 Years (Near Term)" labels a section; it rarely answers
            typed.append(Candidate(c.su, c.score + bonus, c.coverage, vals, c.period_ok))
        typed.sort(key=lambda c: -c.score)
        if not typed or self.confidence(typed[0]) < self.settings.abstain_threshold:
            return self._abstain(result, typed or cands, self.confidence(typed[0]) if typed else 0.0)
        # the best candidate whose value belongs to the part of the sentence the question is about
        # (not "... (over $10 million in the past year)" in a sentence about another sale)
        anchored = None
        for c in typed[:3]:
            if c.score < typed[0].score - 0.15 or self.confidence(c) < self.settings.abstain_threshold:
                break
            v = self._pick_value(qa, c)
            if self._anchored(qa, c.su.unit, v):
                anchored = (c, v)
                break
        if anchored is None:
            return self._abstain(result, typed, min(self.confidence(typed[0]), self.settings.abstain_threshold - 0.01))
        best, value = anchored
        period = _period_phrase(best.su.unit.text, value)
        lead = _APPROX_WORD.get(value.qualifier or "", "")
        shown = _show(value)
        if value.kind == "number" and qa.answer_type == "count":
            m = re.search(r"\bhow many\s+([a-z-]+)", qa.text, re.I)
            shown = f"{shown} {m.group(1)}" if m else shown
        first = f"{lead} {shown}".strip() if lead else shown
        first = first[0].upper() + first[1:]
        cites = Citations(self.index)
        marks = cites.marks(best.su.unit, value)
        lines = [f"{first}{period} {marks}."]
        # support: the evidence itself, then another passage only if it states the same value
        support = [(best, value)]
        for c in typed[1:6]:
            same = [v for v in c.values if v.kind == value.kind and same_number(v.value, value.value)
                    and (v.high is None) == (value.high is None)]
            if same and c.su.unit.id != best.su.unit.id and c.score >= best.score - 0.25:
                support.append((c, same[0]))
        for c, v in support[: self.settings.max_support]:
            lines.append(f"{_sentence(c.su.unit)} {cites.marks(c.su.unit, v)}")
        return self._answer(result, " ".join(lines), cites, abstained=False, value=shown, confidence=self.confidence(best))

    def _pick_value(self, qa: QuestionAnalysis, c: Candidate) -> Value:
        """The value whose clause shares most (rare) question words, then the nearest one."""
        text = c.su.unit.text
        q_tokens = set(qa.tokens) | {t for _, group in concepts(qa.text) for t in group}
        words = [
            (m.start(), self.idf.get(t, self.idf_unknown))
            for m in re.finditer(r"[A-Za-z0-9]+(?:\.[0-9]+)?", text)
            if (t := _tok1(m.group(0))) and t in q_tokens
        ]
        clauses = [(m.start(), m.end()) for m in _CLAUSE.finditer(text)]
        # a period the question names ("by early 2024") pins the value next to it
        q_years = {int(v.value) for v in qa.values if v.kind in ("year", "quarter")}
        anchors = [v.start for v in self.values_of(c.su.unit) if v.kind in ("year", "quarter") and int(v.value) in q_years]
        before = bool(_BEFORE.search(qa.text))
        after = bool(_AFTER.search(qa.text))

        def score(v: Value) -> float:
            a, b = next(((x, y) for x, y in clauses if x <= v.start < y), (0, len(text)))
            s = sum(w for pos, w in words if a <= pos < b)
            s += sum(0.3 * w / (1.0 + min(abs(pos - v.start), abs(pos - v.end)) / 12) for pos, w in words)
            if qa.wants_range and v.is_range:
                s += 3.0
            s += sum(4.0 / (1.0 + abs(p - v.end) / 10) for p in anchors)
            lead = text[max(0, v.start - 6) : v.start].lower()
            if before and "from" in lead:
                s += 2.0
            if after and re.search(r"\bto\b", lead):
                s += 1.0
            if v.kind in qa.kinds:
                s += 0.5 * (len(qa.kinds) - qa.kinds.index(v.kind))
            return s

        best_rank = min(_rank(qa, v) for v in c.values)
        return max((v for v in c.values if _rank(qa, v) == best_rank), key=score)

    # ---- names and lists ----------------------------------------------------------------------

    def _names_answer(self, result: SearchResult, cands: list[Candidate]) -> Answer:
        qa = result.question
        q_low = qa.text.lower()
        scored: list[tuple[float, Candidate, list[tuple[str, Unit]], bool]] = []
        q_toks = set(qa.tokens)
        for c in cands[:15]:
            if not c.period_ok:
                continue
            u = c.su.unit
            if u.kind == "heading" and " | " not in u.text:
                continue  # section titles are not answers
            items: list[tuple[str, Unit]] = []
            if qa.answer_type == "list":
                head = set(tokenize(_first_cell(u)))
                row_about_q = u.kind == "table_row" and bool(head) and len(head & q_toks) * 2 >= len(head)
                items = [] if row_about_q else self._list_items(u)
                if len(items) < 2 and u.kind in ("table_row", "list_item"):  # "spot instances, reserved capacity, and savings plans"
                    items = [(x, u) for x in _phrases(_cells(u) if not row_about_q else _cells(u).split("; ", 1)[-1])]
            loose = False
            if len(items) < 2:
                names, enum = _names_kind(_cells(u))
                items, loose = [(n, u) for n in names], not enum
            if len(items) < 2 and qa.answer_type == "list":
                # the enumeration may sit in the sentence before or after ("... : A, B, and C have ...")
                for nb in self._neighbours(u):
                    names, enum = _names_kind(_cells(nb))
                    if len(names) >= 2 and enum:
                        items, loose = [(n, nb) for n in names], False
                        break
            items = [(n, u) for n, u in items if n.lower() not in q_low and not _generic(n)]
            if not items:
                continue
            bonus = 0.1 + (0.15 if qa.answer_type == "list" and len(items) >= 2 and not loose else 0.0)
            scored.append((c.score + bonus, c, items, loose))
        scored.sort(key=lambda x: -x[0])
        if not scored or self.confidence(scored[0][1]) < self.settings.abstain_threshold:
            return self._abstain(result, cands, self.confidence(scored[0][1]) if scored else 0.0)
        _, best, items, loose = scored[0]
        cites = Citations(self.index)
        if qa.text.lower().startswith("who"):  # a person or organisation: "Jane Doe", not "Continued"
            items = [
                (n, u) for n, u in items
                if (len(n.split()) >= 2 or n.isupper()) and not re.search(rf"(^|;\s){re.escape(n)}\s*:", u.text)
            ]
            if not items:
                return self._abstain(result, cands, 0.0)
        if qa.answer_type == "name" and len(items) > 1:
            keep = self._closest_names(qa, best.su.unit.text, [n for n, _ in items])[0]
            items = [(n, u) for n, u in items if n == keep][:1]
        units_used = list(dict.fromkeys(u.id for _, u in items))
        if len(units_used) == 1:
            n = cites.add(best.su.unit)
            lines = [f"{_join([x for x, _ in items])} [{n}].", f"{_sentence(best.su.unit)} [{n}]"]
        else:  # one citation per item: each row or list entry is its own evidence
            parts = [f"{name} [{cites.add(u)}]" for name, u in items]
            lines = [_join(parts) + "."]
        for _, c, _, _ in scored[1:3]:
            if c.score >= scored[0][0] - 0.1 and len(lines) <= self.settings.max_support and len(units_used) == 1:
                lines.append(f"{_sentence(c.su.unit)} [{cites.add(c.su.unit)}]")
        ans = self._answer(
            result, " ".join(lines), cites, abstained=False, value=_join([x for x, _ in items]),
            confidence=self.confidence(best),
        )
        if loose and qa.answer_type == "list":
            ans.notes.append(LOOSE_LIST)  # capitalised words, not an enumeration: a weaker list
        return ans

    def _list_items(self, u: Unit) -> list[tuple[str, Unit]]:
        """Sibling items of a structured list that ``u`` belongs to, with their units.

        Table rows give their first cell, list items and paragraphs that open with a short
        label ("Developer mindshare. ...", "Potential Funding Constraints: ...") give the label.
        A table header gives the rows below it.
        """
        units = self.index.units
        if u.kind == "heading" and " | " in u.text and u.id + 1 < len(units) and units[u.id + 1].kind == "table_row":
            u = units[u.id + 1]
        if u.text.rstrip().endswith(":") and u.id + 1 < len(units):  # "... this translates to:" + items
            nxt = units[u.id + 1]
            if nxt.doc == u.doc and nxt.section == u.section and (
                nxt.kind in ("list_item", "table_row") or _LEAD_IN.match(nxt.text)
            ):
                u = nxt
        if u.kind == "table_row":
            rows = _run(units, u.id, lambda x: x.kind == "table_row" and x.section == u.section and x.doc == u.doc)
            return [(_first_cell(r), r) for r in rows if _first_cell(r)]
        if _LEAD_IN.match(u.text):
            same = _run(units, u.id, lambda x: x.section == u.section and x.doc == u.doc and x.kind != "heading")
            labelled = [(m.group(1).strip(), x) for x in same if (m := _LEAD_IN.match(x.text)) and len(m.group(1).split()) <= 5]
            return labelled if len(labelled) >= 2 else []
        return []

    def _closest_names(self, qa: QuestionAnalysis, text: str, names: list[str]) -> list[str]:
        q_tokens = set(qa.tokens)
        pos = [m.start() for m in re.finditer(r"[A-Za-z0-9]+", text) if _tok1(m.group(0)) in q_tokens]

        def dist(name: str) -> float:
            p = text.find(name)
            return min((abs(p - x) for x in pos), default=0)

        return [min(names, key=dist)]

    # ---- reasons and everything else ------------------------------------------------------------------

    def _sentence_answer(self, result: SearchResult, cands: list[Candidate]) -> Answer:
        qa = result.question
        body = [c for c in cands if c.su.unit.kind != "heading"] or cands
        if _ACROSS_DOCS.search(qa.text) and len(self.index.docs) > 1:
            return self._per_document(result, body)
        if qa.answer_type == "reason":
            for c in body:
                if _CAUSAL.search(c.su.unit.text):
                    c.score += 0.05
            body.sort(key=lambda c: -c.score)
        best = body[0]
        if self.confidence(best) < self.settings.abstain_threshold:
            return self._abstain(result, cands, self.confidence(best))
        cites = Citations(self.index)
        lines = [f"{_sentence(best.su.unit)} [{cites.add(best.su.unit)}]"]
        follow = self._next_unit(best.su.unit)
        if qa.answer_type == "reason" and follow is not None:
            # an explanation usually continues in the next sentence ("The mechanism is ...")
            lines.append(f"{_sentence(follow)} [{cites.add(follow)}]")
        for c in body[1:4]:
            if len(lines) >= self.settings.max_support:
                break
            if c.score >= best.score - 0.08 and c.su.unit.doc == best.su.unit.doc:
                lines.append(f"{_sentence(c.su.unit)} [{cites.add(c.su.unit)}]")
        return self._answer(result, " ".join(lines), cites, abstained=False, value=None, confidence=self.confidence(best))

    def _per_document(self, result: SearchResult, body: list[Candidate]) -> Answer:
        """"How do the reports differ ...": the best sentence of each document, side by side."""
        best_by_doc: dict[str, Candidate] = {}
        for c in body:
            best_by_doc.setdefault(c.su.unit.doc, c)
        picks = sorted(best_by_doc.values(), key=lambda c: -c.score)[:3]
        if not picks or self.confidence(picks[0]) < self.settings.abstain_threshold:
            return self._abstain(result, body, self.confidence(picks[0]) if picks else 0.0)
        cites = Citations(self.index)
        lines = [
            f"{self.index.docs[c.su.unit.doc].title}: {_sentence(c.su.unit)} [{cites.add(c.su.unit)}]" for c in picks
        ]
        return self._answer(result, " ".join(lines), cites, abstained=False, value=None, confidence=self.confidence(picks[0]))

    def _neighbours(self, u: Unit) -> list[Unit]:
        units = self.index.units
        out = []
        for j in (u.id - 1, u.id + 1):
            if 0 <= j < len(units) and units[j].doc == u.doc and units[j].section == u.section and units[j].kind != "heading":
                out.append(units[j])
        return out

    def _next_unit(self, u: Unit) -> Unit | None:
        units = self.index.units
        if u.id + 1 < len(units):
            nxt = units[u.id + 1]
            if nxt.doc == u.doc and nxt.section == u.section and nxt.kind in ("sentence", "list_item"):
                return nxt
        return None

    def _abstain(self, result: SearchResult, cands: list[Candidate], confidence: float = 0.0) -> Answer:
        cites = Citations(self.index)
        refs = [cites.add(c.su.unit) for c in cands[:2] if c.su.unit.kind != "heading"]
        closest = f" Closest passages: {', '.join(f'[{n}]' for n in refs)}." if refs else ""
        q = result.question.text.rstrip("?").strip()
        text = f'The corpus does not say ("{q}").{closest}'
        return self._answer(result, text, cites, abstained=True, value=None, confidence=confidence)

    def _answer(
        self, result: SearchResult, text: str, cites: Citations, abstained: bool, value: str | None,
        confidence: float | None = None,
    ) -> Answer:
        return Answer(
            confidence=confidence,
            question=result.question.text,
            text=text,
            citations=cites.items,
            abstained=abstained,
            route="passages" if not abstained else "none",
            passages=result.passages,
            timings_ms=dict(result.timings_ms),
            answer_type=result.question.answer_type,
            value=value,
        )


# ---- helpers ---------------------------------------------------------------------------------------------


def _idf(index: DocumentStore) -> dict[str, float]:
    df: dict[str, int] = {}
    meta = {d.id: f"{d.title} {d.meta.get('publisher') or ''}" for d in index.docs.values()}
    for u in index.units:
        for t in set(tokenize(f"{u.text} {u.section} {meta.get(u.doc, '')}")):
            df[t] = df.get(t, 0) + 1
    n = len(index.units) or 1
    return {t: math.log(1 + n / c) for t, c in df.items()}


def _capitalised(text: str) -> set[str]:
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
    return out


def _rank(qa: QuestionAnalysis, v: Value) -> int:
    """Preference of a value kind for this question; a bare number counts as a count."""
    if v.kind == "number" and qa.answer_type == "count":
        return 0
    return qa.kinds.index(v.kind)


def _anchor_text(u: Unit, v: Value) -> str:
    """The words a value belongs to: its clause, or for a table row its first cell and its own cell."""
    t = u.text
    if u.kind == "table_row":
        cells = t.split("; ")
        pos = 0
        for cell in cells:
            if pos <= v.start < pos + len(cell) + 2:
                return f"{cells[0]} {cell}"
            pos += len(cell) + 2
        return t
    for m in _CLAUSE.finditer(t):
        if m.start() <= v.start < m.end():
            clause = m.group(0)
            return t if len(clause.split()) < 4 else clause
    return t


def _show(v: Value) -> str:
    """The value in canonical form; small money amounts keep the report's own decimals ($0.50)."""
    if v.kind == "count":
        return f"{format_value('number', v.value)} {v.noun or ''}".strip()
    if v.kind in ("money", "number") and v.high is None and abs(v.value) < 1e6:
        m = re.search(r"\$?\s?\d[\d,]*(?:\.\d+)?", v.surface)
        if m:
            return m.group(0).replace(" ", "")
    return v.as_text()


def _tok1(word: str) -> str:
    toks = tokenize(word, keep_stopwords=True)
    return toks[0] if toks else ""


def _asked(v: Value, qa: QuestionAnalysis) -> bool:
    """A value the question itself states ("by 2028") is not the answer to it."""
    return any(q.kind == v.kind and same_number(q.value, v.value, 0) and q.high == v.high for q in qa.values)


def _period_phrase(text: str, value: Value) -> str:
    """" in fiscal 2024" / " by 2028": the period of the value's own clause, else the nearest one close by."""
    if value.kind in ("year", "quarter"):
        return ""
    clause = next(((m.start(), m.end()) for m in _CLAUSE.finditer(text) if m.start() <= value.start < m.end()), (0, len(text)))
    best: tuple[float, Value] | None = None
    for v in find_values(text):
        if v.kind not in ("year", "quarter") or v.start == value.start:
            continue
        d = min(abs(v.start - value.end), abs(value.start - v.end))
        if not clause[0] <= v.start < clause[1]:
            d += 1000  # another clause's period only if this clause has none
        if d <= 1060 and (best is None or d < best[0]):
            best = (d, v)
    if best is None or (60 < best[0] < 1000) or best[0] > 1060:
        return ""
    v = best[1]
    before = text[max(0, v.start - 20) : v.start].split()[-2:]
    preps = {"by", "in", "since", "through", "during", "for", "until"}
    if len(before) == 2 and before[0].lower() in preps and before[1].lower() in {"early", "late", "mid", "end"}:
        return f" {before[0].lower()} {before[1].lower()} {v.surface}"
    prep = before[-1].lower() if before and before[-1].lower() in preps else "in"
    return f" {prep} {v.surface}"


def _cells(u: Unit) -> str:
    """A unit's text without table headers ("Header: cell; ..." -> "cell; ...")."""
    if u.kind != "table_row":
        return u.text
    return "; ".join(part.split(": ", 1)[-1] for part in u.text.split("; "))


def _years(vals: list[Value]) -> set[int]:
    out = {int(v.value) for v in vals if v.kind in ("year", "quarter")}
    out |= {y for v in vals if v.kind == "year" and v.high for y in range(int(v.value), int(v.high) + 1)}
    return out


def _sentence(u: Unit) -> str:
    """A unit as quoted in an answer; its own "[1]"-style markers become "(1)" so they are not citations."""
    t = _FAKE_MARKER.sub(r"(\1)", u.text.strip())
    if u.kind == "table_row":
        return t + "."
    return t


def _names(text: str) -> list[str]:
    """Capitalised names in ``text``: the longest enumeration ("A, B, and C") if there is one."""
    return _names_kind(text)[0]


def _names_kind(text: str) -> tuple[list[str], bool]:
    """Names in ``text`` and whether they form an enumeration (``False``: loose capitalised words)."""
    best: list[str] = []
    for clause in re.split(r"[;:]\s+|\.\s+", text):
        parts = [p for p in _ENUM_SEP.split(clause) if p.strip()]
        run: list[str] = []
        for k, part in enumerate(parts):
            # the first item follows its lead-in ("Vendors like X"), later ones lead their part ("Y are ...")
            found = list(_NAME.finditer(part.strip()))
            m = (found[-1] if found else None) if k == 0 else _NAME.match(part.strip())
            name = _clean_name(m.group(0)) if m else ""
            if name and not _generic(name):
                run.append(name)
            else:
                if len(run) > len(best):
                    best = run
                run = []
        if len(run) > len(best):
            best = run
    if len(best) >= 2:
        return list(dict.fromkeys(best)), True
    out: list[str] = []
    for m in _NAME.finditer(text):
        name = _clean_name(m.group(0))
        if name and not _generic(name) and name not in out:
            out.append(name)
    return out, False


def _phrases(text: str) -> list[str]:
    """Items of the longest comma enumeration of short phrases ("a, b, and c"), or ``[]``."""
    best: list[str] = []
    for clause in re.split(r"[;:]\s+|\.\s+|\.$", text):
        parts = [p.strip(" .") for p in _ENUM_SEP.split(clause) if p.strip(" .")]
        if len(parts) >= 3 and all(1 <= len(p.split()) <= 4 for p in parts[1:-1]):
            first = " ".join(parts[0].split()[-3:])  # the lead-in's tail: "Leveraging X" -> "X"
            last = " ".join(parts[-1].split()[:4])
            items = [first, *parts[1:-1], last]
            if len(items) > len(best):
                best = items
    return best


def _clean_name(name: str) -> str:
    name = name.strip(" .,'")
    name = re.sub(r"^(The|A|An|In|On|For|Like|As|At|If|This|That|With|While|By|Vendors like)\s+", "", name)
    return re.sub(r"'s$", "", name)


_GENERIC = {
    "the", "a", "an", "in", "on", "for", "as", "at", "if", "this", "that", "with", "while", "by", "it", "its",
    "vendors", "vendors like", "ai", "we", "our", "they", "their", "these", "those", "near", "non", "net",
    "simultaneously", "through", "when", "where", "however", "also", "but", "and", "or", "result", "cost",
    "deployment", "actionable insight", "revenue category",
}


def _generic(name: str) -> bool:
    return name.lower() in _GENERIC or len(name) < 2


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return names[0] if names else ""
    return ", ".join(names[:-1]) + " and " + names[-1]


def _run(units: list[Unit], i: int, same: Callable[[Unit], bool]) -> list[Unit]:
    """The contiguous run of units around index ``i`` for which ``same`` holds."""
    a = i
    while a > 0 and same(units[a - 1]):
        a -= 1
    b = i
    while b + 1 < len(units) and same(units[b + 1]):
        b += 1
    return units[a : b + 1]


def _first_cell(u: Unit) -> str:
    first = u.text.split("; ", 1)[0]
    return first.split(": ", 1)[-1].strip()
