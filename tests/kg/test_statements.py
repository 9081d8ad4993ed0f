"""kg.statements: statement tables of other companies (HTML, markdown, a PDF text layer) become typed,
cited facts - line items through the synonyms file, periods from the column headers, scale, sign."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from core.config import Settings
from core.types import Document
from kg.pipeline import build_store
from kg.statements import StatementExtractor, extract_statements
from kg.statements.company import company_line, document_company
from kg.statements.items import item, items_in, match_label, statement_kind
from kg.statements.periods import read_header
from kg.statements.tables import read_tables
from retrieval.build import chunk_all
from retrieval.documents import load_file

FILINGS = Path(__file__).resolve().parents[1] / "fixtures" / "filings"
OSPREY_PAGE = (
    "Osprey Foods plc\nConsolidated Statement of Cash Flows\nYears ended March 31\n(Millions)\n2024\n2023\n"
    "Net cash provided by operating activities\n1,204\n987\nPurchases of property, plant and equipment\n(410)\n(388)\n"
    "Dividends paid\n(120)\n(115)"
)


def _facts(doc: Document) -> dict[tuple[str, str], dict]:
    return {(f["metric"], f["period"]): f for f in extract_statements(doc)["facts"]}


def _check_evidence(doc: Document, facts: dict) -> None:
    for f in facts.values():
        _d, s, e, text = f["ev"]
        assert doc.raw[s:e] == text  # exact span from the row label to the figure
        vs, ve = f["attrs"]["value_span"]
        assert s <= vs < ve <= e and re.sub(r"\D", "", doc.raw[vs:ve]) == re.sub(r"\D", "", f["surface"])
        hs, he, htext = f["attrs"]["header"]
        assert doc.raw[hs:he] == htext


def test_html_filing_statements(tmp_path: Path) -> None:
    doc = load_file(FILINGS / "northwind-2023-10k.html", FILINGS)
    facts = _facts(doc)
    assert {f["s"] for f in facts.values()} == {"Northwind Robotics, Inc."}  # from the cover page
    assert facts[("revenue", "FY2023")]["value"] == 482_300_000  # "(In thousands)"
    assert facts[("revenue", "FY2021")]["value"] == 355_120_000
    assert facts[("operating income", "FY2021")]["value"] == -4_210_000  # "(4,210" ")" across two cells
    assert facts[("cost of goods sold", "FY2023")]["value"] == 289_380_000  # an expense printed negative
    assert facts[("capital expenditure", "FY2022")]["value"] == 21_900_000  # "Purchases of property and equipment"
    assert facts[("diluted eps", "FY2023")]["unit"] == "USD/share" and facts[("diluted eps", "FY2023")]["value"] == 1.12
    assert facts[("total current liabilities", "FY2022")]["attrs"]["statement"] == "balance_sheet"
    assert facts[("dividends paid", "FY2023")]["value"] == 0.0  # a dash in a statement is a reported zero
    # the cash-flow "Inventories" row is a change: it keeps its own label, not the balance-sheet item
    assert facts[("inventories", "FY2023")]["value"] == 44_100_000
    assert facts[("Inventories", "FY2022")]["attrs"]["statement"] == "cash_flow"
    assert "CONSOLIDATED STATEMENTS OF OPERATIONS" in facts[("revenue", "FY2023")]["attrs"]["header"][2]
    _check_evidence(doc, facts)


def test_markdown_statements_with_fiscal_years(tmp_path: Path) -> None:
    doc = load_file(FILINGS / "helios-grid-fy2024.md", FILINGS)
    facts = _facts(doc)
    assert {f["s"] for f in facts.values()} == {"Helios Grid Corp"}  # from the title line
    assert facts[("revenue", "FY2024")]["value"] == pytest.approx(1_240_500_000)
    assert facts[("total current liabilities", "FY2023")]["value"] == pytest.approx(450_000_000)
    assert facts[("total assets", "FY2024")]["attrs"]["end"] == "2024-06-30"
    _check_evidence(doc, facts)


def test_pdf_text_layer_one_cell_per_line(tmp_path: Path, make_pdf: Callable[[list[str]], bytes]) -> None:
    (tmp_path / "osprey.pdf").write_bytes(make_pdf(["Osprey Foods plc annual report", OSPREY_PAGE]))
    doc = load_file(tmp_path / "osprey.pdf", tmp_path)
    facts = _facts(doc)
    capex = facts[("capital expenditure", "FY2024")]
    assert capex["value"] == 410_000_000 and capex["surface"] == "(410)" and capex["s"] == "Osprey Foods plc"
    assert capex["attrs"]["end"] == "2024-03-31" and doc.page_of(capex["ev"][1]) == 2
    assert facts[("cash from operations", "FY2023")]["value"] == 987_000_000
    assert facts[("dividends paid", "FY2024")]["value"] == 120_000_000
    _check_evidence(doc, facts)


def test_line_items_come_from_the_data_file() -> None:
    assert match_label("Purchases of property, plant and equipment (PP&E)", "cash_flow").name == "capital expenditure"
    assert match_label("Purchases of land, buildings, and equipment", "cash_flow").name == "capital expenditure"
    assert match_label("Purchases of marketable securities", "cash_flow") is None
    assert match_label("Totalcurrentassets", "balance_sheet").name == "total current assets"
    assert match_label("Total liabilities and stockholders equity", "balance_sheet") is None
    assert match_label("Net income attributable to noncontrolling interests", "income") is None
    assert item("capex").name == item("capital expenditure").name == "capital expenditure"
    assert [i.name for i, _, _ in items_in("What is the FY2018 net PPNE and COGS?")] == [
        "property, plant and equipment, net", "cost of goods sold"]
    assert statement_kind("CONSOLIDATEDBALANCESHEETS") == "balance_sheet" and statement_kind("Revenue") is None


def test_period_headers_and_companies() -> None:
    assert [p.label for p in read_header(["Fiscal Years Ended", "February 2, 2019", "February 3, 2018"])] == ["FY2019", "FY2018"]
    assert [p.label for p in read_header(["Year Ended", "January 3, 2016"])] == ["FY2015"]  # a 53-week year
    assert [p.label for p in read_header(["December 31, 2022 and 2021", "2022", "2021"], instant=True)] == ["FY2022", "FY2021"]
    assert read_header(["Revenue"]) == []
    assert company_line("THE KRAFT HEINZ COMPANY") == "The Kraft Heinz Company"
    assert document_company(["Annual report", "ACME WIDGETS LTD", "(Exact name of registrant as specified in its charter)"],
                            None, "x.pdf") == "Acme Widgets Ltd"
    assert document_company(["Consolidated Statements of Income"], None, "BESTBUY_2019_10K.pdf") == "BESTBUY"


def test_a_row_with_a_missing_column_is_not_guessed() -> None:
    text = "Acme Corp\nConsolidated Balance Sheets\n(In millions)\nDecember 31, 2023\nDecember 31, 2022\nCash\n$ 10\n$ 8\nDeferred taxes\n\n4\n"
    rows = read_tables(text)[0].rows
    assert [r.label for r in rows] == ["Cash"]  # "Deferred taxes" has one figure for two columns


def test_pipeline_puts_statement_facts_in_the_graph(tmp_path: Path) -> None:
    docs = [load_file(FILINGS / n, FILINGS) for n in ("northwind-2023-10k.html", "helios-grid-fy2024.md")]
    units, _chunks = chunk_all(docs, Settings())
    store, _ = build_store(docs, units)
    assert store.meta["statement_version"] == StatementExtractor.version
    capex = [f for f in store.facts("Northwind Robotics, Inc.") if f.metric == "capital expenditure"]
    assert {f.period for f in capex} == {"FY2021", "FY2022", "FY2023"}
    assert all(f.attrs["source"] == "statement" and f.evidence for f in capex)
    assert store.entity("capital expenditure") is not None  # canonical items are graph nodes
