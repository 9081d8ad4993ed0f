"""ui/tabs/graph.py: the Graph tab's handlers and the session state they pass along."""

from __future__ import annotations

import json
from pathlib import Path

from ui_helpers import graph_records

from engine.qa import QA
from kg.store import NetworkXGraphStore
from ui.gradio_env import gr
from ui.tabs.graph import DEFAULT_MAX_NODES, SELECT_FIRST, GraphState, GraphTab, event_id
from ui.workspace import Workspace


def _tab(qa: QA, tmp_path: Path) -> GraphTab:
    store = NetworkXGraphStore.from_records(*graph_records())
    return GraphTab(Workspace(qa, graph_provider=lambda index: store, uploads_dir=tmp_path))


def test_reset_search_expand_and_path_update_the_session_state(qa: QA, tmp_path: Path) -> None:
    tab = _tab(qa, tmp_path)
    st0 = tab.graph_initial()
    assert st0.limit == DEFAULT_MAX_NODES and set(st0.nodes) == {"c:acme", "c:bolt", "p:widget", "m:revenue"}

    gj, st, detail = tab.graph_reset(["Product"], 10)
    assert st == GraphState(["p:widget"], None, [], ["Product"], 10)
    assert [n["id"] for n in json.loads(gj)["nodes"]] == ["p:widget"] and "Select a node" in detail

    gj, st2, detail = tab.graph_search("acme", st)
    assert st2.selected == "c:acme" and st2.nodes == ["p:widget", "c:acme"] and st.selected is None
    assert json.loads(gj)["focus"] is True and 'data-entity="c:acme"' in detail

    gj, st3, _detail = tab.graph_expand_selected(st2)
    assert set(st3.nodes) == {"p:widget", "c:acme", "c:bolt", "m:revenue"}
    assert json.loads(gj)["message"] == "Expanded Acme: 2 neighbours."
    assert tab.graph_expand_selected(GraphState())[2] == SELECT_FIRST

    gj, st4, detail = tab.graph_path("Widget", "Acme", st)
    assert len(st4.path) == 2 and st4.selected == "p:widget" and {"c:bolt", "c:acme"} <= set(st4.nodes)
    assert {e["id"] for e in json.loads(gj)["edges"] if e["path"]} == set(st4.path)
    assert "Path (2 steps)" in detail


def test_clicks_on_nodes_and_edges_show_their_facts(qa: QA, tmp_path: Path) -> None:
    tab = _tab(qa, tmp_path)
    st = tab.graph_initial()
    assert event_id(gr.EventData(None, {"id": "c:bolt"})) == "c:bolt" and event_id(None) == ""
    detail, st2, path_from = tab.graph_select_node(st, gr.EventData(None, {"id": "c:bolt"}))
    assert 'data-entity="c:bolt"' in detail and st2.selected == "c:bolt" and path_from["value"] == "c:bolt"
    edge = next(iter(tab.ws.graph().edges))
    detail, _st = tab.graph_select_edge(st2, gr.EventData(None, {"id": edge}))
    assert 'class="kgqa-edge"' in detail
    _gj, st3, _d = tab.graph_expand_event(st2, gr.EventData(None, {"id": "p:widget"}))
    assert st3.selected == "p:widget" and "c:bolt" in st3.nodes


def test_refresh_offers_the_live_graph(qa: QA, tmp_path: Path) -> None:
    types, gj, st, detail, search, path_a, path_b = _tab(qa, tmp_path).refresh()
    assert types["choices"] == types["value"] == ["Company", "Metric", "Product"]
    assert len(json.loads(gj)["nodes"]) == 4 and "Select a node" in detail
    assert search["choices"] == path_a["choices"] == path_b["choices"]
    assert ("Acme (Company)", "c:acme") in search["choices"] and isinstance(st, GraphState)
