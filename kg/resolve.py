"""Entity resolution: merge mentions from every document onto one node per real-world thing.

Rules, in order (all generic):

* the same normalised name (case, quotes, hyphens, possessives) is one entity;
* explicit aliases found by extraction (``"Large Language Models (LLMs)"``, a ticker
  ``"Acme (ACME)"``, ``"Parcelly (now Globex)"``) join their entity;
* a company name with a corporate suffix joins the bare name (``"Nimbus AI"`` / ``"Nimbus"``);
* a single-word company joins the only longer company that starts with it
  (``"Google"`` / ``"Google Cloud"``);
* ``"<Company> <Product>"`` joins ``"<Product>"`` (``"Acme Router"`` / ``"Router"``), but never a
  different product (``"Acme Flex AI"`` stays apart from ``"Flex"``);
* singular/plural forms and near-identical spellings (difflib ratio >= 0.93) of one type merge.

A person is scoped to the company of the document they appear in: ``person:acme:jane-doe``.

>>> ents, facts = resolve([{"doc": "a", "focus": "Nimbus AI", "mentions": [
...     {"name": "Nimbus AI", "type": "Company", "w": 3, "aliases": [], "attrs": {}, "ev": ["a", 0, 9, "Nimbus AI"]},
...     {"name": "Nimbus", "type": "Company", "w": 1, "aliases": [], "attrs": {}, "ev": ["a", 0, 6, "Nimbus"]}],
...     "facts": []}])
>>> [(e.id, e.name, e.aliases) for e in ents]
[('company:nimbus-ai', 'Nimbus AI', ['Nimbus'])]
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from core.types import Entity, Evidence, Fact
from kg import lexicon as lx

MAX_EVIDENCE = 25


@lru_cache(maxsize=1 << 16)  # every question keys every entity name of the graph
def norm_key(name: str) -> str:
    """Matching key of a name: lower case, ASCII punctuation, no possessive or leading article."""
    n = name.replace("\u2019", "'").replace("\u2011", "-").replace("\u2013", "-").replace("\u2014", "-")
    n = re.sub(r"'s\b", "", n.lower())
    n = re.sub(r"^(?:the|a|an)\s+", "", n.strip())
    n = re.sub(r"[^\w%/&+]+", " ", n)
    return " ".join(n.split())


def slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", norm_key(name).replace("&", " and ").replace("%", " pct ")).strip("-")
    return s or "x"


def _plural_key(k: str) -> str:
    words = k.split()
    if words and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith("ss"):
        words[-1] = words[-1][:-1]
    return " ".join(words)


class _UF:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


@dataclass
class _Mentions:
    """Everything the mentions of all documents say, by normalised name key."""

    weights: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))  # key -> type weights
    names: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))  # key -> surface forms
    evidence: dict[str, list[list[Any]]] = field(default_factory=lambda: defaultdict(list))
    attrs: dict[str, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))
    alias_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    person_company: dict[str, str] = field(default_factory=dict)  # person key -> focus of their document
    uf: _UF = field(default_factory=_UF)

    def typ(self, k: str) -> str:
        c = self.weights.get(k)
        return c.most_common(1)[0][0] if c else ""


def resolve(extractions: list[dict[str, Any]]) -> tuple[list[Entity], list[Fact]]:
    """Merge per-document extraction results into entities and facts with entity ids."""
    ms = _collect(extractions)
    _merge_aliases(ms)
    _merge_companies_and_products(ms)
    _merge_spellings(ms)
    entities, key_to_id = _entities(ms)
    return entities, _facts(extractions, key_to_id, ms.uf)


def _collect(extractions: list[dict[str, Any]]) -> _Mentions:
    ms = _Mentions()
    for ex in extractions:
        focus = ex.get("focus")
        for m in ex["mentions"]:
            k = norm_key(m["name"])
            if not k:
                continue
            ms.uf.find(k)
            ms.weights[k][m["type"]] += float(m["w"])
            ms.names[k][m["name"]] += 1
            ms.evidence[k].append(m["ev"])
            ms.attrs[k].update({a: b for a, b in (m.get("attrs") or {}).items() if b is not None})
            if m["type"] == "Person" and focus:
                ms.person_company.setdefault(k, focus)
            for a in m.get("aliases", []):
                ak = norm_key(a)
                if ak and ak != k:
                    ms.alias_of[k].add(a)
                    ms.names[ak][a] += 0  # known surface
                    ms.uf.find(ak)
    return ms


def _merge_aliases(ms: _Mentions) -> None:
    """Explicit aliases join their entity, unless the alias is a heavier entity of another type."""
    typ, weights = ms.typ, ms.weights
    for k, al in ms.alias_of.items():
        for a in al:
            ak = norm_key(a)
            if ak in weights and typ(ak) not in ("", typ(k)) and weights[ak][typ(ak)] > weights[k][typ(k)]:
                continue
            ms.uf.union(k, ak)


def _merge_companies_and_products(ms: _Mentions) -> None:
    """Suffixed company / bare name; one-word company / its only two-word extension;
    "<Company> <Product>" / "<Product>"."""
    typ, weights, uf = ms.typ, ms.weights, ms.uf
    keys = list(weights)
    suffixes = {s.lower().rstrip(".") for s in lx.company_suffixes()}
    companies = [k for k in keys if typ(k) == "Company"]
    for k in companies:
        words = k.split()
        if len(words) >= 2 and words[-1] in suffixes:
            base = " ".join(words[:-1])
            if base in weights and typ(base) in ("Company", "Product", ""):
                uf.union(k, base)
    for k in companies:
        if len(k.split()) == 1:
            longer = [c for c in companies if c.startswith(k + " ") and c != k]
            if len(longer) == 1 and len(longer[0].split()) == 2:
                uf.union(longer[0], k)
    for k in keys:
        if typ(k) != "Product":
            continue
        for c in companies:
            if k.startswith(c + " "):
                rest = k[len(c) + 1 :]
                if rest in weights and typ(rest) in ("Product", "Technology", "Company", ""):
                    uf.union(k, rest)


def _merge_spellings(ms: _Mentions) -> None:
    """Singular/plural forms and near-identical spellings of one type (people excepted)."""
    typ, uf = ms.typ, ms.uf
    keys = list(ms.weights)
    by_plural: dict[tuple[str, str], list[str]] = defaultdict(list)
    for k in keys:
        by_plural[(_plural_key(k), typ(k))].append(k)
    for group in by_plural.values():
        for other in group[1:]:
            uf.union(group[0], other)
    by_type: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        by_type[typ(k)].append(k)
    for t, ks in by_type.items():
        if t == "Person":
            continue
        long_keys = [k for k in ks if len(k) >= 8]
        for i, a in enumerate(long_keys):
            for b in long_keys[i + 1 :]:
                if 2 * min(len(a), len(b)) < 0.93 * (len(a) + len(b)):
                    continue  # the ratio cannot reach 0.93 (an upper bound from the lengths alone)
                sm = difflib.SequenceMatcher(None, a, b)
                if uf.find(a) != uf.find(b) and sm.quick_ratio() >= 0.93 and sm.ratio() >= 0.93:
                    uf.union(a, b)


def _entities(ms: _Mentions) -> tuple[list[Entity], dict[str, str]]:
    """One entity per merged group (in order of the group's smallest key), and every key's entity id."""
    groups: dict[str, list[str]] = defaultdict(list)
    for k in list(ms.uf.parent):
        groups[ms.uf.find(k)].append(k)
    key_to_id: dict[str, str] = {}
    entities: list[Entity] = []
    used_ids: set[str] = set()
    for members in sorted(groups.values(), key=lambda m: min(m)):
        real = [k for k in members if k in ms.weights]
        if not real:
            continue
        e = _entity(ms, members, real, used_ids)
        entities.append(e)
        for k in members:
            key_to_id[k] = e.id
    return entities, key_to_id


def _entity(ms: _Mentions, members: list[str], real: list[str], used_ids: set[str]) -> Entity:
    """The entity of one group: ``members`` are its keys, ``real`` those that were mentioned."""
    tw: Counter[str] = Counter()
    for k in real:
        tw.update(ms.weights[k])
    etype = tw.most_common(1)[0][0]
    if tw.get("Person", 0) >= 2:
        etype = "Person"
    surfaces: Counter[str] = Counter()
    for k in members:
        surfaces.update({n: c + 1 for n, c in ms.names[k].items()})
    typed = [k for k in real if ms.weights[k].get(etype)]
    name = _canonical(typed or real, ms.names, etype)
    aliases = sorted({s for s in surfaces if s != name and norm_key(s) != norm_key(name)} |
                     {s for s in surfaces if s != name and norm_key(s) == norm_key(name) and s.lower() != name.lower()})
    comp = next((ms.person_company[k] for k in real if k in ms.person_company), None) if etype == "Person" else None
    eid = f"person:{slug(comp)}:{slug(name)}" if comp else f"{etype.lower()}:{slug(name)}"
    while eid in used_ids:
        eid += "-2"
    used_ids.add(eid)
    evs = []
    seen = set()
    for k in real:
        for ev in ms.evidence[k]:
            t = (ev[0], ev[1], ev[2])
            if t not in seen:
                seen.add(t)
                evs.append(Evidence(ev[0], int(ev[1]), int(ev[2]), ev[3]))
    evs.sort(key=lambda e: (e.doc, e.start))
    at: dict[str, Any] = {}
    for k in real:
        at.update(ms.attrs[k])
    if comp:
        at["company"] = comp
    at["mentions"] = len(seen)
    return Entity(eid, etype, name, aliases, evs[:MAX_EVIDENCE], at)


def _canonical(keys: list[str], names: dict[str, Counter[str]], etype: str) -> str:
    """The display name: the fullest surface form (metrics: the singular one)."""
    cands: list[str] = []
    for k in keys:
        cands.extend(names[k])
    cands = [c for c in cands if c] or keys
    if etype == "Metric":
        return min(cands, key=lambda c: (len(c.split()), c.endswith("s"), -sum(names[norm_key(c)].values()), c))
    if etype == "Scenario":
        return max(cands, key=lambda c: (sum(names[norm_key(c)].values()), len(c)))
    return max(cands, key=lambda c: (len(norm_key(c).split()) if "(" not in c else 0, sum(names[norm_key(c)].values()), -len(c), c))


def _facts(extractions: list[dict[str, Any]], key_to_id: dict[str, str], uf: _UF) -> list[Fact]:
    merged: dict[tuple[Any, ...], Fact] = {}
    for ex in extractions:
        for f in ex["facts"]:
            s = key_to_id.get(norm_key(f["s"]))
            o = key_to_id.get(norm_key(f["o"])) if f.get("o") else None
            if s is None or (f.get("o") and o is None) or s == o:
                continue
            ev = Evidence(f["ev"][0], int(f["ev"][1]), int(f["ev"][2]), f["ev"][3])
            if f.get("value") is not None:
                key: tuple[Any, ...] = (s, f["p"], o, f.get("metric"), f.get("value"), f.get("value_high"), f.get("unit"),
                                        f.get("period"), f.get("qualifier"))
            else:
                key = (s, f["p"], o, f.get("metric") if f["p"] != "HAS_METRIC" else None)
            fact = merged.get(key)
            if fact is None:
                fact = merged[key] = Fact(
                    subject=s, predicate=f["p"], object=o, metric=f.get("metric"), value=f.get("value"),
                    value_high=f.get("value_high"), unit=f.get("unit"), period=f.get("period"),
                    qualifier=f.get("qualifier"), surface=f.get("surface"), attrs=dict(f.get("attrs") or {}),
                )
            else:
                for a, b in (f.get("attrs") or {}).items():
                    fact.attrs.setdefault(a, b)
            if all((e.doc, e.start, e.end) != (ev.doc, ev.start, ev.end) for e in fact.evidence):
                fact.evidence.append(ev)
    facts = list(merged.values())
    # a launch is the more specific statement of an offer
    launched = {(f.subject, f.object) for f in facts if f.predicate == "LAUNCHED"}
    return [f for f in facts if not (f.predicate == "OFFERS" and (f.subject, f.object) in launched)]
