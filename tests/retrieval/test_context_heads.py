"""Contextual chunk text (retrieval.context, retrieval.build): what the encoder and BM25 read carries the
document's label and the chunk's section, while every unit's span stays exact on the raw file."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from core.normalize import normalize
from retrieval.build import all_pieces, chunk_all
from retrieval.context import doc_label
from retrieval.documents import load_documents, load_file

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def test_contextual_text_has_title_and_section_and_spans_stay_exact() -> None:
    docs, _ = load_documents([CORPUS])
    docs.sort(key=lambda d: d.id)
    units, chunks = chunk_all(docs, Settings())
    pieces = all_pieces(docs, units, chunks)
    by_id = {d.id: d for d in docs}
    assert len(pieces) == len(chunks)
    for c, p in zip(chunks, pieces, strict=True):
        doc = by_id[c.doc]
        assert doc_label(doc) in p.text  # the document, in every chunk's BM25 and encoder text
        last_section = [s for s in c.section.split(" > ") if s][-1:] if c.section else []
        assert all(s in p.text for s in last_section), (c.section, p.text[:200])
        for uid, part in zip(c.units, p.parts, strict=True):
            u = units[uid]
            assert part == u.text and p.text.count(u.text) >= 1
    for u in units:  # the head changes what is encoded, never a unit's span on the raw file
        raw = by_id[u.doc].raw[u.start : u.end]
        assert raw and raw == raw.strip()
        if u.kind in ("sentence", "list_item"):
            assert " ".join(normalize(raw).text.split()) == u.text


def test_citations_quote_the_raw_file_exactly(qa) -> None:  # type: ignore[no-untyped-def]
    for q in ("What was Twilio's fiscal 2024 revenue?", "What AI use cases does Twilio describe?"):
        a = qa.ask(q)
        assert a.citations
        for c in a.citations:
            assert qa.index.docs[c.doc].raw[c.start : c.end] == c.text


def test_pdf_page_head_reaches_later_chunks_of_the_page(tmp_path: Path, make_pdf) -> None:  # type: ignore[no-untyped-def]
    line = "Net revenue grew in the segment while costs were flat and margins held steady. "
    pdf = tmp_path / "acme-10k.pdf"
    pdf.write_bytes(make_pdf(["ACME CORP Consolidated Statements of Operations " + line * 30, line * 5]))
    doc = load_file(pdf, tmp_path)
    units, chunks = chunk_all([doc], Settings())
    pieces = all_pieces([doc], units, chunks)
    assert doc.page_starts and len(doc.page_starts) == 2
    for c, p in zip(chunks, pieces, strict=True):
        assert doc_label(doc) in p.text
        for uid in c.units:
            u = units[uid]
            assert " ".join(normalize(doc.raw[u.start : u.end]).text.split()) == u.text
            page = max(k for k, s in enumerate(doc.page_starts) if s <= u.start)
            assert u.start >= doc.page_starts[page]
