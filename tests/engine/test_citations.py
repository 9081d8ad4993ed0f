"""Citations quote the original file exactly (``raw[start:end] == text``) and mark values at their raw span."""

from __future__ import annotations

from typing import Any

import pytest
from tiny_corpus import ACQUISITION_SENTENCE, DAIRY_MARGIN, REVIEW_FILE, SEGMENTS, Tiny

from core.interfaces import DocumentStore
from core.normalize import normalize
from core.types import Evidence, Unit
from core.values import find_values
from engine.citations import Citations, citation, evidence_citation, table_header


def unit_with(index: DocumentStore, kind: str, start: str) -> Unit:
    return next(u for u in index.units if u.kind == kind and index.docs[u.doc].raw[u.start : u.end].startswith(start))


def assert_spans_round_trip(index: DocumentStore) -> None:
    """Every unit's citation quotes its file; every value found is marked where the file writes it."""
    for u in index.units:
        c = citation(index, u, 1)
        assert index.docs[u.doc].raw[c.start : c.end] == c.text
        for v in find_values(u.text):
            c = citation(index, u, 1, v)
            if c.value_start is None:
                # only a value read from a table's header ("FY2024 Revenue: ...") is not in the row's own text
                assert u.kind == "table_row" and v.surface not in normalize(c.text).text
                continue
            assert c.start <= c.value_start < c.value_end <= c.end  # type: ignore[operator]
            assert normalize(index.docs[u.doc].raw[c.value_start : c.value_end]).text == v.surface


def test_tiny_index_spans_round_trip(tiny: Tiny) -> None:
    assert_spans_round_trip(tiny.index)


def test_corpus_spans_round_trip(qa: Any) -> None:
    assert_spans_round_trip(qa.index)


def test_a_normalised_value_is_marked_at_its_raw_characters(tiny: Tiny) -> None:
    u = unit_with(tiny.index, "sentence", "Dairy margins")
    assert DAIRY_MARGIN not in u.text  # the unit text has a plain hyphen
    (v,) = [v for v in find_values(u.text) if v.is_range]
    c = citation(tiny.index, u, 1, v)
    assert tiny.index.docs[u.doc].raw[c.value_start : c.value_end] == DAIRY_MARGIN  # type: ignore[misc]


def test_numbers_are_given_in_order_of_first_use_one_per_unit(tiny: Tiny) -> None:
    a = unit_with(tiny.index, "sentence", "Dairy margins")
    b = unit_with(tiny.index, "sentence", ACQUISITION_SENTENCE)
    cites = Citations(tiny.index)
    assert [cites.add(a), cites.add(b), cites.add(a)] == [1, 2, 1]
    assert [c.n for c in cites.items] == [1, 2]
    assert cites.marks(b) == "[2]"  # a sentence has no header to cite


def test_a_table_row_cites_its_header_row(tiny: Tiny) -> None:
    row = unit_with(tiny.index, "table_row", "| Dairy")
    header = table_header(tiny.index, row)
    assert header is not None and header.kind == "heading"
    assert tiny.index.docs[header.doc].raw[header.start : header.end].startswith("| Segment")
    (money,) = [v for v in find_values(row.text) if v.kind == "money"]
    cites = Citations(tiny.index)
    assert cites.marks(row, money) == "[1][2]"
    row_cite, header_cite = cites.items
    assert row_cite.text.startswith("| Dairy") and header_cite.text.startswith("| Segment")
    raw = tiny.index.docs[row.doc].raw
    assert raw[row_cite.value_start : row_cite.value_end] == SEGMENTS["Dairy"]  # type: ignore[misc]
    assert header_cite.value_start is None
    # the first row's header is found too; a sentence has none
    bakery = unit_with(tiny.index, "table_row", "| Bakery")
    assert table_header(tiny.index, bakery) == header
    assert table_header(tiny.index, unit_with(tiny.index, "sentence", "Dairy margins")) is None


@pytest.mark.parametrize("shift", [0, 1])
def test_graph_evidence_is_cited_only_when_it_matches_the_file(tiny: Tiny, shift: int) -> None:
    start = tiny.index.docs[REVIEW_FILE].raw.index(ACQUISITION_SENTENCE) + shift
    ev = Evidence(REVIEW_FILE, start, start + len(ACQUISITION_SENTENCE), ACQUISITION_SENTENCE)
    c = evidence_citation(tiny.index, ev, 3)
    if shift:
        assert c is None
        return
    assert c is not None and c.n == 3 and c.text == ACQUISITION_SENTENCE and c.section == "Overview"
    assert tiny.index.docs[c.doc].raw[c.start : c.end] == c.text


def test_graph_evidence_of_an_unknown_document_is_not_cited(tiny: Tiny) -> None:
    assert evidence_citation(tiny.index, Evidence("gone.txt", 0, 4, "Gone"), 1) is None
