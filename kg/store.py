"""The graph store: a NetworkX MultiDiGraph of entities and facts, saved as node-link JSON.

Nodes are entities (``type``, ``name``, ``aliases``, ``evidence``, ``attrs``); every fact is
an edge. A relation fact goes from its subject to its object; a metric fact goes from its
subject to the metric's node (``metric:<slug>``) and carries the typed value.

>>> from core.types import Entity, Evidence, Fact
>>> ev = Evidence("r.txt", 0, 12, "Acme is big.")
>>> g = NetworkXGraphStore.from_records([Entity("company:acme", "Company", "Acme", ["ACME Corp"], [ev])], [])
>>> [e.id for e in g.find("acme corp")]
['company:acme']
"""

from __future__ import annotations

import difflib
import itertools
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

import networkx as nx

from core.errors import GraphUnavailable
from core.jsonio import read_json, write_json
from core.types import Entity, Evidence, Fact
from core.values import same_number
from kg.resolve import norm_key

GRAPH_FORMAT = 1


def _ev_dict(e: Evidence) -> dict[str, Any]:
    return {"doc": e.doc, "start": e.start, "end": e.end, "text": e.text}


def _ev(d: dict[str, Any]) -> Evidence:
    return Evidence(d["doc"], int(d["start"]), int(d["end"]), d["text"])


def fact_to_dict(f: Fact) -> dict[str, Any]:
    d = asdict(f)
    d["evidence"] = [_ev_dict(e) for e in f.evidence]
    return d


def fact_from_dict(d: dict[str, Any]) -> Fact:
    d = dict(d)
    d["evidence"] = [_ev(e) for e in d.get("evidence", [])]
    return Fact(**d)


class NetworkXGraphStore:
    """Entities and facts with lookup by id, name, alias and fuzzy name."""

    def __init__(self, entities: dict[str, Entity], facts: list[Fact], meta: dict[str, Any] | None = None) -> None:
        self._entities = entities
        self._facts = facts
        self.meta = meta or {}
        self._alias: dict[str, list[str]] = defaultdict(list)
        for e in entities.values():
            for n in [e.name, *e.aliases]:
                k = norm_key(n)
                if k and e.id not in self._alias[k]:
                    self._alias[k].append(e.id)
        self._by_entity: dict[str, list[Fact]] = defaultdict(list)
        for f in facts:
            self._by_entity[f.subject].append(f)
            if f.object and f.object != f.subject:
                self._by_entity[f.object].append(f)
        self._nx: nx.MultiDiGraph | None = None

    # ---- construction / persistence -----------------------------------------------------

    @classmethod
    def from_records(cls, entities: list[Entity], facts: list[Fact], meta: dict[str, Any] | None = None) -> NetworkXGraphStore:
        return cls({e.id: e for e in entities}, list(facts), meta)

    def to_networkx(self) -> nx.MultiDiGraph:
        """The graph: entity nodes, one edge per fact (key ``f<index>``)."""
        if self._nx is not None:
            return self._nx
        g = nx.MultiDiGraph(format=GRAPH_FORMAT, **{k: v for k, v in self.meta.items() if isinstance(v, str | int | float)})
        for e in self._entities.values():
            g.add_node(e.id, type=e.type, name=e.name, aliases=list(e.aliases),
                       evidence=[_ev_dict(x) for x in e.evidence], attrs=dict(e.attrs))
        for i, f in enumerate(self._facts):
            target = f.object or f.subject
            g.add_edge(f.subject, target, key=f"f{i}", **fact_to_dict(f))
        self._nx = g
        return g

    def save(self, path: Path) -> None:
        """Write node-link JSON, gzip-compressed when the name ends in ``.gz`` (to a temp file, then
        renamed, so readers never see half a file: :func:`core.jsonio.write_json`)."""
        write_json(Path(path), nx.node_link_data(self.to_networkx(), edges="links"))

    @classmethod
    def load(cls, path: Path) -> NetworkXGraphStore:
        path = Path(path)
        try:
            data = read_json(path)
            g = nx.node_link_graph(data, directed=True, multigraph=True, edges="links")
        except FileNotFoundError as exc:
            raise GraphUnavailable(f"no graph at {path}: build the index with kgqa ingest") from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise GraphUnavailable(f"graph at {path} is unreadable ({type(exc).__name__}: {exc}); rebuild the index") from exc
        return cls.from_networkx(g)

    @classmethod
    def from_networkx(cls, g: nx.MultiDiGraph) -> NetworkXGraphStore:
        entities = {}
        for nid, d in g.nodes(data=True):
            entities[nid] = Entity(nid, d.get("type", ""), d.get("name", nid), list(d.get("aliases", [])),
                                   [_ev(x) for x in d.get("evidence", [])], dict(d.get("attrs", {})))
        facts = []
        edges = sorted(g.edges(keys=True, data=True), key=lambda x: int(str(x[2]).lstrip("f") or 0) if str(x[2]).lstrip("f").isdigit() else 0)
        fields = set(Fact.__dataclass_fields__)
        for _a, _b, _k, d in edges:
            facts.append(fact_from_dict({k: v for k, v in d.items() if k in fields}))
        meta = {k: v for k, v in g.graph.items() if k != "format"}
        store = cls(entities, facts, meta)
        store._nx = g
        return store

    # ---- queries --------------------------------------------------------------------------

    def entities(self, type: str | None = None) -> list[Entity]:
        es = list(self._entities.values())
        return [e for e in es if type is None or e.type.lower() == type.lower()]

    def entity(self, id_or_name: str) -> Entity | None:
        """An entity by id, exact name/alias, or the best fuzzy match."""
        if id_or_name in self._entities:
            return self._entities[id_or_name]
        found = self.find(id_or_name)
        return found[0] if found else None

    def find(self, name: str, fuzzy: bool = True, cutoff: float = 0.82) -> list[Entity]:
        """Entities named ``name``: exact alias match first, then close spellings."""
        k = norm_key(name)
        if not k:
            return []
        exact = self._alias.get(k)
        if exact:
            return sorted((self._entities[i] for i in exact), key=lambda e: -len(self._by_entity.get(e.id, [])))
        plural = k[:-1] if k.endswith("s") else k + "s"
        if plural in self._alias:
            return [self._entities[i] for i in self._alias[plural]]
        if not fuzzy:
            return []
        close = difflib.get_close_matches(k, list(self._alias), n=5, cutoff=cutoff)
        out: list[Entity] = []
        for c in close:
            for i in self._alias[c]:
                if self._entities[i] not in out:
                    out.append(self._entities[i])
        return out

    def facts(self, entity: str | None = None, predicate: str | None = None, metric: str | None = None) -> list[Fact]:
        """Facts touching ``entity`` (id or name), of ``predicate``, about ``metric`` (name, alias or id)."""
        if entity is not None:
            e = self.entity(entity)
            if e is None:
                return []
            fs = list(self._by_entity.get(e.id, []))
        else:
            fs = list(self._facts)
        if predicate:
            fs = [f for f in fs if f.predicate.upper() == predicate.upper()]
        if metric:
            m = self.entity(metric)
            mk = norm_key(metric)
            fs = [f for f in fs if (m is not None and f.object == m.id) or norm_key(f.metric or "") == mk]
        return fs

    def metric_facts(self, entity: str | None = None) -> list[Fact]:
        return [f for f in self.facts(entity) if f.value is not None]

    def relations(self) -> list[Fact]:
        return [f for f in self._facts if f.object is not None and f.value is None]

    def neighbors(self, entity_id: str) -> list[tuple[Entity, Fact]]:
        e = self.entity(entity_id)
        if e is None:
            return []
        out = []
        for f in self._by_entity.get(e.id, []):
            other = f.object if f.subject == e.id else f.subject
            if other and other != e.id and other in self._entities:
                out.append((self._entities[other], f))
        return out

    def path(self, a: str, b: str) -> list[Fact]:
        """The shortest chain of facts linking ``a`` and ``b`` (edges taken in either direction)."""
        ea, eb = self.entity(a), self.entity(b)
        if ea is None or eb is None:
            return []
        if ea.id == eb.id:
            return []
        g = nx.Graph()
        for i, f in enumerate(self._facts):
            if f.object and f.object != f.subject:
                # prefer relations over metric edges, and well-evidenced facts
                w = 1.0 + (0.5 if f.value is not None else 0.0)
                if not g.has_edge(f.subject, f.object) or g[f.subject][f.object]["w"] > w:
                    g.add_edge(f.subject, f.object, w=w, i=i)
        try:
            nodes = nx.shortest_path(g, ea.id, eb.id, weight="w")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return []
        return [self._facts[g[x][y]["i"]] for x, y in itertools.pairwise(nodes)]

    def conflicts(self) -> list[dict[str, Any]]:
        """Metric facts with the same subject, metric and period (and kind of claim) but different values."""
        groups: dict[tuple[str, str, str, str], list[Fact]] = defaultdict(list)
        for f in self._facts:
            if f.value is None or not f.period or not f.metric:
                continue
            q = f.qualifier or ""
            kind = q if q.startswith("projection") or q in ("target", "benchmark", "range") else "actual"
            groups[(f.subject, norm_key(f.metric), f.period, kind)].append(f)
        out = []
        for (s, _m, period, kind), fs in groups.items():
            distinct: list[Fact] = []
            for f in fs:
                if not any(_same(f, g) for g in distinct):
                    distinct.append(f)
            if len(distinct) < 2:
                continue
            if all(x.evidence and y.evidence and x.evidence[0] == y.evidence[0] for x in distinct for y in distinct):
                continue
            if not _incompatible(distinct):
                continue
            ent = self._entities.get(s)
            out.append({
                "subject": s, "subject_name": ent.name if ent else s, "metric": distinct[0].metric,
                "period": period, "kind": kind,
                "values": [{"value": f.value, "value_high": f.value_high, "unit": f.unit, "surface": f.surface,
                            "qualifier": f.qualifier, "evidence": [_ev_dict(e) for e in f.evidence]} for f in distinct],
            })
        return out

    def stats(self) -> dict[str, Any]:
        by_type: dict[str, int] = defaultdict(int)
        for e in self._entities.values():
            by_type[e.type] += 1
        by_pred: dict[str, int] = defaultdict(int)
        for f in self._facts:
            by_pred[f.predicate] += 1
        return {
            "entities": len(self._entities), "facts": len(self._facts),
            "metric_facts": sum(1 for f in self._facts if f.value is not None),
            "relations": len(self.relations()),
            "conflicts": len(self.conflicts()),
            "entity_types": dict(sorted(by_type.items())), "predicates": dict(sorted(by_pred.items())),
        }

    def name_of(self, entity_id: str | None) -> str:
        if entity_id is None:
            return ""
        e = self._entities.get(entity_id)
        return e.name if e else entity_id

    def all_facts(self) -> list[Fact]:
        return list(self._facts)


def _same(a: Fact, b: Fact) -> bool:
    if a.unit != b.unit:
        return False
    if not same_number(a.value or 0.0, b.value or 0.0):
        return False
    ah, bh = a.value_high, b.value_high
    if (ah is None) != (bh is None):
        return False
    return ah is None or bh is None or same_number(ah, bh)


def _incompatible(fs: list[Fact]) -> bool:
    """Two values really disagree (an "over $4B" does not contradict "$4.46B")."""
    for i, a in enumerate(fs):
        for b in fs[i + 1 :]:
            if a.unit != b.unit:
                continue
            if _consistent(a, b) or _consistent(b, a):
                continue
            return True
    return False


def _consistent(a: Fact, b: Fact) -> bool:
    av, bv = a.value or 0.0, b.value or 0.0
    lo, hi = (bv, b.value_high) if b.value_high is not None else (bv, bv)
    tol = 0.03 if "approx" in ((a.qualifier or "") + (b.qualifier or "")) else 0.005
    if a.qualifier in ("over", ">="):
        return hi >= av * (1 - tol)
    if a.qualifier in ("<", "<="):
        return lo <= av * (1 + tol)
    if a.value_high is None and b.value_high is not None:
        return lo * (1 - tol) <= av <= hi * (1 + tol)
    return same_number(av, bv, tol) and (a.value_high is None or b.value_high is None or same_number(a.value_high, b.value_high, tol))
