"""Line items of financial statements: canonical names and synonyms, read from ``kg/data/line_items.json``.

A row label and a question phrase are compared *squashed* (lower case, letters, digits and ``&``
only), because PDF text layers often lose spaces ("Cashandcashequivalents") and punctuation.

>>> match_label("Purchases of property, plant and equipment (PP&E)", "cash_flow").name
'capital expenditure'
>>> match_label("Netpropertyandequipment", "balance_sheet").name
'property, plant and equipment, net'
>>> match_label("Inventories", "cash_flow") is None   # a change in the cash-flow statement, not a balance
True
>>> [i.name for i, _s, _e in items_in("What is the FY2019 COGS and total current liabilities?")]
['cost of goods sold', 'total current liabilities']
>>> statement_kind("Consolidated Statements of Cash Flows")
'cash_flow'
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
_NOTE = re.compile(r"\((?:note|notes|see note)[^)]*\)|\(\s*[a-z0-9]\s*\)|\.{3,}|…+", re.I)


def squash(text: str) -> str:
    """``"Property, plant & equipment - net"`` -> ``"propertyplant&equipmentnet"``."""
    return re.sub(r"[^a-z0-9&]+", "", text.lower().replace("\u2019", "'").replace("'", ""))


def clean_label(label: str) -> str:
    """A row label without footnote marks, note references, dot leaders and a trailing colon."""
    label = _NOTE.sub(" ", label)
    label = re.sub(r"\s+", " ", label).strip(" :.$-—–")
    return label


@dataclass(frozen=True, slots=True)
class LineItem:
    """A canonical line item (``revenue``, ``capital expenditure``) and how it is written."""

    name: str
    kind: str  # flow | stock
    statements: tuple[str, ...]
    aliases: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    sign: str = ""  # "abs": an outflow printed negative that the item names as a positive amount
    unit: str = "USD"
    prefer: str = ""  # a more specific item read first when reported
    fallback: str = ""  # the item read when this one is not reported


@dataclass(frozen=True, slots=True)
class LabelMatch:
    """A label read as an item; ``rank`` orders rival rows of one table (lower is the better reading)."""

    item: LineItem
    rank: int

    @property
    def name(self) -> str:
        return self.item.name


@cache
def data_version() -> str:
    """A short hash of ``line_items.json``: extractions made with other synonyms are redone."""
    return hashlib.sha256((DATA / "line_items.json").read_bytes()).hexdigest()[:8]


@cache
def _data() -> dict[str, object]:
    data: dict[str, object] = json.loads((DATA / "line_items.json").read_text(encoding="utf-8"))
    return data


@cache
def line_items() -> tuple[LineItem, ...]:
    raw = _data()["items"]
    assert isinstance(raw, list)
    return tuple(
        LineItem(
            name=d["name"], kind=d.get("kind", "flow"), statements=tuple(d.get("statements", ())),
            aliases=tuple(d.get("aliases", ())), patterns=tuple(re.compile(p) for p in d.get("patterns", ())),
            sign=d.get("sign", ""), unit=d.get("unit", "USD"), prefer=d.get("prefer", ""),
            fallback=d.get("fallback", ""),
        )
        for d in raw
    )


@cache
def item(name: str) -> LineItem | None:
    """The item called ``name`` (canonical name or alias), or ``None``."""
    key = squash(name)
    for it in line_items():
        if squash(it.name) == key or any(squash(a) == key for a in it.aliases):
            return it
    return None


@cache
def _statement_res() -> dict[str, re.Pattern[str]]:
    raw = _data()["statements"]
    assert isinstance(raw, dict)
    return {kind: re.compile("|".join(f"(?:{p})" for p in pats)) for kind, pats in raw.items()}


def statement_kind(title: str) -> str | None:
    """``balance_sheet``, ``income`` or ``cash_flow`` when ``title`` names a financial statement."""
    s = squash(title)
    if not s or len(s) > 120:
        return None
    for kind, rx in _statement_res().items():
        if rx.search(s):
            return kind
    return None


def match_label(label: str, statement: str | None) -> LabelMatch | None:
    """The item a statement row stands for (aliases before patterns), or ``None``."""
    s = squash(clean_label(label))
    if not s:
        return None
    for it in line_items():
        if statement and it.statements and statement not in it.statements:
            continue
        for k, a in enumerate(it.aliases):
            if squash(a) == s:
                return LabelMatch(it, k)
        for k, p in enumerate(it.patterns):
            if p.match(s):
                return LabelMatch(it, len(it.aliases) + k)
    return None


@cache
def _phrase_re() -> re.Pattern[str]:
    """Every alias (and canonical name) as a whole-word, case-insensitive phrase, longest first."""
    phrases = {a for it in line_items() for a in (it.name, *it.aliases) if len(squash(a)) >= 3}
    alts = sorted(phrases, key=len, reverse=True)
    body = "|".join(re.escape(a).replace(r"\ ", r"[\s-]*").replace(",", ",?") for a in alts)
    return re.compile(rf"(?<![\w&])(?:{body})(?![\w&])", re.I)


def items_in(text: str) -> list[tuple[LineItem, int, int]]:
    """Line items named in ``text`` (a question or formula), longest phrases first, in text order."""
    out: list[tuple[LineItem, int, int]] = []
    for m in _phrase_re().finditer(text):
        it = item(m.group(0))
        if it is not None:
            out.append((it, m.start(), m.end()))
    return out
