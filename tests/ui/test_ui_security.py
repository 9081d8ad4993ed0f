"""Issue 10, items 1, 4a (Gradio) and 6 (temp folders), on real servers: the LLM panel never
sends a server environment variable a client picks; authentication; binding beyond loopback;
invalid text through the Gradio API; ``kgqa serve`` cleans up after itself."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from ui_helpers import Server, free_port, locked_server

from core.config import Settings
from engine.qa import QA
from ui.tabs.llm_panel import LLMPanel
from ui.workspace import Workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine" / "llm"))

from llm_stub import Reply, StubLLM

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "What was Twilio's fiscal 2024 revenue?"

pytest.importorskip("llama_index.llms.openai_like", reason="the [llm] extra is not installed")


@pytest.fixture()
def stubs() -> Iterator[tuple[StubLLM, StubLLM]]:
    with StubLLM() as a, StubLLM() as b:
        for s in (a, b):
            s.script = lambda path, body: Reply("Revenue was about $4.46 billion [1].")
        yield a, b


def bearer(stub: StubLLM) -> set[str]:
    return {str(r["headers"].get("Authorization", "")) for r in stub.requests}


def test_llm_panel_never_sends_a_server_variable_a_client_names(
    ui_settings: Settings, stubs: tuple[StubLLM, StubLLM], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server_stub, other = stubs
    monkeypatch.setenv("FAKE_DB_PASSWORD", "secret")
    monkeypatch.setenv("KGQA_LLM_API_KEY", "server-key")
    start = ui_settings.with_values({"llm_base_url": server_stub.url})
    qa_ = QA.load(start.index_dir, start)
    ws = Workspace(qa_, start, uploads_dir=tmp_path)
    panel = LLMPanel(ws)
    try:
        # the repro: any endpoint, model x, and no way to name FAKE_DB_PASSWORD (no such input)
        kind, text = panel.apply("openai-compatible", other.url, "x", "", 5)
        assert kind == "ok", text
        qa_.ask(QUESTION)
        assert bearer(other) == {"Bearer not-needed"}, "a key left for an endpoint the server was not started with"
        assert "server's key is only used" in text
        # the server's own key goes to the server's own endpoint only
        kind, text = panel.apply("openai-compatible", server_stub.url + "/", "x", "", 5)
        qa_.ask(QUESTION)
        assert bearer(server_stub) == {"Bearer server-key"} and "configured at server start" in text
        # a key typed in the form is used for that endpoint, and never shown back
        kind, text = panel.apply("openai-compatible", other.url, "x", "typed-key", 5)
        qa_.ask(QUESTION)
        assert "Bearer typed-key" in bearer(other) and "typed-key" not in json.dumps(panel.llm_panel(), default=str)
        for r in server_stub.requests + other.requests:
            assert "secret" not in json.dumps(r)
        # the base URL is validated
        for bad, why in [("http://user:pw@127.0.0.1:9/v1", "user name or password"), ("file:///etc/passwd", "http"),
                         ("http://127.0.0.1:9/v1?x=1", "query"), ("http:// 127.0.0.1/v1", "without spaces")]:
            kind, text = panel.apply("openai-compatible", bad, "x", "", 5)
            assert kind == "error" and why in text, text
    finally:
        qa_.attach_llm(None)
        ws.close()


def test_no_input_of_the_page_names_an_environment_variable(server: Server) -> None:
    config = httpx.get(server.url + "config", timeout=30).json()
    ids = {str((c.get("props") or {}).get("elem_id")) for c in config["components"]}
    labels = " ".join(str((c.get("props") or {}).get("label")) for c in config["components"]).lower()
    assert "kgqa-llm-key" in ids and "kgqa-llm-env" not in ids and "env var" not in labels


@pytest.fixture(scope="module")
def locked(ui_settings: Settings) -> Iterator[str]:
    with locked_server(ui_settings, "s3cret pw", "uploads-locked") as url:
        yield url


def test_with_a_password_nothing_is_reachable_without_logging_in(locked: str) -> None:
    for method, path in [("GET", "/config"), ("GET", "/gradio_api/info"), ("POST", "/gradio_api/upload"),
                         ("POST", "/gradio_api/call/ask_stream")]:
        r = httpx.request(method, locked + path, timeout=30, **({"files": {"files": ("a.txt", b"x")}} if "upload" in path else {}))
        assert r.status_code == 401, (path, r.status_code)
    with httpx.Client(base_url=locked, timeout=60) as c:
        assert c.post("/login", data={"username": "analyst", "password": "wrong"}).status_code >= 400
        assert c.get("/config").status_code == 401
        assert c.post("/login", data={"username": "analyst", "password": "s3cret pw"}).status_code == 200
        assert c.get("/config").status_code == 200
        r = c.post("/gradio_api/call/ask_stream", json={"data": [QUESTION, []]})
        out = c.get(f"/gradio_api/call/ask_stream/{r.json()['event_id']}").text
        assert "4.46" in out


def test_gradio_api_question_with_invalid_text_is_an_error_for_that_question(server: Server) -> None:
    with httpx.Client(base_url=server.url.rstrip("/"), timeout=60) as c:
        body = b'{"data": ["What was \\udcff revenue \\u001b[2J?", []]}'  # a lone surrogate, as JSON allows
        r = c.post("/gradio_api/call/ask_stream", content=body, headers={"content-type": "application/json"})
        out = c.get(f"/gradio_api/call/ask_stream/{r.json()['event_id']}").text
        assert "event: complete" in out and "not valid text" in out and "\\u001b" not in out
        r = c.post("/gradio_api/call/ask_stream", json={"data": [QUESTION, []]})
        assert "4.46" in c.get(f"/gradio_api/call/ask_stream/{r.json()['event_id']}").text


def serve(args: list[str], tmp: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "kgqa.cli", "serve", *args], cwd=tmp, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **env})


def test_non_loopback_bind_needs_a_password_or_insecure(tmp_path: Path) -> None:
    for args, why in [(["--host", "0.0.0.0"], "--insecure"), (["--host", "::"], "--insecure"),
                      (["--password-env", "KGQA_TEST_UNSET_PW"], "not set"),
                      (["--password-file", str(tmp_path / "none")], "cannot read")]:
        p = serve(args, tmp_path)
        _out, err = p.communicate(timeout=60)
        assert p.returncode == 1 and why in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1


def _wait_port(port: int, proc: subprocess.Popen[str], timeout: float = 240) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise AssertionError("the server did not start")


@pytest.mark.slow
def test_serve_with_a_password_file_and_no_temp_folders_left(ui_settings: Settings, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    pw = tmp_path / "pw"
    pw.write_text("file pw\n")
    pw.chmod(0o600)
    port = free_port()
    p = serve(["--port", str(port), "--index", str(ui_settings.index_dir), "--password-file", str(pw)], tmp_path,
              TMPDIR=str(tmp), KGQA_USE_GRAPH="false")
    try:
        _wait_port(port, p)
        assert list(tmp.iterdir()), "the server keeps its temporary files under TMPDIR"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            assert c.get("/config").status_code == 401
            assert c.post("/login", data={"username": "kgqa", "password": "file pw"}).status_code == 200
            up = c.post("/gradio_api/upload", files={"files": ("note.txt", b"Acme note\n\nAcme has 3 staff.\n")})
            assert up.status_code == 200, up.text
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
    assert sorted(x.name for x in tmp.iterdir()) == [], "kgqa serve left temporary folders behind"
