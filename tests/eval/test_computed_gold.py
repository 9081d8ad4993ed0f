"""eval/gold/computed.jsonl and yesno.jsonl: well formed, written from the bundled reports, and answered
(>= 90% exact with every input cited; >= 90% yes/no) without a computed answer on any unanswerable question."""

from __future__ import annotations

import json
from pathlib import Path

from core.types import Answer, Citation, Computation, ComputationInput
from engine.qa import QA
from eval.computed_eval import (
    GOLD_COMPUTED,
    exact,
    load_computed,
    load_yesno,
    run_computed_gold,
    score_computed,
    score_yesno,
)
from eval.gold_eval import load_gold

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
OPERATIONS = {"change", "pct_change", "cagr", "difference", "multiple", "sum", "share", "product", "value", "average"}


def _raw(doc: str) -> str:
    return (CORPUS / doc).read_text(encoding="utf-8")


def test_computed_gold_is_well_formed() -> None:
    lines = [json.loads(x) for x in GOLD_COMPUTED.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len({d["id"] for d in lines}) == len(lines)
    gold = load_computed()
    answerable = [g for g in gold if g.answerable]
    assert len(answerable) >= 25 and any(not g.answerable for g in gold)
    for g in answerable:
        assert g.value is not None and g.unit and g.operation in OPERATIONS, g.id
        for e in g.evidence:  # every quote is in the report it names, as written
            assert e["quote"] in _raw(e["doc"]), (g.id, e["quote"])
    for g in gold:
        if not g.answerable:
            assert g.value is None and not g.evidence


def test_yesno_gold_is_well_formed() -> None:
    gold = load_yesno()
    assert len({g.id for g in gold}) == len(gold)
    answerable = [g for g in gold if g.answerable]
    assert len(answerable) >= 10 and {g.answer for g in answerable} >= {"yes", "no"}
    for g in answerable:
        assert g.evidence and all(e["quote"] in _raw(e["doc"]) for e in g.evidence), g.id


def _answer(result: float | None, cited: bool = True, abstained: bool = False) -> Answer:
    comp = Computation("a / b", [ComputationInput("a", 1.0, "USD", "FY2024", 1 if cited else None, "1")], result)
    cites = [Citation(1, "d", "t", "", 0, 1, "x")] if cited else []
    return Answer("q", "text", cites, abstained, "graph", computation=comp, value="Yes", answer_type="computed")


def test_scoring_rules() -> None:
    g = load_computed()[0]
    assert score_computed(g, _answer(g.value / 100 if g.unit in ("%", "points") else g.value))["correct"]
    assert not score_computed(g, _answer(0.5))["correct"]
    assert not score_computed(g, _answer(g.value / 100 if g.unit in ("%", "points") else g.value, cited=False))["correct"]
    assert exact(0.0551, 5.5, "points") and not exact(0.0559, 5.5, "points") and exact(-3400.0, -3400, "people")
    yn = next(x for x in load_yesno() if x.answerable and x.answer == "yes")
    assert score_yesno(yn, _answer(None))["correct"] and not score_yesno(yn, _answer(None, abstained=True))["correct"]


def test_gold_accuracy_on_the_bundled_reports(qa: QA) -> None:
    una = [q.question for q in load_gold() if not q.answerable]
    rep = run_computed_gold(qa.ask, una)
    comp, yn = rep["computed"]["summary"], rep["yesno"]["summary"]
    assert comp["accuracy"] >= 0.9 and comp["cited"] >= 0.9, rep["computed"]["records"]
    assert yn["accuracy"] >= 0.9, rep["yesno"]["records"]
    assert rep["computed_on_unanswerable"]["n"] == 0, rep["computed_on_unanswerable"]
