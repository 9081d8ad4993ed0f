"""One answer from sub-answers: citations renumbered in order of first use, comparisons led by a verdict."""

from __future__ import annotations

import re

from tiny_corpus import SEGMENTS, Tiny

from core.types import Answer, Citation
from engine.answer import OfflineAnswerer
from engine.merge import merge_answers
from retrieval.question import analyze, split_question


def cite(n: int, start: int, doc: str = "r.txt") -> Citation:
    return Citation(n, doc, "Report", "S", start, start + 10, f"span {start}")


def answer(text: str, citations: list[Citation], value: str | None = None, abstained: bool = False,
           mode: str = "offline") -> Answer:
    return Answer("q", text, citations, abstained, "none" if abstained else "passages", value=value, mode=mode)


def test_citations_are_renumbered_in_order_of_first_use_and_shared_spans_keep_one_number() -> None:
    first = answer("A [1]. B [2].", [cite(1, 0), cite(2, 100)])
    second = answer("C [1]. D [2].", [cite(1, 200), cite(2, 0)])  # its [2] is the first part's [1]
    merged = merge_answers("What is X, and what is Y?", [("What is X?", first), ("what is Y?", second)], comparison=False)
    assert [(c.n, c.start) for c in merged.citations] == [(1, 0), (2, 100), (3, 200)]
    assert merged.text == "X: A [1]. B [2]. Y: C [3]. D [1]."
    assert merged.answer_type == "multi" and not merged.abstained and merged.route == "passages"
    assert merged.notes[0] == "answered as 2 sub-questions"


def test_every_part_abstaining_is_an_abstention_and_mixed_modes_are_a_fallback() -> None:
    no = answer("The corpus does not say.", [], abstained=True)
    merged = merge_answers("X, and Y?", [("X?", no), ("Y?", no)], comparison=False)
    assert merged.abstained and merged.route == "none" and merged.value is None
    mixed = merge_answers("X, and Y?", [("X?", answer("1 [1].", [cite(1, 0)])),
                                        ("Y?", answer("2 [1].", [cite(1, 50)], mode="llm"))], comparison=False)
    assert mixed.mode == "llm-fallback"


def test_comparison_of_real_sub_answers_says_which_side_is_larger(tiny: Tiny) -> None:
    q = "Which is larger, Bakery revenue or Dairy revenue?"
    assert analyze(q).answer_type == "comparison"
    offline = OfflineAnswerer(tiny.index, tiny.settings)
    parts = [(p, offline.answer(tiny.retriever.search(p))) for p in split_question(q)]
    assert [a.value for _, a in parts] == [SEGMENTS["Bakery"], SEGMENTS["Dairy"]]
    merged = merge_answers(q, parts, comparison=True)
    assert merged.text.startswith(f"Bakery revenue is larger ({SEGMENTS['Bakery']} vs {SEGMENTS['Dairy']}).")
    assert merged.answer_type == "comparison" and merged.value == f"{SEGMENTS['Bakery']}; {SEGMENTS['Dairy']}"
    # both rows cite the table's header row: one citation, one number
    spans = [(c.doc, c.start, c.end) for c in merged.citations]
    assert len(spans) == len(set(spans)) == 3
    assert sorted({int(n) for n in re.findall(r"\[(\d+)\]", merged.text)}) == [1, 2, 3]
    for c in merged.citations:
        assert tiny.index.docs[c.doc].raw[c.start : c.end] == c.text
    smaller = merge_answers(q.replace("larger", "smaller"), parts, comparison=True)
    assert smaller.text.startswith(f"Dairy revenue is smaller ({SEGMENTS['Dairy']} vs {SEGMENTS['Bakery']}).")


def test_comparison_of_ratings_uses_the_ordinal_scale() -> None:
    parts = [
        ("What is the risk rating of Communications?", answer("High [1].", [cite(1, 0)])),
        ("What is the risk rating of Segment?", answer("Medium [1].", [cite(1, 40)])),
    ]
    q = "Which carries the higher risk rating, Communications or Segment?"
    assert merge_answers(q, parts, comparison=True).text.startswith("Communications is higher (high vs medium).")
    same = [(parts[0][0], parts[0][1]), (parts[1][0], answer("High [1].", [cite(1, 40)]))]
    assert merge_answers(q, same, comparison=True).text.startswith("Both are rated high.")
