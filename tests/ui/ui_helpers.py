"""Helpers shared by the UI tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from core.config import Settings
from core.types import Entity, Evidence, Fact
from engine.qa import QA
from ui.app import launch
from ui.auth import Credentials
from ui.workspace import Workspace

CHROMIUM = Path(os.environ.get("KGQA_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
UPLOAD_LIMIT = 256 * 1024  # small, so the size limit is cheap to test


@contextmanager
def locked_server(settings: Settings, password: str, uploads: str) -> Iterator[str]:
    """A workspace on 127.0.0.1 behind a login (user ``analyst``); yields its base URL."""
    qa = QA.load(settings.index_dir, settings)
    port = free_port()
    demo, ws = launch(qa, settings, port=port, block=False, quiet=True, auth=Credentials("analyst", password),
                      uploads_dir=Path(settings.index_dir).parent / uploads)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()
        ws.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    ws: Workspace
    demo: Any
    settings: Settings
    external: list[str] = field(default_factory=list)


def watch_requests(page: Any, server: Server) -> None:
    """Record every request the page makes to a host other than the test server."""
    local = server.url.rstrip("/")

    def on_request(req: Any) -> None:
        url = req.url
        if url.startswith((local, "data:", "blob:", "about:")):
            return
        server.external.append(url)

    page.on("request", on_request)


def shot(page: Any, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# ---- HTML checks ------------------------------------------------------------------------------------

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


# ---- a small graph ----------------------------------------------------------------------------------


def ev(doc: str, text: str, start: int = 0) -> Evidence:
    return Evidence(doc, start, start + len(text), text)


def graph_records() -> tuple[list[Entity], list[Fact]]:
    """Two companies, a product and a metric; two revenue values of Acme for FY2024 disagree."""
    ents = [
        Entity("c:acme", "Company", "Acme", ["ACME"], [ev("a.txt", "Acme is big.")]),
        Entity("c:bolt", "Company", f"Bolt {EVIL}", [], [ev("a.txt", "Bolt too.")]),
        Entity("p:widget", "Product", "Widget", [], []),
        Entity("m:revenue", "Metric", "revenue", [], []),
    ]
    facts = [
        Fact("c:acme", "COMPETES_WITH", "c:bolt", evidence=[ev("a.txt", "Acme competes with Bolt.")]),
        Fact("c:bolt", "OFFERS", "p:widget", evidence=[ev("a.txt", "Bolt offers Widget.")]),
        Fact("c:acme", "HAS_METRIC", "m:revenue", metric="revenue", value=5e6, unit="USD", period="FY2024",
             surface="$5 million", evidence=[ev("a.txt", "Acme revenue was $5 million.", 10)]),
        Fact("c:acme", "HAS_METRIC", "m:revenue", metric="revenue", value=7e6, unit="USD", period="FY2024",
             surface="$7 million", evidence=[ev("b.txt", "Acme revenue was $7 million.", 20)]),
        Fact("c:bolt", "HAS_METRIC", None, metric="margin", value=0.2, unit="%", period="FY2024",
             evidence=[ev("b.txt", "Bolt margin 20%.")]),
    ]
    return ents, facts
