"""Report rows for open questions and comparisons: kgqa beside the baseline, by gold split.

>>> rep = {"shapes": {"kgqa": {"open": {"summary": {"all": {"n": 2, "point_coverage": 0.9}}},
...                            "compare": {"summary": {"all": {"n": 1, "cell_accuracy": 1.0}}}}}}
>>> [r[:2] for r in shape_rows(rep)][:2]
[('open questions', '2'), ('point coverage (all)', '0.900')]
"""

from __future__ import annotations

from typing import Any

OPEN_ROWS = (
    ("point coverage", "point_coverage"),
    ("point coverage, macro", "coverage_macro"),
    ("gold evidence cited", "evidence_cited"),
    ("points per answer", "points_per_answer"),
    ("repeated sentences per answer", "repeated_per_answer"),
    ("answers repeating a sentence", "answers_with_repeats"),
    ("abstained", "abstained"),
    ("latency p50 ms", "latency_p50_ms"),
    ("latency p95 ms", "latency_p95_ms"),
)
COMPARE_ROWS = (
    ("cell accuracy", "cell_accuracy"),
    ("cell accuracy, macro", "cell_accuracy_macro"),
    ("lead names the right side", "lead_accuracy"),
    ("answers with a table", "with_table"),
    ("repeated sentences per answer", "repeated_per_answer"),
    ("answers repeating a sentence", "answers_with_repeats"),
    ("abstained", "abstained"),
    ("latency p50 ms", "latency_p50_ms"),
    ("latency p95 ms", "latency_p95_ms"),
)
SECTION_ROWS = ("open questions", "comparisons", "factoid questions")  # the rows that head a part
SPLIT_ROWS = {"point_coverage", "cell_accuracy"}  # reported for the dev and held-out splits too
LEGEND = (
    "point coverage = share of the gold points an answer makes, a point counting only when all its keywords are in one "
    "answer point and inside the spans that point cites (macro: mean per question); gold evidence cited = share of "
    "gold points whose evidence quote a citation overlaps; cell accuracy = share of expected comparison cells in the "
    "right row and column, with their keywords inside the cell's cited spans (the baseline has no table: a cited "
    "claim naming the item counts); repeated sentences = sentences an answer says twice; dev = the part looked at "
    "while building, heldout = never looked at. Baseline answer: the first sentence of each of its top chunks."
)


def _fmt(x: Any, key: str) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.0f}" if key.endswith("_ms") else (f"{x:.2f}" if key.endswith("per_answer") else f"{x:.3f}")
    return str(x)


def _summary(report: dict[str, Any], system: str, part: str, split: str) -> dict[str, Any]:
    return (report.get("shapes", {}).get(system, {}).get(part, {}).get("summary", {}).get(split) or {})


def shape_rows(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(row label, kgqa, baseline)`` rows for the open-question and comparison figures."""
    if "shapes" not in report:
        return []
    rows: list[tuple[str, str, str]] = []
    for part, title, table in (("open", "open questions", OPEN_ROWS), ("compare", "comparisons", COMPARE_ROWS)):
        k_all = _summary(report, "kgqa", part, "all")
        b_all = _summary(report, "baseline", part, "all")
        rows.append((title, _fmt(k_all.get("n"), "n"), _fmt(b_all.get("n"), "n") if b_all else "–"))
        for label, key in table:
            splits = ("all", "dev", "heldout") if key in SPLIT_ROWS else ("all",)
            for sp in splits:
                k = _summary(report, "kgqa", part, sp)
                b = _summary(report, "baseline", part, sp)
                if not k:
                    continue
                name = f"{label} ({sp})" if key in SPLIT_ROWS else label
                rows.append((name, _fmt(k.get(key), key), _fmt(b.get(key), key) if b else "–"))
    k_f = report.get("kgqa", {}).get("summary", {})
    b_f = report.get("baseline", {}).get("summary", {})
    if "repeated_per_answer" in k_f:  # the factoid questions of the same run
        rows.append(("factoid questions", _fmt(k_f.get("n"), "n"), _fmt(b_f.get("n"), "n") if b_f else "–"))
        for label, key in (("repeated sentences per answer", "repeated_per_answer"),
                           ("answers repeating a sentence", "answers_with_repeats")):
            rows.append((label, _fmt(k_f.get(key), key), _fmt(b_f.get(key), key) if b_f else "–"))
    return rows


def shape_failures(report: dict[str, Any]) -> list[str]:
    """One line per open question missing a point and per comparison missing a cell (kgqa)."""
    out = []
    run = report.get("shapes", {}).get("kgqa")
    if not run:
        return out
    for r in run["open"]["records"]:
        if r["missing"]:
            miss = "; ".join("+".join("/".join(g) for g in p) for p in r["missing"])
            out.append(f"{r['id']} ({r['split']}) {r['points_made']}/{r['points_required']} points; missing {miss}")
    for r in run["compare"]["records"]:
        if r["wrong"] or r["lead_right"] is False:
            cells = "; ".join(f"{w['item']}/{'/'.join(w['property'] or ['any'])}: {'+'.join('/'.join(g) for g in w['keywords'])}"
                              for w in r["wrong"])
            lead = "; lead wrong" if r["lead_right"] is False else ""
            out.append(f"{r['id']} ({r['split']}) {r['cells_right']}/{r['cells_expected']} cells; missing {cells}{lead}")
    return out
