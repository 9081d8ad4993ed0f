"""LLM-assisted extraction inside the index build: verified facts merged, only changed documents sent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_llm_extract import DOC, GOOD_QUOTE, script

from engine.ingest import build_index
from engine.qa import QA

pytestmark = pytest.mark.timeout(300)


def test_build_merges_llm_facts_and_caches_them(tmp_path: Path, corpus_dir: Path, llm_settings, stub) -> None:  # type: ignore[no-untyped-def]
    stub.script = script
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(corpus_dir / DOC, docs / DOC)
    (docs / "other.txt").write_text("Beta Corp note\nSummary\nBeta Corp margins were 31% in 2025 across all regions.\n", encoding="utf-8")
    s = llm_settings(index_dir=tmp_path / "index", use_graph=True, llm_extract=True)

    first = build_index([docs], s)
    assert first.graph["llm_extract"]["documents_sent"] == 2
    assert first.graph["llm_extract"]["kept_facts"] >= 1 and first.graph["bad_evidence"] == 0
    idx = QA.load(s.index_dir, s)
    llm_facts = [f for f in idx.graph.facts() if f.attrs.get("source") == "llm"]
    assert llm_facts, "verified LLM facts are merged into the graph"
    raw = idx.index.docs[DOC].raw
    for f in llm_facts:
        for ev in f.evidence:
            assert raw[ev.start : ev.end] == ev.text
    assert any(GOOD_QUOTE in ev.text for f in llm_facts for ev in f.evidence)

    sent_before = len(stub.requests)
    (docs / "other.txt").write_text("Beta Corp note\nSummary\nBeta Corp margins were 33% in 2025 across all regions.\n", encoding="utf-8")
    second = build_index([docs], s)
    assert second.changed == ["other.txt"]
    assert second.graph["llm_extract"]["documents_sent"] == 1  # the unchanged report came from the cache
    assert len(stub.requests) - sent_before <= 2
    idx2 = QA.load(s.index_dir, s)
    assert [f for f in idx2.graph.facts() if f.attrs.get("source") == "llm"]
