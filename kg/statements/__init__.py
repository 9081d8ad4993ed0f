"""Financial-statement tables (income statement, balance sheet, cash-flow statement) as typed facts.

:mod:`kg.statements.tables` reads tables off a document's text, :mod:`kg.statements.periods` their
column periods, :mod:`kg.statements.items` maps row labels to canonical line items
(``kg/data/line_items.json``), :mod:`kg.statements.company` names the filer, and
:mod:`kg.statements.extract` turns every (row, column) into a cited metric fact.
"""

from kg.statements.extract import STATEMENT_VERSION, StatementExtractor, extract_statements

__all__ = ["STATEMENT_VERSION", "StatementExtractor", "extract_statements"]
