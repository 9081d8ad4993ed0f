"""A computed answer in words and as a record: the result first, then the computation with every
input cited (its table row and the header that gives its period), or which input is missing.

>>> from engine.compute.quantity import Quantity
>>> fmt_quantity(Quantity(0.0551, {}, True), decimals=1)
'5.5%'
>>> fmt_quantity(Quantity(1_577e6, {"USD": 1}), scale="millions")
'$1,577 million'
>>> fmt_quantity(Quantity(0.055, {}, True), points=True)
'5.5 percentage points'
>>> fmt_quantity(Quantity(93.857, {"day": 1}), decimals=2)
'93.86 days'
"""

from __future__ import annotations

import re

from core.interfaces import DocumentStore
from core.types import Citation, Computation, ComputationInput, Evidence, Fact
from core.values import format_value
from engine.citations import evidence_citation
from engine.compute.evaluate import Used
from engine.compute.quantity import Quantity

_SCALES = {"thousands": (1e3, "thousand"), "millions": (1e6, "million"), "billions": (1e9, "billion")}


def _num(x: float, decimals: int) -> str:
    return f"{x:,.{decimals}f}"


def fmt_money(v: float, scale: str | None = None, decimals: int | None = None) -> str:
    """``$1,577 million``, ``$8.70 billion``, ``$4.46 billion`` (sign kept, before the dollar)."""
    sign = "-" if v < 0 else ""
    v = abs(v)
    if scale in _SCALES:
        div, word = _SCALES[scale]
    else:
        div, word = next(((d, w) for d, w in ((1e9, "billion"), (1e6, "million")) if v >= d), (1.0, ""))
    x = v / div
    if decimals is None:
        decimals = 0 if x >= 100 and abs(x - round(x)) < 1e-6 else (1 if x >= 100 else 2)
    return f"{sign}${_num(x, decimals)}" + (f" {word}" if word else "")


def fmt_quantity(q: Quantity, decimals: int | None = None, scale: str | None = None, points: bool = False,
                 percent: bool = False, unit_hint: str = "") -> str:
    """The result as an analyst writes it (see module docstring)."""
    if points:
        return f"{_num(q.value * 100, 1 if decimals is None else decimals)} percentage points"
    if q.percent or (percent and not q.dim):
        return f"{_num(q.value * 100, 1 if decimals is None else decimals)}%"
    if q.dim == {"USD": 1}:
        return fmt_money(q.value, scale, decimals)
    if q.dim == {"day": 1}:
        return f"{_num(q.value, 2 if decimals is None else decimals)} days"
    if not q.dim:
        return _num(q.value, 2 if decimals is None else decimals) + ("x" if unit_hint == "x" else "")
    whole = abs(q.value - round(q.value)) < 1e-9
    return f"{_num(q.value, (0 if whole else 2) if decimals is None else decimals)} {q.unit}"


def fmt_input(u: Used) -> str:
    """An input as read: ``$1,577 million`` (a statement figure), ``16%`` (midpoint of 15-17%)."""
    if u.note == "from the question":
        return u.surface
    if u.unit == "USD":
        scale = str(u.fact.attrs.get("scale") or "") if u.fact is not None else ""
        if scale in _SCALES:  # as printed in its table: "$1,577 million"
            frac = re.search(r"\d\.(\d+)", u.surface)
            return fmt_money(u.value, scale, len(frac.group(1)) if frac else 0)
        return fmt_money(u.value)
    if u.unit == "%":
        s = format_value("percent", u.value)
        if u.note == "midpoint" and u.fact is not None and u.fact.value_high is not None:
            s += f" (midpoint of {format_value('percent', u.fact.value or 0.0, u.fact.value_high)})"
        return s
    if u.unit == "USD/share":
        return f"${u.value:,.2f} per share"
    return f"{u.value:,.4g} {u.unit}".strip()


class CitationBook:
    """Numbers the evidence of the inputs; a statement figure cites its row and its table header."""

    def __init__(self, index: DocumentStore) -> None:
        self.index = index
        self.items: list[Citation] = []
        self._by_span: dict[tuple[str, int, int], int] = {}

    def _add(self, ev: Evidence, value_span: tuple[int, int] | None = None) -> int | None:
        key = (ev.doc, ev.start, ev.end)
        if key in self._by_span:
            return self._by_span[key]
        c = evidence_citation(self.index, ev, len(self.items) + 1)
        if c is None:
            return None
        if value_span is not None and ev.start <= value_span[0] < value_span[1] <= ev.end:
            c = Citation(c.n, c.doc, c.title, c.section, c.start, c.end, c.text, c.page, value_span[0], value_span[1])
        self.items.append(c)
        self._by_span[key] = c.n
        return c.n

    def cite(self, fact: Fact) -> list[int]:
        """Citation numbers of a fact: its evidence (value marked) and, for a table figure, its header."""
        if not fact.evidence:
            return []
        ev = fact.evidence[0]
        span = fact.attrs.get("value_span")
        vs = (int(span[0]), int(span[1])) if isinstance(span, list) and len(span) == 2 else _surface_span(ev, fact.surface)
        out = [n for n in [self._add(ev, vs)] if n is not None]
        head = fact.attrs.get("header")
        if isinstance(head, list) and len(head) == 3:
            n = self._add(Evidence(ev.doc, int(head[0]), int(head[1]), str(head[2])))
            if n is not None:
                out.append(n)
        return out


def _surface_span(ev: Evidence, surface: str | None) -> tuple[int, int] | None:
    if not surface:
        return None
    p = ev.text.find(surface)
    return (ev.start + p, ev.start + p + len(surface)) if p >= 0 else None


def marks(ns: list[int]) -> str:
    return "".join(f"[{n}]" for n in ns)


def computation_record(formula: str, used: list[Used], cites: dict[int, list[int]], result: float | None,
                       unit: str, rounding: str, result_text: str) -> Computation:
    inputs = [
        ComputationInput(u.name, u.value, u.unit, u.period, (cites.get(i) or [None])[0], u.surface)
        for i, u in enumerate(used)
    ]
    return Computation(formula, inputs, result, unit, rounding, result_text)
