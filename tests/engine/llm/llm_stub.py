"""A scripted OpenAI-compatible (and Ollama-style) LLM server on 127.0.0.1, for tests.

The server is real HTTP: llama-index's ``OpenAILike`` and ``Ollama`` classes talk to it
through their normal clients. What it answers is decided per request by ``server.script``,
a callable ``(path, body) -> Reply`` set by each test, so a reply can depend on the prompt
(e.g. cite the passage number that holds a given sentence).

>>> with StubLLM() as stub:                                    # doctest: +SKIP
...     stub.script = lambda path, body: Reply("Revenue was $4.46 billion [1].")
...     stub.url                                              # 'http://127.0.0.1:PORT/v1'
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted response.

    ``content`` is the completion text; ``status`` an HTTP status (an error body is sent
    for >= 400); ``delay`` seconds to wait before answering; ``raw`` a body sent verbatim
    (for malformed JSON); ``chunk_delay`` seconds between streamed chunks.
    """

    content: str | None = ""
    status: int = 200
    delay: float = 0.0
    raw: bytes | None = None
    chunk_delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


Script = Callable[[str, dict[str, Any]], Reply]


def prompt_text(body: dict[str, Any]) -> str:
    """All message contents of a chat request (or the prompt of a completion request), joined."""
    if "messages" in body:
        return "\n".join(str(m.get("content", "")) for m in body["messages"])
    return str(body.get("prompt", ""))


def passage_numbers(body: dict[str, Any]) -> dict[int, str]:
    """``{n: passage body}`` parsed from a kgqa prompt."""
    text = prompt_text(body)
    return {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r"<<<PASSAGE (\d+)>>>\n(.*?)\n<<<END PASSAGE \1>>>", text, re.S)
    }


def passage_with(body: dict[str, Any], needle: str) -> int:
    """The number kgqa gave the first passage containing ``needle`` (0 if none)."""
    for n, text in passage_numbers(body).items():
        if needle in text:
            return n
    return 0


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = {}
        path = self.path.split("?")[0].rstrip("/")
        self.server.requests.append({"path": path, "body": body, "headers": dict(self.headers)})
        if path.endswith("/api/show"):  # Ollama model info (context length)
            self._json(200, {"modelinfo": {"stub.context_length": 8192}, "details": {}, "capabilities": ["completion"]})
            return
        reply = self.server.script(path, body)
        if reply.delay and self.server.stopping.wait(reply.delay):
            return
        if reply.raw is not None:
            self._send(reply.status, reply.raw, "application/json", reply.headers)
            return
        if reply.status >= 400:
            msg = {429: "rate limit exceeded", 500: "internal server error"}.get(reply.status, "error")
            self._json(reply.status, {"error": {"message": msg, "type": "stub", "code": reply.status}}, reply.headers)
            return
        model = body.get("model", "stub")
        if path.endswith("/api/chat"):
            self._ollama(body, reply, model)
        elif path.endswith("/chat/completions"):
            self._openai_chat(body, reply, model)
        elif path.endswith("/completions"):
            self._openai_completion(body, reply, model)
        else:
            self._json(404, {"error": {"message": f"no route {path}"}})

    # ---- protocols ----------------------------------------------------------------------

    def _openai_chat(self, body: dict[str, Any], reply: Reply, model: str) -> None:
        base = {"id": "chatcmpl-stub", "created": int(time.time()), "model": model}
        if not body.get("stream"):
            self._json(200, {
                **base, "object": "chat.completion",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply.content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            })
            return
        chunks = [{**base, "object": "chat.completion.chunk",
                   "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
        for piece in _pieces(reply.content or ""):
            chunks.append({**base, "object": "chat.completion.chunk",
                           "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        chunks.append({**base, "object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self._sse(chunks, reply.chunk_delay)

    def _openai_completion(self, body: dict[str, Any], reply: Reply, model: str) -> None:
        base = {"id": "cmpl-stub", "created": int(time.time()), "model": model}
        if not body.get("stream"):
            self._json(200, {**base, "object": "text_completion",
                             "choices": [{"index": 0, "text": reply.content, "finish_reason": "stop", "logprobs": None}]})
            return
        chunks = [{**base, "object": "text_completion",
                   "choices": [{"index": 0, "text": p, "finish_reason": None, "logprobs": None}]}
                  for p in _pieces(reply.content or "")]
        self._sse(chunks, reply.chunk_delay)

    def _ollama(self, body: dict[str, Any], reply: Reply, model: str) -> None:
        def rec(content: str, done: bool) -> dict[str, Any]:
            return {"model": model, "created_at": "2025-01-01T00:00:00Z",
                    "message": {"role": "assistant", "content": content}, "done": done,
                    **({"done_reason": "stop", "prompt_eval_count": 1, "eval_count": 1} if done else {})}

        if body.get("stream") is False:
            self._json(200, rec(reply.content or "", True))
            return
        lines = [rec(p, False) for p in _pieces(reply.content or "")] + [rec("", True)]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for r in lines:
            if reply.chunk_delay and self.server.stopping.wait(reply.chunk_delay):
                return
            self._chunk(json.dumps(r).encode() + b"\n")
        self._chunk(b"")

    # ---- plumbing ----------------------------------------------------------------------

    def _sse(self, events: list[dict[str, Any]], delay: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for ev in events:
                if delay and self.server.stopping.wait(delay):
                    return
                self._chunk(b"data: " + json.dumps(ev).encode() + b"\n\n")
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")
        except OSError:  # the client gave up (timeout test)
            pass

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json", headers or {})

    def _send(self, status: int, data: bytes, ctype: str, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass


def _pieces(text: str) -> list[str]:
    """Split a completion into small streamed deltas (a few words each)."""
    parts = re.findall(r"\S+\s*|\s+", text)
    return ["".join(parts[i : i + 3]) for i in range(0, len(parts), 3)]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    script: Script
    requests: list[dict[str, Any]]
    stopping: threading.Event


class StubLLM:
    """Start/stop the stub in a background thread; ``url`` is the OpenAI base URL (``.../v1``)."""

    def __init__(self, script: Script | None = None) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.script = script or (lambda path, body: Reply("OK."))
        self.server.requests = []
        self.server.stopping = threading.Event()
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def script(self) -> Script:
        return self.server.script

    @script.setter
    def script(self, fn: Script) -> None:
        self.server.script = fn

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.server.requests

    def start(self) -> StubLLM:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> StubLLM:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
