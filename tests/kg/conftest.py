from __future__ import annotations

from pathlib import Path

import pytest

from core.types import Document, Unit
from kg.pipeline import build_store
from retrieval.chunking import chunk_document
from retrieval.documents import load_file

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_docs(paths: list[Path]) -> tuple[list[Document], list[Unit]]:
    docs, units = [], []
    for p in paths:
        d = load_file(p, p.parent)
        us, _ = chunk_document(d, len(units), 0)
        docs.append(d)
        units.extend(us)
    return docs, units


@pytest.fixture(scope="session")
def corpus_docs() -> tuple[list[Document], list[Unit]]:
    return load_docs(sorted(CORPUS.glob("*.txt")))


@pytest.fixture(scope="session")
def corpus_store(corpus_docs):
    docs, units = corpus_docs
    store, _ = build_store(docs, units)
    return store


@pytest.fixture(scope="session")
def fixture_store():
    docs, units = load_docs([FIXTURES / "haulmark-logistics.txt"])
    store, _ = build_store(docs, units)
    return store
