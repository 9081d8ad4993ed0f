"""The API's docs page in headless Chromium: Swagger UI renders every route from files served by kgqa itself."""

from __future__ import annotations

from typing import Any

import pytest
from ui_helpers import Server, shot, watch_requests

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def test_docs_page_renders_every_route_offline(browser: Any, server: Server) -> None:
    ctx = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    watch_requests(page, server)
    try:
        page.goto(server.url + "api/v1/docs")
        page.wait_for_selector(".opblock", timeout=60_000)
        summaries = page.locator(".opblock-summary-path").all_inner_texts()
        assert len(summaries) == 10 and "/ask" in summaries
        assert "kgqa API" in page.locator(".title").inner_text()
        page.locator(".opblock-summary-path", has_text="/ask").first.click()  # open POST /ask
        page.wait_for_selector(".opblock-body", timeout=10_000)
        assert "question" in page.locator(".opblock-body").first.inner_text()
        shot(page, "api-docs")
    finally:
        ctx.close()
    assert not errors, errors
    assert not server.external, server.external  # nothing fetched from outside
