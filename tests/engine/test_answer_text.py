"""The answer builders' text helpers: periods, anchors, value display, names; and the engine doctests."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from core.types import Unit
from core.values import find_values
from engine import answer_names, answer_text, answer_values, llm_check, llm_prompt
from engine.answer_names import names_kind, phrases
from engine.answer_text import capitalised, quote, run
from engine.answer_values import anchor_text, period_phrase, show


@pytest.mark.parametrize("module", [answer_text, answer_names, answer_values, llm_check, llm_prompt])
def test_doctests(module: ModuleType) -> None:
    failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failed == 0


def test_each_value_gets_its_own_clauses_period() -> None:
    text = "Margins were 7-9% in FY2023, and headcount fell to 10,500 by late 2024."
    by_surface = {v.surface: period_phrase(text, v) for v in find_values(text)}
    assert by_surface["7-9%"] == " in FY2023"
    assert by_surface["10,500"] == " by late 2024"
    assert by_surface["2024"] == ""  # a year states no period of itself


def test_no_period_nearby_gives_no_phrase() -> None:
    text = "The plan costs $0.50 per message."
    (v,) = find_values(text)
    assert period_phrase(text, v) == ""
    assert show(v) == "$0.50"  # small amounts keep the report's decimals


def test_count_is_shown_with_its_noun() -> None:
    (v,) = find_values("Acme has 1,200 employees.")
    assert v.kind == "count" and show(v) == "1,200 employees"


def test_a_table_rows_value_is_anchored_to_its_first_cell_and_own_cell() -> None:
    u = Unit(0, "d.txt", 0, 0, 30, "Segment: Dairy; FY2023 Revenue: $130 million; Share: 42%", "table_row", "Segments")
    anchors = {v.surface: anchor_text(u, v) for v in find_values(u.text)}
    assert anchors["42%"] == "Segment: Dairy Share: 42%"
    assert anchors["$130 million"] == "Segment: Dairy FY2023 Revenue: $130 million"
    assert quote(u) == u.text + "."


def test_loose_capitalised_words_are_not_an_enumeration() -> None:
    names, enumeration = names_kind("The report mentions Kubernetes and growth in Europe.")
    assert not enumeration and "Kubernetes" in names
    names, enumeration = names_kind("Rivals include Convoy Labs, Loadstar Inc, and Freightly.")
    assert enumeration and names == ["Convoy Labs", "Loadstar Inc", "Freightly"]
    assert phrases("It runs unit tests, security scans, and deploy to staging.") == [
        "runs unit tests", "security scans", "deploy to staging"]  # the lead-in's last three words


def test_capitalised_skips_the_first_word_and_lower_case_prefixes() -> None:
    assert capitalised("What is the non-GAAP margin of Acme?") == {"acme"}
    assert capitalised("Which LLM-based tools?") == {"llm"}


def test_run_is_the_contiguous_stretch_around_an_index() -> None:
    units = [Unit(i, "d", 0, i, i + 1, str(i), "table_row" if 2 <= i <= 4 else "sentence", "S") for i in range(7)]
    assert [u.id for u in run(units, 3, lambda u: u.kind == "table_row")] == [2, 3, 4]
