"""What a question asks for: its answer type, the value kinds that can answer it, its key words.

The cues are data (``retrieval/data/question_types.json``), checked in order.

>>> a = analyze("What share of revenue comes from the data platform?")
>>> a.answer_type, a.kinds
('percentage', ('percent',))
>>> analyze("Why is the CPaaS layer at risk?").answer_type
'reason'
>>> analyze("Which vendors build AI voice agents?").answer_type
'list'
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from core.types import QuestionAnalysis
from core.values import find_values
from retrieval.lexical import tokenize

_DATA = Path(__file__).resolve().parent / "data" / "question_types.json"


@cache
def _rules() -> tuple[list[tuple[str, tuple[str, ...], list[re.Pattern[str]], bool]], tuple[str, tuple[str, ...]]]:
    data = _data()
    rules = [
        (t["type"], tuple(t["kinds"]), [re.compile(p, re.I) for p in t["patterns"]], bool(t.get("exclusive")))
        for t in data["types"]
    ]
    return rules, (data["default"]["type"], tuple(data["default"]["kinds"]))


_RANGE = re.compile(r"\brange\b|\bbetween\b|\bband\b|\bfrom .* to\b|\bspan\b", re.I)
_SIDES = re.compile(r"(?:,|:)?\s*(?:the\s+)?(.+?)\s+or\s+(?:the\s+)?(.+?)\s*\??$", re.I)


def analyze(question: str) -> QuestionAnalysis:
    """Classify ``question`` (see module docstring)."""
    q = " ".join(question.split())
    rules, default = _rules()
    atype, kinds = default
    matched = [(name, ks) for name, ks, pats, _ in rules if any(p.search(q) for p in pats)]
    exclusive = next((ex for name, _, pats, ex in rules if any(p.search(q) for p in pats)), False)
    if matched and exclusive:
        matched = matched[:1]
    if matched:
        atype = matched[0][0]
        # later matches add second-choice kinds ("how fast are prices eroding" may be a rate)
        kinds = tuple(dict.fromkeys(k for _, ks in matched for k in ks))
        if atype in {"reason", "name", "list"} and matched[0][1] == ():
            kinds = ()
    wants_range = bool(_RANGE.search(q))
    if atype == "range" and len(matched) > 1:  # "what margin range": the later cue says which kind
        kinds = tuple(dict.fromkeys([*(k for _, ks in matched[1:] for k in ks), *matched[0][1]]))
    sides: tuple[str, ...] = ()
    if atype == "comparison":
        sides = _comparison_sides(q)
    agg = _data()["aggregate_money"]
    low = q.lower()
    aggregate = any(re.search(rf"\b{re.escape(t)}\b", low) for t in agg["terms"]) and not any(
        re.search(rf"\b{re.escape(t)}\b", low) for t in agg["per_unit_cues"]
    )
    return QuestionAnalysis(q, atype, kinds, tuple(tokenize(q)), tuple(find_values(q)), wants_range, sides, aggregate)


@cache
def _data() -> dict:  # type: ignore[type-arg]
    return json.loads(_DATA.read_text(encoding="utf-8"))


def compute_cues() -> dict:  # type: ignore[type-arg]
    """The cues of computed and yes/no questions (the ``compute`` section of the data file)."""
    return dict(_data()["compute"])


@cache
def generic_words() -> frozenset[str]:
    """Words that name a kind of value ("rate", "figure") rather than what is measured."""
    return frozenset(t for w in _data()["generic_words"] for t in tokenize(w))


_PART_SPLIT = re.compile(
    r",?\s+and\s+(?=(?:what|how|which|who|when|where|why|on what|in what|at what|by how much|for what)\b)", re.I
)


def split_question(question: str) -> list[str]:
    """Sub-questions of a conjunction ("What X, and how much Y?") or a comparison ("Which is larger, A or B?").

    >>> split_question("What did Acme pay for Beta, and how much revenue did Beta make?")
    ['What did Acme pay for Beta?', 'how much revenue did Beta make?']
    >>> split_question("Which is larger, Flex revenue or Other / international revenue?")
    ['How much is Flex revenue?', 'How much is Other / international revenue?']
    """
    q = " ".join(question.split())
    parts = [p.strip(" ,?") for p in _PART_SPLIT.split(q) if p.strip(" ,?")]
    if len(parts) > 1:
        return [p + "?" for p in parts]
    a = analyze(q)
    if a.answer_type == "comparison" and len(a.sides) == 2:
        prop = _compared_property(q)
        if prop:  # "Which carries the higher AI disruption risk rating, A or B?"
            return [f"What is the {prop} of {side.strip(' ,?')}?" for side in a.sides]
        # "How much is ..." keeps the sub-questions asking for a quantity, as the comparison does
        return [f"How much is {side.strip(' ,?')}?" for side in a.sides]
    return [q]


def _compared_property(q: str) -> str:
    """The property a comparison weighs: "the higher AI disruption risk rating, A or B" -> "AI disruption risk rating"."""
    m = re.search(
        r"\b(?:higher|larger|bigger|greater|lower|smaller|more|less)\s+(?!(?:figure|one|number|value|amount)\b)([a-z][\w -]{2,60}?)\s*[,:]",
        q, re.I,
    )
    return m.group(1).strip() if m else ""


@cache
def ordinal_levels() -> tuple[str, ...]:
    """Rating words from lowest to highest (data file), for comparing "High" with "Medium"."""
    return tuple(_data()["ordinal_scale"]["levels"])


def _comparison_sides(q: str) -> tuple[str, ...]:
    """The two things a comparison question weighs, or ``()``."""
    patterns = (
        r"^\s*how (?:does|do|did)\s+(.+?)\s+compare\s+(?:with|to|against)\s+(.+?)\s*\??$",
        r"\bcompare[sd]?\s+(?:to|with)?\s*(.+?)\s+(?:with|to|and|against)\s+(.+?)\s*\??$",
        r"\bbetween\s+(.+?)\s+and\s+(.+?)\s*\??$",
        r"^(.+?)\s+(?:versus|vs\.?)\s+(.+?)\s*\??$",
    )
    for pat in patterns:
        m = re.search(pat, q, re.I)
        if m:
            return (m.group(1).strip(" ,"), m.group(2).strip(" ,?"))
    body = re.sub(
        r"^\s*(which|what|who)\b.*?(larger|bigger|higher|greater|smaller|lower|more|less)\b[^,:]*[,:]?", "", q, flags=re.I
    )
    m = _SIDES.search(body) if body != q else None
    return (m.group(1).strip(" ,"), m.group(2).strip(" ,?")) if m else ()
