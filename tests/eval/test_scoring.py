"""The deterministic answer scorer of the public benchmarks (``eval.scoring``)."""

from __future__ import annotations

import pytest

from eval import scoring


@pytest.mark.parametrize(
    ("gold", "pred", "ok"),
    [
        ("$1577.00", "Capital expenditure was $1,577 million [1].", True),
        ("$1577.00", "Capital expenditure was $1.577 billion [1].", True),  # rescaled
        ("$1577.00", "Capital expenditure was $1,611 million [1].", False),
        ("24.26", "The ratio is 24.3 [1].", True),  # within 1%
        ("24.26", "The ratio is 25.1 [1].", False),
        ("1.9%", "Margin grew 1.9% [1].", True),
        ("1.9%", "Margin grew 0.019 [1].", True),  # percent as a fraction
        ("-0.02", "Cash flow ratio was (0.02) [1].", True),  # signs ignored
        ("0", "It was 0 [1].", True),
        ("AES has converted inventory 9.5 times in FY 2022.", "Inventory turned 9.5x in FY2022 [1].", True),
        ("AES has converted inventory 9.5 times in FY 2022.", "In FY2022 inventory turned 12 times.", False),
        # trailing zeros are formatting: "$0.40" (billions) is 0.4, so $389 million rounds to it
        ("$0.40", "$0.39 billion (dividends paid FY2020 $389 million [1][2]).", True),
        ("$0.40", "$0.34 billion [1].", False),
        ("$1577.00", "$1,577.4 million [1].", True),
        # a gold stating a change "from A to B" accepts the change itself, not any other number
        ("The effective tax rate changed from 24.6% in FY 2021 to 21.6% in FY 2022.",
         "-3.0 percentage points (21.6% - 24.6%) [1].", True),
        ("The quick ratio has slightly improved from 0.67 times to 0.69 times between FY 2023 and FY 2022.",
         "Improved: it went up by 0.02 (quick ratio FY2023 0.69 [1]).", True),
        ("The effective tax rate changed from 24.6% in FY 2021 to 21.6% in FY 2022.", "-2.5 points [1].", False),
    ],
)
def test_numbers_with_tolerance(gold: str, pred: str, ok: bool) -> None:
    s = scoring.score(gold, pred)
    assert s.kind == "number"
    assert s.correct is ok, s.detail


def test_dates_and_times_are_not_quantities() -> None:
    assert scoring.numbers("Time: 20260308_13:00, year ended December 31, 2022") == []
    assert not scoring.score("30.8%", "Year Ended December 31 [1]").correct
    assert not scoring.score("2", "Time: 20260605_11:00 [1]").correct
    assert scoring.gold_kind("20261202_14:00 & 20261209_19:00") == "date"
    assert not scoring.score("20261202_14:00 & 20261209_19:00", "on December 2 [1]").correct
    assert scoring.score("20261202_14:00 & 20261209_19:00", "on December 2 and Dec 9 [1]").correct


def test_number_uses_answer_value_first() -> None:
    assert scoring.score("$8.70", "EPS rose from $7.10 to $8.70.", value="$8.70").correct
    assert not scoring.score("$8.70", "EPS rose from $7.10 to $8.70.").correct  # main value is the first one


def test_years_are_not_the_number() -> None:
    assert scoring.numbers("FY2022 revenue 12.5 in 2021") == [12.5]
    assert scoring.gold_kind("The Real Growth was flat in FY 2023 vs FY 2022.") == "text"


@pytest.mark.parametrize(
    ("gold", "pred", "ok"),
    [
        ("Yes, it grew.", "Yes: revenue grew 5% [1].", True),
        ("No. The quick ratio was 0.96.", "No, it was below 1 [1].", True),
        ("Answer: Yes", "No.", False),
        ("Yes", "Revenue grew 5% [1].", False),
    ],
)
def test_yes_no(gold: str, pred: str, ok: bool) -> None:
    s = scoring.score(gold, pred)
    assert s.kind == "yesno"
    assert s.correct is ok


def test_names_dates_abstain_and_text() -> None:
    assert scoring.score("AdamSmith", "Adam Smith offered to help [1].").correct
    assert scoring.score("Adam Smith & Jennifer Moore", "Jennifer Moore and Adam Smith [1]").correct
    assert not scoring.score("Adam Smith & Jennifer Moore", "Adam Smith [1]").correct
    assert scoring.score("pepperoni with extra cheese", "He likes extra cheese on pepperoni.").correct
    assert scoring.score("20260122", "They went on January 22.").kind == "date"
    assert scoring.score("20260122", "They went on January 22.").correct
    assert not scoring.score("20260122", "They went on January 23.").correct
    assert scoring.score("Insufficient information", "", abstained=True).correct
    assert scoring.score("Insufficient information", 'The corpus does not say ("x").').correct
    assert not scoring.score("Insufficient information", "Pizza [1].").correct
    assert not scoring.score("Tuesday", "Tuesday", abstained=True).correct
    t = scoring.score("LiHua praises the sourdough bread and thanks Hailey for the delivery",
                      "LiHua said the sourdough bread was great, thanks to Hailey's delivery [1].")
    assert t.kind == "text" and t.correct


def test_abstention_echo_is_not_an_answer() -> None:
    s = scoring.score("0.62%", 'Tax rate in FY2022: The corpus does not say ("What is 0.62% of it").')
    assert not s.correct


def test_summarize_counts_kinds() -> None:
    sc = [scoring.Score("number", True), scoring.Score("text", False), scoring.Score("yesno", True)]
    s = scoring.summarize(sc)
    assert s["all"] == {"n": 3, "correct": 2, "accuracy": pytest.approx(2 / 3)}
    assert s["strict kinds"]["accuracy"] == 1.0
    assert s["name"]["accuracy"] is None
