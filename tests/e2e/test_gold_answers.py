"""End-to-end accuracy on the hand-written gold questions (real model, real index)."""

from __future__ import annotations

import json
from pathlib import Path

from core.normalize import normalize
from core.values import find_values, same_number

ROOT = Path(__file__).resolve().parents[2]
GOLD = [json.loads(x) for x in (ROOT / "eval" / "gold" / "qa.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
KINDS = {"USD": {"money"}, "%": {"percent"}, "x": {"multiple"}, "ms": {"duration"}, "score": {"score"},
         "year": {"year"}, "count": {"count", "number"}, "people": {"count", "number"}}


def _value_ok(gold: dict, text: str) -> bool:
    a = gold["answer"]
    vals = find_values(text)
    if a["kind"] == "range":
        return any(v.high is not None and same_number(v.value, a["low"]) and same_number(v.high, a["high"]) for v in vals)
    return any(v.kind in KINDS[a["unit"]] and same_number(v.value, a["value"]) for v in vals)


def test_value_questions_are_right_and_cited(qa, corpus_dir: Path) -> None:  # type: ignore[no-untyped-def]
    value_qs = [g for g in GOLD if g["answerable"] and g["answer"]["kind"] in ("number", "range")]
    right_and_cited = []
    for g in value_qs:
        a = qa.ask(g["question"])
        first = a.text.split("[")[0]
        if a.abstained or not _value_ok(g, first):
            continue
        # some citation's span contains the stated value
        for c in a.citations:
            raw = (corpus_dir / c.doc).read_text(encoding="utf-8")
            assert raw[c.start : c.end] == c.text
            if _value_ok(g, normalize(c.text).text):
                right_and_cited.append(g["id"])
                break
    assert len(value_qs) >= 40
    assert len(right_and_cited) >= 20
    assert len(right_and_cited) / len(value_qs) >= 0.85, sorted({g["id"] for g in value_qs} - set(right_and_cited))


def test_out_of_corpus_questions_abstain(qa) -> None:  # type: ignore[no-untyped-def]
    unanswerable = [g for g in GOLD if not g["answerable"]]
    extra = ["What is the capital of France?", "How many moons does Jupiter have?", "What was Apple's 2023 revenue?"]
    questions = [g["question"] for g in unanswerable] + extra
    abstained = [q for q in questions if qa.ask(q).abstained]
    assert len(abstained) / len(questions) >= 0.85, sorted(set(questions) - set(abstained))
    for q in extra:
        a = qa.ask(q)
        assert a.abstained and a.text.startswith("The corpus does not say")


def test_every_citation_round_trips(qa, corpus_dir: Path) -> None:  # type: ignore[no-untyped-def]
    for g in GOLD[:60]:
        for c in qa.ask(g["question"]).citations:
            raw = (corpus_dir / c.doc).read_text(encoding="utf-8")
            assert raw[c.start : c.end] == c.text
            if c.value_start is not None:
                assert c.start <= c.value_start < c.value_end <= c.end
