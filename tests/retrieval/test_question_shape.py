"""retrieval/question_shape.py and the open/comparison cues of question_types.json."""

from __future__ import annotations

import pytest

from retrieval.question import analyze
from retrieval.question_shape import (
    aspects,
    comparison_parts,
    is_lead_in,
    open_focus,
    polarity_counts,
    starts_anaphoric,
    turns_negative,
)


@pytest.mark.parametrize("question", [
    "What are the weaknesses of Acme's logistics arm?",
    "Summarize the bear case for Acme.",
    "What happens if freight volumes fall?",
    "What does the tariff change mean for Acme's margins?",
    "What are the main risks facing Acme?",
    "How has Acme's cost base changed since 2021?",
    "What does the commentary conclude about Acme's buyback?",
])
def test_open_questions(question: str) -> None:
    assert analyze(question).answer_type == "open" and analyze(question).kinds == ()


@pytest.mark.parametrize("question,kind", [
    ("What was Acme's revenue in 2024?", "amount"),
    ("Which companies compete with Acme?", "list"),
    ("Why did Acme buy Beta?", "reason"),
    ("Compare Alpha and Beta.", "comparison"),
    ("How do the two reports differ on Acme's outlook?", "comparison"),
    ("Which is cheaper, rail or road?", "comparison"),
])
def test_other_types_stay(question: str, kind: str) -> None:
    assert analyze(question).answer_type == kind


def test_open_focus_subject_and_aspects() -> None:
    f = open_focus("What are the risks to Acme's freight brokerage?")
    assert f.aspects == ("risks",) and f.subject == "Acme's freight brokerage" and not f.summary
    assert open_focus("Give me an overview of the bull case.").summary


@pytest.mark.parametrize("question,items,prop,direction", [
    ("Compare Alpha and Beta.", ("Alpha", "Beta"), "", ""),
    ("How does Alpha compare with Beta on gross margin?", ("Alpha", "Beta"), "gross margin", ""),
    ("Alpha vs Beta: which carries the higher credit risk?", ("alpha", "Beta"), "credit risk", "more"),
    ("Which is cheaper per ton, rail freight or road freight?", ("rail freight", "road freight"), "per ton", "less"),
    ("What is the difference between the bull case and the bear case?", ("bull case", "bear case"), "", ""),
    ("Compare the near-term and long-term scenarios.", ("near-term scenarios", "long-term scenarios"), "", ""),
])
def test_comparison_parts(question: str, items: tuple[str, str], prop: str, direction: str) -> None:
    p = comparison_parts(question)
    assert (p.items, p.prop, p.direction, p.across_documents) == (items, prop, direction, False)


def test_documents_as_items() -> None:
    p = comparison_parts("How do the two reports differ on Acme's pricing power?")
    assert p.across_documents and p.prop == "Acme's pricing power" and p.items == ()


def test_cues_match_words_not_parts_of_words() -> None:
    rev = next(a for a in aspects().values() if a.name == "weaknesses")
    assert rev.hits("Prices are declining and margins narrowed.") >= 2
    assert polarity_counts("a durable advantage")[1] >= 1 and polarity_counts("margins eroded")[0] >= 1
    assert turns_negative("Yields are best-in-class, but the gap has narrowed.")
    assert not turns_negative("Yields are best-in-class and rising.")
    assert starts_anaphoric("This advantage is declining.") and not starts_anaphoric("Thistle Corp grew.")
    assert is_lead_in("The key takeaways are:") and not is_lead_in("Moats have eroded more than investors expected:")
