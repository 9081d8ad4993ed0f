"""A question naming a metric also searches for the statements it is computed from (engine.search).

The corpus is a made-up filer's report as a PDF: narrative pages that talk about liquidity and
margins in the question's own words, and statement pages of row labels and figures that share
almost none of them. The statement holding a metric's inputs ranks in the first passages with the
statement query, and below them without it (``also_weight = 0``), on the real model and indexes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from core.config import Settings
from engine.ingest import build_index
from engine.qa import QA
from engine.search import EngineRetriever
from retrieval.search import Retriever

COMPANY = "Tidewater Instruments"
NARRATIVE = [
    f"{COMPANY} Inc. Annual Report for the fiscal year ended June 30, 2024. Form 10-K.",
    f"Liquidity. {COMPANY} believes its liquidity position improved during fiscal 2024. Management "
    "monitors liquidity ratios, including how quickly current obligations could be met, and considers "
    "the improvement a sign of discipline. Analysts often ask whether our liquidity has improved or declined.",
    f"Margins. {COMPANY} expects its margin profile to keep improving as pricing actions take hold. Gross "
    "margin improvement was a priority of the board, and management discussed the margin outlook on calls.",
    f"Capital. {COMPANY} manages working capital actively; the treasury committee reviews liquidity and margin "
    "trends each quarter and reports whether they have improved or declined against the plan.",
    f"Risk factors. Supply disruptions could hurt {COMPANY}'s margins and liquidity; a decline in either could "
    "affect the ratios our lenders watch. We discuss how these ratios have improved or declined over time.",
]
BALANCE_SHEET = ("Tidewater Instruments Inc.\nConsolidated Balance Sheets\n(In millions)\nJune 30, 2024 2023\n"
                 "Cash and cash equivalents 412 377\nShort-term investments 95 88\nAccounts receivable, net 268 251\n"
                 "Inventories 190 205\nTotal current assets 965 921\nAccounts payable 140 152\n"
                 "Total current liabilities 508 540\nLong-term debt 610 640\nTotal equity 1,020 960")
INCOME = ("Tidewater Instruments Inc.\nConsolidated Statements of Operations\n(In millions)\nYears ended June 30, "
          "2024 2023\nNet sales 2,140 1,990\nCost of sales 1,230 1,180\nGross profit 910 810\n"
          "Operating income 305 260\nNet income 214 181")
QUESTIONS = {
    f"Has {COMPANY}'s quick ratio improved or declined between FY2024 and FY2023?": "Consolidated Balance Sheets",
    f"Does {COMPANY} have an improving gross margin profile as of FY2024?": "Consolidated Statements of Operations",
}


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory, make_pdf: Callable[[list[str]], bytes]) -> QA:
    corpus = tmp_path_factory.mktemp("tidewater")
    (corpus / "TIDEWATER_2024_10K.pdf").write_bytes(make_pdf([*NARRATIVE, BALANCE_SHEET, INCOME]))
    settings = Settings(index_dir=tmp_path_factory.mktemp("tidx") / "index", corpus_dir=corpus, use_graph=False)
    build_index([corpus], settings)
    return QA.load(settings.index_dir, settings)


def _rank(qa: QA, retriever: EngineRetriever, question: str, title: str) -> int:
    passages = retriever.search(question, k=len(qa.index.chunks)).passages
    return next(i for i, p in enumerate(passages, 1) if title in p.text)


@pytest.mark.parametrize("question", list(QUESTIONS))
def test_the_statement_holding_the_inputs_ranks_first(qa: QA, question: str) -> None:
    title = QUESTIONS[question]
    assert isinstance(qa.retriever, EngineRetriever)
    with_query = _rank(qa, qa.retriever, question, title)
    without = _rank(qa, EngineRetriever(qa.index, replace(qa.settings, also_weight=0.0)), question, title)
    assert with_query <= 2 < without, (with_query, without)


def test_qa_search_uses_it(qa: QA) -> None:
    question = next(iter(QUESTIONS))
    top = qa.search(question, k=2).passages
    assert any(QUESTIONS[question] in p.text for p in top)


def test_a_question_without_a_metric_searches_as_before(qa: QA) -> None:
    question = f"What does {COMPANY} say about supply disruptions?"
    plain = EngineRetriever(qa.index, replace(qa.settings, also_weight=0.0))
    got = [p.chunk_id for p in qa.retriever.search(question, k=5).passages]
    assert got == [p.chunk_id for p in plain.search(question, k=5).passages]


def test_retrieval_fuses_any_query_the_caller_adds(qa: QA) -> None:
    """Retrieval knows no finance: it fuses the extra queries it is given, and ignores them at weight 0."""
    question = f"What does {COMPANY} say about supply disruptions?"
    extra = "Consolidated Balance Sheets: cash and cash equivalents, total current liabilities"
    plain = Retriever(qa.index, qa.settings)
    before = [p.chunk_id for p in plain.search(question, k=3).passages]
    after = plain.search(question, k=3, also=[extra]).passages
    assert not any("Consolidated Balance Sheets" in _text(qa, c) for c in before)
    assert any("Consolidated Balance Sheets" in p.text for p in after)
    off = Retriever(qa.index, replace(qa.settings, also_weight=0.0))
    assert [p.chunk_id for p in off.search(question, k=3, also=[extra]).passages] == before


def _text(qa: QA, chunk_id: str) -> str:
    return next(c.text for c in qa.index.chunks if c.key == chunk_id)
