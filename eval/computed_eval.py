"""Computed and yes/no gold questions (``eval/gold/computed.jsonl``, ``eval/gold/yesno.jsonl``): own rows of ``kgqa eval``.

A computed answer is *exact* when its ``computation.result``, rounded to the gold's printed
decimals, equals the gold value (percentages and percentage points as percent, money in USD),
and *cited* when every input read from a document has a citation (a figure written in the
question needs none). The headline ``computed`` accuracy asks for both. A yes/no answer is right
when its first word is the gold's ("yes", "no", or the chosen direction, "fell") and it cites
what decides it. Unanswerable questions are right when the answer abstains; across all gold files
no unanswerable question may get a computed (or decided yes/no) answer.

>>> exact(0.12556, 12.6, "%"), exact(2.56e9, 2560000000, "USD"), exact(5.5714, 5.57, "x"), exact(-0.0545, 5.5, "points")
(True, True, True, False)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import ROOT
from core.types import Answer

GOLD_COMPUTED = ROOT / "eval" / "gold" / "computed.jsonl"
GOLD_YESNO = ROOT / "eval" / "gold" / "yesno.jsonl"
Ask = Callable[[str], Answer]


@dataclass(frozen=True)
class ComputedGold:
    id: str
    question: str
    answerable: bool
    value: float | None = None
    unit: str = ""
    operation: str = ""
    evidence: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class YesNoGold:
    id: str
    question: str
    answerable: bool
    answer: str = ""
    evidence: list[dict[str, str]] = field(default_factory=list)


def load_computed(path: Path = GOLD_COMPUTED) -> list[ComputedGold]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            ans = d.get("answer") or {}
            out.append(ComputedGold(d["id"], d["question"], bool(d["answerable"]), ans.get("value"), ans.get("unit") or "",
                                    d.get("operation") or "", list(d.get("evidence", []))))
    return out


def load_yesno(path: Path = GOLD_YESNO) -> list[YesNoGold]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out.append(YesNoGold(d["id"], d["question"], bool(d["answerable"]), str(d.get("answer") or ""),
                                 list(d.get("evidence", []))))
    return out


def _decimals(x: float) -> int:
    text = f"{x:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def exact(result: float, gold: float, unit: str) -> bool:
    """``result`` (base units: a percentage as a fraction) rounded like ``gold`` equals it."""
    value = result * 100 if unit in ("%", "points") else result
    d = _decimals(gold)
    return abs(round(value, d) - gold) <= 0.5 * 10 ** -d + 1e-9


def all_cited(ans: Answer) -> bool:
    comp = ans.computation
    if comp is None or not comp.inputs:
        return False
    return all(i.citation is not None or "question" in (i.name or "") or i.surface == "not reported"
               for i in comp.inputs) and bool(ans.citations or all(i.citation is None for i in comp.inputs))


def score_computed(g: ComputedGold, ans: Answer) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": g.id, "question": g.question, "answerable": g.answerable, "answer": ans.text,
                           "abstained": ans.abstained, "answer_type": ans.answer_type}
    comp = ans.computation
    if not g.answerable:
        rec.update(correct=ans.abstained, exact=None, cited=None,
                   failure="" if ans.abstained else "answered an unanswerable question")
        return rec
    result = comp.result if comp is not None else None
    ok_value = result is not None and g.value is not None and exact(result, g.value, g.unit)
    cited = comp is not None and all_cited(ans)
    rec.update(result=result, gold=g.value, unit=g.unit, exact=ok_value, cited=cited, correct=ok_value and cited)
    rec["failure"] = ("" if rec["correct"] else "abstained" if ans.abstained else
                      "no computation" if comp is None else f"got {result!r}, expected {g.value} {g.unit}" if not ok_value
                      else "an input has no citation")
    return rec


def score_yesno(g: YesNoGold, ans: Answer) -> dict[str, Any]:
    lead = (ans.value or ans.text.split(":")[0].split(".")[0]).strip().lower()
    rec: dict[str, Any] = {"id": g.id, "question": g.question, "answerable": g.answerable, "answer": ans.text,
                           "abstained": ans.abstained, "lead": lead}
    if not g.answerable:
        rec.update(correct=ans.abstained, failure="" if ans.abstained else f"decided an unanswerable question ({lead})")
        return rec
    right = not ans.abstained and lead == g.answer.lower() and bool(ans.citations)
    rec.update(correct=right, failure="" if right else ("abstained" if ans.abstained else f"got {lead!r}, expected {g.answer!r}"
                                                        + ("" if ans.citations else " (no citation)")))
    return rec


def _summary(recs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ans = [r for r in recs if r["answerable"]]
    una = [r for r in recs if not r["answerable"]]
    out: dict[str, Any] = {
        "n": len(ans), "correct": sum(r["correct"] for r in ans),
        "accuracy": (sum(r["correct"] for r in ans) / len(ans)) if ans else None,
        "unanswerable": len(una), "abstained_unanswerable": sum(r["correct"] for r in una),
    }
    if ans and "exact" in ans[0]:
        out["exact"] = sum(bool(r["exact"]) for r in ans) / len(ans)
        out["cited"] = sum(bool(r["cited"]) for r in ans) / len(ans)
    return out


def run_computed_gold(ask: Ask, unanswerable_factoid: Sequence[str] = (), say: Callable[[str], None] | None = None,
                      computed: Path = GOLD_COMPUTED, yesno: Path = GOLD_YESNO) -> dict[str, Any]:
    """Ask every computed and yes/no gold question; also ask the factoid file's unanswerable questions and
    count any computed or decided yes/no answer on them."""
    say = say or (lambda _m: None)
    t0 = time.perf_counter()
    comp_recs = [score_computed(g, ask(g.question)) for g in load_computed(computed)]
    say(f"computed: {len(comp_recs)} gold questions")
    yn_recs = [score_yesno(g, ask(g.question)) for g in load_yesno(yesno)]
    say(f"yes/no: {len(yn_recs)} gold questions")
    leaked = []
    for q in unanswerable_factoid:
        a = ask(q)
        if a.answer_type in ("computed", "yesno") and not a.abstained:
            leaked.append(q)
    wrong_una = [r["id"] for r in comp_recs + yn_recs if not r["answerable"] and not r["correct"]]
    return {
        "computed": {"summary": _summary(comp_recs), "records": comp_recs},
        "yesno": {"summary": _summary(yn_recs), "records": yn_recs},
        "computed_on_unanswerable": {"n": len(wrong_una) + len(leaked), "ids": wrong_una, "factoid": leaked,
                                     "checked": len(unanswerable_factoid)},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def rows(report: dict[str, Any]) -> list[list[str]]:
    """Table rows: group, n, accuracy, exact, inputs cited, unanswerable abstained."""

    def f(x: Any) -> str:
        return "–" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)

    out = []
    for name in ("computed", "yesno"):
        s = report[name]["summary"]
        out.append([name if name == "computed" else "yes/no", str(s["n"]), f(s["accuracy"]), f(s.get("exact")),
                    f(s.get("cited")), f"{s['abstained_unanswerable']}/{s['unanswerable']}"])
    return out


HEADER = ["group", "n", "accuracy", "exact", "inputs cited", "unanswerable abstained"]


def print_computed(con: Any, report: dict[str, Any]) -> None:
    """The computed and yes/no rows on the terminal (a rich Console), then their failures."""
    from rich.table import Table

    t = Table(title="kgqa: computed and yes/no questions", title_justify="left", header_style="bold", pad_edge=False)
    for h in HEADER:
        t.add_column(h, justify="left" if h == "group" else "right", no_wrap=True)
    for r in rows(report):
        t.add_row(*r)
    con.print(t)
    leak = report["computed_on_unanswerable"]
    con.print(f"[dim]computed or decided answers on unanswerable gold questions: {leak['n']}[/]")
    for name in ("computed", "yesno"):
        for r in report[name]["records"]:
            if not r["correct"]:
                con.print(f"  {r['id']} {r['failure']}", soft_wrap=True)


def markdown(report: dict[str, Any]) -> str:
    """The section of ``gold.md`` for the computed and yes/no questions."""
    lines = ["## Computed and yes/no questions", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in rows(report)]
    leak = report["computed_on_unanswerable"]
    lines += ["", f"Computed or decided answers on unanswerable gold questions: {leak['n']} "
              f"(of {leak['checked']} factoid and {report['computed']['summary']['unanswerable'] + report['yesno']['summary']['unanswerable']} "
              "computed/yes-no unanswerable questions).", ""]
    for name in ("computed", "yesno"):
        for r in report[name]["records"]:
            if not r["correct"]:
                lines.append(f"- `{r['id']}` {r['question']} — {r['failure']}: “{r['answer'][:200]}”")
    return "\n".join(lines) + "\n"
