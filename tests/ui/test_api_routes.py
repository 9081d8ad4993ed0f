"""ui/api.py on a real `kgqa serve` server (Gradio + API, 127.0.0.1): every read route, and its errors."""

from __future__ import annotations

from typing import Any

import httpx
import networkx as nx
import pytest
from typer.testing import CliRunner
from ui_helpers import Server

from kgqa.cli import app as cli

QUESTIONS = [
    "What was Twilio's fiscal 2024 revenue?",
    "What price did Twilio pay to acquire Segment?",
    "Which companies compete with Twilio on communication APIs?",
    "Who is the CEO of Apple?",  # not in the corpus: an abstention
    "What was Twilio's revenue in fiscal 2024 and how many employees were cut?",  # two parts
]


def without_timings(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != "timings_ms"}


def assert_error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["code"] == code and body["message"], body
    assert "Traceback" not in r.text and 'File "' not in r.text
    return dict(body)


def cli_answer(server: Server, question: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["ask", "--json", "--index", str(server.settings.index_dir), question])
    assert result.exit_code == 0, result.output
    return dict(httpx.Response(200, content=result.stdout.strip().splitlines()[-1]).json())


# ---- asking --------------------------------------------------------------------------------------


def test_ask_gives_the_same_object_as_the_cli(server: Server, api: httpx.Client) -> None:
    for q in QUESTIONS:
        r = api.post("/ask", json={"question": q})
        assert r.status_code == 200, r.text
        got = r.json()
        assert without_timings(got) == without_timings(cli_answer(server, q)), q
        assert set(got["timings_ms"]) >= {"total"}
    assert any(api.post("/ask", json={"question": q}).json()["abstained"] for q in QUESTIONS)


def test_answer_shapes_come_through_the_api(api: httpx.Client) -> None:
    """Open answers carry their points, comparisons their table, computations their inputs."""
    cases = {
        "What are the weaknesses of Twilio's CPaaS business?": "points",
        "Compare the near-term and long-term scenarios.": "comparison",
        "What is the difference between Communications FY2024 revenue and Segment FY2024 revenue?": "computation",
    }
    for q, field in cases.items():
        got = api.post("/ask", json={"question": q}).json()
        assert not got["abstained"] and got[field], (q, got["answer_type"])
        ns = {c["n"] for c in got["citations"]}
        if field == "points":
            assert all(set(p["citations"]) <= ns and p["citations"] for p in got["points"])
        if field == "comparison":
            assert all(set(c["citations"]) <= ns for row in got["comparison"]["cells"] for c in row)
        if field == "computation":
            assert all(i["citation"] in ns for i in got["computation"]["inputs"])


def test_citations_round_trip_through_the_documents_route(api: httpx.Client) -> None:
    answer = api.post("/ask", json={"question": QUESTIONS[0], "k": 4}).json()
    assert answer["citations"] and len(answer["passages"]) <= 4
    raw = {}
    for c in answer["citations"]:
        if c["doc"] not in raw:
            raw[c["doc"]] = api.get(f"/documents/{c['doc']}").json()["raw"]
        assert raw[c["doc"]][c["start"]:c["end"]] == c["text"]
        if c["value_start"] is not None:
            assert c["start"] <= c["value_start"] < c["value_end"] <= c["end"]
            assert raw[c["doc"]][c["value_start"]:c["value_end"]] in answer["answer"] or answer["value"]


def test_ask_options_are_applied(api: httpx.Client) -> None:
    few = api.post("/ask", json={"question": QUESTIONS[2], "k": 1}).json()
    assert len(few["passages"]) == 1
    no_graph = api.post("/ask", json={"question": QUESTIONS[1], "use_graph": False}).json()
    assert no_graph["route"] in {"passages", "none"}


def test_batch_answers_in_order_and_reports_bad_questions(api: httpx.Client) -> None:
    qs = [QUESTIONS[0], "   ", QUESTIONS[1], "x" * 3000]
    r = api.post("/ask/batch", json={"questions": qs})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["answered"], body["failed"]) == (2, 2) and len(body["answers"]) == 4
    for i in (0, 2):
        single = api.post("/ask", json={"question": qs[i]}).json()
        assert without_timings(body["answers"][i]) == without_timings(single)
    assert body["answers"][1]["error"]["code"] == "bad_question" and "empty" in body["answers"][1]["error"]["message"]
    assert "limit is 2,000" in body["answers"][3]["error"]["message"]


@pytest.mark.parametrize(("body", "code"), [
    ({"question": ""}, "bad_question"),
    ({"question": " \n\t "}, "bad_question"),
    ({"question": "x" * 2001}, "bad_question"),
    ({"question": 42}, "bad_question"),
    ({}, "bad_question"),
    ({"question": "revenue?", "k": 0}, "invalid_request"),
    ({"question": "revenue?", "k": 101}, "invalid_request"),
    ({"question": "revenue?", "colour": "red"}, "invalid_request"),
    (b'{"question": "\\ud800 revenue?"}', "bad_question"),  # valid JSON, not valid Unicode
    ([1, 2], "invalid_request"),
])
def test_bad_requests_are_400_with_a_code(api: httpx.Client, body: Any, code: str) -> None:
    if isinstance(body, bytes):
        r = api.post("/ask", content=body, headers={"content-type": "application/json"})
    else:
        r = api.post("/ask", json=body)
    assert_error(r, 400, code)


def test_malformed_and_oversized_bodies(api: httpx.Client) -> None:
    assert_error(api.post("/ask", content=b"{not json", headers={"content-type": "application/json"}),
                 400, "invalid_request")
    assert_error(api.post("/ask/batch", json={"questions": []}), 400, "bad_question")
    assert_error(api.post("/ask/batch", json={"questions": ["q"] * 101}), 400, "bad_question")
    big = b'{"question": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    assert_error(api.post("/ask", content=big, headers={"content-type": "application/json"}), 413, "too_large")


def test_unknown_routes_and_methods(api: httpx.Client) -> None:
    assert_error(api.get("/nope"), 404, "not_found")
    r = api.delete("/ask")
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "POST"


# ---- documents -----------------------------------------------------------------------------------


def test_documents_list_and_text(server: Server, api: httpx.Client) -> None:
    idx = server.ws.index
    body = api.get("/documents").json()
    assert body["total"] == len(idx.docs) == len(body["documents"])
    for d in body["documents"]:
        rec = idx.docs[d["id"]]
        assert (d["title"], d["kind"], d["sha256"]) == (rec.title, rec.kind, rec.sha256)
        assert d["chunks"] == sum(1 for c in idx.chunks if c.doc == rec.id) > 0
        assert d["units"] == sum(1 for u in idx.units if u.doc == rec.id)
        assert d["entities"] > 0 and d["pages"] is None
        full = api.get(f"/documents/{d['id']}").json()
        assert full["raw"] == rec.raw and full["id"] == d["id"]
    page = api.get("/documents", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == len(idx.docs) and [d["id"] for d in page["documents"]] == [body["documents"][1]["id"]]
    assert_error(api.get("/documents/no-such-file.txt"), 404, "unknown_document")
    assert_error(api.get("/documents", params={"limit": 0}), 400, "invalid_request")


# ---- the graph -----------------------------------------------------------------------------------


def test_entity_search(server: Server, api: httpx.Client) -> None:
    g = server.ws.graph()
    everyone = api.get("/graph/entities", params={"limit": 1000}).json()
    assert everyone["total"] == len(g.entities) == len(everyone["entities"])
    counts = [e["evidence"] for e in everyone["entities"]]
    assert counts == sorted(counts, reverse=True)  # best-evidenced first
    top = everyone["entities"][0]
    for q in (top["name"], top["name"].upper(), top["id"], top["name"][:4]):
        found = api.get("/graph/entities", params={"q": q}).json()["entities"]
        assert found and found[0]["id"] == top["id"], q
    typed = api.get("/graph/entities", params={"type": "company", "limit": 1000}).json()
    assert typed["total"] == sum(1 for e in g.entities.values() if e.type == "Company") > 0
    assert all(e["type"] == "Company" for e in typed["entities"])
    assert api.get("/graph/entities", params={"q": "zzqqxx-nothing"}).json() == {"total": 0, "entities": []}


def test_entity_detail_has_facts_with_exact_evidence(server: Server, api: httpx.Client) -> None:
    g = server.ws.graph()
    idx = server.ws.index
    eid = max(g.entities, key=lambda e: len(g.facts_of(e)))
    body = api.get(f"/graph/entities/{eid}").json()
    assert body["id"] == eid and body["name"] == g.entities[eid].name
    assert len(body["facts"]) == len(g.facts_of(eid)) > 0
    n_evidence = 0
    for f in body["facts"]:
        assert eid in (f["subject"]["id"], (f["object"] or {}).get("id"))
        for ev in f["evidence"]:
            assert idx.docs[ev["doc"]].raw[ev["start"]:ev["end"]] == ev["text"]
            assert ev["title"] == idx.docs[ev["doc"]].title
            n_evidence += 1
    assert n_evidence > 0
    assert {n["id"] for n in body["neighbors"]} == g.neighbors(eid)
    by_name = api.get(f"/graph/entities/{g.entities[eid].name}").json()
    assert by_name["id"] == eid
    assert_error(api.get("/graph/entities/nobody-at-all"), 404, "unknown_entity")


def two_steps_apart(g: Any) -> tuple[str, str]:
    """Two entities linked through a third, not directly."""
    for a in sorted(g.adj):
        for m in sorted(g.adj[a]):
            for b in sorted(g.adj[m]):
                if b != a and b not in g.adj[a] and len(g.path(a, b)) >= 2:
                    return a, b
    raise AssertionError("no two entities are two steps apart")


def unconnected(g: Any) -> tuple[str, str] | None:
    """Two entities no chain of facts links (from different components of the view's edges)."""
    parts = sorted(nx.connected_components(nx.Graph(g.adj)) if g.adj else [], key=len)
    singles = [e for e in sorted(g.entities) if e not in g.adj]
    candidates = [*(sorted(p)[0] for p in parts), *singles]
    for x in candidates[:10]:
        for y in candidates[:10]:
            if x < y and not g.path(x, y):
                return x, y
    return None


def test_path_between_entities(server: Server, api: httpx.Client) -> None:
    g = server.ws.graph()
    a, b = two_steps_apart(g)
    body = api.get("/graph/path", params={"from": g.entities[a].name, "to": b}).json()
    assert body["connected"] and body["from"]["id"] == a and body["to"]["id"] == b
    assert len(body["steps"]) == len(g.path(a, b))
    here = a
    for step in body["steps"]:  # a chain: each step leaves from where the last one arrived
        assert step["from"]["id"] == here
        assert {step["fact"]["subject"]["id"], step["fact"]["object"]["id"]} == {here, step["to"]["id"]}
        here = step["to"]["id"]
    assert here == b
    lonely = unconnected(g)
    if lonely:
        none = api.get("/graph/path", params={"from": lonely[0], "to": lonely[1]}).json()
        assert none["connected"] is False and none["steps"] == []
    assert_error(api.get("/graph/path", params={"from": a, "to": "nobody-at-all"}), 404, "unknown_entity")
    assert_error(api.get("/graph/path", params={"from": a}), 400, "invalid_request")


def test_facts_filters(server: Server, api: httpx.Client) -> None:
    g = server.ws.graph()
    metric_facts = [f for f in g.facts if f.value is not None or (f.object is None and f.metric is not None)]
    everything = api.get("/facts").json()
    assert everything["total"] == len(metric_facts)
    f0 = metric_facts[0]
    subject = g.entities[f0.subject].name
    body = api.get("/facts", params={"entity": subject, "metric": f0.metric.upper()}).json()
    assert body["total"] >= 1
    for f in body["facts"]:
        assert f["subject"]["id"] == f0.subject or (f["object"] or {}).get("id") == f0.subject
        assert f["metric"].lower() == f0.metric.lower() and f["value"] is not None
    if f0.period:
        dated = api.get("/facts", params={"entity": subject, "period": f0.period}).json()
        assert dated["total"] >= 1 and all(f["period"] == f0.period for f in dated["facts"])
    relations = api.get("/facts", params={"kind": "relation"}).json()
    assert relations["total"] == len(g.facts) - len(metric_facts)
    assert all(f["object"] is not None for f in relations["facts"])
    assert api.get("/facts", params={"kind": "all", "limit": 1}).json()["total"] == len(g.facts)
    conflicts = api.get("/facts", params={"conflicts_only": True, "kind": "all"}).json()
    assert conflicts["total"] == sum(1 for f in g.facts if g.is_conflict(f))
    assert_error(api.get("/facts", params={"entity": "nobody-at-all"}), 404, "unknown_entity")
    assert_error(api.get("/facts", params={"kind": "opinions"}), 400, "invalid_request")


# ---- health and the schema -----------------------------------------------------------------------


def test_health(server: Server, api: httpx.Client) -> None:
    r = api.get("/health")
    body = r.json()
    assert r.status_code == 200 and body["status"] == "ok" and body["auth"] is False
    g = server.ws.graph()
    assert body["index"] == {"documents": len(server.ws.index.docs), "chunks": len(server.ws.index.chunks),
                             "graph": True, "entities": len(g.entities), "facts": len(g.facts), "llm": "offline"}


def test_openapi_describes_every_route_and_error(api: httpx.Client) -> None:
    schema = api.get("/openapi.json").json()
    assert schema["servers"] == [{"url": "/api/v1"}]
    routes = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert routes == {("POST", "/ask"), ("POST", "/ask/batch"), ("GET", "/documents"), ("POST", "/documents"),
                      ("GET", "/documents/{doc_id}"), ("GET", "/graph/entities"), ("GET", "/graph/entities/{entity_id}"),
                      ("GET", "/graph/path"), ("GET", "/facts"), ("GET", "/health")}
    schemas = schema["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and {"ApiError", "AnswerOut", "CitationOut"} <= set(schemas)
    for path, ops in schema["paths"].items():
        for op in ops.values():
            assert "422" not in op["responses"] and op.get("summary"), path
            if path != "/health":
                assert op["responses"]["400"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ApiError"}
    answer_fields = set(schemas["AnswerOut"]["properties"])
    assert {"question", "answer", "citations", "abstained", "route", "passages", "conflicts"} <= answer_fields
    assert schemas["AnswerOut"]["additionalProperties"] is True  # fields added later pass through


def test_docs_page_is_served_offline(api: httpx.Client) -> None:
    page = api.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # every asset from this server
    for asset in ("/docs-static/swagger-ui-bundle.js", "/docs-static/swagger-ui.css"):
        assert api.get(asset).status_code == 200
    assert api.get("/redoc").status_code == 200
    assert api.get("/", follow_redirects=False).headers["location"] == "/api/v1/docs"
