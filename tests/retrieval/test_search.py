"""Hybrid retrieval on the session's real corpus index: exact matches, stage switches, RRF fusion."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from core.config import Settings
from core.types import SearchResult, Unit
from retrieval.lexical import tokenize
from retrieval.rerank import best_unit_scores, term_coverage
from retrieval.search import Retriever
from retrieval.store import RetrievalIndex

QUESTIONS = [
    "What price did Twilio pay to acquire Segment?",
    "Which AI voice agent vendors build end-to-end platforms?",
    "What non-GAAP operating margin is management targeting for FY2025?",
]


@pytest.fixture(scope="module")
def index(qa: Any) -> RetrievalIndex:
    idx: RetrievalIndex = qa.index
    return idx


FUSION_ONLY = {"coverage_weight": 0.0, "unit_weight": 0.0}  # no second-stage ranking (retrieval.rerank)


def retriever(index: RetrievalIndex, settings: Settings, **switches: Any) -> Retriever:
    return Retriever(index, settings.with_values(dict(switches)))


def sample_sentences(index: RetrievalIndex, n: int = 8) -> list[Unit]:
    """``n`` sentences spread over the corpus, longer than ten words (distinctive enough to search for)."""
    sents = [u for u in index.units if u.kind == "sentence" and len(u.text.split()) > 10]
    step = max(1, len(sents) // n)
    return sents[::step][:n]


@pytest.mark.parametrize("switches", [{}, {"use_bm25": False}, {"use_dense": False}], ids=["hybrid", "dense", "bm25"])
def test_a_sentence_searched_verbatim_is_the_top_unit(index: RetrievalIndex, settings: Settings,
                                                      switches: dict[str, bool]) -> None:
    r = retriever(index, settings, **switches)
    for u in sample_sentences(index):
        assert r.search(u.text).units[0].unit.id == u.id, u.text


def test_bm25_alone_finds_the_sentences_chunk_without_loading_the_encoder(index: RetrievalIndex,
                                                                          settings: Settings) -> None:
    r = retriever(index, settings, use_dense=False, use_rescoring=False)
    for u in sample_sentences(index):
        res = r.search(u.text)
        assert u.id in index.chunks[res.chunk_ids[0]].units, u.text
        # without re-scoring, units inherit their chunk's rank, in document order within it
        first = [x.unit.id for x in res.units if x.unit.chunk == res.units[0].unit.chunk]
        assert first == sorted(first)
    assert r._encoder is None  # neither stage needed the question's vector


def _rrf(ranked: list[int], k: int) -> dict[int, float]:
    return {cid: 1.0 / (k + rank + 1) for rank, cid in enumerate(ranked)}


def _components(index: RetrievalIndex, settings: Settings, question: str) -> tuple[list[int], list[int]]:
    """The dense and the BM25 chunk rankings the fusion starts from."""
    qv = retriever(index, settings).embed(question)
    dense = [cid for cid, _ in index.chunk_dense.search(qv, min(settings.dense_k, len(index.chunks)))]
    bm = index.chunk_lexical.scores(question)
    lexical = [int(c) for c in np.argsort(-bm)[: settings.bm25_k] if bm[c] > 0]
    return dense, lexical


@pytest.mark.parametrize("question", QUESTIONS)
def test_each_switch_leaves_one_ranking_and_both_fuse_by_reciprocal_rank(index: RetrievalIndex, settings: Settings,
                                                                         question: str) -> None:
    dense, lexical = _components(index, settings, question)
    k = settings.top_k
    assert retriever(index, settings, use_bm25=False, **FUSION_ONLY).search(question).chunk_ids == dense[:k]
    assert retriever(index, settings, use_dense=False, **FUSION_ONLY).search(question).chunk_ids == lexical[:k]

    fused: SearchResult = retriever(index, settings, **FUSION_ONLY).search(question)
    rd, rl = _rrf(dense, settings.rrf_k), _rrf(lexical, settings.rrf_k)
    expected = {cid: rd.get(cid, 0.0) + rl.get(cid, 0.0) for cid in set(dense) | set(lexical)}
    scores = [p.score for p in fused.passages]
    assert [expected[c] for c in fused.chunk_ids] == pytest.approx(scores)
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(max(expected.values()))  # nothing better was left out
    assert len(fused.chunk_ids) == k and len(set(fused.chunk_ids)) == k


def _reranked_head(index: RetrievalIndex, settings: Settings, question: str) -> tuple[list[int], list[int]]:
    """The fused head (first ``rerank_depth`` chunks) and that head ordered by the second-stage score."""
    wide = len(index.chunks)
    fused = retriever(index, settings, **FUSION_ONLY).search(question, k=wide)
    head = fused.chunk_ids[: settings.rerank_depth]
    base = np.array([p.score for p in fused.passages[: settings.rerank_depth]]) / fused.passages[0].score
    qv = retriever(index, settings).embed(question)
    score = (base + settings.coverage_weight * term_coverage(index.chunk_lexical, question, head)
             + settings.unit_weight * np.clip(best_unit_scores(index.chunks, index.unit_dense, qv, head), 0, None))
    return head, [head[i] for i in np.argsort(-score, kind="stable")]


def test_the_fused_head_is_ordered_by_coverage_and_best_unit_and_the_tail_kept(index: RetrievalIndex,
                                                                             settings: Settings) -> None:
    changed = 0
    for question in QUESTIONS:
        head, expected = _reranked_head(index, settings, question)
        wide = len(index.chunks)
        got = retriever(index, settings).search(question, k=wide).chunk_ids
        fused = retriever(index, settings, **FUSION_ONLY).search(question, k=wide).chunk_ids
        assert got[: len(head)] == expected, question
        assert got[len(head):] == fused[len(head):]  # beyond the head, the fusion's order
        changed += expected != head
    assert changed  # the second stage does reorder real questions' heads


def test_coverage_is_the_idf_weighted_share_of_question_terms(index: RetrievalIndex) -> None:
    question = "What price did Twilio pay to acquire Segment?"
    ids = list(range(len(index.chunks)))
    cov = term_coverage(index.chunk_lexical, question, ids)
    assert cov.min() >= 0 and cov.max() <= 1 + 1e-9
    best = int(np.argmax(cov))
    words = set(tokenize(index.chunks[best].text + " " + index.chunks[best].section))
    assert {"segment", "acquir"} <= words  # the chunk holding most of the question holds its rare words
    assert term_coverage(index.chunk_lexical, "zyxwvut qwertyuiop", ids).max() == 0  # unknown words weigh nothing


def test_a_chunk_only_one_ranking_finds_still_reaches_the_fusion(index: RetrievalIndex, settings: Settings) -> None:
    question = QUESTIONS[0]
    dense, lexical = _components(index, settings, question)
    only_lexical = [c for c in lexical if c not in dense]
    assert only_lexical  # (the corpus has more chunks than dense_k: each ranking finds some the other misses)
    wide = retriever(index, settings).search(question, k=len(index.chunks))
    assert set(only_lexical) <= set(wide.chunk_ids)
    assert set(wide.chunk_ids) == set(dense) | set(lexical)


def test_words_absent_from_the_corpus_find_nothing_by_bm25_but_something_by_meaning(index: RetrievalIndex,
                                                                                  settings: Settings) -> None:
    question = "zyxwvut qwertyuiop"
    assert retriever(index, settings, use_dense=False).search(question).passages == []
    assert len(retriever(index, settings, use_bm25=False).search(question).passages) == settings.top_k


def test_result_carries_the_analysis_timings_and_scored_units(index: RetrievalIndex, settings: Settings) -> None:
    res = retriever(index, settings).search(QUESTIONS[0], k=3)
    assert res.question.answer_type == "amount" and len(res.passages) == 3
    assert set(res.timings_ms) == {"embed", "retrieve", "rescore"}
    scores = [x.score for x in res.units]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= x.dense <= 1.0 and 0.0 <= x.lexical <= 1.0 and 0.0 <= x.chunk_prior <= 1.0 for x in res.units)


def test_a_given_question_vector_is_used_as_is(qa) -> None:  # type: ignore[no-untyped-def]
    q = "What was Twilio's fiscal 2024 revenue?"
    r = qa.retriever
    own = r.search(q)
    given = r.search(q, vector=r.embed(q))
    assert [p.chunk_id for p in own.passages] == [p.chunk_id for p in given.passages]
    assert [u.unit.id for u in own.units[:10]] == [u.unit.id for u in given.units[:10]]


def test_a_filing_page_gives_its_best_chunk_before_a_second_one(tmp_path: Any, make_pdf: Any) -> None:
    """In a multi-page PDF, the top k names each matching page once before any page twice; with
    ``spread_pages`` off, the page with most matching chunks takes the top of the list."""
    from engine.ingest import build_index
    from engine.qa import QA

    freight = ("Harbor freight volumes at the Tessaly terminal rose in the year as container freight rates "
               "recovered; freight revenue per container and freight handling costs both moved with volumes.")
    dense_page = "\n\n".join(f"Note {i}. {freight}" for i in range(1, 7))
    pages = [dense_page, "Tessaly terminal freight outlook: freight volumes are expected to grow next year.",
             "Board of directors and governance.", "Tessaly terminal freight tariffs were set by the port authority."]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tessaly-annual.pdf").write_bytes(make_pdf(pages))
    s = Settings(index_dir=tmp_path / "index", corpus_dir=corpus, chunk_chars=200, use_graph=False)
    build_index([corpus], s)
    index = QA.load(s.index_dir, s).index
    starts = index.docs["tessaly-annual.pdf"].page_starts
    assert len(starts) == 4

    def pages_of(settings: Settings, k: int = 4) -> list[int]:
        found = Retriever(index, settings).search("Tessaly terminal freight volumes", k=k)
        scores = [p.score for p in found.passages]
        assert scores == sorted(scores, reverse=True)  # a moved-down chunk shows the score above it
        spans = {c.key: c.start for c in index.chunks}
        return [sum(1 for p in starts if p <= spans[p_.chunk_id]) for p_ in found.passages]

    spread, plain = pages_of(s), pages_of(s.with_values({"spread_pages": False}))
    assert sum(1 for c in index.chunks if c.start < starts[1]) >= 4  # page 1 holds several chunks
    assert plain.count(1) >= 2, plain  # the plain ranking spends two or more of its 4 on page 1
    assert len(set(spread[:3])) == 3 and {1, 2, 4} <= set(spread), spread  # every matching page, once
    everything = pages_of(s.with_values({"spread_pages": False}), k=len(index.chunks))
    assert spread[:3] == list(dict.fromkeys(everything))[:3]  # pages in the order of their best chunk


def test_module_doctests() -> None:
    import doctest

    import retrieval.rerank
    import retrieval.search

    for module in (retrieval.search, retrieval.rerank):
        failed, tried = doctest.testmod(module)
        assert tried > 0 and failed == 0, module.__name__


def test_a_short_document_counts_as_one_page_and_a_long_one_as_none(tmp_path: Any) -> None:
    """Without pages, a document of at most ``PAGE_CHARS`` characters is spread like one page; a
    longer one is not spread (its chunks keep their plain order)."""
    from engine.ingest import build_index
    from engine.qa import QA
    from retrieval.search import PAGE_CHARS, chunk_pages

    para = ("Harbor freight volumes at the Tessaly terminal rose as container freight rates recovered; "
            "freight revenue per container moved with volumes.")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "log-short.txt").write_text("\n\n".join([para] * 5), encoding="utf-8")
    (corpus / "log-other.txt").write_text("Tessaly terminal freight tariffs were set by the port authority.",
                                          encoding="utf-8")
    board = "The board reviewed governance, audit and remuneration matters at its quarterly meeting."
    long_text = "\n\n".join([para, para] + [f"Section {i}. {board}" for i in range(PAGE_CHARS // len(board) + 2)])
    (corpus / "report-long.txt").write_text(long_text, encoding="utf-8")
    s = Settings(index_dir=tmp_path / "index", corpus_dir=corpus, chunk_chars=200, use_graph=False)
    build_index([corpus], s)
    index = QA.load(s.index_dir, s).index
    pages = dict(zip((c.key for c in index.chunks), chunk_pages(index), strict=True))
    by_doc = {c.doc: pages[c.key] for c in index.chunks}
    assert by_doc["log-short.txt"] == ("log-short.txt", 0) and by_doc["report-long.txt"] is None
    assert sum(1 for c in index.chunks if c.doc == "log-short.txt") >= 3
    found = Retriever(index, s).search("Tessaly terminal freight volumes", k=len(index.chunks)).passages
    docs = [p.doc for p in found]
    short_at = [i for i, d in enumerate(docs) if d == "log-short.txt"]
    assert len(short_at) >= 2 and short_at[1] > docs.index("log-other.txt")  # one page: its second chunk waits
    long_at = [i for i, d in enumerate(docs) if d == "report-long.txt"]
    assert long_at[1] < docs.index("log-other.txt") or long_at[1] < short_at[1]  # no page: not held back
    plain = [p.doc for p in Retriever(index, s.with_values({"spread_pages": False})).search(
        "Tessaly terminal freight volumes", k=len(index.chunks)).passages]
    assert [i for i, d in enumerate(plain) if d == "log-short.txt"][1] < plain.index("log-other.txt")

