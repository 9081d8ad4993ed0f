"""Statement queries: what a question about a named metric has to read, written as search text.

"Does Acme have an improving gross margin profile?" asks about a ratio whose inputs (revenue, cost
of goods sold) stand on the income statement: a page of row labels and figures that shares few
words with the question, and whose vector is far from it. Beside the question, the retriever gets
one more query naming the statements and line items the metric is computed from (the formulas of
``engine/data/formulas.json``, the items and aliases of ``kg/data/line_items.json``), so those pages
rank with the passages that discuss the metric. A question naming no metric gets none.

>>> statement_query("Does Acme have an improving gross margin profile as of FY2023?")
'Acme FY2023 income statement: revenue, net sales, cost of goods sold, cost of sales'
>>> statement_query("Why did Acme's margins fall?") is None
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from core.errors import QuestionError
from engine.compute.evaluate import Metric, library, line_item_of, metric_named
from engine.compute.expr import Avg, Bin, Change, Node, Ref, parse, periods_in
from kg.statements.items import LineItem
from retrieval.lexical import stopwords

DATA = Path(__file__).resolve().parents[1] / "data" / "formulas.json"
ALIASES_PER_ITEM = 2  # the canonical name and the commonest other wording; more dilutes the vector
_NAME = re.compile(r"\b(?:[A-Z][\w&.-]*|\d[\w&.-]*[A-Za-z][\w&.-]*)(?:['’]s)?")


@cache
def _titles() -> dict[str, str]:
    data: dict[str, dict[str, str]] = json.loads(DATA.read_text(encoding="utf-8"))
    return {k: v for k, v in data["statement_titles"].items() if not k.startswith("_")}


@cache
def _alias_res() -> tuple[tuple[re.Pattern[str], Metric], ...]:
    """One pattern per metric alias, longest first (``operating margin`` before ``margin``)."""
    pairs = [(a, m) for m in library() for a in (m.name, *m.aliases)]
    pairs.sort(key=lambda p: -len(p[0]))
    return tuple((re.compile(rf"(?<![\w-]){re.escape(a)}s?(?![\w-])", re.I), m) for a, m in pairs)


def metrics_in(question: str) -> list[Metric]:
    """The named metrics a question mentions, in order of first mention, each once.

    >>> [m.name for m in metrics_in("Compare the quick ratio and the current ratio of Acme")]
    ['quick ratio', 'current ratio']
    """
    found: dict[str, tuple[int, Metric]] = {}
    taken: list[tuple[int, int]] = []
    for rx, m in _alias_res():
        for hit in rx.finditer(question):
            if any(a < hit.end() and hit.start() < b for a, b in taken):
                continue  # inside a longer alias already read ("operating margin" holds "margin")
            taken.append(hit.span())
            if m.name not in found or hit.start() < found[m.name][0]:
                found[m.name] = (hit.start(), m)
    return [m for _, m in sorted(found.values(), key=lambda x: x[0])]


def _refs(node: Node) -> Iterator[Ref]:
    if isinstance(node, Ref):
        yield node
    elif isinstance(node, Avg | Change):
        yield node.ref
    elif isinstance(node, Bin):
        yield from _refs(node.left)
        yield from _refs(node.right)


def input_items(metric: Metric, depth: int = 3) -> list[LineItem]:
    """The line items ``metric``'s formula reads, through the named metrics it is made of.

    >>> [i.name for i in input_items(metric_named("quick ratio"))]  # doctest: +NORMALIZE_WHITESPACE
    ['cash and cash equivalents', 'short-term investments', 'accounts receivable', 'total current liabilities']
    """
    try:
        tree = parse(metric.formula)
    except QuestionError:
        return []
    out: dict[str, LineItem] = {}
    for ref in _refs(tree):
        inner = metric_named(ref.name) if depth > 0 else None
        if inner is not None and inner.name != metric.name:
            out.update((i.name, i) for i in input_items(inner, depth - 1))
            continue
        it = line_item_of(ref.name)
        if it is not None:
            out.setdefault(it.name, it)
    return list(out.values())


def _wordings(it: LineItem) -> list[str]:
    """The item's name and its commonest other wording (an abbreviation such as "COGS" rarely
    labels a statement row; a second way of writing the same words adds nothing)."""
    out = [it.name]
    seen = {re.sub(r"\W+", "", it.name.lower())}
    for a in it.aliases:
        key = re.sub(r"\W+", "", a.lower())
        if len(out) >= ALIASES_PER_ITEM:
            break
        words = a.split()
        abbreviated = any(len(w) <= 2 and w.lower() not in stopwords() for w in words)  # "net AR"
        if len(words) > 1 and not abbreviated and "," not in a and not any(key in k or k in key for k in seen):
            out.append(a)
            seen.add(key)
    return out


def statement_query(question: str) -> str | None:
    """Search text for the statements and line items the metrics of ``question`` are computed
    from, after its names and periods (whose filing to read); ``None`` when it names no metric."""
    metrics = metrics_in(question)
    items: dict[str, LineItem] = {}
    for m in metrics:
        items.update((i.name, i) for i in input_items(m))
    if not items:
        return None
    statements = list(dict.fromkeys(i.statements[0] for i in items.values() if i.statements))
    titles = " ".join(_titles()[s] for s in statements if s in _titles())
    words = list(dict.fromkeys(w for it in items.values() for w in _wordings(it)))
    periods = periods_in(question)
    skip = stopwords() | {w.lower() for m in metrics for a in (m.name, *m.aliases) for w in a.split()}
    names = [re.sub(r"['’]s$", "", h.group(0)) for h in _NAME.finditer(question) if h.start() > 0]
    names = [n for n in names if n.lower() not in skip and not periods_in(n)]
    who = " ".join(dict.fromkeys([*names, *periods]))
    return f"{who} {titles}: {', '.join(words)}".strip()
