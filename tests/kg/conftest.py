from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kg_docs import CORPUS, FIXTURES, load_docs

from core.types import Document, Unit
from kg.pipeline import build_store


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


@pytest.fixture
def make_doc(tmp_path: Path) -> Callable[[str], tuple[Document, list[Unit]]]:
    """Load a small report written to a temporary file: ``make_doc(text) -> (document, units)``."""

    def make(text: str, name: str = "report.txt") -> tuple[Document, list[Unit]]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        docs, units = load_docs([path])
        return docs[0], units

    return make
