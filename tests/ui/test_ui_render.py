"""ui/render.py: escaping, highlighting, the chat transcript and the sources panel."""

from __future__ import annotations

from typing import Any

from ui_helpers import EVIL, assert_inert, ev, parse

from core.types import Citation, DocRecord
from ui.render import (
    Turn,
    answer_html,
    conversation_html,
    document_html,
    evidence_html,
    highlight,
    source_view,
    sources_html,
)


def test_highlight_marks_exactly_the_span_and_escapes_everything() -> None:
    raw = f"Intro {EVIL} revenue was $5 million {EVIL} end."
    start = raw.index("revenue")
    end = raw.index("million") + len("million")
    vs = raw.index("$5")
    out = highlight(raw, 0, len(raw), start, end, vs, vs + len("$5 million"))
    assert_inert(out)
    assert parse(out).marked == [raw[start:end]]
    assert '<b class="kgqa-value">$5 million</b>' in out
    assert "&lt;script&gt;" in out


def test_source_view_uses_the_chunk_and_a_wider_context(qa: Any) -> None:
    a = qa.ask("What was Twilio's fiscal 2024 revenue?")
    c = a.citations[0]
    sv = source_view(qa.index, c)
    raw = qa.index.docs[c.doc].raw
    assert parse(sv.passage_html).marked == [raw[c.start : c.end]]
    assert parse(sv.context_html).marked == [raw[c.start : c.end]]
    assert len(sv.context_html) > len(sv.passage_html)


def test_answer_markers_are_buttons_only_for_real_citations() -> None:
    out = answer_html(f"$5 million [1] and [2] {EVIL} [7]", msg=3, cited=[1, 2])
    assert_inert(out)
    buttons = [a for t, a in parse(out).tags if t == "button"]
    assert [(b["data-msg"], b["data-n"]) for b in buttons] == [("3", "1"), ("3", "2")]
    assert "[7]" in out  # no citation 7: stays text


def test_conversation_and_sources_escape_document_text() -> None:
    sv = source_view(
        None,
        Citation(1, "evil.txt", f"Title {EVIL}", f"Section {EVIL}", 0, len(EVIL), EVIL),
    )
    turns = [
        Turn(question=f"What about {EVIL}?", asked=f"What about {EVIL}?", text=f"{EVIL} [1]", sources=[sv],
             latency_ms=12.0),
        Turn(question="Unknown?", asked="Unknown?", text="The corpus does not say.", abstained=True, latency_ms=3),
        Turn(question="x", asked="x", error=f"bad {EVIL}"),
    ]
    chat = conversation_html(turns)
    src = sources_html(turns)
    for frag in (chat, src):
        assert_inert(frag)
        assert "&lt;script&gt;" in frag
    assert 'class="kgqa-a kgqa-abstain"' in chat and 'class="kgqa-a kgqa-answer"' in chat
    assert "answered in 12 ms" in chat
    assert 'data-msg="0" data-n="1"' in src
    assert_inert(document_html(DocRecord("e.txt", EVIL, "/x/e.txt", "txt", EVIL, "0")))


def test_evidence_html_outside_the_document_range_is_still_escaped(qa: Any) -> None:
    out = evidence_html(None, ev("gone.txt", EVIL))
    assert_inert(out)
    assert parse(out).marked == [EVIL]
    doc = next(iter(qa.index.docs.values()))
    past_the_end = evidence_html(qa.index, ev(doc.id, EVIL, len(doc.raw)))
    assert parse(past_the_end).marked == [EVIL] and "kgqa-title" not in past_the_end
    inside = evidence_html(qa.index, ev(doc.id, doc.raw[:40]), n=2)
    assert parse(inside).marked == [doc.raw[:40]] and '<span class="kgqa-n">[2]</span>' in inside


def test_answer_footer_shows_mode_and_escaped_fallback_note() -> None:
    turns = [
        Turn(question="q", asked="q", text="Offline [1]", mode="offline", notes=["ignored"]),
        Turn(question="q", asked="q", text="Offline again", mode="llm-fallback",
             notes=[f"LLM timed out after 1 s {EVIL}; showing the offline answer"]),
        Turn(question="q", asked="q", text="Written [1]", mode="llm", notes=["mode: llm", f"dropped {EVIL}"]),
        Turn(question="q", asked="q", text=f"So far {EVIL}", streaming=True),
    ]
    chat = conversation_html(turns)
    assert_inert(chat)
    assert chat.count('class="kgqa-mode"') == 3
    for mode in ("offline", "llm-fallback", "llm"):
        assert f'data-mode="{mode}">mode: {mode}</span>' in chat
    assert "LLM timed out after 1 s &lt;script&gt;" in chat and "ignored" not in chat
    assert "1 check note</summary>" in chat
    assert 'data-streaming="1"' in chat and "writing…" in chat


def test_open_answer_points_render_as_a_list_with_clickable_markers() -> None:
    from core.types import Point

    t = Turn(question="Why?", asked="Why?", text=f"- {EVIL} [1]\n- Second [2]",
             points=[Point(f"{EVIL}.", [1]), Point("Second.", [2])],
             sources=[source_view(None, Citation(1, "a.txt", "A", "", 0, 3, "abc")),
                      source_view(None, Citation(2, "a.txt", "A", "", 0, 3, "abc"))])
    out = conversation_html([t])
    assert_inert(out)
    tags = parse(out).tags
    assert sum(1 for name, a in tags if name == "li" and a.get("class") == "kgqa-point") == 2
    assert [a["data-n"] for name, a in tags if name == "button"] == ["1", "2"]


def test_comparison_renders_a_table_under_the_lead() -> None:
    from core.types import Comparison, Point

    comp = Comparison([f"Alpha {EVIL}", "Beta"], ["Revenue", f"Risk {EVIL}"],
                      [[Point("$5M", [1]), Point("High", [1])], [Point("$3M", [2]), Point("not stated in the reports", [])]])
    t = Turn(question="Compare?", asked="Compare?", text="Alpha is larger ($5M vs $3M) [1][2].\n- Alpha: ...",
             comparison=comp, sources=[source_view(None, Citation(1, "a.txt", "A", "", 0, 3, "abc")),
                                       source_view(None, Citation(2, "a.txt", "A", "", 0, 3, "abc"))])
    out = conversation_html([t])
    assert_inert(out)
    tags = parse(out).tags
    assert any(name == "table" and a.get("class") == "kgqa-compare" for name, a in tags)
    assert sum(1 for name, _ in tags if name == "tr") == 3  # header + two items
    assert any(name == "td" and a.get("class") == "kgqa-missing" for name, a in tags)
    assert "kgqa-lead" in out and "- Alpha" not in out  # the lead, then the table (not the text rows)
