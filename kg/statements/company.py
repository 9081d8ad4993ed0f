"""Which company a filing (or one of its statements) is about, read from the document itself.

In order: a company line in the statement's own title block (``3M Company and Subsidiaries``),
the cover page's registrant (the line above "Exact name of registrant as specified in its
charter"), a company line near the top of the document, the manifest's ``company`` entry, and
last the file name's first word (``BESTBUY_2019_10K.pdf`` -> ``BESTBUY``). No list of known
companies is consulted.

>>> company_line("3M Company and Subsidiaries"), company_line("ACTIVISION BLIZZARD, INC. AND SUBSIDIARIES")
('3M Company', 'Activision Blizzard, Inc.')
>>> company_line("MGMRESORTSINTERNATIONALANDSUBSIDIARIES"), company_line("Consolidated Statements of Income")
('MGMRESORTSINTERNATIONAL', None)
>>> company_line("NIKE, Inc. Consolidated Statements of Income")
'NIKE, Inc.'
>>> name_from_file("AMERICANWATERWORKS_2020_10K%23p85.txt"), name_from_file("reports/q3.txt")
('AMERICANWATERWORKS', None)
"""

from __future__ import annotations

import re
import urllib.parse
from functools import cache

from kg.statements.items import _data, statement_kind


@cache
def _filer() -> dict[str, object]:
    d = _data()["filer"]
    assert isinstance(d, dict)
    return d


@cache
def _suffix_re() -> re.Pattern[str]:
    suffixes = _filer()["legal_suffixes"]
    assert isinstance(suffixes, list)
    alts = "|".join(re.escape(s) for s in sorted(suffixes, key=len, reverse=True))
    return re.compile(rf"^(?P<name>.{{1,70}}?(?:,\s*|\s+)(?:{alts}))(?=\s|$|,)", re.I)


@cache
def _group_re() -> re.Pattern[str]:
    return re.compile(str(_filer()["group_tail"]), re.I)


@cache
def registrant_re() -> re.Pattern[str]:
    return re.compile(str(_filer()["registrant_cue"]), re.I)


def _pretty(name: str) -> str:
    """Upper-case names in title case, short all-caps words kept (``AES``, ``3M``)."""
    if name.upper() != name or " " not in name.strip():
        return name.strip(" ,.") + ("." if name.rstrip().endswith(".") else "")
    words = [w if len(w.strip(",.")) <= 3 and w.strip(",.").upper() not in {"INC", "CO", "LTD", "THE", "AND"} else w.capitalize()
             for w in name.split()]
    return " ".join(w if not w.lower().startswith(("inc", "co.", "ltd")) else w.capitalize() for w in words)


def company_line(line: str) -> str | None:
    """The company a statement-header line names, or ``None`` (see module docstring).

    >>> company_line("# Helios Grid Corp — Fiscal 2024 Shareholder Letter")
    'Helios Grid Corp'
    """
    t = " ".join(line.split()).strip(" |#")
    head = re.split(r"\s+[—–:-]\s+|:\s+", t, maxsplit=1)[0]
    if head != t:  # "Acme Corp — Annual Report": the name before the separator
        name = company_line(head)
        if name:
            return name
    if not t or len(t) > 110 or not re.match(r"[A-Z0-9]", t):
        return None
    g = _group_re().search(t)
    if g is None:
        glued = re.search(r"(?i)and(?:its)?subsidiar(?:y|ies)(?:companies)?\.?$", t)
        if glued and " " not in t:
            return t[: glued.start()] or None
    base = t[: g.start()] if g else t
    cut = re.search(r"\s+(?:consolidated|condensed|combined|statements?\s+of|balance\s+sheets?)\b", base, re.I)
    if cut:
        base = base[: cut.start()]
    base = base.strip(" ,")
    m = _suffix_re().match(base)
    if not ((m and m.group("name").strip() == base.strip()) or (g is not None and base)):
        return None
    name = base
    if statement_kind(name) or len(name.split()) > 8 or re.search(r"\b(?:the following|table|notes?)\b", name, re.I):
        return None
    return _pretty(name)


def name_from_file(doc_id: str) -> str | None:
    """The first word of a filing's file name when it is named ``COMPANY_YEAR_FORM...``."""
    stem = urllib.parse.unquote(doc_id).rsplit("/", 1)[-1]
    m = re.match(r"^([A-Za-z0-9&.]+?)[_-](?:19|20)\d\d", stem)
    return m.group(1) if m and re.search(r"[A-Za-z]", m.group(1)) else None


def document_company(lines: list[str], meta_company: str | None, doc_id: str) -> str | None:
    """The company of a whole document: cover-page registrant, an early company line, the manifest, the file name."""
    for i, line in enumerate(lines[:400]):
        if registrant_re().search(line):
            for prev in reversed(lines[max(0, i - 3) : i]):
                name = company_line(prev) or (prev.strip() if 2 < len(prev.strip()) < 80 else None)
                if name:
                    return _pretty(name)
    for line in lines[:12]:
        name = company_line(line)
        if name:
            return name
    return meta_company or name_from_file(doc_id)
