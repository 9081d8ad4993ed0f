"""The graph route on a small hand-built NetworkXGraphStore over the tiny index's documents."""

from __future__ import annotations

import re

import pytest
from tiny_corpus import (
    ACQUISITION_SENTENCE,
    COMPANY,
    NOTE_FILE,
    NOTE_REVENUE_SENTENCE,
    REVENUE_2023,
    REVENUE_2023_NOTE,
    REVENUE_SENTENCE,
    REVIEW_FILE,
    TARGET,
    Tiny,
)

from core.types import Answer, Entity, Evidence, Fact
from core.values import find_values
from engine.answer import OfflineAnswerer
from engine.graph_route import GraphContext, merge_graph_answer, two_hop_answer
from kg.store import NetworkXGraphStore

QUILL, OAT, REVENUE = "company:quillfeather", "company:oatfield", "metric:revenue"


def evidence(tiny: Tiny, doc: str, sentence: str) -> Evidence:
    start = tiny.index.docs[doc].raw.index(sentence)
    return Evidence(doc, start, start + len(sentence), sentence)


def revenue_fact(ev: Evidence, surface: str) -> Fact:
    (v,) = find_values(surface)
    return Fact(QUILL, "HAS_METRIC", REVENUE, metric="revenue", value=v.value, unit="USD", period="FY2023",
                surface=surface, evidence=[ev])


def graph(tiny: Tiny, acquisition: Evidence | None = None) -> NetworkXGraphStore:
    """Two companies, an acquisition, and two revenue figures for one year that disagree."""
    entities = [
        Entity(QUILL, "Company", COMPANY, ["Quillfeather"]),
        Entity(OAT, "Company", TARGET),
        Entity(REVENUE, "Metric", "revenue"),
    ]
    facts = [
        Fact(QUILL, "ACQUIRED", OAT, attrs={"year": 2021.0},
             evidence=[acquisition or evidence(tiny, REVIEW_FILE, ACQUISITION_SENTENCE)]),
        revenue_fact(evidence(tiny, REVIEW_FILE, REVENUE_SENTENCE), REVENUE_2023),
        revenue_fact(evidence(tiny, NOTE_FILE, NOTE_REVENUE_SENTENCE), REVENUE_2023_NOTE),
    ]
    return NetworkXGraphStore.from_records(entities, facts)


@pytest.fixture(scope="module")
def ctx(tiny: Tiny) -> GraphContext:
    return GraphContext(tiny.index, graph(tiny), OfflineAnswerer(tiny.index, tiny.settings))


def passages_then_graph(tiny: Tiny, ctx: GraphContext, question: str) -> tuple[Answer, Answer]:
    result = tiny.retriever.search(question)
    passage = ctx.offline.answer(result)
    before = Answer(passage.question, passage.text, list(passage.citations), passage.abstained, passage.route)
    return before, merge_graph_answer(ctx, passage, result)


def test_graph_relation_beats_an_abstaining_passage_answer(tiny: Tiny, ctx: GraphContext) -> None:
    passage, merged = passages_then_graph(tiny, ctx, f"Who acquired {TARGET}?")
    assert passage.abstained  # no two-word name next to the question's words: the passages give up
    assert not merged.abstained and merged.route == "graph"
    assert merged.value == COMPANY and merged.text == f"{COMPANY} [1]."
    (c,) = merged.citations
    assert c.text == ACQUISITION_SENTENCE and c.doc == REVIEW_FILE
    assert tiny.index.docs[c.doc].raw[c.start : c.end] == c.text


def test_conflicting_facts_are_both_stated_and_cited(tiny: Tiny, ctx: GraphContext) -> None:
    _, merged = passages_then_graph(tiny, ctx, f"What was {COMPANY}' fiscal 2023 revenue?")
    assert not merged.abstained and merged.conflicts
    cited = {c.n: c for c in merged.citations}
    for value, doc in ((REVENUE_2023, REVIEW_FILE), (REVENUE_2023_NOTE, NOTE_FILE)):
        m = re.search(re.escape(value) + r" \[(\d+)\]", merged.text)
        assert m, merged.text
        c = cited[int(m.group(1))]
        assert c.doc == doc and value in c.text
        assert tiny.index.docs[c.doc].raw[c.start : c.end] == c.text
    assert "Sources disagree on revenue" in merged.text


def test_evidence_that_does_not_match_the_file_is_never_shown(tiny: Tiny) -> None:
    good = evidence(tiny, REVIEW_FILE, ACQUISITION_SENTENCE)
    shifted = Evidence(good.doc, good.start + 1, good.end + 1, good.text)
    bad_ctx = GraphContext(tiny.index, graph(tiny, acquisition=shifted), OfflineAnswerer(tiny.index, tiny.settings))
    passage, merged = passages_then_graph(tiny, bad_ctx, f"Who acquired {TARGET}?")
    assert merged.abstained and merged.route == "none" and merged.text == passage.text


def test_graph_needs_the_question_names_in_its_evidence(tiny: Tiny, ctx: GraphContext) -> None:
    # an unknown company: the graph must not answer for it with the known one's facts
    _, merged = passages_then_graph(tiny, ctx, "Who acquired Zorblax Dairy?")
    assert merged.abstained and merged.route == "none"


def test_two_hop_answer_is_none_for_a_single_fact_question(tiny: Tiny, ctx: GraphContext) -> None:
    assert two_hop_answer(ctx, tiny.retriever.search(f"Who acquired {TARGET}?")) is None
