"""Formulas written in words, parsed into a small expression tree.

Accepts what analysts write: ``cash from operations / total current liabilities``,
``FY2019 revenue / (average PP&E between FY2018 and FY2019)``,
``365 * (average accounts payable between FY2016 and FY2017) / (FY2017 COGS + change in inventory
between FY2016 and FY2017)``, ``total current assets less total current liabilities``,
``DIO + DSO - DPO``. Operands stay phrases here; :mod:`engine.compute.evaluate` resolves them.

>>> show(parse("cash from operations / total current liabilities"))
'(cash from operations / total current liabilities)'
>>> show(parse("FY2019 revenue / (average PP&E between FY2018 and FY2019)"))
'(revenue@FY2019 / avg(PP&E@FY2018,FY2019))'
>>> show(parse("365 * (average accounts payable between FY2016 and FY2017) / (FY2017 COGS + change in inventory between FY2016 and FY2017)"))
'((365 * avg(accounts payable@FY2016,FY2017)) / (COGS@FY2017 + chg(inventory@FY2016,FY2017)))'
>>> show(parse("total current assets less total current liabilities"))
'(total current assets - total current liabilities)'
>>> show(parse("unadjusted operating income + depreciation and amortization [from cash flow statement]"))
'(unadjusted operating income + depreciation and amortization#cash_flow)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import QuestionError

_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
PERIOD = re.compile(
    r"\b(?:q(?P<q>[1-4])\s*(?:of\s*)?(?:fy\s*|fiscal\s*(?:year\s*)?)?'?(?P<qy>(?:19|20)\d{2}|\d{2})"
    r"|(?:fy|fiscal\s*(?:year\s*)?)\s*'?(?P<fy>(?:19|20)\d{2}|\d{2})\b"
    r"|(?P<y>(?:19|20)\d{2})(?:\s*q(?P<q2>[1-4]))?)(?![\d%])",
    re.I,
)
_STATEMENT_HINT = re.compile(
    r"[\(\[]\s*(?:d&a\s+)?(?:from|in|per|on|of|using)?\s*(?:the\s+)?(?P<s>cash\s*flow\s*statement|statement\s+of\s+cash\s*flows|"
    r"income\s+statement|p&l(?:\s+statement)?|statement\s+of\s+income|balance\s+sheet|statement\s+of\s+financial\s+position)\s*[\)\]]",
    re.I,
)
_OPS = re.compile(
    r"(?P<op>\s[-–−]\s|\+|\*|×|÷|/|\(|\)|\b(?:less|minus|plus|times|divided\s+by|multiplied\s+by)\b)", re.I
)
_OP_NAMES = {"-": "-", "–": "-", "−": "-", "+": "+", "*": "*", "×": "*", "÷": "/", "/": "/", "less": "-",
             "minus": "-", "plus": "+", "times": "*", "divided by": "/", "multiplied by": "*"}


def statement_of(hint: str) -> str:
    h = hint.lower()
    if "cash" in h:
        return "cash_flow"
    if "balance" in h or "financial position" in h:
        return "balance_sheet"
    return "income"


def period_label(m: re.Match[str]) -> str:
    """``FY2019`` / ``Q2 2023`` for a :data:`PERIOD` match."""
    if m.group("q"):
        y = m.group("qy")
        return f"Q{m.group('q')} {y if len(y) == 4 else '20' + y}"
    if m.group("fy"):
        y = m.group("fy")
        return f"FY{y if len(y) == 4 else '20' + y}"
    if m.group("q2"):
        return f"Q{m.group('q2')} {m.group('y')}"
    return f"FY{m.group('y')}"


def periods_in(text: str) -> list[str]:
    """Period labels written in ``text``, in order (``"from FY2016 to 2018"`` -> ``['FY2016', 'FY2018']``)."""
    return [period_label(m) for m in PERIOD.finditer(text)]


PRIOR = "prior"  # a Ref period meaning "the period before the one evaluated"


@dataclass(frozen=True)
class Num:
    """A number: a constant of a formula (365), or a figure written in the question (``unit`` set)."""

    value: float
    text: str
    percent: bool = False
    unit: str = ""
    given: bool = False  # written in the question: an input of the computation


@dataclass(frozen=True)
class Ref:
    """An operand: a line item, a named metric or a phrase, at ``period`` (``None``: the question's)."""

    name: str
    period: str | None = None
    statement: str | None = None
    optional: bool = False  # a balance a statement may not list: zero when it is absent


@dataclass(frozen=True)
class Avg:
    """The mean of ``ref`` over ``periods`` (``()``: the period and the one before)."""

    ref: Ref
    periods: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """``ref`` at the later period minus at the earlier one (``()``: the period and the one before)."""

    ref: Ref
    periods: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bin:
    op: str
    left: Node
    right: Node


Node = Num | Ref | Avg | Change | Bin


def parse(text: str) -> Node:
    """Parse a formula in words (see module docstring); raises :class:`QuestionError` if it is not one."""
    text = _STATEMENT_HINT.sub(lambda m: f" #{statement_of(m.group('s'))} ", text)
    text = re.sub(r"\s+", " ", text).strip(" .;:")
    toks: list[str] = []
    pos = 0
    for m in _OPS.finditer(text):
        if text[pos : m.start()].strip():
            toks.append(text[pos : m.start()].strip())
        toks.append(_OP_NAMES.get(m.group("op").strip().lower(), m.group("op").strip()))
        pos = m.end()
    if text[pos:].strip():
        toks.append(text[pos:].strip())
    p = _Parser(toks)
    node = p.expr()
    if p.i != len(toks):
        raise QuestionError(f"cannot read the formula {text!r}")
    return node


class _Parser:
    def __init__(self, toks: list[str]) -> None:
        self.toks = toks
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def expr(self) -> Node:
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.toks[self.i]
            self.i += 1
            node = Bin(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.peek() in ("*", "/"):
            op = self.toks[self.i]
            self.i += 1
            node = Bin(op, node, self.factor())
        return node

    def factor(self) -> Node:
        t = self.peek()
        if t is None or t in ("+", "*", "/", ")"):
            raise QuestionError("formula ends early")
        self.i += 1
        if t == "(":
            node = self.expr()
            if self.peek() == ")":
                self.i += 1
            return node
        if t == "-":
            return Bin("-", Num(0.0, "0"), self.factor())
        return operand(t)


_NUM = re.compile(r"^\$?\s*(\d[\d,]*(?:\.\d+)?)\s*(%?)$")
_AVG = re.compile(r"^(?:the\s+)?(?:average|avg\.?|mean)\s+(?:of\s+)?(?:the\s+)?", re.I)
_CHG = re.compile(r"^(?:the\s+)?(?:change|increase|decrease|difference)\s+in\s+(?:the\s+)?", re.I)
_BETWEEN = re.compile(r"\s*\b(?:between|from)\s+(?P<a>.+?)\s+(?:and|to|through)\s+(?P<b>.+?)\s*$", re.I)


def operand(phrase: str) -> Node:
    """One operand phrase: a number, ``average X [between P and Q]``, ``change in X ...``, or ``[P] X``."""
    phrase = phrase.strip()
    m = _NUM.match(phrase)
    if m:
        v = float(m.group(1).replace(",", ""))
        return Num(v / 100 if m.group(2) else v, phrase, bool(m.group(2)))
    statement = None
    hint = re.search(r"#(\w+)", phrase)
    if hint:
        statement = hint.group(1)
        phrase = (phrase[: hint.start()] + phrase[hint.end() :]).strip()
    optional = re.match(r"^optional\s+", phrase, re.I)
    if optional:
        phrase = phrase[optional.end() :]
    prior = re.match(r"^(?:the\s+)?(?:prior|previous|last)(?:[- ]year(?:'s)?|[- ]period(?:'s)?)?\s+", phrase, re.I)
    if prior:  # "prior revenue": the operand one period earlier
        phrase = phrase[prior.end() :]
    wrap: type[Avg] | type[Change] | None = None
    for rx, kind in ((_AVG, Avg), (_CHG, Change)):
        mm = rx.match(phrase)
        if mm:
            wrap, phrase = kind, phrase[mm.end() :]
    periods: tuple[str, ...] = ()
    b = _BETWEEN.search(phrase)
    if b and periods_in(b.group("a")) and periods_in(b.group("b")):
        periods = (periods_in(b.group("a"))[0], periods_in(b.group("b"))[0])
        phrase = phrase[: b.start()]
    own = PERIOD.search(phrase)
    period = None
    if own and not periods:
        period = period_label(own)
        phrase = (phrase[: own.start()] + phrase[own.end() :]).strip()
    phrase = re.sub(r"^(?:the|a|an)\s+|\s+(?:at|for|in|of)$|^(?:year\s*end|end\s+of)\s+", "", phrase.strip(" ,"), flags=re.I)
    name = " ".join(phrase.split())  # case kept: a capitalised word names something
    if not name:
        raise QuestionError("an operand has no name")
    ref = Ref(name, PRIOR if prior else period, statement, bool(optional))
    if wrap is Avg:
        return Avg(ref, periods)
    if wrap is Change:
        return Change(ref, periods)
    return ref


def show(node: Node) -> str:
    """A compact rendering for tests and notes."""
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Ref):
        return node.name + (f"@{node.period}" if node.period else "") + (f"#{node.statement}" if node.statement else "")
    if isinstance(node, Avg):
        return f"avg({show(node.ref)}{'@' + ','.join(node.periods) if node.periods else ''})"
    if isinstance(node, Change):
        return f"chg({show(node.ref)}{'@' + ','.join(node.periods) if node.periods else ''})"
    return f"({show(node.left)} {node.op} {show(node.right)})"
