"""ui/conversation.py: follow-up questions made self-contained."""

from __future__ import annotations

from ui.conversation import resolve_followup


def test_follow_ups_are_rewritten_with_the_previous_question() -> None:
    prev = "What was Twilio's fiscal 2024 revenue?"
    assert resolve_followup("And in 2023?", [prev], ["Twilio"]) == "What was Twilio's fiscal 2023 revenue?"
    assert resolve_followup("What about Segment?", [prev], ["Twilio", "Segment"]) == "What was Segment's fiscal 2024 revenue?"
    assert resolve_followup("Who founded it?", [prev], ["Twilio"]) == "Who founded Twilio?"
    assert resolve_followup("Who founded it?", [], ["Twilio"]) == "Who founded it?"
    assert resolve_followup("What is Segment?", [prev], ["Twilio", "Segment"]) == "What is Segment?"
