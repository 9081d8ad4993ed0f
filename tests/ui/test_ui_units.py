"""Fast checks of the workspace's pieces: escaping, highlighting, the graph view, uploads, facts."""

from __future__ import annotations

import csv
import inspect
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from core.types import Citation, Entity, Evidence, Fact
from ui.conversation import resolve_followup
from ui.graph_view import NOT_AVAILABLE, GraphView
from ui.render import (
    Turn,
    answer_html,
    conversation_html,
    document_html,
    evidence_html,
    highlight,
    source_view,
    sources_html,
)

EVIL = '<script>window.__x=1</script><img src=x onerror="window.__x=2">'


class Tags(HTMLParser):
    """Collects the tags and attributes of an HTML fragment, and the text inside <mark>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.depth = 0
        self.marked: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "mark":
            self.depth += 1
            self.marked.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.marked[-1] += data


def parse(fragment: str) -> Tags:
    p = Tags()
    p.feed(fragment)
    p.close()
    return p


def assert_inert(fragment: str) -> None:
    """No script, no img, no event handler attribute anywhere."""
    p = parse(fragment)
    names = {t for t, _ in p.tags}
    assert not names & {"script", "img", "iframe", "object", "embed", "svg", "style"}, names
    for _t, attrs in p.tags:
        assert not [a for a in attrs if a.lower().startswith("on")], attrs


# ---- render ---------------------------------------------------------------------------------------


def test_highlight_marks_exactly_the_span_and_escapes_everything() -> None:
    raw = f"Intro {EVIL} revenue was $5 million {EVIL} end."
    start = raw.index("revenue")
    end = raw.index("million") + len("million")
    vs = raw.index("$5")
    out = highlight(raw, 0, len(raw), start, end, vs, vs + len("$5 million"))
    assert_inert(out)
    assert parse(out).marked == [raw[start:end]]
    assert '<b class="kgqa-value">$5 million</b>' in out
    assert "&lt;script&gt;" in out


def test_source_view_uses_the_chunk_and_a_wider_context(qa: Any) -> None:
    a = qa.ask("What was Twilio's fiscal 2024 revenue?")
    c = a.citations[0]
    sv = source_view(qa.index, c)
    raw = qa.index.docs[c.doc].raw
    assert parse(sv.passage_html).marked == [raw[c.start : c.end]]
    assert parse(sv.context_html).marked == [raw[c.start : c.end]]
    assert len(sv.context_html) > len(sv.passage_html)


def test_answer_markers_are_buttons_only_for_real_citations() -> None:
    out = answer_html(f"$5 million [1] and [2] {EVIL} [7]", msg=3, cited=[1, 2])
    assert_inert(out)
    buttons = [a for t, a in parse(out).tags if t == "button"]
    assert [(b["data-msg"], b["data-n"]) for b in buttons] == [("3", "1"), ("3", "2")]
    assert "[7]" in out  # no citation 7: stays text


def test_conversation_and_sources_escape_document_text() -> None:
    sv = source_view(
        None,
        Citation(1, "evil.txt", f"Title {EVIL}", f"Section {EVIL}", 0, len(EVIL), EVIL),
    )
    turns = [
        Turn(question=f"What about {EVIL}?", asked=f"What about {EVIL}?", text=f"{EVIL} [1]", sources=[sv],
             latency_ms=12.0),
        Turn(question="Unknown?", asked="Unknown?", text="The corpus does not say.", abstained=True, latency_ms=3),
        Turn(question="x", asked="x", error=f"bad {EVIL}"),
    ]
    chat = conversation_html(turns)
    src = sources_html(turns)
    for frag in (chat, src):
        assert_inert(frag)
        assert "&lt;script&gt;" in frag
    assert 'class="kgqa-a kgqa-abstain"' in chat and 'class="kgqa-a kgqa-answer"' in chat
    assert "answered in 12 ms" in chat
    assert 'data-msg="0" data-n="1"' in src
    assert_inert(document_html(type("D", (), {"id": "e", "title": EVIL, "kind": "txt", "raw": EVIL})()))


def test_follow_ups_are_rewritten_with_the_previous_question() -> None:
    prev = "What was Twilio's fiscal 2024 revenue?"
    assert resolve_followup("And in 2023?", [prev], ["Twilio"]) == "What was Twilio's fiscal 2023 revenue?"
    assert resolve_followup("What about Segment?", [prev], ["Twilio", "Segment"]) == "What was Segment's fiscal 2024 revenue?"
    assert resolve_followup("Who founded it?", [prev], ["Twilio"]) == "Who founded Twilio?"
    assert resolve_followup("Who founded it?", [], ["Twilio"]) == "Who founded it?"
    assert resolve_followup("What is Segment?", [prev], ["Twilio", "Segment"]) == "What is Segment?"


# ---- graph view -------------------------------------------------------------------------------------


def _ev(doc: str, text: str, start: int = 0) -> Evidence:
    return Evidence(doc, start, start + len(text), text)


class MinimalStore:
    """Only entities() and facts(): the view must compute the rest itself."""

    def __init__(self, entities: list[Entity], facts: list[Fact]) -> None:
        self._e, self._f = entities, facts

    def entities(self) -> list[Entity]:
        return list(self._e)

    def facts(self, entity: str | None = None, predicate: str | None = None, metric: str | None = None) -> list[Fact]:
        return list(self._f)


def _records() -> tuple[list[Entity], list[Fact]]:
    ents = [
        Entity("c:acme", "Company", "Acme", ["ACME"], [_ev("a.txt", "Acme is big.")]),
        Entity("c:bolt", "Company", f"Bolt {EVIL}", [], [_ev("a.txt", "Bolt too.")]),
        Entity("p:widget", "Product", "Widget", [], []),
        Entity("m:revenue", "Metric", "revenue", [], []),
    ]
    facts = [
        Fact("c:acme", "COMPETES_WITH", "c:bolt", evidence=[_ev("a.txt", "Acme competes with Bolt.")]),
        Fact("c:bolt", "OFFERS", "p:widget", evidence=[_ev("a.txt", "Bolt offers Widget.")]),
        Fact("c:acme", "HAS_METRIC", "m:revenue", metric="revenue", value=5e6, unit="USD", period="FY2024",
             surface="$5 million", evidence=[_ev("a.txt", "Acme revenue was $5 million.", 10)]),
        Fact("c:acme", "HAS_METRIC", "m:revenue", metric="revenue", value=7e6, unit="USD", period="FY2024",
             surface="$7 million", evidence=[_ev("b.txt", "Acme revenue was $7 million.", 20)]),
        Fact("c:bolt", "HAS_METRIC", None, metric="margin", value=0.2, unit="%", period="FY2024",
             evidence=[_ev("b.txt", "Bolt margin 20%.")]),
    ]
    return ents, facts


def test_graph_view_without_a_graph_says_so() -> None:
    g = GraphView(None)
    assert not g.available and g.error == NOT_AVAILABLE
    assert '"graph not available"' in g.vis_json([])
    assert NOT_AVAILABLE in g.entity_html("x")
    assert g.metric_rows() == [] and g.types() == []

    class Broken:
        def entities(self) -> list[Entity]:
            raise RuntimeError("half-written")

    b = GraphView(Broken())
    assert not b.available and NOT_AVAILABLE in b.error and "half-written" in b.error


def test_graph_view_computes_neighbours_paths_and_conflicts_when_the_store_cannot() -> None:
    g = GraphView(MinimalStore(*_records()))
    assert g.available and g.types() == ["Company", "Metric", "Product"]
    assert g.neighbors("c:acme") == {"c:bolt", "m:revenue"}
    steps = g.path("c:acme", "p:widget")
    assert [f.predicate for _e, _frm, f in steps] == ["COMPETES_WITH", "OFFERS"]
    rows = g.metric_rows()
    assert len(rows) == 3
    assert sorted(r["conflict"] for r in rows) == [False, True, True]
    assert g.find("acme") == "c:acme" and g.find("ACME") == "c:acme"
    assert g.evidence_count("c:acme") > g.evidence_count("p:widget")
    html = g.entity_html("c:bolt") + g.edge_html(next(iter(g.edges))) + g.path_html("c:acme", "p:widget", steps)
    assert_inert(html)
    import json

    data = json.loads(g.vis_json(g.default_nodes(None, 10), "c:acme"))
    assert {n["id"] for n in data["nodes"]} == {"c:acme", "c:bolt", "p:widget", "m:revenue"}
    assert data["selected"] == "c:acme"
    sizes = {n["id"]: n["size"] for n in data["nodes"]}
    assert sizes["c:acme"] > sizes["p:widget"]
    assert len({n["color"] for n in data["nodes"]}) == 3  # colour by type


def test_graph_view_reads_kg_store_conflicts_and_paths() -> None:
    store_mod = pytest.importorskip("kg.store")
    ents, facts = _records()
    store = store_mod.NetworkXGraphStore.from_records(ents, facts)
    g = GraphView(store)
    assert g.available
    flagged = [r for r in g.metric_rows() if r["conflict"]]
    expected = {(c["subject"], v["value"]) for c in store.conflicts() for v in c["values"]}
    assert {(("c:acme" if r["entity"] == "Acme" else r["entity"]), r["value"]) for r in flagged} == expected
    assert len(g.path("c:acme", "p:widget")) == 2
    assert "c:bolt" in g.neighbors("c:acme")


# ---- workspace: uploads and facts ------------------------------------------------------------------


@pytest.fixture
def ws(qa: Any, tmp_path: Path) -> Any:
    from ui.app import Workspace

    return Workspace(qa, qa.settings.with_values({"max_upload_bytes": 2000}), uploads_dir=tmp_path / "uploads")


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("notes.exe", b"MZ\x90\x00", "unsupported file type"),
        ("big.txt", b"Revenue grew. " * 400, "over the upload limit"),
        ("empty.txt", b"   \n ", "empty file"),
        ("binary.txt", bytes(range(256)) * 4, ""),
    ],
)
def test_bad_uploads_are_refused_and_leave_the_index_alone(ws: Any, tmp_path: Path, name: str, content: bytes,
                                                          says: str) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    root, docs = ws.qa.snapshot.root, set(ws.index.docs)
    kind, msg = ws.ingest_files([str(f)])
    assert kind == "error" and says in msg and "unchanged" in msg
    assert ws.qa.snapshot.root == root and set(ws.index.docs) == docs
    assert not (ws.uploads_dir / name).exists()


def test_facts_table_highlights_conflicts_and_writes_the_csv(qa: Any, tmp_path: Path) -> None:
    from ui.app import Workspace

    ws = Workspace(qa, graph_provider=lambda index: MinimalStore(*_records()), uploads_dir=tmp_path / "u")
    value, dl, summary = ws.facts_table([], [], "", False)
    assert "3 metric facts, 2 in conflict" in summary
    value._compute()
    styled_rows = {r for (r, _c), props in value.ctx.items() if ("background-color", "#fde0de") in props}
    conflict_rows = {i for i, v in enumerate(value.data["Conflict"]) if v}
    assert styled_rows == conflict_rows and len(conflict_rows) == 2
    with open(dl["value"], encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3 and sum(int(r["conflict"]) for r in rows) == 2
    _v, _dl2, summary2 = ws.facts_table(["Acme"], [], "", True)
    assert "2 metric facts" in summary2
    _v, _d, summary3 = ws.facts_table([], [], "margin", False)
    assert "1 metric fact," in summary3


def test_ask_keeps_the_conversation_and_renders_citations(ws: Any) -> None:
    chat, src, turns, box = ws.ask("What price did Twilio pay to acquire Segment?", [])
    assert box == "" and len(turns) == 1 and not turns[0].abstained
    assert 'data-cite="1"' in chat and "kgqa-src" in src
    chat, src, turns, _ = ws.ask("In which year did it complete the purchase?", turns)
    assert len(turns) == 2 and "Twilio" in turns[1].asked
    assert "follow-up read as" in chat
    _c, _s, turns, _ = ws.ask("x" * 5000, turns)
    assert turns[-1].error and "limit" in turns[-1].error


def test_serve_command_is_registered_and_binds_loopback_by_default() -> None:
    from typer.testing import CliRunner

    from kgqa.cli import app
    from ui.app import launch

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for opt in ("--host", "--port", "--index"):
        assert opt in result.output
    assert inspect.signature(launch).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(launch).parameters["port"].default == 7860


def test_vendored_graph_library_is_present_and_offline() -> None:
    from ui.app import VIS_JS

    js = VIS_JS.read_text(encoding="utf-8")
    assert len(js) > 100_000 and "vis-network" in js[:400]
    assert "fonts.googleapis" not in js


def test_evidence_html_outside_the_document_range_is_still_escaped() -> None:
    out = evidence_html(None, _ev("gone.txt", EVIL))
    assert_inert(out)
    assert parse(out).marked == [EVIL]


# ---- LLM settings and answer modes ------------------------------------------------------------------


def test_answer_footer_shows_mode_and_escaped_fallback_note() -> None:
    turns = [
        Turn(question="q", asked="q", text="Offline [1]", mode="offline", notes=["ignored"]),
        Turn(question="q", asked="q", text="Offline again", mode="llm-fallback",
             notes=[f"LLM timed out after 1 s {EVIL}; showing the offline answer"]),
        Turn(question="q", asked="q", text="Written [1]", mode="llm", notes=["mode: llm", f"dropped {EVIL}"]),
        Turn(question="q", asked="q", text=f"So far {EVIL}", streaming=True),
    ]
    chat = conversation_html(turns)
    assert_inert(chat)
    assert chat.count('class="kgqa-mode"') == 3
    for mode in ("offline", "llm-fallback", "llm"):
        assert f'data-mode="{mode}">mode: {mode}</span>' in chat
    assert "LLM timed out after 1 s &lt;script&gt;" in chat and "ignored" not in chat
    assert "1 check note</summary>" in chat
    assert 'data-streaming="1"' in chat and "writing…" in chat


def test_llm_settings_errors_keep_offline_answers(ws: Any) -> None:
    assert not ws.llm_on() and "Offline answers" in ws.llm_status()[1]
    cases = [
        (("openai-compatible", "http://127.0.0.1:9/v1", "", "", "", 5), "needs a model name"),
        (("openai-compatible", "", "m", "", "", 5), "needs the server's URL"),
        (("openai-compatible", "ftp://x", "m", "", "", 5), "must start with http"),
        (("openai-compatible", "http://127.0.0.1:9/v1", "m", "", "", 0), "timeout must be a positive"),
        (("openai-compatible", "http://127.0.0.1:9/v1", "m", "", "not a name", 5), "not an environment variable"),
        (("gpt-magic", "http://127.0.0.1:9/v1", "m", "", "", 5), "unknown LLM provider"),
    ]
    for args, message in cases:
        kind, text = ws.apply_llm(*args)
        assert kind == "error" and message in text and "Still offline" in text, text
        assert not ws.llm_on()
    assert ws.apply_llm("none", "", "", "", "", None)[0] == "info"
    # without an LLM the streaming handler yields the offline answer once
    out = list(ws.ask_stream("What price did Twilio pay to acquire Segment?", []))
    assert len(out) == 1 and out[0][2][0].mode == "offline"
