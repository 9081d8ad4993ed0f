"""Issue 10, item 1, in headless Chromium: the LLM panel cannot send a server environment
variable anywhere (the probe's reproduction), and a password-protected server shows a login."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_helpers import Server, locked_server, shot

from core.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine" / "llm"))

from llm_stub import Reply, StubLLM

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

pytest.importorskip("llama_index.llms.openai_like", reason="the [llm] extra is not installed")

QUESTION = "What was Twilio's fiscal 2024 revenue?"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as _expect

    return _expect(locator)


def fill(page: Any, elem_id: str, value: str) -> None:
    page.locator(f"#{elem_id} textarea, #{elem_id} input").first.fill(value)


def test_the_llm_panel_cannot_send_a_server_variable(page: Any, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_DB_PASSWORD", "secret")
    with StubLLM() as stub:
        stub.script = lambda path, body: Reply("Revenue was about $4.46 billion [1].")
        page.get_by_text("LLM (optional)").click()
        box = page.locator("#kgqa-llm-provider input")
        box.click()
        box.fill("")
        page.locator(f"#{box.get_attribute('aria-controls')} [role=option][aria-label='openai-compatible']").click()
        fill(page, "kgqa-llm-url", stub.url)
        fill(page, "kgqa-llm-model", "x")
        env_field = page.locator("#kgqa-llm-env")
        if env_field.count():  # the probe's reproduction, where the page offers it
            fill(page, "kgqa-llm-env", "FAKE_DB_PASSWORD")
        page.click("#kgqa-llm-apply")
        status = page.locator("#kgqa-llm-status .kgqa-msg")
        expect(status).to_contain_text("LLM on", timeout=20_000)
        try:
            page.fill("#kgqa-question textarea", QUESTION)
            page.click("#kgqa-ask")
            expect(page.locator("#kgqa-chat .kgqa-a:not(.kgqa-streaming)").last).to_contain_text("4.46", timeout=60_000)
            shot(page, "llm-panel-no-env-var")
            assert stub.requests, "the LLM was not called"
            sent = {str(r["headers"].get("Authorization")) for r in stub.requests}
            assert not any("secret" in s for s in sent), sent
            assert env_field.count() == 0, "the page lets a client name a server environment variable"
        finally:
            server.ws.qa.attach_llm(None)


@pytest.fixture(scope="module")
def locked(ui_settings: Settings) -> Iterator[str]:
    with locked_server(ui_settings, "pw-2024", "uploads-locked-browser") as url:
        yield url + "/"


def test_a_password_protected_server_shows_a_login_first(browser: Any, locked: str) -> None:
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    page = ctx.new_page()
    try:
        page.goto(locked)
        page.wait_for_selector("input[type=password]", timeout=60_000)
        assert page.locator("#kgqa-question").count() == 0
        page.locator("input[type=text], input:not([type])").first.fill("analyst")
        page.locator("input[type=password]").fill("wrong")
        page.keyboard.press("Enter")
        expect(page.get_by_text("Incorrect", exact=False)).to_be_visible(timeout=20_000)
        assert page.locator("#kgqa-question").count() == 0
        page.locator("input[type=text], input:not([type])").first.fill("analyst")  # the form was cleared
        page.locator("input[type=password]").fill("pw-2024")
        page.keyboard.press("Enter")
        page.wait_for_selector("#kgqa-question textarea", timeout=60_000)
        shot(page, "login-then-workspace")
    finally:
        ctx.close()
