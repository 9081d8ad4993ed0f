"""kg.llm_extract.LLMExtractor: the LLM-assisted extractor behind the core.interfaces.Extractor seam.

The LLM endpoint is stood in for by ``CannedChat`` (a ChatModel answering every batch with the same
proposals); the verification against the document text is the real one. The end-to-end runs against
an HTTP model server are in tests/engine/llm.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import pytest

from core.errors import ConfigError, LLMError
from core.interfaces import ChatModel, ChatTurn, Extractor
from kg.llm_extract import LLMExtractor

REPORT = """Acme Corp: Sensors
Overview
Acme Corp reported fiscal 2024 revenue of approximately $410 million. The company acquired Widgetly in 2021.
"""
QUOTE = "fiscal 2024 revenue of approximately $410 million"

PROPOSALS = {
    "metrics": [
        {"subject": "Acme Corp", "subject_type": "Company", "metric": "Revenue", "value": "$410 million",
         "period": "FY 2024", "unit": 1, "evidence": QUOTE},  # kept
        {"subject": "Acme Corp", "subject_type": "Company", "metric": "revenue", "value": "$9 billion",
         "unit": 1, "evidence": QUOTE},  # the quote does not hold this value
        {"subject": "Acme Corp", "subject_type": "Company", "metric": "revenue", "value": "$410 million",
         "unit": 1, "evidence": "revenue of about $410 million in total"},  # not in the text
    ],
    "entities": [{"name": "Acme Corp", "type": "Planet", "unit": 1, "evidence": QUOTE}],  # type outside the schema
    "relations": [{"subject": "Acme Corp", "subject_type": "Company", "predicate": "acquired", "object": "Widgetly",
                   "object_type": "Company", "unit": 1, "evidence": "The company acquired Widgetly in 2021"}],
}


class CannedChat:
    """A ChatModel that answers every call with ``reply`` (or fails when it is ``None``)."""

    label = "canned replies"
    timeout_s = 5.0

    def __init__(self, reply: str | None) -> None:
        self.reply = reply
        self.calls = 0

    def chat(self, messages: Sequence[ChatTurn], deadline_s: float) -> str:
        self.calls += 1
        if self.reply is None:
            raise LLMError("endpoint down")
        return self.reply

    def stream(self, messages: Sequence[ChatTurn], deadline_s: float) -> Iterator[str]:
        yield self.chat(messages, deadline_s)


def test_llm_extractor_satisfies_the_protocols():
    chat = CannedChat("{}")
    assert isinstance(chat, ChatModel)
    ex = LLMExtractor(chat)
    assert isinstance(ex, Extractor) and ex.version
    with pytest.raises(ConfigError):
        LLMExtractor(chat, evidence="page")


def test_only_verified_proposals_are_kept(make_doc):
    doc, units = make_doc(REPORT)
    ex = LLMExtractor(CannedChat("```json\n" + json.dumps(PROPOSALS) + "\n```"))
    got = ex.extract(doc, units)
    assert ex.stats["batches"] == 1 and ex.stats["proposed"] == 5 and ex.stats["kept_facts"] == 2
    assert (ex.stats["discarded_value"], ex.stats["discarded_evidence"], ex.stats["discarded_schema"]) == (1, 1, 1)
    acquired, metric = got["facts"]  # relations are checked before metrics
    assert (metric["s"], metric["metric"], metric["value"], metric["period"]) == ("Acme Corp", "revenue", 4.1e8, "FY2024")
    assert (acquired["s"], acquired["p"], acquired["o"]) == ("Acme Corp", "ACQUIRED", "Widgetly")
    for f in got["facts"]:
        d, a, b, text = f["ev"]
        assert d == doc.id and doc.raw[a:b] == text and any((u.start, u.end) == (a, b) for u in units)
        qa, qb = f["attrs"]["quote_span"]
        assert a <= qa < qb <= b and f["attrs"]["source"] == "llm"
    assert doc.raw[slice(*metric["attrs"]["quote_span"])] == QUOTE


def test_failures_are_counted_over_calls(make_doc):
    doc, units = make_doc(REPORT)
    other, other_units = make_doc("Other\nGlobex Inc sells valves.\n", name="other.txt")
    chat = CannedChat(None)
    ex = LLMExtractor(chat)
    assert ex.extract_many([doc, other], [*units, *other_units]) == []  # nothing verified: left out
    assert chat.calls == 2 and ex.stats["failed_batches"] == 2
    assert ex.stats["errors"][0] == f"{doc.id}: LLMError: endpoint down"
    chat.reply = "Sorry, I cannot produce JSON."
    assert ex.extract(doc, units)["facts"] == []
    assert ex.stats["batches"] == 3 and ex.stats["malformed_batches"] == 1
