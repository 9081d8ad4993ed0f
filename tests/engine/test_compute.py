"""engine.compute on a corpus of other companies' statements (HTML 10-K, markdown letter, PDF page):
formulas spelled out and named, changes, CAGR, averages, question figures, unit and period checks,
missing inputs, citations of every input (its row and its header), and yes/no decisions."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from core.config import Settings
from core.safety import Quarantine
from core.types import Answer
from engine.compute.quantity import Quantity, UnitMismatch
from engine.compute.route import ComputeRoute
from engine.ingest import build_index
from engine.qa import QA
from ui.computation import trend_frame

FILINGS = Path(__file__).resolve().parents[1] / "fixtures" / "filings"
OSPREY = ("Osprey Foods plc\nConsolidated Statement of Cash Flows\nYears ended March 31\n(Millions)\n2024\n2023\n"
          "Net cash provided by operating activities\n1,204\n987\nPurchases of property, plant and equipment\n(410)\n(388)")


@pytest.fixture(scope="module")
def fqa(tmp_path_factory: pytest.TempPathFactory, make_pdf: Callable[[list[str]], bytes]) -> QA:
    corpus = tmp_path_factory.mktemp("filings")
    for f in FILINGS.iterdir():
        shutil.copy(f, corpus / f.name)
    (corpus / "osprey-2024.pdf").write_bytes(make_pdf(["Osprey Foods plc annual report 2024", OSPREY]))
    settings = Settings(index_dir=tmp_path_factory.mktemp("fidx") / "index", corpus_dir=corpus)
    build_index([corpus], settings)
    return QA.load(settings.index_dir, settings)


def _cited(a: Answer, qa: QA) -> None:
    assert a.computation is not None and a.citations
    for c in a.citations:
        assert qa.index.docs[c.doc].raw[c.start : c.end] == c.text
    for i in a.computation.inputs:
        assert i.citation is not None or "question" in i.name


def test_spelled_formula_cites_rows_and_headers(fqa: QA) -> None:
    a = fqa.ask("What is Northwind Robotics' FY2023 operating cash flow ratio? Operating cash flow ratio is defined as: "
                "cash from operations / total current liabilities. Round your answer to two decimal places.")
    assert a.answer_type == "computed" and a.value is not None and a.value.startswith("0.73")
    assert a.text.startswith("0.73")  # the result first
    _cited(a, fqa)
    assert len(a.citations) == 4  # each input: its row and its table header
    assert any("CONSOLIDATED BALANCE SHEETS" in c.text for c in a.citations)
    assert all(c.value_start is not None for c in a.citations if "74,600" in c.text or "101,600" in c.text)
    d = a.to_dict()["computation"]
    assert {i["name"] for i in d["inputs"]} == {"cash from operations", "total current liabilities"}
    assert d["rounding"] == "rounded to 2 decimal places" and abs(d["result"] - 74_600 / 101_600) < 1e-9


@pytest.mark.parametrize(("question", "expected"), [
    ("What is Northwind's FY2023 free cash flow?", 48_900_000),  # named metric: cash from operations - capex
    ("What is Northwind's 2 year revenue CAGR from FY2021 to FY2023?", (482_300 / 355_120) ** 0.5 - 1),
    ("What is Northwind's year-over-year change in revenue from FY2022 to FY2023 in percent?", 482_300 / 401_950 - 1),
    ("What is the FY2021 - FY2023 3 year average gross margin for Northwind?",
     (192_920 / 482_300 + 148_720 / 401_950 + 124_290 / 355_120) / 3),
    ("What is Helios Grid's FY2024 current ratio?", 620 / 410),
    ("What is Osprey Foods' FY2024 capital expenditure?", 410_000_000),  # a statement figure, read from the PDF
    ("What is 10% of Northwind's FY2023 revenue?", 48_230_000),  # a figure written in the question
])
def test_computations(fqa: QA, question: str, expected: float) -> None:
    a = fqa.ask(question)
    assert a.answer_type == "computed" and not a.abstained, a.text
    assert a.computation is not None and a.computation.result == pytest.approx(expected, rel=1e-6)
    _cited(a, fqa)


def test_missing_input_is_named_and_nothing_is_computed(fqa: QA) -> None:
    a = fqa.ask("What is Helios Grid's FY2024 free cash flow?")
    assert a.abstained and a.computation is not None and a.computation.result is None
    assert "cash from operations" in a.text and "does not say" in a.text


def test_periods_and_units_are_checked(fqa: QA) -> None:
    a = fqa.ask("How many times larger is Northwind's revenue than Helios Grid's revenue?")
    assert a.abstained and "different periods" in a.text  # FY2023 vs FY2024: not compared unless asked
    b = fqa.ask("How many times larger is Helios Grid's FY2024 revenue than Northwind's FY2023 revenue?")
    assert not b.abstained and b.computation is not None
    assert b.computation.result == pytest.approx(1_240.5 / 482.3, rel=1e-6)
    with pytest.raises(UnitMismatch):
        _ = Quantity.of(1e9, "USD") + Quantity.of(0.2, "%")


@pytest.mark.parametrize(("question", "lead"), [
    ("Did Northwind's gross margin improve in FY2023?", "Yes"),
    ("Is Northwind's FY2023 current ratio above 2?", "Yes"),
    ("Does Helios Grid have positive working capital based on FY2024 data?", "Yes"),
    ("Is Northwind a capital-intensive business based on FY2023 data?", "No"),  # capex 5.3% of revenue
    ("Did Helios Grid's total current liabilities rise or fall in FY2024?", "Fell"),
])
def test_yes_no(fqa: QA, question: str, lead: str) -> None:
    a = fqa.ask(question)
    assert a.answer_type == "yesno" and a.value == lead and a.text.startswith(lead), a.text
    assert a.citations and a.computation is not None


def test_yes_no_abstains_when_nothing_decides(fqa: QA) -> None:
    a = fqa.ask("Did Osprey Foods pay a special dividend in 2024?")
    assert a.abstained and a.answer_type == "yesno"


def test_trend_inputs_for_the_chart(fqa: QA) -> None:
    a = fqa.ask("What is Northwind's 2 year revenue CAGR from FY2021 to FY2023?")
    df = trend_frame(a.computation)
    assert df is not None and list(df["period"]) == ["FY2021", "FY2023"] and all(df["source"].str.match(r"\[\d+\]"))


def test_no_computed_answer_from_an_instruction_like_passage(fqa: QA) -> None:
    """A computation citing a quarantined (instruction-like) passage is not given (issue 10 + 12)."""
    q = "What is Northwind's FY2023 free cash flow?"
    search = lambda s: fqa.retriever.search(s)  # noqa: E731
    first, fallback = fqa.route.first(q, search)
    given = first or (fallback.answer if fallback is not None else None)
    assert given is not None and given.computation is not None
    docs = {c.doc for c in given.citations}
    bad = Quarantine(spans={d: ((0, len(fqa.index.docs[d].raw)),) for d in docs})
    assert ComputeRoute(fqa.index, fqa.snapshot.graph, bad).first(q, search) == (None, None)
