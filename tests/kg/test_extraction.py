"""Number normalisation, alias merge, evidence spans, and a report on a different company."""

from __future__ import annotations

import pytest
import spacy
from kg_docs import FIXTURES, load_docs

import kg.nlp
from core.values import find_values
from kg.pipeline import build_store
from kg.query import graph_answer
from kg.resolve import resolve


@pytest.mark.parametrize(
    ("text", "kind", "value", "high", "unit", "qualifier"),
    [
        ("revenue of $4.46 billion", "money", 4.46e9, None, "USD", None),
        ("margins of 49-52%", "percent", 0.49, 0.52, "%", None),
        ("Score 7/10", "score", 7.0, None, "score", None),
        ("~$560M", "money", 5.6e8, None, "USD", "approx"),
        ("latency of 28 ms", "duration", 28.0, None, "ms", None),
        ("re-rates to 5-6x forward revenue", "multiple", 5.0, 6.0, "x", None),
        ("from approximately 8,800 employees", "count", 8800.0, None, "people", "approx"),
    ],
)
def test_number_normalisation(text, kind, value, high, unit, qualifier):
    v = find_values(text)[0]
    assert (v.kind, v.unit, v.qualifier) == (kind, unit, qualifier)
    assert v.value == pytest.approx(value)
    assert (v.high is None and high is None) or v.high == pytest.approx(high)
    if kind == "score":
        assert v.of == 10


def test_metric_facts_are_typed_and_normalised(corpus_store):
    facts = corpus_store.metric_facts("Twilio")
    rev = [f for f in facts if f.metric == "revenue" and f.period == "FY2024"]
    assert rev and rev[0].value == pytest.approx(4.46e9) and rev[0].unit == "USD" and rev[0].qualifier == "approx"
    gm = [f for f in facts if f.value == pytest.approx(0.49)]
    assert gm and gm[0].value_high == pytest.approx(0.52) and gm[0].unit == "%"
    score = [f for f in facts if f.unit == "score"]
    assert score and score[0].value == 7 and score[0].attrs.get("of") == 10
    seg = corpus_store.metric_facts("Segment")
    assert any(f.value == pytest.approx(5.6e8) and f.qualifier == "approx" for f in seg)
    bull = [f for f in facts if (f.qualifier or "").startswith("projection:bull")]
    assert any(f.value == pytest.approx(6.5e9) for f in bull)


def _m(name, typ, w=1.0, aliases=(), doc="a.txt"):
    return {"name": name, "type": typ, "w": w, "aliases": list(aliases), "attrs": {}, "ev": [doc, 0, len(name), name]}


def test_alias_merge_rules():
    ents, facts = resolve([{
        "doc": "a.txt", "focus": "Acme Corp",
        "mentions": [
            _m("Sierra AI", "Company", 3), _m("Sierra", "Company"),
            _m("Large Language Models", "Technology", 2, ("LLMs", "LLM")), _m("LLM", "Technology"),
            _m("Google Cloud", "Company", 3), _m("Google", "Company"),
            _m("Acme Corp", "Company", 4, ("ACME",)), _m("Acme Corp Flex AI", "Product", 4), _m("Flex", "Segment", 5),
            _m("Jane Doe", "Person", 3),
        ],
        "facts": [{"s": "Sierra", "st": "Company", "p": "COMPETES_WITH", "o": "ACME", "ot": "Company",
                   "attrs": {}, "ev": ["a.txt", 0, 6, "Sierra"]}],
    }])
    by_name = {e.name: e for e in ents}
    assert "Sierra" in by_name["Sierra AI"].aliases
    assert {"LLM", "LLMs"} <= set(by_name["Large Language Models"].aliases)
    assert "Google" in by_name["Google Cloud"].aliases
    assert by_name["Acme Corp Flex AI"].id != by_name["Flex"].id
    assert by_name["Jane Doe"].id == "person:acme-corp:jane-doe"
    assert [(f.subject, f.object) for f in facts] == [(by_name["Sierra AI"].id, by_name["Acme Corp"].id)]


def test_corpus_aliases_and_ownership(corpus_store):
    s = corpus_store
    assert s.entity("Sierra").name == "Sierra AI"
    assert s.entity("TWLO").name == "Twilio"
    assert s.entity("CustomerAI").name == "Twilio CustomerAI"
    vonage = s.entity("Vonage (now Ericsson)")
    assert vonage is not None and vonage.name == "Vonage"
    owned = s.facts("Vonage", predicate="OWNED_BY")
    assert [s.name_of(f.object) for f in owned] == ["Ericsson"]
    assert s.entity("Twilio Flex AI").id != s.entity("Flex").id
    person = s.entity("Erika Rottenberg")
    assert person.type == "Person" and person.id.startswith("person:twilio:")


def test_evidence_spans_round_trip(corpus_docs, corpus_store):
    raw = {d.id: d.raw for d in corpus_docs[0]}
    n = 0
    for e in corpus_store.entities():
        assert e.evidence, e.name
        for ev in e.evidence:
            assert raw[ev.doc][ev.start : ev.end] == ev.text
            n += 1
    for f in corpus_store.all_facts():
        assert f.evidence, f
        for ev in f.evidence:
            assert raw[ev.doc][ev.start : ev.end] == ev.text
            n += 1
    assert n > 200


def test_relations_on_corpus(corpus_store):
    s = corpus_store

    def rel(a, p, b):
        ea, eb = s.entity(a), s.entity(b)
        return any({f.subject, f.object} == {ea.id, eb.id} for f in s.facts(ea.id, predicate=p))

    assert rel("Twilio", "ACQUIRED", "Segment")
    acq = s.facts("Twilio", predicate="ACQUIRED")[0]
    assert acq.attrs["price_usd"] == pytest.approx(3.2e9) and acq.attrs["year"] == 2020
    for c in ("Sierra AI", "Bland AI", "Retell AI", "AWS", "Azure", "Google Cloud"):
        assert rel(c, "COMPETES_WITH", "Twilio"), c
    assert rel("Twilio", "USES", "Azure")
    uses = {s.name_of(f.object): f.attrs.get("role") for f in s.facts("Twilio", predicate="USES") if f.subject == s.entity("Twilio").id}
    assert uses.get("AWS") == "compute" and uses.get("Azure") == "analytics"
    assert rel("Twilio", "LAUNCHED", "Twilio CustomerAI")
    assert {s.name_of(f.object) for f in s.facts("Twilio", predicate="HAS_SEGMENT")} >= {"Communications", "Flex", "Segment"}
    assert rel("Erika Rottenberg", "SOLD_SHARES", "Twilio")
    assert any(f.predicate == "PROJECTS" for f in s.facts("Bull Case"))


def test_different_company_report(fixture_store):
    s = fixture_store
    companies = {e.name for e in s.entities("Company")}
    assert {"Haulmark Logistics", "Convoy Labs", "Loadstar Inc", "Freightly", "Parcelwise"} <= companies
    assert s.entity("HMLG").name == "Haulmark Logistics"
    assert {e.name for e in s.entities("Segment")} >= {"Brokerage", "Warehousing"}
    acq = s.facts("Haulmark Logistics", predicate="ACQUIRED")
    assert acq and s.name_of(acq[0].object) == "Parcelwise" and acq[0].attrs["price_usd"] == pytest.approx(4.5e8)
    rivals = {s.name_of(f.subject) for f in s.facts("Haulmark Logistics", predicate="COMPETES_WITH")}
    assert {"Convoy Labs", "Loadstar Inc", "Freightly"} <= rivals
    assert [s.name_of(f.object) for f in s.facts("TransAxis", predicate="OWNED_BY")] == ["Nordhaven"]
    facts = s.metric_facts("Haulmark Logistics")
    assert any(f.value == pytest.approx(2.8e9) and f.period == "FY2024" for f in facts)
    margin = [f for f in facts if "ebitda" in (f.metric or "").lower()]
    assert any(f.value == pytest.approx(0.07) and f.value_high == pytest.approx(0.09) for f in margin)
    assert any(f.qualifier == "target" and f.value == pytest.approx(0.11) for f in margin)
    assert any(f.value == pytest.approx(12000) and f.unit == "people" for f in facts)
    assert any(f.value == pytest.approx(1.6e9) for f in s.metric_facts("Brokerage"))
    assert {s.name_of(f.object) for f in s.facts("Haulmark Logistics", predicate="USES")} >= {"Snowflake", "Azure"}


@pytest.mark.parametrize(
    ("question", "kind", "expect"),
    [
        ("Who owns TransAxis?", "value", "Nordhaven"),
        ("What is the parent company of TransAxis?", "value", "Nordhaven"),
        ("Who acquired Parcelwise?", "value", "Haulmark Logistics"),
        ("When did Haulmark acquire Parcelwise?", "value", "2021"),
        ("How much did Haulmark pay for Parcelwise?", "value", "$450 million"),
        ("When was Haulmark Dispatch launched?", "value", "2022"),
        ("Which company launched Haulmark Dispatch?", "value", "Haulmark Logistics"),
        ("Who owns Parcelwise?", "value", "Haulmark Logistics"),  # an acquisition implies ownership
        ("Which business line contributes the smallest share of FY2024 revenue, and roughly how much revenue does it bring in?",
         "multi_hop", "Last-mile: ~$0.3B (11% of revenue)"),
        ("Which business line contributes the largest share of FY2024 revenue, and roughly how much revenue does it bring in?",
         "multi_hop", "Brokerage: ~$1.6B (57% of revenue)"),
        ("Which business line brings in the least revenue?", "multi_hop", "Last-mile"),
        ("Which cloud providers offer freight-visibility APIs that compete with Haulmark?", "list", "Azure and Oracle Cloud"),
        ("Who competes with Haulmark in digital freight matching?", "list", "Convoy Labs, Loadstar Inc and Freightly"),
        ("Which regional carriers compete with Haulmark?", "list", "regional carriers"),
    ],
)
def test_fixture_graph_answers(fixture_store, question, kind, expect):
    hit = graph_answer(fixture_store, question)
    assert hit is not None and hit.kind == kind, hit
    assert hit.text == expect if kind == "list" else expect in hit.text
    assert hit.facts and all(f.evidence for f in hit.facts)


@pytest.mark.parametrize("question", ["Who owns Haulmark?", "Who acquired Nordhaven?", "Why did Haulmark acquire Parcelwise?"])
def test_fixture_relation_abstains(fixture_store, question):
    assert graph_answer(fixture_store, question) is None


def test_per_actor_arena(fixture_store):
    s = fixture_store
    arenas = {s.name_of(f.subject): f.attrs.get("arena") for f in s.facts("Haulmark Logistics", predicate="COMPETES_WITH")}
    assert arenas["Azure"] == arenas["Oracle Cloud"] == "freight-visibility APIs"
    assert arenas["regional carriers"] == "Midwest"
    assert arenas["Convoy Labs"] == "digital freight matching"


def test_now_owner_without_tagger(monkeypatch):
    """"X (now Y)" is an ownership cue even when no spaCy model (POS, NER) is available."""
    monkeypatch.setattr(kg.nlp, "nlp", lambda: spacy.blank("en"))
    docs, units = load_docs([FIXTURES / "haulmark-logistics.txt"])
    store, _ = build_store(docs, units)
    assert [store.name_of(f.object) for f in store.facts("TransAxis", predicate="OWNED_BY")] == ["Nordhaven"]
