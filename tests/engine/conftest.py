"""Engine fixtures: one tiny purpose-built index (a made-up company, two documents) per session."""

from __future__ import annotations

import pytest
from tiny_corpus import DOCUMENTS, Tiny

from core.config import Settings
from engine.ingest import build_index
from engine.store import FileStore
from retrieval.search import Retriever


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Tiny:
    """``tiny_corpus.DOCUMENTS`` indexed with the real model (no graph: graph tests build their own)."""
    base = tmp_path_factory.mktemp("tiny")
    docs = base / "docs"
    docs.mkdir()
    for name, text in DOCUMENTS.items():
        (docs / name).write_text(text, encoding="utf-8")
    settings = Settings(index_dir=base / "index", corpus_dir=docs, use_graph=False)
    build_index([docs], settings)
    index = FileStore(settings.index_dir).load(settings).index
    return Tiny(docs, settings, index, Retriever(index, settings))


@pytest.fixture(scope="session")
def analyst_qa(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """``analyst_corpus`` (a second company, two documents) indexed with the real model and its graph."""
    import json

    from analyst_corpus import DOCUMENTS, MANIFEST

    from engine.qa import QA

    base = tmp_path_factory.mktemp("analyst")
    docs = base / "docs"
    docs.mkdir()
    for name, text in DOCUMENTS.items():
        (docs / name).write_text(text, encoding="utf-8")
    (docs / "manifest.json").write_text(json.dumps(MANIFEST), encoding="utf-8")
    settings = Settings(index_dir=base / "index", corpus_dir=docs)
    build_index([docs], settings)
    return QA.load(settings.index_dir, settings)
