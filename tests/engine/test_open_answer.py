"""Open answers point by point (engine/open_answer.py), on a second company's corpus and the bundled one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from analyst_corpus import (
    BEAR,
    CHECK_FILE,
    CONCENTRATION,
    DOCUMENTS,
    LEAD_NARROWING,
    PRICE_DECLINE,
    REPORT_FILE,
    SECOND_SOURCE,
)

from core.normalize import normalize
from core.types import Answer
from engine.open_answer import MAX_POINTS
from eval.open_metrics import displayed_sentences, repeated_sentences


def _cited_texts(a: Answer) -> list[str]:
    by_n = {c.n: c.text for c in a.citations}
    return [" ".join(normalize(by_n[n]).text.split()) for p in a.points for n in p.citations]


def _check_shape(a: Answer, raw: dict[str, str]) -> None:
    """Every open answer: points, each cited with exact spans, no echo of the question, nothing said twice."""
    assert a.answer_type == "open" and not a.abstained
    assert 1 <= len(a.points) <= MAX_POINTS + 1  # a last point may say where the documents differ
    assert all(p.citations for p in a.points)
    for c in a.citations:
        assert raw[c.doc][c.start : c.end] == c.text
    q = a.question.rstrip("?").strip().lower()
    assert not a.text.lower().startswith(q) and q not in a.text.lower()
    assert repeated_sentences(displayed_sentences(a)) == 0
    marks = {int(n) for n in re.findall(r"\[(\d+)\]", a.text)}
    assert marks == {n for p in a.points for n in p.citations}
    d = a.to_dict()
    assert d["answer_type"] == "open" and d["points"] and all(set(p) == {"text", "citations"} for p in d["points"])


def test_weaknesses_are_the_stated_weaknesses_not_the_nearest_list(analyst_qa: Any) -> None:
    a = analyst_qa.ask("What are the weaknesses of Veyra's business?")
    _check_shape(a, DOCUMENTS)
    cited = " ".join(_cited_texts(a))
    stated = [LEAD_NARROWING, CONCENTRATION, PRICE_DECLINE]
    found = [s for s in stated if " ".join(normalize(s).text.split())[:40] in cited]
    assert len(found) >= 2, a.text


def test_summary_of_a_named_section_gives_its_points_in_order(analyst_qa: Any) -> None:
    a = analyst_qa.ask("Summarize the bear case for Veyra.")
    _check_shape(a, DOCUMENTS)
    texts = [p.text for p in a.points]
    positions = []
    for sentence in BEAR:
        hit = next((i for i, t in enumerate(texts) if t.rstrip(".") in sentence or sentence.rstrip(".") in t), None)
        assert hit is not None, (sentence, texts)
        positions.append(hit)
    assert positions == sorted(positions)  # the section reads in its own order


def test_risks_to_a_part_are_about_that_part(analyst_qa: Any) -> None:
    a = analyst_qa.ask("What are the risks to Veyra's test services?")
    _check_shape(a, DOCUMENTS)
    cited = _cited_texts(a)
    assert any(SECOND_SOURCE.rstrip(".") in t or "insource testing" in t for t in cited), a.text
    by_n = {c.n: c.text for c in a.citations}
    for p in a.points:  # every point bears on test services (or is the table row that rates them)
        assert re.search(r"\btest", by_n[p.citations[0]], re.I), p.text


def test_documents_that_qualify_each_other_are_both_cited(analyst_qa: Any) -> None:
    a = analyst_qa.ask("How do the documents view Veyra's competitive position?")
    _check_shape(a, DOCUMENTS)
    docs = {c.doc for c in a.citations}
    assert docs == {REPORT_FILE, CHECK_FILE}
    note = a.points[-1]
    assert "differ" in note.text and len(note.citations) == 2
    cited_docs = {c.doc for c in a.citations if c.n in note.citations}
    assert cited_docs == {REPORT_FILE, CHECK_FILE}


def test_unknown_subject_abstains(analyst_qa: Any) -> None:
    a = analyst_qa.ask("What are the risks to Veyra's Zentrix joint venture?")
    assert a.abstained and not a.points


@pytest.mark.parametrize("question", [
    "What are the weaknesses of Twilio's CPaaS business?",
    "Summarize the bear case for Twilio.",
    "Why did Twilio acquire Segment?",
])
def test_bundled_corpus_open_answers_are_points(qa: Any, question: str) -> None:
    raw = {d: r.raw for d, r in qa.index.docs.items()}
    a = qa.ask(question)
    _check_shape(a, raw)
    assert len(a.points) >= 2


def test_long_sentence_is_cut_to_the_clause_and_cited_exactly(qa: Any) -> None:
    a = qa.ask("Why is Twilio's communications segment exposed to AI disruption?")
    raw = {d: r.raw for d, r in qa.index.docs.items()}
    _check_shape(a, raw)
    by_n = {c.n: c for c in a.citations}
    for p in a.points:
        c = by_n[p.citations[0]]
        body = " ".join(normalize(c.text).text.split()).lower()
        assert " ".join(p.text.rstrip(".").split()).lower() in body
