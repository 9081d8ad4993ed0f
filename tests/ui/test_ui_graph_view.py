"""ui/graph_view.py over a real NetworkXGraphStore: lookups, paths, conflicts, panels, network JSON."""

from __future__ import annotations

import json
from typing import Any

from ui_helpers import assert_inert, graph_records, parse

from kg.store import NetworkXGraphStore
from ui.graph_view import NOT_AVAILABLE, GraphView


def small_graph(index: Any = None) -> tuple[NetworkXGraphStore, GraphView]:
    store = NetworkXGraphStore.from_records(*graph_records())
    return store, GraphView(store, index)


def test_graph_view_without_a_graph_says_so() -> None:
    g = GraphView(None)
    assert not g.available and g.error == NOT_AVAILABLE
    assert '"graph not available"' in g.vis_json([])
    assert NOT_AVAILABLE in g.entity_html("x")
    assert g.metric_rows() == [] and g.types() == [] and g.find("Acme") is None
    why = GraphView(None, error=f"{NOT_AVAILABLE} (GraphUnavailable: half-written)")
    assert "half-written" in why.entity_html("x") and "half-written" in why.vis_json([])


def test_graph_view_neighbours_paths_conflicts_and_panels() -> None:
    _store, g = small_graph()
    assert g.available and g.types() == ["Company", "Metric", "Product"]
    assert g.neighbors("c:acme") == {"c:bolt", "m:revenue"}
    steps = g.path("c:acme", "p:widget")
    assert [(frm, f.predicate) for _e, frm, f in steps] == [("c:acme", "COMPETES_WITH"), ("c:bolt", "OFFERS")]
    assert g.path("p:widget", "c:acme")[0][1] == "p:widget"  # walked backwards along the edges
    assert g.path("c:acme", "c:acme") == [] and g.path("c:acme", "nobody") == []
    rows = g.metric_rows()
    assert len(rows) == 3
    assert sorted(r["conflict"] for r in rows) == [False, True, True]
    assert g.find("acme") == "c:acme" and g.find("ACME") == "c:acme" and g.find("widg") == "p:widget"
    assert g.find("zzz-nothing") is None
    assert g.evidence_count("c:acme") > g.evidence_count("p:widget")
    html = g.entity_html("c:bolt") + g.edge_html(next(iter(g.edges))) + g.path_html("c:acme", "p:widget", steps)
    assert_inert(html)
    assert "Acme competes with Bolt." in parse(g.edge_html(next(iter(g.edges)))).marked
    acme = g.entity_html("c:acme")
    assert acme.count("kgqa-badge-conflict") == 2 and "also: ACME" in acme
    assert "No path between" in g.path_html("p:widget", "m:revenue", [])

    data = json.loads(g.vis_json(g.default_nodes(None, 10), "c:acme"))
    assert {n["id"] for n in data["nodes"]} == {"c:acme", "c:bolt", "p:widget", "m:revenue"}
    assert data["selected"] == "c:acme"
    sizes = {n["id"]: n["size"] for n in data["nodes"]}
    assert sizes["c:acme"] > sizes["p:widget"]
    assert len({n["color"] for n in data["nodes"]}) == 3  # colour by type


def test_graph_view_flags_exactly_the_stores_conflicts() -> None:
    store, g = small_graph()
    flagged = {(r["entity"], r["value"]) for r in g.metric_rows() if r["conflict"]}
    expected = {(store.name_of(c["subject"]), v["value"]) for c in store.conflicts() for v in c["values"]}
    assert flagged == expected == {("Acme", 5e6), ("Acme", 7e6)}


def test_vis_json_filters_types_but_keeps_the_selection_and_the_whole_path() -> None:
    _store, g = small_graph()
    steps = g.path("c:acme", "p:widget")
    edges = [e for e, _frm, _f in steps]
    data = json.loads(g.vis_json(["c:acme", "p:widget"], "p:widget", edges, "", ["Company"], fit=["c:acme"]))
    # Widget is a Product but selected; Bolt is on the path
    assert {n["id"] for n in data["nodes"]} == {"c:acme", "p:widget", "c:bolt"}
    assert {e["id"] for e in data["edges"] if e["path"]} == set(edges)
    assert data["fit"] == ["c:acme"] and set(data["legend"]) == {"Company", "Product"}
    metric_edge = next(e for e in json.loads(g.vis_json(g.default_nodes(None, 10)))["edges"] if e["to"] == "m:revenue")
    assert metric_edge["label"] in {"$5 million (FY2024)", "$7 million (FY2024)"}


def test_metric_rows_and_entity_counts_read_the_documents(qa: Any) -> None:
    doc = next(iter(qa.index.docs.values()))
    ents, facts = graph_records()
    for f in facts:  # evidence in a real document of the index, so rows carry its title
        f.evidence = [type(e)(doc.id, e.start, e.end, e.text) for e in f.evidence]
    g = GraphView(NetworkXGraphStore.from_records(ents, facts), qa.index)
    rows = g.metric_rows()
    assert {r["source"].split(" [")[0] for r in rows} == {doc.title}
    assert all(r["doc"] == doc.id and r["type"] == "Company" for r in rows)
    margin = next(r for r in rows if r["metric"] == "margin")
    assert margin["as_written"] == "20%" and margin["value"] == 0.2 and margin["value_high"] is None
    counts = g.entity_counts_by_doc()
    assert counts[doc.id] == 4  # Acme, Bolt, Widget and the revenue node, all read from this document
