"""Sentence answers (reasons, descriptions, everything without a value): quote the best units, cited.

A "why" question prefers causal sentences ("because", "driven by", "the risk is") and adds
the sentence that follows the best one, where explanations usually continue. A question
about how the documents differ gets the best sentence of each document, side by side.
"""

from __future__ import annotations

import re

from core.types import Answer, SearchResult
from engine.answer_rank import Candidate, Ranker
from engine.answer_result import abstain, cited_answer
from engine.answer_text import next_unit, quote
from engine.citations import Citations

_CAUSAL = re.compile(
    r"\b(because|due to|as a result|driven by|reflecting|mechanism|the risk is|which is why|so that|since|given|"
    r"as (?:ai|the|it|they)|prevents?|requires?|means?|therefore|thus)\b",
    re.I,
)
_ACROSS_DOCS = re.compile(r"\b(two|both|each|all the|the) (documents|reports|sources|articles|papers)\b|\bdiffer\b", re.I)


def sentence_answer(rk: Ranker, result: SearchResult, cands: list[Candidate]) -> Answer:
    """The best sentence, cited, with up to ``max_support`` close runners-up from the same document."""
    qa = result.question
    body = [c for c in cands if c.su.unit.kind != "heading"] or cands
    if _ACROSS_DOCS.search(qa.text) and len(rk.index.docs) > 1:
        return per_document(rk, result, body)
    if qa.answer_type == "reason":
        for c in body:
            if _CAUSAL.search(c.su.unit.text):
                c.score += 0.05
        body.sort(key=lambda c: -c.score)
    best = body[0]
    if rk.abstains(best):
        return abstain(rk.index, result, cands, rk.confidence(best))
    cites = Citations(rk.index)
    lines = [f"{quote(best.su.unit)} [{cites.add(best.su.unit)}]"]
    follow = next_unit(rk.index.units, best.su.unit)
    if qa.answer_type == "reason" and follow is not None:
        # an explanation usually continues in the next sentence ("The mechanism is ...")
        lines.append(f"{quote(follow)} [{cites.add(follow)}]")
    for c in body[1:4]:
        if len(lines) >= rk.settings.max_support:
            break
        if c.score >= best.score - 0.08 and c.su.unit.doc == best.su.unit.doc:
            lines.append(f"{quote(c.su.unit)} [{cites.add(c.su.unit)}]")
    return cited_answer(result, " ".join(lines), cites, abstained=False, value=None, confidence=rk.confidence(best))


def per_document(rk: Ranker, result: SearchResult, body: list[Candidate]) -> Answer:
    """"How do the reports differ ...": the best sentence of each document, side by side."""
    best_by_doc: dict[str, Candidate] = {}
    for c in body:
        best_by_doc.setdefault(c.su.unit.doc, c)
    picks = sorted(best_by_doc.values(), key=lambda c: -c.score)[:3]
    if not picks or rk.abstains(picks[0]):
        return abstain(rk.index, result, body, rk.confidence(picks[0]) if picks else 0.0)
    cites = Citations(rk.index)
    lines = [f"{rk.index.docs[c.su.unit.doc].title}: {quote(c.su.unit)} [{cites.add(c.su.unit)}]" for c in picks]
    return cited_answer(result, " ".join(lines), cites, abstained=False, value=None, confidence=rk.confidence(picks[0]))
