"""Cut a document into segments (sentences, list items, table cells) and find candidate names.

A table row ``"Segment: Flex; Revenue: $1B"`` under a ``"Segment | Revenue"`` header becomes one
segment per cell, each knowing its column header; every other unit is one segment. Candidate
names (:class:`~kg.extract.state.Run`) are runs of capitalised tokens, trimmed of generic words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kg import lexicon as lx
from kg.extract.state import DocState, Run, Seg
from kg.extract.text import CONNECTORS, namey, split_cells

if TYPE_CHECKING:
    from spacy.tokens import Token


def build_segments(st: DocState) -> None:
    """Fill ``st.segs``, ``st.unit_segs`` and ``st.headers``, and parse every segment with spaCy."""
    last_header: list[str] = []
    section = None
    for i, u in enumerate(st.units):
        if u.section != section:
            section, last_header = u.section, []
        if u.kind == "heading" and " | " in u.text:
            last_header = [h.strip() for h in u.text.split(" | ")]
            continue
        if u.kind == "table_row":
            st.headers[i] = last_header
            for col, (h, _off, cell) in enumerate(split_cells(u.text, last_header)):
                if cell:
                    st.unit_segs[i].append(len(st.segs))
                    st.segs.append(Seg(i, cell, h, col))
            continue
        last_header = []
        st.unit_segs[i].append(len(st.segs))
        st.segs.append(Seg(i, u.text))
    for seg, sp in zip(st.segs, st.nlp.pipe([s.text for s in st.segs], batch_size=64), strict=True):
        seg.sp = sp


def find_runs(st: DocState) -> list[Run]:
    """Candidate names of every segment, in order; also indexed by segment in ``st.seg_runs``."""
    out: list[Run] = []
    generic = lx.generic_caps()
    for si, seg in enumerate(st.segs):
        if seg.sp is None:
            continue
        ner = {t.i: e.label_ for e in seg.sp.ents for t in e}
        toks = list(seg.sp)
        i = 0
        while i < len(toks):
            if not namey(toks[i].text):
                i += 1
                continue
            j = _run_end(toks, i)
            span = _trim(toks[i : j + 1], generic)
            if span and not all(x.text.lower() in generic for x in span):
                out.append(_run(si, seg, span, ner))
            i = j + 1
    for r in out:
        st.seg_runs[r.seg].append(r)
    return out


def _run_end(toks: list[Token], i: int) -> int:
    """The last token of the run of name-like tokens starting at ``i`` ("AT&T", "Bank of X")."""
    j = i
    while j + 1 < len(toks):
        nxt = toks[j + 1]
        if namey(nxt.text) and toks[j].text != "'s":
            j += 1
        elif nxt.text in CONNECTORS and j + 2 < len(toks) and namey(toks[j + 2].text) and (
            nxt.text != "-" or (toks[j].whitespace_ == "" and nxt.whitespace_ == "")
        ):
            j += 2
        else:
            break
    return j


def _trim(span: list[Token], generic: frozenset[str]) -> list[Token]:
    """Drop connectors and generic words at both ends (keeping a company suffix at the end)."""
    while span and (span[0].text in CONNECTORS or (
        span[0].text.lower() in generic and (len(span) == 1 or span[0].whitespace_ != "")
    )):
        span = span[1:]
    while len(span) > 1 and (span[-1].text in CONNECTORS or (
        span[-1].text.lower() in generic and span[-1].text not in lx.company_suffixes()
    )):
        span = span[:-1]
    return span


def _run(si: int, seg: Seg, span: list[Token], ner: dict[int, str]) -> Run:
    a, b = span[0].idx, span[-1].idx + len(span[-1].text)
    initial = span[0].i == 0 or span[0].is_sent_start or seg.text[: span[0].idx].rstrip().endswith((":", "-", "|"))
    labels = [ner[x.i] for x in span if ner.get(x.i)]
    return Run(si, a, b, seg.text[a:b], bool(initial), any(x.pos_ == "PROPN" for x in span), labels[0] if labels else None)
