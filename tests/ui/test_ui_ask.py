"""ui/tabs/ask.py: the conversation (follow-ups, citations, errors) and the streaming handler."""

from __future__ import annotations

from pathlib import Path

from engine.qa import QA
from ui.tabs.ask import AskTab
from ui.workspace import Workspace


def _tab(qa: QA, tmp_path: Path) -> AskTab:
    return AskTab(Workspace(qa, uploads_dir=tmp_path / "uploads"))


def test_ask_keeps_the_conversation_and_renders_citations(qa: QA, tmp_path: Path) -> None:
    tab = _tab(qa, tmp_path)
    chat, src, turns, box = tab.ask("What price did Twilio pay to acquire Segment?", [])
    assert box == "" and len(turns) == 1 and not turns[0].abstained
    assert 'data-cite="1"' in chat and "kgqa-src" in src
    assert turns[0].sources and turns[0].mode == "offline" and turns[0].latency_ms > 0
    chat, src, turns, _ = tab.ask("In which year did it complete the purchase?", turns)
    assert len(turns) == 2 and "Twilio" in turns[1].asked
    assert "follow-up read as" in chat
    _c, _s, turns, _ = tab.ask("x" * 5000, turns)
    assert turns[-1].error and "limit" in turns[-1].error
    assert len(tab.ask("   ", turns)[2]) == 3  # an empty question is not a turn


def test_without_an_llm_the_stream_yields_the_offline_answer_once(qa: QA, tmp_path: Path) -> None:
    tab = _tab(qa, tmp_path)
    out = list(tab.ask_stream("What price did Twilio pay to acquire Segment?", []))
    assert len(out) == 1 and out[0][2][0].mode == "offline"
    example = list(tab.fixed_question("What was Twilio's fiscal 2024 revenue?")(out[0][2]))
    assert len(example) == 1 and [t.question for t in example[0][2]][-1] == "What was Twilio's fiscal 2024 revenue?"


def test_new_chat_starts_empty(qa: QA, tmp_path: Path) -> None:
    chat, src, turns, box = _tab(qa, tmp_path).clear()
    assert turns == [] and box == "" and f"Index: {len(qa.index.docs)} documents" in chat
    assert "Sources of each answer are listed here." in src


def test_open_and_comparison_answers_keep_their_shape_in_the_turn(qa: QA, tmp_path: Path) -> None:
    tab = _tab(qa, tmp_path)
    chat, _src, turns, _ = tab.ask("Summarize the bear case for Twilio.", [])
    assert turns[0].points and 'class="kgqa-points"' in chat
    chat, _src, turns, _ = tab.ask("Compare Segment and Flex.", turns)
    assert turns[1].comparison is not None and 'class="kgqa-compare"' in chat
