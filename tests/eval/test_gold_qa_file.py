"""Static validation of the hand-written gold question set eval/gold/qa.jsonl.

Checks structure, enums, answer shapes, and that every evidence quote is an exact
substring of its corpus document (so the gold set cannot silently drift from the corpus).
"""

import json
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "eval" / "gold" / "qa.jsonl"
CORPUS = ROOT / "corpus"

KEYS = {"id", "question", "type", "category", "answerable", "answer", "surface_forms", "evidence"}
TYPES = {
    "amount",
    "percentage",
    "range",
    "multiple",
    "year",
    "score",
    "count",
    "duration",
    "name",
    "list",
    "reason",
    "comparison",
    "other",
}
CATEGORIES = {
    "single",
    "range",
    "list",
    "cross_section",
    "cross_document",
    "comparison",
    "why",
    "paraphrase",
    "unanswerable",
}
UNITS = {"USD", "%", "x", "ms", "people", "year", "score", "count"}
MIN_PER_CATEGORY = {
    "single": 25,
    "range": 6,
    "list": 8,
    "cross_section": 6,
    "cross_document": 4,
    "comparison": 5,
    "why": 8,
    "paraphrase": 10,
    "unanswerable": 14,
}
# Web boilerplate at the end of the PitchGrade report: never valid evidence.
BOILERPLATE_START = "Want to research companies faster?"

# One-to-one character folds used only for lenient (non-exact) comparisons.
_FOLD = str.maketrans({"\u2011": "-", "\u2013": "-", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _fold(s: str) -> str:
    return s.translate(_FOLD).lower()


def _load() -> list[dict]:
    lines = GOLD.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


QUESTIONS = _load()
DOCS = {p.name: p.read_text(encoding="utf-8") for p in CORPUS.iterdir() if p.suffix == ".txt"}
ANSWERABLE = [q for q in QUESTIONS if q.get("answerable")]


def _ids(qs: list[dict]) -> list[str]:
    return [q.get("id", "?") for q in qs]


def test_counts_and_unique_ids():
    assert len(QUESTIONS) >= 90
    ids = [q["id"] for q in QUESTIONS]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, dupes
    assert sum(not q["answerable"] for q in QUESTIONS) >= 14


def test_category_distribution():
    counts = Counter(q["category"] for q in QUESTIONS)
    short = {c: (counts[c], n) for c, n in MIN_PER_CATEGORY.items() if counts[c] < n}
    assert not short, short


def test_unique_questions():
    texts = Counter(q["question"].strip().lower() for q in QUESTIONS)
    assert all(n == 1 for n in texts.values())


@pytest.mark.parametrize("q", QUESTIONS, ids=_ids(QUESTIONS))
def test_schema(q):
    assert set(q) == KEYS
    assert isinstance(q["id"], str) and q["id"]
    assert isinstance(q["question"], str) and q["question"].strip().endswith("?")
    assert q["type"] in TYPES
    assert q["category"] in CATEGORIES
    assert isinstance(q["answerable"], bool)
    assert isinstance(q["surface_forms"], list)
    assert all(isinstance(s, str) and s for s in q["surface_forms"])
    assert isinstance(q["evidence"], list)
    if q["answerable"]:
        assert q["category"] != "unanswerable"
        assert q["answer"] is not None and q["evidence"] and q["surface_forms"]
    else:
        assert q["category"] == "unanswerable"
        assert q["answer"] is None and q["evidence"] == [] and q["surface_forms"] == []


def _check_answer(a: dict) -> None:
    kind = a.get("kind")
    if kind == "number":
        assert set(a) <= {"kind", "value", "unit", "of"}
        assert isinstance(a["value"], int | float) and not isinstance(a["value"], bool)
        assert a["unit"] in UNITS
        if a["unit"] == "%":
            assert 0 < a["value"] <= 1.5, "percentages must be fractions"
        if a["unit"] == "score":
            assert isinstance(a.get("of"), int | float) and 0 < a["value"] <= a["of"]
        if a["unit"] == "year":
            assert isinstance(a["value"], int) and 1900 < a["value"] < 2100
    elif kind == "range":
        assert set(a) == {"kind", "low", "high", "unit"}
        assert a["unit"] in UNITS
        assert a["low"] < a["high"]
        if a["unit"] == "%":
            assert a["low"] > 0 and a["high"] <= 1.5, "percentages must be fractions"
    elif kind == "list":
        assert set(a) == {"kind", "items"}
        assert len(a["items"]) >= 2
        for item in a["items"]:
            assert isinstance(item, list) and item and all(isinstance(s, str) and s for s in item)
    elif kind == "text":
        assert set(a) == {"kind", "keywords"}
        assert 1 <= len(a["keywords"]) <= 3
        for group in a["keywords"]:
            assert isinstance(group, list) and group and all(isinstance(s, str) and s for s in group)
    else:
        raise AssertionError(f"unknown answer kind {kind!r}")


@pytest.mark.parametrize("q", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_answer_well_formed(q):
    _check_answer(q["answer"])


@pytest.mark.parametrize("q", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_evidence_quotes_are_exact(q):
    for ev in q["evidence"]:
        assert set(ev) == {"doc", "quote"}
        assert ev["doc"] in DOCS, ev["doc"]
        quote = ev["quote"]
        assert quote.strip() and "\n" not in quote and "\r" not in quote
        text = DOCS[ev["doc"]]
        assert quote in text, f"not an exact substring of {ev['doc']}: {quote!r}"
        cut = text.find(BOILERPLATE_START)
        if cut >= 0:
            assert text.find(quote) < cut, f"quote taken from boilerplate: {quote!r}"


@pytest.mark.parametrize("q", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_answer_grounded_in_evidence(q):
    """Numbers: some surface form occurs in a quote. Lists/text: every item/group occurs."""
    a = q["answer"]
    quotes = [ev["quote"].replace("\u2011", "-") for ev in q["evidence"]]
    if a["kind"] in {"number", "range"}:
        forms = [s.replace("\u2011", "-") for s in q["surface_forms"]]
        assert any(f in quote for f in forms for quote in quotes), (forms, quotes)
        return
    joined = _fold(" || ".join(quotes))
    groups = a["items"] if a["kind"] == "list" else a["keywords"]
    missing = [g for g in groups if not any(_fold(alt) in joined for alt in g)]
    assert not missing, missing
