"""kg.extract.text: the pure string helpers; and every doctest example of the kg.extract package."""

from __future__ import annotations

import doctest
import importlib

import pytest

from kg.extract.text import (
    arena,
    clean_name,
    first_chunk,
    namey,
    np_phrase,
    short_list,
    singular_phrase,
    split_cells,
    starts_with_name,
    top_level_split,
    words_before,
)


@pytest.mark.parametrize(
    "module",
    ["kg.extract", "kg.extract.text", "kg.extract.structure", "kg.extract.state", "kg.extract.segments",
     "kg.extract.entities", "kg.extract.relations", "kg.extract.metrics", "kg.extract.metric_names",
     "kg.extract.tables"],
)
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0


@pytest.mark.parametrize(
    ("raw", "name"),
    [("Acme Corp's", "Acme Corp"), ('"Nimbus AI",', "Nimbus AI"), ("(Vonage (now Ericsson)", "Vonage (now Ericsson)"),
     ("Security testing (SAST", "Security testing (SAST)"), ("  Acme \n Corp ", "Acme Corp")],
)
def test_clean_name(raw, name):
    assert clean_name(raw) == name


def test_split_cells_keeps_offsets_into_the_row_text():
    row = "Segment: Flex; FY2024 Revenue: ~$1.6B; Notes: grew 5%; slower"
    cells = split_cells(row, ["Segment", "FY2024 Revenue", "Notes"])
    assert [(h, c) for h, _, c in cells] == [("Segment", "Flex"), ("FY2024 Revenue", "~$1.6B"), ("Notes", "grew 5%; slower")]
    assert all(row[off : off + len(c)] == c for _, off, c in cells)
    assert split_cells("no headers here", []) == [(None, 0, "no headers here")]


def test_name_and_phrase_helpers():
    assert [namey(t) for t in ("Acme", "iPhone", "acme", "42nd", "")] == [True, True, False, False, False]
    assert np_phrase("adjusted EBITDA margins by 2026, up from 7%") == "adjusted EBITDA margins"
    assert np_phrase("the revenue of the group in the US") == "revenue of the group"
    assert first_chunk("Graph neural networks (GNNs) for routing") == ("Graph neural networks", ("GNNs", "GNN"))
    assert first_chunk("Containerised inference services for customer support") == ("Containerised inference services", ())
    assert first_chunk("Edge GPU fleets with six hundred racks") == ("Edge GPU fleets", ())
    assert first_chunk("Seven plain words make up this long cell") is None
    assert words_before("with gross margins declining approximately ") == "gross margins"
    assert words_before("; ") is None


def test_lists_and_arenas():
    assert short_list("Spot instances, reserved capacity and savings plans.") == [
        "spot instances", "reserved capacity", "savings plans"]
    assert short_list("Two items, only") == []
    assert short_list("GPUs, 3 racks, TPUs") == []
    assert top_level_split("a (b, c), d") == ["a (b, c)", "d"]
    # the actor before the cue ("tight") owns only its clause; otherwise ", and ..." continues a list
    text = "X competes in freight matching, and Y undercuts Z on price in the Midwest."
    at = text.index("competes") + len("competes")
    assert arena(text, at, tight=True) == "freight matching"
    assert arena(text, at) == "Midwest"
    assert arena(text, text.index("undercuts") + len("undercuts"), tight=True) == "Midwest"
    assert arena("Rivals offer competing freight APIs.", len("Rivals offer competing")) == "freight APIs"


def test_plural_helpers():
    assert singular_phrase("gross margins") == "gross margin"
    assert singular_phrase("customer analytics") == "customer analytics"
    assert singular_phrase("LLMs") == "LLMs"
    assert starts_with_name("edge node latency", "edge nodes")
    assert not starts_with_name("edge nodes", "edge nodes")
