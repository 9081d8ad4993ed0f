"""ui/computation.py and the Facts chart: the computation table under an answer, the trend chart's points
(each naming its citation), and one metric charted over periods or entities."""

from __future__ import annotations

import doctest
from pathlib import Path

from ui_helpers import graph_records

import ui.computation as uc
from core.types import Computation, ComputationInput
from engine.qa import QA
from kg.store import NetworkXGraphStore
from ui.tabs.ask import AskTab
from ui.tabs.facts import FactsTab
from ui.workspace import Workspace


def test_doctests() -> None:
    assert doctest.testmod(uc).failed == 0


def test_table_escapes_and_cites() -> None:
    comp = Computation("<b>x</b> / y", [ComputationInput("<script>", 0.16, "%", "FY2024", 2, "15-17%"),
                                       ComputationInput("figure from the question", 0.1, "%", None, None, "10%")],
                       1.6, "", "", "1.60")
    out = uc.computation_html(comp, 3)
    assert "<script>" not in out and "&lt;script&gt;" in out and 'data-msg="3" data-n="2"' in out
    assert "16% (15-17%)" in out and "the question" in out and "= 1.60" in out
    assert uc.trend_frame(comp) is None  # one period per input: no trend


def test_ask_tab_renders_the_computation(qa: QA, tmp_path: Path) -> None:
    tab = AskTab(Workspace(qa, uploads_dir=tmp_path / "u"))
    chat, _src, turns, _ = tab.ask("How much did non-GAAP operating margin improve between the FY2024 level and the "
                                   "FY2025 target?", [])
    assert "kgqa-computation" in chat and "5.5 percentage points" in chat
    assert turns[0].answer is not None and turns[0].answer.computation is not None
    assert tab.trend(turns)["visible"] is False  # two differently named inputs: no single-metric trend


def test_facts_tab_charts_one_metric(qa: QA, tmp_path: Path) -> None:
    store = NetworkXGraphStore.from_records(*graph_records())
    tab = FactsTab(Workspace(qa, graph_provider=lambda index: store, uploads_dir=tmp_path / "u"))
    line, bar, note = tab.chart([], ["revenue"], "periods")
    assert line["visible"] and not bar["visible"] and len(line["value"]) >= 1 and "revenue" in note
    line, bar, _ = tab.chart([], ["revenue"], "entities")
    assert bar["visible"] and not line["visible"]
    line, bar, note = tab.chart([], [], "periods")
    assert not line["visible"] and "Choose one metric" in note
