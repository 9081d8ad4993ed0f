"""kgqa/llamaindex.py: kgqa's retriever inside a stock llama-index query engine, and its cited answers
as a llama-index Response. No LLM anywhere: the response modes used need none."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from llama_index.core import Settings as LlamaSettings
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import MetadataMode, NodeWithScore

from core.errors import QuestionError
from engine.qa import QA
from kgqa.llamaindex import KgqaQueryEngine, KgqaRetriever

QUESTION = "What was Twilio's fiscal 2024 revenue?"
META = {"doc", "title", "section", "page", "start", "end"}


@pytest.fixture
def no_llm() -> Iterator[None]:
    """llama-index's documented switch for "no LLM" (a MockLLM that the modes used here never call)."""
    saved = LlamaSettings._llm  # llama-index's own slot; None means "not resolved yet"
    LlamaSettings.llm = None
    try:
        yield
    finally:
        LlamaSettings._llm = saved


def assert_exact(qa: QA, nodes: list[NodeWithScore]) -> None:
    """Every node's text is exactly raw[start:end] of its document, with where it comes from."""
    assert nodes
    for n in nodes:
        m = n.node.metadata
        assert set(m) >= META
        doc = qa.index.docs[m["doc"]]
        assert doc.raw[m["start"]:m["end"]] == n.node.get_content() and m["end"] > m["start"]
        assert m["title"] == doc.title and m["page"] == doc.page_of(m["start"])


def test_retriever_in_a_stock_query_engine_round_trips_spans(qa: QA, no_llm: None) -> None:
    retriever = KgqaRetriever(qa, k=4)
    engine = RetrieverQueryEngine.from_args(retriever, response_mode="no_text")
    response = engine.query(QUESTION)
    assert not response.response  # no_text: nothing synthesized, no LLM call
    assert len(response.source_nodes) == 4
    assert_exact(qa, response.source_nodes)
    search = qa.search(QUESTION, k=4)
    assert [n.node.metadata["chunk_id"] for n in response.source_nodes] == [p.chunk_id for p in search.passages]
    assert [n.score for n in response.source_nodes] == pytest.approx([p.score for p in search.passages])
    for n in response.source_nodes:
        assert n.node.metadata["section"] == next(c.section for c in qa.index.chunks if c.key == n.node.node_id)


def test_context_only_mode_returns_the_exact_passages(qa: QA, no_llm: None) -> None:
    engine = RetrieverQueryEngine.from_args(KgqaRetriever(qa, k=3), response_mode="context_only")
    response = engine.query(QUESTION)
    assert_exact(qa, response.source_nodes)
    for n in response.source_nodes:
        assert n.node.get_content() in str(response)
    llm_view = response.source_nodes[0].node.get_content(metadata_mode=MetadataMode.LLM)
    assert "title:" in llm_view and "start:" not in llm_view  # the LLM sees where, not offsets


def test_sentence_granularity(qa: QA) -> None:
    nodes = KgqaRetriever(qa, k=5, granularity="sentence").retrieve(QUESTION)
    assert len(nodes) == 5
    assert_exact(qa, nodes)
    assert {n.node.metadata["kind"] for n in nodes} <= {"sentence", "table_row", "heading", "list_item"}
    assert any("4.46" in n.node.get_content() for n in nodes)
    with pytest.raises(ValueError, match="granularity"):
        KgqaRetriever(qa, granularity="page")  # type: ignore[arg-type]


def test_query_engine_returns_kgqas_cited_answer(qa: QA) -> None:
    engine = KgqaQueryEngine(qa=qa)
    response = engine.query(QUESTION)
    answer = qa.ask(QUESTION)
    assert response.response == answer.text and "[1]" in response.response
    assert [n.node.metadata["n"] for n in response.source_nodes] == [c.n for c in answer.citations]
    assert_exact(qa, response.source_nodes)
    for n, c in zip(response.source_nodes, answer.citations, strict=True):
        assert (n.node.metadata["start"], n.node.metadata["end"], n.node.get_content()) == (c.start, c.end, c.text)
    meta = dict(response.metadata or {})
    expected = answer.to_dict()
    for key in ("question", "abstained", "value", "route", "mode", "passages", "conflicts"):
        assert meta[key] == expected[key], key
    assert "citations" not in meta
    again = asyncio.run(engine.aquery(QUESTION))
    assert again.response == response.response


def test_query_engine_abstains_and_refuses_bad_questions(qa: QA) -> None:
    response = KgqaQueryEngine(qa=qa).query("Who is the CEO of Apple?")
    assert (response.metadata or {})["abstained"] is True and response.source_nodes == []
    with pytest.raises(QuestionError):
        KgqaRetriever(qa).retrieve("   ")
    with pytest.raises(QuestionError):
        KgqaQueryEngine(qa=qa).query("")


def test_from_index(built_index: object) -> None:
    retriever = KgqaRetriever.from_index(str(built_index), k=2)
    assert len(retriever.retrieve(QUESTION)) == 2
    assert KgqaQueryEngine.from_index(str(built_index)).query(QUESTION).source_nodes
