"""LLM-assisted graph extraction: proposed facts are kept only with evidence verified in ``doc.raw``."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from llm_stub import Reply, prompt_text

from engine.llm import make_chat
from kg.llm_extract import find_quote, llm_extract, llm_extractions

pytestmark = pytest.mark.timeout(180)  # a hang guard; includes the shared index build on first use

DOC = "twilio-cpaas-ai-native-alternatives.txt"
GOOD_QUOTE = "fiscal 2024 revenue of approximately $4.46 billion"
SEGMENT_QUOTE = "The company acquired Segment"


def units_of(body: dict[str, Any]) -> dict[int, str]:
    return {int(n): t for n, t in re.findall(r"<<<UNIT (\d+)>>>\n(.*?)\n<<<END UNIT \1>>>", prompt_text(body), re.S)}


def script(path: str, body: dict[str, Any]) -> Reply:
    units = units_of(body)
    rev = next((n for n, t in units.items() if GOOD_QUOTE in t), None)
    seg = next((n for n, t in units.items() if SEGMENT_QUOTE in t), None)
    if rev is None and seg is None:
        return Reply("Sorry, I cannot produce JSON for this.")  # malformed batch
    data: dict[str, list[dict[str, Any]]] = {"entities": [], "relations": [], "metrics": []}
    if rev:
        data["metrics"] += [
            # kept: the quote is in the unit, the value is the quote's
            {"subject": "Twilio", "subject_type": "Company", "metric": "revenue", "value": "$4.46 billion",
             "period": "fiscal 2024", "qualifier": "approx", "unit": rev, "evidence": GOOD_QUOTE},
            # discarded: evidence the document does not contain
            {"subject": "Twilio", "subject_type": "Company", "metric": "revenue", "value": "$9 billion",
             "period": "fiscal 2024", "unit": rev, "evidence": "fiscal 2024 revenue of about $9 billion"},
            # discarded: the value is not the one in the (real) quote
            {"subject": "Twilio", "subject_type": "Company", "metric": "revenue", "value": "$5 billion",
             "unit": rev, "evidence": GOOD_QUOTE},
        ]
        data["entities"] += [
            {"name": "Twilio", "type": "Company", "unit": rev, "evidence": GOOD_QUOTE.replace("  ", " ")},
            {"name": "Zoom", "type": "Company", "unit": rev, "evidence": GOOD_QUOTE},  # name not in the unit
            {"name": "Twilio", "type": "Planet", "unit": rev, "evidence": GOOD_QUOTE},  # type outside the schema
        ]
    if seg:
        data["relations"] += [
            {"subject": "Twilio", "subject_type": "Company", "predicate": "ACQUIRED", "object": "Segment",
             "object_type": "Company", "unit": seg, "evidence": SEGMENT_QUOTE},
            {"subject": "Twilio", "subject_type": "Company", "predicate": "LOVES", "object": "Segment",
             "object_type": "Company", "unit": seg, "evidence": SEGMENT_QUOTE},
        ]
    return Reply("```json\n" + json.dumps(data) + "\n```")


def test_llm_facts_carry_verified_evidence(llm_qa, llm_settings, stub) -> None:
    stub.script = script
    docs = [llm_qa.index.docs[DOC]]
    entities, facts, stats = llm_extract(make_chat(llm_settings()), docs, llm_qa.index.units)
    raw = llm_qa.index.docs[DOC].raw
    hits = sum(1 for r in stub.requests if any(q in prompt_text(r["body"]) for q in (GOOD_QUOTE, SEGMENT_QUOTE)))
    assert stats["batches"] == len(stub.requests) >= 3 and 1 <= hits <= 2
    assert stats["malformed_batches"] == stats["batches"] - hits
    assert stats["discarded_evidence"] == 1 and stats["discarded_value"] == 1
    assert stats["discarded_name"] == 1 and stats["discarded_schema"] == 2
    assert stats["failed_batches"] == 0 and stats["kept_facts"] == 2
    for f in facts:
        for ev in f.evidence:
            assert raw[ev.start : ev.end] == ev.text
        assert f.attrs["source"] == "llm"
        a, b = f.attrs["quote_span"]
        assert raw[a:b] in (GOOD_QUOTE, SEGMENT_QUOTE)
    metric = next(f for f in facts if f.predicate == "HAS_METRIC")
    assert (metric.value, metric.unit, metric.period, metric.qualifier) == (4.46e9, "USD", "FY2024", "approx")
    assert metric.surface == "approximately $4.46 billion"  # the document's own text, not the model's
    acquired = next(f for f in facts if f.predicate == "ACQUIRED")
    names = {e.id: e.name for e in entities}
    assert names[acquired.subject] == "Twilio" and names[acquired.object] == "Segment"
    for e in entities:
        assert all(raw[ev.start : ev.end] == ev.text for ev in e.evidence)
    # the prompt quotes units as data, between markers
    assert "<<<UNIT 1>>>" in prompt_text(stub.requests[0]["body"])


def test_quote_spans_and_failures(llm_qa, llm_settings, stub) -> None:
    stub.script = script
    docs = {DOC: llm_qa.index.docs[DOC]}
    extractions, stats = llm_extractions(make_chat(llm_settings()), docs, llm_qa.index.units, evidence="quote")
    raw = llm_qa.index.docs[DOC].raw
    evs = [f["ev"] for ex in extractions for f in ex["facts"]]
    assert {raw[a:b] for _, a, b, _ in evs} == {GOOD_QUOTE, SEGMENT_QUOTE}
    assert all(raw[a:b] == t for _, a, b, t in evs)
    # an endpoint that fails: every batch is counted, nothing raises, nothing is kept
    stub.script = lambda path, body: Reply(status=500)
    entities, facts, stats = llm_extract(make_chat(llm_settings(llm_timeout_s=1)), docs, llm_qa.index.units)
    assert facts == [] and entities == [] and stats["failed_batches"] == stats["batches"] > 0
    assert "InternalServerError" in stats["errors"][0]
    assert find_quote(raw, 0, len(raw), "revenue of approximately $9 billion") is None
