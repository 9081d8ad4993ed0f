"""Metric facts of entity tables that carry no number: a rating ("AI Disruption Risk: High") or an
improvement named in a value column ("improves customer satisfaction scores")."""

from __future__ import annotations

import re

from kg import lexicon as lx
from kg.extract.state import METRIC, DocState
from kg.extract.text import np_phrase


def table_metrics(st: DocState) -> None:
    rating_cells(st)
    value_free_metrics(st)


def rating_cells(st: DocState) -> None:
    """Table cells holding a rating under a metric-like header: "AI Disruption Risk: High - ..."."""
    ratings = sorted(lx.cues()["ratings"], key=len, reverse=True)
    rmet = lx.metrics()["rating_metrics"]
    for ui, (label, typ) in st.row_entity.items():
        for s in st.unit_segs[ui][1:]:
            seg = st.segs[s]
            h = (seg.header or "").strip()
            if not h or not any(w in h.lower().split() for w in rmet):
                continue
            m = re.match(r"(" + "|".join(re.escape(r) for r in ratings) + r")\b", seg.text, re.I)
            if m:
                metric = lx.canonical_metric(h)
                st.mention(metric, METRIC, 2.0, ui)
                st.fact(label, typ, "HAS_METRIC", ui, metric, METRIC, metric=metric, attrs={"value": m.group(1).title()})


def value_free_metrics(st: DocState) -> None:
    """ "improves customer satisfaction scores" in a table's value column: a metric without a number."""
    verbs = "|".join(lx.cues()["change_verbs"])
    for ui, (label, typ) in st.row_entity.items():
        for s in st.unit_segs[ui][1:]:
            seg = st.segs[s]
            if not re.search(r"value|impact|benefit|result|outcome|effect", seg.header or "", re.I):
                continue
            for m in re.finditer(rf"\b(?:{verbs})\s+((?:[\w-]+\s+){{0,4}}[\w-]+)(?=[.;,]|\s+(?:by|and|while)\b|$)", seg.text, re.I):
                np_ = np_phrase(m.group(1))
                if np_ and lx.metric_head(np_) and not re.search(r"\d", seg.text[m.end() : m.end() + 12]):
                    metric = lx.canonical_metric(np_)
                    st.mention(metric, METRIC, 1.5, ui)
                    st.fact(label, typ, "HAS_METRIC", ui, metric, METRIC, metric=metric)
