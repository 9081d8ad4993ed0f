"""Generic word lists that drive extraction, read from ``kg/data`` (nothing corpus-specific).

>>> "Inc" in company_suffixes() and "AI" in company_suffixes()
True
>>> metric_head("non-GAAP operating margins")
'margins'
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


@cache
def _lines(name: str) -> tuple[str, ...]:
    text = (DATA / name).read_text(encoding="utf-8")
    return tuple(x.strip() for x in text.splitlines() if x.strip() and not x.lstrip().startswith("#"))


@cache
def _json(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@cache
def company_suffixes() -> frozenset[str]:
    return frozenset(_lines("company_suffixes.txt"))


@cache
def generic_caps() -> frozenset[str]:
    return frozenset(w.lower() for w in _lines("generic_caps.txt"))


def cues() -> dict[str, Any]:
    return _json("cues.json")


def metrics() -> dict[str, Any]:
    return _json("metrics.json")


@cache
def cue_re(name: str) -> re.Pattern[str]:
    """A regex matching any phrase of the cue list ``name`` as whole words."""
    items = cues()[name]
    if isinstance(items, str):
        return re.compile(items, re.I)
    alts = sorted(items, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(a if "\\" in a else re.escape(a) for a in alts) + r")(?![\w-])", re.I)


@cache
def word_set(name: str) -> frozenset[str]:
    return frozenset(w.lower() for w in cues()[name])


@cache
def metric_heads() -> frozenset[str]:
    return frozenset(h.lower() for h in metrics()["heads"])


def metric_head(phrase: str) -> str | None:
    """The metric head word of ``phrase`` (its last word, or a known two-word head), else ``None``."""
    words = re.findall(r"[A-Za-z%][\w%-]*", phrase.lower())
    if not words:
        return None
    heads = metric_heads()
    if len(words) >= 2 and " ".join(words[-2:]) in heads:
        return " ".join(words[-2:])
    if words[-1] in heads:
        return words[-1]
    if words[-1].split("-")[-1] in heads:
        return words[-1]
    return None


def canonical_metric(phrase: str) -> str:
    """Fold spellings of one metric (``"Total revenue"`` -> ``"revenue"``); keeps acronyms' case."""
    p = " ".join(phrase.split()).strip(" .,:;")
    low = p.lower()
    canon = metrics()["canonical"]
    if low in canon:
        return canon[low]
    words = p.split()
    if words and not _keeps_case(words[0]):
        words[0] = words[0].lower()
    return " ".join(words)


def _keeps_case(word: str) -> bool:
    core = word.replace("-", "")
    return sum(c.isupper() for c in core) >= 2 or (len(core) > 1 and not core[0].isupper() and any(c.isupper() for c in core))
