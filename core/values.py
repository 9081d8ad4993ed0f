"""Find and normalise quantities in text: money, percentages, multiples, scores, years, counts, durations.

One parser serves the answerer (what value answers the question), the graph (typed metric
facts) and the evaluation (is "$4.46B" the same as "4.46 billion").

>>> [(m.kind, m.value, m.high, m.unit, m.qualifier) for m in find_values("revenue of approximately $4.46 billion")]
[('money', 4460000000.0, None, 'USD', 'approx')]
>>> [(m.kind, m.value, m.high) for m in find_values("margins of 49-52%")]
[('percent', 0.49, 0.52)]
>>> [(m.kind, m.value, m.unit, m.of) for m in find_values("Score 7/10")]
[('score', 7.0, 'score', 10.0)]
>>> [(m.kind, m.value, m.qualifier) for m in find_values("~$560M")]
[('money', 560000000.0, 'approx')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SCALE = {
    "thousand": 1e3, "k": 1e3,
    "million": 1e6, "mn": 1e6, "mm": 1e6, "m": 1e6,
    "billion": 1e9, "bn": 1e9, "b": 1e9,
    "trillion": 1e12, "tn": 1e12, "t": 1e12,
}
_APPROX = r"(?P<q>~|≈|<=|>=|<|>|≤|≥|approx\.?|approximately|about|around|roughly|nearly|almost|over|more than|above|at least|under|less than|below|up to|some)?\s*"
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_DASH = r"\s*(?:-|to|–|—)\s*"
_SCALE_WORDS = r"trillion|billion|million|thousand|bn|mn|mm|tn|[kKmMbBtT](?![a-zA-Z])"

_MONEY = re.compile(
    _APPROX
    + rf"(?:US)?\$\s?(?P<a>{_NUM})(?P<plus1>\+)?\s*(?P<sa>{_SCALE_WORDS})?"
    + rf"(?:{_DASH}\$?\s?(?P<b>{_NUM})\s*(?P<sb>{_SCALE_WORDS})?)?(?P<plus2>\+)?",
    re.I,
)
_MONEY_WORDS = re.compile(
    _APPROX + rf"(?P<a>{_NUM})\s*(?P<sa>trillion|billion|million|thousand)\s+(?:US\s+)?(?:dollars|USD)\b", re.I
)
_PERCENT = re.compile(
    _APPROX + rf"(?P<a>{_NUM})(?:\s?%?{_DASH}(?P<b>{_NUM}))?\s?(?:%|percent\b|per cent\b|pct\b)(?P<plus>\+)?", re.I
)
_MULTIPLE = re.compile(_APPROX + rf"(?P<a>{_NUM})(?:{_DASH}(?P<b>{_NUM}))?\s?[xX×](?![a-zA-Z0-9])")
_SCORE = re.compile(rf"(?P<a>{_NUM})\s*(?:/|out of)\s*(?P<of>10|100|5|20)\b")
_DURATION = re.compile(
    _APPROX + rf"(?P<a>{_NUM})(?:{_DASH}(?P<b>{_NUM}))?\s?(?P<u>ms|milliseconds?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\b",
    re.I,
)
_YEAR = re.compile(
    r"(?P<fy>\bFY\s?|\bfiscal(?: year)?\s+)?(?<![\d.$])(?P<a>(?:19|20)\d{2})(?:\s*(?:-|–|to)\s*(?P<b>(?:19|20)\d{2}))?(?![\d%.]\d|\s?%)"
    r"|\bFY\s?(?P<fy2>\d{2})\b",
    re.I,
)
_QUARTER = re.compile(r"\b(?:(?P<y1>(?:19|20)\d{2})\s*Q(?P<q1>[1-4])|Q(?P<q2>[1-4])\s*(?:FY\s?)?(?P<y2>(?:19|20)?\d{2}))\b")
_WORD_NUM = r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a dozen|dozens of|hundreds of|thousands of"
_COUNT = re.compile(
    _APPROX + rf"(?P<a>{_NUM}|(?<![\w-])(?:{_WORD_NUM}))(?:\s*(?P<sa>million|billion|thousand))?\+?\s+(?P<noun>[a-z][a-z-]+)", re.I
)
_COUNT_NOUNS = {
    "employees": "people", "people": "people", "staff": "people", "workers": "people", "customers": "count",
    "users": "count", "developers": "count", "clients": "count", "companies": "count", "countries": "count",
    "platforms": "count", "partners": "count", "integrations": "count", "stores": "count", "locations": "count",
    "shares": "count", "units": "count", "messages": "count", "calls": "count", "accounts": "count",
    "indicators": "count", "offices": "count", "products": "count", "segments": "count",
}
_QUAL = {
    "~": "approx", "≈": "approx", "approx": "approx", "approx.": "approx", "approximately": "approx",
    "about": "approx", "around": "approx", "roughly": "approx", "nearly": "approx", "almost": "approx",
    "some": "approx", "over": "over", "more than": "over", "above": "over", "at least": ">=",
    "under": "<", "less than": "<", "<": "<", ">": "over", "<=": "<=", ">=": ">=", "≤": "<=", "≥": ">=", "below": "<", "up to": "<=",
}
_WORD_NUMS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "twenty": 20, "hundred": 100, "a": 1,
}


@dataclass(frozen=True, slots=True)
class Value:
    """A quantity found in text; ``[start, end)`` is its range in that text.

    ``value``/``high`` are normalised: USD in units, percentages as fractions, years as
    numbers. ``high`` is set for ranges ("49-52%").
    """

    kind: str  # money | percent | multiple | score | year | quarter | duration | count | number
    start: int
    end: int
    surface: str
    value: float
    high: float | None = None
    unit: str = ""
    qualifier: str | None = None
    of: float | None = None  # scores: "7/10" -> of=10
    noun: str | None = None  # counts: the thing counted

    @property
    def is_range(self) -> bool:
        return self.high is not None

    def as_text(self) -> str:
        """A canonical human form: ``$4.46 billion``, ``49-52%``, ``5-6x``, ``7/10``."""
        return format_value(self.kind, self.value, self.high, self.unit, self.of)


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def _qual(m: re.Match[str]) -> str | None:
    q = (m.groupdict().get("q") or "").strip().lower()
    return _QUAL.get(q) if q else None


def _trim_q(m: re.Match[str], text: str) -> int:
    """Start of a match without leading blanks."""
    s = m.start()
    while s < m.end() and text[s].isspace():
        s += 1
    return s


def find_values(text: str) -> list[Value]:
    """Every quantity in ``text``, longest match first where two overlap, in text order."""
    found: list[Value] = []
    for m in _MONEY.finditer(text):
        sa = (m.group("sa") or "").lower()
        sb = (m.group("sb") or "").lower() or sa
        scale_a = _SCALE.get(sa, 1.0) if sa else _SCALE.get(sb, 1.0) if m.group("b") else 1.0
        a = _num(m.group("a")) * scale_a
        b = _num(m.group("b")) * _SCALE.get(sb, 1.0) if m.group("b") else None
        q = _qual(m) or ("over" if (m.group("plus1") or m.group("plus2")) else None)
        found.append(Value("money", _trim_q(m, text), m.end(), m.group(0).strip(), a, b, "USD", q))
    for m in _MONEY_WORDS.finditer(text):
        a = _num(m.group("a")) * _SCALE[m.group("sa").lower()]
        found.append(Value("money", _trim_q(m, text), m.end(), m.group(0).strip(), a, None, "USD", _qual(m)))
    for m in _PERCENT.finditer(text):
        a = _num(m.group("a")) / 100
        b = _num(m.group("b")) / 100 if m.group("b") else None
        q = _qual(m) or ("over" if m.group("plus") else None)
        found.append(Value("percent", _trim_q(m, text), m.end(), m.group(0).strip(), round(a, 10), None if b is None else round(b, 10), "%", q))
    for m in _MULTIPLE.finditer(text):
        b = _num(m.group("b")) if m.group("b") else None
        found.append(Value("multiple", _trim_q(m, text), m.end(), m.group(0).strip(), _num(m.group("a")), b, "x", _qual(m)))
    for m in _SCORE.finditer(text):
        found.append(Value("score", m.start(), m.end(), m.group(0), _num(m.group("a")), None, "score", None, _num(m.group("of"))))
    for m in _DURATION.finditer(text):
        u = m.group("u").lower()
        unit = "ms" if u.startswith("m") and u in ("ms", "millisecond", "milliseconds") else u.rstrip("s")
        if unit in ("sec",):
            unit = "second"
        b = _num(m.group("b")) if m.group("b") else None
        found.append(Value("duration", _trim_q(m, text), m.end(), m.group(0).strip(), _num(m.group("a")), b, unit, _qual(m)))
    for m in _QUARTER.finditer(text):
        y = m.group("y1") or m.group("y2")
        q = m.group("q1") or m.group("q2")
        year = int(y) if len(y) == 4 else 2000 + int(y)
        found.append(Value("quarter", m.start(), m.end(), m.group(0), float(year), None, f"Q{q}"))
    for m in _YEAR.finditer(text):
        if m.group("fy2"):
            found.append(Value("year", m.start(), m.end(), m.group(0), 2000.0 + int(m.group("fy2")), None, "year", "fiscal"))
            continue
        b = float(m.group("b")) if m.group("b") else None
        found.append(Value("year", m.start(), m.end(), m.group(0).strip(), float(m.group("a")), b, "year", "fiscal" if m.group("fy") else None))
    for m in _COUNT.finditer(text):
        noun = m.group("noun").lower()
        unit = _COUNT_NOUNS.get(noun)
        if unit is None:
            continue
        scale = _SCALE.get((m.group("sa") or "").lower(), 1.0)
        count_text: str = m.group("a")
        n = word_number(count_text.split()[-1]) if count_text[0].isalpha() else _num(count_text)
        if n is None:
            continue  # "hundreds of" names no number
        found.append(Value("count", _trim_q(m, text), m.end(), m.group(0).strip(), n * scale, None, unit, _qual(m), noun=noun))
    for m in _BARE.finditer(text):
        found.append(Value("number", _trim_q(m, text), m.end(), m.group(0).strip(), _num(m.group("a")), None, "", _qual(m)))
    return _dedupe(found)


_BARE = re.compile(_APPROX + r"(?<![\w.$])(?P<a>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d{2,})(?![\w.%]|\.\d)")
_PRIORITY = {
    "money": 0, "percent": 1, "score": 2, "multiple": 3, "duration": 4, "quarter": 5, "count": 6, "year": 7, "number": 8,
}


def _dedupe(vals: list[Value]) -> list[Value]:
    """Keep the longest (then most specific) of overlapping matches."""
    vals.sort(key=lambda v: (v.start, -(v.end - v.start), _PRIORITY[v.kind]))
    out: list[Value] = []
    for v in sorted(vals, key=lambda v: (-(v.end - v.start), _PRIORITY[v.kind], v.start)):
        if v.kind in ("year", "number") and any(o.kind in ("money", "percent", "multiple", "duration") and o.start <= v.start < o.end for o in out):
            continue
        if any(not (v.end <= o.start or v.start >= o.end) for o in out):
            continue
        out.append(v)
    return sorted(out, key=lambda v: v.start)


def format_value(kind: str, value: float, high: float | None = None, unit: str = "", of: float | None = None) -> str:
    """Canonical text for a normalised value.

    >>> format_value("money", 4.46e9), format_value("percent", 0.49, 0.52), format_value("multiple", 5, 6)
    ('$4.46 billion', '49-52%', '5-6x')
    """

    def n(x: float) -> str:
        return f"{x:,.4f}".rstrip("0").rstrip(".")

    if kind == "money":
        def money(x: float) -> str:
            for word, s in (("trillion", 1e12), ("billion", 1e9), ("million", 1e6)):
                if abs(x) >= s:
                    return f"${n(x / s)} {word}"
            return f"${n(x)}"
        return money(value) if high is None else f"{money(value)}-{money(high)}"
    if kind == "percent":
        return f"{n(value * 100)}%" if high is None else f"{n(value * 100)}-{n(high * 100)}%"
    if kind == "multiple":
        return f"{n(value)}x" if high is None else f"{n(value)}-{n(high)}x"
    if kind == "score":
        return f"{n(value)}/{n(of or 10)}"
    if kind == "year":
        return str(int(value)) if high is None else f"{int(value)}-{int(high)}"
    if kind == "quarter":
        return f"{unit} {int(value)}"
    if kind == "duration":
        return f"{n(value)} {unit}" if high is None else f"{n(value)}-{n(high)} {unit}"
    return n(value) if high is None else f"{n(value)}-{n(high)}"


def same_number(a: float, b: float, rel: float = 0.005) -> bool:
    """Equal within a relative tolerance (rounding in reports: "$4.46B" vs 4,460,000,000)."""
    if a == b:
        return True
    return abs(a - b) <= rel * max(abs(a), abs(b))


def word_number(token: str) -> int | None:
    """``"three"`` -> 3 (for counts written in words)."""
    return _WORD_NUMS.get(token.lower())
