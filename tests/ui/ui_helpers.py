"""Helpers shared by the UI tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import Settings

CHROMIUM = Path(os.environ.get("KGQA_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
UPLOAD_LIMIT = 256 * 1024  # small, so the size limit is cheap to test


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    ws: Any
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
