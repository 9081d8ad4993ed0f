"""Unit tests of eval.metrics on small hand-made cases (no index, no model)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from eval import metrics as M


@dataclass
class Cite:
    n: int
    doc: str
    start: int
    end: int
    text: str


def num(value: float, unit: str, **kw: float) -> dict:
    return {"kind": "number", "value": value, "unit": unit, **kw}


# ---- numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "$4.46B [1].",
        "4.46 billion [1].",
        "About $4.46 billion in fiscal 2024 [1].",
        "Roughly $4,460 million [1].",
        "US$4.46bn in FY2024 [1]. Something else $9 billion [2].",
    ],
)
def test_money_surface_forms_are_one_value(answer):
    s = M.score_answer(num(4_460_000_000, "USD"), answer)
    assert s.correct, s.detail


def test_only_the_first_sentence_is_scored_for_numbers():
    gold = num(4_460_000_000, "USD")
    assert not M.score_answer(gold, "About $3.12 billion [1]. Revenue was $4.46 billion [2].").correct
    assert M.first_sentence("About $3.12 billion [1]. More [2].") == "About $3.12 billion "
    assert M.first_sentence("no markers at all") == "no markers at all"


def test_wrong_unit_fails_and_says_so():
    s = M.score_answer(num(0.3, "%"), "30x [1].")
    assert not s.correct
    assert "wrong unit" in s.detail
    assert not M.score_answer(num(3_200_000_000, "USD"), "3.2 billion customers [1].").correct
    assert not M.score_answer(num(30, "ms"), "30% [1].").correct
    assert not M.score_answer(num(5400, "people"), "$5,400 [1].").correct


def test_wrong_value_is_reported():
    s = M.score_answer(num(0.13, "%"), "9% of revenue [1].")
    assert not s.correct and s.detail.startswith("wrong value") and "9%" in s.detail


@pytest.mark.parametrize(
    ("gold", "answer"),
    [
        (num(0.3, "%"), "Over 30% since 2022 [1]."),
        (num(6e-05, "%"), "0.006% [1]."),
        (num(5, "x"), "5x [1]."),
        (num(28, "ms"), "28 ms [1]."),
        (num(28, "ms"), "0.028 seconds [1]."),
        (num(7, "score", of=10), "7/10 [1]."),
        (num(7, "score", of=10), "7 out of 10 [1]."),
        (num(2020, "year"), "In 2020 [1]."),
        (num(2024, "year"), "FY2024 [1]."),
        (num(5400, "people"), "About 5,400 employees by early 2024 [1]."),
        (num(3, "count"), "3 indicators [1]."),
        (num(3, "count"), "Three [1]."),
        (num(0.5, "USD"), "$0.50 per inference [1]."),
    ],
)
def test_number_units(gold, answer):
    s = M.score_answer(gold, answer)
    assert s.correct, s.detail


def test_years_must_be_equal():
    # same_number's 0.5% tolerance would take 2023 for 2020; years are exact
    assert not M.score_answer(num(2020, "year"), "2023 [1].").correct
    assert not M.score_answer({"kind": "range", "low": 2024, "high": 2026, "unit": "year"}, "2025-2026 [1].").correct


def test_score_out_of_another_scale_fails():
    assert not M.score_answer(num(7, "score", of=10), "7/100 [1].").correct


def test_typography_is_normalised():
    # a U+2011 non-breaking hyphen and a narrow no-break space inside the value
    assert M.score_answer({"kind": "range", "low": 0.49, "high": 0.52, "unit": "%"}, "49\u201152% [1].").correct
    assert M.score_answer(num(30, "ms"), "30\u202fms [1].").correct


# ---- ranges -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["49-52% [1].", "49% to 52% [1].", "Between 49% and 52% [1].", "In the 49–52% range [1]."])
def test_range_matches(answer):
    s = M.score_answer({"kind": "range", "low": 0.49, "high": 0.52, "unit": "%"}, answer)
    assert s.correct, s.detail


@pytest.mark.parametrize("answer", ["49% [1]. 52% later", "49-53% [1].", "52% [1].", "49-52x [1]."])
def test_range_misses(answer):
    assert not M.score_answer({"kind": "range", "low": 0.49, "high": 0.52, "unit": "%"}, answer).correct


def test_multiple_range():
    assert M.score_answer({"kind": "range", "low": 5, "high": 6, "unit": "x"}, "5-6x forward revenue [1].").correct
    assert not M.score_answer({"kind": "range", "low": 5, "high": 6, "unit": "x"}, "3-4x [1].").correct


# ---- lists and text ---------------------------------------------------------------------------------


LIST = {"kind": "list", "items": [["Sierra AI", "Sierra"], ["Bland AI", "Bland"], ["Retell AI", "Retell"]]}


def test_list_recall():
    full = M.score_answer(LIST, "Sierra AI, Bland AI and Retell AI [1].")
    assert full.correct and full.recall == 1.0
    two = M.score_answer(LIST, "sierra and BLAND [1].")  # case-insensitive, alternatives
    assert two.correct and two.recall == pytest.approx(2 / 3)
    assert two.missing == [["Retell AI", "Retell"]]
    one = M.score_answer(LIST, "Only Sierra [1].")
    assert not one.correct and one.recall == pytest.approx(1 / 3)


def test_list_scored_on_whole_answer():
    s = M.score_answer(LIST, "Sierra AI [1]. Vendors like Bland AI and Retell AI build agents. [1]")
    assert s.recall == 1.0


def test_text_needs_every_group():
    gold = {"kind": "text", "keywords": [["Q3", "third quarter"], ["2025"]]}
    assert M.score_answer(gold, "The third quarter of 2025 [1].").correct
    s = M.score_answer(gold, "Q3 [1].")
    assert not s.correct and "2025" in s.detail


def test_abstention_echo_is_not_an_answer():
    gold = {"kind": "text", "keywords": [["Rottenberg"]]}
    text = 'The corpus does not say ("Who sold shares, was it Rottenberg"). Closest passages: [1].'
    assert not M.score_answer(gold, text).correct


def test_comparison_with_an_unanswered_side_is_wrong():
    gold = {"kind": "text", "keywords": [["target"]]}
    text = 'Target: The corpus does not say ("what is the target"). Plateau: 18-20% [1].'
    s = M.score_answer(gold, text, "comparison")
    assert not s.correct and "partial" in s.detail


# ---- citations --------------------------------------------------------------------------------------


RAW = "Intro line.\nRevenue was about $4.46 billion in fiscal 2024.\nMargins were 49\u201152%.\n"


def test_locate_quote_exact_and_normalised():
    q = "about $4.46 billion"
    [(s, e)] = M.locate_quote(RAW, q)
    assert RAW[s:e] == q
    [(s, e)] = M.locate_quote(RAW, "49-52%")  # gold typed an ASCII hyphen, the file has U+2011
    assert RAW[s:e] == "49\u201152%"
    assert M.locate_quote(RAW, "not there") == []


def test_overlap_is_half_open():
    assert M.overlaps((0, 5), (4, 10))
    assert not M.overlaps((0, 5), (5, 10))
    assert M.overlaps((3, 4), (0, 10))


def test_citation_precision_and_recall():
    ev_a = [("a.txt", (100, 120))]
    ev_b = [("a.txt", (300, 320)), ("b.txt", (0, 10))]  # a quote found at two places
    cites = [Cite(1, "a.txt", 90, 110, "x"), Cite(2, "b.txt", 5, 50, "y"), Cite(3, "a.txt", 500, 600, "z"),
             Cite(4, "b.txt", 100, 120, "w")]
    assert M.citation_precision(cites, [ev_a, ev_b]) == pytest.approx(2 / 4)
    assert M.citation_recall(cites, [ev_a, ev_b]) == 1.0
    assert M.citation_recall(cites[:1], [ev_a, ev_b]) == 0.5
    # the same span in another document is not a hit
    assert M.citation_precision([Cite(1, "b.txt", 100, 120, "")], [ev_a]) == 0.0
    assert M.citation_precision([], [ev_a]) is None


def test_supporting_citation():
    gold = num(4_460_000_000, "USD")
    s = M.score_answer(gold, "About $4.46 billion [1].")
    assert M.supported(s, [Cite(1, "a", 0, 10, "revenue of approximately $4.46B in fiscal 2024")])
    assert M.supported(s, [Cite(1, "a", 0, 10, "revenue of 4.46 billion")])
    assert not M.supported(s, [Cite(1, "a", 0, 10, "revenue of $3.12B")])
    assert not M.supported(s, [])
    wrong = M.score_answer(gold, "About $3 billion [1].")
    assert M.supported(wrong, [Cite(1, "a", 0, 10, "$3 billion")]) is None
    rng = M.score_answer({"kind": "range", "low": 0.49, "high": 0.52, "unit": "%"}, "49-52% [1].")
    assert M.supported(rng, [Cite(1, "a", 0, 9, "margins in the 49\u201152% range")])
    lst = M.score_answer(LIST, "Sierra and Bland [1].")
    assert M.supported(lst, [Cite(1, "a", 0, 9, "Vendors like Sierra AI, Bland AI")])
    assert not M.supported(lst, [Cite(1, "a", 0, 9, "Vendors like Sierra AI")])


# ---- retrieval ----------------------------------------------------------------------------------------


def test_retrieval_ranks_recall_and_mrr():
    ev = [[("a.txt", (100, 120))], [("b.txt", (0, 10))]]
    passages = [("a.txt", 0, 50), ("b.txt", 0, 5), ("a.txt", 110, 400)]
    ranks = M.evidence_ranks(passages, ev)
    assert ranks == [3, 2]
    assert M.recall_at_k(ranks, 1) == 0.0
    assert M.recall_at_k(ranks, 2) == 0.5
    assert M.recall_at_k(ranks, 3) == 1.0
    assert M.reciprocal_rank(ranks) == 0.5
    assert M.reciprocal_rank([None]) == 0.0
    assert M.recall_at_k([], 5) is None


# ---- abstention ---------------------------------------------------------------------------------------


def test_abstention_precision_recall():
    # (answerable, abstained)
    pairs = [(False, True), (False, True), (False, False), (True, True), (True, False)]
    p, r = M.abstention_pr(pairs)
    assert p == pytest.approx(2 / 3) and r == pytest.approx(2 / 3)
    assert M.abstention_pr([(True, False)]) == (None, None)


# ---- faithfulness -------------------------------------------------------------------------------------


def test_answer_sentences_follow_markers():
    text = "Segment: $560 million [1], higher than Flex: $340 million [2]. Extra words without a source."
    assert M.answer_sentences(text) == [
        ("Segment: $560 million", [1]), ("higher than Flex: $340 million", [2]),
        ("Extra words without a source", []),
    ]
    assert M.answer_sentences("A claim [1][2].") == [("A claim", [1, 2])]


def test_faithfulness():
    cites = [
        Cite(1, "a", 0, 1, "With fiscal 2024 revenue of approximately $4.46 billion, Twilio is navigating."),
        Cite(2, "a", 0, 1, "Segment revenue was ~$560M."),
    ]
    score, checks = M.faithfulness("About $4.46 billion in fiscal 2024 [1].", cites)
    assert score == 1.0 and checks[0].numbers_ok
    # a number absent from its own citation
    score, checks = M.faithfulness("About $4.46 billion in fiscal 2023 [1].", cites)
    assert score == 0.0 and not checks[0].numbers_ok
    # the right number but under the wrong citation
    assert M.faithfulness("Segment revenue was $560 million [1].", cites)[0] == 0.0
    assert M.faithfulness("Segment revenue was $560 million [2].", cites)[0] == 1.0
    # words mostly not in the span
    score, checks = M.faithfulness("Twilio dominates enterprise messaging worldwide [1].", cites)
    assert score == 0.0 and checks[0].word_share < 0.6
    # an uncited claim counts against the answer
    assert M.faithfulness("Segment revenue was ~$560M [2]. Unsupported speculation here.", cites)[0] == 0.5


def test_mean_and_percentile():
    assert M.mean([1.0, None, 0.0, True]) == pytest.approx(2 / 3)
    assert M.mean([None]) is None
    assert M.percentile([10, 20, 30, 40, 50], 50) == 30
    assert M.percentile([1.0, 2.0], 95) == pytest.approx(1.95)
    assert M.percentile([], 50) is None
