"""``kgqa eval --store URL``: the gold evaluation on two stores, side by side.

The same gold questions are answered from the file store and from the other store (usually
PostgreSQL); the table gives every summary figure of both and the questions whose outcome
differs, so "same answers" is a number, not a claim. Written as ``stores.md``/``stores.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.report import fmt

ROWS = (
    ("accuracy", "answerable accuracy (cited)"), ("accuracy_lenient", "answerable accuracy (lenient)"),
    ("abstention_precision", "abstention precision"), ("abstention_recall", "abstention recall"),
    ("citation_precision", "citation precision"), ("citation_recall", "citation recall"),
    ("faithfulness", "faithfulness"), ("recall@5", "retrieval recall@5"), ("mrr", "retrieval MRR"),
    ("latency_p50_ms", "latency p50 ms"), ("latency_p95_ms", "latency p95 ms"),
)


def compare_stores(a: dict[str, Any], b: dict[str, Any], label_a: str, label_b: str) -> dict[str, Any]:
    """Summaries of two ``run_gold`` results and the questions whose outcome or answer text differs."""
    ra = {r["id"]: r for r in a["records"]}
    rb = {r["id"]: r for r in b["records"]}
    outcome = [i for i in ra if i in rb and ra[i]["strict"] != rb[i]["strict"]]
    text = [i for i in ra if i in rb and ra[i]["got"] != rb[i]["got"]]
    n_ok = {label: sum(1 for r in run["records"] if r["answerable"] and r["strict"]) for label, run in
            ((label_a, a), (label_b, b))}
    return {
        "stores": [label_a, label_b],
        "summary": {label_a: a["summary"], label_b: b["summary"]},
        "correct_answerable": n_ok,
        "outcome_differs": outcome,
        "text_differs": text,
        "within_one_question": abs(n_ok[label_a] - n_ok[label_b]) <= 1,
    }


def stores_markdown(cmp: dict[str, Any]) -> str:
    la, lb = cmp["stores"]
    sa, sb = cmp["summary"][la], cmp["summary"][lb]
    lines = [
        "# Gold evaluation on two stores", "",
        f"| figure | {la} | {lb} |", "|---|---|---|",
        f"| correct answerable questions (cited) | {cmp['correct_answerable'][la]} | {cmp['correct_answerable'][lb]} |",
    ]
    lines += [f"| {title} | {fmt(sa.get(k), k)} | {fmt(sb.get(k), k)} |" for k, title in ROWS]
    lines += ["", f"Questions whose outcome differs: {len(cmp['outcome_differs'])} "
                  f"({', '.join(map(str, cmp['outcome_differs'])) or 'none'}); answer texts differing: "
                  f"{len(cmp['text_differs'])}. Within one question: {'yes' if cmp['within_one_question'] else 'NO'}.", ""]
    return "\n".join(lines)


def write_stores(cmp: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    j, m = out_dir / "stores.json", out_dir / "stores.md"
    j.write_text(json.dumps(cmp, indent=1, default=str), encoding="utf-8")
    m.write_text(stores_markdown(cmp), encoding="utf-8")
    return j, m
