"""kg.extract.RuleExtractor: the rule-based extractor behind the core.interfaces.Extractor seam."""

from __future__ import annotations

from core.interfaces import Extractor
from kg.extract import EXTRACT_VERSION, RuleExtractor, extract_document

REPORT = """Acme Corp: Sensors
Overview
Acme Corp (ACME) makes industrial sensors. Acme Corp competes with Globex Inc and Hooli in predictive maintenance.
Acme Corp reported fiscal 2024 revenue of approximately $410 million.
"""


def test_rule_extractor_satisfies_the_protocol():
    ex = RuleExtractor()
    assert isinstance(ex, Extractor)
    assert ex.version == str(EXTRACT_VERSION)


def test_rule_extractor_reads_only_its_document(make_doc):
    doc, units = make_doc(REPORT)
    _, other_units = make_doc("Other\nGlobex Inc (GBX) sells valves for $3 million.\n", name="other.txt")
    got = RuleExtractor().extract(doc, [*other_units, *units])
    assert got == extract_document(doc, units)
    assert (got["doc"], got["sha256"], got["version"], got["focus"]) == (doc.id, doc.sha256, EXTRACT_VERSION, "Acme Corp")
    assert {f["p"] for f in got["facts"]} == {"COMPETES_WITH", "HAS_METRIC"}
    assert all(f["ev"][0] == doc.id for f in got["facts"]) and all(m["ev"][0] == doc.id for m in got["mentions"])
    assert not any(m["name"] == "Globex Inc" and m["attrs"].get("ticker") for m in got["mentions"])
