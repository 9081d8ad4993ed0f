"""What a question asks to compute: the operation, the metric or operands, the periods, the rounding.

Reads the asking clause of the question (role-play instructions around it are dropped), the
definitions it spells out ("DPO is defined as: ..."), named metrics (``engine/data/formulas.json``),
line items (``kg/data/line_items.json``), periods (``FY2019``, ``Q2 of FY2023``, ``2022``) and the
cue words of ``retrieval/data/question_types.json`` (section ``compute``).

>>> p = plan("What is the FY2015 operating cash flow ratio for Adobe? Operating cash flow ratio is defined as: "
...          "cash from operations / total current liabilities. Round your answer to two decimal places.")
>>> p.op, p.periods, p.decimals, show(p.target), p.explicit
('value', ['FY2015'], 2, 'operating cash flow ratio', True)
>>> p = plan("What is Lockheed Martin's 2 year total revenue CAGR from FY2020 to FY2022 (in units of percents "
...          "and round to one decimal place)?")
>>> p.op, p.periods, p.percent, show(p.target)
('cagr', ['FY2020', 'FY2022'], True, 'total revenue')
>>> p = plan("How much did non-GAAP operating margin improve between the FY2024 level and the FY2025 target?")
>>> p.op, p.periods, show(p.target), p.targets
('change', ['FY2024', 'FY2025'], 'non-GAAP operating margin', ('', 'target'))
>>> plan("Why did margins fall?") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from core.errors import QuestionError
from core.values import find_values
from engine.compute.evaluate import library, line_item_of, metric_named, ratio_patterns
from engine.compute.expr import PERIOD, Bin, Node, Num, Ref, operand, parse, period_label, periods_in, show
from kg.statements.items import items_in, squash
from retrieval.question import compute_cues

__all__ = ["Plan", "plan", "show"]

_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4}
_REASON = re.compile(r"^\s*(?:why|what (?:drove|drives|caused|explains)|explain|describe|how does|how do)\b", re.I)
_PAREN = re.compile(r"\([^()]*\)")


@dataclass
class Plan:
    """A computation asked for (see module docstring)."""

    op: str  # value | change | pct_change | average | cagr | difference | share | multiple | sum | per_unit
    target: Node | None
    periods: list[str]
    core: str
    a: Node | None = None
    b: Node | None = None
    defs: dict[str, Node] = field(default_factory=dict)
    label: str = ""
    percent: bool = False
    decimals: int | None = None
    scale: str | None = None
    statement: str | None = None
    explicit: bool = False
    adjusted: bool = False  # asks for an adjusted / non-GAAP / organic figure: statement lines do not give it
    targets: tuple[str, str] = ("", "")  # "target" when a change's endpoint is a goal, not an actual


@cache
def _cues() -> dict[str, object]:
    return compute_cues()


def _rx(name: str) -> re.Pattern[str]:
    return _compiled()[name]


@cache
def _compiled() -> dict[str, re.Pattern[str]]:
    c = _cues()
    out = {k: re.compile(str(c[k]), re.I) for k in ("ask_clause", "percent_answer", "decimals", "money_scale")}
    ops = c["operations"]
    assert isinstance(ops, dict)
    for k, pats in ops.items():
        out[f"op:{k}"] = re.compile("|".join(f"(?:{p})" for p in pats), re.I)
    st = c["statements"]
    assert isinstance(st, dict)
    for k, p in st.items():
        out[f"st:{k}"] = re.compile(p, re.I)
    return out


def core_clause(question: str) -> str:
    """The clause that asks (``"..., what is the FY2018 capex for 3M?"``) without role-play around it."""
    q = " ".join(question.split())
    found = [m.group("q") for m in _rx("ask_clause").finditer(q)]
    with_mark = [f for f in found if f.endswith("?")]
    return (with_mark or found or [q])[0].strip()


def definitions(question: str) -> dict[str, Node]:
    """Formulas the question spells out, by name (an abbreviation in parentheses names it too)."""
    defs_cue = _cues()["definition"]
    assert isinstance(defs_cue, list)
    out: dict[str, Node] = {}
    for pat in defs_cue:
        for m in re.finditer(pat, " ".join(question.split()), re.I):
            name = re.sub(r"^(?:the|a|an|and|here|where|with)\s+|\s+here$", "", m.group("name").strip(), flags=re.I)
            try:
                node = parse(m.group("f"))
            except QuestionError:
                continue
            abbrev = re.search(r"\(([^()]+)\)\s*$", name)
            names = [_PAREN.sub("", name).strip()] + ([abbrev.group(1)] if abbrev else [])
            for n in names:
                if n and len(n) <= 60:
                    out.setdefault(n.lower(), node)
    return out


def _target(core: str, defs: dict[str, Node]) -> tuple[Node | None, str]:
    """The metric the clause asks for: the longest definition, named metric or ratio it mentions,
    else a line item."""
    sq = squash(core)
    cands: list[tuple[int, Node, str]] = []
    for name in defs:
        if squash(name) and squash(name) in sq:
            cands.append((len(squash(name)) + 1, Ref(name), name))
    low = core.lower()
    for m in library():
        for a in m.aliases:
            if _phrase(a).search(low):
                cands.append((len(squash(a)), Ref(m.name), a))
    bare = _PAREN.sub(" ", low)
    for rx in ratio_patterns():
        for mm in rx.finditer(bare):
            item_text = _tail_item(mm.group("item"))
            if item_text:
                base = (mm.groupdict().get("base") or "revenue").strip()
                cands.append((len(squash(item_text + base)) + 2, Bin("/", Ref(item_text), Ref(base)), f"{item_text} as a % of {base}"))
    if cands:
        _, node, label = max(cands, key=lambda c: c[0])
        return node, label
    found = [x for x in items_in(bare) if _ends_phrase(bare, x[2])]
    if found:
        it, s, e = max(found, key=lambda x: x[2] - x[1])
        return Ref(bare[s:e].strip()), it.name
    return None, ""


_AFTER_ITEM = re.compile(
    r"^\s*(?:$|[?,.;:)(%]|(?:for|of|in|at|from|between|on|as|and|to|by|was|is|were|are|did|does|amount|figure|value|"
    r"balance|level|total|year|fy\w*|during|over|since|reported|number|line|cagr|growth|change|yoy|increase|decrease)\b)",
    re.I,
)


def _ends_phrase(text: str, end: int) -> bool:
    """A line item names the target only when its noun phrase ends there ("revenue", not "revenue multiple")."""
    return bool(_AFTER_ITEM.match(text[end:]))


@cache
def _phrase(text: str) -> re.Pattern[str]:
    """``text`` as a whole phrase, spaces and hyphens interchangeable."""
    body = re.escape(text.lower()).replace(r"\ ", r"[\s-]*").replace(r"\-", r"[\s-]*")
    return re.compile(rf"(?<![\w&]){body}s?(?![\w&])")


def _tail_item(text: str) -> str:
    """The line item a ratio phrase ends with ("... FY2015 depreciation and amortization" -> that item)."""
    found = items_in(text)
    if not found:
        return ""
    it, s, e = max(found, key=lambda x: (x[2], x[2] - x[1]))
    return text[s:e].strip() if line_item_of(text[s:e]) is it else ""


def _periods(core: str) -> list[str]:
    core = re.sub(r"\b(?:19|20)\d{2}\s*(?:-|–|to)\s*(?:19|20)\d{2}\s*(?:era|vintage)\b", "", core)
    out: list[str] = []
    for p in periods_in(core):
        if p not in out:
            out.append(p)
    return out


def _year(p: str) -> int:
    return int(re.sub(r"\D", "", p)[-4:] or 0)


def _op(core: str, periods: list[str]) -> str:
    """``cagr`` / ``average`` / ``pct_change`` / ``change`` over two or more periods, else ``value``."""
    if _rx("op:cagr").search(core):
        return "cagr"
    if _rx("op:average").search(core) and len(periods) >= 2:
        return "average"
    two = len(periods) >= 2 or bool(_MEASURE.search(core))
    if two and _rx("op:pct_change").search(core):
        return "pct_change"
    if two and _rx("op:change").search(core):
        return "change"
    return "value"


def _endpoint_kinds(core: str, periods: list[str]) -> tuple[str, str]:
    """For a change between two periods: which endpoint is a target ("the FY2025 target")."""
    kinds = []
    for p in periods[:2]:
        y = re.sub(r"\D", "", p)[-4:]
        m = re.search(rf"(?:FY\s*|fiscal\s*)?{y}\b(?P<after>[^,;]{{0,25}})", core, re.I)
        kinds.append("target" if m and re.search(r"target|goal|guidance|plan", m.group("after"), re.I) else "")
    return ([*kinds, "", ""])[0], ([*kinds, "", ""])[1]


_MEASURE = re.compile(
    r"\b(?:how much|by how (?:much|many \w+)|by what (?:percent(?:age)?|%|amount|share)) (?:did|has|have|was|were|is|does|do|had|will) "
    r"(?:the |its |their )?(?P<m>.+?) "
    r"(?:improve|increase|decrease|decline|change|grow|fall|drop|rise|shrink|expand|widen|narrow|contract|be cut|been cut)"
    r"|\b(?:change|increase|decrease|decline|growth|improvement|drop|rise|reduction|cut) in (?:the |its |their )?(?P<m2>.+?) "
    r"(?:from|between|over|since|in)\b",
    re.I,
)


def _measure(core: str) -> str:
    """The measured thing of a "how much did X change between P and Q" clause."""
    m = _MEASURE.search(core)
    if not m:
        return ""
    text = (m.group("m") or m.group("m2") or "").split("?")[0]
    text = re.sub(r"\s+(?:for|of|at)\s+[A-Z][\w.&'-]*(?:\s+[A-Z][\w.&'-]*)*\s*$", "", text)
    text = re.sub(r"^[A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*)*'s\s+", "", text.strip())  # "Twilio's margin" -> "margin"
    text = PERIOD.sub("", text)
    return " ".join(text.split()).strip(" ,")


def _answer_format(question: str, p: Plan) -> None:
    m = _rx("decimals").search(question)
    if m:
        n = m.group("n").lower()
        p.decimals = _WORDS.get(n, int(n) if n.isdigit() else 2)
    s = _rx("money_scale").search(question)
    if s:
        p.scale = (s.group("s") or s.group("s2")).lower()
    p.percent = bool(_rx("percent_answer").search(p.core)) or bool(re.search(r"\bin (?:units of )?percents?\b", question, re.I))
    kinds = [k for k in ("cash_flow", "balance_sheet", "income") if _rx(f"st:{k}").search(question)]
    p.statement = kinds[0] if len(kinds) == 1 else None
    p.adjusted = bool(re.search(str(_cues()["adjusted"]), p.core, re.I))


def plan(question: str) -> Plan | None:
    """The computation ``question`` asks for, or ``None`` when it asks for none."""
    core = core_clause(question)
    if _REASON.search(core) or re.search(str(_cues()["not_computed"]), core, re.I):
        return None  # reasons, and "which segment ..." choices, are not computations
    defs = definitions(question)
    periods = _periods(core)
    explicit = bool(defs) or bool(_rx("op:explicit").search(question))
    op = _op(core, periods)
    target, label = _target(core, defs)
    written = _pair_plan(core, periods, defs)
    if written is not None and (written.explicit or (written.op in ("cagr", "change", "pct_change") and isinstance(written.a, Num))):
        written.explicit = True  # "difference between A and B", "how many times A is B", both figures written
        _answer_format(question, written)
        return written
    if op == "value" and (target is None or (isinstance(target, Ref) and line_item_of(target.name))):
        pair = _pair_plan(core, periods, defs)
        if pair is not None:
            pair.explicit = pair.explicit or explicit
            _answer_format(question, pair)
            return pair
    measure = _measure(core) if op in ("change", "pct_change") else ""
    if measure and (target is None or len(squash(measure)) > len(squash(label)) + 3):
        target, label = operand(measure), measure
    if target is None and op == "value":  # "what is the edge node latency": a metric stated in prose
        phrase = _clean(PERIOD.sub(" ", _PAREN.sub(" ", core)))
        target, label = (operand(phrase), phrase) if phrase and len(phrase.split()) <= 8 else (None, "")
    if target is None:
        return None
    if op in ("change", "pct_change", "cagr"):
        periods = sorted(periods, key=_year)[-2:] if len(periods) >= 2 else periods
        m = metric_named(target.name) if isinstance(target, Ref) else None
        if m is not None and m.of:  # "FY2019 - FY2020 revenue growth rate": the change of revenue
            target, label = Ref(m.of), m.of
    if op == "average":
        lo, hi = min(_year(x) for x in periods), max(_year(x) for x in periods)
        periods = [f"FY{y}" for y in range(lo, hi + 1)]
    over_time = op in ("average", "cagr") or (op in ("change", "pct_change") and len(periods) >= 2)
    p = Plan(op, target, periods, core, defs=defs, label=label, explicit=explicit or over_time)
    if op == "change":
        p.targets = _endpoint_kinds(core, periods)
    _answer_format(question, p)
    return p


@cache
def _pairs() -> tuple[tuple[str, re.Pattern[str]], ...]:
    raw = _cues()["pairs"]
    assert isinstance(raw, list)
    return tuple((d["op"], re.compile(d["pattern"], re.I)) for d in raw)


_LEAD = re.compile(r"^(?:please\s+)?(?:calculate|compute|work out|estimate|find|give|what (?:is|was|are|were|would be)|how much (?:is|was))\s+(?:the\s+)?(?:midpoint of\s+(?:the\s+)?)?", re.I)


def _clean(text: str) -> str:
    """An operand phrase without a leading imperative or question word and trailing punctuation."""
    return _LEAD.sub("", text.strip(" ,?.")).strip(" ,?.")


def _value_operand(text: str) -> Num | None:
    """A number written in the question (``$4.46 billion``, ``18%``, ``5x``) as an input."""
    vals = [v for v in find_values(text) if v.kind in ("money", "percent", "multiple", "number", "count", "duration", "score")]
    if len(vals) != 1 or (len(re.sub(r"[\W_]+", "", text.replace(vals[0].surface, ""))) > 0 and vals[0].kind == "number"):
        return None
    v = vals[0]
    unit = {"money": "USD", "percent": "%", "count": v.unit, "duration": v.unit}.get(v.kind, "")
    return Num(v.value if v.high is None else (v.value + v.high) / 2, v.surface, v.kind == "percent", unit, given=True)


def _pair_plan(core: str, periods: list[str], defs: dict[str, Node]) -> Plan | None:
    """Two operands combined: a difference, a share, a multiple, a sum, a product, an amount per unit,
    or two figures written in the question ("from $4.46 billion in FY2024 to $6.5 billion in 2029")."""
    explicit = _cues()["explicit_pairs"]
    assert isinstance(explicit, list)
    for op, rx in _pairs():
        m = rx.search(core)
        if not m:
            continue
        a_text, b_text = _clean(m.group("a")), _clean(m.group("b"))
        what = (m.groupdict().get("what") or "").strip()
        if what:
            a_text, b_text = f"{a_text} {what}", f"{b_text} {what}"
        if PERIOD.fullmatch(a_text.strip()) or PERIOD.fullmatch(b_text.strip()):
            continue  # "between FY2024 and FY2025": a change over time, not two operands
        try:
            a = _value_operand(a_text) or operand(a_text)
            b = _value_operand(b_text) or operand(b_text)
        except QuestionError:
            continue
        if op == "from_to":
            ps = periods_in(m.group("pa") or "")[:1] + periods_in(m.group("pb") or "")[:1]
            kind = _op(core, ["", ""])
            op = kind if kind in ("cagr", "pct_change") else "change"
            return Plan(op, None, ps if len(ps) == 2 else periods[-2:], core, a=a, b=b, defs=defs,
                        label=f"from {a_text} to {b_text}", explicit=True)
        return Plan(op, None, periods[-1:], core, a=a, b=b, defs=defs, label=f"{a_text} {op} {b_text}",
                    explicit=op in explicit)
    return None


def first_period(text: str) -> str | None:
    m = PERIOD.search(text)
    return period_label(m) if m else None
