"""Names given by a document's structure rather than its sentences.

* entity tables: the first cell of a row under a segment-like or technology-like header names a
  segment or technology (``"Segment | Revenue"`` -> ``"Flex"`` is a Segment);
* scenario sections: every unit under a heading like ``"Bull Case"`` belongs to that scenario;
* segment appositions: ``"The communications segment - Acme's legacy CPaaS business - ..."``
  gives the segment two aliases.

The header and heading words are cue lists of ``kg/data/cues.json``.
"""

from __future__ import annotations

import re

from kg import lexicon as lx
from kg.extract.state import SCENARIO, SEGMENT, TECH, DocState, Seg
from kg.extract.text import clean_name, first_chunk, short_list

_APPOSITION = re.compile(
    r"\b[Tt]he ([\w&/-]+(?: [\w&/-]+)?) (segment|business|division|unit) - ((?:[A-Z][\w-]*'s )?[^-;]{3,60}?) - "
)


def read_structure(st: DocState) -> None:
    """Row labels of entity tables, scenario sections, segment appositions."""
    entity_tables(st)
    scenario_sections(st)
    segment_appositions(st)


def row_type(first_header: str) -> str | None:
    """The entity type named by the first cells under a table's first header, if any.

    >>> row_type("Business segment"), row_type("AI technology"), row_type("Revenue")
    ('Segment', 'Technology', None)
    """
    c = lx.cues()
    first = first_header.lower()
    seg_h = [h.lower() for h in c["segment_headers"]]
    if any(first == h or first.endswith(h) or first.startswith(h) for h in seg_h):
        return SEGMENT
    if any(h.lower() in first for h in c["tech_headers"]):
        return TECH
    return None


def entity_tables(st: DocState) -> None:
    """Rows of tables whose first column names segments or technologies."""
    for ui, hdr in st.headers.items():
        if not hdr:
            continue
        segs = [st.segs[k] for k in st.unit_segs[ui]]
        if not segs or segs[0].col != 0:
            continue
        label_raw = segs[0].text
        label = clean_name(re.sub(r"\s*\([^)]*\)\s*$", "", label_raw))
        if not label or len(label.split()) > 7:
            continue
        typ = row_type(hdr[0])
        if typ is None:
            continue
        aliases = (label_raw,) if label_raw != label else ()
        st.mention(label, typ, 5.0 if typ == SEGMENT else 3.0, ui, aliases)
        st.row_entity[ui] = (label, typ)
        _row_cells(st, ui, segs[1:], typ)


def _row_cells(st: DocState, ui: int, cells: list[Seg], typ: str) -> None:
    """Technologies in the other cells of an entity row: a stack column, or a cell listing short items
    ("Spot instances, reserved capacity, and savings plans.")."""
    stack_h = [h.lower() for h in lx.cues()["stack_headers"]]
    for s in cells:
        if s.header and any(h == s.header.lower() or s.header.lower().endswith(h) for h in stack_h):
            tech = first_chunk(s.text)
            if tech:
                st.mention(tech[0], TECH, 3.0, ui, tech[1])
    if typ == TECH:
        for s in cells:
            for it in short_list(s.text):
                st.mention(it, TECH, 1.5, ui)


def scenario_sections(st: DocState) -> None:
    """Scenario headings ("Bull Case"): every unit of the heading's own section belongs to it."""
    scen_res = [re.compile(p, re.I) for p in lx.cues()["scenario_headings"]]
    current: tuple[str, str] | None = None
    cur_section: str | None = None
    for i, u in enumerate(st.units):
        if u.kind == "heading" and " | " not in u.text:
            m = next((r.search(u.text) for r in scen_res if r.search(u.text)), None)
            if m:
                key = re.sub(r"[ -]case$", "", m.group(0).lower()).replace("-", " ")
                name = u.text.strip()
                st.mention(name, SCENARIO, 5.0, i)
                current, cur_section = (name, key), u.section
                continue
            if current and not _inside(u.section, cur_section):
                current = None
        if current and cur_section and u.section == cur_section:
            st.scenario_of[i] = current


def _inside(section: str, scenario_section: str | None) -> bool:
    """Whether a heading in ``section`` still belongs to the scenario of ``scenario_section``."""
    if not section.startswith(scenario_section or "\0"):
        return False
    return section == scenario_section or section.startswith(f"{scenario_section} > ")


def segment_appositions(st: DocState) -> None:
    """ "The communications segment - Acme's legacy CPaaS business - ..." -> aliases of the segment."""
    seg_names = {n.lower(): n for n, cnt in st.types.items() if cnt.get(SEGMENT)}
    for i, u in enumerate(st.units):
        for m in _APPOSITION.finditer(u.text):
            target = seg_names.get(m.group(1).lower())
            if target:
                appo = re.sub(r"^[A-Z][\w-]*'s ", "", m.group(3)).strip()
                st.mention(target, SEGMENT, 1.0, i, (f"{m.group(1)} {m.group(2)}", appo))
