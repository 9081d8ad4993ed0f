"""kg.extract.relations: relations read off one small report, step by step (each step on the
segments of its sentence), then all together."""

from __future__ import annotations

import pytest

from kg.extract import read_names
from kg.extract.relations import (
    acquire,
    compete_threat,
    indicators,
    owned_by,
    relations,
    shares,
    table_relations,
    uses,
)
from kg.extract.state import DocState

REPORT = """Acme Corp: Sensors for Factories
Overview
Acme Corp (ACME) makes industrial sensors. The company acquired Widgetly for $120 million in 2021.
Acme Corp uses Snowflake for analytics and Azure for compute.
Workloads that would previously have run on Oracle Cloud now stay on premises.
Acme Corp competes with Globex Inc, Initech Inc, and Hooli in predictive maintenance.
Umbrella Labs (now Initech) sells gauges. Hooli, a subsidiary of Globex Inc, sells valves.
Acme Pulse, launched in 2023, reads vibration data.
Jane Doe, the chief executive, sold 20% of her Acme Corp shares in 2024.
Investors should track three indicators: sensor attach rate (rising), Acme Pulse adoption, and churn.
Revenue Mix
| Segment | FY2024 Revenue |
|---|---|
| Sensors | $300 million |
| Software | $110 million |
"""


@pytest.fixture
def st(make_doc) -> DocState:
    doc, units = make_doc(REPORT)
    return read_names(doc, units)


def _facts(st: DocState, p: str) -> list[tuple[str, str | None, dict]]:
    return [(f["s"], f["o"], f["attrs"]) for f in st.facts if f["p"] == p]


def _seg(st: DocState, words: str):
    return next(seg for seg in st.segs if words in seg.text)


def test_acquisition_with_price_and_year(st):
    seg = _seg(st, "acquired Widgetly")
    acquire(st, seg)
    assert _facts(st, "ACQUIRED") == [
        ("Acme Corp", "Widgetly", {"price_usd": pytest.approx(1.2e8), "year": 2021, "price": "$120 million"})]
    price = [f for f in st.facts if f["p"] == "HAS_METRIC"]
    assert [(f["s"], f["metric"], f["value"], f["period"]) for f in price] == [("Widgetly", "acquisition price", 1.2e8, "2021")]
    assert st.used_values  # the price is not read again as a metric of the sentence
    doc = st.doc
    ev = st.facts[0]["ev"]
    assert doc.raw[ev[1] : ev[2]] == ev[3] and "acquired Widgetly" in ev[3]


def test_acquired_by_is_not_an_acquisition(make_doc):
    doc, units = make_doc("Overview\nAcme Corp (ACME) makes sensors. Widgetly was acquired by Acme Corp in 2021.\n")
    st = read_names(doc, units)
    acquire(st, _seg(st, "acquired by"))
    assert _facts(st, "ACQUIRED") == []


def test_uses_with_roles_but_not_counterfactuals(st):
    uses(st, st.segs.index(_seg(st, "uses Snowflake")), _seg(st, "uses Snowflake"))
    assert _facts(st, "USES") == [("Acme Corp", "Snowflake", {"role": "analytics"}),
                                  ("Acme Corp", "Azure", {"role": "compute"})]
    uses(st, st.segs.index(_seg(st, "would previously")), _seg(st, "would previously"))
    assert [o for _, o, _ in _facts(st, "USES")] == ["Snowflake", "Azure"]


def test_competitors_with_their_arena(st):
    compete_threat(st, _seg(st, "competes with"))
    assert _facts(st, "COMPETES_WITH") == [
        (rival, "Acme Corp", {"arena": "predictive maintenance"}) for rival in ("Globex Inc", "Initech Inc", "Hooli")]


def test_ownership_and_share_sales(st):
    owned_by(st, _seg(st, "a subsidiary of"))
    assert _facts(st, "OWNED_BY") == [("Hooli", "Globex Inc", {})]
    shares(st, _seg(st, "sold 20%"))
    assert _facts(st, "SOLD_SHARES") == [("Jane Doe", "Acme Corp", {"fraction_of_shares": 0.2, "company": "Acme Corp"})]


def test_indicators_track_what_they_name(st):
    indicators(st)
    assert [(m["name"], m["attrs"].get("signal")) for m in st.mentions if m["type"] == "Indicator" and m["w"] == 3.0] == [
        ("sensor attach rate", "rising"), ("Acme Pulse adoption", None), ("churn", None)]
    assert _facts(st, "TRACKS") == [("Acme Pulse adoption", "Acme Pulse", {})]


def test_table_rows_are_segments_of_the_focus(st):
    table_relations(st)
    assert _facts(st, "HAS_SEGMENT") == [("Acme Corp", "Sensors", {}), ("Acme Corp", "Software", {})]


def test_all_relations_of_the_report(st):
    relations(st)
    got = {(s, p, o) for s, p, o in ((f["s"], f["p"], f["o"]) for f in st.facts) if p != "HAS_METRIC"}
    assert got >= {
        ("Acme Corp", "LAUNCHED", "Acme Pulse"), ("Umbrella Labs", "OWNED_BY", "Initech"),
        ("Hooli", "OWNED_BY", "Globex Inc"), ("Acme Corp", "ACQUIRED", "Widgetly"),
        ("Acme Corp", "USES", "Snowflake"), ("Hooli", "COMPETES_WITH", "Acme Corp"),
        ("Jane Doe", "SOLD_SHARES", "Acme Corp"), ("Acme Corp", "HAS_SEGMENT", "Software"),
    }
    assert not any(o == "Oracle Cloud" for _, _, o in got)
    launched = next(f for f in st.facts if f["p"] == "LAUNCHED")
    assert launched["attrs"] == {"year": 2023}
