"""Carry out a :class:`~engine.compute.plan.Plan`: evaluate its formula for each period it needs and
combine (change, percentage change, CAGR, average; difference, share, multiple, sum, per unit).

Periods are checked: a change needs its two periods; two operands of a share, multiple or sum
must come from one period unless the question names the periods.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.compute.evaluate import Evaluator, Missing, Used
from engine.compute.expr import Node, Num, Ref, show
from engine.compute.plan import Plan
from engine.compute.quantity import Quantity, UnitMismatch


@dataclass
class Outcome:
    """What a plan computed: the result, the inputs used, and why it stopped if it did."""

    result: Quantity | None
    used: list[Used]
    formula: str
    missing: Missing | None = None
    refused: str = ""
    points: bool = False  # a difference of two percentages (percentage points)
    series: list[tuple[str, float]] = field(default_factory=list)  # (period, value) of a metric over periods


def _year(p: str) -> int:
    return int(re.sub(r"\D", "", p)[-4:] or 0)


def _with_target(node: Node, kind: str) -> Node:
    if kind and isinstance(node, Ref):
        return Ref(f"{node.name} {kind}", node.period, node.statement)
    return node


def run(plan: Plan, ev: Evaluator) -> Outcome:
    """Evaluate ``plan`` with ``ev`` (see module docstring); never raises for missing inputs."""
    try:
        return _run(plan, ev)
    except Missing as exc:
        return Outcome(None, ev.used, _formula_text(plan), missing=exc)
    except UnitMismatch as exc:
        return Outcome(None, ev.used, _formula_text(plan), refused=str(exc))


def _run(plan: Plan, ev: Evaluator) -> Outcome:
    formula = _formula_text(plan)
    ps = plan.periods
    if plan.target is None:
        return _pair(plan, ev, formula)
    if plan.op == "value":
        q = ev.value(plan.target, ps[-1] if ps else None)
        return Outcome(q, ev.used, formula)
    if plan.op == "average":
        vals = [ev.value(plan.target, p) for p in ps]
        total = vals[0]
        for v in vals[1:]:
            total = total + v
        series = [(p, v.value) for p, v in zip(ps, vals, strict=True)]
        return Outcome(Quantity(total.value / len(vals), total.dim, total.percent or vals[0].percent), ev.used, formula,
                       series=series)
    if len(ps) < 2:
        raise Missing("a second period to compare with", ps[0] if ps else None)
    return _over_time(plan, ev, _with_target(plan.target, plan.targets[0]), _with_target(plan.target, plan.targets[1]),
                      formula)


def _over_time(plan: Plan, ev: Evaluator, start: Node, end: Node, formula: str) -> Outcome:
    """Change, percentage change or CAGR from ``start`` (first period) to ``end`` (second period)."""
    ps = plan.periods
    p0, p1 = (ps[0], ps[1]) if len(ps) >= 2 else (None, None)
    try:
        v0 = ev.value(start, p0)
        v1 = ev.value(end, p1)
    except Missing:
        v1 = ev.value(end, p1)
        found = ev.stated_start(ev.used[-1]) if ev.used else None  # "from A to B" in one sentence
        if found is None:
            raise
        v0 = found
        ev.used.insert(0, ev.used.pop())
    series = [(p0 or "start", v0.value), (p1 or "end", v1.value)]
    if plan.op == "change":
        d = v1 - v0
        pct = (v0.percent and v1.percent) or (plan.percent and not v0.dim)
        return Outcome(d, ev.used, formula, points=pct, series=series)
    if v0.value == 0:
        raise UnitMismatch(f"the {p0} value is zero")
    if plan.op == "pct_change":
        rel = (v1 - v0) / Quantity(abs(v0.value), v0.dim)
        return Outcome(Quantity(rel.value, {}, True), ev.used, formula, series=series)
    years = _year(p1 or "") - _year(p0 or "")
    if years <= 0 or v1.value / v0.value <= 0:
        raise UnitMismatch("a compound growth rate needs two positive values in increasing years")
    (v1 / v0)  # checks the units agree
    rate = (v1.value / v0.value) ** (1 / years) - 1
    return Outcome(Quantity(rate, {}, True), ev.used, formula, series=series)


def _pair(plan: Plan, ev: Evaluator, formula: str) -> Outcome:
    assert plan.a is not None and plan.b is not None
    if plan.op in ("change", "pct_change", "cagr"):  # from a to b
        return _over_time(plan, ev, plan.a, plan.b, formula)
    own = any(isinstance(x, Ref) and x.period for x in (plan.a, plan.b))
    period = plan.periods[-1] if plan.periods and not own else None  # an operand's own period wins
    if own:
        ev.period = None
    a = ev.value(plan.a, period)
    n_a = len(ev.used)
    b = ev.value(plan.b, period)
    periods_a = {u.period for u in ev.used[:n_a] if u.period}
    periods_b = {u.period for u in ev.used[n_a:] if u.period}
    if not plan.periods and periods_a and periods_b and not periods_a & periods_b and plan.op != "difference":
        raise UnitMismatch(
            f"the inputs are from different periods ({', '.join(sorted(periods_a | periods_b))}); name the period to compare"
        )
    if plan.op == "difference":
        return Outcome(a - b, ev.used, formula, points=a.percent and b.percent)
    if plan.op == "sum":
        return Outcome(a + b, ev.used, formula)
    if plan.op == "product":
        return Outcome(a * b, ev.used, formula)
    r = a / b
    if plan.op == "share":
        return Outcome(Quantity(r.value, r.dim, True), ev.used, formula)
    return Outcome(r, ev.used, formula)


def _operand_text(node: Node) -> str:
    if isinstance(node, Num):
        return node.text
    return show(node).replace("@", " ")


def _formula_text(plan: Plan) -> str:
    """The computation in words: ``operating cash flow ratio FY2015``, ``(X FY2016 - X FY2015) / X FY2015``."""
    if plan.target is None:
        assert plan.a is not None and plan.b is not None
        a, b = _operand_text(plan.a), _operand_text(plan.b)
        if plan.op == "change":
            return f"{b} - {a}"
        if plan.op == "pct_change":
            return f"({b} - {a}) / {a}"
        if plan.op == "cagr":
            return f"({b} / {a})^(1/{max(1, _year(plan.periods[-1]) - _year(plan.periods[0])) if len(plan.periods) > 1 else '?'}) - 1"
        sym = {"difference": "-", "sum": "+", "share": "/", "multiple": "/", "per_unit": "/", "product": "*"}[plan.op]
        return f"{a} {sym} {b}"
    t = plan.label or show(plan.target)
    ps = plan.periods
    if plan.op == "value":
        return f"{t}{' ' + ps[-1] if ps else ''}"
    if plan.op == "average":
        return f"average of {t} over {', '.join(ps)}"
    p0, p1 = ([*ps, "?", "?"])[:2]
    a0 = f"{t} {p0}" + (" target" if plan.targets[0] else "")
    a1 = f"{t} {p1}" + (" target" if plan.targets[1] else "")
    if plan.op == "change":
        return f"{a1} - {a0}"
    if plan.op == "pct_change":
        return f"({a1} - {a0}) / {a0}"
    return f"({a1} / {a0})^(1/{max(1, _year(p1) - _year(p0))}) - 1"
