"""HTML fragments for the workspace. Every piece of document text goes through :func:`esc`.

Nothing here renders markdown: fragments are plain HTML built from escaped text, so a
document containing ``<script>`` or ``<img onerror=...>`` is shown as those characters.

>>> highlight("say <b>hi</b> now", 0, 17, 4, 13)
'say <mark class="kgqa-span">&lt;b&gt;hi&lt;/b&gt;</mark> now'
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.interfaces import DocumentStore
from core.safety import printable
from core.types import Citation, Comparison, DocRecord, Evidence, Fact, Point
from core.values import format_value

CONTEXT_CHARS = 900  # of surrounding text on each side of a cited span, in the evidence viewer
PASSAGE_CHARS = 260  # on each side, in a source card (when no chunk holds the span)


def esc(text: Any) -> str:
    """Escape text for HTML element content and attribute values."""
    return html.escape("" if text is None else str(text), quote=True)


# ---- highlighted passages ---------------------------------------------------------------------


def highlight(
    raw: str,
    lo: int,
    hi: int,
    start: int,
    end: int,
    value_start: int | None = None,
    value_end: int | None = None,
) -> str:
    """``raw[lo:hi]`` escaped, with ``[start, end)`` in ``<mark>`` and the value in ``<b>``.

    The ``<mark class="kgqa-span">`` element's text is exactly ``raw[start:end]``.
    """
    n = len(raw)
    lo, hi = max(0, min(lo, n)), max(0, min(hi, n))
    start, end = max(lo, min(start, hi)), max(lo, min(end, hi))
    if end < start:
        start, end = end, start
    inner: str
    if value_start is not None and value_end is not None and start <= value_start < value_end <= end:
        inner = (
            esc(raw[start:value_start])
            + '<b class="kgqa-value">' + esc(raw[value_start:value_end]) + "</b>"
            + esc(raw[value_end:end])
        )
    else:
        inner = esc(raw[start:end])
    return esc(raw[lo:start]) + '<mark class="kgqa-span">' + inner + "</mark>" + esc(raw[end:hi])


def snap_window(raw: str, start: int, end: int, chars: int) -> tuple[int, int]:
    """A window of about ``chars`` around ``[start, end)``, widened to whole lines when near."""
    lo = max(0, start - chars)
    hi = min(len(raw), end + chars)
    if lo > 0:
        nl = raw.find("\n", lo, start)
        if nl != -1 and nl - lo < chars // 2:
            lo = nl + 1
    if hi < len(raw):
        nl = raw.rfind("\n", end, hi)
        if nl != -1 and hi - nl < chars // 2:
            hi = nl
    return lo, hi


def windowed(raw: str, lo: int, hi: int, start: int, end: int, vs: int | None = None, ve: int | None = None) -> str:
    """:func:`highlight` with ellipses where the window cuts the document."""
    body = highlight(raw, lo, hi, start, end, vs, ve)
    return ("… " if lo > 0 else "") + body + (" …" if hi < len(raw) else "")


# ---- the Ask tab ------------------------------------------------------------------------------


@dataclass
class SourceView:
    """One citation of an answer, pre-rendered (escaped) for the sources panel."""

    n: int
    doc: str
    title: str
    section: str
    start: int
    end: int
    text: str
    page: int | None
    passage_html: str
    context_html: str


@dataclass
class Turn:
    """One question and its answer in a conversation."""

    question: str
    asked: str  # the question actually asked (follow-ups are rewritten)
    text: str = ""
    abstained: bool = False
    error: str = ""
    route: str = ""
    mode: str = ""
    latency_ms: float = 0.0
    sources: list[SourceView] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    streaming: bool = False  # an LLM answer still being written (checked sentences so far)
    computation: str = ""  # the computation table of a computed answer (HTML made by ui.computation)
    answer: Any = None  # the Answer itself (its computation feeds the trend chart)
    points: list[Point] = field(default_factory=list)  # an open answer's points
    comparison: Comparison | None = None  # a comparison's table, shown under the answer


def source_view(index: DocumentStore | None, c: Citation) -> SourceView:
    """Render citation ``c`` against ``index`` (its passage and its surrounding text)."""
    doc = index.docs.get(c.doc) if index is not None else None
    raw = doc.raw if doc is not None else c.text
    start, end = (c.start, c.end) if doc is not None else (0, len(c.text))
    vs, ve = c.value_start, c.value_end
    if doc is None:
        vs = ve = None
    lo, hi = _chunk_range(index, c.doc, start, end)
    if lo is None or hi is None:
        lo, hi = snap_window(raw, start, end, PASSAGE_CHARS)
    passage = windowed(raw, lo, hi, start, end, vs, ve)
    clo, chi = snap_window(raw, start, end, CONTEXT_CHARS)
    context = windowed(raw, min(clo, lo), max(chi, hi), start, end, vs, ve)
    return SourceView(
        n=int(c.n), doc=c.doc, title=c.title or c.doc, section=c.section or "", start=start, end=end,
        text=c.text, page=c.page, passage_html=passage, context_html=context,
    )


def _chunk_range(index: DocumentStore | None, doc: str, start: int, end: int) -> tuple[int | None, int | None]:
    """The raw range of the smallest retrieval chunk holding ``[start, end)``."""
    best: tuple[int, int] | None = None
    for ch in index.chunks if index is not None else ():
        if ch.doc == doc and ch.start <= start and end <= ch.end and (
            best is None or ch.end - ch.start < best[1] - best[0]
        ):
            best = (ch.start, ch.end)
    if best is None:
        return None, None
    # very long chunks are trimmed around the span so the card stays readable
    lo, hi = best
    if hi - lo > 1400:
        lo, hi = max(lo, start - 500), min(hi, end + 500)
    return lo, hi


_MARKER = re.compile(r"\[(\d+)\]")


def answer_html(text: str, msg: int, cited: Iterable[int]) -> str:
    """Escaped answer text; each ``[n]`` with a citation becomes a clickable marker."""
    ok = set(cited)

    def repl(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n not in ok:
            return m.group(0)
        return (
            f'<button type="button" class="kgqa-cite" data-cite="1" data-msg="{msg}" data-n="{n}" '
            f'title="Show source {n} in context">[{n}]</button>'
        )

    return _MARKER.sub(repl, esc(text))


def _where(s: SourceView) -> str:
    parts = [f'<span class="kgqa-title">{esc(s.title)}</span>']
    if s.section:
        parts.append(f'<span class="kgqa-section">› {esc(s.section)}</span>')
    meta = f"{esc(s.doc)} · chars {s.start}–{s.end}" + (f" · p. {s.page}" if s.page else "")
    parts.append(f'<span class="kgqa-where">{meta}</span>')
    return " ".join(parts)


def conversation_html(turns: Sequence[Turn], index_label: str = "") -> str:
    """The whole chat transcript."""
    if not turns:
        return (
            '<div class="kgqa-chat kgqa-empty"><p>Ask a question about the ingested reports. '
            "Every answer cites the exact sentences it is read from; click a <b>[n]</b> marker "
            "or a source to see it in context.</p>"
            + (f'<p class="kgqa-muted">{esc(index_label)}</p>' if index_label else "")
            + "</div>"
        )
    out = ['<div class="kgqa-chat">']
    for i, t in enumerate(turns):
        out.append(f'<div class="kgqa-turn" data-msg="{i}">')
        out.append(f'<div class="kgqa-q"><span class="kgqa-who">You</span>{esc(t.question)}</div>')
        asked = printable(t.asked)  # as typed it may hold control characters or invalid text
        if asked != t.question:
            out.append(f'<div class="kgqa-rewrite">↳ follow-up read as: “{esc(asked)}”</div>')
        if t.error:
            out.append(f'<div class="kgqa-a kgqa-error"><span class="kgqa-badge">error</span>{esc(t.error)}</div>')
        elif t.streaming:
            out.append(_streaming_html(t))
        else:
            cls = "kgqa-a kgqa-abstain" if t.abstained else "kgqa-a kgqa-answer"
            badge = (
                '<span class="kgqa-badge kgqa-badge-abstain">not in the documents</span>'
                if t.abstained
                else '<span class="kgqa-badge kgqa-badge-answer">answer</span>'
            )
            body = _body_html(t, i)
            out.append(f'<div class="{cls}" data-abstained="{int(t.abstained)}">{badge}{body}'
                       + t.computation)
            foot = [f'<span class="kgqa-latency" title="time to answer">answered in {t.latency_ms:,.0f} ms</span>']
            if t.route:
                foot.append(f"<span>route: {esc(t.route)}</span>")
            if t.sources:
                foot.append(f"<span>{len(t.sources)} source{'s' if len(t.sources) != 1 else ''}</span>")
            if t.mode:
                foot.append(f'<span class="kgqa-mode" data-mode="{esc(t.mode)}">mode: {esc(t.mode)}</span>')
            out.append('<div class="kgqa-foot">' + " · ".join(foot) + "</div>" + _notes_html(t) + "</div>")
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def _body_html(t: Turn, msg: int) -> str:
    """The answer: its points as a list, a comparison's lead and table, or the plain text."""
    cited = [s.n for s in t.sources]
    if t.abstained or (not t.points and t.comparison is None):
        return f'<div class="kgqa-text">{answer_html(t.text, msg, cited)}</div>'
    if t.comparison is not None:
        lead = t.text.split("\n", 1)[0]
        head = "" if lead.startswith("- ") else f'<div class="kgqa-text kgqa-lead">{answer_html(lead, msg, cited)}</div>'
        return head + comparison_html(t.comparison, msg, cited)
    items = "".join(f'<li class="kgqa-point">{answer_html(_point_text(p), msg, cited)}</li>' for p in t.points)
    return f'<ul class="kgqa-points">{items}</ul>'


def _point_text(p: Point) -> str:
    if re.search(r"\[\d+\]", p.text):
        return p.text  # a point that places its own markers
    return f"{p.text} {''.join(f'[{n}]' for n in p.citations)}".strip()


def comparison_html(comp: Comparison, msg: int, cited: Iterable[int]) -> str:
    """A comparison as an HTML table: items by properties, each cell's markers clickable; a cell without
    evidence is shown muted."""
    ok = list(cited)
    head = "".join(f'<th scope="col">{esc(p)}</th>' for p in comp.properties)
    rows = []
    for item, row in zip(comp.items, comp.cells, strict=True):
        cells = []
        for c in row:
            if c.citations:
                cells.append(f"<td>{answer_html(_point_text(c), msg, ok)}</td>")
            else:
                cells.append(f'<td class="kgqa-missing">{esc(c.text)}</td>')
        rows.append(f'<tr><th scope="row">{esc(item)}</th>{"".join(cells)}</tr>')
    return (f'<div class="kgqa-compare-wrap"><table class="kgqa-compare"><thead><tr><th></th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _streaming_html(t: Turn) -> str:
    """An LLM answer being written: the checked sentences so far, markers not yet clickable."""
    body = esc(t.text) if t.text else '<span class="kgqa-muted">reading the passages…</span>'
    return (
        '<div class="kgqa-a kgqa-answer kgqa-streaming" data-streaming="1">'
        '<span class="kgqa-badge kgqa-badge-streaming">writing…</span>'
        f'<div class="kgqa-text">{body}<span class="kgqa-cursor" aria-hidden="true">▍</span></div>'
        '<div class="kgqa-foot">the LLM is writing; each sentence is shown once it is checked against its passages'
        "</div></div>"
    )


def _notes_html(t: Turn) -> str:
    """Why an LLM answer fell back, or what its check removed (escaped; nothing for offline answers)."""
    if t.mode == "llm-fallback" and t.notes:
        return f'<div class="kgqa-note kgqa-note-fallback">{esc(t.notes[0])}</div>'
    if t.mode == "llm" and len(t.notes) > 1:
        items = "".join(f"<li>{esc(n)}</li>" for n in t.notes[1:])
        n = len(t.notes) - 1
        return (
            f'<details class="kgqa-note kgqa-checks"><summary>{n} check note{"s" if n != 1 else ""}</summary>'
            f"<ul>{items}</ul></details>"
        )
    return ""


VIEWER_PLACEHOLDER = (
    '<div class="kgqa-viewer-empty">Click a <b>[n]</b> marker in an answer, or a source below, '
    "to read the cited passage in its surrounding text.</div>"
)


def sources_html(turns: Sequence[Turn]) -> str:
    """The sources panel: an evidence viewer on top, then the citations of each answer.

    Only the latest answer's group is visible; clicking a marker of an earlier answer shows
    that answer's group (client side, see ``ui.tabs.ask.SOURCES_JS``).
    """
    out = [
        '<div class="kgqa-sources">',
        f'<div class="kgqa-viewer" aria-live="polite">{VIEWER_PLACEHOLDER}</div>',
    ]
    if not turns:
        out.append('<p class="kgqa-muted">Sources of each answer are listed here.</p>')
    last = len(turns) - 1
    for i, t in enumerate(turns):
        hidden = "" if i == last else " hidden"
        out.append(f'<section class="kgqa-srcgroup" data-msg="{i}"{hidden}>')
        out.append(f'<h4 class="kgqa-srcq">Sources for “{esc(t.question)}”</h4>')
        if not t.sources:
            out.append('<p class="kgqa-muted">No sources.</p>')
        for s in t.sources:
            out.append(
                f'<div class="kgqa-src" data-cite-card="1" data-msg="{i}" data-n="{s.n}" role="button" tabindex="0">'
                f'<div class="kgqa-src-head"><span class="kgqa-n">[{s.n}]</span> {_where(s)}</div>'
                f'<div class="kgqa-passage">{s.passage_html}</div>'
                f'<div class="kgqa-ctx" hidden>{s.context_html}</div>'
                "</div>"
            )
        out.append("</section>")
    out.append("</div>")
    return "".join(out)


# ---- facts, evidence, documents ----------------------------------------------------------------


def fact_value_text(f: Fact) -> str:
    """A metric fact's value for people: its number formatted by unit (the surface form without one).

    >>> fact_value_text(Fact("c:acme", "HAS_METRIC", metric="revenue", value=4.46e9, unit="USD", surface="$4.46B"))
    '$4.46 billion'
    >>> fact_value_text(Fact("c:acme", "HAS_METRIC", metric="headcount", surface="about 5,000"))
    'about 5,000'
    """
    surface, value = f.surface, f.value
    if value is None:
        return str(surface or "")
    unit = f.unit or ""
    high = f.value_high
    try:
        if unit in {"USD", "$"}:
            text = format_value("money", float(value), None if high is None else float(high))
        elif unit == "%":
            text = format_value("percent", float(value), None if high is None else float(high))
        elif unit in {"x", "multiple"}:
            text = format_value("multiple", float(value), None if high is None else float(high))
        elif unit == "year":
            text = format_value("year", float(value), None if high is None else float(high))
        else:
            text = format_value("", float(value), None if high is None else float(high)) + (f" {unit}" if unit else "")
    except (TypeError, ValueError):
        text = f"{value} {unit}".strip()
    return text


def evidence_html(index: DocumentStore | None, ev: Evidence, n: int | None = None) -> str:
    """One piece of evidence: where it is, and the passage with the span highlighted."""
    doc_id, start, end = ev.doc, ev.start, ev.end
    doc = index.docs.get(doc_id) if index is not None else None
    label = f'<span class="kgqa-n">[{n}]</span> ' if n is not None else ""
    if doc is None or not (0 <= start <= end <= len(doc.raw)):
        text = ev.text
        return (
            f'<div class="kgqa-ev">{label}<span class="kgqa-where">{esc(doc_id)} · chars {start}–{end}</span>'
            f'<div class="kgqa-passage"><mark class="kgqa-span">{esc(text)}</mark></div></div>'
        )
    lo, hi = snap_window(doc.raw, start, end, PASSAGE_CHARS)
    title = doc.title
    return (
        f'<div class="kgqa-ev">{label}<span class="kgqa-title">{esc(title)}</span> '
        f'<span class="kgqa-where">{esc(doc_id)} · chars {start}–{end}</span>'
        f'<div class="kgqa-passage">{windowed(doc.raw, lo, hi, start, end)}</div></div>'
    )


def message_html(text: str, kind: str = "info") -> str:
    """A status line (``info``, ``ok``, ``error``, ``warn``) with escaped text."""
    return f'<div class="kgqa-msg kgqa-msg-{esc(kind)}">{esc(text)}</div>'


def document_html(doc: DocRecord | None, limit: int = 200_000) -> str:
    """A whole document's raw text, escaped, for the document viewer."""
    if doc is None:
        return '<p class="kgqa-muted">Pick a document to read it.</p>'
    raw = doc.raw if len(doc.raw) <= limit else doc.raw[:limit]
    more = "" if len(doc.raw) <= limit else f'<p class="kgqa-muted">(first {limit:,} characters shown)</p>'
    return (
        f'<div class="kgqa-doc"><h4>{esc(doc.title)}</h4>'
        f'<div class="kgqa-where">{esc(doc.id)} · {esc(doc.kind)} · {len(doc.raw):,} characters</div>'
        f'<pre class="kgqa-raw">{esc(raw)}</pre>{more}</div>'
    )
