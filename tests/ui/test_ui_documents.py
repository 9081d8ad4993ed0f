"""ui/tabs/documents.py: the document table, and uploads that must never damage the index."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.qa import QA
from ui.tabs.documents import DOC_COLUMNS, DocumentsTab
from ui.workspace import Workspace


@pytest.fixture
def tab(qa: QA, tmp_path: Path) -> DocumentsTab:
    return DocumentsTab(Workspace(qa, qa.settings.with_values({"max_upload_bytes": 2000}),
                                  uploads_dir=tmp_path / "uploads"))


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("notes.exe", b"MZ\x90\x00", "unsupported file type"),
        ("big.txt", b"Revenue grew. " * 400, "over the upload limit"),
        ("empty.txt", b"   \n ", "empty file"),
        ("binary.txt", bytes(range(256)) * 4, ""),
    ],
)
def test_bad_uploads_are_refused_and_leave_the_index_alone(tab: DocumentsTab, tmp_path: Path, name: str,
                                                          content: bytes, says: str) -> None:
    ws = tab.ws
    f = tmp_path / name
    f.write_bytes(content)
    root, docs = ws.qa.snapshot.root, set(ws.index.docs)
    kind, msg = tab.ingest_files([str(f)])
    assert kind == "error" and says in msg and "unchanged" in msg
    assert ws.qa.snapshot.root == root and set(ws.index.docs) == docs
    assert not (ws.uploads_dir / name).exists()
    assert tab.ingest_files([]) == ("warn", "No file uploaded.")


def test_document_table_lists_every_document_with_its_counts(tab: DocumentsTab) -> None:
    ws = tab.ws
    table = tab.docs_table()
    assert list(table.columns) == DOC_COLUMNS and len(table) == len(ws.index.docs)
    for row in table.to_dict("records"):
        doc = ws.index.docs[row["Document"]]
        assert row["Title"] == doc.title and row["Kind"] == doc.kind
        assert row["Size (KB)"] == round(len(doc.raw.encode("utf-8")) / 1024, 1)
        assert row["Chunks"] == sum(1 for c in ws.index.chunks if c.doc == doc.id) > 0
        assert row["Units"] == sum(1 for u in ws.index.units if u.doc == doc.id)
    assert tab.doc_choices() == [(f"{d.title} ({did})", did) for did, d in sorted(ws.index.docs.items())]
    some = next(iter(ws.index.docs))
    assert ws.index.docs[some].title in tab.show_document(some) and "Pick a document" in tab.show_document(None)
