"""Structural checks for the hand-checked gold knowledge graph (eval/gold/graph.json)."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "eval" / "gold" / "graph.json"
CORPUS = ROOT / "corpus"

ENTITY_TYPES = {"Company", "Segment", "Product", "Person", "Technology", "Metric", "Scenario", "Indicator"}
RELATION_TYPES = {
    "COMPETES_WITH",
    "THREATENS",
    "ACQUIRED",
    "HAS_SEGMENT",
    "HAS_METRIC",
    "USES",
    "OWNED_BY",
    "LAUNCHED",
    "SOLD_SHARES",
    "PROJECTS",
    "PART_OF",
    "OFFERS",
    "TRACKS",
}
UNITS = {"USD", "%", "x", "ms", "people", "score", "count"}
QUALIFIERS = {
    None,
    "approx",
    "target",
    "range",
    "projection:bull",
    "projection:bear",
    "projection:near term",
    ">=",
    "<",
    "over",
}
MIN_ENTITIES, MIN_RELATIONS, MIN_FACTS = 70, 60, 45
BOILERPLATE = ("Want to research companies faster?", "PitchGrade", "Explore More Content")


@cache
def gold() -> dict:
    return json.loads(GOLD.read_text(encoding="utf-8"))


@cache
def corpus_text(doc: str) -> str:
    return (CORPUS / doc).read_text(encoding="utf-8")


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


def _entity_names() -> set[str]:
    return {e["name"] for e in gold()["entities"]}


def _all_evidence() -> list[tuple[str, dict]]:
    g = gold()
    out = [(f"entity {e['name']}", e["evidence"]) for e in g["entities"]]
    out += [(f"relation {r['source']}-{r['type']}->{r['target']}", r["evidence"]) for r in g["relations"]]
    out += [(f"fact {f['subject']}/{f['metric']}", f["evidence"]) for f in g["metric_facts"]]
    return out


def test_top_level_shape() -> None:
    g = gold()
    assert isinstance(g.get("notes"), str) and g["notes"].strip()
    for key in ("entities", "relations", "metric_facts"):
        assert isinstance(g.get(key), list), key


def test_counts_meet_targets() -> None:
    g = gold()
    assert len(g["entities"]) >= MIN_ENTITIES
    assert len(g["relations"]) >= MIN_RELATIONS
    assert len(g["metric_facts"]) >= MIN_FACTS


def test_entity_names_unique_and_aliases_unshared() -> None:
    owner: dict[str, str] = {}
    names = Counter(_norm(e["name"]) for e in gold()["entities"])
    assert not [n for n, c in names.items() if c > 1], "duplicate entity names"
    for e in gold()["entities"]:
        for label in {_norm(e["name"]), *(_norm(a) for a in e.get("aliases", []))}:
            assert owner.setdefault(label, e["name"]) == e["name"], (
                f"{label!r} used by {owner[label]!r} and {e['name']!r}"
            )


def test_entity_fields_and_types() -> None:
    for e in gold()["entities"]:
        assert e["type"] in ENTITY_TYPES, e
        assert isinstance(e["name"], str) and e["name"].strip(), e
        assert isinstance(e.get("aliases", []), list), e
        assert all(isinstance(a, str) and a.strip() for a in e.get("aliases", [])), e


def test_every_entity_type_present() -> None:
    types = {e["type"] for e in gold()["entities"]}
    assert types == ENTITY_TYPES


def test_relation_types_and_endpoints() -> None:
    names = _entity_names()
    seen = set()
    for r in gold()["relations"]:
        assert r["type"] in RELATION_TYPES, r
        assert r["source"] in names, f"unknown source {r['source']!r}"
        assert r["target"] in names, f"unknown target {r['target']!r}"
        assert r["source"] != r["target"], r
        assert isinstance(r.get("attrs", {}), dict), r
        key = (r["source"], r["type"], r["target"], json.dumps(r.get("attrs", {}), sort_keys=True))
        assert key not in seen, f"duplicate relation {key}"
        seen.add(key)


def test_fact_subjects_are_entities() -> None:
    names = _entity_names()
    for f in gold()["metric_facts"]:
        assert f["subject"] in names, f"unknown subject {f['subject']!r}"
        assert isinstance(f["metric"], str) and f["metric"].strip(), f


def test_fact_values_units_qualifiers() -> None:
    for f in gold()["metric_facts"]:
        assert isinstance(f["value"], int | float) and not isinstance(f["value"], bool), f
        assert f["unit"] in UNITS, f
        assert f["qualifier"] in QUALIFIERS, f
        assert f["period"] is None or isinstance(f["period"], str), f
        high = f["value_high"]
        if high is not None:
            assert isinstance(high, int | float), f
            assert high >= f["value"], f
        if f["unit"] == "%":
            for v in (f["value"], high):
                assert v is None or 0 <= v <= 1, f"percentage not stored as fraction: {f}"
        if f["unit"] == "score":
            assert isinstance(f.get("of"), int | float) and f["value"] <= f["of"], f


@pytest.mark.parametrize("kind", ["entity", "relation", "fact"])
def test_evidence_quotes_are_exact_substrings(kind: str) -> None:
    for label, evidence in _all_evidence():
        if not label.startswith(kind):
            continue
        doc, quote = evidence["doc"], evidence["quote"]
        assert (CORPUS / doc).is_file(), f"{label}: missing corpus doc {doc}"
        assert quote and "\n" not in quote and "\r" not in quote, label
        assert quote in corpus_text(doc), f"{label}: quote not in {doc}: {quote!r}"
        assert not any(b in quote for b in BOILERPLATE), label


def test_key_facts_present() -> None:
    facts = {(f["subject"], f["metric"], f["value"], f["period"]) for f in gold()["metric_facts"]}
    assert ("Twilio", "revenue", 4460000000, "FY2024") in facts
    assert ("Segment", "revenue share", 0.13, "FY2024") in facts
    assert ("Twilio", "revenue", 6500000000, "2029") in facts
    rels = {(r["source"], r["type"], r["target"]) for r in gold()["relations"]}
    assert ("Twilio", "ACQUIRED", "Segment") in rels
    assert ("Vonage", "OWNED_BY", "Ericsson") in rels
    assert ("Erika Rottenberg", "SOLD_SHARES", "Twilio") in rels
