"""The graph's metric facts, indexed for the formula engine: statement facts by (company, line
item, period), every other metric fact by subject, and the companies a question names.

Company names are compared squashed and without legal suffixes, so "3M" finds "3M Company",
"Coca Cola" finds "The Coca-Cola Company" and "MGM Resorts" finds "MGM Resorts International".
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from core.interfaces import GraphStore
from core.types import Entity, Fact
from kg.statements.items import squash
from retrieval.lexical import stopwords

_LEGAL = re.compile(
    r"(?:,?\s+(?:inc|incorporated|corp|corporation|company|co|plc|ltd|limited|llc|lp|nv|sa|ag|se|holdings?|group)\.?)+$"
    r"|^the\s+|\s+and\s+subsidiar(?:y|ies).*$",
    re.I,
)


def company_keys(e: Entity) -> set[str]:
    """Squashed names of a company without legal suffixes (``"The Coca-Cola Company"`` -> ``cocacola``)."""
    out = set()
    for n in (e.name, *e.aliases):
        base = _LEGAL.sub("", n.strip())
        base = _LEGAL.sub("", base)
        for k in (squash(base), squash(n)):
            if len(k) >= 2:
                out.add(re.sub(r"(?:incorporated|inc|corporation|corp|company|plc|ltd)$", "", k) or k)
    return out


@dataclass
class FactIndex:
    """Lookups over the metric facts of one graph (built once per loaded index)."""

    graph: GraphStore
    titles: dict[str, str] = field(default_factory=dict)  # document id -> title (what a document is about)

    def __post_init__(self) -> None:
        self.statement: dict[tuple[str, str], list[Fact]] = defaultdict(list)
        self.other: dict[str, list[Fact]] = defaultdict(list)
        self.doc_year: dict[str, int] = {}
        for f in self.graph.all_facts():
            if f.value is None:
                continue
            if f.attrs.get("source") == "statement":
                item = str(f.attrs.get("line_item") or "")
                key = item.lower() if item else label_key(f.metric or "")
                self.statement[(f.subject, key)].append(f)
                y = _year(f.period)
                doc = f.evidence[0].doc if f.evidence else ""
                if y and y > self.doc_year.get(doc, 0):
                    self.doc_year[doc] = y
            else:
                self.other[f.subject].append(f)
        self.keys: dict[str, set[str]] = {}
        common = stopwords()
        for e in self.graph.entities():
            if e.type == "Company" or e.id in {s for s, _ in self.statement}:
                self.keys[e.id] = {k for k in company_keys(e) if k not in common}
        self.filers = {s for s, _ in self.statement}

    def companies_in(self, text: str) -> list[str]:
        """Ids of the companies ``text`` names (filers of statement facts first), longest name first."""
        words = [re.sub(r"['’]s$", "", w) for w in re.findall(r"[\w&.'’-]+", text)]
        grams: dict[str, int] = {}
        for n in range(1, 6):
            for i in range(len(words) - n + 1):
                g = squash(" ".join(words[i : i + n]))
                if len(g) >= 2:
                    grams.setdefault(g, n)
        hits: list[tuple[int, str]] = []
        for eid, keys in self.keys.items():
            best = 0
            for k in keys:
                if k in grams:
                    best = max(best, len(k) + 10)
                else:
                    best = max([best] + [len(g) for g in grams if len(g) >= 5 and k.startswith(g) and grams[g] <= 3])
            if best:
                hits.append((best + (100 if eid in self.filers else 0), eid))
        return [eid for _, eid in sorted(hits, reverse=True)]

    def latest_period(self, subjects: list[str]) -> str | None:
        """The latest fiscal year the companies' statements report (``FY2022``), or ``None``."""
        years = [y for (s, _), fs in self.statement.items() if s in subjects for f in fs
                 if (f.period or "").startswith("FY") and (y := _year(f.period))]
        return f"FY{max(years)}" if years else None

    def statement_facts(self, subjects: list[str], item: str) -> list[Fact]:
        out: list[Fact] = []
        for s in subjects:
            out += self.statement.get((s, item.lower()), [])
        return out


def label_key(label: str) -> str:
    """The lookup key of a table row kept under its own label (not a canonical line item)."""
    return "label:" + squash(label)


def _year(period: str | None) -> int | None:
    m = re.search(r"(?:19|20)\d{2}", period or "")
    return int(m.group(0)) if m else None
