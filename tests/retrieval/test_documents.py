"""Loading files: every supported format, and bad files skipped with a warning naming them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core.errors import DocumentError
from retrieval.documents import load_documents, load_file


def test_bundled_corpus_loads_with_manifest_titles(corpus_dir: Path) -> None:
    docs, skipped = load_documents([corpus_dir])
    assert {d.id for d in docs} == {
        "twilio-cpaas-ai-native-alternatives.txt",
        "twilio-insider-selling-engineering-commentary.txt",
    }
    assert not skipped
    titles = {d.id: d.title for d in docs}
    assert titles["twilio-cpaas-ai-native-alternatives.txt"].startswith("Twilio: CPaaS Infrastructure")
    assert all(d.meta.get("kind") for d in docs)


def test_bad_files_are_skipped_and_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "good.md").write_text("# Acme\n\nAcme revenue was $5 million in 2024.\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 revenue grew 5%.".encode("latin-1"))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")  # unsupported suffix: not even considered
    with caplog.at_level(logging.WARNING):
        docs, skipped = load_documents([tmp_path])
    assert [d.id for d in docs] == ["good.md"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["binary.txt"] == "binary file"
    assert "not valid UTF-8" in reasons["latin1.txt"]
    assert "PDF" in reasons["broken.pdf"]
    assert "notes.docx" not in reasons
    for name in reasons:
        assert name in caplog.text  # the warning names the file


def test_size_limit(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_text("word " * 1000, encoding="utf-8")
    with pytest.raises(DocumentError, match="over the"):
        load_file(p, tmp_path, max_bytes=1000)


def test_html_text_offsets_point_into_the_raw_file(tmp_path: Path) -> None:
    raw = (
        "<html><head><title>Acme &amp; Co</title><script>alert('x')</script></head>"
        "<body><h1>Results</h1><p>Revenue reached <b>$5&nbsp;million</b> in 2024.</p>"
        "<nav>Home | About</nav><p>Margins were 12%.</p></body></html>"
    )
    p = tmp_path / "page.html"
    p.write_text(raw, encoding="utf-8")
    doc = load_file(p, tmp_path)
    assert doc.title == "Acme & Co"
    assert "alert" not in doc.text  # scripts are not text
    i = doc.text.index("Margins were 12%.")
    s, e = doc.raw_span(i, i + len("Margins were 12%."))
    assert raw[s:e] == "Margins were 12%."
    j = doc.text.index("$5 million")
    s, e = doc.raw_span(j, j + len("$5 million"))
    assert raw[s:e] == "$5&nbsp;million"  # the entity is part of the cited raw span


def test_pdf_pages_and_page_numbers(tmp_path: Path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "filing.pdf"
    p.write_bytes(make_pdf(["Acme Annual Report", "Revenue was $7 million in 2023."]))
    doc = load_file(p, tmp_path)
    assert doc.kind == "pdf"
    k = doc.raw.index("Revenue was $7 million")
    assert doc.page_of(k) == 2
    assert doc.page_of(0) == 1


def test_utf16_with_bom_and_crlf(tmp_path: Path) -> None:
    p = tmp_path / "win.txt"
    p.write_bytes("Acme\r\nRevenue rose 3%.\r\n".encode("utf-16"))
    doc = load_file(p, tmp_path)
    i = doc.text.index("Revenue rose 3%.")
    s, e = doc.raw_span(i, i + len("Revenue rose 3%."))
    assert doc.raw[s:e] == "Revenue rose 3%."
