"""Follow-up questions: rewrite a short or pronoun-led question using the previous one.

The answerer is stateless, so the chat makes a follow-up self-contained before asking it.

>>> prev = "What was Twilio's fiscal 2024 revenue?"
>>> resolve_followup("And in 2023?", [prev], ["Twilio"])
"What was Twilio's fiscal 2023 revenue?"
>>> resolve_followup("How many employees does it have?", [prev], ["Twilio"])
'How many employees does Twilio have?'
>>> resolve_followup("What about gross margin?", [prev], ["Twilio"])
"What is Twilio's gross margin in fiscal 2024?"
>>> resolve_followup("What is Segment?", [prev], ["Twilio", "Segment"])
'What is Segment?'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_LEAD = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*\??\s*$|^\s*and\s+(.+?)\s*\??\s*$", re.I)
_PERIOD = re.compile(r"\b(?:(?:FY|fiscal\s+(?:year\s+)?)?(?:19|20)\d{2}|Q[1-4](?:\s+(?:FY)?(?:19|20)?\d{2})?)\b", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_PRONOUN = re.compile(r"\b(its|it|their|they|them|the company|this company|that company)\b", re.I)
_CAP_NAME = re.compile(r"\b(?!What\b|Which\b|How\b|Who\b|When\b|Where\b|Why\b|Did\b|Does\b|Is\b|Are\b|Was\b|The\b|In\b)"
                       r"([A-Z][A-Za-z0-9&.-]*(?:\s+[A-Z][A-Za-z0-9&.-]*)*)")


def _names_in(text: str, names: Iterable[str]) -> list[str]:
    """Known names in ``text``, longest first, by position."""
    found = []
    low = text.lower()
    for n in sorted({n for n in names if n and len(n) > 1}, key=len, reverse=True):
        m = re.search(r"(?<![A-Za-z0-9])" + re.escape(n.lower()) + r"(?![A-Za-z0-9])", low)
        if m and not any(m.start() < e and s < m.end() for s, e, _ in found):
            found.append((m.start(), m.end(), text[m.start():m.end()]))
    return [t for _, _, t in sorted(found)]


def _subject(prev: str, names: Iterable[str]) -> str | None:
    hits = _names_in(prev, names)
    if hits:
        return hits[0]
    m = _CAP_NAME.search(prev[1:])  # skip the question's first word
    return m.group(1) if m else None


def resolve_followup(question: str, history: Sequence[str], names: Iterable[str] = ()) -> str:
    """``question`` made self-contained using the last asked question in ``history``."""
    q = " ".join(question.split())
    if not history or not q:
        return q
    prev = history[-1]
    names = list(names)
    m = _LEAD.match(q)
    if m:
        x = (m.group(1) or m.group(2) or "").strip()
        # "and in 2023?" / "what about FY2023?": swap the period of the previous question
        xy = _YEAR.search(x)
        if xy and _YEAR.search(prev):
            return _YEAR.sub(xy.group(0), prev, count=1)
        # "what about Segment?": swap the entity
        new = _names_in(x, names)
        old = _names_in(prev, names)
        if new and old:
            return re.sub(re.escape(old[0]), new[0], prev, count=1)
        x = re.sub(r"^(?:in|for)\s+", "", x, flags=re.I)
        subj = _subject(prev, names)
        if subj and not new:
            # "what about gross margin?" after a question on Twilio's 2024 revenue
            period = _PERIOD.search(prev)
            return f"What is {subj}'s {x}" + (f" in {period.group(0)}" if period else "") + "?"
        return f"{prev.rstrip(' ?')} ({x})?"
    if _PRONOUN.search(q) and not _names_in(q, names):
        subj = _subject(prev, names)
        if subj:
            def repl(mm: re.Match[str]) -> str:
                w = mm.group(1).lower()
                return f"{subj}'s" if w in {"its", "their"} else subj

            return _PRONOUN.sub(repl, q)
    return q
