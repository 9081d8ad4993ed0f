"""eval/open_metrics.py: point coverage inside cited spans, comparison cells, leads, repeated sentences."""

from __future__ import annotations

from core.types import Answer, Citation, Comparison, Point
from eval.open_metrics import (
    AnswerPoint,
    answer_points,
    cell_right,
    displayed_sentences,
    lead_right,
    point_made,
    repeated_sentences,
)


def _cite(n: int, text: str) -> Citation:
    return Citation(n, "d.txt", "D", "", 0, len(text), text)


def test_a_point_counts_only_inside_its_own_cited_span() -> None:
    pts = [AnswerPoint("Prices fall 5-8% a year.", ["rates declining approximately 5-8% annually"])]
    assert point_made([["5-8%"]], pts)
    assert not point_made([["5-8%"], ["pricing power"]], pts)
    # the keyword is in the point's text but not in the span it cites
    assert not point_made([["pricing power"]], [AnswerPoint("No pricing power.", ["margins fell"])])
    # both groups must be in one point, not spread over two
    two = [AnswerPoint("Margins fell.", ["margins fell"]), AnswerPoint("Prices fell.", ["prices fell"])]
    assert not point_made([["margins"], ["prices"]], two)


def test_answers_without_points_are_read_as_cited_claims() -> None:
    a = Answer("q", "Revenue rose 9% [1]. Margins fell [2].", [_cite(1, "revenue rose 9%"), _cite(2, "margins fell")],
               False, "passages")
    pts = answer_points(a)
    assert [p.spans for p in pts] == [["revenue rose 9%"], ["margins fell"]]


def _table(items: list[str], props: list[str], cells: list[list[Point]], cites: list[Citation]) -> Answer:
    return Answer("q", "A is larger.\n- A: x\n- B: y", cites, False, "passages", answer_type="comparison",
                  comparison=Comparison(items, props, cells))


def test_cells_need_the_right_row_column_and_a_cited_span() -> None:
    cites = [_cite(1, "| Alpha | $5M | High |"), _cite(2, "| Beta | $3M | Low |")]
    a = _table(["Alpha line", "Beta line"], ["Revenue", "Risk"],
               [[Point("$5M", [1]), Point("High", [1])], [Point("$3M", [2]), Point("not stated in the reports", [])]],
               cites)
    items = [["Alpha"], ["Beta"]]
    assert cell_right({"item": 0, "property": ["revenue"], "keywords": [["5M"]]}, items, a)
    assert not cell_right({"item": 1, "property": ["revenue"], "keywords": [["5M"]]}, items, a)  # wrong row
    assert not cell_right({"item": 0, "property": ["risk"], "keywords": [["5M"]]}, items, a)  # wrong column
    assert cell_right({"item": 0, "property": None, "keywords": [["High"]]}, items, a)
    assert not cell_right({"item": 1, "property": ["risk"], "keywords": [["Low"]]}, items, a)  # not stated


def test_without_a_table_a_cited_claim_naming_the_item_counts() -> None:
    a = Answer("q", "Alpha made $5M [1]. Beta made $3M [2].", [_cite(1, "Alpha made $5M"), _cite(2, "Beta made $3M")],
               False, "passages")
    assert cell_right({"item": 1, "property": None, "keywords": [["3M"]]}, [["Alpha"], ["Beta"]], a)
    assert not cell_right({"item": 0, "property": None, "keywords": [["3M"]]}, [["Alpha"], ["Beta"]], a)


def test_lead_is_read_in_the_first_sentence_only() -> None:
    a = Answer("q", "Alpha is larger ($5M vs $3M) [1][2].\n- Beta: smaller", [], False, "passages")
    assert lead_right([["Alpha"]], a) and not lead_right([["smaller"]], a)


def test_repeated_sentences() -> None:
    assert repeated_sentences(["The same quote.", "Another.", "the same quote"]) == 1
    assert repeated_sentences(["Sierra and Bland [1].", "Vendors like Sierra and Bland build agents for the contact center."]) == 0
    a = Answer("q", "- One [1]\n- Two [2]", [], False, "passages", answer_type="open",
               points=[Point("One.", [1]), Point("One.", [1])])
    assert displayed_sentences(a) == ["One.", "One."] and repeated_sentences(displayed_sentences(a)) == 1
