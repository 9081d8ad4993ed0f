"""Statement tables to typed facts: one metric fact per (row, period column), with exact evidence.

Each fact is ``company -HAS_METRIC-> line item`` with the value in base units (USD, not
millions; a percentage as a fraction), the column's period (``FY2018``), the unit, the
printed surface (``(1,577)``) and these attributes:

==============  ===================================================================
statement       ``balance_sheet`` | ``income`` | ``cash_flow`` | ``table`` (other tables)
label           the row label as printed; ``line_item`` its canonical item ("" if none)
scale           ``millions`` / ``thousands`` / ``billions`` / "" (the table's unit line)
end, months     the period's end date and length (``None``: a balance at that date)
value_span      raw ``[start, end)`` of the figure inside the evidence
header          raw ``[start, end, text]``: the table's title block down to the column's header
==============  ===================================================================

The evidence span runs from the row label to the figure, so ``raw[start:end]`` shows both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from core.interfaces import Extraction
from core.types import Document, Unit
from kg.statements.company import company_line, document_company, name_from_file
from kg.statements.items import LabelMatch, data_version, match_label
from kg.statements.tables import Figure, Row, Table, read_tables

STATEMENT_VERSION = 3  # bump when a rule changes what is extracted (cached extractions are redone)
_PER_SHARE = re.compile(r"per\s*(?:common\s*|ordinary\s*)?share|\beps\b|pershare", re.I)
_SHARES = re.compile(r"\bshares\b|sharesoutstanding|weighted", re.I)


class StatementExtractor:
    """The :class:`core.interfaces.Extractor` for financial-statement tables (PDF, HTML, markdown).

    >>> from core.interfaces import Extractor
    >>> isinstance(StatementExtractor(), Extractor)
    True
    """

    version: str = f"statements-{STATEMENT_VERSION}-{data_version()}"  # the synonyms file is part of the rules

    def extract(self, doc: Document, units: Sequence[Unit]) -> Extraction:
        return extract_statements(doc)


def extract_statements(doc: Document) -> Extraction:
    """Mentions and facts of every statement table of ``doc`` (see module docstring)."""
    lines = doc.text.splitlines()
    default = document_company(lines, _meta_company(doc), doc.id)
    out = _Out(doc)
    for table in read_tables(doc.text):
        company = _table_company(doc.text, table) or default
        if not company:
            continue
        _table_facts(out, table, company)
    return {"doc": doc.id, "sha256": doc.sha256, "version": StatementExtractor.version, "focus": default,
            "mentions": out.mentions, "facts": out.facts}


def _meta_company(doc: Document) -> str | None:
    v = doc.meta.get("company") if isinstance(doc.meta, dict) else None
    return str(v) if v else None


def _table_company(text: str, table: Table) -> str | None:
    """A company line in the few lines above the table's header (its title block)."""
    block = text[max(0, table.start - 400) : table.header_start]
    for line in reversed(block.splitlines()[-8:]):
        name = company_line(line)
        if name:
            return name
    return None


class _Out:
    """The mentions and facts of one document, with raw-text evidence."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.mentions: list[dict[str, Any]] = []
        self.facts: list[dict[str, Any]] = []
        self._named: set[tuple[str, str]] = set()

    def raw(self, start: int, end: int) -> list[Any]:
        a, b = self.doc.raw_span(start, end)
        return [self.doc.id, a, b, self.doc.raw[a:b]]

    def mention(self, name: str, typ: str, ev: list[Any], w: float, aliases: list[str] | None = None) -> None:
        if (name, typ) in self._named:
            return
        self._named.add((name, typ))
        self.mentions.append({"name": name, "type": typ, "w": w, "aliases": aliases or [], "attrs": {}, "ev": ev})


def _table_facts(out: _Out, table: Table, company: str) -> None:
    kind = table.statement or "table"
    best: dict[str, tuple[int, int]] = {}  # item -> (rank, row index): one row per item and table
    matches: list[LabelMatch | None] = []
    for i, row in enumerate(table.rows):
        m = match_label(row.label, table.statement)
        matches.append(m)
        if m is not None and (m.name not in best or m.rank < best[m.name][0]):
            best[m.name] = (m.rank, i)
    head_ev = {k: out.raw(table.start, table.period_spans[k][1]) for k in range(len(table.periods))}
    short = name_from_file(out.doc.id)  # the filing's file name often carries the company's short name
    out.mention(company, "Company", head_ev[0], 3.0, [short] if short and short.lower() != company.lower() else [])
    for i, row in enumerate(table.rows):
        m = matches[i]
        item = m.item if m is not None and best[m.name][1] == i else None
        metric = item.name if item is not None else row.label
        if len(metric) < 2:
            continue
        if item is not None:  # canonical items are graph nodes; other rows stay values of their company
            out.mention(metric, "Metric", out.raw(row.start, row.end), 1.0)
        for k, (period, fig) in enumerate(zip(table.periods, row.values, strict=True)):
            value, unit = _value(fig, row, table, item.sign if item else "", item.unit if item else "USD")
            if value is None:
                continue
            ev = out.raw(row.start, fig.end)
            vs, ve = out.doc.raw_span(fig.start, fig.end)
            attrs = {
                "statement": kind, "label": row.label, "line_item": item.name if item else "", "scale": table.scale_text,
                "end": period.end, "months": period.months, "section": row.section, "table": table.title[:160],
                "value_span": [vs, ve], "header": head_ev[k][1:], "source": "statement",
            }
            out.facts.append({
                "s": company, "st": "Company", "p": "HAS_METRIC", "o": metric if item is not None else None,
                "ot": "Metric" if item is not None else None, "metric": metric,
                "value": value, "unit": unit, "period": period.label, "surface": fig.text, "attrs": attrs, "ev": ev,
            })


def _value(fig: Figure, row: Row, table: Table, sign: str, item_unit: str) -> tuple[float | None, str]:
    """The figure in base units and its unit: USD scaled by the table's unit line, per-share amounts
    and percentages as printed, share counts scaled; a dash is a reported zero."""
    if fig.value is None:
        return (0.0, "USD") if fig.text.strip() in {"—", "–", "-", "——"} else (None, "")
    v = abs(fig.value) if sign == "abs" else fig.value
    if fig.percent:
        return v / 100, "%"
    if item_unit == "USD/share" or _PER_SHARE.search(row.label) or _PER_SHARE.search(row.section):
        return v, "USD/share"
    if fig.scale != 1.0:  # "$4.1B": the figure carries its own scale
        return v * fig.scale, "USD"
    if _SHARES.search(row.label) and not re.search(r"\$|equity|stock\b|capital", row.label, re.I):
        return v * table.scale, "shares"
    return v * table.scale, "USD"
