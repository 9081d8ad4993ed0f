"""Column periods of a statement table, read from its header cells.

A header is a run of cells such as ``Years ended December 31`` ``2018`` ``2017``, or
``November 27,`` ``2015`` ``November 28,`` ``2014``, or ``June 30, 2023`` ``December 31, 2022``,
or ``Three Months Ended June 30`` ``Six Months Ended June 30`` ``2023`` ``2022`` ``2023`` ``2022``.
Each column gets a :class:`Period`: the date it ends, how many months it covers (``None`` for a
balance at a date) and a label that questions use (``FY2018``, ``Q2 2023``, ``6M 2023``).

A fiscal year is named by the calendar year in which it ends (a year ended February 2, 2019 is
``FY2019``); a year ending in the first week of January belongs to the year before (52/53-week years).

>>> [p.label for p in read_header(["Years ended December 31", "(Millions)", "2018", "2017", "2016"])]
['FY2018', 'FY2017', 'FY2016']
>>> [p.label for p in read_header(["November 27,", "2015", "November 28,", "2014"], instant=True)]
['FY2015', 'FY2014']
>>> [p.label for p in read_header(["June 30, 2023", "December 31, 2022"], instant=True)]
['Q2 2023', 'FY2022']
>>> [p.label for p in read_header(["Three Months Ended June 30", "Six Months Ended June 30", "2023", "2022", "2023", "2022"])]
['Q2 2023', 'Q2 2022', '6M 2023', '6M 2022']
>>> [(p.label, p.end) for p in read_header(["Fiscal Years Ended", "January 28, 2017", "January 30, 2016"])]
[('FY2017', '2017-01-28'), ('FY2016', '2016-01-30')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
_MON = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_YEAR = r"(?:19[89]\d|20[0-4]\d)"
_DATE = re.compile(rf"\b({_MON})\s*(\d{{1,2}})\s*,?\s*(?:\|\s*)?({_YEAR})\b", re.I)
_MONTH_DAY = re.compile(rf"\b({_MON})\s*(\d{{1,2}})\b(?!\s*,?\s*{_YEAR})", re.I)
_YEAR_ONLY = re.compile(rf"^(?:(?:fiscal|fy|year)\s*)?'?({_YEAR})(?:\s*\(?(?:restated|as adjusted|unaudited)\)?)?$", re.I)
_FY_SHORT = re.compile(r"^(?:fy|fiscal)\s*'?(\d{2})$", re.I)
_QUARTER = re.compile(rf"^(?:q([1-4])\s*(?:fy\s*)?'?({_YEAR}|\d{{2}})|({_YEAR})\s*q([1-4]))$", re.I)
_VS = re.compile(rf"{_YEAR}\s*(?:vs\.?|versus|compared to|over)\s*{_YEAR}", re.I)
_DURATION = [
    (re.compile(r"(?:three|3)[\s-]*months?|thirteen[\s-]*weeks|13[\s-]*weeks|quarters?\s*ended", re.I), 3),
    (re.compile(r"(?:six|6)[\s-]*months?|twenty[\s-]*six[\s-]*weeks|26[\s-]*weeks", re.I), 6),
    (re.compile(r"(?:nine|9)[\s-]*months?|thirty[\s-]*nine[\s-]*weeks|39[\s-]*weeks", re.I), 9),
    (re.compile(r"(?:twelve|12)[\s-]*months?|years?\s*ended|year\s*ending|fiscal\s*years?|(?:52|53|fifty[\s-]*(?:two|three))[\s-]*weeks", re.I), 12),
]
_INSTANT = re.compile(r"^\s*(?:at|as\s*of|balance\s*at)\b", re.I)
_HEADER_WORDS = re.compile(
    r"fiscal|years?|ended|ending|months?|weeks?|quarters?|periods?|three|six|nine|twelve|thirteen|twenty|thirty|fifty|"
    r"two|for|the|at|as|of|and|unaudited|restated|adjusted|change|vs|versus|compared|to|fy|percent|"
    rf"{_MON}|q[1-4]|h[12]",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Period:
    """One column's period: ``label`` (``FY2018``), ``end`` (ISO date or year), ``months`` (``None``: a balance)."""

    label: str
    end: str
    months: int | None
    year: int


def is_header_cell(text: str) -> bool:
    """A cell made of dates, years and period words only (``At December 31, 2019``, ``2018``, ``Three Months Ended``).

    >>> is_header_cell("For the Years Ended December 31,"), is_header_cell("2022 vs. 2021"), is_header_cell("Inventories")
    (True, True, False)
    """
    t = text.strip()
    if not t or len(t) > 90:
        return False
    rest = _HEADER_WORDS.sub("", _spaced(t))
    rest = re.sub(r"[\d\s,.'()%$|:\-–—/]+", "", rest)
    if rest:
        return False
    if re.search(r"\d,\d{3}|\(\s*\d|\$", t):  # a figure, not a date
        return False
    return bool(re.search(rf"(?<!\d)(?:19[89]\d|20[0-4]\d)(?!\d)|ended|ending|months|fiscal|{_MON}\s*\d", t, re.I))


def _spaced(text: str) -> str:
    """Glued header text (``FiscalYearsEndedJanuary31,``) with the word breaks put back."""
    return re.sub(r"(?<=[a-z])(?=[A-Z0-9])|(?<=\d)(?=[A-Za-z])", " ", text)


def _month(name: str) -> int:
    n = name.lower().rstrip(".")[:3]
    return next(i for i, m in enumerate(MONTHS, 1) if m.startswith(n))


@dataclass
class _Col:
    year: int
    month: int | None
    day: int | None


def _columns(cells: list[str]) -> list[_Col]:
    """Column dates in order: full dates, and years paired with the latest month-day seen before them."""
    cols: list[_Col] = []
    md: tuple[int, int] | None = None
    for cell in cells:
        c = _VS.sub(" ", _spaced(cell)).strip()
        dates = list(_DATE.finditer(c))
        if dates and re.sub(rf"{_DATE.pattern}|\b(?:at|as of|and)\b|[\s,|]", "", c, flags=re.I) == "":
            cols += [_Col(int(m.group(3)), _month(m.group(1)), int(m.group(2))) for m in dates]
            continue
        mds = list(_MONTH_DAY.finditer(c))
        if mds:
            md = (_month(mds[-1].group(1)), int(mds[-1].group(2)))
        elif dates:  # "December 31, 2022 and 2021": a phrase naming the columns' month and day
            md = (_month(dates[0].group(1)), int(dates[0].group(2)))
        years = [y for tok in re.split(r"[\s|]+", c) if (y := _year_token(tok))]
        if years and all(_year_token(t) or not t for t in re.split(r"[\s|]+", c)):
            cols += [_Col(y, md[0] if md else None, md[1] if md else None) for y in years]
    return cols


def _year_token(tok: str) -> int | None:
    m = _YEAR_ONLY.match(tok.strip(" ,"))
    if m:
        return int(m.group(1))
    m = _FY_SHORT.match(tok.strip(" ,"))
    return 2000 + int(m.group(1)) if m else None


def _durations(cells: list[str]) -> list[int]:
    out: list[tuple[int, int]] = []
    text = " | ".join(_spaced(c) for c in cells)
    for rx, months in _DURATION:
        out += [(m.start(), months) for m in rx.finditer(text)]
    return [m for _, m in sorted(out)]


def fiscal_year(year: int, month: int | None, day: int | None) -> int:
    """The fiscal year a period ending on that date is named by (first week of January: the year before)."""
    if month == 1 and day is not None and day <= 7:
        return year - 1
    return year


def read_header(cells: list[str], instant: bool = False) -> list[Period]:
    """The periods of a table's columns, in order (see module docstring); ``[]`` when there are none.

    ``instant``: the table holds balances at dates (a balance sheet) unless its header says otherwise.
    """
    cols = _columns(cells)
    quarters = [q for c in cells if (q := _QUARTER.match(c.strip()))]
    if not cols and quarters:
        return [_quarter_period(q) for q in quarters]
    if not cols:
        return []
    durs = _durations(cells)
    if not durs and any(_INSTANT.match(c) for c in cells):
        instant = True
    if len(durs) > 1 and len(cols) % len(durs) == 0:
        per = len(cols) // len(durs)
        months: list[int | None] = [durs[i // per] for i in range(len(cols))]
    elif durs and not instant:
        months = [durs[0]] * len(cols)
    else:
        months = [None if instant else 12] * len(cols)
    return _label(cols, months)


def _label(cols: list[_Col], months: list[int | None]) -> list[Period]:
    out: list[Period] = []
    instants = [c for c, m in zip(cols, months, strict=True) if m is None]
    month_set = {c.month for c in instants}
    latest = max(instants, key=lambda c: (c.year, c.month or 12, c.day or 31)) if instants else None
    for c, m in zip(cols, months, strict=True):
        end = f"{c.year:04d}-{c.month:02d}-{c.day:02d}" if c.month and c.day else str(c.year)
        fy = fiscal_year(c.year, c.month, c.day)
        if m == 12:
            label = f"FY{fy}"
        elif m is None:
            interim = len(month_set) > 1 and c is latest
            label = f"Q{(c.month - 1) // 3 + 1} {c.year}" if interim and c.month else f"FY{fy}"
        elif m == 3 and c.month:
            label = f"Q{(c.month - 1) // 3 + 1} {c.year}"
        else:
            label = f"{m}M {c.year}"
        out.append(Period(label, end, m, fy if label.startswith("FY") else c.year))
    return out


def _quarter_period(q: re.Match[str]) -> Period:
    n = int(q.group(1) or q.group(4))
    y = q.group(2) or q.group(3)
    year = int(y) if len(y) == 4 else 2000 + int(y)
    return Period(f"Q{n} {year}", str(year), 3, year)
