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
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kgqa.values import Value, find_values
from retrieval.lexical import tokenize

_DATA = Path(__file__).resolve().parent / "data" / "question_types.json"


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    """The parts of a question the retriever and answerers use."""

    text: str
    answer_type: str
    kinds: tuple[str, ...]
    tokens: tuple[str, ...]  # stemmed content words
    values: tuple[Value, ...]  # quantities named in the question ("in 2028", "13%")
    wants_range: bool
    sides: tuple[str, ...] = ()  # the two things compared, for comparisons

    @property
    def wants_value(self) -> bool:
        return bool(self.kinds) and self.answer_type not in {"comparison"}


@cache
def _rules() -> tuple[list[tuple[str, tuple[str, ...], list[re.Pattern[str]]]], tuple[str, tuple[str, ...]]]:
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    rules = [
        (t["type"], tuple(t["kinds"]), [re.compile(p, re.I) for p in t["patterns"]]) for t in data["types"]
    ]
    return rules, (data["default"]["type"], tuple(data["default"]["kinds"]))


_RANGE = re.compile(r"\brange\b|\bbetween\b|\bband\b|\bfrom .* to\b|\bspan\b", re.I)
_SIDES = re.compile(r"(?:,|:)?\s*(?:the\s+)?(.+?)\s+or\s+(?:the\s+)?(.+?)\s*\??$", re.I)


def analyze(question: str) -> QuestionAnalysis:
    """Classify ``question`` (see module docstring)."""
    q = " ".join(question.split())
    rules, default = _rules()
    atype, kinds = default
    for name, ks, pats in rules:
        if any(p.search(q) for p in pats):
            atype, kinds = name, ks
            break
    wants_range = bool(_RANGE.search(q))
    if wants_range and atype in {"percentage", "amount", "multiple", "other"}:
        atype = "range" if atype == "other" else atype
    sides: tuple[str, ...] = ()
    if atype == "comparison":
        sides = _comparison_sides(q)
    return QuestionAnalysis(q, atype, kinds, tuple(tokenize(q)), tuple(find_values(q)), wants_range, sides)


def _comparison_sides(q: str) -> tuple[str, ...]:
    body = re.sub(r"^\s*(which|what|who)\b.*?(larger|bigger|higher|greater|smaller|lower|more|less)\b[^,:]*[,:]?", "", q, flags=re.I)
    m = _SIDES.search(body or q)
    if not m:
        m2 = re.search(r"\bbetween\s+(.+?)\s+and\s+(.+?)\s*\??$", q, re.I)
        return (m2.group(1), m2.group(2)) if m2 else ()
    return (m.group(1).strip(" ,"), m.group(2).strip(" ,?"))
