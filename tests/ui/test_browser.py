"""The workspace driven in headless Chromium against the real server (``pytest -m browser``).

Each test opens a fresh browser context (a new user session). Screenshots go to
``tests/artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path
from typing import Any

import pytest
from ui_helpers import UPLOAD_LIMIT, Server, shot, watch_requests

from ui.tabs.graph import DEFAULT_MAX_NODES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

ANSWER_TIMEOUT = 60_000


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as _expect

    return _expect(locator)


def ask(page: Any, question: str) -> Any:
    """Type ``question``, press Ask, wait for the new turn; return its locator."""
    turns = page.locator("#kgqa-chat .kgqa-turn")
    before = turns.count()
    page.fill("#kgqa-question textarea", question)
    page.click("#kgqa-ask")
    page.wait_for_function(
        "n => { const t = document.querySelectorAll('#kgqa-chat .kgqa-turn');"
        " return t.length > n && t[t.length - 1].querySelector('.kgqa-a'); }",
        arg=before, timeout=ANSWER_TIMEOUT,
    )
    return turns.nth(before)


def open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_ask_shows_cited_answer_and_highlighted_passage(page: Any, server: Server) -> None:
    q = "What was Twilio's fiscal 2024 revenue?"
    expected = server.ws.qa.ask(q)
    assert expected.citations and not expected.abstained

    turn = ask(page, q)
    expect(turn.locator(".kgqa-answer")).to_be_visible()
    assert turn.locator(".kgqa-abstain").count() == 0
    markers = turn.locator("button.kgqa-cite")
    assert markers.count() >= 1
    assert "[1]" in turn.locator(".kgqa-text").inner_text()
    assert "answered in" in turn.locator(".kgqa-latency").inner_text()

    # the sources panel lists every citation, with title, section and the highlighted span
    cards = page.locator("#kgqa-sources .kgqa-srcgroup:not([hidden]) .kgqa-src")
    assert cards.count() == len(expected.citations)
    c = expected.citations[0]
    raw = server.ws.index.docs[c.doc].raw
    first = cards.first
    assert c.title in first.locator(".kgqa-src-head").inner_text()
    if c.section:
        assert c.section in first.locator(".kgqa-src-head").inner_text()
    assert first.locator(".kgqa-passage mark.kgqa-span").text_content() == raw[c.start : c.end]

    # clicking a marker shows the passage in its surrounding text, the span highlighted
    viewer = page.locator("#kgqa-sources .kgqa-viewer")
    assert viewer.locator("mark").count() == 0
    markers.first.click()
    mark = viewer.locator(".kgqa-ctx-body mark.kgqa-span")
    expect(mark).to_be_visible()
    assert mark.text_content() == raw[c.start : c.end]
    body = viewer.locator(".kgqa-ctx-body").text_content() or ""
    assert len(body) > len(raw[c.start : c.end]) + 100  # surrounding text, not just the span
    if c.value_start is not None:
        assert viewer.locator("b.kgqa-value").text_content() == raw[c.value_start : c.value_end]
    shot(page, "ask")


def test_follow_up_abstention_examples_and_source_click(page: Any, server: Server) -> None:
    # an example question, clicked
    page.get_by_role("button", name="What price did Twilio pay to acquire Segment?").click()
    page.wait_for_selector("#kgqa-chat .kgqa-turn .kgqa-a", timeout=ANSWER_TIMEOUT)
    t1 = page.locator("#kgqa-chat .kgqa-turn").first
    expect(t1.locator(".kgqa-answer")).to_be_visible()
    assert "3.2 billion" in t1.inner_text()

    # a follow-up keeps the conversation and is rewritten with the previous subject
    t2 = ask(page, "In which year did it complete the purchase?")
    assert page.locator("#kgqa-chat .kgqa-turn").count() == 2
    assert "Twilio" in t2.locator(".kgqa-rewrite").inner_text()
    expect(t2.locator(".kgqa-a")).to_be_visible()

    # an abstention looks different from an answer
    t3 = ask(page, "Who is the chief executive of Apple?")
    ab = t3.locator(".kgqa-abstain")
    expect(ab).to_be_visible()
    assert "not in the documents" in ab.locator(".kgqa-badge").inner_text().lower()
    style = "e => getComputedStyle(e).borderLeftColor"
    assert ab.evaluate(style) != t1.locator(".kgqa-answer").evaluate(style)

    # a marker of an earlier answer brings back that answer's sources; a source card opens in the viewer
    t1.locator("button.kgqa-cite").first.click()
    group = page.locator('#kgqa-sources .kgqa-srcgroup[data-msg="0"]')
    expect(group).to_be_visible()
    expect(page.locator('#kgqa-sources .kgqa-srcgroup[data-msg="2"]')).to_be_hidden()
    card = group.locator(".kgqa-src").first
    page.locator("#kgqa-sources .kgqa-viewer").evaluate("v => v.replaceChildren()")
    card.click()
    expect(page.locator("#kgqa-sources .kgqa-viewer mark.kgqa-span")).to_be_visible()
    assert "3.2 billion" in page.locator("#kgqa-sources .kgqa-viewer mark.kgqa-span").text_content()
    shot(page, "ask-conversation")


def _node_point(page: Any, eid: str) -> tuple[float, float]:
    return tuple(page.evaluate(
        """id => { const n = window.kgqaNetwork; const p = n.getPositions([id])[id];
                   const d = n.canvasToDOM(p);
                   const r = document.querySelector('#kgqa-graph canvas').getBoundingClientRect();
                   return [r.left + d.x, r.top + d.y]; }""",
        eid,
    ))


def _pick(page: Any, elem_id: str, text: str, label: str | None = None) -> None:
    """Choose an option of a Gradio dropdown by typing ``text`` and clicking the option
    labelled ``label`` (default: the first option containing ``text``)."""
    box = page.locator(f"#{elem_id} input")
    box.click()
    box.fill("")
    box.press_sequentially(text, delay=10)
    listbox = box.get_attribute("aria-controls")
    if label is None:
        page.locator(f"#{listbox} [role=option]", has_text=text).first.click()
    else:
        quoted = label.replace("\\", "\\\\").replace('"', '\\"')
        page.locator(f'#{listbox} [role=option][aria-label="{quoted}"]').click()


def test_open_answer_points_and_comparison_table(page: Any, server: Server) -> None:
    """An open question shows its points as a list; a comparison a table under the lead; markers work."""
    t1 = ask(page, "What are the weaknesses of Twilio's CPaaS business?")
    points = t1.locator("ul.kgqa-points li.kgqa-point")
    assert points.count() >= 2
    assert all(points.nth(i).locator("button.kgqa-cite").count() >= 1 for i in range(points.count()))
    t2 = ask(page, "Compare Segment and Flex.")
    table = t2.locator("table.kgqa-compare")
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() == 2 and table.locator("thead th").count() >= 3
    assert "Segment" in t2.locator(".kgqa-lead").inner_text()
    table.locator("button.kgqa-cite").first.click()
    expect(page.locator("#kgqa-sources .kgqa-viewer.kgqa-viewer-on mark.kgqa-span")).to_be_visible()
    shot(page, "ask-open-and-compare")


def test_graph_select_node_expand_and_path(page: Any, server: Server) -> None:
    g = server.ws.graph()
    if not g.available:
        pytest.skip(f"the index has no knowledge graph ({g.error})")
    open_tab(page, "Graph")
    page.wait_for_selector('#kgqa-graph [data-stable="1"]', timeout=60_000)
    nodes = page.locator("#kgqa-graph [data-nodes]")
    n_all = int(nodes.get_attribute("data-nodes"))
    assert n_all > 5

    # filter by entity type: unticking the most common type removes its nodes; ticking brings them back
    def left(t: str) -> int:
        return len(g.default_nodes([x for x in g.types() if x != t], DEFAULT_MAX_NODES))

    common = min(g.types(), key=left)
    assert left(common) < n_all
    page.locator("#kgqa-gtypes label", has_text=common).first.click()
    page.wait_for_function(
        f"() => +document.querySelector('#kgqa-graph [data-nodes]').dataset.nodes === {left(common)}", timeout=20_000
    )
    page.locator("#kgqa-gtypes label", has_text=common).first.click()
    page.wait_for_function(f"() => +document.querySelector('#kgqa-graph [data-nodes]').dataset.nodes === {n_all}",
                           timeout=20_000)
    page.wait_for_selector('#kgqa-graph [data-stable="1"]', timeout=60_000)

    # click an edge: the facts behind it, with their passages
    edge_point = page.evaluate(
        """() => { const n = window.kgqaNetwork; const ids = n.body.data.edges.getIds();
                   const r = document.querySelector('#kgqa-graph canvas').getBoundingClientRect();
                   for (const id of ids) {
                     const e = n.body.edges[id]; if (!e || e.from.id === e.to.id) continue;
                     const p = n.canvasToDOM(e.edgeType.getPoint(0.5));
                     if (p.x > 20 && p.y > 20 && p.x < r.width - 20 && p.y < r.height - 20
                         && n.getNodeAt(p) === undefined) return [r.left + p.x, r.top + p.y, id];
                   }
                   return null; }"""
    )
    assert edge_point is not None, "no clickable edge on the canvas"
    page.mouse.click(edge_point[0], edge_point[1])
    edge_panel = page.locator("#kgqa-gdetail .kgqa-edge")
    expect(edge_panel).to_be_visible(timeout=20_000)
    assert edge_panel.locator("mark.kgqa-span").count() >= 1

    # click the best-evidenced node on the canvas: its facts are listed with cited passages
    eid = g.default_nodes(None, 1)[0]
    page.mouse.click(*_node_point(page, eid))
    panel = page.locator(f'#kgqa-gdetail .kgqa-entity[data-entity="{eid}"]')
    expect(panel).to_be_visible(timeout=20_000)
    assert g.name(eid) in panel.locator("h3").inner_text()
    assert panel.locator(".kgqa-fact").count() >= 1
    assert panel.locator("mark.kgqa-span").count() >= 1
    ev = panel.locator(".kgqa-ev").first
    assert ev.locator("mark.kgqa-span").text_content()

    # expand neighbours of the selection
    page.click("#kgqa-gexpand")
    expect(page.locator("#kgqa-graph .kgqa-net-msg")).to_contain_text("Expanded", timeout=20_000)
    shot(page, "graph")

    # search an entity, then a path between two entities two or three steps apart
    labels = {eid: label for label, eid in g.entity_choices()}
    ranked = g.default_nodes(None, 40)
    a, b, steps = next(
        (x, y, g.path(x, y)) for x in ranked[1:] for y in ranked if 2 <= len(g.path(x, y)) <= 3
    )
    _pick(page, "kgqa-gsearch", g.name(a), labels[a])
    expect(page.locator("#kgqa-gdetail .kgqa-entity h3")).to_contain_text(g.name(a), timeout=20_000)
    _pick(page, "kgqa-path-a", g.name(a), labels[a])
    _pick(page, "kgqa-path-b", g.name(b), labels[b])
    page.click("#kgqa-gpath")
    path = page.locator("#kgqa-gdetail .kgqa-path")
    expect(path).to_be_visible(timeout=20_000)
    assert path.locator(".kgqa-fact").count() == len(steps)
    assert path.locator("mark.kgqa-span").count() >= len(steps)
    page.wait_for_selector('#kgqa-graph [data-stable="1"]', timeout=30_000)
    shot(page, "graph-path")


def test_facts_table_filter_and_csv(page: Any, server: Server, tmp_path: Path) -> None:
    g = server.ws.graph()
    if not g.available:
        pytest.skip(f"the index has no knowledge graph ({g.error})")
    rows = g.metric_rows()
    open_tab(page, "Facts")
    expect(page.locator("#kgqa-f-summary")).to_contain_text(f"{len(rows)} metric fact", timeout=20_000)
    expect(page.locator("#kgqa-facts").get_by_text(rows[0]["metric"], exact=True).filter(visible=True).first).to_be_visible()
    page.wait_for_timeout(800)  # the tab's fade-in
    shot(page, "facts", full_page=False)

    with page.expect_download() as dl:
        page.click("#kgqa-facts-csv")
    target = tmp_path / "facts.csv"
    dl.value.save_as(target)
    with open(target, encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == len(rows)
    assert {"entity", "metric", "value", "unit", "period", "qualifier", "source", "conflict"} <= set(table[0])
    assert {r["entity"] for r in table} == {r["entity"] for r in rows}

    # filter, then the CSV holds exactly the filtered rows
    word = rows[0]["metric"].split()[0]
    page.fill("#kgqa-f-text textarea, #kgqa-f-text input", word)
    page.press("#kgqa-f-text textarea, #kgqa-f-text input", "Enter")
    n = sum(1 for r in rows if any(word.lower() in str(v).lower() for v in r.values()))
    expect(page.locator("#kgqa-f-summary")).to_contain_text(f"{n} metric fact", timeout=20_000)
    time.sleep(0.5)
    with page.expect_download() as dl2:
        page.click("#kgqa-facts-csv")
    dl2.value.save_as(target)
    with open(target, encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == n


def hide_toasts(page: Any) -> None:
    page.evaluate("() => document.querySelectorAll('.toast-wrap').forEach(e => { e.style.display = 'none'; })")


def _upload(page: Any, *files: Path) -> Any:
    page.locator("#kgqa-upload input[type=file]").set_input_files([str(f) for f in files])
    status = page.locator("#kgqa-upload-status .kgqa-msg")
    expect(status).to_be_visible(timeout=120_000)
    expect(status).not_to_have_class(re.compile("kgqa-msg-info"), timeout=120_000)  # past "Ingesting ..."
    return status


def test_upload_then_ask_and_bad_files(page: Any, server: Server, tmp_path: Path) -> None:
    ws = server.ws
    n_docs = len(ws.index.docs)
    open_tab(page, "Documents")
    expect(page.locator("#kgqa-docs")).to_contain_text("twilio-cpaas-ai-native-alternatives.txt")

    # a bad file: clear message, index unchanged
    empty = tmp_path / "empty-note.txt"
    empty.write_text("   \n\n  ", encoding="utf-8")
    root_before = ws.qa.snapshot.root
    status = _upload(page, empty)
    expect(status).to_have_class("kgqa-msg kgqa-msg-error")
    assert "empty" in status.inner_text().lower() and "unchanged" in status.inner_text().lower()
    assert len(ws.index.docs) == n_docs and ws.qa.snapshot.root == root_before

    # too large: rejected with a clear message (by Gradio's upload limit or ours)
    big = tmp_path / "huge-report.txt"
    big.write_text("Revenue grew. " * (UPLOAD_LIMIT // 10), encoding="utf-8")
    page.locator("#kgqa-upload input[type=file]").set_input_files(str(big))
    page.wait_for_function(
        "() => /exceeds|over the upload limit|too large|max/i.test(document.body.innerText)", timeout=30_000
    )
    assert len(ws.index.docs) == n_docs

    # a good file: ingested with progress, listed, answerable, in the graph
    note = tmp_path / "zephyr-analytics-note.txt"
    note.write_text(
        "Zephyr Analytics: Q3 Update\n\n"
        "Zephyr Analytics reported fiscal 2024 revenue of $812 million, up 14% year over year.\n"
        "Zephyr Analytics competes with Twilio in customer engagement software.\n",
        encoding="utf-8",
    )
    status = _upload(page, note)
    expect(status).to_have_class("kgqa-msg kgqa-msg-ok", timeout=120_000)  # "Ingesting ..." until it is in
    assert "zephyr-analytics-note.txt" in status.inner_text()
    expect(page.locator("#kgqa-docs")).to_contain_text("zephyr-analytics-note.txt", timeout=20_000)
    assert len(ws.index.docs) == n_docs + 1
    _pick(page, "kgqa-doc-pick", "zephyr-analytics-note.txt")
    expect(page.locator("#kgqa-doc-view pre.kgqa-raw")).to_contain_text("$812 million")
    page.mouse.click(5, 5)
    page.wait_for_timeout(600)
    hide_toasts(page)
    shot(page, "documents")

    open_tab(page, "Ask")
    turn = ask(page, "What was Zephyr Analytics' fiscal 2024 revenue?")
    expect(turn.locator(".kgqa-answer")).to_be_visible()
    assert "812" in turn.locator(".kgqa-text").inner_text()
    assert page.locator("#kgqa-sources .kgqa-srcgroup:not([hidden]) .kgqa-src", has_text="zephyr-analytics-note.txt").count() >= 1

    g = ws.graph()
    if g.available:
        eid = g.find("Zephyr Analytics")
        assert eid is not None, "the uploaded document's company is not in the graph"
        assert any(
            ev.doc == "zephyr-analytics-note.txt" for f in g.facts_of(eid) for ev in f.evidence
        ) or any(ev.doc == "zephyr-analytics-note.txt" for ev in g.entities[eid].evidence)


XSS_TXT = (
    '<img src=x onerror="window.__kgqa_xss=1"> Quillfeather probe\n\n'
    "Quillfeather Labs booked fiscal 2024 revenue of $77 million <script>window.__kgqa_xss=2</script> "
    'according to its filing <img src=x onerror="window.__kgqa_xss=3">.\n'
)
XSS_HTML = (
    "<html><head><title>Marrow <b>probe</b></title><script>window.__kgqa_xss=4</script></head><body>"
    "<h1>Marrow Systems</h1><p>Marrow Systems grew its gross margin to 61% in fiscal 2024 "
    "<img src=x onerror=\"window.__kgqa_xss=5\"> on software mix.</p></body></html>"
)


def test_xss_documents_show_as_text(page: Any, server: Server, tmp_path: Path) -> None:
    probe = tmp_path / "quillfeather-probe.txt"
    probe.write_text(XSS_TXT, encoding="utf-8")
    probe_html = tmp_path / "marrow-probe.html"
    probe_html.write_text(XSS_HTML, encoding="utf-8")
    open_tab(page, "Documents")
    status = _upload(page, probe, probe_html)
    expect(status).to_have_class("kgqa-msg kgqa-msg-ok")
    expect(page.locator("#kgqa-docs")).to_contain_text("quillfeather-probe.txt", timeout=20_000)

    # titles made of markup are shown as text in the documents table
    expect(page.locator("#kgqa-docs")).to_contain_text('<img src=x onerror="window.__kgqa_xss=1">')

    # the raw document in the viewer is text
    _pick(page, "kgqa-doc-pick", "quillfeather-probe.txt")
    raw = page.locator("#kgqa-doc-view pre.kgqa-raw")
    expect(raw).to_contain_text("<script>window.__kgqa_xss=2</script>", timeout=20_000)

    open_tab(page, "Ask")
    turn = ask(page, "What fiscal 2024 revenue did Quillfeather Labs book?")
    assert "Quillfeather" in turn.inner_text()
    turn.locator("button.kgqa-cite").first.click()
    expect(page.locator("#kgqa-sources .kgqa-viewer mark.kgqa-span")).to_be_visible()
    assert "<script>" in page.locator("#kgqa-sources").inner_text() or "<img" in page.locator("#kgqa-sources").inner_text()
    ask(page, "What gross margin did Marrow Systems reach in fiscal 2024?")
    for tab in ("Graph", "Facts", "Documents"):
        open_tab(page, tab)
        time.sleep(0.5)
    g = server.ws.graph()
    evil_rows = [r for r in g.metric_rows() if "__kgqa_xss" in r["evidence"]] if g.available else []
    if evil_rows:  # the knowledge graph read a fact from the probe: its evidence is shown as text
        open_tab(page, "Facts")
        page.fill("#kgqa-f-text textarea, #kgqa-f-text input", "__kgqa_xss")
        page.press("#kgqa-f-text textarea, #kgqa-f-text input", "Enter")
        expect(page.locator("#kgqa-f-summary")).to_contain_text(f"{len(evil_rows)} metric fact", timeout=20_000)
        expect(page.locator("#kgqa-facts")).to_contain_text("__kgqa_xss")
    open_tab(page, "Ask")
    time.sleep(0.5)
    shot(page, "xss")

    assert page.evaluate("() => window.__kgqa_xss") is None, "a document's markup ran as code"
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("() => [...document.scripts].some(s => s.textContent.includes('__kgqa_xss'))") is False
    assert not [u for u in server.external if u.endswith("/x")]


def test_eight_concurrent_questions(browser: Any, server: Server) -> None:
    questions = [
        "What was Twilio's fiscal 2024 revenue?",
        "What price did Twilio pay to acquire Segment?",
        "What share of its workforce has Twilio cut since 2022?",
        "In which year did Twilio complete its purchase of Segment?",
        "Which companies compete with Twilio on communication APIs?",
        "What is Segment's revenue?",
        "What does the insider selling commentary say about Twilio's cloud spend?",
        "Who is the chief executive of Apple?",
    ]
    ctx = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in questions]
    pages = [c.new_page() for c in ctx]
    try:
        for p in pages:
            watch_requests(p, server)
            p.goto(server.url)
        for p in pages:
            p.wait_for_selector("#kgqa-question textarea", timeout=60_000)
            page_ready = p.locator("#kgqa-ask")
            expect(page_ready).to_be_enabled()
        for p, q in zip(pages, questions, strict=True):
            p.fill("#kgqa-question textarea", q)
        t0 = time.perf_counter()
        for p in pages:
            p.click("#kgqa-ask", no_wait_after=True)
        for p in pages:
            p.wait_for_selector("#kgqa-chat .kgqa-turn .kgqa-a", timeout=ANSWER_TIMEOUT)
        elapsed = time.perf_counter() - t0
        for p, q in zip(pages, questions, strict=True):
            turns = p.locator("#kgqa-chat .kgqa-turn")
            assert turns.count() == 1
            assert q in turns.first.locator(".kgqa-q").inner_text()  # each session sees its own question
            assert turns.first.locator(".kgqa-error").count() == 0
            assert turns.first.locator(".kgqa-answer, .kgqa-abstain").count() == 1
        shot(pages[0], "concurrent", full_page=False)
        assert elapsed < 60
    finally:
        for c in ctx:
            c.close()


def test_no_request_leaves_the_machine(page: Any, server: Server) -> None:
    """Runs last: no page of any test asked a host other than the local server for anything."""
    for tab in ("Graph", "Facts", "Documents", "Ask"):
        open_tab(page, tab)
    page.wait_for_timeout(1000)
    assert server.external == [], f"requests to the internet: {sorted(set(server.external))[:10]}"
