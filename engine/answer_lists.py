"""List and name answers: "Nimbus AI, Google Cloud and Acme Studio [1]." with their evidence.

Items come, in order of preference, from a structured list the unit belongs to (table rows'
first cells, labelled paragraphs), a comma enumeration of short phrases, an enumeration of
capitalised names in the unit or its neighbour, or (weakest) the unit's loose capitalised
words; a list answer built from loose words is noted with :data:`LOOSE_LIST` so the graph
route may replace it.
"""

from __future__ import annotations

import re

from core.interfaces import DocumentStore
from core.types import Answer, QuestionAnalysis, SearchResult, Unit
from engine.answer_names import generic, names_kind, phrases
from engine.answer_rank import Candidate, Ranker
from engine.answer_result import abstain, cited_answer
from engine.answer_text import LEAD_IN, cells, first_cell, join_names, neighbours, quote, run, tok1
from engine.citations import Citations
from retrieval.lexical import tokenize

LOOSE_LIST = "list from loose names"

Items = list[tuple[str, Unit]]  # (name, the unit that states it)
Scored = tuple[float, Candidate, Items, bool]  # (score, candidate, items, items are loose words)


def names_answer(rk: Ranker, result: SearchResult, cands: list[Candidate]) -> Answer:
    """The names or list items the question asks for, each cited, or an abstention."""
    qa = result.question
    scored = _scored(rk.index, qa, cands)
    if not scored or rk.abstains(scored[0][1]):
        return abstain(rk.index, result, cands, rk.confidence(scored[0][1]) if scored else 0.0)
    _, best, items, loose = scored[0]
    cites = Citations(rk.index)
    if qa.text.lower().startswith("who"):  # a person or organisation: "Jane Doe", not "Continued"
        items = [
            (n, u) for n, u in items
            if (len(n.split()) >= 2 or n.isupper()) and not re.search(rf"(^|;\s){re.escape(n)}\s*:", u.text)
        ]
        if not items:
            return abstain(rk.index, result, cands, 0.0)
    if qa.answer_type == "name" and len(items) > 1:
        keep = closest_names(qa, best.su.unit.text, [n for n, _ in items])[0]
        items = [(n, u) for n, u in items if n == keep][:1]
    units_used = list(dict.fromkeys(u.id for _, u in items))
    if len(units_used) == 1:
        n = cites.add(best.su.unit)
        lines = [f"{join_names([x for x, _ in items])} [{n}].", f"{quote(best.su.unit)} [{n}]"]
    else:  # one citation per item: each row or list entry is its own evidence
        parts = [f"{name} [{cites.add(u)}]" for name, u in items]
        lines = [join_names(parts) + "."]
    for _, c, _, _ in scored[1:3]:
        if c.score >= scored[0][0] - 0.1 and len(lines) <= rk.settings.max_support and len(units_used) == 1:
            lines.append(f"{quote(c.su.unit)} [{cites.add(c.su.unit)}]")
    ans = cited_answer(
        result, " ".join(lines), cites, abstained=False, value=join_names([x for x, _ in items]),
        confidence=rk.confidence(best),
    )
    if loose and qa.answer_type == "list":
        ans.notes.append(LOOSE_LIST)  # capitalised words, not an enumeration: a weaker list
    return ans


def _scored(index: DocumentStore, qa: QuestionAnalysis, cands: list[Candidate]) -> list[Scored]:
    """Candidates that name something the question does not, best first (an enumeration scores higher)."""
    q_low = qa.text.lower()
    scored: list[Scored] = []
    for c in cands[:15]:
        if not c.period_ok:
            continue
        u = c.su.unit
        if u.kind == "heading" and " | " not in u.text:
            continue  # section titles are not answers
        items, loose = _items_of(index, qa, u)
        items = [(n, x) for n, x in items if n.lower() not in q_low and not generic(n)]
        if not items:
            continue
        bonus = 0.1 + (0.15 if qa.answer_type == "list" and len(items) >= 2 and not loose else 0.0)
        scored.append((c.score + bonus, c, items, loose))
    scored.sort(key=lambda x: -x[0])
    return scored


def _items_of(index: DocumentStore, qa: QuestionAnalysis, u: Unit) -> tuple[Items, bool]:
    """The items unit ``u`` offers as an answer, and whether they are only loose capitalised words."""
    items: Items = []
    if qa.answer_type == "list":
        head = set(tokenize(first_cell(u)))
        row_about_q = u.kind == "table_row" and bool(head) and len(head & set(qa.tokens)) * 2 >= len(head)
        items = [] if row_about_q else list_items(index, u)
        if len(items) < 2 and u.kind in ("table_row", "list_item"):  # "spot instances, reserved capacity, and savings plans"
            items = [(x, u) for x in phrases(cells(u) if not row_about_q else cells(u).split("; ", 1)[-1])]
    loose = False
    if len(items) < 2:
        names, enum = names_kind(cells(u))
        items, loose = [(n, u) for n in names], not enum
    if len(items) < 2 and qa.answer_type == "list":
        # the enumeration may sit in the sentence before or after ("... : A, B, and C have ...")
        for nb in neighbours(index.units, u):
            names, enum = names_kind(cells(nb))
            if len(names) >= 2 and enum:
                items, loose = [(n, nb) for n in names], False
                break
    return items, loose


def list_items(index: DocumentStore, u: Unit) -> Items:
    """Sibling items of a structured list that ``u`` belongs to, with their units.

    Table rows give their first cell, list items and paragraphs that open with a short
    label ("Developer mindshare. ...", "Potential Funding Constraints: ...") give the label.
    A table header gives the rows below it.
    """
    units = index.units
    if u.kind == "heading" and " | " in u.text and u.id + 1 < len(units) and units[u.id + 1].kind == "table_row":
        u = units[u.id + 1]
    if u.text.rstrip().endswith(":") and u.id + 1 < len(units):  # "... this translates to:" + items
        nxt = units[u.id + 1]
        if nxt.doc == u.doc and nxt.section == u.section and (
            nxt.kind in ("list_item", "table_row") or LEAD_IN.match(nxt.text)
        ):
            u = nxt
    if u.kind == "table_row":
        rows = run(units, u.id, lambda x: x.kind == "table_row" and x.section == u.section and x.doc == u.doc)
        return [(first_cell(r), r) for r in rows if first_cell(r)]
    if LEAD_IN.match(u.text):
        same = run(units, u.id, lambda x: x.section == u.section and x.doc == u.doc and x.kind != "heading")
        labelled = [(m.group(1).strip(), x) for x in same if (m := LEAD_IN.match(x.text)) and len(m.group(1).split()) <= 5]
        return labelled if len(labelled) >= 2 else []
    return []


def closest_names(qa: QuestionAnalysis, text: str, names: list[str]) -> list[str]:
    """The one name of ``names`` that sits closest to the question's words in ``text``."""
    q_tokens = set(qa.tokens)
    pos = [m.start() for m in re.finditer(r"[A-Za-z0-9]+", text) if tok1(m.group(0)) in q_tokens]

    def dist(name: str) -> float:
        p = text.find(name)
        return min((abs(p - x) for x in pos), default=0)

    return [min(names, key=dist)]
