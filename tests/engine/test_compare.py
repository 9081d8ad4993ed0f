"""Comparisons side by side (engine/compare.py), on a second company's corpus and the bundled one."""

from __future__ import annotations

from typing import Any

from analyst_corpus import BEAR, BULL, DOCUMENTS, ROWS

from core.types import Answer
from engine.compare import NOT_STATED
from eval.open_metrics import displayed_sentences, repeated_sentences


def _check_table(a: Answer, raw: dict[str, str]) -> None:
    """Every comparison: a table whose cells are cited (or say they are not stated), nothing said twice."""
    assert a.answer_type == "comparison" and not a.abstained
    comp = a.comparison
    assert comp is not None and len(comp.items) == 2 and comp.properties
    assert all(len(row) == len(comp.properties) for row in comp.cells)
    ns = {c.n for c in a.citations}
    for row in comp.cells:
        for cell in row:
            assert cell.citations or cell.text == NOT_STATED
            assert set(cell.citations) <= ns
    for c in a.citations:
        assert raw[c.doc][c.start : c.end] == c.text
    assert repeated_sentences(displayed_sentences(a)) == 0
    d = a.to_dict()["comparison"]
    assert set(d) == {"items", "properties", "cells"} and set(d["cells"][0][0]) == {"text", "citations"}


def _cell(a: Answer, item_word: str, prop_word: str) -> str:
    comp = a.comparison
    assert comp is not None
    i = next(i for i, x in enumerate(comp.items) if item_word.lower() in x.lower())
    j = next(j for j, p in enumerate(comp.properties) if prop_word.lower() in p.lower())
    return comp.cells[i][j].text


def test_rows_of_one_table_compare_on_its_columns(analyst_qa: Any) -> None:
    a = analyst_qa.ask("Compare stacked packaging and test services.")
    _check_table(a, DOCUMENTS)
    for item in ("Stacked packaging", "Test services"):
        revenue, share, risk = ROWS[item]
        assert revenue in _cell(a, item, "revenue") and share in _cell(a, item, "% of total")
        assert risk in _cell(a, item, "risk")
    assert a.text.startswith("Stacked packaging is larger")  # the lead answers which is larger


def test_which_is_riskier_reads_the_rating_column(analyst_qa: Any) -> None:
    a = analyst_qa.ask("Which carries the higher cyclical risk, test services or legacy wire-bond?")
    _check_table(a, DOCUMENTS)
    assert a.text.lower().startswith("legacy wire-bond is higher")
    assert "Medium" in a.text.split("\n")[0] and "Low" in a.text.split("\n")[0]


def test_scenarios_line_up_on_the_same_properties(analyst_qa: Any) -> None:
    a = analyst_qa.ask("Compare the bull case and the bear case for Veyra.")
    _check_table(a, DOCUMENTS)
    cells = {x.lower(): [c.text for c in row] for x, row in zip(a.comparison.items, a.comparison.cells, strict=True)}
    bull = next(v for k, v in cells.items() if "bull" in k)
    bear = next(v for k, v in cells.items() if "bear" in k)
    multiple = next(j for j, t in enumerate(bull) if "9-10x" in t)
    assert "4-5x" in bear[multiple]  # the same property (column) for both sides
    assert BULL[-1] and BEAR[-1]


def test_a_side_without_evidence_says_so_and_the_answer_stands(analyst_qa: Any) -> None:
    a = analyst_qa.ask("How does Veyra compare with Zentrix on packaging yields?")
    _check_table(a, DOCUMENTS)
    comp = a.comparison
    row = comp.items.index(next(x for x in comp.items if "zentrix" in x.lower()))
    assert all(c.text == NOT_STATED for c in comp.cells[row])
    other = 1 - row
    assert any(c.citations for c in comp.cells[other])


def test_quantity_comparison_asks_each_side_and_says_which_is_larger(qa: Any) -> None:
    raw = {d: r.raw for d, r in qa.index.docs.items()}
    a = qa.ask("What is the difference between Twilio Flex AI inference cost and rule-based responses?")
    _check_table(a, raw)
    assert "$0.50" in a.comparison.cells[0][0].text and "$0.05" in a.comparison.cells[1][0].text
    lead = a.text.split("\n")[0]
    assert "0.50" in lead and "0.05" in lead and "[" in lead


def test_comparison_of_sections_is_not_split_into_how_much_questions(qa: Any) -> None:
    raw = {d: r.raw for d, r in qa.index.docs.items()}
    a = qa.ask("Compare the near-term and long-term scenarios.")
    _check_table(a, raw)
    assert "does not say" not in a.text
    sections = {c.section for c in a.citations}
    assert any("Near Term" in s for s in sections) and any("Long Term" in s for s in sections)


def test_difference_of_two_stated_figures_is_computed_and_shown_side_by_side(qa: Any) -> None:
    """When both figures are found, "the difference between A and B" is computed from both cited
    figures, and its table holds each side as any comparison's does."""
    raw = {d: r.raw for d, r in qa.index.docs.items()}
    a = qa.ask("What is the difference between Communications FY2024 revenue and Segment FY2024 revenue?")
    assert a.answer_type == "computed" and not a.abstained and a.computation is not None
    comp = a.comparison
    assert comp is not None and len(comp.items) == 2 and comp.properties == ["figure"]
    ns = {c.n for c in a.citations}
    for row, inp in zip(comp.cells, a.computation.inputs, strict=True):
        assert row[0].citations == [inp.citation] and set(row[0].citations) <= ns
    for c in a.citations:
        assert raw[c.doc][c.start : c.end] == c.text
