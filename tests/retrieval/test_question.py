"""Question analysis: answer types and value kinds, named values, comparison sides, sub-questions."""

from __future__ import annotations

import doctest

import pytest

import retrieval.question
from retrieval.question import analyze, generic_words, ordinal_levels, split_question


@pytest.mark.parametrize(
    ("question", "answer_type", "first_kind"),
    [
        ("Why is the messaging layer at risk?", "reason", None),
        ("What share of revenue comes from the data platform?", "percentage", "percent"),
        ("Which vendors build AI voice agents?", "list", None),
        ("Who is the chief executive?", "name", None),
        ("How many employees does Acme have?", "count", "count"),
        ("When did Acme launch Dispatch?", "year", "year"),
        ("What was Acme's fiscal 2024 revenue?", "amount", "money"),
        ("Within what range have gross margins been?", "range", "percent"),
        ("What multiple does the stock trade at?", "multiple", "multiple"),
        ("What does the report say about Europe?", "open", None),
        ("What is the Flex platform?", "other", None),
    ],
)
def test_answer_type_and_preferred_value_kind(question: str, answer_type: str, first_kind: str | None) -> None:
    a = analyze(question)
    assert a.answer_type == answer_type
    assert (a.kinds[0] if a.kinds else None) == first_kind


def test_analysis_keeps_the_questions_words_and_values() -> None:
    a = analyze("  What is the   revenue target by 2028? ")
    assert a.text == "What is the revenue target by 2028?"  # whitespace normalised
    assert [(v.kind, int(v.value)) for v in a.values] == [("year", 2028)]
    assert "2028" in a.tokens and "what" not in a.tokens  # stopwords dropped
    assert a.aggregate_money and not analyze("What is the price per message?").aggregate_money
    assert analyze("Within what range have gross margins been?").wants_range
    assert not analyze("What was Acme's fiscal 2024 revenue?").wants_range


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        ("Which is larger, Flex revenue or Segment revenue?", ("Flex revenue", "Segment revenue")),
        ("How does Flex revenue compare with Segment revenue?", ("Flex revenue", "Segment revenue")),
        ("Segment versus Flex?", ("Segment", "Flex")),
        ("What is the difference between Flex and Segment?", ("Flex", "Segment")),
    ],
)
def test_comparison_sides(question: str, sides: tuple[str, str]) -> None:
    a = analyze(question)
    assert a.answer_type == "comparison" and a.sides == sides


def test_a_non_comparison_has_no_sides() -> None:
    assert analyze("What was Acme's fiscal 2024 revenue?").sides == ()


def test_split_a_conjunction_into_its_questions() -> None:
    assert split_question("What did Acme pay for Beta, and how much revenue did Beta make?") == [
        "What did Acme pay for Beta?", "how much revenue did Beta make?"]


def test_split_a_comparison_into_one_question_per_side() -> None:
    assert split_question("Which is larger, Flex revenue or Other / international revenue?") == [
        "How much is Flex revenue?", "How much is Other / international revenue?"]
    # a named property is asked of each side
    assert split_question("Which carries the higher AI disruption risk rating, the communications business or Segment?") == [
        "What is the AI disruption risk rating of communications business?",
        "What is the AI disruption risk rating of Segment?"]


def test_a_single_question_is_not_split() -> None:
    assert split_question("  What was   revenue? ") == ["What was revenue?"]
    assert split_question("What are the bull and bear cases?") == ["What are the bull and bear cases?"]


def test_data_lists() -> None:
    levels = ordinal_levels()
    assert levels.index("low") < levels.index("medium") < levels.index("high")
    assert "rate" in generic_words() and "revenu" not in generic_words()


def test_module_doctests() -> None:
    failed, tried = doctest.testmod(retrieval.question)
    assert tried > 0 and failed == 0
