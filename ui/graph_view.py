"""A defensive view over the knowledge graph for the workspace.

:class:`GraphView` wraps whatever ``qa.index.graph`` is (``kg.store.GraphStore``, or
``None`` while there is no graph) and only relies on ``entities()`` and ``facts()``;
``neighbors``, ``path`` and ``conflicts`` of the store are used when they answer in a
recognisable shape, otherwise they are computed here from the facts. Any failure makes
the view "not available" instead of breaking the app.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ui.render import esc, evidence_html, fact_value_text

log = logging.getLogger(__name__)

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


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def fact_key(f: Any) -> tuple[Any, ...]:
    """A hashable identity for a fact (facts are mutable dataclasses)."""
    ev = _get(f, "evidence") or []
    first = (_get(ev[0], "doc"), _get(ev[0], "start")) if ev else (None, None)
    return (
        _get(f, "subject"), _get(f, "predicate"), _get(f, "object"), _get(f, "metric"), _get(f, "value"),
        _get(f, "value_high"), _get(f, "unit"), _get(f, "period"), _get(f, "qualifier"), *first,
    )


def is_metric(f: Any) -> bool:
    """A typed value (it may also point at a metric node), as opposed to a plain relation."""
    return _get(f, "value") is not None or (_get(f, "object") is None and _get(f, "metric") is not None)


class GraphView:
    """Entities, facts and derived structure of one graph generation (read-only)."""

    def __init__(self, store: Any, index: Any = None) -> None:
        self.store = store
        self.index = index
        self.error = ""
        self.entities: dict[str, Any] = {}
        self.facts: list[Any] = []
        self.adj: dict[str, set[str]] = defaultdict(set)
        self.edges: dict[str, Any] = {}  # edge id -> relation fact
        self.conflict_keys: set[tuple[Any, ...]] = set()
        if store is None:
            self.error = NOT_AVAILABLE
            return
        try:
            ents = list(store.entities())
            self.entities = {str(_get(e, "id")): e for e in ents}
            self.facts = list(store.facts())
        except Exception as exc:  # the store is being written by another team: never crash the UI
            log.warning("graph store unusable: %s", exc)
            self.error = f"{NOT_AVAILABLE} ({type(exc).__name__}: {exc})"
            self.entities, self.facts = {}, []
            return
        for i, f in enumerate(self.facts):
            s, o = _get(f, "subject"), _get(f, "object")
            if o is not None and s in self.entities and o in self.entities:
                self.edges[f"e{i}"] = f
                if s != o:
                    self.adj[s].add(o)
                    self.adj[o].add(s)
        self.conflict_keys = self._conflicts()

    @property
    def available(self) -> bool:
        return not self.error and bool(self.entities)

    # ---- lookups ------------------------------------------------------------------------------

    def types(self) -> list[str]:
        return sorted({str(_get(e, "type", "") or "Other") for e in self.entities.values()})

    def name(self, eid: str | None) -> str:
        e = self.entities.get(eid or "")
        return str(_get(e, "name", eid)) if e is not None else str(eid or "")

    def entity_choices(self) -> list[tuple[str, str]]:
        """``(label, id)`` pairs for dropdowns, by name."""
        return sorted(
            ((f"{_get(e, 'name', eid)} ({_get(e, 'type', '')})", eid) for eid, e in self.entities.items()),
            key=lambda p: p[0].lower(),
        )

    def find(self, text: str) -> str | None:
        """An entity id for a name, alias or id (case-insensitive; prefix match as a fallback)."""
        t = (text or "").strip().lower()
        if not t:
            return None
        if text in self.entities:
            return text
        fn = getattr(self.store, "entity", None)
        if callable(fn):
            try:
                e = fn(text)
                if e is not None and str(_get(e, "id")) in self.entities:
                    return str(_get(e, "id"))
            except Exception as exc:
                log.info("store.entity failed (%s)", exc)
        for eid, e in self.entities.items():
            names = [str(_get(e, "name", ""))] + [str(a) for a in (_get(e, "aliases") or [])]
            if any(n.lower() == t for n in names):
                return eid
        for eid, e in sorted(self.entities.items(), key=lambda p: len(str(_get(p[1], "name", "")))):
            if str(_get(e, "name", "")).lower().startswith(t) or t in str(_get(e, "name", "")).lower():
                return eid
        return None

    def facts_of(self, eid: str) -> list[Any]:
        return [f for f in self.facts if _get(f, "subject") == eid or _get(f, "object") == eid]

    def evidence_count(self, eid: str) -> int:
        e = self.entities.get(eid)
        n = len(_get(e, "evidence") or []) if e is not None else 0
        return n + sum(len(_get(f, "evidence") or []) for f in self.facts_of(eid))

    def neighbors(self, eid: str) -> set[str]:
        out: set[str] = set()
        fn = getattr(self.store, "neighbors", None)
        if callable(fn):
            try:
                for x in fn(eid) or ():
                    for y in (x if isinstance(x, tuple | list) else (x,)):
                        cand = y if isinstance(y, str) else (_get(y, "id") if _get(y, "type") is not None else None)
                        if isinstance(cand, str) and cand in self.entities and cand != eid:
                            out.add(cand)
            except Exception as exc:
                log.info("store.neighbors failed (%s); using facts", exc)
        return out | self.adj.get(eid, set())

    def path(self, a: str, b: str) -> list[tuple[str, str, Any]]:
        """The shortest chain of relation facts from ``a`` to ``b`` as ``(edge id, from, fact)``."""
        if a not in self.entities or b not in self.entities:
            return []
        if a == b:
            return []
        fn = getattr(self.store, "path", None)
        if callable(fn):
            try:
                steps = self._steps(a, list(fn(a, b) or []))
                if steps:
                    return steps
            except Exception as exc:
                log.info("store.path failed (%s); using facts", exc)
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(self.entities)
        for eid, f in self.edges.items():
            s, o = _get(f, "subject"), _get(f, "object")
            if s != o and not g.has_edge(s, o):
                g.add_edge(s, o, edge=eid)
        try:
            nodes = nx.shortest_path(g, a, b)
        except nx.NetworkXNoPath:
            return []
        steps = []
        for x, y in itertools.pairwise(nodes):
            eid = g.edges[x, y]["edge"]
            steps.append((eid, x, self.edges[eid]))
        return steps

    # ---- conflicts ----------------------------------------------------------------------------

    def _steps(self, a: str, facts: list[Any]) -> list[tuple[str, str, Any]]:
        """``store.path`` facts as ``(edge id, from, fact)`` steps walking from ``a``."""
        by_key = {fact_key(f): eid for eid, f in self.edges.items()}
        steps, here = [], a
        for f in facts:
            eid = by_key.get(fact_key(f))
            s, o = _get(f, "subject"), _get(f, "object")
            if eid is None or here not in (s, o):
                return []
            steps.append((eid, here, f))
            here = o if here == s else s
        return steps

    def _conflicts(self) -> set[tuple[Any, ...]]:
        """Keys of metric facts in conflict: the store's verdict, or same entity/metric/period/qualifier
        with another value when the store cannot say."""
        fn = getattr(self.store, "conflicts", None)
        if callable(fn):
            try:
                keys: set[tuple[Any, ...]] = set()
                for c in fn() or ():
                    keys.update(fact_key(f) for f in self._conflict_facts(c))
                return keys
            except Exception as exc:
                log.info("store.conflicts failed (%s); using own detection", exc)
        keys = set()
        groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
        for f in self.facts:
            if _get(f, "value") is not None:
                groups[(_get(f, "subject"), _get(f, "metric"), _get(f, "period"), _get(f, "qualifier"), _get(f, "unit"))].append(f)
        for fs in groups.values():
            vals = {(round(float(_get(f, "value")), 9), _get(f, "value_high")) for f in fs}
            if len(vals) > 1:
                keys.update(fact_key(f) for f in fs)
        return keys

    def _conflict_facts(self, c: Any) -> list[Any]:
        """The facts behind one item of ``store.conflicts()``: a list of facts, or a dict naming
        subject/metric/period and the conflicting ``values``."""
        direct = _conflict_facts(c)
        if direct:
            return direct
        if not isinstance(c, dict) or not c.get("subject"):
            return []
        vals = c.get("values") or []
        out = []
        for f in self.facts:
            if _get(f, "subject") != c["subject"] or _get(f, "value") is None:
                continue
            if c.get("period") is not None and _get(f, "period") != c.get("period"):
                continue
            if c.get("metric") and str(_get(f, "metric") or "").lower() != str(c["metric"]).lower():
                continue
            for v in vals:
                same_value = _close(_get(f, "value"), _get(v, "value")) and _get(f, "unit") == _get(v, "unit", _get(f, "unit"))
                evs = _get(v, "evidence") or []
                fev = _get(f, "evidence") or []
                same_ev = not evs or not fev or (_get(evs[0], "doc"), _get(evs[0], "start")) == (_get(fev[0], "doc"), _get(fev[0], "start"))
                if same_value and same_ev:
                    out.append(f)
                    break
        return out

    def is_conflict(self, f: Any) -> bool:
        return fact_key(f) in self.conflict_keys

    # ---- the network view ---------------------------------------------------------------------

    def default_nodes(self, types: Iterable[str] | None, limit: int) -> list[str]:
        """The best-evidenced entities of the chosen types (all types when ``types`` is None)."""
        allowed = None if types is None else set(types)
        ids = [
            eid for eid, e in self.entities.items()
            if allowed is None or str(_get(e, "type", "") or "Other") in allowed
        ]
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
        allowed = None if types is None else set(types)
        keep = [
            n for n in dict.fromkeys(nodes)
            if n in self.entities and (allowed is None or str(_get(self.entities[n], "type", "") or "Other") in allowed
                                       or n == selected)
        ]
        keep_set = set(keep)
        path_set = set(path_edges)
        for eid in path_set:  # a path is always shown whole
            f = self.edges.get(eid)
            if f is not None:
                for x in (_get(f, "subject"), _get(f, "object")):
                    if x not in keep_set:
                        keep.append(x)
                        keep_set.add(x)
        vnodes = []
        for n in keep:
            e = self.entities[n]
            t = str(_get(e, "type", "") or "Other")
            count = self.evidence_count(n)
            vnodes.append({
                "id": n,
                "label": str(_get(e, "name", n)),
                "group": t,
                "color": type_color(t),
                "value": count,
                "size": 10 + 6 * math.sqrt(count),
                "etype": t,
                "evidence": count,
            })
        vedges = []
        for eid, f in self.edges.items():
            s, o = _get(f, "subject"), _get(f, "object")
            if s in keep_set and o in keep_set:
                vedges.append({
                    "id": eid, "from": s, "to": o,
                    "label": _edge_label(f),
                    "path": eid in path_set,
                })
        return json.dumps(
            {
                "nodes": vnodes, "edges": vedges, "selected": selected if selected in keep_set else None,
                "path": sorted(path_set), "message": message, "focus": bool(focus),
                "fit": [x for x in dict.fromkeys(fit) if x in keep_set],
                "legend": {t: type_color(t) for t in sorted({v["etype"] for v in vnodes})},
            },
            ensure_ascii=False,
        )

    # ---- detail panels ------------------------------------------------------------------------

    def fact_html(self, f: Any, n0: int = 1) -> str:
        """A fact as one line plus its evidence passages."""
        pred = esc(_get(f, "predicate", ""))
        subj = esc(self.name(_get(f, "subject")))
        if not is_metric(f):
            head = f'<b>{subj}</b> <span class="kgqa-pred">{pred}</span> <b>{esc(self.name(_get(f, "object")))}</b>'
        else:
            bits = [esc(_get(f, "metric") or pred), f"<b>{esc(fact_value_text(f))}</b>"]
            for k in ("period", "qualifier"):
                if _get(f, k):
                    bits.append(f'<span class="kgqa-tag">{esc(_get(f, k))}</span>')
            head = f"<b>{subj}</b> · " + " ".join(bits)
        attrs = _get(f, "attrs") or {}
        if attrs:
            head += ' <span class="kgqa-muted">' + esc(", ".join(f"{k}: {v}" for k, v in attrs.items())) + "</span>"
        conflict = ' <span class="kgqa-badge kgqa-badge-conflict">conflict</span>' if self.is_conflict(f) else ""
        evs = "".join(evidence_html(self.index, ev, n0 + i) for i, ev in enumerate(_get(f, "evidence") or []))
        return f'<div class="kgqa-fact{" kgqa-conflict" if conflict else ""}"><div>{head}{conflict}</div>{evs}</div>'

    def entity_html(self, eid: str) -> str:
        if not self.available:
            return f'<p class="kgqa-muted">{esc(self.error or NOT_AVAILABLE)}</p>'
        e = self.entities.get(eid)
        if e is None:
            return '<p class="kgqa-muted">Select a node or an edge to see its facts and their sources.</p>'
        t = str(_get(e, "type", "") or "Other")
        aliases = [str(a) for a in (_get(e, "aliases") or []) if str(a) != str(_get(e, "name", ""))]
        facts = self.facts_of(eid)
        out = [
            f'<div class="kgqa-entity" data-entity="{esc(eid)}">',
            f'<h3><span class="kgqa-dot" style="background:{type_color(t)}"></span>{esc(_get(e, "name", eid))} '
            f'<span class="kgqa-tag">{esc(t)}</span></h3>',
        ]
        if aliases:
            out.append(f'<div class="kgqa-muted">also: {esc(", ".join(aliases))}</div>')
        out.append(
            f'<div class="kgqa-muted">{len(facts)} fact{"s" if len(facts) != 1 else ""} · '
            f'{self.evidence_count(eid)} pieces of evidence · {len(self.neighbors(eid))} neighbours</div>'
        )
        if not facts:
            for i, ev in enumerate(_get(e, "evidence") or []):
                out.append(evidence_html(self.index, ev, i + 1))
        n = 1
        for f in sorted(facts, key=lambda f: (not is_metric(f), str(_get(f, "predicate", "")), str(_get(f, "metric", "")))):
            out.append(self.fact_html(f, n))
            n += len(_get(f, "evidence") or [])
        out.append("</div>")
        return "".join(out)

    def edge_html(self, edge_id: str) -> str:
        f = self.edges.get(edge_id)
        if f is None:
            return '<p class="kgqa-muted">Select a node or an edge to see its facts and their sources.</p>'
        s, o = _get(f, "subject"), _get(f, "object")
        same = [g for g in self.edges.values() if {_get(g, "subject"), _get(g, "object")} == {s, o}]
        out = [f'<div class="kgqa-edge"><h3>{esc(self.name(s))} ↔ {esc(self.name(o))}</h3>']
        n = 1
        for g in same:
            out.append(self.fact_html(g, n))
            n += len(_get(g, "evidence") or [])
        out.append("</div>")
        return "".join(out)

    def path_html(self, a: str | None, b: str | None, steps: list[tuple[str, str, Any]]) -> str:
        if not a or not b:
            return '<p class="kgqa-muted">Pick two entities to find how they are connected.</p>'
        if a == b:
            return '<p class="kgqa-muted">Pick two different entities.</p>'
        if not steps:
            return f'<p class="kgqa-msg kgqa-msg-warn">No path between {esc(self.name(a))} and {esc(self.name(b))}.</p>'
        chain = [esc(self.name(a))]
        for _eid, frm, f in steps:
            nxt = _get(f, "object") if frm == _get(f, "subject") else _get(f, "subject")
            arrow = "→" if frm == _get(f, "subject") else "←"
            chain.append(f'<span class="kgqa-pred">{arrow} {esc(_get(f, "predicate", ""))} {arrow}</span> {esc(self.name(nxt))}')
        out = [f'<div class="kgqa-path"><h3>Path ({len(steps)} step{"s" if len(steps) != 1 else ""})</h3>',
               f'<div class="kgqa-chain">{" ".join(chain)}</div>']
        n = 1
        for _eid, _frm, f in steps:
            out.append(self.fact_html(f, n))
            n += len(_get(f, "evidence") or [])
        out.append("</div>")
        return "".join(out)

    # ---- tables -------------------------------------------------------------------------------

    def metric_rows(self) -> list[dict[str, Any]]:
        """One row per metric fact (and per relation fact with a value), for the facts table."""
        rows = []
        for f in self.facts:
            if not is_metric(f):
                continue
            ev = (_get(f, "evidence") or [None])[0]
            doc_id = _get(ev, "doc", "") if ev is not None else ""
            title = ""
            if self.index is not None and doc_id in getattr(self.index, "docs", {}):
                title = self.index.docs[doc_id].title
            value = _get(f, "value")
            rows.append({
                "entity": self.name(_get(f, "subject")),
                "type": str(_get(self.entities.get(_get(f, "subject")), "type", "") or ""),
                "metric": str(_get(f, "metric") or _get(f, "predicate") or ""),
                "value": float(value) if value is not None else None,
                "value_high": float(_get(f, "value_high")) if _get(f, "value_high") is not None else None,
                "unit": str(_get(f, "unit") or ""),
                "as_written": str(_get(f, "surface") or fact_value_text(f)),
                "period": str(_get(f, "period") or ""),
                "qualifier": str(_get(f, "qualifier") or ""),
                "source": f"{title or doc_id} [{_get(ev, 'start', '')}:{_get(ev, 'end', '')}]" if ev is not None else "",
                "doc": str(doc_id),
                "evidence": " ".join(str(_get(ev, "text", "") or "").split()) if ev is not None else "",
                "conflict": self.is_conflict(f),
            })
        rows.sort(key=lambda r: (r["entity"].lower(), r["metric"].lower(), r["period"]))
        return rows

    def entity_counts_by_doc(self) -> dict[str, int]:
        """How many distinct entities have evidence in each document."""
        per: dict[str, set[str]] = defaultdict(set)
        for eid, e in self.entities.items():
            for ev in _get(e, "evidence") or []:
                per[str(_get(ev, "doc", ""))].add(eid)
        for f in self.facts:
            for ev in _get(f, "evidence") or []:
                d = str(_get(ev, "doc", ""))
                for x in (_get(f, "subject"), _get(f, "object")):
                    if x in self.entities:
                        per[d].add(x)
        return {d: len(s) for d, s in per.items()}


def _edge_label(f: Any) -> str:
    if _get(f, "value") is not None:
        text = fact_value_text(f)
        return f"{text} ({_get(f, 'period')})" if _get(f, "period") else text
    return str(_get(f, "predicate", ""))


def _close(a: Any, b: Any) -> bool:
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return False
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _conflict_facts(c: Any) -> list[Any]:
    """Facts inside one item of ``store.conflicts()`` (a list of facts, or a dict/obj holding them)."""
    if isinstance(c, dict):
        for k in ("facts", "values", "items"):
            if isinstance(c.get(k), list | tuple):
                return [x for x in c[k] if _get(x, "subject") is not None and _get(x, "predicate") is not None]
        return []
    if isinstance(c, list | tuple):
        return [x for x in c if _get(x, "subject") is not None and _get(x, "predicate") is not None]
    fs = _get(c, "facts")
    if isinstance(fs, list | tuple):
        return list(fs)
    return []
