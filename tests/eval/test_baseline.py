"""The llama-index baseline with a benchmark's chunking (``eval.baseline``), on llama-index's mock embeddings."""

from __future__ import annotations

from llama_index.core.embeddings import MockEmbedding

from core.config import Settings
from eval.baseline import ChunkedBaseline, embedding, pick_sentence, sentences

DOCS = {
    "acme.txt": "Acme Corp annual report. " * 60 + "Revenue was $12.5 million in FY2022. Margins were 41%.",
    "bolt.txt": "Bolt Inc paid a dividend of $0.20 per share in 2023.",
}


def test_chunked_baseline_counts_characters() -> None:
    bl = ChunkedBaseline.build_chunked(DOCS, 300, 30, unit="chars", embed_model=MockEmbedding(embed_dim=8))
    nodes = list(bl.index.docstore.docs.values())
    assert bl.n_nodes == len(nodes) > 2  # acme's 1,600 characters need several 300-character nodes
    assert all(len(n.get_content()) <= 300 for n in nodes)
    assert bl.config()["splitter"] == "SentenceSplitter(chunk_size=300 chars, chunk_overlap=30)"
    assert bl.config()["embed_model"] == "MockEmbedding"
    assert set(bl.timings) == {"load", "split", "embed+index", "total"} and bl.index_bytes() > 0
    spans = bl.retrieve("dividend per share", 10)
    assert {d for d, _, _ in spans} == set(DOCS)
    assert all(DOCS[d][s:e] for d, s, e in spans)  # raw spans of the documents
    ans = bl.answer("How much was the dividend?")
    assert not ans.abstained and ans.citations and ans.text.endswith("[1]")
    c = ans.citations[0]
    assert DOCS[c.doc][c.start:c.end] == c.text


def test_chunked_baseline_counts_tokens_by_default() -> None:
    bl = ChunkedBaseline.build_chunked(DOCS, 1200, 100, embed_model=MockEmbedding(embed_dim=8))
    assert bl.n_nodes == 2 and "1200 tokens" in bl.config()["splitter"]


def test_a_given_embedding_model_is_used_as_is() -> None:
    mock = MockEmbedding(embed_dim=4)
    assert embedding(Settings(), mock) == (mock, "MockEmbedding")


def test_sentences_and_pick() -> None:
    t = "Revenue grew. Margins were 49%.\n| a | b |"
    assert [t[s:e] for s, e in sentences(t)] == ["Revenue grew.", "Margins were 49%.", "| a | b |"]
    s, e = pick_sentence(t, ("percent",)) or (0, 0)
    assert t[s:e] == "Margins were 49%."
    assert pick_sentence("   ", ()) is None
