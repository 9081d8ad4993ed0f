"""Value answers: "About $4.46 billion in fiscal 2024 [1]." read off the best candidate unit.

1. keep candidates that hold a value of a kind the question asks for (not one the question
   itself states, not a unit price when it asks for a total);
2. in the best few, pick the value whose clause shares most (rare) question words, and keep
   it only if that clause is about the question (:func:`anchored`);
3. state it with its qualifier ("About", "Over") and its own period (" in fiscal 2024"),
   cite the unit with the value marked, and quote other units that state the same value.

>>> from core.values import find_values
>>> text = "Revenue was $4.46 billion in fiscal 2024, up 12%."
>>> period_phrase(text, find_values(text)[0])
' in fiscal 2024'
"""

from __future__ import annotations

import re

from core.types import Answer, QuestionAnalysis, SearchResult, Unit
from core.values import Value, find_values, format_value, same_number
from engine.answer_rank import Candidate, Ranker
from engine.answer_result import abstain, cited_answer
from engine.answer_text import CLAUSE, capitalised, quote, tok1
from engine.citations import Citations
from retrieval.lexical import concepts, tokenize

_BEFORE = re.compile(r"\b(before|prior|previous(ly)?|originally|initially|at (its|the) peak|used to)\b", re.I)
_AFTER = re.compile(r"\b(after|now|currently|today|latest|by (early|late|mid|the end))\b", re.I)
_APPROX_WORD = {"approx": "About", "over": "Over", ">=": "At least", "<": "Under", "<=": "Up to"}
_PREPOSITIONS = {"by", "in", "since", "through", "during", "for", "until"}


def value_answer(rk: Ranker, result: SearchResult, cands: list[Candidate]) -> Answer:
    """The value the question asks for, cited, or an abstention when no anchored value is strong enough."""
    qa = result.question
    typed = _typed_candidates(rk, qa, cands)
    if not typed or rk.abstains(typed[0]):
        return abstain(rk.index, result, typed or cands, rk.confidence(typed[0]) if typed else 0.0)
    picked = _first_anchored(rk, qa, typed)
    if picked is None:
        return abstain(rk.index, result, typed, min(rk.confidence(typed[0]), rk.settings.abstain_threshold - 0.01))
    best, value = picked
    shown = show(value)
    if value.kind == "number" and qa.answer_type == "count":
        m = re.search(r"\bhow many\s+([a-z-]+)", qa.text, re.I)
        shown = f"{shown} {m.group(1)}" if m else shown
    first = _stated(value, shown)
    first = first[0].upper() + first[1:]
    cites = Citations(rk.index)
    lines = [f"{first}{period_phrase(best.su.unit.text, value)} {cites.marks(best.su.unit, value)}."]
    rival = _rival(rk, qa, best, value, typed)
    if rival is not None:  # two documents disagree: state both, each with its source, pick neither
        rc, rv = rival
        lines = [
            f"Sources disagree: {rk.index.docs[best.su.unit.doc].title} gives {lines[0].rstrip('.')}; "
            f"{rk.index.docs[rc.su.unit.doc].title} gives {_stated(rv, show(rv), lower=True)}{period_phrase(rc.su.unit.text, rv)} "
            f"{cites.marks(rc.su.unit, rv)}."
        ]
    for c, v in _support(best, value, typed)[: rk.settings.max_support]:
        lines.append(f"{quote(c.su.unit)} {cites.marks(c.su.unit, v)}")
    answer = cited_answer(result, " ".join(lines), cites, abstained=False, value=shown, confidence=rk.confidence(best))
    if rival is not None:
        answer.conflicts = [{
            "subject_name": "", "metric": "the value asked for", "period": "", "source": "passages",
            "values": [{"surface": v.surface, "doc": c.su.unit.doc} for c, v in ((best, value), rival)],
        }]
    return answer


def _stated(v: Value, shown: str, lower: bool = False) -> str:
    """The value with its qualifier: "About $4.46 billion" ("about ..." inside a sentence)."""
    lead = _APPROX_WORD.get(v.qualifier or "", "")
    if lead and lower:
        lead = lead.lower()
    return f"{lead} {shown}".strip() if lead else shown


def _rival(rk: Ranker, qa: QuestionAnalysis, best: Candidate, value: Value,
           typed: list[Candidate]) -> tuple[Candidate, Value] | None:
    """A strong candidate from another document whose own value for the question differs:
    a planted or outdated document must not silently win (docs/security.md).

    Any of the top typed units may be the rival, however far below the best it ranks: a short
    sentence that states only the value outranks a long passage that states it among other
    things, so a score margin would depend on phrasing and chunking, not on the sources. What
    makes it a rival is evidence: it answers on its own (no abstention), covers the question's
    rare words about as well, and its value's clause speaks of the same quantity."""
    # what the best value is said to be: the question's words in its clause, names and years aside
    names = set(capitalised(qa.text))  # a name may sit in the passage around the clause
    about = {t for t in set(tokenize(anchor_text(best.su.unit, value))) & set(qa.tokens)
             if t not in names and not t.isdigit()}
    if not about:
        return None
    for c in typed[1:6]:
        if c.su.unit.doc == best.su.unit.doc or rk.abstains(c) or c.coverage < best.coverage - 0.15:
            continue
        v = pick_value(rk, qa, c)
        if v.kind != value.kind or not anchored(rk, qa, c.su.unit, v) or not about <= set(tokenize(anchor_text(c.su.unit, v))):
            continue  # another quantity, not another value of the same one
        if same_number(v.value, value.value) or (v.high is not None and value.high is not None):
            return None  # the best other source agrees (or both give ranges): nothing to flag
        return c, v
    return None


def _typed_candidates(rk: Ranker, qa: QuestionAnalysis, cands: list[Candidate]) -> list[Candidate]:
    """Candidates holding a value of a kind the question asks for, re-scored on how well that kind fits."""
    typed: list[Candidate] = []
    for c in cands[:25]:
        if not c.period_ok:
            continue  # "FY2023 revenue" is not answered by a sentence about 2024
        vals = [
            v for v in rk.values_of(c.su.unit)
            if v.kind in qa.kinds and not asked(v, qa)
            and not (qa.aggregate_money and v.kind == "money" and v.value < 1000)  # a unit price is no total
        ]
        if not vals:
            continue
        c.values = vals
        rank = min(value_rank(qa, v) for v in vals)
        bonus = 0.15 if rank == 0 else 0.07
        if qa.wants_range and any(v.is_range for v in vals):
            bonus += 0.08
        if c.su.unit.kind == "heading":
            bonus -= 0.1  # "1-3 Years (Near Term)" labels a section; it rarely answers
        typed.append(Candidate(c.su, c.score + bonus, c.coverage, vals, c.period_ok))
    typed.sort(key=lambda c: -c.score)
    return typed


def _first_anchored(rk: Ranker, qa: QuestionAnalysis, typed: list[Candidate]) -> tuple[Candidate, Value] | None:
    """The best candidate whose value belongs to the part of the sentence the question is about
    (not "... (over $10 million in the past year)" in a sentence about another sale)."""
    for c in typed[:3]:
        if c.score < typed[0].score - 0.15 or rk.abstains(c):
            break
        v = pick_value(rk, qa, c)
        if anchored(rk, qa, c.su.unit, v):
            return c, v
    return None


def _support(best: Candidate, value: Value, typed: list[Candidate]) -> list[tuple[Candidate, Value]]:
    """The evidence itself, then other passages only if they state the same value."""
    support = [(best, value)]
    for c in typed[1:6]:
        same = [v for v in c.values if v.kind == value.kind and same_number(v.value, value.value)
                and (v.high is None) == (value.high is None)]
        if same and c.su.unit.id != best.su.unit.id and c.score >= best.score - 0.25:
            support.append((c, same[0]))
    return support


def pick_value(rk: Ranker, qa: QuestionAnalysis, c: Candidate) -> Value:
    """The value whose clause shares most (rare) question words, then the nearest one."""
    text = c.su.unit.text
    q_tokens = set(qa.tokens) | {t for _, group in concepts(qa.text) for t in group}
    words = [
        (m.start(), rk.idf.get(t, rk.idf_unknown))
        for m in re.finditer(r"[A-Za-z0-9]+(?:\.[0-9]+)?", text)
        if (t := tok1(m.group(0))) and t in q_tokens
    ]
    clauses = [(m.start(), m.end()) for m in CLAUSE.finditer(text)]
    # a period the question names ("by early 2024") pins the value next to it
    q_years = {int(v.value) for v in qa.values if v.kind in ("year", "quarter")}
    anchors = [v.start for v in rk.values_of(c.su.unit) if v.kind in ("year", "quarter") and int(v.value) in q_years]
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

    best_rank = min(value_rank(qa, v) for v in c.values)
    return max((v for v in c.values if value_rank(qa, v) == best_rank), key=score)


def anchored(rk: Ranker, qa: QuestionAnalysis, u: Unit, v: Value) -> bool:
    """Does the value's own clause speak of the question, compared with the unit's other clauses?"""
    anchor = anchor_text(u, v)
    if rk.weight_in(qa, anchor) <= 0:
        return False
    # a name the question is about must sit next to the value, not elsewhere in the sentence
    names = rk.required_names(qa)
    in_unit = names & set(tokenize(u.text))
    return not in_unit or bool(in_unit & set(tokenize(anchor))) or u.kind == "table_row"


def anchor_text(u: Unit, v: Value) -> str:
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
    for m in CLAUSE.finditer(t):
        if m.start() <= v.start < m.end():
            clause = m.group(0)
            return t if len(clause.split()) < 4 else clause
    return t


def value_rank(qa: QuestionAnalysis, v: Value) -> int:
    """Preference of a value kind for this question; a bare number counts as a count."""
    if v.kind == "number" and qa.answer_type == "count":
        return 0
    return qa.kinds.index(v.kind)


def asked(v: Value, qa: QuestionAnalysis) -> bool:
    """A value the question itself states ("by 2028") is not the answer to it."""
    return any(q.kind == v.kind and same_number(q.value, v.value, 0) and q.high == v.high for q in qa.values)


def show(v: Value) -> str:
    """The value in canonical form; small money amounts keep the report's own decimals ($0.50)."""
    if v.kind == "count":
        return f"{format_value('number', v.value)} {v.noun or ''}".strip()
    if v.kind in ("money", "number") and v.high is None and abs(v.value) < 1e6:
        m = re.search(r"\$?\s?\d[\d,]*(?:\.\d+)?", v.surface)
        if m:
            return m.group(0).replace(" ", "")
    return v.as_text()


def period_phrase(text: str, value: Value) -> str:
    """" in fiscal 2024" / " by 2028": the period of the value's own clause, else the nearest one close by."""
    if value.kind in ("year", "quarter"):
        return ""
    clause = next(((m.start(), m.end()) for m in CLAUSE.finditer(text) if m.start() <= value.start < m.end()), (0, len(text)))
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
    if len(before) == 2 and before[0].lower() in _PREPOSITIONS and before[1].lower() in {"early", "late", "mid", "end"}:
        return f" {before[0].lower()} {before[1].lower()} {v.surface}"
    prep = before[-1].lower() if before and before[-1].lower() in _PREPOSITIONS else "in"
    return f" {prep} {v.surface}"
