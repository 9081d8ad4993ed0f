"""kg.extract.segments, structure and entities: segments, candidate names, their types, the focus
company, and located names - on small reports written for each test."""

from __future__ import annotations

from kg.extract import read_names
from kg.extract.segments import build_segments, find_runs
from kg.extract.state import COMPANY, PERSON, PRODUCT, SCENARIO, SEGMENT, TECH, DocState
from kg.nlp import nlp

REPORT = """Acme Corp: Sensors for Factories
Overview
Acme Corp (ACME) makes industrial sensors. Acme Corp competes with Globex Inc, Initech Inc, and Hooli in predictive maintenance.
Umbrella Labs (now Initech) sells gauges. Acme Pulse, launched in 2023, reads vibration data.
Jane Doe, the chief executive, sold 20% of her Acme Corp shares in 2024.
Revenue Mix
| Segment | FY2024 Revenue |
|---|---|
| Sensors | $300 million |
| Software | $110 million |
Bull Case
In the bull case, revenue reaches $600 million by 2027.
Risks
Large Language Models (LLMs) let rivals copy features.
"""


def test_table_rows_become_one_segment_per_cell(make_doc):
    doc, units = make_doc(REPORT)
    st = DocState(doc, units, nlp())
    build_segments(st)
    rows = [ui for ui, u in enumerate(st.units) if u.kind == "table_row"]
    assert len(rows) == 2 and all(st.headers[ui] == ["Segment", "FY2024 Revenue"] for ui in rows)
    cells = [st.segs[s] for s in st.unit_segs[rows[0]]]
    assert [(c.header, c.col, c.text) for c in cells] == [("Segment", 0, "Sensors"), ("FY2024 Revenue", 1, "$300 million")]
    assert all(seg.sp is not None and seg.sp.text == seg.text for seg in st.segs)
    assert not any(u.kind == "heading" and " | " in u.text for ui, u in enumerate(st.units) if st.unit_segs.get(ui))


def test_runs_are_capitalised_names_without_generic_words(make_doc):
    doc, units = make_doc(REPORT)
    st = DocState(doc, units, nlp())
    build_segments(st)
    runs = find_runs(st)
    texts = {r.text for r in runs}
    assert {"Acme Corp", "Globex Inc", "Initech Inc", "Hooli", "Umbrella Labs", "Jane Doe"} <= texts
    assert all(st.segs[r.seg].text[r.start : r.end] == r.text for r in runs)
    assert sum(len(v) for v in st.seg_runs.values()) == len(runs)


def test_names_are_typed_and_located(make_doc):
    doc, units = make_doc(REPORT)
    st = read_names(doc, units)
    assert st.focus == "Acme Corp"
    types = {n: st.type_of(n) for n in st.types}
    for name, typ in [("Acme Corp", COMPANY), ("Globex Inc", COMPANY), ("Hooli", COMPANY), ("Initech", COMPANY),
                      ("Acme Pulse", PRODUCT), ("Jane Doe", PERSON), ("Sensors", SEGMENT), ("Software", SEGMENT),
                      ("Bull Case", SCENARIO), ("Large Language Models", TECH)]:
        assert types.get(name) == typ, name
    assert "ACME" in st.aliases["Acme Corp"] and "LLMs" in st.aliases["Large Language Models"]
    assert st.row_entity and set(st.row_entity.values()) == {("Sensors", SEGMENT), ("Software", SEGMENT)}
    bull = [ui for ui, (name, key) in st.scenario_of.items() if name == "Bull Case" and key == "bull"]
    assert bull and all("bull case" in st.units[ui].text for ui in bull)
    # every occurrence is the located text of a known name (or of one of its aliases)
    for seg in st.segs:
        for o in seg.occ:
            surface = seg.text[o.start : o.end]
            assert surface == o.name or surface in st.aliases[o.name], (surface, o.name)
    by_text = {seg.text.split()[0] + " " + seg.text.split()[1]: seg for seg in st.segs if len(seg.text.split()) > 1}
    # "Umbrella Labs (now Initech)" is located whole, as an alias of Umbrella Labs
    umbrella = by_text["Umbrella Labs"]
    assert [(umbrella.text[o.start : o.end], o.name) for o in umbrella.occ] == [("Umbrella Labs (now Initech)", "Umbrella Labs")]
    assert [o.name for o in by_text["Acme Corp"].occ][:1] == ["Acme Corp"]
    # the longest name wins: "Initech Inc" is not also an occurrence of "Initech"
    rivals = next(seg for seg in st.segs if "competes" in seg.text)
    assert [o.name for o in rivals.occ] == ["Acme Corp", "Globex Inc", "Initech Inc", "Hooli"]


def test_evidence_of_mentions_is_the_whole_unit(make_doc):
    doc, units = make_doc(REPORT)
    st = read_names(doc, units)
    assert st.mentions
    for m in st.mentions:
        d, a, b, text = m["ev"]
        assert d == doc.id and doc.raw[a:b] == text
        assert any(u.start == a and u.end == b for u in units)
