"""ui/tabs/facts.py: the facts table highlights conflicts and its CSV holds exactly the rows shown."""

from __future__ import annotations

import csv
from pathlib import Path

from ui_helpers import graph_records

from engine.qa import QA
from kg.store import NetworkXGraphStore
from ui.tabs.facts import FactsTab
from ui.workspace import Workspace


def _tab(qa: QA, tmp_path: Path) -> FactsTab:
    store = NetworkXGraphStore.from_records(*graph_records())
    return FactsTab(Workspace(qa, graph_provider=lambda index: store, uploads_dir=tmp_path / "u"))


def test_facts_table_highlights_conflicts_and_writes_the_csv(qa: QA, tmp_path: Path) -> None:
    tab = _tab(qa, tmp_path)
    value, dl, summary = tab.facts_table([], [], "", False)
    assert "3 metric facts, 2 in conflict" in summary
    value._compute()
    styled_rows = {r for (r, _c), props in value.ctx.items() if ("background-color", "#fde0de") in props}
    conflict_rows = {i for i, v in enumerate(value.data["Conflict"]) if v}
    assert styled_rows == conflict_rows and len(conflict_rows) == 2
    with open(dl["value"], encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3 and sum(int(r["conflict"]) for r in rows) == 2
    _v, _dl2, summary2 = tab.facts_table(["Acme"], [], "", True)
    assert "2 metric facts" in summary2
    _v, _d, summary3 = tab.facts_table([], [], "margin", False)
    assert "1 metric fact," in summary3
    empty, _d, summary4 = tab.facts_table([], ["no such metric"], "", False)
    assert len(empty) == 0 and "0 metric facts, no conflicts" in summary4


def test_filters_offer_every_entity_and_metric(qa: QA, tmp_path: Path) -> None:
    ents, mets, _table, _dl, _summary = _tab(qa, tmp_path).refresh()
    assert ents["choices"] == ["Acme", next(e.name for e in graph_records()[0] if e.id == "c:bolt")]
    assert mets["choices"] == ["margin", "revenue"] and ents["value"] == mets["value"] == []


def test_without_a_graph_the_table_says_so(qa: QA, tmp_path: Path) -> None:
    tab = FactsTab(Workspace(qa, graph_provider=lambda index: None, uploads_dir=tmp_path))
    value, _dl, summary = tab.facts_table([], [], "", False)
    assert len(value) == 0 and "graph not available" in summary
