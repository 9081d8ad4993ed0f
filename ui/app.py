"""The analyst workspace: one Gradio Blocks app with Ask, Graph, Facts and Documents tabs.

>>> from ui.app import Workspace, launch     # doctest: +SKIP
>>> launch(QA.load(".kgqa-index"))           # doctest: +SKIP  (http://127.0.0.1:7860, JSON API at /api/v1)

This module lays the tabs out (``ui/tabs/``: one module per tab), refreshes them when the
index changes, and launches the server with the theme and CSS. The state every session
shares is a :class:`~ui.workspace.Workspace`.

Offline by construction: the theme uses Gradio's bundled fonts, the graph library
(vis-network) is served from ``ui/static/``, and analytics are off. All document text is
escaped by :mod:`ui.render` before it reaches the page; document text never goes through
markdown. Answers and graph views are read from the live index generation, so a document
uploaded in the Documents tab is answerable and in the graph as soon as it is ingested.

An LLM can be attached from the Ask tab's "LLM (optional)" panel (:mod:`ui.tabs.llm_panel`);
answers are then streamed into the chat sentence by sentence. The QA object, and so the
attached LLM, is shared by every session of the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.config import Settings
from engine.qa import QA
from ui.api import api_mount
from ui.auth import Credentials
from ui.gradio_env import gr
from ui.tabs.ask import AskTab
from ui.tabs.documents import DocumentsTab
from ui.tabs.facts import FactsTab
from ui.tabs.graph import STATIC_DIR, GraphTab
from ui.workspace import GraphProvider, Workspace

__all__ = ["CSS", "Workspace", "build_app", "launch", "theme"]

CSS = """
#kgqa-header { margin-bottom: 4px; }
.kgqa-computation { margin-top: 8px; font-size: 0.88em; font-style: normal; }
.kgqa-comp-formula { font-family: var(--font-mono); color: var(--body-text-color-subdued); margin-bottom: 3px; }
.kgqa-comp-table { border-collapse: collapse; }
.kgqa-comp-table th, .kgqa-comp-table td { padding: 1px 10px 1px 0; text-align: left; border-bottom: 1px solid var(--border-color-primary); }
.kgqa-comp-table td.kgqa-num { text-align: right; font-variant-numeric: tabular-nums; }
.kgqa-comp-result { margin-top: 3px; font-weight: 600; }
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
ul.kgqa-points { margin: 6px 0 2px 0; padding-left: 1.3em; line-height: 1.5; }
li.kgqa-point { margin: 3px 0; }
.kgqa-lead { font-weight: 600; }
.kgqa-compare-wrap { overflow-x: auto; margin-top: 6px; }
table.kgqa-compare { border-collapse: collapse; font-size: 0.92em; line-height: 1.4; }
table.kgqa-compare th, table.kgqa-compare td { border: 1px solid var(--border-color-primary); padding: 5px 8px; vertical-align: top; text-align: left; }
table.kgqa-compare thead th { background: var(--background-fill-primary); font-weight: 600; }
table.kgqa-compare tbody th { font-weight: 600; white-space: nowrap; }
td.kgqa-missing { color: var(--body-text-color-subdued); font-style: italic; }
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


def build_app(ws: Workspace) -> gr.Blocks:
    """The Blocks UI over ``ws`` (launch it with :func:`launch` for theme, CSS and limits)."""
    gr.set_static_paths([str(STATIC_DIR)])
    ask, graph, facts, docs = AskTab(ws), GraphTab(ws), FactsTab(ws), DocumentsTab(ws)
    with gr.Blocks(title="kgqa · analyst workspace", analytics_enabled=False) as demo:
        header = gr.HTML(ws.header_html(), elem_id="kgqa-header")
        with gr.Tabs(elem_id="kgqa-tabs"):
            llm_form = ask.build(header)
            graph_controls = graph.build()
            facts_controls = facts.build()
            docs_controls = docs.build()

        def refresh() -> tuple[Any, ...]:
            """Everything that depends on the index, for this session (first picking up a state that another
            process committed to a shared store: an ingest job, another server's upload)."""
            ws.qa.refresh()
            return (ws.header_html(), *graph.refresh(), *facts.refresh(), *docs.refresh())

        refresh_outputs = [header, *graph_controls.outputs(), *facts_controls.outputs(), *docs_controls.outputs()]
        docs.wire_upload(docs_controls, refresh, refresh_outputs)
        demo.load(refresh, None, refresh_outputs)
        demo.load(ask.llm.llm_panel, None, llm_form.shown(), api_visibility="private")
    return demo


def launch(
    qa: QA,
    settings: Settings | None = None,
    host: str = "127.0.0.1",
    port: int = 7860,
    block: bool = True,
    graph_provider: GraphProvider | None = None,
    uploads_dir: Path | None = None,
    concurrency: int = 4,
    quiet: bool = False,
    examples: list[str] | None = None,
    auth: Credentials | None = None,
    api: bool = True,
) -> tuple[gr.Blocks, Workspace]:
    """Start the workspace on ``host:port`` (loopback by default). ``block=False`` returns at once.

    The JSON API (:mod:`ui.api`) is served on the same server at ``/api/v1`` unless ``api`` is
    false; ``auth`` (default: none) is asked for by the UI's login page and by the API alike.
    """
    ws = Workspace(qa, settings, graph_provider=graph_provider, uploads_dir=uploads_dir, examples=examples)
    demo = build_app(ws)
    demo.queue(default_concurrency_limit=concurrency, max_size=256)
    # The API is a route of the server's own FastAPI app, placed before Gradio's routes.
    routes = [api_mount(ws, auth=auth, concurrency=concurrency)] if api else []
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
        auth=auth.check if auth is not None else None,
        auth_message="kgqa · analyst workspace" if auth is not None else None,
        app_kwargs={"routes": routes},
    )
    return demo, ws
