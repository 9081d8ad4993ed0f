"""The Graph tab: the knowledge graph as an interactive network, entity and path details.

The network is drawn in the browser by vis-network (vendored in ``ui/static/``, served by the
app itself). Clicking a node or an edge shows its facts with their evidence; a double click
expands a node's neighbours; two entities can be joined by their shortest path of facts.
What one session shows lives in its :class:`GraphState`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ui.gradio_env import gr
from ui.workspace import Workspace

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
VIS_JS = STATIC_DIR / "vis-network.min.js"
DEFAULT_MAX_NODES = 120  # the graph view shows the best-evidenced entities first
SELECT_FIRST = '<p class="kgqa-msg kgqa-msg-warn">Select a node first (click it in the graph or search it).</p>'
REDRAW_JS = "() => { const n = window.kgqaNetwork; if (n) { n.redraw(); n.fit(); } }"

# ---- browser-side code (runs inside gr.HTML js_on_load; labels are drawn as text) ---------------

GRAPH_TEMPLATE = (
    '<div class="kgqa-graph-wrap"><div class="kgqa-legend"></div><div class="kgqa-net-msg"></div>'
    '<div class="kgqa-net"></div></div>'
)

GRAPH_JS = r"""
const box = element.querySelector('.kgqa-net');
const msgEl = element.querySelector('.kgqa-net-msg');
const legend = element.querySelector('.kgqa-legend');
let net = null;
let pending = null;
const settle = () => {
  // after layout: fit the view (to the path when there is one), select and maybe centre a node
  if (!net || !pending) return;
  const d = pending; pending = null;
  try {
    const ids = new Set(net.body.data.nodes.getIds());
    const fitTo = (d.fit || []).filter(i => ids.has(i));
    net.fit(fitTo.length ? {nodes: fitTo, animation: false} : {animation: false});
    if (d.selected && ids.has(d.selected)) {
      net.selectNodes([d.selected]);
      if (d.focus) net.focus(d.selected, {scale: Math.max(net.getScale(), 0.9), animation: false});
    }
  } catch (e) { console.warn('kgqa graph:', e); }
};
const draw = () => {
  if (typeof vis === 'undefined') { setTimeout(draw, 100); return; }
  let data = {};
  try { data = JSON.parse(props.value || '{}'); } catch (e) { data = {message: 'graph not available'}; }
  const nodes = data.nodes || [];
  msgEl.textContent = nodes.length ? (data.message || '') : (data.message || 'graph not available');
  box.style.display = nodes.length ? '' : 'none';
  legend.replaceChildren();
  Object.entries(data.legend || {}).forEach(([t, c]) => {
    const s = document.createElement('span'); s.className = 'kgqa-legend-item';
    const dot = document.createElement('i'); dot.style.background = c;
    s.append(dot, document.createTextNode(t)); legend.append(s);
  });
  const vn = nodes.map(n => ({
    id: n.id, label: n.label, value: n.evidence, shape: 'dot',
    color: {background: n.color, border: '#444', highlight: {background: n.color, border: '#000'},
            hover: {background: n.color, border: '#000'}},
  }));
  const ve = (data.edges || []).map(e => ({
    id: e.id, from: e.from, to: e.to, label: e.label, arrows: 'to',
    color: {color: e.path ? '#d62728' : '#a0a0a0', highlight: e.path ? '#d62728' : '#174ea6', hover: '#174ea6'},
    width: e.path ? 4 : 1, selectionWidth: 1,
    font: {size: 9, color: '#555', strokeWidth: 3, align: 'middle'},
  }));
  const dataSets = {nodes: new vis.DataSet(vn), edges: new vis.DataSet(ve)};
  element.dataset.stable = '0';
  pending = {selected: data.selected || null, focus: !!data.focus, fit: data.fit || []};
  if (!net) {
    net = new vis.Network(box, dataSets, {
      nodes: {scaling: {min: 8, max: 42, label: {enabled: true, min: 12, max: 20}}, font: {size: 13}},
      edges: {smooth: {type: 'continuous'}},
      physics: {solver: 'forceAtlas2Based', forceAtlas2Based: {gravitationalConstant: -60, springLength: 110},
                stabilization: {iterations: 250, fit: true}},
      interaction: {hover: true, multiselect: false, navigationButtons: false, keyboard: false},
    });
    net.on('click', (p) => {
      if (p.nodes.length) trigger('node_select', {id: String(p.nodes[0])});
      else if (p.edges.length) trigger('edge_select', {id: String(p.edges[0])});
    });
    net.on('doubleClick', (p) => { if (p.nodes.length) trigger('node_expand', {id: String(p.nodes[0])}); });
    net.on('stabilizationIterationsDone', () => {
      net.setOptions({physics: {enabled: false}}); settle(); element.dataset.stable = '1';
    });
    new ResizeObserver(() => { if (net) { net.redraw(); } }).observe(box);
  } else {
    net.setOptions({physics: {enabled: true}});
    net.setData(dataSets);
  }
  window.kgqaNetwork = net;
  element.dataset.nodes = String(nodes.length);
  element.dataset.ready = '1';
};
draw();
watch('value', draw);
"""


@dataclass
class GraphState:
    """What one session's network shows: its entities, the selected one and a highlighted path."""

    nodes: list[str] = field(default_factory=list)
    selected: str | None = None
    path: list[str] = field(default_factory=list)  # edge ids
    types: list[str] = field(default_factory=list)
    limit: int = DEFAULT_MAX_NODES


@dataclass
class GraphControls:
    """The components a change of the index refreshes (in the order of :meth:`GraphTab.refresh`)."""

    types: gr.CheckboxGroup
    graph: gr.HTML
    state: gr.State
    detail: gr.HTML
    search: gr.Dropdown
    path_a: gr.Dropdown
    path_b: gr.Dropdown

    def outputs(self) -> list[Any]:
        return [self.types, self.graph, self.state, self.detail, self.search, self.path_a, self.path_b]


GraphUpdate = tuple[Any, GraphState, str]  # (network JSON or no change, state, detail panel)


def event_id(evt: gr.EventData | None) -> str:
    """The node or edge id the browser sent with a graph event (``trigger(name, {id})`` in GRAPH_JS)."""
    data = evt._data if evt is not None else None  # Gradio keeps a custom event's payload in ``_data``
    return str(data.get("id", "")) if isinstance(data, dict) else ""


class GraphTab:
    """The handlers of the Graph tab: each takes and returns the session's :class:`GraphState`."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def graph_initial(self) -> GraphState:
        g = self.ws.graph()
        types = g.types()
        return GraphState(g.default_nodes(types, DEFAULT_MAX_NODES), None, [], types, DEFAULT_MAX_NODES)

    def graph_reset(self, types: list[str] | None, limit: float | None) -> GraphUpdate:
        """The best-evidenced entities of ``types``, at most ``limit`` of them, nothing selected."""
        g = self.ws.graph()
        types = list(types) if types is not None else g.types()
        lim = int(limit or DEFAULT_MAX_NODES)
        st = GraphState(g.default_nodes(types, lim), None, [], types, lim)
        msg = "" if g.available else (g.error or "graph not available")
        return g.vis_json(st.nodes, None, (), msg, types), st, g.entity_html("")

    def graph_select_node(self, state: GraphState | None, evt: gr.EventData) -> tuple[str, GraphState, Any]:
        """A click on a node: its facts, and it becomes the start of a path."""
        g = self.ws.graph()
        eid = event_id(evt)
        state = replace(state or self.graph_initial(), selected=eid)
        return g.entity_html(eid), state, gr.update(value=eid if eid in g.entities else None)

    def graph_select_edge(self, state: GraphState | None, evt: gr.EventData) -> tuple[str, GraphState | None]:
        return self.ws.graph().edge_html(event_id(evt)), state

    def _expand(self, state: GraphState | None, eid: str | None) -> GraphUpdate:
        g = self.ws.graph()
        state = replace(state or self.graph_initial())
        if not eid or eid not in g.entities:
            return gr.update(), state, SELECT_FIRST
        nb = g.neighbors(eid)
        state.nodes = list(dict.fromkeys([*state.nodes, eid, *sorted(nb)]))
        state.selected = eid
        msg = f"Expanded {g.name(eid)}: {len(nb)} neighbour{'s' if len(nb) != 1 else ''}."
        # neighbours are shown whatever the type filter says
        return g.vis_json(state.nodes, eid, state.path, msg, None), state, g.entity_html(eid)

    def graph_expand_event(self, state: GraphState | None, evt: gr.EventData) -> GraphUpdate:
        return self._expand(state, event_id(evt))

    def graph_expand_selected(self, state: GraphState | None) -> GraphUpdate:
        return self._expand(state, state.selected if state else None)

    def graph_search(self, query: str | None, state: GraphState | None) -> GraphUpdate:
        g = self.ws.graph()
        state = replace(state or self.graph_initial())
        eid = g.find(query or "") if query else None
        if eid is None:
            if query:
                gr.Warning(f"No entity named {query!r}.")
            return gr.update(), state, g.entity_html("")
        state.nodes = list(dict.fromkeys([*state.nodes, eid]))
        state.selected = eid
        return (g.vis_json(state.nodes, eid, state.path, f"Found {g.name(eid)}.", None, focus=True), state,
                g.entity_html(eid))

    def graph_path(self, a: str | None, b: str | None, state: GraphState | None) -> GraphUpdate:
        g = self.ws.graph()
        state = replace(state or self.graph_initial())
        a_id, b_id = g.find(a or ""), g.find(b or "")
        steps = g.path(a_id, b_id) if a_id and b_id else []
        ends = [x for _e, _frm, f in steps for x in (f.subject, f.object) if x is not None]
        state.path = [s[0] for s in steps]
        state.nodes = list(dict.fromkeys([*state.nodes, *ends, *(x for x in (a_id, b_id) if x)]))
        state.selected = a_id
        msg = f"Path: {len(steps)} step(s)." if steps else ""
        return (g.vis_json(state.nodes, a_id, state.path, msg, None, fit=ends), state,
                g.path_html(a_id, b_id, steps))

    def refresh(self) -> tuple[Any, ...]:
        """Every graph control for the live index (in the order of :meth:`GraphControls.outputs`)."""
        g = self.ws.graph()
        gj, st, det = self.graph_reset(g.types(), DEFAULT_MAX_NODES)
        choices = g.entity_choices()
        return (gr.update(choices=g.types(), value=g.types()), gj, st, det,
                gr.update(choices=choices), gr.update(choices=choices), gr.update(choices=choices))

    # ---- the tab --------------------------------------------------------------------------------

    def build(self) -> GraphControls:
        """The Graph tab: filters, search and path finder; the network; the detail panel."""
        g0 = self.ws.graph()
        with gr.Tab("Graph", id="graph", elem_id="kgqa-tab-graph") as graph_tab:
            gstate = gr.State(self.graph_initial())
            with gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=250):
                    gtypes = gr.CheckboxGroup(g0.types(), value=g0.types(), label="Entity types",
                                              elem_id="kgqa-gtypes")
                    glimit = gr.Slider(10, 400, value=DEFAULT_MAX_NODES, step=10,
                                       label="Max nodes (best-evidenced first)")
                    gsearch = gr.Dropdown(g0.entity_choices(), value=None, label="Search an entity",
                                          filterable=True, allow_custom_value=True, elem_id="kgqa-gsearch")
                    with gr.Row():
                        gexpand = gr.Button("Expand neighbours", size="sm", elem_id="kgqa-gexpand")
                        greset = gr.Button("Reset view", size="sm")
                    gr.Markdown("**Path between two entities**")
                    pa = gr.Dropdown(g0.entity_choices(), value=None, label="From", filterable=True,
                                     allow_custom_value=True, elem_id="kgqa-path-a")
                    pb = gr.Dropdown(g0.entity_choices(), value=None, label="To", filterable=True,
                                     allow_custom_value=True, elem_id="kgqa-path-b")
                    gpath = gr.Button("Find path", size="sm", elem_id="kgqa-gpath")
                    gr.Markdown("<small>Colour = entity type; size = evidence count. Click a node or an edge for "
                                "its facts; double-click a node to expand it.</small>")
                with gr.Column(scale=3):
                    gjson, _st, _d = self.graph_reset(g0.types(), DEFAULT_MAX_NODES)
                    graph = gr.HTML(gjson, html_template=GRAPH_TEMPLATE, js_on_load=GRAPH_JS,
                                    head=f'<script src="/gradio_api/file={VIS_JS}"></script>', elem_id="kgqa-graph",
                                    apply_default_css=False)
                with gr.Column(scale=2):
                    detail = gr.HTML(g0.entity_html(""), elem_id="kgqa-gdetail", container=True, padding=True,
                                     max_height=700)
            view = [graph, gstate, detail]
            greset.click(self.graph_reset, [gtypes, glimit], view)
            gtypes.change(self.graph_reset, [gtypes, glimit], view)
            glimit.release(self.graph_reset, [gtypes, glimit], view)
            gsearch.input(self.graph_search, [gsearch, gstate], view)
            gexpand.click(self.graph_expand_selected, [gstate], view)
            gpath.click(self.graph_path, [pa, pb, gstate], view)
            graph.node_select(self.graph_select_node, [gstate], [detail, gstate, pa])
            graph.edge_select(self.graph_select_edge, [gstate], [detail, gstate])
            graph.node_expand(self.graph_expand_event, [gstate], view)
            graph_tab.select(None, js=REDRAW_JS)
        return GraphControls(gtypes, graph, gstate, detail, gsearch, pa, pb)
