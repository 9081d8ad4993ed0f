"""Static validation of the open-question and comparison gold files (eval/gold/open.jsonl, compare.jsonl).

Every evidence quote is an exact substring of its corpus document, and every keyword group of a
point or cell has an alternative inside that point's own evidence quotes: the gold is written from
the reports, so a point the reports do not state cannot be required.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.metrics import fold
from eval.open_eval import GOLD_COMPARE, GOLD_OPEN, load_compare, load_open

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SPLITS = {"dev", "heldout"}


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _groups_ok(groups: Any) -> bool:
    return (isinstance(groups, list) and bool(groups)
            and all(isinstance(g, list) and g and all(isinstance(a, str) and a.strip() for a in g) for g in groups))


def _check_evidence(rec_id: str, block: dict[str, Any]) -> None:
    assert block["evidence"], f"{rec_id}: no evidence"
    quotes = []
    for e in block["evidence"]:
        raw = (CORPUS / e["doc"]).read_text(encoding="utf-8")
        assert e["quote"] in raw, f"{rec_id}: quote not in {e['doc']}: {e['quote'][:60]!r}"
        quotes.append(e["quote"])
    hay = fold(" || ".join(quotes))
    for g in block["keywords"]:
        assert any(fold(a) in hay for a in g), f"{rec_id}: keyword group {g} is in none of its evidence quotes"


def test_open_gold_shape_and_grounding() -> None:
    rows = _rows(GOLD_OPEN)
    assert len(rows) >= 30
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["split"] for r in rows} == SPLITS
    for r in rows:
        assert set(r) == {"id", "question", "split", "points"}
        assert r["question"].strip().endswith(("?", "."))
        assert 1 <= len(r["points"]) <= 6
        for p in r["points"]:
            assert set(p) == {"keywords", "evidence"} and _groups_ok(p["keywords"])
            _check_evidence(r["id"], p)
    assert len(load_open()) == len(rows)


def test_compare_gold_shape_and_grounding() -> None:
    rows = _rows(GOLD_COMPARE)
    assert len(rows) >= 15
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["split"] for r in rows} == SPLITS
    for r in rows:
        assert set(r) <= {"id", "question", "split", "items", "cells", "lead"}
        assert len(r["items"]) == 2 and _groups_ok(r["items"])
        assert r["cells"] and {c["item"] for c in r["cells"]} == {0, 1}  # every item has an expected cell
        for c in r["cells"]:
            assert set(c) == {"item", "property", "keywords", "evidence"}
            assert c["property"] is None or (isinstance(c["property"], list) and c["property"])
            assert _groups_ok(c["keywords"])
            _check_evidence(r["id"], c)
        if "lead" in r:
            assert _groups_ok(r["lead"])
    assert len(load_compare()) == len(rows)


def test_loaders_reject_a_record_without_points(tmp_path: Path) -> None:
    bad = tmp_path / "open.jsonl"
    bad.write_text(json.dumps({"id": "x", "question": "Why?"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="points"):
        load_open(bad)
