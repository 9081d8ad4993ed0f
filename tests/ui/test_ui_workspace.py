"""ui/workspace.py: the shared state - graph loading, example questions from the corpus, header."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ui_helpers import graph_records

from core.types import DocRecord
from engine.qa import QA
from kg.store import NetworkXGraphStore
from ui.graph_view import NOT_AVAILABLE
from ui.workspace import Workspace, corpus_examples, ingest_root


def test_bundled_corpus_offers_its_manifest_examples(qa: QA, corpus_dir: Path, tmp_path: Path) -> None:
    listed = json.loads((corpus_dir / "manifest.json").read_text(encoding="utf-8"))["examples"]
    assert len(listed) >= 3
    ws = Workspace(qa, uploads_dir=tmp_path)
    assert ws.examples() == listed
    # found through the documents' own folder too, whatever corpus the settings name
    elsewhere = Workspace(qa, qa.settings.with_values({"corpus_dir": tmp_path}), uploads_dir=tmp_path)
    assert elsewhere.examples() == listed
    assert Workspace(qa, uploads_dir=tmp_path, examples=["Only this?"]).examples() == ["Only this?"]


def _doc(folder: Path, doc_id: str, title: str) -> DocRecord:
    return DocRecord(doc_id, title, str(folder / doc_id), "txt", "Revenue grew.", "0")


def test_corpus_examples_need_a_manifest_describing_an_indexed_document(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "reports").mkdir(parents=True)
    manifest = {"examples": ["What was Acme's revenue?", " "], "documents": {"reports/q3.txt": {"title": "Q3"}}}
    (corpus / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    doc = _doc(corpus, "reports/q3.txt", "Q3")
    assert ingest_root(doc) == corpus
    assert corpus_examples({doc.id: doc}) == ["What was Acme's revenue?"]
    other = _doc(tmp_path / "elsewhere", "notes.txt", "Notes")
    assert corpus_examples({other.id: other}, [corpus]) == []  # another corpus's questions are not offered
    (corpus / "manifest.json").write_text("{not json", encoding="utf-8")
    assert corpus_examples({doc.id: doc}) == []


def test_without_listed_examples_questions_come_from_document_titles(qa: QA, tmp_path: Path) -> None:
    settings = qa.settings.with_values({"index_dir": tmp_path / "index", "corpus_dir": tmp_path / "corpus"})
    (tmp_path / "corpus").mkdir()
    for name in ("alpha.txt", "beta.txt", "gamma.txt", "delta.txt"):
        (tmp_path / "corpus" / name).write_text(f"{name[:-4].title()} Holdings\n\nRevenue was $5 million.\n",
                                                encoding="utf-8")
    own = QA.open_or_build(settings)
    titles = sorted(d.title for d in own.index.docs.values())
    examples = Workspace(own, settings, uploads_dir=tmp_path / "up").examples()
    assert len(examples) == 3
    assert all(q.startswith("What does “") and q.endswith("” say about revenue?") for q in examples)
    assert {q.split("“")[1].split("”")[0] for q in examples} <= set(titles)


def test_graph_is_cached_per_index_generation_and_shown_in_the_header(qa: QA, tmp_path: Path) -> None:
    store = NetworkXGraphStore.from_records(*graph_records())
    calls: list[Any] = []

    def provider(index: Any) -> NetworkXGraphStore:
        calls.append(index)
        return store

    ws = Workspace(qa, graph_provider=provider, uploads_dir=tmp_path)
    assert ws.graph() is ws.graph() and calls == [qa.index]
    assert "graph: 4 entities, 5 facts" in ws.header_html()
    assert f"{len(qa.index.docs)} documents" in ws.header_html() and "offline" in ws.header_html()
    assert ws.index_label() == f"Index: {len(qa.index.docs)} documents, {len(qa.index.chunks)} passages."


def test_a_damaged_graph_leaves_the_workspace_usable(qa: QA, tmp_path: Path) -> None:
    bad = tmp_path / "graph.json"
    bad.write_text('{"nodes": [', encoding="utf-8")
    ws = Workspace(qa, graph_provider=lambda index: NetworkXGraphStore.load(bad), uploads_dir=tmp_path)
    g = ws.graph()
    assert not g.available and g.error == NOT_AVAILABLE
    assert "graph not available" in ws.header_html()


def test_offline_answers_without_an_llm(qa: QA, tmp_path: Path) -> None:
    ws = Workspace(qa, uploads_dir=tmp_path)
    assert not ws.llm_on() and ws.llm_settings() is None and ws.llm_label() == "offline"
