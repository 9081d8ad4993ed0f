"""The offline answerer on its own: value, list, reason answers and abstentions, with exact citations.

Two real indexes: the tiny purpose-built one (``tiny`` fixture, a made-up food company) and
the session's corpus index (``qa`` fixture), whose questions and expected values come from
the gold file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tiny_corpus import ACQUISITION_SENTENCE, MARGIN_2024, PRICE, RETAILERS, REVENUE_SENTENCE, Tiny

from core.interfaces import DocumentStore
from core.normalize import normalize
from core.types import Answer
from core.values import find_values, same_number
from engine.answer import LOOSE_LIST, OfflineAnswerer
from engine.answer_rank import Ranker

ROOT = Path(__file__).resolve().parents[2]
GOLD = {g["id"]: g for g in map(json.loads, (ROOT / "eval" / "gold" / "qa.jsonl").read_text(encoding="utf-8").splitlines())}


@pytest.fixture(scope="module")
def tiny_answerer(tiny: Tiny) -> OfflineAnswerer:
    return OfflineAnswerer(tiny.index, tiny.settings)


def ask(tiny: Tiny, answerer: OfflineAnswerer, question: str) -> Answer:
    return answerer.answer(tiny.retriever.search(question))


def assert_exact(index: DocumentStore, ans: Answer) -> None:
    """Every citation quotes its file exactly and every [n] in the text is one of them."""
    for c in ans.citations:
        assert index.docs[c.doc].raw[c.start : c.end] == c.text
    used = {int(n) for n in re.findall(r"\[(\d+)\]", ans.text)}
    assert used == {c.n for c in ans.citations}, ans.text


# ---- the tiny index ----------------------------------------------------------------------------------


def test_value_answer_states_the_value_and_marks_it_in_its_citation(tiny: Tiny, tiny_answerer: OfflineAnswerer) -> None:
    ans = ask(tiny, tiny_answerer, "What gross margin does management expect in fiscal 2024?")
    assert not ans.abstained and ans.route == "passages" and ans.answer_type == "percentage"
    assert ans.value == MARGIN_2024
    assert ans.text.startswith(f"{MARGIN_2024} in fiscal 2024 [1].")
    first = ans.citations[0]
    raw = tiny.index.docs[first.doc].raw
    assert first.value_start is not None and first.value_end is not None
    assert raw[first.value_start : first.value_end] == MARGIN_2024
    assert ans.confidence is not None and ans.confidence >= tiny.settings.abstain_threshold
    assert_exact(tiny.index, ans)


def test_value_answer_picks_the_value_the_question_is_about(tiny: Tiny, tiny_answerer: OfflineAnswerer) -> None:
    # the sentence also holds a year; "how much ... pay" asks for the money amount
    ans = ask(tiny, tiny_answerer, "How much did Quillfeather pay for Oatfield Dairy?")
    assert ans.value == PRICE
    assert ans.citations[0].text == ACQUISITION_SENTENCE


def test_normalised_value_is_cited_at_its_raw_span(tiny: Tiny, tiny_answerer: OfflineAnswerer) -> None:
    ans = ask(tiny, tiny_answerer, "What were Dairy margins in fiscal 2023?")
    (value,) = find_values(ans.value or "")
    c = ans.citations[0]
    marked = tiny.index.docs[c.doc].raw[c.value_start : c.value_end]  # type: ignore[misc]
    assert "–" in marked and find_values(normalize(marked).text)[0].high == value.high  # the file's en dash


def test_unknown_name_abstains_without_citations(tiny: Tiny, tiny_answerer: OfflineAnswerer) -> None:
    q = "What was Zorblax's fiscal 2023 revenue?"
    result = tiny.retriever.search(q)
    assert tiny_answerer.unknown_names(result.question) == {"zorblax"}
    ans = tiny_answerer.answer(result)
    assert ans.abstained and ans.route == "none" and ans.citations == [] and ans.confidence == 0.0
    assert ans.text == 'The corpus does not say ("What was Zorblax\'s fiscal 2023 revenue").'


def test_period_the_corpus_lacks_abstains_and_points_at_closest_passages(
    tiny: Tiny, tiny_answerer: OfflineAnswerer
) -> None:
    known = ask(tiny, tiny_answerer, "What was Quillfeather's fiscal 2023 revenue?")
    assert not known.abstained  # the same question with the documents' year is answered
    result = tiny.retriever.search("What was Quillfeather's fiscal 2019 revenue?")
    cands = Ranker(tiny.index, tiny.settings).candidates(result)
    assert cands and not any(c.period_ok for c in cands)
    ans = tiny_answerer.answer(result)
    assert ans.abstained and ans.value is None and ans.confidence == 0.0
    assert "Closest passages: [1]" in ans.text
    assert REVENUE_SENTENCE in [c.text for c in ans.citations]
    assert_exact(tiny.index, ans)


def test_list_answer_names_every_item_of_the_enumeration(tiny: Tiny, tiny_answerer: OfflineAnswerer) -> None:
    ans = ask(tiny, tiny_answerer, "Which companies sell Quillfeather's breads?")
    assert ans.answer_type == "list" and not ans.abstained
    assert ans.value == f"{RETAILERS[0]}, {RETAILERS[1]} and {RETAILERS[2]}"
    assert LOOSE_LIST not in ans.notes  # an enumeration, not loose capitalised words
    assert ans.citations[0].text.startswith("Quillfeather’s breads")  # the raw file's curly apostrophe
    assert_exact(tiny.index, ans)


def test_table_row_value_cites_the_row_and_its_header(tiny: Tiny, tiny_answerer: OfflineAnswerer) -> None:
    ans = ask(tiny, tiny_answerer, "How much revenue did the Dairy segment bring in?")
    row, header = ans.citations[:2]
    assert ans.text.split(".")[0].endswith("[1][2]")
    assert row.text.startswith("| Dairy") and header.text.startswith("| Segment")
    assert_exact(tiny.index, ans)


def test_reason_answer_quotes_the_causal_sentence(tiny: Tiny, tiny_answerer: OfflineAnswerer) -> None:
    ans = ask(tiny, tiny_answerer, "Why does management expect a higher gross margin?")
    assert ans.answer_type == "reason" and not ans.abstained and ans.value is None
    assert "because" in ans.citations[0].text
    assert_exact(tiny.index, ans)


def test_a_stricter_threshold_turns_the_answer_into_an_abstention(tiny: Tiny) -> None:
    strict = OfflineAnswerer(tiny.index, tiny.settings.with_values({"abstain_threshold": 0.99}))
    ans = ask(tiny, strict, "What gross margin does management expect in fiscal 2024?")
    assert ans.abstained and 0.0 < (ans.confidence or 0.0) < 0.99


# ---- the corpus index (gold questions) ---------------------------------------------------------------


def _gold_value_ok(g: dict[str, Any], text: str) -> bool:
    return any(same_number(v.value, g["answer"]["value"]) for v in find_values(text))


def test_corpus_value_answer_is_the_gold_value_cited_at_its_evidence(qa: Any) -> None:
    g = GOLD["q002"]  # the price paid for an acquisition
    ans = OfflineAnswerer(qa.index, qa.settings).answer(qa.search(g["question"]))
    assert not ans.abstained and _gold_value_ok(g, ans.value or "")
    first = ans.citations[0]
    assert first.doc == g["evidence"][0]["doc"]
    assert g["evidence"][0]["quote"] in normalize(first.text).text
    raw = qa.index.docs[first.doc].raw
    assert _gold_value_ok(g, raw[first.value_start : first.value_end])
    assert_exact(qa.index, ans)


def test_corpus_list_answer_has_every_gold_item(qa: Any) -> None:
    g = GOLD["q057"]
    ans = OfflineAnswerer(qa.index, qa.settings).answer(qa.search(g["question"]))
    expected = [x.strip() for x in g["surface_forms"][0].replace(", and ", ", ").split(",")]
    assert len(expected) >= 3 and all(x in (ans.value or "") for x in expected), ans.value
    assert_exact(qa.index, ans)


def test_corpus_abstains_on_an_unknown_name_and_a_missing_period(qa: Any) -> None:
    answerer = OfflineAnswerer(qa.index, qa.settings)
    renamed = GOLD["q002"]["question"].replace("Twilio", "Zorblax")
    assert "Zorblax" in renamed
    unknown = answerer.answer(qa.search(renamed))
    assert unknown.abstained and unknown.citations == []
    g = GOLD["q103"]  # a year the corpus does not report
    assert not g["answerable"]
    missing = answerer.answer(qa.search(g["question"]))
    assert missing.abstained and missing.confidence == 0.0
    assert_exact(qa.index, missing)
