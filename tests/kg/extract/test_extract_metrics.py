"""kg.extract.metrics, metric_names and tables: what a value measures, whose it is, its period and
qualifier; metric facts of tables (values, ratings, number-free improvements) and scenarios."""

from __future__ import annotations

import pytest

from core.values import find_values
from kg.extract import extract_document, read_names
from kg.extract.metric_names import metric_name
from kg.extract.metrics import period, qualifier, subject
from kg.extract.state import DocState
from kg.extract.tables import table_metrics

REPORT = """Acme Corp: Sensors for Factories
Overview
Acme Corp (ACME) makes industrial sensors. Acme Corp reported fiscal 2024 revenue of approximately $410 million.
Management is targeting 18% operating margins in FY2026.
Acme Corp grew its installed base from approximately 1,200 customers to 1,500 by 2024.
Revenue Mix
| Segment | FY2024 Revenue | AI Disruption Risk | Customer Impact |
|---|---|---|---|
| Sensors | $300 million | Low - hard to replace | Improves uptime scores |
| Software | $110 million | High - copilots compete | Reduces churn rates |
Bull Case
In the bull case, revenue reaches $600 million by 2027.
"""


@pytest.fixture
def st(make_doc) -> DocState:
    doc, units = make_doc(REPORT)
    return read_names(doc, units)


def _at(st: DocState, words: str, surface: str):
    seg = next(seg for seg in st.segs if words in seg.text)
    v = next(v for v in find_values(seg.text) if v.surface.endswith(surface))
    return seg, v


def test_sentence_value_metric_subject_period(st):
    seg, v = _at(st, "reported fiscal 2024", "$410 million")
    assert metric_name(st, seg, v) == ("fiscal 2024 revenue", None)  # metric_fact drops the leading period
    assert subject(st, seg, v, "fiscal 2024 revenue", None) == ("Acme Corp", "Company")
    assert period(st, seg, v) == "FY2024"
    assert qualifier(seg, v, seg.text[: v.start]) == "approx"


def test_target_and_fiscal_period(st):
    seg, v = _at(st, "targeting", "18%")
    assert metric_name(st, seg, v) == ("operating margins", None)
    assert qualifier(seg, v, seg.text[: v.start]) == "target"
    assert period(st, seg, v) == "FY2026"
    assert subject(st, seg, v, "operating margins", None) == ("Acme Corp", "Company")  # the focus


def test_table_cell_metric_from_its_header(st):
    seg, v = _at(st, "$300 million", "$300 million")
    assert seg.header == "FY2024 Revenue" and seg.col == 1
    assert metric_name(st, seg, v) == ("Revenue", None)
    assert subject(st, seg, v, "Revenue", None) == ("Sensors", "Segment")  # the row's entity
    assert period(st, seg, v) == "FY2024"


def test_document_metric_facts(make_doc):
    doc, units = make_doc(REPORT)
    ex = extract_document(doc, units)
    facts = [(f["s"], f["metric"], f.get("value"), f.get("period"), f.get("qualifier"))
             for f in ex["facts"] if f["p"] == "HAS_METRIC" and f.get("value") is not None]
    assert ("Acme Corp", "revenue", pytest.approx(4.1e8), "FY2024", "approx") in facts
    assert ("Acme Corp", "operating margin", pytest.approx(0.18), "FY2026", "target") in facts
    assert ("Sensors", "revenue", pytest.approx(3e8), "FY2024", None) in facts
    assert ("Acme Corp", "customer", pytest.approx(1500), "2024", None) in facts  # "from 1,200 customers to 1,500"
    bull = [f for f in ex["facts"] if f["attrs"].get("scenario") == "Bull Case"]
    assert [(f["metric"], f["value"], f["qualifier"]) for f in bull] == [("revenue", 6e8, "projection:bull")]
    projects = [f for f in ex["facts"] if f["p"] == "PROJECTS"]
    assert [(f["s"], f["o"], f["attrs"]["value"]) for f in projects] == [("Bull Case", "revenue", "$600 million")]
    for f in ex["facts"]:
        d, a, b, text = f["ev"]
        assert d == doc.id and doc.raw[a:b] == text


def test_table_ratings_and_number_free_metrics(st):
    table_metrics(st)
    got = [(f["s"], f["metric"], f["attrs"].get("value")) for f in st.facts]
    assert got == [
        ("Sensors", "AI Disruption Risk", "Low"), ("Software", "AI Disruption Risk", "High"),
        ("Sensors", "uptime scores", None), ("Software", "churn rates", None),
    ]
