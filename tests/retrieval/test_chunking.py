"""Every unit and chunk points at exact character spans of the original file."""

from __future__ import annotations

from core.normalize import normalize
from retrieval.chunking import chunk_document
from retrieval.documents import load_documents


def test_units_and_chunks_round_trip(corpus_dir) -> None:  # type: ignore[no-untyped-def]
    docs, _ = load_documents([corpus_dir])
    su = sc = 0
    for d in docs:
        units, chunks = chunk_document(d, su, sc, chunk_chars=700, overlap_units=1)
        su, sc = su + len(units), sc + len(chunks)
        assert units and chunks
        for u in units:
            raw = d.raw[u.start : u.end]
            assert raw == raw.strip() and raw
            norm = " ".join(normalize(raw).text.split())
            if u.kind in ("sentence", "list_item"):
                assert norm == u.text
            elif u.kind == "table_row":  # rows read "Header: cell; Header: cell"; the cells are the raw row
                compact = "".join(norm.replace("|", "").split())
                for cell in u.text.split("; "):
                    assert "".join(cell.split(": ", 1)[-1].split()) in compact, cell
            else:  # table headers read "A | B"; markdown headings lose their "#"
                assert all(w in norm for w in u.text.replace("|", " ").split())
        by_id = {u.id: u for u in units}
        for c in chunks:
            members = [by_id[i] for i in c.units]
            # never across sections, except a small lead (a lone heading, under a quarter of a chunk) that
            # opens the chunk of the section it introduces (issue 13)
            lead = [m for m in members if m.section != c.section]
            assert members[-1].section == c.section and sum(len(m.text) for m in lead) < 700 // 4
            assert c.start == min(m.start for m in members) and c.end == max(m.end for m in members)
            assert all(by_id[i].chunk <= c.id for i in c.units)
            assert len(c.text) <= 700 + max(len(m.text) for m in members) + len(c.section) + 2


def test_chunk_size_changes_chunk_count(corpus_dir) -> None:  # type: ignore[no-untyped-def]
    docs, _ = load_documents([corpus_dir])
    small = sum(len(chunk_document(d, 0, 0, chunk_chars=300)[1]) for d in docs)
    large = sum(len(chunk_document(d, 0, 0, chunk_chars=1200)[1]) for d in docs)
    assert small > large
