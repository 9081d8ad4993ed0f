"""Evaluate a formula tree against the graph's facts, keeping every input it used.

An operand is looked up, in order, as a definition the question spelled out, a named metric of
``engine/data/formulas.json`` (evaluated recursively), a statement line item of the companies the
question names (at the operand's period: its own, the question's, or the two of an ``average`` /
``change in``), and last a metric fact stated in prose (:mod:`engine.compute.prose`). A missing
operand raises :class:`Missing` naming it and its period; the caller abstains on the computation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from core.errors import KgqaError
from core.types import Fact
from engine.compute.expr import PRIOR, Avg, Bin, Change, Node, Num, Ref, parse
from engine.compute.facts import FactIndex, label_key
from engine.compute.prose import prose_fact
from engine.compute.quantity import Quantity
from kg.statements.items import LineItem, item, items_in, squash

DATA = Path(__file__).resolve().parents[1] / "data" / "formulas.json"


class Missing(KgqaError):
    """An input of the computation is not in the evidence."""

    def __init__(self, name: str, period: str | None) -> None:
        super().__init__(f"{name}{' for ' + period if period else ''}")
        self.name = name
        self.period = period


@dataclass
class Used:
    """One input a computation used: what it is, its value and where it was read."""

    name: str
    period: str | None
    value: float
    unit: str
    surface: str
    fact: Fact | None = None
    note: str = ""  # "midpoint of 15-17%"


@dataclass(frozen=True)
class Metric:
    name: str
    aliases: tuple[str, ...]
    formula: str
    unit: str
    of: str = ""  # the base of a growth metric


@cache
def library() -> tuple[Metric, ...]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    return tuple(Metric(d["name"], tuple(d["aliases"]), d["formula"], d.get("unit", ""), d.get("of", ""))
                 for d in data["metrics"])


@cache
def ratio_patterns() -> tuple[re.Pattern[str], ...]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    return tuple(re.compile(p, re.I) for p in data["ratio_of_revenue"]["patterns"])


def metric_named(name: str) -> Metric | None:
    key = squash(name)
    for m in library():
        if squash(m.name) == key or any(squash(a) == key for a in m.aliases):
            return m
    return None


def prev_period(period: str) -> str:
    """``FY2019`` -> ``FY2018``; ``Q1 2023`` -> ``Q4 2022``."""
    m = re.match(r"FY(\d{4})$", period)
    if m:
        return f"FY{int(m.group(1)) - 1}"
    m = re.match(r"Q([1-4]) (\d{4})$", period)
    if m:
        q, y = int(m.group(1)), int(m.group(2))
        return f"Q{q - 1} {y}" if q > 1 else f"Q4 {y - 1}"
    return period


@dataclass
class Evaluator:
    """Evaluates formula trees for one question: its companies, definitions and default period."""

    index: FactIndex
    subjects: list[str]
    defs: dict[str, Node] = field(default_factory=dict)
    period: str | None = None
    statement: str | None = None  # the statement the question points at ("using the cash flow statement")
    question: str = ""
    statements: bool = True  # read statement tables and named formulas (off for adjusted / non-GAAP figures)
    used: list[Used] = field(default_factory=list)
    _depth: int = 0

    def value(self, node: Node, period: str | None = None) -> Quantity:
        period = period or self.period
        if isinstance(node, Num):
            if node.given:  # a figure written in the question: an input, cited as such
                self.used.append(Used("figure from the question", period, node.value, node.unit or "%", node.text,
                                      note="from the question"))
            return Quantity.of(node.value, node.unit or ("%" if node.percent else ""))
        if isinstance(node, Ref):
            if node.period == PRIOR:
                return self.ref(node, prev_period(period) if period else None)
            return self.ref(node, node.period or period)
        if isinstance(node, Avg):
            ps = node.periods or ((prev_period(period), period) if period else ())
            if not ps:
                raise Missing(f"the periods to average {node.ref.name} over", None)
            vals = [self.ref(node.ref, p) for p in ps]
            total = vals[0]
            for v in vals[1:]:
                total = total + v  # checks the units agree
            return Quantity(total.value / len(vals), total.dim, total.percent)
        if isinstance(node, Change):
            ps = node.periods or ((prev_period(period), period) if period else ())
            if len(ps) != 2:
                raise Missing(f"the two periods of the change in {node.ref.name}", None)
            return self.ref(node.ref, ps[1]) - self.ref(node.ref, ps[0])
        left, right = self.value(node.left, period), self.value(node.right, period)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        return left / right

    def ref(self, ref: Ref, period: str | None) -> Quantity:
        """The value of one operand at ``period`` (see module docstring)."""
        name = ref.name
        if self._depth > 6:
            raise Missing(name, period)
        formula = self._formula(name, self.statements)
        if formula is not None:
            self._depth += 1
            n_used = len(self.used)
            try:
                q = self.value(formula, period)
            except Missing:
                stated = self._label_fact(name, period) or prose_fact(self.index, self.subjects, name, period, self.question)
                if stated is None:
                    raise
                del self.used[n_used:]
                return self._use(name, period, stated)  # the metric as a table or the text states it
            finally:
                self._depth -= 1
            if _percent_metric(name) and not q.dim:
                q = Quantity(q.value, q.dim, True)
            return q
        it = line_item_of(name)
        own = [c for c in self.index.companies_in(name) if c in self.index.filers]  # "Helios Grid's revenue"
        if it is not None and (own or self.subjects) and self.statements:
            for cand in _item_chain(it):
                fact = self.statement_fact(cand, period, ref.statement, own or None)
                if fact is not None:
                    return self._use(cand.name, period, fact)
        fact = self._label_fact(name, period) or prose_fact(self.index, self.subjects, name, period, self.question)
        if fact is not None:
            return self._use(name, period, fact)
        if ref.optional and it is not None and self._reports(period):
            self.used.append(Used(it.name, period, 0.0, "USD", "not reported", note="not reported: taken as 0"))
            return Quantity.of(0.0, "USD")
        raise Missing(it.name if it is not None else name, period)

    def _label_fact(self, name: str, period: str | None) -> Fact | None:
        """A table row labelled exactly ``name`` ("Effective tax rate") for the companies, at ``period``."""
        if not self.subjects or not self.statements:
            return None
        facts = [f for f in self.index.statement_facts(self.subjects, label_key(name)) if not period or f.period == period]
        return facts[0] if facts else None

    def _reports(self, period: str | None) -> bool:
        """Whether the companies' balance sheet for ``period`` is in the corpus (so an absent line is zero)."""
        facts = self.index.statement_facts(self.subjects, "total current assets")
        return any(f.period == period for f in facts)

    def _formula(self, name: str, library_too: bool = True) -> Node | None:
        key = squash(name)
        for d, node in self.defs.items():
            if squash(d) == key:
                return node
        if not library_too:
            return None
        m = metric_named(name)
        if m is not None:
            for alias in (m.name, *m.aliases):  # the question's own definition of this metric wins
                for d, node in self.defs.items():
                    if squash(d) == squash(alias):
                        return node
            return parse(m.formula)
        for rx in ratio_patterns():  # "COGS % margin", "capex as a % of revenue"
            mm = rx.fullmatch(name)
            if mm and line_item_of(mm.group("item")):
                base = mm.groupdict().get("base") or "revenue"
                return Bin("/", Ref(mm.group("item").strip()), Ref(base.strip()))
        return None

    def statement_fact(self, it: LineItem, period: str | None, statement: str | None,
                       subjects: list[str] | None = None) -> Fact | None:
        subjects = subjects or self.subjects
        facts = self.index.statement_facts(subjects, it.name)
        if period:
            facts = [f for f in facts if f.period == period]
        if not facts:
            return None
        order = {s: k for k, s in enumerate(subjects)}
        want = statement or self.statement
        year = int(re.sub(r"\D", "", period or "")[-4:] or 0)

        def rank(f: Fact) -> tuple[int, int, int, int, int]:
            st = str(f.attrs.get("statement"))
            doc_year = self.index.doc_year.get(f.evidence[0].doc if f.evidence else "", 0)
            return (
                0 if want and st == want else 1,
                it.statements.index(st) if st in it.statements else len(it.statements),
                order.get(f.subject, 99),
                abs(doc_year - year) if year and doc_year >= year else 50,
                -(doc_year or 0),
            )

        facts.sort(key=rank)
        if not period:  # no period asked: the latest one reported
            facts.sort(key=lambda f: (rank(f)[:3], -int(re.sub(r"\D", "", f.period or "0")[-4:] or 0)))
        return facts[0]

    def stated_start(self, end: Used) -> Quantity | None:
        """The starting value of a change the sentence of ``end`` states ("from 8,800 ... to 5,400")."""
        f = end.fact
        if f is None or not f.evidence:
            return None
        ev = f.evidence[0]
        b = ev.text.find(f.surface or "\0")
        for g in self.index.other.get(f.subject, []):
            if g is f or not g.evidence or g.evidence[0] != ev or squash(g.metric or "") != squash(f.metric or ""):
                continue
            a = ev.text.find(g.surface or "\0")
            if 0 <= a < b and re.search(r"\bfrom\b", ev.text[max(0, a - 40) : a]) and re.search(r"\bto\b", ev.text[a:b]):
                return self._use(end.name, g.period, g)
        return None

    def _use(self, name: str, period: str | None, fact: Fact) -> Quantity:
        value = float(fact.value or 0.0)
        note = ""
        if fact.value_high is not None:  # a range: its midpoint
            value = (value + fact.value_high) / 2
            note = "midpoint"
        unit = fact.unit or ""
        self.used.append(Used(name, fact.period or period, value, unit, fact.surface or "", fact, note))
        return Quantity.of(value, unit)


def _item_chain(it: LineItem) -> list[LineItem]:
    """The items to read for ``it``, in order: its preferred form, itself, its fallback."""
    chain = [x for x in (item(it.prefer) if it.prefer else None, it, item(it.fallback) if it.fallback else None) if x]
    return chain


def _percent_metric(name: str) -> bool:
    """A named metric measured in percent (a margin, a rate, "X as a % of Y")."""
    m = metric_named(name)
    if m is not None:
        return m.unit == "%"
    return any(rx.fullmatch(name) for rx in ratio_patterns())


_OWNER = re.compile(r"(?:\b[A-Z][\w&.-]*\s+)*\b[A-Z][\w&.-]*['’]s?\s+")


def line_item_of(name: str) -> LineItem | None:
    """The line item a phrase names: exactly, or the longest item phrase covering most of it
    (an owner in front, "Northwind's revenue", does not count against it)."""
    name = _OWNER.sub("", name)
    it = item(name)
    if it is not None:
        return it
    found = items_in(name)
    if not found:
        return None
    best = max(found, key=lambda x: x[2] - x[1])
    rest = (name[: best[1]] + name[best[2] :]).strip()
    filler = re.sub(r"\b(?:unadjusted|reported|gaap|total|amount|the|of|year|end|ending|balance|net|value|level|"
                    r"figure|in|usd|millions?|billions?|thousands?|from|its|company's|annual|fiscal)\b", "", rest, flags=re.I)
    return best[0] if len(re.sub(r"[\W\d_]+", "", filler)) <= 3 else None
