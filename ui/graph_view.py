"""The knowledge graph as the workspace shows it: network JSON, detail panels, fact rows.

:class:`GraphView` reads one generation of a :class:`~core.interfaces.GraphStore` (or
``None`` while there is no graph, when the view says "not available"). It keeps the
entities and facts, the relation edges between entities (one id per fact, for the browser)
and the keys of the facts the store reports in conflict.

>>> from core.types import Entity, Fact
>>> from kg.store import NetworkXGraphStore
>>> store = NetworkXGraphStore.from_records(
...     [Entity("c:acme", "Company", "Acme", ["ACME"]), Entity("c:bolt", "Company", "Bolt")],
...     [Fact("c:acme", "COMPETES_WITH", "c:bolt")])
>>> g = GraphView(store)
>>> g.find("ACME"), g.neighbors("c:acme"), g.types()
('c:acme', {'c:bolt'}, ['Company'])
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import networkx as nx

from core.interfaces import DocumentStore, GraphStore
from core.types import Entity, Fact
from ui.render import esc, evidence_html, fact_value_text

Step = tuple[str, str, Fact]  # (edge id, the entity the step leaves from, the relation fact)
FactKey = tuple[Any, ...]

NOT_AVAILABLE = "graph not available"

# Colour per entity type (others get a colour from the fallback palette).
TYPE_COLORS = {
    "Company": "#4e79a7",
    "Person": "#e15759",
    "Product": "#f28e2b",
    "Technology": "#76b7b2",
    "Metric": "#b07aa1",
    "Segment": "#59a14f",
    "Scenario": "#edc948",
    "Indicator": "#ff9da7",
    "Location": "#9c755f",
    "Event": "#bab0ac",
}
_PALETTE = ["#8cd17d", "#86bcb6", "#f1ce63", "#d37295", "#a0cbe8", "#ffbe7d", "#d4a6c8", "#79706e"]


def type_color(t: str) -> str:
    if t in TYPE_COLORS:
        return TYPE_COLORS[t]
    return _PALETTE[sum(map(ord, t)) % len(_PALETTE)]


def fact_key(f: Fact) -> FactKey:
    """A hashable identity for a fact (facts are mutable dataclasses)."""
    first = (f.evidence[0].doc, f.evidence[0].start) if f.evidence else (None, None)
    return (
        f.subject, f.predicate, f.object, f.metric, f.value, f.value_high, f.unit, f.period, f.qualifier, *first,
    )


def is_metric(f: Fact) -> bool:
    """A typed value (it may also point at a metric node), as opposed to a plain relation."""
    return f.value is not None or (f.object is None and f.metric is not None)


def entity_type(e: Entity) -> str:
    return e.type or "Other"


class GraphView:
    """Entities, facts and derived structure of one graph generation (read-only).

    ``store`` is ``None`` while there is no graph; ``error`` then says why (default
    :data:`NOT_AVAILABLE`). ``index`` holds the documents the evidence is read from.
    """

    def __init__(self, store: GraphStore | None, index: DocumentStore | None = None, error: str = "") -> None:
        self.store = store
        self.index = index
        self.error = ""
        self.entities: dict[str, Entity] = {}
        self.facts: list[Fact] = []
        self.adj: dict[str, set[str]] = defaultdict(set)
        self.edges: dict[str, Fact] = {}  # edge id -> relation fact
        self.conflict_keys: set[FactKey] = set()
        self._by_entity: dict[str, list[Fact]] = defaultdict(list)  # entity id -> facts touching it, in order
        if store is None:
            self.error = error or NOT_AVAILABLE
            return
        self.entities = {e.id: e for e in store.entities()}
        self.facts = list(store.facts())
        for i, f in enumerate(self.facts):
            s, o = f.subject, f.object
            for x in dict.fromkeys((s, o)):
                if x is not None:
                    self._by_entity[x].append(f)
            if o is not None and s in self.entities and o in self.entities:
                self.edges[f"e{i}"] = f
                if s != o:
                    self.adj[s].add(o)
                    self.adj[o].add(s)
        self.conflict_keys = self._conflicts(store)

    @property
    def available(self) -> bool:
        return not self.error and bool(self.entities)

    # ---- lookups ------------------------------------------------------------------------------

    def types(self) -> list[str]:
        return sorted({entity_type(e) for e in self.entities.values()})

    def name(self, eid: str | None) -> str:
        e = self.entities.get(eid or "")
        return e.name if e is not None else str(eid or "")

    def entity_choices(self) -> list[tuple[str, str]]:
        """``(label, id)`` pairs for dropdowns, by name."""
        return sorted(
            ((f"{e.name} ({e.type})", eid) for eid, e in self.entities.items()),
            key=lambda p: p[0].lower(),
        )

    def find(self, text: str) -> str | None:
        """An entity id for a name, alias or id (case-insensitive; prefix match as a fallback)."""
        t = (text or "").strip().lower()
        if not t:
            return None
        if text in self.entities:
            return text
        e = self.store.entity(text) if self.store is not None else None
        if e is not None and e.id in self.entities:
            return e.id
        for eid, e in self.entities.items():
            if any(n.lower() == t for n in [e.name, *e.aliases]):
                return eid
        for eid, e in sorted(self.entities.items(), key=lambda p: len(p[1].name)):
            if e.name.lower().startswith(t) or t in e.name.lower():
                return eid
        return None

    def facts_of(self, eid: str) -> list[Fact]:
        """The facts with ``eid`` as subject or object, in the store's order."""
        return list(self._by_entity.get(eid, ()))

    def evidence_count(self, eid: str) -> int:
        e = self.entities.get(eid)
        n = len(e.evidence) if e is not None else 0
        return n + sum(len(f.evidence) for f in self.facts_of(eid))

    def neighbors(self, eid: str) -> set[str]:
        linked = self.store.neighbors(eid) if self.store is not None else []
        out = {e.id for e, _f in linked if e.id in self.entities and e.id != eid}
        return out | self.adj.get(eid, set())

    def path(self, a: str, b: str) -> list[Step]:
        """The shortest chain of relation facts from ``a`` to ``b`` as ``(edge id, from, fact)``."""
        if a not in self.entities or b not in self.entities or a == b:
            return []
        steps = self._steps(a, self.store.path(a, b) if self.store is not None else [])
        if steps:
            return steps
        # the store's chain may run through a fact that is no edge of this view: use the view's edges
        g = nx.Graph()
        g.add_nodes_from(self.entities)
        for eid, f in self.edges.items():
            s, o = f.subject, f.object
            if s != o and not g.has_edge(s, o):
                g.add_edge(s, o, edge=eid)
        try:
            nodes = nx.shortest_path(g, a, b)
        except nx.NetworkXNoPath:
            return []
        out = []
        for x, y in itertools.pairwise(nodes):
            eid = g.edges[x, y]["edge"]
            out.append((eid, x, self.edges[eid]))
        return out

    def _steps(self, a: str, facts: list[Fact]) -> list[Step]:
        """``store.path`` facts as ``(edge id, from, fact)`` steps walking from ``a``."""
        by_key = {fact_key(f): eid for eid, f in self.edges.items()}
        steps, here = [], a
        for f in facts:
            eid = by_key.get(fact_key(f))
            s, o = f.subject, f.object
            if eid is None or o is None or here not in (s, o):
                return []
            steps.append((eid, here, f))
            here = o if here == s else s
        return steps

    # ---- conflicts ----------------------------------------------------------------------------

    def _conflicts(self, store: GraphStore) -> set[FactKey]:
        """Keys of the metric facts behind the store's conflicts."""
        keys: set[FactKey] = set()
        for c in store.conflicts():
            keys.update(fact_key(f) for f in self._conflict_facts(c))
        return keys

    def _conflict_facts(self, c: dict[str, Any]) -> list[Fact]:
        """The facts behind one item of ``store.conflicts()`` (``subject``, ``metric``, ``period``
        and the conflicting ``values``, each with its value, unit and evidence)."""
        if not c.get("subject"):
            return []
        out = []
        for f in self.facts:
            if f.subject != c["subject"] or f.value is None:
                continue
            if c.get("period") is not None and f.period != c.get("period"):
                continue
            if c.get("metric") and str(f.metric or "").lower() != str(c["metric"]).lower():
                continue
            if any(_same_claim(f, v) for v in c.get("values") or []):
                out.append(f)
        return out

    def is_conflict(self, f: Fact) -> bool:
        return fact_key(f) in self.conflict_keys

    # ---- the network view ---------------------------------------------------------------------

    def default_nodes(self, types: Iterable[str] | None, limit: int) -> list[str]:
        """The best-evidenced entities of the chosen types (all types when ``types`` is None)."""
        allowed = None if types is None else set(types)
        ids = [eid for eid, e in self.entities.items() if allowed is None or entity_type(e) in allowed]
        ids.sort(key=lambda i: (-self.evidence_count(i), self.name(i).lower()))
        return ids[: max(1, limit)]

    def vis_json(
        self,
        nodes: Iterable[str],
        selected: str | None = None,
        path_edges: Iterable[str] = (),
        message: str = "",
        types: Iterable[str] | None = None,
        focus: bool = False,
        fit: Iterable[str] = (),
    ) -> str:
        """The JSON the browser turns into a vis-network graph (labels are drawn as text)."""
        if not self.available:
            return json.dumps({"nodes": [], "edges": [], "message": self.error or NOT_AVAILABLE})
        path_set = set(path_edges)
        keep = self._shown(nodes, selected, types, path_set)
        keep_set = set(keep)
        vnodes = [self._vis_node(n) for n in keep]
        vedges = [
            {"id": eid, "from": f.subject, "to": f.object, "label": _edge_label(f), "path": eid in path_set}
            for eid, f in self.edges.items()
            if f.subject in keep_set and f.object in keep_set
        ]
        return json.dumps(
            {
                "nodes": vnodes, "edges": vedges, "selected": selected if selected in keep_set else None,
                "path": sorted(path_set), "message": message, "focus": bool(focus),
                "fit": [x for x in dict.fromkeys(fit) if x in keep_set],
                "legend": {t: type_color(t) for t in sorted({v["etype"] for v in vnodes})},
            },
            ensure_ascii=False,
        )

    def _shown(self, nodes: Iterable[str], selected: str | None, types: Iterable[str] | None,
               path_edges: set[str]) -> list[str]:
        """The entities drawn: ``nodes`` of the allowed ``types`` (and the selected one), plus every
        entity of the path (a path is always shown whole)."""
        allowed = None if types is None else set(types)
        keep = [
            n for n in dict.fromkeys(nodes)
            if n in self.entities and (allowed is None or entity_type(self.entities[n]) in allowed or n == selected)
        ]
        keep_set = set(keep)
        for eid in path_edges:
            f = self.edges.get(eid)
            if f is not None:
                for x in (f.subject, f.object):
                    if x is not None and x not in keep_set:
                        keep.append(x)
                        keep_set.add(x)
        return keep

    def _vis_node(self, n: str) -> dict[str, Any]:
        e = self.entities[n]
        t = entity_type(e)
        count = self.evidence_count(n)
        return {
            "id": n,
            "label": e.name,
            "group": t,
            "color": type_color(t),
            "value": count,
            "size": 10 + 6 * math.sqrt(count),
            "etype": t,
            "evidence": count,
        }

    # ---- detail panels ------------------------------------------------------------------------

    def fact_html(self, f: Fact, n0: int = 1) -> str:
        """A fact as one line plus its evidence passages."""
        pred = esc(f.predicate)
        subj = esc(self.name(f.subject))
        if not is_metric(f):
            head = f'<b>{subj}</b> <span class="kgqa-pred">{pred}</span> <b>{esc(self.name(f.object))}</b>'
        else:
            bits = [esc(f.metric or pred), f"<b>{esc(fact_value_text(f))}</b>"]
            for tag in (f.period, f.qualifier):
                if tag:
                    bits.append(f'<span class="kgqa-tag">{esc(tag)}</span>')
            head = f"<b>{subj}</b> · " + " ".join(bits)
        if f.attrs:
            head += ' <span class="kgqa-muted">' + esc(", ".join(f"{k}: {v}" for k, v in f.attrs.items())) + "</span>"
        conflict = ' <span class="kgqa-badge kgqa-badge-conflict">conflict</span>' if self.is_conflict(f) else ""
        evs = "".join(evidence_html(self.index, ev, n0 + i) for i, ev in enumerate(f.evidence))
        return f'<div class="kgqa-fact{" kgqa-conflict" if conflict else ""}"><div>{head}{conflict}</div>{evs}</div>'

    def entity_html(self, eid: str) -> str:
        if not self.available:
            return f'<p class="kgqa-muted">{esc(self.error or NOT_AVAILABLE)}</p>'
        e = self.entities.get(eid)
        if e is None:
            return '<p class="kgqa-muted">Select a node or an edge to see its facts and their sources.</p>'
        t = entity_type(e)
        aliases = [a for a in e.aliases if a != e.name]
        facts = self.facts_of(eid)
        out = [
            f'<div class="kgqa-entity" data-entity="{esc(eid)}">',
            f'<h3><span class="kgqa-dot" style="background:{type_color(t)}"></span>{esc(e.name)} '
            f'<span class="kgqa-tag">{esc(t)}</span></h3>',
        ]
        if aliases:
            out.append(f'<div class="kgqa-muted">also: {esc(", ".join(aliases))}</div>')
        out.append(
            f'<div class="kgqa-muted">{len(facts)} fact{"s" if len(facts) != 1 else ""} · '
            f'{self.evidence_count(eid)} pieces of evidence · {len(self.neighbors(eid))} neighbours</div>'
        )
        if not facts:
            for i, ev in enumerate(e.evidence):
                out.append(evidence_html(self.index, ev, i + 1))
        out.append(self._facts_html(sorted(facts, key=lambda f: (not is_metric(f), f.predicate, f.metric or ""))))
        out.append("</div>")
        return "".join(out)

    def _facts_html(self, facts: Iterable[Fact]) -> str:
        """Facts one after the other, their evidence numbered on from one fact to the next."""
        out, n = [], 1
        for f in facts:
            out.append(self.fact_html(f, n))
            n += len(f.evidence)
        return "".join(out)

    def edge_html(self, edge_id: str) -> str:
        f = self.edges.get(edge_id)
        if f is None:
            return '<p class="kgqa-muted">Select a node or an edge to see its facts and their sources.</p>'
        s, o = f.subject, f.object
        same = [g for g in self.edges.values() if {g.subject, g.object} == {s, o}]
        return (f'<div class="kgqa-edge"><h3>{esc(self.name(s))} ↔ {esc(self.name(o))}</h3>'
                + self._facts_html(same) + "</div>")

    def path_html(self, a: str | None, b: str | None, steps: list[Step]) -> str:
        if not a or not b:
            return '<p class="kgqa-muted">Pick two entities to find how they are connected.</p>'
        if a == b:
            return '<p class="kgqa-muted">Pick two different entities.</p>'
        if not steps:
            return f'<p class="kgqa-msg kgqa-msg-warn">No path between {esc(self.name(a))} and {esc(self.name(b))}.</p>'
        chain = [esc(self.name(a))]
        for _eid, frm, f in steps:
            forward = frm == f.subject
            nxt = f.object if forward else f.subject
            arrow = "→" if forward else "←"
            chain.append(f'<span class="kgqa-pred">{arrow} {esc(f.predicate)} {arrow}</span> {esc(self.name(nxt))}')
        return (
            f'<div class="kgqa-path"><h3>Path ({len(steps)} step{"s" if len(steps) != 1 else ""})</h3>'
            f'<div class="kgqa-chain">{" ".join(chain)}</div>'
            + self._facts_html(f for _eid, _frm, f in steps) + "</div>"
        )

    # ---- tables -------------------------------------------------------------------------------

    def metric_rows(self) -> list[dict[str, Any]]:
        """One row per metric fact (and per relation fact with a value), for the facts table."""
        rows = [self._metric_row(f) for f in self.facts if is_metric(f)]
        rows.sort(key=lambda r: (r["entity"].lower(), r["metric"].lower(), r["period"]))
        return rows

    def _metric_row(self, f: Fact) -> dict[str, Any]:
        ev = f.evidence[0] if f.evidence else None
        doc_id = ev.doc if ev is not None else ""
        title = ""
        if self.index is not None and doc_id in self.index.docs:
            title = self.index.docs[doc_id].title
        subject = self.entities.get(f.subject)
        return {
            "entity": self.name(f.subject),
            "type": subject.type if subject is not None else "",
            "metric": f.metric or f.predicate or "",
            "value": float(f.value) if f.value is not None else None,
            "value_high": float(f.value_high) if f.value_high is not None else None,
            "unit": f.unit or "",
            "as_written": f.surface or fact_value_text(f),
            "period": f.period or "",
            "qualifier": f.qualifier or "",
            "source": f"{title or doc_id} [{ev.start}:{ev.end}]" if ev is not None else "",
            "doc": doc_id,
            "evidence": " ".join((ev.text or "").split()) if ev is not None else "",
            "conflict": self.is_conflict(f),
        }

    def entity_counts_by_doc(self) -> dict[str, int]:
        """How many distinct entities have evidence in each document."""
        per: dict[str, set[str]] = defaultdict(set)
        for eid, e in self.entities.items():
            for ev in e.evidence:
                per[ev.doc].add(eid)
        for f in self.facts:
            for ev in f.evidence:
                for x in (f.subject, f.object):
                    if x is not None and x in self.entities:
                        per[ev.doc].add(x)
        return {d: len(s) for d, s in per.items()}


def _edge_label(f: Fact) -> str:
    if f.value is not None:
        text = fact_value_text(f)
        return f"{text} ({f.period})" if f.period else text
    return f.predicate


def _same_claim(f: Fact, v: dict[str, Any]) -> bool:
    """Whether ``f`` is the claim ``v`` of a conflict: the same value and unit, read at the same place."""
    same_value = _close(f.value, v.get("value")) and f.unit == v.get("unit", f.unit)
    evs = v.get("evidence") or []
    same_ev = not evs or not f.evidence or (evs[0].get("doc"), evs[0].get("start")) == (
        f.evidence[0].doc, f.evidence[0].start,
    )
    return bool(same_value and same_ev)


def _close(a: float | None, b: Any) -> bool:
    if a is None:
        return False
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return False
    return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))
