"""One answer from the answers to sub-questions (multi-part questions and comparisons).

Citations are renumbered in order of first use; for a comparison whose parts both give a
value (or an ordinal rating) the first sentence says which side is larger (or higher).
"""

from __future__ import annotations

import re

from core.types import Answer, Citation
from core.values import find_values, same_number
from retrieval.question import ordinal_levels


def merge_answers(question: str, parts: list[tuple[str, Answer]], comparison: bool) -> Answer:
    """One answer from the answers to sub-questions, with citations renumbered in order.

    For comparisons, when both parts give a value of the same kind, the first sentence says
    which is larger (or smaller, if the question asks for that).
    """
    items: list[Citation] = []
    key_to_n: dict[tuple[str, int, int], int] = {}
    texts: list[str] = []
    said: set[str] = set()  # a supporting quote two sub-answers share is shown once
    for _, a in parts:
        remap: dict[int, int] = {}
        for c in a.citations:
            key = (c.doc, c.start, c.end)
            if key not in key_to_n:
                key_to_n[key] = len(items) + 1
                items.append(_renumber(c, key_to_n[key]))
            remap[c.n] = key_to_n[key]
        text = re.sub(r"\[(\d+)\]", lambda m, r=remap: f"[{r.get(int(m.group(1)), int(m.group(1)))}]", a.text)
        texts.append(_without_repeats(text, said))
    answered = [a for _, a in parts if not a.abstained]
    lead = ""
    if comparison and len(answered) == 2:
        lead = _comparison_lead(question, parts)
    sub = [f"{_label(q)}: {t}" for (q, _), t in zip(parts, texts, strict=True)]
    text = (lead + " " if lead else "") + " ".join(sub)
    first = parts[0][1]
    modes = {a.mode for _, a in parts}
    return Answer(
        mode=modes.pop() if len(modes) == 1 else "llm-fallback",
        question=question,
        text=text,
        citations=items,
        abstained=not answered,
        route=first.route if answered else "none",
        passages=[p for _, a in parts for p in a.passages],
        timings_ms={},
        answer_type="comparison" if comparison else "multi",
        value="; ".join(a.value or "" for _, a in parts if a.value) or None,
        notes=[f"answered as {len(parts)} sub-questions", *(n for _, a in parts for n in a.notes)],
    )


def _rating_lead(question: str, parts: list[tuple[str, Answer]]) -> str:
    """Compare ordinal ratings ("High" vs "Medium") read from each part's answer."""
    levels = ordinal_levels()
    found = []
    for q, a in parts:
        first = a.text.split("[")[0] + " " + (a.citations[0].text if a.citations else "")
        hits = [lvl for lvl in levels if re.search(rf"\b{re.escape(lvl)}\b", first, re.I)]
        if not hits:
            return ""
        found.append((q, max(hits, key=lambda lvl: (len(lvl), levels.index(lvl)))))
    (q1, r1), (q2, r2) = found
    if r1 == r2:
        return f"Both are rated {r1}."
    want_low = bool(re.search(r"\b(lower|smaller|less|least)\b", question, re.I))
    hi, lo = ((q1, r1), (q2, r2)) if levels.index(r1) > levels.index(r2) else ((q2, r2), (q1, r1))
    win, lose = (lo, hi) if want_low else (hi, lo)
    return f"{_label(win[0])} is {'lower' if want_low else 'higher'} ({win[1]} vs {lose[1]})."


def _without_repeats(text: str, said: set[str]) -> str:
    """``text`` without the cited sentences already in ``said`` (which it extends); the first claim stays.

    >>> seen = {"the quote"}
    >>> _without_repeats("Jane [1]. The quote. [1]", seen)
    'Jane [1].'
    """
    cuts = [m.end() for m in re.finditer(r"\[\d+\]\.?(?=\s+\S)", text)]
    parts = [text[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True) if text[a:b].strip()]
    kept = []
    for i, part in enumerate(parts):
        key = " ".join(re.sub(r"\[\d+\]", " ", part).lower().strip(" .").split())
        if i > 0 and key in said:
            continue
        said.add(key)
        kept.append(part)
    return " ".join(kept)


def _renumber(c: Citation, n: int) -> Citation:
    return Citation(n, c.doc, c.title, c.section, c.start, c.end, c.text, c.page, c.value_start, c.value_end)


def _label(sub_question: str) -> str:
    q = sub_question.rstrip("?").strip()
    q = re.sub(r"^(what is the .+? of|what is|what was|what are|how much is|how much|how many)\s+", "", q, flags=re.I)
    return q[:1].upper() + q[1:]


def _comparison_lead(question: str, parts: list[tuple[str, Answer]]) -> str:
    vals = []
    for q, a in parts:
        v = find_values(a.value or "")
        vals.append((q, v[0] if v else None))
    (q1, v1), (q2, v2) = vals
    if v1 is None or v2 is None:
        return _rating_lead(question, parts)
    if v1.kind != v2.kind or same_number(v1.value, v2.value, 0):
        return ""
    want_low = bool(re.search(r"\b(smaller|lower|less|fewer|least)\b", question, re.I))
    big, small = ((q1, v1), (q2, v2)) if v1.value > v2.value else ((q2, v2), (q1, v1))
    win, lose = (small, big) if want_low else (big, small)
    word = "smaller" if want_low else "larger"
    return f"{_label(win[0])} is {word} ({win[1].as_text()} vs {lose[1].as_text()})."
