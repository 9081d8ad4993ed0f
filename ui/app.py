"""The analyst workspace: one Gradio Blocks app with Ask, Graph, Facts and Documents tabs.

>>> from ui.app import Workspace, launch     # doctest: +SKIP
>>> launch(QA.load(".kgqa-index"))           # doctest: +SKIP  (http://127.0.0.1:7860)

Offline by construction: the theme uses Gradio's bundled fonts, the graph library
(vis-network) is served from ``ui/static/``, and analytics are off. All document text is
escaped by :mod:`ui.render` before it reaches the page; document text never goes through
markdown. Answers and graph views are read from the live index generation, so a document
uploaded in the Documents tab is answerable and in the graph as soon as it is ingested.

An LLM can be attached from the Ask tab's "LLM (optional)" panel (:meth:`Workspace.apply_llm`);
answers are then streamed into the chat sentence by sentence (:meth:`Workspace.ask_stream`).
The QA object, and so the attached LLM, is shared by every session of the server.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.config import Settings, set_offline_env
from core.errors import DocumentError, LLMError, QuestionError, UploadError
from core.types import Answer
from engine.llm import OLLAMA_URL, make_chat, make_llm, provider
from engine.qa import QA
from retrieval.documents import load_file
from retrieval.store import RetrievalIndex

set_offline_env()

import gradio as gr  # noqa: E402  (after the offline environment is set)

from ui.conversation import resolve_followup  # noqa: E402
from ui.graph_view import GraphView, _get  # noqa: E402
from ui.render import (  # noqa: E402
    Turn,
    conversation_html,
    document_html,
    esc,
    message_html,
    source_view,
    sources_html,
)

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
VIS_JS = STATIC_DIR / "vis-network.min.js"
UPLOAD_TYPES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
DEFAULT_EXAMPLES = (
    "What was Twilio's fiscal 2024 revenue?",
    "What price did Twilio pay to acquire Segment?",
    "What share of its workforce has Twilio cut since 2022?",
    "Which companies compete with Twilio on communication APIs?",
    "Who is the CEO of Apple?",
)
FACT_COLUMNS = [
    ("entity", "Entity", "str"),
    ("metric", "Metric", "str"),
    ("value", "Value", "number"),
    ("value_high", "High", "number"),
    ("unit", "Unit", "str"),
    ("as_written", "As written", "str"),
    ("period", "Period", "str"),
    ("qualifier", "Qualifier", "str"),
    ("source", "Source", "str"),
    ("evidence", "Evidence", "str"),
    ("conflict", "Conflict", "str"),
]
DEFAULT_MAX_NODES = 120  # the graph view shows the best-evidenced entities first
LLM_PROVIDERS = ("none", "openai-compatible", "ollama")
LLM_PRIVACY_NOTE = (
    '<div class="kgqa-privacy"><b>Privacy:</b> with an LLM on, each question and up to 8 retrieved passages '
    "of your documents (plus graph facts read from them) are sent to the endpoint below. Use a server you run, "
    "or one you are allowed to send these reports to. The setting applies to the whole server (every open "
    "session); the API key stays in memory and is never written to disk or logged.</div>"
)
DOC_COLUMNS = ["Document", "Title", "Kind", "Size (KB)", "Units", "Chunks", "Entities"]


# ---- browser-side code (runs inside gr.HTML js_on_load; no document text is interpreted) -------

CHAT_JS = r"""
element.addEventListener('click', (ev) => {
  const b = ev.target.closest('[data-cite]');
  if (!b) return;
  ev.preventDefault();
  if (window.kgqaShowCitation) window.kgqaShowCitation(b.dataset.msg, b.dataset.n);
});
"""

SOURCES_JS = r"""
const show = (msg, n) => {
  msg = String(msg); n = String(n);
  element.querySelectorAll('.kgqa-srcgroup').forEach(g => { g.hidden = g.dataset.msg !== msg; });
  let card = null;
  element.querySelectorAll('.kgqa-src').forEach(s => {
    const on = s.dataset.msg === msg && s.dataset.n === n;
    s.classList.toggle('kgqa-active', on);
    if (on) card = s;
  });
  const viewer = element.querySelector('.kgqa-viewer');
  if (!card || !viewer) return;
  const head = card.querySelector('.kgqa-src-head').cloneNode(true);
  const body = document.createElement('div');
  body.className = 'kgqa-ctx-body';
  card.querySelector('.kgqa-ctx').childNodes.forEach(c => body.appendChild(c.cloneNode(true)));
  const title = document.createElement('div');
  title.className = 'kgqa-viewer-title';
  title.textContent = 'Cited passage in context';
  viewer.replaceChildren(title, head, body);
  viewer.classList.add('kgqa-viewer-on');
  viewer.dataset.msg = msg; viewer.dataset.n = n;
  const m = body.querySelector('mark.kgqa-span');
  if (m) body.scrollTop = Math.max(0, m.offsetTop - body.offsetTop - 60);
  viewer.scrollIntoView({block: 'nearest', behavior: 'smooth'});
};
window.kgqaShowCitation = show;
element.addEventListener('click', (ev) => {
  const c = ev.target.closest('[data-cite-card]');
  if (c) show(c.dataset.msg, c.dataset.n);
});
element.addEventListener('keydown', (ev) => {
  const c = ev.target.closest('[data-cite-card]');
  if (c && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); show(c.dataset.msg, c.dataset.n); }
});
"""

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

CSS = """
#kgqa-header { margin-bottom: 4px; }
.kgqa-hdr { display:flex; align-items:baseline; gap:14px; flex-wrap:wrap; }
.kgqa-hdr h1 { font-size: 1.35em; margin:0; }
.kgqa-muted { color: var(--body-text-color-subdued); font-size: 0.92em; }
.kgqa-chat { display:flex; flex-direction:column; gap:14px; min-height: 380px; max-height: 62vh; overflow-y:auto; padding: 6px; }
.kgqa-empty p { margin: 6px 0; }
.kgqa-q { align-self:flex-end; background: var(--color-accent-soft); border-radius: 12px; padding: 8px 12px; max-width: 85%; margin-left:auto; }
.kgqa-who { font-weight:600; margin-right:8px; font-size:0.85em; opacity:0.7; }
.kgqa-rewrite { font-size: 0.85em; color: var(--body-text-color-subdued); text-align:right; margin-top:2px; }
.kgqa-a { border-radius: 12px; padding: 10px 12px; margin-top: 6px; border: 1px solid var(--border-color-primary);
  background: var(--background-fill-secondary); }
.kgqa-answer { border-left: 4px solid #2e7d32; }
.kgqa-abstain { border-left: 4px solid #d08c00; background: repeating-linear-gradient(45deg, rgba(208,140,0,0.06), rgba(208,140,0,0.06) 8px, transparent 8px, transparent 16px); font-style: italic; }
.kgqa-error { border-left: 4px solid #c62828; }
.kgqa-text { white-space: pre-wrap; line-height: 1.5; margin-top: 4px; }
.kgqa-badge { display:inline-block; font-size:0.72em; font-weight:600; text-transform:uppercase; letter-spacing:0.04em;
  padding: 1px 7px; border-radius: 8px; margin-right: 6px; font-style: normal; }
.kgqa-badge-answer { background:#e3f1e4; color:#1b5e20; }
.kgqa-badge-abstain { background:#fff0cc; color:#7a5200; }
.kgqa-badge-conflict { background:#fde0de; color:#a61b12; }
.kgqa-error .kgqa-badge { background:#fde0de; color:#a61b12; }
.kgqa-foot { font-size: 0.8em; color: var(--body-text-color-subdued); margin-top: 6px; }
button.kgqa-cite { display:inline; border:none; background: #dbe8fb; color:#174ea6; border-radius:5px; padding:0 4px;
  margin: 0 1px; font-size: 0.85em; font-weight:600; cursor:pointer; font-style: normal; }
button.kgqa-cite:hover { background:#174ea6; color:#fff; }
.kgqa-sources { display:flex; flex-direction:column; gap:10px; max-height: 78vh; overflow-y:auto; }
.kgqa-viewer { border: 1px dashed var(--border-color-primary); border-radius: 10px; padding: 8px 10px; }
.kgqa-viewer-on { border: 2px solid #174ea6; background: var(--background-fill-primary); }
.kgqa-viewer-title { font-weight: 600; font-size: 0.85em; text-transform: uppercase; letter-spacing: 0.04em; color:#174ea6; margin-bottom: 4px; }
.kgqa-viewer-empty { color: var(--body-text-color-subdued); font-size: 0.9em; }
.kgqa-ctx-body { white-space: pre-wrap; max-height: 300px; overflow-y: auto; margin-top: 6px; font-size: 0.92em; line-height:1.5; }
.kgqa-srcq { margin: 4px 0; font-size: 0.95em; }
.kgqa-src { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 8px 10px; margin-bottom: 8px; cursor: pointer; }
.kgqa-src:hover, .kgqa-src.kgqa-active { border-color: #174ea6; box-shadow: 0 0 0 1px #174ea6; }
.kgqa-src-head { font-size: 0.88em; }
.kgqa-n { font-weight: 700; color: #174ea6; }
.kgqa-title { font-weight: 600; }
.kgqa-section { color: var(--body-text-color-subdued); }
.kgqa-where { display:block; color: var(--body-text-color-subdued); font-size: 0.85em; }
.kgqa-passage { white-space: pre-wrap; font-size: 0.9em; line-height: 1.45; margin-top: 4px; }
mark.kgqa-span { background: #fff1a8; color: inherit; padding: 0 1px; border-radius: 2px; }
b.kgqa-value { background: #ffd54f; }
.kgqa-graph-wrap { position: relative; }
.kgqa-net { height: 620px; border: 1px solid var(--border-color-primary); border-radius: 10px; background: #fff; }
.kgqa-net-msg { color: var(--body-text-color-subdued); padding: 4px 0; min-height: 1.2em; }
.kgqa-legend { display:flex; flex-wrap:wrap; gap: 10px; font-size: 0.85em; }
.kgqa-legend-item i { display:inline-block; width:11px; height:11px; border-radius:50%; margin-right:4px; vertical-align:middle; }
.kgqa-entity h3, .kgqa-edge h3, .kgqa-path h3 { margin: 2px 0 4px 0; font-size: 1.1em; }
.kgqa-dot { display:inline-block; width:12px; height:12px; border-radius:50%; margin-right:6px; }
.kgqa-tag { display:inline-block; font-size:0.78em; padding:0 6px; border-radius:8px; background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); }
.kgqa-pred { font-family: var(--font-mono); font-size: 0.85em; color:#6a1b9a; }
.kgqa-fact { border-top: 1px solid var(--border-color-primary); padding: 6px 0; }
.kgqa-fact.kgqa-conflict { background: #fff4f3; }
.kgqa-ev { margin: 4px 0 4px 10px; font-size: 0.92em; }
.kgqa-chain { margin: 6px 0; line-height: 1.8; }
.kgqa-msg { padding: 8px 12px; border-radius: 8px; margin: 4px 0; white-space: pre-wrap; }
.kgqa-msg-ok { background:#e3f1e4; color:#1b5e20; }
.kgqa-msg-error { background:#fde0de; color:#a61b12; }
.kgqa-msg-warn { background:#fff0cc; color:#7a5200; }
.kgqa-msg-info { background: var(--background-fill-secondary); }
.kgqa-doc pre.kgqa-raw { white-space: pre-wrap; max-height: 520px; overflow-y:auto; font-size: 0.88em; background: var(--background-fill-secondary); padding: 10px; border-radius: 8px; }
#kgqa-examples button { font-size: 0.85em; }
.kgqa-badge-streaming { background:#dbe8fb; color:#174ea6; }
.kgqa-cursor { animation: kgqa-blink 1s steps(1) infinite; color:#174ea6; margin-left: 1px; }
@keyframes kgqa-blink { 50% { opacity: 0; } }
.kgqa-mode[data-mode="llm"] { color:#174ea6; font-weight:600; }
.kgqa-mode[data-mode="llm-fallback"] { color:#7a5200; font-weight:600; }
.kgqa-note { font-size: 0.82em; margin-top: 4px; }
.kgqa-note-fallback { background:#fff0cc; color:#7a5200; border-radius: 6px; padding: 3px 8px; }
.kgqa-checks summary { cursor: pointer; color: var(--body-text-color-subdued); }
.kgqa-privacy { font-size: 0.85em; background:#fff8e1; border-left: 3px solid #d08c00; padding: 6px 10px; border-radius: 6px; }
#kgqa-facts, #kgqa-docs { --font-mono: var(--font); }
#kgqa-facts table { font-size: 13px; line-height: 1.35; }
"""


def theme() -> gr.themes.Base:
    """Gradio's default look with its bundled (local) fonts only: nothing fetched from the web."""
    return gr.themes.Default(
        primary_hue="blue",
        font=[gr.themes.LocalFont("IBM Plex Sans"), "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "ui-monospace", "Consolas", "monospace"],
    )


class Workspace:
    """The state shared by all sessions: the QA object, its graph view, uploads."""

    def __init__(
        self,
        qa: QA,
        settings: Settings | None = None,
        graph_provider: Callable[[Any], Any] | None = None,
        uploads_dir: Path | None = None,
        examples: list[str] | None = None,
    ) -> None:
        self.qa = qa
        self.settings = settings or qa.settings
        self.graph_provider = graph_provider
        self.uploads_dir = Path(uploads_dir or Path(self.settings.index_dir).parent / "uploads")
        self.tmp_dir = Path(tempfile.mkdtemp(prefix="kgqa-ui-"))
        self._ingest_lock = threading.Lock()
        self._graph_lock = threading.Lock()
        self._llm_lock = threading.Lock()
        self._graph: tuple[int, GraphView] | None = None
        self._examples = examples

    # ---- shared views -------------------------------------------------------------------------

    @property
    def index(self) -> RetrievalIndex:
        return self.qa.index

    def graph(self) -> GraphView:
        """The graph view of the live index generation (rebuilt after each ingest)."""
        index = self.index
        with self._graph_lock:
            if self._graph is not None and self._graph[0] == id(index):
                return self._graph[1]
            try:
                store = self.graph_provider(index) if self.graph_provider else self.qa.graph
            except Exception as exc:
                log.warning("graph could not be loaded: %s", exc)
                store = None
            view = GraphView(store, index)
            self._graph = (id(index), view)
            return view

    def examples(self) -> list[str]:
        if self._examples is not None:
            return list(self._examples)
        docs = self.index.docs
        if any(d.startswith("twilio-") for d in docs):
            return list(DEFAULT_EXAMPLES)
        return [f"What does “{d.title}” say about revenue?" for d in list(docs.values())[:3]]

    def header_html(self) -> str:
        idx = self.index
        g = self.graph()
        gtxt = (
            f"graph: {len(g.entities)} entities, {len(g.facts)} facts"
            if g.available else "graph not available"
        )
        return (
            '<div class="kgqa-hdr"><h1>kgqa · analyst workspace</h1>'
            f'<span class="kgqa-muted">{len(idx.docs)} documents · {len(idx.chunks)} chunks · '
            f"{esc(gtxt)} · {esc(self.llm_label())}, every answer cited</span></div>"
        )

    # ---- Ask ----------------------------------------------------------------------------------

    def ask(self, question: str, turns: list[Turn] | None) -> tuple[str, str, list[Turn], str]:
        """Answer ``question`` as the next turn of the conversation ``turns``."""
        turns = list(turns or [])
        q = " ".join((question or "").split())
        if not q:
            gr.Warning("Type a question first.")
            return conversation_html(turns), sources_html(turns), turns, question or ""
        turn = Turn(question=q, asked=self._resolve(q, turns))
        t0 = time.perf_counter()
        try:
            answer = self.qa.ask(turn.asked)
        except Exception as exc:  # QuestionError and friends: shown in the chat, never a crash
            turn.error = str(exc) if isinstance(exc, QuestionError) else f"{type(exc).__name__}: {exc}"
            turn.latency_ms = (time.perf_counter() - t0) * 1000
        else:
            turn.latency_ms = (time.perf_counter() - t0) * 1000
            self._fill(turn, answer)
        turns.append(turn)
        return conversation_html(turns), sources_html(turns), turns, ""

    def ask_stream(self, question: str, turns: list[Turn] | None):
        """:meth:`ask` as a Gradio generator: with an LLM attached, the answer is streamed.

        Yields ``(chat, sources, turns, question box)`` updates: the turn being written (its
        checked sentences so far), then the final answer with clickable citations and its
        sources. Without an LLM it yields the offline answer once. Never raises: an error is
        shown as the turn's answer.
        """
        if not self.llm_on():
            yield self.ask(question, turns)
            return
        turns = list(turns or [])
        q = " ".join((question or "").split())
        if not q:
            gr.Warning("Type a question first.")
            yield conversation_html(turns), sources_html(turns), turns, question or ""
            return
        turn = Turn(question=q, asked=self._resolve(q, turns), streaming=True)
        shown = [*turns, turn]
        yield conversation_html(shown), gr.update(), turns, ""
        t0 = time.perf_counter()
        final: Answer | None = None
        try:
            for item in self.qa.stream(turn.asked):
                if isinstance(item, Answer):
                    final = item
                elif item:
                    turn.text += item
                    yield conversation_html(shown), gr.update(), turns, ""
        except Exception as exc:  # QuestionError and friends: shown in the chat, never a crash
            turn.error = str(exc) if isinstance(exc, QuestionError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, QuestionError):
                log.warning("streamed answer failed: %s: %s", type(exc).__name__, exc)
        turn.streaming = False
        turn.latency_ms = (time.perf_counter() - t0) * 1000
        if final is not None and not turn.error:
            self._fill(turn, final)
        elif not turn.error:
            turn.error = "no answer was produced"
        turns.append(turn)
        yield conversation_html(turns), sources_html(turns), turns, ""

    def _resolve(self, q: str, turns: list[Turn]) -> str:
        """``q`` made self-contained with the conversation so far (follow-ups)."""
        names: list[str] = []
        g = self.graph()
        if g.available:
            for e in g.entities.values():
                names.append(str(getattr(e, "name", "")))
                names.extend(str(a) for a in (getattr(e, "aliases", None) or []))
        return resolve_followup(q, [t.asked for t in turns if not t.error], names)

    def _fill(self, turn: Turn, answer: Any) -> None:
        turn.text = answer.text
        turn.abstained = bool(answer.abstained)
        turn.route = str(answer.route)
        turn.mode = str(answer.mode)
        turn.notes = list(answer.notes)
        index = self.index
        turn.sources = [source_view(index, c) for c in answer.citations]

    # ---- LLM settings (server-wide: the QA object is shared by every session) -------------------

    def llm_on(self) -> bool:
        return self.qa.llm is not None

    def llm_settings(self) -> Settings | None:
        """The settings of the attached LLM (``None`` when answers are offline)."""
        llm = self.qa.llm
        return llm.settings if llm is not None else None

    def llm_label(self) -> str:
        s = self.llm_settings()
        if s is None:
            return "offline"
        return f"LLM: model {s.llm_model or '?'}, checked"

    def llm_status(self) -> tuple[str, str]:
        """``(kind, text)`` of the status line under the LLM settings."""
        s = self.llm_settings()
        if s is None:
            return "info", "Offline answers: no LLM attached; every sentence is read off the reports."
        p = provider(s)
        url = s.llm_base_url or (OLLAMA_URL if p == "ollama" else "")
        return "ok", (
            f"LLM on: model {s.llm_model} at {url} ({p}, timeout {s.llm_timeout_s:g} s). Answers are streamed, "
            "checked against the passages, and fall back to the offline answer on any failure."
        )

    def llm_status_html(self) -> str:
        kind, text = self.llm_status()
        return message_html(text, kind)

    def llm_form(self) -> tuple[Any, ...]:
        """The settings form filled with the attached LLM's settings (never a key)."""
        s = self.llm_settings()
        if s is None:
            return gr.update(value="none"), gr.update(), gr.update(), gr.update(), gr.update()
        return (gr.update(value=provider(s)), gr.update(value=s.llm_base_url), gr.update(value=s.llm_model),
                gr.update(value=s.llm_api_key_env), gr.update(value=s.llm_timeout_s))

    def apply_llm(self, provider_name: str | None, base_url: str | None, model: str | None, api_key: str | None,
                  key_env: str | None, timeout_s: float | None) -> tuple[str, str]:
        """Attach (or, with provider ``none``, detach) an LLM for the whole server.

        Returns ``(kind, message)`` for the status line. ``api_key`` is used for this client
        only: it is kept in the client object in memory, never written to the settings, a
        file or the log. Without one, the key is read from the environment variable
        ``key_env`` (the default is ``KGQA_LLM_API_KEY``), as on the command line.
        """
        name = (provider_name or "none").strip() or "none"
        url = (base_url or "").strip()
        env = (key_env or "").strip() or "KGQA_LLM_API_KEY"
        key = (api_key or "").strip()
        notes: list[str] = []
        with self._llm_lock:
            try:
                if name == "none":
                    self.qa.attach_llm(None)
                    return self.llm_status()
                if timeout_s is None or not float(timeout_s) > 0:
                    raise LLMError("the timeout must be a positive number of seconds")
                if url and not re.match(r"^https?://[^\s/]+", url):
                    raise LLMError(f"the base URL must start with http:// or https:// (got {url!r})")
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
                    raise LLMError(f"{env!r} is not an environment variable name")
                settings = self.qa.settings.with_values({
                    "llm": name, "llm_base_url": url, "llm_model": (model or "").strip(),
                    "llm_api_key_env": env, "llm_timeout_s": float(timeout_s),
                })
                if key and provider(settings) == "openai-compatible":
                    llm = make_llm(settings)
                    llm.api_key = key  # in memory only, for this client
                    self.qa.attach_llm(make_chat(settings, llm=llm), settings)
                    notes.append("API key from this form (kept in memory only).")
                else:
                    if key:
                        notes.append("The API key is not used with ollama.")
                    elif provider(settings) == "openai-compatible" and not os.environ.get(env):
                        notes.append(f"No API key: ${env} is not set (fine for servers without auth).")
                    self.qa.attach_llm(make_chat(settings), settings)
            except LLMError as exc:
                return "error", f"LLM not changed: {exc}. {self._still()}"
            except Exception as exc:  # never a traceback in the UI; the key is never part of a message
                log.warning("LLM settings not applied: %s", type(exc).__name__)
                return "error", f"LLM not changed: {type(exc).__name__}: {exc}. {self._still()}"
        kind, text = self.llm_status()
        return kind, " ".join([text, *notes])

    def _still(self) -> str:
        s = self.llm_settings()
        return "Still offline answers." if s is None else f"Still using model {s.llm_model}."

    def clear(self) -> tuple[str, str, list[Turn], str]:
        return conversation_html([], self.index_label()), sources_html([]), [], ""

    def index_label(self) -> str:
        idx = self.index
        return f"Index: {len(idx.docs)} documents, {len(idx.chunks)} passages."

    # ---- Graph --------------------------------------------------------------------------------

    def graph_initial(self) -> dict[str, Any]:
        g = self.graph()
        types = g.types()
        return {"nodes": g.default_nodes(types, DEFAULT_MAX_NODES), "selected": None, "path": [], "types": types,
                "limit": DEFAULT_MAX_NODES}

    def graph_reset(self, types: list[str] | None, limit: float | None, state: dict[str, Any] | None = None):
        g = self.graph()
        types = list(types) if types is not None else g.types()
        lim = int(limit or DEFAULT_MAX_NODES)
        st = {"nodes": g.default_nodes(types, lim), "selected": None, "path": [], "types": types, "limit": lim}
        msg = "" if g.available else (g.error or "graph not available")
        return g.vis_json(st["nodes"], None, (), msg, types), st, g.entity_html("")

    def graph_select_node(self, state: dict[str, Any], evt: gr.EventData):
        g = self.graph()
        eid = str(getattr(evt, "_data", {}).get("id", "")) if evt is not None else ""
        state = dict(state or {})
        state["selected"] = eid
        return g.entity_html(eid), state, gr.update(value=eid if eid in g.entities else None)

    def graph_select_edge(self, state: dict[str, Any], evt: gr.EventData):
        g = self.graph()
        edge = str(getattr(evt, "_data", {}).get("id", "")) if evt is not None else ""
        return g.edge_html(edge), state

    def _expand(self, state: dict[str, Any], eid: str | None):
        g = self.graph()
        state = dict(state or self.graph_initial())
        if not eid or eid not in g.entities:
            return gr.update(), state, '<p class="kgqa-msg kgqa-msg-warn">Select a node first (click it in the graph or search it).</p>'
        nb = g.neighbors(eid)
        nodes = list(dict.fromkeys([*state.get("nodes", []), eid, *sorted(nb)]))
        state.update(nodes=nodes, selected=eid)
        msg = f"Expanded {g.name(eid)}: {len(nb)} neighbour{'s' if len(nb) != 1 else ''}."
        # neighbours are shown whatever the type filter says
        return g.vis_json(nodes, eid, state.get("path", []), msg, None), state, g.entity_html(eid)

    def graph_expand_event(self, state: dict[str, Any], evt: gr.EventData):
        eid = str(getattr(evt, "_data", {}).get("id", "")) if evt is not None else ""
        return self._expand(state, eid)

    def graph_expand_selected(self, state: dict[str, Any]):
        return self._expand(state, (state or {}).get("selected"))

    def graph_search(self, query: str | None, state: dict[str, Any]):
        g = self.graph()
        state = dict(state or self.graph_initial())
        eid = g.find(query or "") if query else None
        if eid is None:
            if query:
                gr.Warning(f"No entity named {query!r}.")
            return gr.update(), state, g.entity_html("")
        nodes = list(dict.fromkeys([*state.get("nodes", []), eid]))
        state.update(nodes=nodes, selected=eid)
        return (g.vis_json(nodes, eid, state.get("path", []), f"Found {g.name(eid)}.", None, focus=True), state,
                g.entity_html(eid))

    def graph_path(self, a: str | None, b: str | None, state: dict[str, Any]):
        g = self.graph()
        state = dict(state or self.graph_initial())
        a_id, b_id = g.find(a or ""), g.find(b or "")
        steps = g.path(a_id, b_id) if a_id and b_id else []
        edges = [s[0] for s in steps]
        nodes = list(state.get("nodes", []))
        for _e, _frm, f in steps:
            nodes.extend([_get(f, "subject"), _get(f, "object")])
        nodes = list(dict.fromkeys([*nodes, *(x for x in (a_id, b_id) if x)]))
        state.update(nodes=nodes, path=edges, selected=a_id)
        msg = f"Path: {len(steps)} step(s)." if steps else ""
        fit = [x for _e, _frm, f in steps for x in (_get(f, "subject"), _get(f, "object"))]
        return g.vis_json(nodes, a_id, edges, msg, None, fit=fit), state, g.path_html(a_id, b_id, steps)

    # ---- Facts --------------------------------------------------------------------------------

    def facts_table(self, entities: list[str] | None, metrics: list[str] | None, text: str | None,
                    conflicts_only: bool | None):
        """The filtered metric facts (conflicts highlighted) and a CSV file of exactly those rows."""
        import pandas as pd

        g = self.graph()
        rows = g.metric_rows() if g.available else []
        if entities:
            rows = [r for r in rows if r["entity"] in set(entities)]
        if metrics:
            rows = [r for r in rows if r["metric"] in set(metrics)]
        if text and text.strip():
            t = text.strip().lower()
            rows = [r for r in rows if any(t in str(v).lower() for v in r.values())]
        if conflicts_only:
            rows = [r for r in rows if r["conflict"]]
        keys = [k for k, _, _ in FACT_COLUMNS]
        df = pd.DataFrame(
            [[("⚠ conflict" if r["conflict"] else "") if k == "conflict" else r.get(k) for k in keys] for r in rows],
            columns=[label for _, label, _ in FACT_COLUMNS],
        )
        path = self.tmp_dir / f"kgqa-facts-{uuid.uuid4().hex[:8]}.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow([*keys, "doc"])
            for r in rows:
                w.writerow([*(r.get(k) if k != "conflict" else int(bool(r["conflict"])) for k in keys), r["doc"]])
        _prune(self.tmp_dir, "kgqa-facts-*.csv", keep=64)
        n_conf = sum(1 for r in rows if r["conflict"])
        summary = (
            f"{len(rows)} metric fact{'s' if len(rows) != 1 else ''}"
            + (f", {n_conf} in conflict (highlighted)" if n_conf else ", no conflicts")
            if g.available else (g.error or "graph not available")
        )
        if len(df):
            def style(row: Any) -> list[str]:
                bg = "background-color: #fde0de; color: #7f1d1d" if row["Conflict"] else ""
                return [bg] * len(row)

            value: Any = df.style.apply(style, axis=1).format({"Value": "{:,.6g}", "High": "{:,.6g}"}, na_rep="")
        else:
            value = df
        return value, gr.update(value=str(path)), message_html(summary, "info")

    def facts_filters(self):
        g = self.graph()
        rows = g.metric_rows() if g.available else []
        ents = sorted({r["entity"] for r in rows}, key=str.lower)
        mets = sorted({r["metric"] for r in rows}, key=str.lower)
        return gr.update(choices=ents, value=[]), gr.update(choices=mets, value=[])

    # ---- Documents ----------------------------------------------------------------------------

    def docs_table(self):
        import pandas as pd

        idx = self.index
        docs_meta = idx.manifest.get("documents", {})
        ents = self.graph().entity_counts_by_doc()
        rows = []
        for did, d in sorted(idx.docs.items()):
            m = docs_meta.get(did, {})
            size = m.get("bytes", len(d.raw.encode("utf-8")))
            units = m.get("units", sum(1 for u in idx.units if u.doc == did))
            chunks = m.get("chunks", sum(1 for c in idx.chunks if c.doc == did))
            rows.append([did, d.title, d.kind, round(size / 1024, 1), units, chunks, ents.get(did, 0)])
        return pd.DataFrame(rows, columns=DOC_COLUMNS)

    def doc_choices(self) -> list[tuple[str, str]]:
        return [(f"{d.title} ({did})", did) for did, d in sorted(self.index.docs.items())]

    def show_document(self, doc_id: str | None) -> str:
        return document_html(self.index.docs.get(doc_id or ""))

    def stage_upload(self, src: Path) -> Path:
        """Check one uploaded file and copy it to a staging folder; raise :class:`UploadError`."""
        src = Path(src)
        name = _safe_name(src.name)
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_TYPES:
            raise UploadError(f"{src.name}: unsupported file type {suffix or '(none)'}; upload .txt, .md, .html or .pdf")
        size = src.stat().st_size
        limit = int(self.settings.max_upload_bytes)
        if size > limit:
            raise UploadError(f"{src.name}: {_human(size)} is over the upload limit of {_human(limit)}")
        existing = self.index.docs.get(name)
        if existing is not None and Path(existing.path).resolve().parent != self.uploads_dir.resolve():
            name = f"{Path(name).stem}-upload{suffix}"  # never replace a corpus document by accident
        staged = self.tmp_dir / f"stage-{uuid.uuid4().hex[:8]}" / name
        staged.parent.mkdir(parents=True)
        shutil.copyfile(src, staged)
        try:
            load_file(staged, staged.parent, max_bytes=limit)
        except DocumentError as exc:
            shutil.rmtree(staged.parent, ignore_errors=True)
            raise UploadError(f"{src.name}: {exc}") from exc
        return staged

    def ingest_files(self, files: Any, progress: Any = None) -> tuple[str, str]:
        """Ingest uploaded files into the live index; returns ``(kind, message)``.

        Every file is checked before anything changes; on any failure the index is left as it
        was (builds are atomic) and files copied into the uploads folder are taken back.
        """
        progress = progress or (lambda *a, **k: None)
        paths = [Path(getattr(f, "name", f)) for f in (files if isinstance(files, list | tuple) else [files]) if f]
        if not paths:
            return "warn", "No file uploaded."
        with self._ingest_lock:
            progress(0.05, desc="Checking files")
            staged: list[Path] = []
            try:
                for p in paths:
                    staged.append(self.stage_upload(p))
            except UploadError as exc:
                for s in staged:
                    shutil.rmtree(s.parent, ignore_errors=True)
                return "error", f"Not ingested — {exc}. The index is unchanged."
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            placed: list[tuple[Path, Path | None]] = []  # (target, backup of a replaced file)
            for s in staged:
                target = self.uploads_dir / s.name
                backup = None
                if target.exists():
                    backup = self.tmp_dir / f"backup-{uuid.uuid4().hex[:8]}-{s.name}"
                    shutil.copyfile(target, backup)
                shutil.move(str(s), target)
                shutil.rmtree(s.parent, ignore_errors=True)
                placed.append((target, backup))
            progress(0.15, desc="Parsing and chunking")
            steps = {"embedding": (0.35, "Embedding passages"), "up to date": (0.9, "Nothing new")}

            def say(msg: str) -> None:
                for key, (frac, desc) in steps.items():
                    if key in msg:
                        progress(frac, desc=desc)

            try:
                report = self.qa.ingest([t for t, _ in placed], add=True, say=say)
            except Exception as exc:
                for target, backup in placed:
                    if backup is not None:
                        shutil.move(str(backup), target)
                    else:
                        target.unlink(missing_ok=True)
                log.exception("ingest failed")
                return "error", f"Ingest failed ({type(exc).__name__}: {exc}). The index is unchanged."
            for _t, backup in placed:
                if backup is not None:
                    backup.unlink(missing_ok=True)
            progress(0.95, desc="Refreshing graph")
            if report.skipped:
                return "warn", "Skipped: " + "; ".join(f"{Path(s.path).name}: {s.reason}" for s in report.skipped)
            parts = []
            if report.added:
                parts.append("added " + ", ".join(report.added))
            if report.changed:
                parts.append("updated " + ", ".join(report.changed))
            if not parts:
                parts.append("already indexed, nothing changed")
            g = self.graph()
            secs = report.timings_s.get("total", 0.0)
            gtxt = f"; graph: {len(g.entities)} entities" if g.available else ""
            return "ok", (
                f"Ingested: {'; '.join(parts)} ({report.n_chunks} chunks in the index{gtxt}; {secs:.1f}s). "
                "You can ask about it now."
            )


def _safe_name(name: str) -> str:
    base = Path(name).name
    stem, suffix = Path(base).stem, Path(base).suffix
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-") or "upload"
    return f"{stem[:80]}{suffix.lower()}"


def _human(n: int) -> str:
    for unit, s in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= s:
            return f"{n / s:.1f} {unit}"
    return f"{n} bytes"


def _prune(folder: Path, pattern: str, keep: int) -> None:
    files = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)
    for p in files[:-keep]:
        p.unlink(missing_ok=True)


# ---- the Blocks app -------------------------------------------------------------------------------


def build_app(ws: Workspace) -> gr.Blocks:
    """The Blocks UI over ``ws`` (launch it with :func:`launch` for theme, CSS and limits)."""
    gr.set_static_paths([str(STATIC_DIR)])
    vis_src = f"/gradio_api/file={VIS_JS}"
    examples = ws.examples()

    with gr.Blocks(title="kgqa · analyst workspace", analytics_enabled=False) as demo:
        header = gr.HTML(ws.header_html(), elem_id="kgqa-header")
        with gr.Tabs(elem_id="kgqa-tabs"):
            # ---- Ask ----
            with gr.Tab("Ask", id="ask", elem_id="kgqa-tab-ask"):
                turns = gr.State([])
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chat = gr.HTML(conversation_html([], ws.index_label()), elem_id="kgqa-chat",
                                       js_on_load=CHAT_JS, autoscroll=True, container=True, padding=True)
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(placeholder="Ask about the reports… (follow-ups keep the conversation)",
                                                  show_label=False, scale=8, elem_id="kgqa-question", lines=1,
                                                  max_lines=4, submit_btn=False, container=False)
                            ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="kgqa-ask")
                            clear_btn = gr.Button("New chat", scale=1, min_width=80, elem_id="kgqa-clear")
                        gr.Markdown("**Try:**")
                        with gr.Row(elem_id="kgqa-examples"):
                            ex_btns = [gr.Button(q, size="sm", variant="secondary") for q in examples]
                        with gr.Accordion("LLM (optional)", open=False, elem_id="kgqa-llm"):
                            gr.HTML(LLM_PRIVACY_NOTE, elem_id="kgqa-llm-privacy")
                            with gr.Row(equal_height=True):
                                llm_provider = gr.Dropdown(list(LLM_PROVIDERS), value="none", label="Provider",
                                                           elem_id="kgqa-llm-provider", scale=1)
                                llm_model = gr.Textbox(label="Model name", placeholder="e.g. qwen2.5-7b-instruct",
                                                       elem_id="kgqa-llm-model", scale=1)
                            llm_url = gr.Textbox(label="Base URL",
                                                 placeholder="http://127.0.0.1:8000/v1 (ollama: http://localhost:11434)",
                                                 elem_id="kgqa-llm-url")
                            with gr.Row(equal_height=True):
                                llm_key = gr.Textbox(label="API key (optional, kept in memory only)", type="password",
                                                     placeholder="or set the variable named on the right",
                                                     elem_id="kgqa-llm-key", scale=2)
                                llm_env = gr.Textbox(label="…or API key env var", value=ws.settings.llm_api_key_env,
                                                     elem_id="kgqa-llm-env", scale=2)
                                llm_timeout = gr.Number(label="Timeout (s)", value=ws.settings.llm_timeout_s,
                                                        minimum=0.1, elem_id="kgqa-llm-timeout", scale=1)
                            llm_apply = gr.Button("Apply", variant="primary", size="sm", elem_id="kgqa-llm-apply")
                            llm_status = gr.HTML(ws.llm_status_html(), elem_id="kgqa-llm-status")
                    with gr.Column(scale=2):
                        sources = gr.HTML(sources_html([]), elem_id="kgqa-sources", js_on_load=SOURCES_JS,
                                          container=True, padding=True)
                ask_io = {"inputs": [question, turns], "outputs": [chat, sources, turns, question]}
                ask_btn.click(ws.ask_stream, **ask_io, concurrency_id="ask")
                question.submit(ws.ask_stream, **ask_io, concurrency_id="ask")

                def apply_llm(*values: Any):
                    kind, msg = ws.apply_llm(*values)
                    return message_html(msg, kind), ws.header_html()

                llm_apply.click(apply_llm, [llm_provider, llm_url, llm_model, llm_key, llm_env, llm_timeout],
                                [llm_status, header], concurrency_limit=1, concurrency_id="llm-settings",
                                api_visibility="private")
                clear_btn.click(ws.clear, outputs=[chat, sources, turns, question])
                for b, q in zip(ex_btns, examples, strict=True):
                    b.click(_fixed_question(ws, q), inputs=[turns], outputs=[chat, sources, turns, question],
                            concurrency_id="ask")

            # ---- Graph ----
            with gr.Tab("Graph", id="graph", elem_id="kgqa-tab-graph") as graph_tab:
                g0 = ws.graph()
                gstate = gr.State(ws.graph_initial())
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=250):
                        gtypes = gr.CheckboxGroup(g0.types(), value=g0.types(), label="Entity types",
                                                  elem_id="kgqa-gtypes")
                        glimit = gr.Slider(10, 400, value=DEFAULT_MAX_NODES, step=10, label="Max nodes (best-evidenced first)")
                        gsearch = gr.Dropdown(g0.entity_choices(), value=None, label="Search an entity",
                                              filterable=True, allow_custom_value=True, elem_id="kgqa-gsearch")
                        with gr.Row():
                            gexpand = gr.Button("Expand neighbours", size="sm", elem_id="kgqa-gexpand")
                            greset = gr.Button("Reset view", size="sm")
                        gr.Markdown("**Path between two entities**")
                        pa = gr.Dropdown(g0.entity_choices(), value=None, label="From", filterable=True, allow_custom_value=True,
                                         elem_id="kgqa-path-a")
                        pb = gr.Dropdown(g0.entity_choices(), value=None, label="To", filterable=True, allow_custom_value=True,
                                         elem_id="kgqa-path-b")
                        gpath = gr.Button("Find path", size="sm", elem_id="kgqa-gpath")
                        gr.Markdown("<small>Colour = entity type; size = evidence count. Click a node or an edge for "
                                    "its facts; double-click a node to expand it.</small>")
                    with gr.Column(scale=3):
                        gjson, _st, _d = ws.graph_reset(g0.types(), DEFAULT_MAX_NODES)
                        graph = gr.HTML(gjson, html_template=GRAPH_TEMPLATE, js_on_load=GRAPH_JS,
                                        head=f'<script src="{vis_src}"></script>', elem_id="kgqa-graph",
                                        apply_default_css=False)
                    with gr.Column(scale=2):
                        detail = gr.HTML(g0.entity_html(""), elem_id="kgqa-gdetail", container=True, padding=True,
                                         max_height=700)
                greset.click(ws.graph_reset, [gtypes, glimit], [graph, gstate, detail])
                gtypes.change(ws.graph_reset, [gtypes, glimit], [graph, gstate, detail])
                glimit.release(ws.graph_reset, [gtypes, glimit], [graph, gstate, detail])
                gsearch.input(ws.graph_search, [gsearch, gstate], [graph, gstate, detail])
                gexpand.click(ws.graph_expand_selected, [gstate], [graph, gstate, detail])
                gpath.click(ws.graph_path, [pa, pb, gstate], [graph, gstate, detail])
                graph.node_select(ws.graph_select_node, [gstate], [detail, gstate, pa])
                graph.edge_select(ws.graph_select_edge, [gstate], [detail, gstate])
                graph.node_expand(ws.graph_expand_event, [gstate], [graph, gstate, detail])
                graph_tab.select(None, js="() => { const n = window.kgqaNetwork; if (n) { n.redraw(); n.fit(); } }")

            # ---- Facts ----
            with gr.Tab("Facts", id="facts", elem_id="kgqa-tab-facts"):
                with gr.Row():
                    f_ent = gr.Dropdown([], multiselect=True, label="Entity", scale=2, elem_id="kgqa-f-entity")
                    f_met = gr.Dropdown([], multiselect=True, label="Metric", scale=2, elem_id="kgqa-f-metric")
                    f_text = gr.Textbox(label="Contains", placeholder="filter any column", scale=2,
                                        elem_id="kgqa-f-text")
                    f_conf = gr.Checkbox(label="Conflicts only", value=False, scale=1, elem_id="kgqa-f-conf")
                f_summary = gr.HTML(elem_id="kgqa-f-summary")
                f_table = gr.Dataframe(
                    headers=[label for _, label, _ in FACT_COLUMNS],
                    datatype=[t for _, _, t in FACT_COLUMNS],
                    interactive=False, wrap=True, max_height=620, show_search="search",
                    elem_id="kgqa-facts", label="Metric facts (click a header to sort)",
                    column_widths=["11%", "11%", "8%", "6%", "5%", "8%", "8%", "7%", "12%", "19%", "5%"],
                )
                f_dl = gr.DownloadButton("Download CSV", elem_id="kgqa-facts-csv", variant="secondary")
                f_inputs = [f_ent, f_met, f_text, f_conf]
                f_outputs = [f_table, f_dl, f_summary]
                for comp, ev in ((f_ent, "change"), (f_met, "change"), (f_text, "submit"), (f_conf, "change")):
                    getattr(comp, ev)(ws.facts_table, f_inputs, f_outputs)
                f_text.blur(ws.facts_table, f_inputs, f_outputs)

            # ---- Documents ----
            with gr.Tab("Documents", id="documents", elem_id="kgqa-tab-docs"):
                d_table = gr.Dataframe(ws.docs_table(), interactive=False, wrap=True, elem_id="kgqa-docs",
                                       label="Ingested documents",
                                       datatype=["str", "str", "str", "number", "number", "number", "number"],
                                       column_widths=["30%", "38%", "6%", "8%", "6%", "6%", "6%"])
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1):
                        upload = gr.File(
                            label=f"Upload .txt / .md / .html / .pdf (up to {_human(int(ws.settings.max_upload_bytes))} each)",
                            file_count="multiple", file_types=list(UPLOAD_TYPES), elem_id="kgqa-upload", height=140,
                        )
                        d_status = gr.HTML(elem_id="kgqa-upload-status")
                    with gr.Column(scale=2):
                        d_pick = gr.Dropdown(ws.doc_choices(), value=None, label="Read a document", elem_id="kgqa-doc-pick")
                        d_view = gr.HTML(document_html(None), elem_id="kgqa-doc-view")
                d_pick.change(ws.show_document, [d_pick], [d_view])

        # refresh everything that depends on the index, for this session
        def refresh(types: list[str] | None = None):
            g = ws.graph()
            gj, st, det = ws.graph_reset(g.types(), DEFAULT_MAX_NODES)
            ent_u, met_u = ws.facts_filters()
            table, dl, summary = ws.facts_table([], [], "", False)
            choices = g.entity_choices()
            return (
                ws.header_html(), gr.update(choices=g.types(), value=g.types()), gj, st, det,
                gr.update(choices=choices), gr.update(choices=choices), gr.update(choices=choices),
                ent_u, met_u, table, dl, summary, ws.docs_table(), gr.update(choices=ws.doc_choices()),
            )

        refresh_outputs = [header, gtypes, graph, gstate, detail, gsearch, pa, pb, f_ent, f_met, f_table, f_dl,
                           f_summary, d_table, d_pick]

        def do_upload(files: Any, progress: gr.Progress = gr.Progress()):
            kind, msg = ws.ingest_files(files, progress)
            if kind == "error":
                gr.Warning(msg)
            return (message_html(msg, kind), None, *refresh())

        upload.upload(do_upload, [upload], [d_status, upload, *refresh_outputs], concurrency_limit=1,
                      concurrency_id="ingest")
        demo.load(refresh, None, refresh_outputs)

        def llm_panel():  # the server-wide LLM state, as this new session finds it
            return (ws.llm_status_html(), *ws.llm_form())

        demo.load(llm_panel, None, [llm_status, llm_provider, llm_url, llm_model, llm_env, llm_timeout],
                  api_visibility="private")
    return demo


def _fixed_question(ws: Workspace, q: str) -> Callable[[list[Turn]], Any]:
    def ask_example(turns: list[Turn]):
        yield from ws.ask_stream(q, turns)

    return ask_example


def launch(
    qa: Any,
    settings: Settings | None = None,
    host: str = "127.0.0.1",
    port: int = 7860,
    block: bool = True,
    graph_provider: Callable[[Any], Any] | None = None,
    uploads_dir: Path | None = None,
    concurrency: int = 4,
    quiet: bool = False,
    examples: list[str] | None = None,
) -> tuple[gr.Blocks, Workspace]:
    """Start the workspace on ``host:port`` (loopback by default). ``block=False`` returns at once."""
    ws = Workspace(qa, settings, graph_provider=graph_provider, uploads_dir=uploads_dir, examples=examples)
    demo = build_app(ws)
    demo.queue(default_concurrency_limit=concurrency, max_size=256)
    demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=not block,
        share=False,
        quiet=quiet,
        show_error=True,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        inbrowser=False,
        theme=theme(),
        css=CSS,
        allowed_paths=[str(STATIC_DIR)],
        max_file_size=int(ws.settings.max_upload_bytes),
        footer_links=["api", "settings"],
    )
    return demo, ws
