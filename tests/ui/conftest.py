"""Fixtures for the UI tests: a private copy of the session index, a live server, Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_helpers import CHROMIUM, UPLOAD_LIMIT, Server, free_port, watch_requests

from core.config import Settings


@pytest.fixture(scope="module")
def ui_settings(tmp_path_factory: pytest.TempPathFactory, built_index: Path, settings: Settings) -> Settings:
    """Settings pointing at a copy of the session index, so uploads never touch other tests."""
    root = tmp_path_factory.mktemp("kgqa-ui")
    shutil.copytree(built_index, root / "index", symlinks=True)
    return settings.with_values({"index_dir": root / "index", "max_upload_bytes": UPLOAD_LIMIT})


@pytest.fixture(scope="module")
def server(ui_settings: Settings) -> Iterator[Server]:
    """The real workspace app on a free loopback port, in a background thread."""
    from engine.qa import QA
    from ui.app import launch

    qa = QA.load(ui_settings.index_dir, ui_settings)
    port = free_port()
    demo, ws = launch(qa, ui_settings, host="127.0.0.1", port=port, block=False, quiet=True,
                      uploads_dir=Path(ui_settings.index_dir).parent / "uploads")
    try:
        yield Server(f"http://127.0.0.1:{port}/", ws, demo, ui_settings)
    finally:
        demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-dev-shm-usage"],
        )
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh browser context (a new user session) on the app, watched for outside requests."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    watch_requests(pg, server)
    pg.goto(server.url)
    pg.wait_for_selector("#kgqa-question textarea", timeout=60_000)
    try:
        yield pg
    finally:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[Any]:
    """An HTTP client on the JSON API of the module's server (``/api/v1``)."""
    import httpx

    with httpx.Client(base_url=server.url + "api/v1", timeout=180) as client:
        yield client
