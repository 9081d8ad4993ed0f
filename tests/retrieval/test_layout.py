"""Sections, tables (markdown and run-together), list items and boilerplate."""

from __future__ import annotations

from retrieval.documents import load_file
from retrieval.layout import parse_units, split_glued_row


def _units(corpus_dir, name):  # type: ignore[no-untyped-def]
    doc = load_file(corpus_dir / name, corpus_dir)
    return doc, parse_units(doc.text)


def test_boilerplate_footer_is_never_a_unit(corpus_dir) -> None:  # type: ignore[no-untyped-def]
    _, units = _units(corpus_dir, "twilio-cpaas-ai-native-alternatives.txt")
    texts = " ".join(u.text for u in units)
    assert "Explore More Content" not in texts
    assert "Want to research companies faster" not in texts
    assert "Takeaways for Investors" in {u.section for u in units}


def test_generic_boilerplate_detection() -> None:
    text = (
        "Acme outlook\nSummary\nAcme's revenue rose 12% to $80 million as new customers signed long contracts "
        "across three regions and churn fell.\nSubscribe to our newsletter\nShare this article\nRead more insights\n"
    )
    units = parse_units(text)
    assert not any("newsletter" in u.text or "Share this" in u.text for u in units)
    assert any("$80 million" in u.text for u in units)


def test_markdown_table_rows_carry_headers(corpus_dir) -> None:  # type: ignore[no-untyped-def]
    _, units = _units(corpus_dir, "twilio-cpaas-ai-native-alternatives.txt")
    rows = [u for u in units if u.kind == "table_row"]
    assert len(rows) == 4
    seg = next(u for u in rows if "Segment (data platform)" in u.text)
    assert "Approx. FY2024 Revenue: ~$560M" in seg.text and "% of Total: 13%" in seg.text
    assert seg.section == "Revenue Exposure"


def test_run_together_tables_split_into_cells(corpus_dir) -> None:  # type: ignore[no-untyped-def]
    _, units = _units(corpus_dir, "twilio-insider-selling-engineering-commentary.txt")
    rows = {u.text.split(";")[0]: u.text for u in units if u.kind == "table_row"}
    assert "AI Use Case: Intelligent Call Routing" in rows
    assert "Technical Stack: Reinforcement learning models" in rows["AI Use Case: Intelligent Call Routing"]
    assert "Trend: CI/CD Pipelines & GitOps" in rows  # "GitOps" is not split at its inner capital
    assert "Value: 28 ms" in rows["Metric: Edge node latency (US-East)"]


def test_glued_row_splitter() -> None:
    row = "Edge node latency (US-East)28 ms< 30 ms target"
    assert [row[a:b] for a, b in split_glued_row(row, 3)] == ["Edge node latency (US-East)", "28 ms", "< 30 ms target"]


def test_section_paths(corpus_dir) -> None:  # type: ignore[no-untyped-def]
    _, units = _units(corpus_dir, "twilio-cpaas-ai-native-alternatives.txt")
    sections = {u.section for u in units}
    assert "Timeline Scenarios > 1-3 Years (Near Term)" in sections
    assert "Timeline Scenarios > 3-7 Years (Medium Term)" in sections
    _, units2 = _units(corpus_dir, "twilio-insider-selling-engineering-commentary.txt")
    case = [u for u in units2 if u.text.startswith("Result: 30 % reduction")]
    assert case and case[0].kind == "list_item"
    assert case[0].section.startswith("2. AI Implementation") and "Case Study" in case[0].section


def test_pdf_statement_lines_become_rows_not_headings() -> None:
    text = (
        "Acme Corp and Subsidiaries\nConsolidated Statement of Cash Flows\n(Millions)\n \n2018\n \n2017\n"
        "Net income including noncontrolling interest\n \n$\n5,363 \n$\n4,869 \n"
        "Adjustments to reconcile net income to net cash\nprovided by operating activities\n"
        "Purchases of property, plant and equipment (PP&E)\n \n(1,577) \n \n(1,373) \n"
    )
    units = parse_units(text)
    texts = [u.text for u in units]
    assert "Net income including noncontrolling interest $ 5,363 $ 4,869" in texts
    assert "Purchases of property, plant and equipment (PP&E) (1,577) (1,373)" in texts
    assert "Adjustments to reconcile net income to net cash provided by operating activities" in texts
    assert not [u for u in units if u.kind == "heading" and any(ch.isdigit() for ch in u.text)]
    assert len({u.section for u in units}) == 1  # short label lines are not sections


def test_chat_lines_with_camel_case_speakers_are_not_a_table() -> None:
    """A chat log's "LiHua: ..." lines split at their inner capital like a run-together header would:
    a speaker label, an exclamation or an emoji makes them messages, each its own sentence."""
    text = (
        "Time: 20260326_16:00\nWolfgangSchulz: Hey guys! I'm thinking about getting some new drums.\n"
        "LiHua: You too! Have a great day! \N{SMILING FACE WITH SMILING EYES}\n"
        "YurikoYamamoto: Take care, everyone! \N{GUITAR}\n"
        "WolfgangSchulz: Enjoy your day, guys! \N{MUSICAL NOTE}\n"
    )
    units = parse_units(text)
    assert not [u for u in units if u.kind in ("table_row", "heading") and "Hua" in u.text]
    assert any(u.text.startswith("YurikoYamamoto: Take care") and u.kind == "sentence" for u in units)
    assert not any(u.text.startswith("Li:") or "Yuriko; " in u.text for u in units)
