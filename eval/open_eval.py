"""Open questions and comparisons of the gold set: run them through a system and score them.

Gold files (format checked by ``tests/eval/test_gold_open_files.py``):

* ``eval/gold/open.jsonl`` - ``{"id", "question", "split", "points": [{"keywords": [[alt, ...], ...],
  "evidence": [{"doc", "quote"}]}]}``: the points a good answer must make;
* ``eval/gold/compare.jsonl`` - ``{"id", "question", "split", "items": [[alt, ...], [alt, ...]],
  "cells": [{"item": i, "property": [alt, ...] | null, "keywords": [...], "evidence": [...]}],
  "lead": [[alt, ...]] (optional)}``: the cells a good table must hold.

``split`` is ``dev`` (looked at while building the answerers) or ``heldout`` (never looked at);
the summaries report both. Metrics: :mod:`eval.open_metrics`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from core.config import ROOT
from core.types import Answer
from eval import metrics as M
from eval import open_metrics as O

GOLD_OPEN = ROOT / "eval" / "gold" / "open.jsonl"
GOLD_COMPARE = ROOT / "eval" / "gold" / "compare.jsonl"
SPLITS = ("dev", "heldout")
Say = Callable[[str], None]


@dataclass(frozen=True)
class OpenGold:
    id: str
    question: str
    split: str
    points: list[dict[str, Any]]


@dataclass(frozen=True)
class CompareGold:
    id: str
    question: str
    split: str
    items: list[list[str]]
    cells: list[dict[str, Any]]
    lead: list[list[str]] | None


def _records(path: Path) -> list[dict[str, Any]]:
    out = []
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{line_no}: not JSON ({exc})") from exc
    return out


def load_open(path: str | Path = GOLD_OPEN) -> list[OpenGold]:
    """Read the open-question gold file."""
    try:
        return [OpenGold(d["id"], d["question"], d.get("split", "dev"), list(d["points"])) for d in _records(Path(path))]
    except KeyError as exc:
        raise ValueError(f"{path}: an open gold question lacks {exc}") from exc


def load_compare(path: str | Path = GOLD_COMPARE) -> list[CompareGold]:
    """Read the comparison gold file."""
    try:
        return [CompareGold(d["id"], d["question"], d.get("split", "dev"), list(d["items"]), list(d["cells"]),
                            d.get("lead")) for d in _records(Path(path))]
    except KeyError as exc:
        raise ValueError(f"{path}: a comparison gold question lacks {exc}") from exc


class ShapeSystem(Protocol):
    """What these metrics ask of a system: its documents and an answer to an open or comparative question."""

    name: str

    @property
    def docs(self) -> dict[str, str]: ...

    def answer_open(self, question: str) -> Answer: ...


def _evidence(evs: Sequence[dict[str, str]], docs: dict[str, str]) -> list[list[tuple[str, tuple[int, int]]]]:
    out = []
    for e in evs:
        did = doc_for(e["doc"], docs)
        spans = M.locate_quote(docs[did], e["quote"]) if did else []
        out.append([(did or e["doc"], s) for s in spans])
    return out


def doc_for(gold_doc: str, docs: dict[str, str]) -> str | None:
    """The indexed document a gold ``doc`` names (exact id, else the one whose path ends with it)."""
    if gold_doc in docs:
        return gold_doc
    hits = [d for d in docs if d.endswith("/" + gold_doc) or Path(d).name == Path(gold_doc).name]
    return hits[0] if len(hits) == 1 else None


def _timed(system: ShapeSystem, question: str) -> tuple[Answer, float]:
    t0 = time.perf_counter()
    ans = system.answer_open(question)
    return ans, (time.perf_counter() - t0) * 1000


def score_open(g: OpenGold, ans: Answer, docs: dict[str, str], latency_ms: float) -> dict[str, Any]:
    """One open question's record: which gold points the answer makes (inside cited spans)."""
    pts = O.answer_points(ans)
    made, missing, cited = [], [], 0
    for p in g.points:
        ok = not ans.abstained and O.point_made(p["keywords"], pts)
        (made if ok else missing).append(p["keywords"])
        cited += bool(not ans.abstained and O.evidence_cited(_evidence(p["evidence"], docs), ans))
    n = len(g.points)
    return {
        "id": g.id, "question": g.question, "split": g.split, "detected_type": ans.answer_type,
        "abstained": ans.abstained, "points_required": n, "points_made": len(made),
        "coverage": len(made) / n if n else None, "evidence_cited": cited / n if n else None,
        "answer_points": len(pts), "repeated": O.repeated_sentences(O.displayed_sentences(ans)),
        "latency_ms": round(latency_ms, 2), "missing": missing, "got": ans.text,
    }


def score_compare(g: CompareGold, ans: Answer, latency_ms: float) -> dict[str, Any]:
    """One comparison's record: which expected cells the answer's table holds (cited)."""
    right, wrong = 0, []
    for cell in g.cells:
        if not ans.abstained and O.cell_right(cell, g.items, ans):
            right += 1
        else:
            wrong.append({"item": g.items[cell["item"]][0], "property": cell.get("property"),
                          "keywords": cell["keywords"]})
    comp = ans.comparison
    return {
        "id": g.id, "question": g.question, "split": g.split, "detected_type": ans.answer_type,
        "abstained": ans.abstained, "cells_expected": len(g.cells), "cells_right": right,
        "cell_accuracy": right / len(g.cells) if g.cells else None,
        "lead_right": None if not g.lead else (not ans.abstained and O.lead_right(g.lead, ans)),
        "table": None if comp is None else {"items": comp.items, "properties": comp.properties},
        "repeated": O.repeated_sentences(O.displayed_sentences(ans)), "latency_ms": round(latency_ms, 2),
        "wrong": wrong, "got": ans.text,
    }


def _summary_open(recs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    req = sum(r["points_required"] for r in recs)
    return {
        "n": len(recs),
        "point_coverage": sum(r["points_made"] for r in recs) / req if req else None,
        "coverage_macro": M.mean(r["coverage"] for r in recs),
        "evidence_cited": M.mean(r["evidence_cited"] for r in recs),
        "points_per_answer": M.mean(r["answer_points"] for r in recs),
        "repeated_per_answer": M.mean(r["repeated"] for r in recs),
        "answers_with_repeats": sum(r["repeated"] > 0 for r in recs),
        "abstained": sum(r["abstained"] for r in recs),
        "latency_p50_ms": M.percentile([r["latency_ms"] for r in recs], 50),
        "latency_p95_ms": M.percentile([r["latency_ms"] for r in recs], 95),
    }


def _summary_compare(recs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    exp = sum(r["cells_expected"] for r in recs)
    leads = [r["lead_right"] for r in recs if r["lead_right"] is not None]
    return {
        "n": len(recs),
        "cell_accuracy": sum(r["cells_right"] for r in recs) / exp if exp else None,
        "cell_accuracy_macro": M.mean(r["cell_accuracy"] for r in recs),
        "lead_accuracy": M.mean(leads) if leads else None,
        "with_table": sum(r["table"] is not None for r in recs),
        "repeated_per_answer": M.mean(r["repeated"] for r in recs),
        "answers_with_repeats": sum(r["repeated"] > 0 for r in recs),
        "abstained": sum(r["abstained"] for r in recs),
        "latency_p50_ms": M.percentile([r["latency_ms"] for r in recs], 50),
        "latency_p95_ms": M.percentile([r["latency_ms"] for r in recs], 95),
    }


def _by_split(recs: Sequence[dict[str, Any]], summarize: Callable[[Sequence[dict[str, Any]]], dict[str, Any]]) -> dict[str, Any]:
    out = {"all": summarize(recs)}
    for s in SPLITS:
        part = [r for r in recs if r["split"] == s]
        if part:
            out[s] = summarize(part)
    return out


def run_shapes(
    system: ShapeSystem, open_gold: Sequence[OpenGold], compare_gold: Sequence[CompareGold], say: Say | None = None,
) -> dict[str, Any]:
    """Every open and comparison gold question through ``system``: records and summaries by split."""
    say = say or (lambda _m: None)
    docs = system.docs
    if open_gold:  # first-call costs are not per-question latency
        system.answer_open(open_gold[0].question)
    t0 = time.perf_counter()
    opens = []
    for g in open_gold:
        ans, ms = _timed(system, g.question)
        opens.append(score_open(g, ans, docs, ms))
    comps = []
    for c in compare_gold:
        ans, ms = _timed(system, c.question)
        comps.append(score_compare(c, ans, ms))
    say(f"{system.name}: {len(opens)} open questions, {len(comps)} comparisons")
    return {
        "system": system.name,
        "open": {"summary": _by_split(opens, _summary_open), "records": opens},
        "compare": {"summary": _by_split(comps, _summary_compare), "records": comps},
        "seconds": round(time.perf_counter() - t0, 2),
    }
