"""What a value measures: the metric phrase around a number ("revenue of $4.46 billion",
"margins of 49-52%", a table's column header), and an owner named in it ("Acme's margins")."""

from __future__ import annotations

import re

from core.values import Value
from kg import lexicon as lx
from kg.extract.state import DocState, Seg
from kg.extract.text import np_phrase, words_before

MetricName = tuple[str, str | None]  # (metric phrase, owner named in the phrase)

_NOT_A_PERIOD = re.compile(r"(?:the\s+)?(?:past|last|next)\b")


def metric_name(st: DocState, seg: Seg, v: Value) -> MetricName | None:
    """The metric a value measures, and an owner named in its phrase ("Acme's margins")."""
    if seg.col >= 0:
        cell = _cell_metric(st, seg)
        if cell:
            return cell
    return (_change_or_by(seg, v) or _per_label(seg, v) or _of_phrase(seg, v) or _phrase_after(seg, v)
            or _before_value(seg, v))


def _cell_metric(st: DocState, seg: Seg) -> MetricName | None:
    """Table cells: the row's metric label under a value column, or a metric-like column header."""
    hdr = (seg.header or "").strip()
    hl = hdr.lower()
    row_segs = [st.segs[s] for s in st.unit_segs[seg.unit]]
    if any(h in hl for h in lx.cues()["value_headers"]) or any(h in hl for h in lx.cues()["benchmark_headers"]):
        label = next((s for s in row_segs if s.header and any(h in s.header.lower() for h in lx.cues()["metric_headers"])), None)
        if label:
            return re.sub(r"\s*\([^)]*\)", "", label.text).strip(), None
    if seg.col > 0 and (lx.metric_head(hdr) or hdr.startswith("%")):
        name = re.sub(r"\b(?:approx\.?|approximately|FY\s?\d{2,4}|(?:19|20)\d\d|est\.?|estimated)\b", "", hdr, flags=re.I)
        name = " ".join(name.split()).strip(" .")
        if name:
            return name, None
    return None


def _change_or_by(seg: Seg, v: Value) -> MetricName | None:
    """ "12% growth in revenue", "grew revenue by 12%", "margins expanded by 3 points"."""
    after, before = seg.text[v.end :], seg.text[: v.start]
    change = "|".join(lx.cues()["change_nouns"])
    m = re.match(rf"\s*\+?\s*(?:{change})\s+in\s+(.+)", after, re.I)
    if m:
        return np_phrase(m.group(1)), None
    m = re.search(r"\b(?:by|at)\s+$", before)
    if m:
        verb = re.search(rf"\b(?:{'|'.join(lx.cues()['change_verbs'])})\s+([\w -]+?)\s+by\s+$", before, re.I)
        if verb:
            return np_phrase(verb.group(1)), None
        np_ = chunk_before(seg, m.start())
        if np_ and lx.metric_head(np_[0]):
            return np_
    return None


def _per_label(seg: Seg, v: Value) -> MetricName | None:
    """ "Pricing: $0.05 per message" -> "Pricing per message"."""
    if v.kind != "money":
        return None
    per = re.match(r"\s*per\s+([\w-]+(?:\s+[\w-]+){0,3}?)(?=\s+(?:vs\.?|versus|and|or|compared)\b|[,;.]|$)", seg.text[v.end :])
    label = re.match(r"^([A-Z][\w -]{1,30}):\s", seg.text)
    if per and label:
        return f"{label.group(1).strip()} per {per.group(1).strip()}", None
    return None


def _of_phrase(seg: Seg, v: Value) -> MetricName | None:
    """ "30% of revenue" -> "share of revenue"; "$2B in ARR", "7/10 on developer experience"."""
    after = seg.text[v.end :]
    m = re.match(r"\s*(?:of|in|on)\s+(?:the\s+|its\s+|their\s+)?(.+)", after)
    if not m:
        return None
    np_ = np_phrase(m.group(1))
    if v.kind == "percent" and after.lstrip().startswith("of"):
        if np_ and not _NOT_A_PERIOD.match(np_):
            np_ = re.sub(r"^[A-Z][\w-]*'s\s+", "", np_)
            return f"share of {np_}", None
    elif np_ and (lx.metric_head(np_) or re.fullmatch(r"[A-Z]{2,6}", np_.split()[-1])):
        if v.kind == "score":
            return np_, None
        if not _NOT_A_PERIOD.match(np_):
            return np_, None
    return None


def _phrase_after(seg: Seg, v: Value) -> MetricName | None:
    """A metric phrase right after the value ("49% gross margin", "5x revenue multiple"), or a count's noun."""
    m = re.match(r"\s*\+?\s*([A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,4})", seg.text[v.end :])
    if m:
        np_ = np_phrase(m.group(1))
        if v.kind == "multiple":
            base = next((b for b in lx.metrics()["multiple_bases"] if np_.lower().startswith(b)), None)
            if base:
                return f"{base} multiple", None
        elif np_ and lx.metric_head(np_) and not re.match(r"(?:range|annually|by|in|of|and|with|as)\b", np_, re.I):
            return np_, None
    if v.kind == "count" and v.noun:
        return v.noun, None
    return None


def _before_value(seg: Seg, v: Value) -> MetricName | None:
    """A metric noun chunk before the value ("revenue was $4.46 billion")."""
    np_ = chunk_before(seg, v.start, metric_only=True)
    if np_:
        return np_
    words = words_before(seg.text[: v.start])
    if words and lx.metric_head(words):
        return words, None
    return None


def chunk_before(seg: Seg, pos: int, metric_only: bool = False) -> MetricName | None:
    """The nearest noun chunk before ``pos`` in the same clause (a metric phrase when ``metric_only``)."""
    sp = seg.sp
    chunks = list(sp.noun_chunks) if sp is not None and sp.has_annotation("DEP") else []
    best = None
    for ch in chunks:
        end = ch.end_char
        if end > pos:
            break
        between = seg.text[end:pos]
        if re.search(r"[;]|\d", between) and metric_only:
            best = None
            continue
        best = ch
    if best is None:
        return None
    start = best.start_char
    # "voice and video latency": take the coordinated modifiers in
    m = re.search(r"(\b[\w-]+\s+and\s+)$", seg.text[:start])
    if m and best[0].pos_ in ("NOUN", "ADJ", "PROPN"):
        start -= len(m.group(1))
    phrase = seg.text[start : best.end_char]
    owner = None
    om = re.match(r"(?:the\s+)?([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)'s\s+", phrase)
    if om:
        owner = om.group(1)
        phrase = phrase[om.end() :]
    phrase = re.sub(r"^(?:the|a|an|its|their|our|this|that|these|those)\s+", "", phrase, flags=re.I)
    if metric_only and not lx.metric_head(phrase):
        return None
    if len(phrase.split()) > 7:
        return None
    return phrase, owner
