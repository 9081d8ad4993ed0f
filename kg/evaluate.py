"""Score an extracted graph against a hand-checked gold graph.

Gold format (``eval/gold/graph.json``)::

    {"entities": [{"name", "type", "aliases", "evidence": {"doc", "quote"}}],
     "relations": [{"source", "type", "target", "attrs", "evidence"}],
     "metric_facts": [{"subject", "metric", "value", "value_high", "unit", "period", "qualifier", "evidence"}]}

* entities match by canonical name or alias (case- and punctuation-insensitive) and type;
* relations match on (source, type, target) after alias resolution on both sides,
  direction-insensitive for ``COMPETES_WITH``; metric edges count once per (subject, metric);
* a gold metric fact is found when an extracted fact has the same subject and an equal value
  (and upper bound) within 0.5 % relative; metric-fact precision is the share of extracted
  value facts that equal some gold fact.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from core.interfaces import GraphStore
from core.types import Fact
from core.values import same_number
from kg.resolve import norm_key

SYMMETRIC = {"COMPETES_WITH"}


def _pr(tp_p: int, n_p: int, tp_r: int, n_r: int) -> dict[str, float | int]:
    p = tp_p / n_p if n_p else 0.0
    r = tp_r / n_r if n_r else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "predicted": n_p, "gold": n_r,
            "matched_predicted": tp_p, "matched_gold": tp_r}


def _keys(name: str, aliases: list[str] | None) -> set[str]:
    out = {norm_key(name)}
    out |= {norm_key(a) for a in aliases or []}
    return {k for k in out if k}


class _Gold:
    """The gold file's entities indexed by every normalised name and alias."""

    def __init__(self, gold: dict[str, Any]) -> None:
        self.gold = gold
        self.entities: list[dict[str, Any]] = gold.get("entities", [])
        self.key_index: dict[str, list[int]] = defaultdict(list)
        for i, e in enumerate(self.entities):
            for k in _keys(e["name"], e.get("aliases")):
                self.key_index[k].append(i)

    def ids(self, name: str) -> list[int]:
        return self.key_index.get(norm_key(name), [])


def score_graph(store: GraphStore, gold_path: Path) -> dict[str, Any]:
    """Entity, relation and metric-fact scores of ``store`` against the gold file (see module docstring)."""
    gold = _Gold(json.loads(Path(gold_path).read_text(encoding="utf-8")))
    entity_scores, ent_map = _entity_scores(store, gold)
    return {
        "entities": entity_scores,
        "relations": _relation_scores(store, gold, ent_map),
        "metric_facts": _fact_scores(store, gold, ent_map),
    }


def _entity_scores(store: GraphStore, gold: _Gold) -> tuple[dict[str, Any], dict[str, int]]:
    """Type-aware entity match, and a map from extracted entity id to gold entity (type preferred)."""
    g_ents = gold.entities
    ents = store.entities()
    ent_map: dict[str, int] = {}
    matched_pred = 0
    matched_gold: set[int] = set()
    for e in ents:
        cands: list[int] = []
        for k in _keys(e.name, e.aliases):
            cands.extend(gold.key_index.get(k, []))
        typed = [i for i in cands if g_ents[i]["type"].lower() == e.type.lower()]
        if typed:
            matched_pred += 1
            matched_gold.update(typed)
            ent_map[e.id] = typed[0]
        elif cands:
            ent_map[e.id] = cands[0]
    scores: dict[str, Any] = _pr(matched_pred, len(ents), len(matched_gold), len(g_ents))
    scores["missed"] = sorted(g_ents[i]["name"] for i in range(len(g_ents)) if i not in matched_gold)
    scores["spurious"] = sorted(e.name for e in ents if e.id not in ent_map)
    return scores, ent_map


def _triple(s: int, p: str, o: int) -> tuple[int, str, int]:
    """A relation in gold-entity space (symmetric predicates in a fixed direction)."""
    if p in SYMMETRIC and o < s:
        s, o = o, s
    return (s, p, o)


def _relation_scores(store: GraphStore, gold: _Gold, ent_map: dict[str, int]) -> dict[str, Any]:
    g_ents = gold.entities
    gold_rel: set[tuple[int, str, int]] = set()
    unresolved = 0
    for r in gold.gold.get("relations", []):
        s, o = gold.ids(r["source"]), gold.ids(r["target"])
        if not s or not o:
            unresolved += 1
            continue
        gold_rel.add(_triple(s[0], r["type"].upper(), o[0]))
    pred_rel: set[tuple[str, str, str]] = set()
    for f in store.all_facts():
        if f.object:
            pred_rel.add((f.subject, f.predicate.upper(), f.object))

    def in_gold(s: str, p: str, o: str) -> bool:
        return s in ent_map and o in ent_map and _triple(ent_map[s], p, ent_map[o]) in gold_rel

    hits = [(s, p, o) for s, p, o in pred_rel if in_gold(s, p, o)]
    hit_gold = {_triple(ent_map[s], p, ent_map[o]) for s, p, o in hits}
    scores: dict[str, Any] = _pr(len(hits), len(pred_rel), len(hit_gold), len(gold_rel))
    scores["gold_unresolved"] = unresolved
    scores["missed"] = sorted(f"{g_ents[s]['name']} -{p}-> {g_ents[o]['name']}" for s, p, o in gold_rel - hit_gold)
    scores["spurious"] = sorted(
        f"{store.name_of(s)} -{p}-> {store.name_of(o)}" for s, p, o in pred_rel if not in_gold(s, p, o)
    )
    return scores


def _equal(f: Fact, gf: dict[str, Any]) -> bool:
    """Whether an extracted value fact has the gold fact's value (and upper bound)."""
    if gf.get("value") is None or not same_number(float(f.value), float(gf["value"])):
        return False
    gh = gf.get("value_high")
    if gh is None:
        return f.value_high is None or same_number(float(f.value_high), float(f.value))
    return f.value_high is not None and same_number(float(f.value_high), float(gh))


def _fact_scores(store: GraphStore, gold: _Gold, ent_map: dict[str, int]) -> dict[str, Any]:
    g_facts = gold.gold.get("metric_facts", [])
    pred_facts = [f for f in store.all_facts() if f.value is not None]
    found = 0
    missed_facts = []
    pred_ok: set[int] = set()
    for gf in g_facts:
        subj = set(gold.ids(gf["subject"]))
        hits = [i for i, f in enumerate(pred_facts) if ent_map.get(f.subject) in subj and _equal(f, gf)]
        if hits:
            found += 1
            pred_ok.update(hits)
        else:
            missed_facts.append(f"{gf['subject']} {gf['metric']} = {gf.get('value')}..{gf.get('value_high')}")
    for i, f in enumerate(pred_facts):
        if i in pred_ok:
            continue
        subj_gold = ent_map.get(f.subject)
        if any(subj_gold in gold.ids(gf["subject"]) and _equal(f, gf) for gf in g_facts):
            pred_ok.add(i)
    return {
        "value_exact": round(found / len(g_facts), 4) if g_facts else 0.0,
        "precision": round(len(pred_ok) / len(pred_facts), 4) if pred_facts else 0.0,
        "gold": len(g_facts), "predicted": len(pred_facts), "found": found,
        "missed": missed_facts,
        "spurious": [f"{store.name_of(f.subject)} {f.metric} = {f.surface}" for i, f in enumerate(pred_facts) if i not in pred_ok],
    }


def summary_rows(scores: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows ``(part, precision, recall, counts)`` for a table."""
    e, r, m = scores["entities"], scores["relations"], scores["metric_facts"]
    return [
        ("entities", f"{e['precision']:.2f}", f"{e['recall']:.2f}", f"{e['matched_gold']}/{e['gold']} gold, {e['predicted']} extracted"),
        ("relations", f"{r['precision']:.2f}", f"{r['recall']:.2f}", f"{r['matched_gold']}/{r['gold']} gold, {r['predicted']} extracted"),
        ("metric facts", f"{m['precision']:.2f}", f"{m['value_exact']:.2f}", f"{m['found']}/{m['gold']} value-exact, {m['predicted']} extracted"),
    ]
