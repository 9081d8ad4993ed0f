"""Combine the passage answer with the knowledge graph's answer.

The graph answers from typed facts (values, relation lists, two-hop combinations), each fact
carrying evidence spans; the passages answer from retrieved sentences. The rules:

* the passages abstained and the graph is confident: the graph answers (route ``graph``);
* both give the same value or overlapping lists: the fuller answer, citing both (``both``);
* a two-hop question the passages cannot combine: the graph answers (``graph``);
* otherwise the passage answer stands (``passages``).

Facts that conflict (same subject, metric and period, different values) are shown with both
values and both citations.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from core.interfaces import DocumentStore, GraphStore
from core.safety import Quarantine
from core.types import Answer, Citation, Evidence, Fact, SearchResult
from core.values import find_values, same_number
from engine.answer import LOOSE_LIST, OfflineAnswerer
from engine.citations import evidence_citation
from kg.query import GraphHit, graph_answer
from retrieval.lexical import tokenize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GraphContext:
    """What the graph route reads: the citable text, the graph, and the offline answerer's checks."""

    index: DocumentStore
    graph: GraphStore
    offline: OfflineAnswerer
    quarantine: Quarantine = field(default_factory=Quarantine)  # instruction-like passages: never cited

MIN_SCORE = 0.6
_PRESENT = re.compile(r"\b(today|now|currently|current|at present|these days)\b", re.I)
_FUTURE = re.compile(r"\b(if|by 20\d\d|would|could|target(?:s|ing)?|projects?|expects?)\b", re.I)


def _forward_looking(f: Fact) -> bool:
    """A projection, target or condition rather than a reported figure."""
    q = f.qualifier or ""
    if q.startswith("projection") or q in ("target", ">="):
        return True
    return any(_FUTURE.search(ev.text) for ev in f.evidence[:1])


def merge_graph_answer(ctx: GraphContext, answer: Answer, result: SearchResult) -> Answer:
    """Return ``answer``, or a graph-routed or combined answer (see module docstring)."""
    hit = _safe_graph_answer(ctx, result.question.text)
    if hit is None or hit.score < MIN_SCORE or not hit.facts:
        return answer
    evidence = _evidence(hit.facts)
    if not evidence or not _fits_question(ctx, result, hit, evidence):
        return answer
    relation = bool(hit.relation) and hit.score >= 0.8  # "Who owns X?" read off a typed edge
    if answer.abstained and hit.kind == "value" and (answer.confidence or 0.0) <= 0.0 and not relation:
        return answer  # the passages ruled the question out (a period or name the corpus lacks)
    if answer.abstained or hit.kind == "multi_hop":
        return _graph_only(ctx, answer, hit, evidence)
    if hit.kind == "value" and _same_value(answer.value, hit.value):
        return _add_citations(ctx, answer, evidence, hit.conflicts)
    if hit.kind == "value" and relation:  # a typed relation beats a name picked out of a sentence
        return _graph_only(ctx, answer, hit, evidence)
    if hit.kind == "list" and result.question.answer_type in ("list", "name"):
        ours = _items(answer.value)
        theirs = _items(hit.value or hit.text)
        loose = LOOSE_LIST in answer.notes
        if theirs and (not ours or ours < theirs or (loose and hit.score >= 0.8)):  # fuller, or ours is weak
            merged = _graph_only(ctx, answer, hit, evidence)
            merged.route = "both" if ours & theirs else "graph"
            return merged
    if hit.conflicts:
        answer = _with_conflicts(ctx, answer, hit.conflicts)
    return answer


def _with_conflicts(ctx: GraphContext, answer: Answer, conflicts: list[dict[str, Any]]) -> Answer:
    """State every side of a conflict the answer touches, each with its citation."""
    cites = list(answer.citations)
    extra = _conflict_text(ctx, conflicts, cites)
    if extra:
        answer.citations = cites
        answer.text += extra
    answer.conflicts = list(conflicts)
    return answer


def two_hop_answer(ctx: GraphContext, result: SearchResult) -> Answer | None:
    """The graph's answer to a whole multi-part question, when it can combine facts (else ``None``)."""
    hit = _safe_graph_answer(ctx, result.question.text)
    if hit is None or hit.kind != "multi_hop" or hit.score < MIN_SCORE:
        return None
    evidence = _evidence(hit.facts)
    if not evidence or not _fits_question(ctx, result, hit, evidence):
        return None
    placeholder = Answer(result.question.text, "", [], True, "none", passages=result.passages)
    out = _graph_only(ctx, placeholder, hit, evidence)
    return None if out is placeholder else out


def _safe_graph_answer(ctx: GraphContext, question: str) -> GraphHit | None:
    """The graph's answer, or ``None`` if the graph fails (the passages must still answer) or
    rests on a fact read only from a quarantined, instruction-like passage."""
    try:
        hit = graph_answer(ctx.graph, question)
    except Exception:
        log.exception("graph answer failed for %r; answering from passages", question[:200])
        return None
    if hit is not None and ctx.quarantine.spans and any(
        f.evidence and all(_quarantined(ctx, ev) for ev in f.evidence) for f in hit.facts
    ):
        return None
    return hit


def _quarantined(ctx: GraphContext, ev: Evidence) -> bool:
    return ctx.quarantine.covers(ev.doc, ev.start, ev.end)


def _fits_question(ctx: GraphContext, result: SearchResult, hit: GraphHit, evidence: list[Evidence]) -> bool:
    """The same checks the passage answerer applies: named periods and names must be in the evidence."""
    qan = result.question
    answerer = ctx.offline
    if answerer.unknown_names(qan):
        return False
    years = {int(v.value) for v in qan.values if v.kind in ("year", "quarter")}
    if years and hit.kind == "value":
        periods = " ".join(f.period or "" for f in hit.facts)
        if not any(str(y) in periods or str(y)[2:] in periods for y in years):
            return False
    if _PRESENT.search(qan.text) and any(_forward_looking(f) for f in hit.facts):
        return False  # "what margin does it earn today" is not answered by a 2028 target
    names = answerer.required_names(qan)
    seen = set(tokenize(" ".join(ev.text for ev in evidence) + " " + hit.text))
    return not names - seen


def _evidence(facts: list[Fact]) -> list[Evidence]:
    seen: set[tuple[str, int, int]] = set()
    out = []
    for f in facts:
        for ev in f.evidence[:1]:  # one span per fact keeps the answer readable
            key = (ev.doc, ev.start, ev.end)
            if key not in seen:
                seen.add(key)
                out.append(ev)
    return out


def _graph_only(ctx: GraphContext, answer: Answer, hit: GraphHit, evidence: list[Evidence]) -> Answer:
    cites: list[Citation] = []
    for ev in evidence:
        c = evidence_citation(ctx.index, ev, len(cites) + 1)
        if c is not None:
            cites.append(c)
    if not cites:
        return answer
    marks = "".join(f"[{c.n}]" for c in cites)
    text = f"{hit.text.rstrip('.')} {marks}."
    text += _conflict_text(ctx, hit.conflicts, cites)
    return Answer(
        question=answer.question, text=text, citations=cites, abstained=False, route="graph",
        passages=answer.passages, timings_ms=answer.timings_ms, answer_type=answer.answer_type,
        value=hit.value or hit.text, mode=answer.mode, notes=[*answer.notes, f"graph route: {hit.kind}"],
        conflicts=list(hit.conflicts), confidence=hit.score,
    )


def _add_citations(ctx: GraphContext, answer: Answer, evidence: list[Evidence], conflicts: list[dict[str, Any]]) -> Answer:
    have = {(c.doc, c.start, c.end) for c in answer.citations}
    have_units = [(c.doc, c.start, c.end) for c in answer.citations]
    cites = list(answer.citations)
    for ev in evidence:
        inside = any(d == ev.doc and s <= ev.start and ev.end <= e for d, s, e in have_units)
        if (ev.doc, ev.start, ev.end) in have or inside:
            continue
        c = evidence_citation(ctx.index, ev, len(cites) + 1)
        if c is not None:
            cites.append(c)
    answer.citations = cites
    answer.route = "both"
    if conflicts:
        answer.citations = cites
        return _with_conflicts(ctx, answer, conflicts)
    return answer


def _conflict_text(ctx: GraphContext, conflicts: list[dict[str, Any]], cites: list[Citation]) -> str:
    """" Sources disagree: $5M [2] vs $6M [3]." with a citation for each side."""
    parts = []
    for conf in conflicts[:2]:
        sides = []
        for side in conf.get("values", []):
            ev = side.get("evidence")
            if isinstance(ev, list):  # the store lists every span; the first is enough to cite
                ev = ev[0] if ev else None
            if isinstance(ev, dict):
                ev = Evidence(ev["doc"], ev["start"], ev["end"], ev["text"])
            if isinstance(ev, Evidence) and _quarantined(ctx, ev):
                continue  # a side read from an instruction-like passage is not a source
            n = None
            if isinstance(ev, Evidence):
                n = next((c.n for c in cites if (c.doc, c.start, c.end) == (ev.doc, ev.start, ev.end)), None)
                if n is None:
                    c = evidence_citation(ctx.index, ev, len(cites) + 1)
                    if c is not None:
                        cites.append(c)
                        n = c.n
            label = side.get("surface") or side.get("value")
            sides.append(f"{label} [{n}]" if n else f"{label}")
        if len(sides) >= 2:
            parts.append(f" Sources disagree on {conf.get('metric', 'this value')}: " + " vs ".join(sides) + ".")
    return "".join(parts)


def _same_value(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    va, vb = find_values(a), find_values(b)
    if not va or not vb:
        return a.strip().lower() == b.strip().lower()
    x, y = va[0], vb[0]
    return x.kind == y.kind and same_number(x.value, y.value) and (x.high is None) == (y.high is None)


def _items(text: str | None) -> set[str]:
    if not text:
        return set()
    parts = re.split(r",\s*|\s+and\s+|;\s*", text)
    return {p.strip(" .").lower() for p in parts if p.strip(" .")}
