"""Metric facts: every value in a segment (:func:`core.values.find_values`) with the metric it
measures, its subject, period and qualifier (target, range, projection of a scenario)."""

from __future__ import annotations

import re
from typing import Any

from core.values import Value, find_values
from kg import lexicon as lx
from kg.extract.metric_names import metric_name
from kg.extract.state import (
    ACTOR_TYPES,
    COMPANY,
    METRIC,
    PRODUCT,
    PRONOUNS,
    SCENARIO,
    SEGMENT,
    DocState,
    Named,
    Seg,
)
from kg.extract.text import singular_phrase, starts_with_name

_KEPT_COUNT_NOUNS = ("customers", "users", "employees")  # plain counts of other things are not metrics
_KEPT_DURATIONS = ("ms", "second", "minute", "hour")
_LEADING_PERIOD = re.compile(
    r"^(?:(?:fiscal|FY)\s*(?:19|20)?\d\d|(?:19|20)\d\d|annual|quarterly|monthly|yearly|full-year)\s+", re.I
)


def metrics(st: DocState) -> None:
    """A metric fact for every value of every segment that measures a named metric of a subject."""
    for seg in st.segs:
        _segment_metrics(st, seg)


def _measurable(st: DocState, seg: Seg, vals: list[Value], k: int) -> Value | None:
    """The value ``vals[k]`` as a metric value, or ``None`` when it is not one (a plain number, a
    long duration, a count of things; a heading's values except scores)."""
    v = vals[k]
    if v.kind == "duration" and v.unit not in _KEPT_DURATIONS:
        return None
    if st.units[seg.unit].kind == "heading" and v.kind not in ("score",):
        return None
    if v.kind == "number":
        v = _from_to(seg.text, vals, k) or v
        if v.kind == "number":
            return None
    if v.kind == "count" and v.unit == "count" and v.noun not in _KEPT_COUNT_NOUNS:
        return None
    return v


def _segment_metrics(st: DocState, seg: Seg) -> None:
    vals = find_values(seg.text)
    prev_end = 0
    last_subj: Named | None = None
    for k, raw in enumerate(vals):
        if raw.kind in ("year", "quarter") or (id(seg), raw.start) in st.used_values:
            prev_end = raw.end
            continue
        v = _measurable(st, seg, vals, k)
        if v is None:
            continue
        metric = metric_name(st, seg, v)
        if not metric:
            prev_end = v.end
            continue
        name, owner = metric
        window = seg.text[prev_end : v.start]
        if last_subj and re.search(r"\bwith\b", window) and not any(prev_end <= o.start < v.start for o in seg.occ):
            subj = last_subj  # "$1 billion in X ARR by 2028 with 25%+ gross margins"
        else:
            subj = subject(st, seg, v, name, owner)
        if not subj:
            continue
        last_subj = subj
        if re.fullmatch(r"[A-Z]{2,6}", name) and subj[0] != st.focus and subj[1] in (SEGMENT, PRODUCT, COMPANY):
            name = f"{subj[0]} {name}"  # "Acme achieves $1 billion in ARR" -> "Acme ARR"
        metric_fact(st, seg, subj[0], subj[1], name, v, period(st, seg, v), qualifier(seg, v, window))
        prev_end = v.end


def metric_fact(st: DocState, seg: Seg, subj: str, stype: str, metric: str, v: Value, period: str | None,
                qual: str | None) -> None:
    """Record ``subj HAS_METRIC metric = v`` (and the scenario's ``PROJECTS`` in a scenario section)."""
    metric = lx.canonical_metric(_LEADING_PERIOD.sub("", metric.strip()))
    if not metric:
        return
    ui = seg.unit
    singular = singular_phrase(metric)
    st.mention(singular, METRIC, 2.0, ui, (metric,) if singular != metric else ())
    qual = qual or v.qualifier
    if v.high is not None and qual is None:
        qual = "range"
    scen = st.scenario_of.get(ui)
    attrs: dict[str, Any] = {}
    if v.of is not None:
        attrs["of"] = v.of
    if scen:
        qual = f"projection:{scen[1]}"
        attrs["scenario"] = scen[0]
    st.fact(subj, stype, "HAS_METRIC", ui, singular, METRIC, metric=singular, value=v.value, value_high=v.high,
            unit=v.unit or None, period=period, qualifier=qual, surface=v.surface, attrs=attrs)
    if scen:
        st.fact(scen[0], SCENARIO, "PROJECTS", ui, singular, METRIC,
                attrs={"value": v.surface, "period": period, "subject": subj})


def _from_to(text: str, vals: list[Value], k: int) -> Value | None:
    """ "from 8,800 employees to 12,000": the plain number ``vals[k]`` as a count like the one before it."""
    v = vals[k]
    if k == 0 or not re.search(r"\bto\s+(?:approximately\s+|about\s+|~)?$", text[: v.start], re.I):
        before = text[vals[k - 1].end : v.start] if k else ""
        if not re.fullmatch(r"\s+to\s+(?:approximately|about|around|roughly)?\s*", before or "x"):
            return None
    prev = vals[k - 1]
    if prev.kind != "count":
        return None
    return Value("count", v.start, v.end, v.surface, v.value, None, prev.unit, v.qualifier, noun=prev.noun)


def subject(st: DocState, seg: Seg, v: Value, metric: str, owner: str | None) -> Named | None:
    """Whose metric a value is: the owner in the phrase, a name the metric starts with, the clause's
    grammatical subject, the row entity of a table, the last name before it, the section heading's
    entity, and finally the document's focus."""
    if owner:
        occ = next((o for o in seg.occ if seg.text[o.start : o.end] == owner or o.name == owner), None)
        if occ:
            return occ.name, occ.type
    low = metric.lower()
    for n, t in sorted(st.all_names().items(), key=lambda x: -len(x[0])):
        if t in ACTOR_TYPES and starts_with_name(low, n.lower()):
            return n, t
    subj = _nsubj(st, seg, v)
    if subj:
        return subj
    row = st.row_entity.get(seg.unit)
    if row and seg.col > 0:
        return row
    before = [o for o in seg.occ if o.end <= v.start and o.type in ACTOR_TYPES]
    if before:
        return before[-1].name, before[-1].type
    head = st.heading_entity(seg.unit)
    if head:
        return head
    return (st.focus, COMPANY) if st.focus else None


def _nsubj(st: DocState, seg: Seg, v: Value) -> Named | None:
    """The entity that is the grammatical subject of the value's clause (spaCy dependencies)."""
    sp = seg.sp
    if sp is None or not sp.has_annotation("DEP"):
        return None
    tok = next((t for t in sp if t.idx >= v.start), None)
    seen = 0
    while tok is not None and seen < 12:
        seen += 1
        for ch in tok.children:
            if ch.dep_ in ("nsubj", "nsubjpass"):
                a, b = min(x.idx for x in ch.subtree), max(x.idx + len(x.text) for x in ch.subtree)
                occ = [o for o in seg.occ if a <= o.start and o.end <= b and o.type in ACTOR_TYPES]
                head_occ = [o for o in occ if o.start <= ch.idx < o.end]
                if head_occ:
                    return head_occ[0].name, head_occ[0].type
                phrase = seg.text[a:b].lower()
                if phrase in PRONOUNS and st.focus:
                    return st.focus, COMPANY
                cls = [o for o in seg.occ if o.start <= ch.idx < o.end]
                if cls:
                    return cls[0].name, cls[0].type
                names = st.all_names()
                known = next((n for n, t in names.items() if t in ACTOR_TYPES and n.lower() == phrase.strip()), None)
                if known:
                    return known, names[known]
                return None
        if tok.head is tok:
            break
        tok = tok.head
    return None


def _year_text(x: Value) -> str:
    """A year or quarter value as a period: ``"2 Q"``-style quarters, ``FY2024``, ``2024``."""
    if x.kind == "quarter":
        return f"{int(x.value)} {x.unit}"
    return f"FY{int(x.value)}" if x.qualifier == "fiscal" else str(int(x.value))


def period(st: DocState, seg: Seg, v: Value) -> str | None:
    """The period of a value: the nearest year or quarter of its clause, a fiscal-year column header,
    a period word ("annual", "next year"), or a year in the section's heading."""
    text = seg.text
    clause_a = max(text.rfind(";", 0, v.start), text.rfind(",", 0, v.start) if seg.col >= 0 else -1) + 1
    clause_b = min([x for x in (text.find(";", v.end), text.find(",", v.end)) if x >= 0] or [len(text)])
    best = None
    for x in (x for x in find_values(text) if x.kind in ("year", "quarter")):
        if not (clause_a <= x.start < clause_b):
            continue
        d = abs(x.start - v.end) if x.start >= v.end else abs(v.start - x.end) + 5
        if best is None or d < best[0]:
            best = (d, x)
    if best:
        x = best[1]
        if x.kind == "quarter" or x.qualifier == "fiscal":
            return _year_text(x)
        prefix = re.search(r"\b(since|early|late|mid)\s+$", text[: x.start])
        return f"{prefix.group(1)} {int(x.value)}" if prefix and prefix.group(1) == "since" else str(int(x.value))
    if seg.header:
        hdrs = [seg.header, *st.headers.get(seg.unit, [])]
        fy = next((m for m in (re.search(r"\bFY\s?(\d{4}|\d{2})\b", h) for h in hdrs) if m), None)
        if fy:
            y = fy.group(1)
            return f"FY{y if len(y) == 4 else '20' + y}"
    for word, norm in lx.cues()["period_words"].items():
        if re.search(rf"\b{re.escape(word)}\b", text[v.end : clause_b] + " " + text[clause_a : v.start], re.I):
            return norm
    return _heading_period(st, seg.unit)


def _heading_period(st: DocState, ui: int) -> str | None:
    """A period in the heading of the section ("Data Snapshot (FY 2025)")."""
    sec = st.units[ui].section
    for k in range(ui - 1, -1, -1):
        u = st.units[k]
        if u.kind == "heading" and " | " not in u.text:
            if u.section != sec:
                break
            hv = [x for x in find_values(u.text) if x.kind in ("year", "quarter")]
            return _year_text(hv[-1]) if hv else None
    return None


def qualifier(seg: Seg, v: Value, window: str) -> str | None:
    """ "target", "range", "benchmark", "conditional" from the words around the value, else the value's own."""
    near = window[-60:]
    tail = seg.text[v.end : v.end + 12]
    if lx.cue_re("target").search(near) or re.match(r"\s*target\b", tail, re.I):
        return "target"
    if re.match(r"\s*range\b", tail) or (seg.header and any(h in seg.header.lower() for h in ("benchmark", "peer"))):
        return "range" if v.high is not None else (v.qualifier or "benchmark")
    if re.match(r"\s*if\b", seg.text, re.I):
        return "conditional"
    return v.qualifier
