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
from dataclasses import dataclass, field
from typing import Protocol

from kgqa.config import Settings
from kgqa.types import Answer, Citation, Unit
from kgqa.values import Value, find_values, format_value, same_number
from retrieval.index import Index
from retrieval.lexical import concepts, tokenize
from retrieval.normalize import normalize
from retrieval.question import QuestionAnalysis
from retrieval.search import ScoredUnit, SearchResult


class Answerer(Protocol):
    """Turns a search result into an :class:`~kgqa.types.Answer`."""

    def answer(self, result: SearchResult) -> Answer: ...


@dataclass(slots=True)
class Candidate:
    su: ScoredUnit
    score: float
    coverage: float
    values: list[Value] = field(default_factory=list)
    period_ok: bool = True


# Capitalised names ("Sierra AI", "Google Cloud", "Salesforce Agentforce"), for list/name answers.
_NAME = re.compile(
    r"\b(?:[A-Z][A-Za-z0-9&.'-]*[A-Za-z0-9]|[A-Z]{2,})(?:\s+(?:[A-Z][A-Za-z0-9&.'-]*[A-Za-z0-9]|[A-Z]{2,}|(?:of|&|de)\b))*"
)
_ENUM_SEP = re.compile(r"\s*(?:,\s*(?:and|or)\s+|,\s*|\s+and\s+|\s+or\s+|/)\s*")
# Clauses: split at ; : , and before "and"/"while"/"with" so "30% less wait time and 12% more output" splits.
_CLAUSE = re.compile(r"[^;:,]+?(?=\s+(?:and|while|with|whereas|but|vs\.?)\s|[;:,]|$)|[^;:,]+")
_APPROX_WORD = {"approx": "About", "over": "Over", ">=": "At least", "<": "Under", "<=": "Up to"}


class OfflineAnswerer:
    """The default answerer (see module docstring)."""

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.idf = _idf(index)
        self._values: dict[int, list[Value]] = {}

    def values_of(self, u: Unit) -> list[Value]:
        """Quantities in a unit, parsed once per process (units never change)."""
        vals = self._values.get(u.id)
        if vals is None:
            vals = self._values[u.id] = find_values(u.text)
        return vals

    # ---- public -----------------------------------------------------------------------

    def answer(self, result: SearchResult) -> Answer:
        qa = result.question
        cands = self._candidates(result)
        if not cands:
            return self._abstain(result, [])
        if qa.answer_type == "comparison" and len(qa.sides) == 2:
            ans = self._comparison(result, cands)
            if ans is not None:
                return ans
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
        out: list[Candidate] = []
        for su in result.units[:40]:
            u = su.unit
            if u.kind == "heading" and u.section == "" and len(result.units) > 1:
                continue  # a document title is not evidence
            ctx = f"{u.text} {u.section}"
            cov = self._coverage(qa, ctx)
            score = su.score + 0.25 * cov
            period_ok = True
            if q_years:
                found = _years(self.values_of(u)) | _years(find_values(u.section))
                if q_years & found:
                    score += 0.1
                else:
                    period_ok = False  # the question names a period this unit does not speak of
                    score -= 0.2
                    cov *= 0.5
            out.append(Candidate(su, score, cov, period_ok=period_ok))
        out.sort(key=lambda c: -c.score)
        return out

    def _coverage(self, qa: QuestionAnalysis, text: str) -> float:
        """IDF-weighted share of the question's content words (or their synonyms) found in ``text``."""
        toks = set(tokenize(text))
        idf, unk = self.idf, self.idf_unknown
        total = hit = 0.0
        seen: set[str] = set()
        for own, group in concepts(qa.text):
            w = max(idf.get(t, unk) for t in own)
            total += w
            hit += w if group & toks else 0.0
            seen |= own
        for t in dict.fromkeys(qa.tokens):
            if t in seen or t.isdigit():
                continue
            w = idf.get(t, unk)
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
            vals = [v for v in self.values_of(c.su.unit) if v.kind in qa.kinds and not _asked(v, qa)]
            if not vals:
                continue
            c.values = vals
            bonus = 0.15
            if qa.wants_range and any(v.is_range for v in vals):
                bonus += 0.08
            typed.append(Candidate(c.su, c.score + bonus, c.coverage, vals, c.period_ok))
        typed.sort(key=lambda c: -c.score)
        if not typed or self.confidence(typed[0]) < self.settings.abstain_threshold:
            return self._abstain(result, typed or cands)
        best = typed[0]
        value = self._pick_value(qa, best)
        period = _period_phrase(best.su.unit.text, value)
        lead = _APPROX_WORD.get(value.qualifier or "", "")
        shown = _show(value)
        if value.kind == "number" and qa.answer_type == "count":
            m = re.search(r"\bhow many\s+([a-z-]+)", qa.text, re.I)
            shown = f"{shown} {m.group(1)}" if m else shown
        first = f"{lead} {shown}".strip() if lead else shown
        first = first[0].upper() + first[1:]
        cites = _Citations(self.index)
        n = cites.add(best.su.unit, value)
        lines = [f"{first}{period} [{n}]."]
        support = [best] + [c for c in typed[1:4] if c.su.unit.id != best.su.unit.id and c.score >= best.score - 0.12]
        for c in support[: self.settings.max_support]:
            k = cites.add(c.su.unit, c.values[0] if c is not best else value)
            lines.append(f"{_sentence(c.su.unit)} [{k}]")
        return self._answer(result, " ".join(lines), cites, abstained=False, value=shown)

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

        def score(v: Value) -> float:
            a, b = next(((x, y) for x, y in clauses if x <= v.start < y), (0, len(text)))
            s = sum(w for pos, w in words if a <= pos < b)
            s += sum(0.3 * w / (1.0 + min(abs(pos - v.start), abs(pos - v.end)) / 12) for pos, w in words)
            if qa.wants_range and v.is_range:
                s += 3.0
            s += sum(4.0 / (1.0 + abs(p - v.end) / 10) for p in anchors)
            if v.kind in qa.kinds:
                s += 0.5 * (len(qa.kinds) - qa.kinds.index(v.kind))
            return s

        return max(c.values, key=score)

    # ---- names and lists ----------------------------------------------------------------------

    def _names_answer(self, result: SearchResult, cands: list[Candidate]) -> Answer:
        qa = result.question
        q_low = qa.text.lower()
        scored: list[tuple[float, Candidate, list[str]]] = []
        for c in cands[:15]:
            names = [n for n in _names(_cells(c.su.unit)) if n.lower() not in q_low and not _generic(n)]
            if not names:
                continue
            bonus = 0.1 + (0.1 if qa.answer_type == "list" and len(names) >= 2 else 0.0)
            scored.append((c.score + bonus, c, names))
        scored.sort(key=lambda x: -x[0])
        if not scored or self.confidence(scored[0][1]) < self.settings.abstain_threshold:
            return self._abstain(result, cands)
        _, best, names = scored[0]
        cites = _Citations(self.index)
        n = cites.add(best.su.unit)
        if qa.answer_type == "name":
            names = names[:1] if len(names) == 1 else self._closest_names(qa, best.su.unit.text, names)
        shown = _join(names)
        lines = [f"{shown} [{n}].", f"{_sentence(best.su.unit)} [{n}]"]
        for _, c, _ in scored[1:3]:
            if c.score >= scored[0][0] - 0.1 and len(lines) <= self.settings.max_support:
                lines.append(f"{_sentence(c.su.unit)} [{cites.add(c.su.unit)}]")
        return self._answer(result, " ".join(lines), cites, abstained=False, value=shown)

    def _closest_names(self, qa: QuestionAnalysis, text: str, names: list[str]) -> list[str]:
        q_tokens = set(qa.tokens)
        pos = [m.start() for m in re.finditer(r"[A-Za-z0-9]+", text) if _tok1(m.group(0)) in q_tokens]

        def dist(name: str) -> float:
            p = text.find(name)
            return min((abs(p - x) for x in pos), default=0)

        return [min(names, key=dist)]

    # ---- comparisons ------------------------------------------------------------------------------

    def _comparison(self, result: SearchResult, cands: list[Candidate]) -> Answer | None:
        qa = result.question
        kinds = ("money", "percent", "multiple", "duration", "count", "number")
        picks: list[tuple[str, Candidate, Value]] = []
        for side in qa.sides:
            side_toks = set(tokenize(side))
            best: tuple[float, Candidate, Value] | None = None
            for c in cands[:30]:
                toks = set(tokenize(c.su.unit.text))
                cov = len(side_toks & toks) / max(1, len(side_toks))
                if cov < 0.5:
                    continue
                vals = [v for v in find_values(c.su.unit.text) if v.kind in kinds]
                if not vals:
                    continue
                v = _nearest_value(c.su.unit.text, side, vals)
                sc = c.score + cov
                if best is None or sc > best[0]:
                    best = (sc, c, v)
            if best is None:
                return None
            picks.append((side, best[1], best[2]))
        (s1, c1, v1), (s2, c2, v2) = picks
        if v1.kind != v2.kind or same_number(v1.value, v2.value, 0):
            return None
        low_words = ("smaller", "lower", "less", "fewer")
        want_low = any(w in qa.text.lower() for w in low_words)
        first, second = ((s1, c1, v1), (s2, c2, v2)) if (v1.value > v2.value) != want_low else ((s2, c2, v2), (s1, c1, v1))
        cites = _Citations(self.index)
        n1 = cites.add(first[1].su.unit, first[2])
        n2 = cites.add(second[1].su.unit, second[2])
        word = "lower" if want_low else "higher"
        text = (
            f"{first[0][0].upper() + first[0][1:]}: {first[2].as_text()} [{n1}], {word} than "
            f"{second[0]}: {second[2].as_text()} [{n2}]."
        )
        return self._answer(result, text, cites, abstained=False, value=first[0])

    # ---- reasons and everything else ------------------------------------------------------------------

    def _sentence_answer(self, result: SearchResult, cands: list[Candidate]) -> Answer:
        body = [c for c in cands if c.su.unit.kind != "heading"] or cands
        best = body[0]
        if self.confidence(best) < self.settings.abstain_threshold:
            return self._abstain(result, cands)
        cites = _Citations(self.index)
        lines = [f"{_sentence(best.su.unit)} [{cites.add(best.su.unit)}]"]
        for c in body[1:4]:
            if len(lines) > self.settings.max_support - 1:
                break
            if c.score >= best.score - 0.08 and c.su.unit.doc == best.su.unit.doc:
                lines.append(f"{_sentence(c.su.unit)} [{cites.add(c.su.unit)}]")
        return self._answer(result, " ".join(lines), cites, abstained=False, value=None)

    def _abstain(self, result: SearchResult, cands: list[Candidate]) -> Answer:
        cites = _Citations(self.index)
        refs = [cites.add(c.su.unit) for c in cands[:2] if c.su.unit.kind != "heading"]
        closest = f" Closest passages: {', '.join(f'[{n}]' for n in refs)}." if refs else ""
        q = result.question.text.rstrip("?").strip()
        text = f'The corpus does not say ("{q}").{closest}'
        return self._answer(result, text, cites, abstained=True, value=None)

    def _answer(self, result: SearchResult, text: str, cites: _Citations, abstained: bool, value: str | None) -> Answer:
        return Answer(
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


class _Citations:
    """Numbers citations in order of first use; one number per unit."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.items: list[Citation] = []
        self._by_unit: dict[int, int] = {}

    def add(self, u: Unit, value: Value | None = None) -> int:
        if u.id in self._by_unit:
            return self._by_unit[u.id]
        n = len(self.items) + 1
        self.items.append(citation(self.index, u, n, value))
        self._by_unit[u.id] = n
        return n


def citation(index: Index, u: Unit, n: int, value: Value | None = None) -> Citation:
    """A citation of unit ``u``; with ``value``, the value's own raw span is marked inside it."""
    doc = index.docs[u.doc]
    raw = doc.raw[u.start : u.end]
    vs = ve = None
    if value is not None:
        local = normalize(raw)
        p = local.text.find(value.surface)
        if p >= 0:
            a, b = local.raw_span(p, p + len(value.surface))
            vs, ve = u.start + a, u.start + b
    return Citation(
        n=n, doc=u.doc, title=doc.title, section=u.section, start=u.start, end=u.end, text=raw,
        page=doc.page_of(u.start), value_start=vs, value_end=ve,
    )


# ---- helpers ---------------------------------------------------------------------------------------------


def _idf(index: Index) -> dict[str, float]:
    df: dict[str, int] = {}
    for u in index.units:
        for t in set(tokenize(f"{u.text} {u.section}")):
            df[t] = df.get(t, 0) + 1
    n = len(index.units) or 1
    return {t: math.log(1 + n / c) for t, c in df.items()}


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
    """" in fiscal 2024" / " by 2028": the period nearest the value, if one is close."""
    best: tuple[int, Value] | None = None
    for v in find_values(text):
        if v.kind not in ("year", "quarter") or v is value or v.start == value.start:
            continue
        d = min(abs(v.start - value.end), abs(value.start - v.end))
        if d <= 60 and (best is None or d < best[0]):
            best = (d, v)
    if best is None or value.kind in ("year", "quarter"):
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
    t = u.text.strip()
    if u.kind == "table_row":
        return t + "."
    return t


def _names(text: str) -> list[str]:
    """Capitalised names in ``text``: the longest enumeration ("A, B, and C") if there is one."""
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
        return list(dict.fromkeys(best))
    out: list[str] = []
    for m in _NAME.finditer(text):
        name = _clean_name(m.group(0))
        if name and not _generic(name) and name not in out:
            out.append(name)
    return out


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


def _nearest_value(text: str, side: str, vals: list[Value]) -> Value:
    toks = set(tokenize(side))
    pos = [m.start() for m in re.finditer(r"[A-Za-z0-9]+", text) if _tok1(m.group(0)) in toks]
    return min(vals, key=lambda v: min((abs(p - v.start) for p in pos), default=0))
