"""Computed answers in the browser (``pytest -m browser``): the computation table under the answer with
clickable sources, and the Facts tab's chart of one metric (Gradio's native plot)."""

from __future__ import annotations

from typing import Any

import pytest
from ui_helpers import Server, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

QUESTION = "How much did non-GAAP operating margin improve between the FY2024 level and the FY2025 target?"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as _expect

    return _expect(locator)


def test_computation_table_under_the_answer(page: Any, server: Server) -> None:
    expected = server.ws.qa.ask(QUESTION)
    assert expected.computation is not None and expected.computation.result is not None
    page.fill("#kgqa-question textarea", QUESTION)
    page.click("#kgqa-ask")
    table = page.locator("#kgqa-chat .kgqa-computation").first
    expect(table).to_be_visible(timeout=60_000)
    assert "5.5 percentage points" in page.locator("#kgqa-chat .kgqa-text").first.inner_text()
    rows = table.locator("tbody tr")
    assert rows.count() == len(expected.computation.inputs)
    assert "FY2024" in table.inner_text() and "16%" in table.inner_text()
    table.locator("button.kgqa-cite").first.click()  # a source in the table opens the cited passage
    expect(page.locator("#kgqa-sources .kgqa-viewer-on")).to_be_visible(timeout=10_000)
    expect(page.locator("#kgqa-sources .kgqa-viewer-on mark.kgqa-span")).to_contain_text("15-17%")
    shot(page, "ask-computed", full_page=False)


def test_facts_tab_charts_a_metric(page: Any, server: Server) -> None:
    g = server.ws.graph()
    if not g.available:
        pytest.skip(f"the index has no knowledge graph ({g.error})")
    page.get_by_role("tab", name="Facts").click()
    expect(page.locator("#kgqa-f-summary")).to_contain_text("metric fact", timeout=20_000)
    page.click("#kgqa-f-metric input")
    page.keyboard.type("revenue")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.locator("#kgqa-f-chart").get_by_text("Chart a metric").click()
    page.click("#kgqa-f-chart-go")
    expect(page.locator("#kgqa-f-chart-note")).to_contain_text("revenue:", timeout=20_000)
    expect(page.locator("#kgqa-f-chart-line")).to_be_visible(timeout=20_000)
    expect(page.locator("#kgqa-f-chart-line canvas, #kgqa-f-chart-line svg").first).to_be_visible(timeout=20_000)
    shot(page, "facts-chart", full_page=False)
