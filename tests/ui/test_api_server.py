"""`kgqa serve --api-only` (ui/api_server.py): the API alone on uvicorn, its authentication (shared with
the UI's), and the graph routes over other graphs (one with conflicts, none at all)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ui_helpers import free_port, graph_records

from core.config import Settings
from engine.qa import QA
from kg.store import NetworkXGraphStore
from ui.api_server import ApiServer
from ui.app import launch
from ui.auth import Credentials
from ui.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
CREDS = Credentials("analyst", "correct horse battery staple")


@pytest.fixture(scope="module")
def module_qa(ui_settings: Settings) -> QA:
    return QA.load(ui_settings.index_dir, ui_settings)


def serve(ws: Workspace, **kwargs: Any) -> Iterator[httpx.Client]:
    server = ApiServer(ws, port=free_port(), quiet=True, **kwargs)
    server.start()
    try:
        with httpx.Client(base_url=server.url + "/api/v1", timeout=120) as client:
            yield client
    finally:
        server.close()


@pytest.fixture(scope="module")
def guarded(module_qa: QA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    yield from serve(Workspace(module_qa, uploads_dir=tmp_path_factory.mktemp("up")), auth=CREDS)


def test_api_asks_for_the_credentials(guarded: httpx.Client) -> None:
    for method, path, body in (("GET", "/documents", None), ("POST", "/ask", {"question": "revenue?"}),
                               ("GET", "/graph/entities", None), ("GET", "/openapi.json", None),
                               ("GET", "/docs", None), ("POST", "/documents", None)):
        for auth in (None, ("analyst", "wrong"), ("someone", CREDS.password)):
            r = guarded.request(method, path, json=body, auth=auth)
            assert r.status_code == 401 and r.json()["code"] == "unauthorized", (path, auth, r.text)
            assert r.headers["www-authenticate"] == 'Basic realm="kgqa"'
        ok = guarded.request(method, path, json=body, auth=(CREDS.username, CREDS.password))
        assert ok.status_code in (200, 400), (path, ok.text)  # 400: POST /documents without files
    garbage = guarded.get("/documents", headers={"authorization": "Basic %%%not-base64"})
    assert garbage.status_code == 401


def test_health_is_open_but_hides_the_index_without_credentials(guarded: httpx.Client) -> None:
    anon = guarded.get("/health").json()
    assert anon == {"status": "ok", "version": anon["version"], "auth": True, "index": None}
    full = guarded.get("/health", auth=(CREDS.username, CREDS.password)).json()
    assert full["index"]["documents"] > 0


def test_schema_documents_the_authentication(guarded: httpx.Client) -> None:
    schema = guarded.get("/openapi.json", auth=(CREDS.username, CREDS.password)).json()
    assert schema["components"]["securitySchemes"] == {"basic": {"type": "http", "scheme": "basic"}}
    for path, ops in schema["paths"].items():
        for op in ops.values():
            if path == "/health":
                assert "security" not in op
            else:
                assert op["security"] == [{"basic": []}] and "401" in op["responses"]


def test_the_ui_and_the_api_share_one_credential(module_qa: QA, ui_settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    demo, _ws = launch(module_qa, ui_settings, port=port, block=False, quiet=True, uploads_dir=tmp_path, auth=CREDS)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            assert c.get("/config").status_code == 401
            assert c.get("/api/v1/documents").status_code == 401
            assert c.post("/login", data={"username": "analyst", "password": "wrong"}).status_code >= 400
            assert c.post("/login", data={"username": CREDS.username, "password": CREDS.password}).status_code == 200
            assert c.get("/config").status_code == 200  # the UI, now logged in
            assert c.get("/api/v1/documents", auth=(CREDS.username, CREDS.password)).status_code == 200
    finally:
        demo.close()


def test_graph_routes_over_a_graph_with_conflicts(module_qa: QA, tmp_path: Path) -> None:
    store = NetworkXGraphStore.from_records(*graph_records())
    ws = Workspace(module_qa, uploads_dir=tmp_path, graph_provider=lambda _index: store)
    for api in serve(ws):
        conflicts = api.get("/facts", params={"conflicts_only": True}).json()
        assert conflicts["total"] == 2
        assert {f["value"] for f in conflicts["facts"]} == {5e6, 7e6} and all(f["conflict"] for f in conflicts["facts"])
        assert api.get("/facts", params={"entity": "ACME", "metric": "Revenue", "period": "fy2024"}).json()["total"] == 2
        path = api.get("/graph/path", params={"from": "Acme", "to": "Widget"}).json()
        assert [s["fact"]["predicate"] for s in path["steps"]] == ["COMPETES_WITH", "OFFERS"]
        widget = api.get("/graph/entities/p:widget").json()
        assert widget["mentions"] == [] and [n["id"] for n in widget["neighbors"]] == ["c:bolt"]
        # evidence from documents that are not in the index is never shown
        acme = api.get("/graph/entities/c:acme").json()
        assert all(f["evidence"] == [] for f in acme["facts"])


def test_graph_routes_without_a_graph_are_503(module_qa: QA, tmp_path: Path) -> None:
    ws = Workspace(module_qa, uploads_dir=tmp_path, graph_provider=lambda _index: None)
    for api in serve(ws):
        for path in ("/graph/entities", "/graph/entities/x", "/facts"):
            r = api.get(path)
            assert r.status_code == 503 and r.json()["code"] == "graph_unavailable" and r.headers["retry-after"]
        assert api.get("/graph/path", params={"from": "a", "to": "b"}).status_code == 503
        health = api.get("/health").json()
        assert health["index"]["graph"] is False
        assert api.post("/ask", json={"question": "What was Twilio's fiscal 2024 revenue?"}).status_code == 200


def test_kgqa_serve_api_only(ui_settings: Settings) -> None:
    """The real command: no Gradio, the API and its docs; Ctrl+C stops it."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgqa.cli", "serve", "--api-only", "--index", str(ui_settings.index_dir),
         "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/api/v1/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.5)
        answer = httpx.post(base + "/api/v1/ask", json={"question": "What was Twilio's fiscal 2024 revenue?"},
                            timeout=120).json()
        assert answer["citations"] and not answer["abstained"]
        assert httpx.get(base + "/").headers["location"] == "/api/v1/docs"
        assert httpx.get(base + "/config").json()["code"] == "not_found"  # no Gradio here
        assert httpx.get(base + "/api/v1/docs").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, 130), err  # 130: stopped by Ctrl+C, as every kgqa command
    assert "serving the JSON API" in err and "Traceback" not in err
