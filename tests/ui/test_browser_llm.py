"""The LLM settings panel and streamed answers, in headless Chromium against the real server.

An OpenAI-compatible stub (``tests/llm/llm_stub.py``) on 127.0.0.1 stands in for the LLM.
The server fixture is module-scoped, so the LLM attached here never reaches other modules;
the test detaches it again at the end.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_helpers import ARTIFACTS, Server, shot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine" / "llm"))

from llm_stub import Reply, StubLLM, passage_with

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]

pytest.importorskip("llama_index.llms.openai_like", reason="the [llm] extra is not installed")

QUESTION = "What was Twilio's fiscal 2024 revenue?"
REVENUE = "fiscal 2024 revenue of approximately $4.46 billion"
SECRET = "sk-kgqa-ui-test-7f3a"
ANSWER_TIMEOUT = 60_000


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as _expect

    return _expect(locator)


@pytest.fixture(scope="module")
def stub() -> Iterator[StubLLM]:
    with StubLLM() as s:
        yield s


def fill(page: Any, elem_id: str, value: str) -> None:
    page.locator(f"#{elem_id} textarea, #{elem_id} input").first.fill(value)


def apply(page: Any, provider: str, url: str = "", model: str = "", key: str = "", timeout: float = 5) -> Any:
    """Fill the settings form, press Apply, wait for the status line to change; return it."""
    status = page.locator("#kgqa-llm-status .kgqa-msg")
    before = status.inner_text()
    box = page.locator("#kgqa-llm-provider input")
    box.click()
    box.fill("")
    page.locator(f"#{box.get_attribute('aria-controls')} [role=option][aria-label='{provider}']").click()
    fill(page, "kgqa-llm-url", url)
    fill(page, "kgqa-llm-model", model)
    fill(page, "kgqa-llm-key", key)
    fill(page, "kgqa-llm-timeout", str(timeout))
    page.click("#kgqa-llm-apply")
    page.wait_for_function(
        "b => { const s = document.querySelector('#kgqa-llm-status .kgqa-msg'); return s && s.innerText !== b; }",
        arg=before, timeout=20_000,
    )
    return status


def ask(page: Any, question: str, streamed: str | None = None) -> Any:
    """Ask; when ``streamed`` is given, first see it in the turn while the answer is still being written."""
    turns = page.locator("#kgqa-chat .kgqa-turn")
    before = turns.count()
    page.fill("#kgqa-question textarea", question)
    page.click("#kgqa-ask")
    if streamed is not None:
        writing = page.locator("#kgqa-chat .kgqa-streaming .kgqa-text")
        expect(writing).to_contain_text(streamed, timeout=ANSWER_TIMEOUT)
        assert page.locator("#kgqa-chat .kgqa-streaming .kgqa-badge").inner_text().lower().startswith("writing")
    page.wait_for_function(
        "n => { const t = document.querySelectorAll('#kgqa-chat .kgqa-turn');"
        " return t.length > n && t[t.length - 1].querySelector('.kgqa-a:not(.kgqa-streaming)'); }",
        arg=before, timeout=ANSWER_TIMEOUT,
    )
    return turns.nth(before)


def test_llm_settings_stream_fallback_and_offline(page: Any, server: Server, stub: StubLLM) -> None:
    t_start = time.perf_counter()
    qa = server.ws.qa
    offline = qa.ask(QUESTION)
    assert not offline.abstained and offline.mode == "offline"

    page.get_by_text("LLM (optional)").click()
    expect(page.locator("#kgqa-llm-privacy")).to_contain_text("sent to the endpoint")
    status = page.locator("#kgqa-llm-status .kgqa-msg")
    expect(status).to_contain_text("Offline answers")

    # a bad configuration: the LLMError's fix, nothing attached
    status = apply(page, "openai-compatible", url=stub.url, model="")
    expect(status).to_have_class("kgqa-msg kgqa-msg-error")
    assert "needs a model name" in status.inner_text() and "Still offline" in status.inner_text()
    assert not server.ws.llm_on()

    # the stub: two cited sentences, streamed a few words at a time
    def script(path: str, body: dict[str, Any]) -> Reply:
        n, m = passage_with(body, REVENUE), passage_with(body, "restructuring")
        second = (f"Its restructuring has shed over 30% of its workforce since 2022 [{m}]." if m
                  else f"Twilio reported that figure for fiscal 2024 [{n}].")
        return Reply(f"Twilio's fiscal 2024 revenue was approximately $4.46 billion [{n}]. {second}",
                     chunk_delay=0.25)

    stub.script = script
    status = apply(page, "openai-compatible", url=stub.url, model="stub-model", key=SECRET, timeout=5)
    expect(status).to_have_class("kgqa-msg kgqa-msg-ok")
    assert f"LLM on: model stub-model at {stub.url}" in status.inner_text()
    expect(page.locator("#kgqa-header")).to_contain_text("LLM: model stub-model")
    page.locator("#kgqa-llm").scroll_into_view_if_needed()
    shot(page, "llm-settings", full_page=False)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("#kgqa-llm").screenshot(path=str(ARTIFACTS / "llm-settings-panel.png"))  # docs/screenshots copy

    # a streamed answer: the first checked sentence shows while the model is still writing
    turn = ask(page, QUESTION, streamed="$4.46 billion")
    answer = turn.locator(".kgqa-answer")
    expect(answer).to_be_visible()
    assert turn.locator(".kgqa-mode").get_attribute("data-mode") == "llm"
    assert "mode: llm" in turn.locator(".kgqa-foot").inner_text()
    text = turn.locator(".kgqa-text").inner_text()
    assert text.startswith("Twilio's fiscal 2024 revenue was approximately $4.46 billion [1].")
    req = stub.requests[-1]
    assert req["body"]["stream"] is True and req["body"]["model"] == "stub-model"
    assert req["headers"].get("Authorization") == f"Bearer {SECRET}"  # the key typed in the form was used
    # the citation is clickable and opens the cited passage in context
    turn.locator("button.kgqa-cite").first.click()
    mark = page.locator("#kgqa-sources .kgqa-viewer .kgqa-ctx-body mark.kgqa-span")
    expect(mark).to_be_visible()
    assert "4.46 billion" in (mark.text_content() or "")
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "llm-answer", full_page=False)

    # the endpoint fails: the offline answer, with the reason in the footer
    stub.script = lambda path, body: Reply(status=500)
    turn = ask(page, QUESTION)
    assert turn.locator(".kgqa-mode").get_attribute("data-mode") == "llm-fallback"
    note = turn.locator(".kgqa-note-fallback")
    expect(note).to_contain_text("LLM endpoint returned HTTP 500; showing the offline answer")
    assert turn.locator(".kgqa-text").inner_text() == offline.text
    assert turn.locator("button.kgqa-cite").count() >= 1
    assert "Traceback" not in page.locator("#kgqa-chat").inner_text()
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "llm-fallback", full_page=False)

    # provider "none": offline answers again, the stub is not called
    n_requests = len(stub.requests)
    status = apply(page, "none")
    expect(status).to_contain_text("Offline answers")
    assert not server.ws.llm_on()
    expect(page.locator("#kgqa-header")).to_contain_text("offline, every answer cited")
    turn = ask(page, QUESTION)
    assert turn.locator(".kgqa-mode").get_attribute("data-mode") == "offline"
    assert turn.locator(".kgqa-note").count() == 0
    assert turn.locator(".kgqa-text").inner_text() == offline.text
    assert len(stub.requests) == n_requests

    # the key was only ever in memory: not in the page outside its password box, not in any settings
    assert SECRET not in page.locator("#kgqa-chat").inner_text()
    assert SECRET not in page.locator("#kgqa-llm-status").inner_text()
    assert SECRET not in repr(qa.settings) and SECRET not in repr(server.ws.settings)
    assert server.external == []
    assert time.perf_counter() - t_start < 60


@pytest.fixture(autouse=True, scope="module")
def _detach(server: Server) -> Iterator[None]:
    yield

    server.ws.qa.attach_llm(None)

