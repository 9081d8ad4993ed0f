"""A deterministic answer scorer for the public benchmarks (FinanceBench, LiHua-World).

The published figures of both benchmarks come from human labels or an LLM judge; this
scorer is a fixed rule set instead, so a run is reproducible and needs no model. It sorts
each gold answer into one *kind* and applies that kind's rule:

``abstain``  gold says there is no answer ("Insufficient information", "N/A"): correct
             iff the system abstained (or said it found nothing).
``yesno``    gold starts with yes/no: correct iff the prediction's first yes/no word agrees.
``date``     gold is one or more date ids (``YYYYMMDD``, ``YYYYMMDD_HH:MM``, ``YYYY-MM-DD``; LiHua-World)
             and no other number: correct iff the prediction writes every date (``20260122``,
             ``2026-01-22``, ``January 22``, ``Jan 22``, ``22 January``). Date ids and clock times are
             never read as quantities.
``number``   gold's first sentence holds a number (years aside): correct iff the
             prediction's *main* value (its first number, or ``Answer.value``) equals one
             of the gold's numbers within 1% relative (or half the gold's last printed
             decimal, trailing zeros not counted: "$0.40" is 0.4), allowing a
             thousand/million/billion rescaling or a percent/fraction switch, signs ignored
             (filings print negatives in parentheses); or, when the gold states a change
             "from A to B", the change itself (B - A, or (B - A) / A in percent).
``name``     a short answer (at most six words, no number): correct iff every part
             (split on ``&``, ``,``, `` and ``) appears in the prediction, compared with
             case, spaces and punctuation removed ("AdamSmith" == "Adam Smith").
``text``     anything longer: correct iff at least half of the gold's content words
             (lower-cased, stop words removed) appear in the prediction. The weakest rule,
             reported separately.

>>> score("$1577.00", "Capital expenditure was $1,577 million [1].").correct
True
>>> score("1.9%", "It grew 2.4% [1].").correct
False
>>> score("Yes, the company pays dividends.", "Yes [1]").kind
'yesno'
>>> score("AdamSmith", "Adam Smith offered to help [1].").correct
True
>>> score("Insufficient information", "", abstained=True).correct
True
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from eval.metrics import ABSTAIN_ECHO

KINDS = ("abstain", "yesno", "date", "number", "name", "text")

_NUM = re.compile(
    r"(?P<neg>[-−(])?\s?\$?\s?(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?"
    r"(?P<pct>%|percent\b)?\s?(?P<scale>thousand|million|billion|trillion|bn|mn|[kmb](?![a-z]))?",
    re.I,
)
_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
          "trillion": 1e12}
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
# date ids (20260131, 20260131_14:00), ISO dates and clock times are dates, not quantities
_DATE_ID = re.compile(r"\b((?:19|20)\d{2})[-/]?(0[1-9]|1[0-2])[-/]?([0-3]\d)(?:[_ T]\d{1,2}:?\d{2})?\b")
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_MONTH_DAY = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b", re.I
)
_ABSTAIN_GOLD = re.compile(r"^\s*(?:insufficient information|n/?a|not (?:enough|available|answerable)|unknown)\b", re.I)
_ABSTAIN_PRED = re.compile(
    r"\b(?:insufficient information|does not say|not enough (?:evidence|information)|could not find|cannot find|no (?:answer|passage)|"
    r"don't know|do not know|not in the (?:documents|corpus|sources))\b",
    re.I,
)
_YESNO = re.compile(r"\b(yes|no)\b", re.I)
_MARKERS = re.compile(r"\[\d+\]")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_STOP_WORDS = (
    "a an the of to in on at for and or but with by from as is are was were be been being it its this that these those "
    "he she they them his her their him i you we our your my me us do does did has have had not no yes so than then "
    "there here about into over after before up down out if what which who whom when where why how all any each some "
    "very just also can could would should will may might must more most such only own same too s t answer question "
    "li hua lihua"
)
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Score:
    """The verdict on one answer: its kind, whether it is correct, and why."""

    kind: str
    correct: bool
    detail: str = ""


def clean(text: str) -> str:
    """Prediction text without citation markers, with unicode folded (NFKC) and blanks collapsed."""
    text = unicodedata.normalize("NFKC", _MARKERS.sub("", text or ""))
    return " ".join(text.split())


def strip_label(gold: str) -> str:
    """``"Answer: Yes"`` -> ``"Yes"`` (a few LiHua-World answers carry the label)."""
    return re.sub(r"^\s*answer\s*:\s*", "", gold or "", flags=re.I).strip()


def first_sentence(text: str) -> str:
    m = re.search(r"(?<=[a-z0-9%)]{3}[.!?])\s+(?=[A-Z])|\n", text)
    return text[: m.start()] if m else text


def number_items(text: str, skip_years: bool = True) -> list[tuple[float, int]]:
    """``(absolute value, decimals printed)`` of each number in ``text``, scale words applied."""
    out = []
    text = _MONTH_DAY.sub(" ", _TIME.sub(" ", _DATE_ID.sub(" ", text)))
    for m in _NUM.finditer(text):
        n = m.group("n")
        sc = (m.group("scale") or "").lower()
        if len(sc) == 1 and "$" not in m.group(0):  # "3M's" is a name, "$3M" an amount
            sc = ""
            if text[m.end("n"): m.end("n") + 1].isalpha():
                continue
        if skip_years and _YEAR.match(n) and not m.group("pct") and not sc:
            continue
        v = float(n.replace(",", ""))
        if sc:
            v *= _SCALE[sc]
        # trailing zeros are formatting, not precision: "$1577.00" and "$0.40" are 1577 and 0.4
        out.append((v, len(n.split(".")[1].rstrip("0")) if "." in n else 0))
    return out


_FROM_TO = re.compile(r"\bfrom\s+(?P<a>[^,;]*?\d[^,;]*?)\s+to\s+(?P<b>[^,;]*?\d[^,;]*?)(?=[,;.]\s|[,;]|\.?$|\s+(?:in|by|between|for|as)\b)",
                      re.I)


def stated_changes(text: str) -> list[tuple[float, int]]:
    """The change a gold sentence states as "from A to B": ``B - A`` and, in percent, ``(B - A) / A``.

    >>> [round(v, 3) for v, _ in stated_changes("The rate dropped from 24.6% in FY 2021 to 21.6% in FY 2022.")]
    [3.0, 12.195]
    """
    out: list[tuple[float, int]] = []
    for m in _FROM_TO.finditer(text):
        a, b = number_items(m.group("a")), number_items(m.group("b"))
        if len(a) != 1 or len(b) != 1:
            continue
        (va, da), (vb, db) = a[0], b[0]
        out.append((abs(vb - va), max(da, db)))
        if va:
            out.append((abs(vb - va) / abs(va) * 100, 1))
    return out


def numbers(text: str, skip_years: bool = True) -> list[float]:
    """Numbers written in ``text`` as absolute values, scale words applied (``$1.5 billion`` -> 1.5e9).

    >>> numbers("from $1,577 million to 2.4% in 2022; 3M's 5 plants; year ended December 31, at 14:00")
    [1577000000.0, 2.4, 5.0]
    """
    return [v for v, _ in number_items(text, skip_years)]


def same_value(pred: float, gold: float, gold_decimals: int = 2, rel: float = 0.01) -> bool:
    """Equal within ``rel`` (or the gold's printed rounding), up to a 1000^k rescaling or a percent/fraction switch.

    >>> same_value(1.577e9, 1577.0), same_value(0.019, 1.9), same_value(24.3, 24.26, 2), same_value(2.4, 2.0, 0)
    (True, True, True, False)
    """
    if gold == 0:
        return abs(pred) < 10 ** -max(gold_decimals, 2)
    factors = [1000.0 ** k for k in (0, 1, -1, 2, -2, 3, -3)] + [100.0, 0.01]
    for f in factors:
        g = gold * f
        tol = rel * abs(g)
        if gold_decimals:
            tol = max(tol, 0.5 * 10 ** -gold_decimals * f)
        if math.isclose(pred, g, abs_tol=tol):
            return True
    return False


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", unicodedata.normalize("NFKD", text).lower())


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", text).lower()) if w not in _STOP]


def gold_kind(gold: str) -> str:
    """The rule a gold answer is scored with (one of :data:`KINDS`).

    >>> [gold_kind(g) for g in ("Insufficient information", "No, it declined.", "20260122", "$8.70", "Tuesday")]
    ['abstain', 'yesno', 'date', 'number', 'name']
    """
    g = strip_label(gold)
    if not g or _ABSTAIN_GOLD.match(g):
        return "abstain"
    if re.match(r"^(yes|no)\b", g, re.I):
        return "yesno"
    if _DATE_ID.search(g) and not numbers(first_sentence(g)) and len(g.split()) <= 8:
        return "date"
    if numbers(first_sentence(g)):
        return "number"
    if len(g.split()) <= 6:
        return "name"
    return "text"


def _date_forms(y: str, m: str, d: str) -> list[str]:
    month = _MONTHS[int(m) - 1]
    day = str(int(d))
    return [f"{y}{m}{d}", f"{y}-{m}-{d}", f"{month} {day}", f"{month[:3]} {day}", f"{day} {month}",
            f"{month} {day}th", f"{month} {day}st", f"{month} {day}nd", f"{month} {day}rd"]


def score(gold: str, predicted: str, abstained: bool = False, value: str | None = None) -> Score:
    """Score one predicted answer against one gold answer (see the module doc for the rules)."""
    g = strip_label(gold)
    kind = gold_kind(g)
    said_nothing = abstained or not clean(predicted) or bool(_ABSTAIN_PRED.search(clean(predicted)))
    p = clean(ABSTAIN_ECHO.sub("", predicted or ""))  # kgqa echoes the question when it abstains
    if kind == "abstain":
        return Score(kind, said_nothing, "abstained" if said_nothing else "answered an unanswerable question")
    if abstained or not p:
        return Score(kind, False, "abstained")
    if kind == "yesno":
        want = g.split(None, 1)[0].strip(",.!").lower()
        m = _YESNO.search(p)
        got = m.group(1).lower() if m else None
        return Score(kind, got == want, f"gold {want}, got {got or 'no yes/no'}")
    if kind == "date":
        dates = [m.groups() for m in _DATE_ID.finditer(g)]
        missing = [f"{y}{mo}{d}" for y, mo, d in dates
                   if not any(f.lower() in p.lower() for f in _date_forms(y, mo, d))]
        return Score(kind, not missing, "all dates written" if not missing else f"missing {missing}")
    if kind == "number":
        gold_items = number_items(first_sentence(g))
        main = numbers(value or "") or numbers(first_sentence(p))
        if not main:
            return Score(kind, False, "no number in the answer")
        got = main[0]
        for gv, dec in gold_items:
            if same_value(got, gv, dec):
                return Score(kind, True, f"{got:g} matches {gv:g}")
        for gv, dec in stated_changes(first_sentence(g)):  # the gold states a change "from A to B"
            if same_value(got, gv, dec):
                return Score(kind, True, f"{got:g} matches the stated change {gv:g}")
        return Score(kind, False, f"{got:g} not in {[f'{x:g}' for x, _ in gold_items]}")
    if kind == "name":
        parts = [x for x in re.split(r"\s*(?:&|,|\band\b|/)\s*", g) if _squash(x)]
        sp, pw = _squash(p), set(_words(p))
        missing = [x for x in parts if _squash(x) not in sp and not (_words(x) and set(_words(x)) <= pw)]
        return Score(kind, not missing, "all named" if not missing else f"missing {missing}")
    gw = set(_words(g))
    pw = set(_words(p))
    rec = len(gw & pw) / len(gw) if gw else 0.0
    return Score(kind, rec >= 0.5, f"content-word recall {rec:.2f}")


def summarize(scores: Iterable[Score]) -> dict[str, dict[str, float | int | None]]:
    """Accuracy overall, without the weak ``text`` rule, and per kind: ``{name: {n, correct, accuracy}}``."""
    scores = list(scores)

    def agg(xs: list[Score]) -> dict[str, float | int | None]:
        c = sum(s.correct for s in xs)
        return {"n": len(xs), "correct": c, "accuracy": (c / len(xs)) if xs else None}

    out = {"all": agg(scores), "strict kinds": agg([s for s in scores if s.kind != "text"])}
    for k in KINDS:
        out[k] = agg([s for s in scores if s.kind == k])
    return out
