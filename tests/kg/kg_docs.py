"""Reports for the kg tests: the bundled corpus and the fixtures, loaded with the real reader and chunker.

(A plain module, not a package: with ``tests/kg/__init__.py`` the tests' package would be named
``kg`` and shadow the real one.)
"""

from __future__ import annotations

from pathlib import Path

from core.types import Document, Unit
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
