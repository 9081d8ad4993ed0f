"""``kgqa bench lexical``: which in-database keyword search ranks like the file store's bm25s.

Two PostgreSQL backends of :class:`~core.interfaces.LexicalIndex` (``retrieval.pg``): BM25
statistics in tables (``bm25``) and PostgreSQL full text (``tsvector`` + ``ts_rank``). On the
bundled corpus, for every gold question: agreement of each backend's chunk ranking with bm25s
(top-1 equal, overlap of the top ``bm25_k``), then the gold evaluation (accuracy, retrieval
recall@5, MRR) of the whole system on each backend beside the file store. Writes
``eval/reports/stores-lexical.{md,json}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from core.config import ROOT, Settings
from core.safety import redact_url

Say = Callable[[str], None]
METHODS = ("bm25", "tsvector")


def _top(scores: np.ndarray, k: int) -> list[int]:
    order = np.argsort(-scores, kind="stable")[:k]
    return [int(i) for i in order if scores[i] > 0]


def agreement(reference: Any, other: Any, questions: list[str], k: int) -> dict[str, float]:
    """How often ``other`` ranks chunks like ``reference`` (both :class:`LexicalIndex` over the same rows)."""
    top1, overlap, exact = [], [], []
    for q in questions:
        a, b = reference.scores(q), other.scores(q)
        ta, tb = _top(a, k), _top(b, k)
        top1.append(float(ta[:1] == tb[:1]))
        overlap.append(len(set(ta) & set(tb)) / max(1, len(set(ta) | set(tb))))
        exact.append(float(ta == tb))
    return {"top1_equal": float(np.mean(top1)), f"jaccard@{k}": float(np.mean(overlap)),
            f"same_top{k}_order": float(np.mean(exact))}


def run_lexical(store: str | None = None, work: Path | None = None, out_dir: Path | None = None,
                say: Say | None = None) -> dict[str, Any]:
    from engine.ingest import build_index
    from engine.migrate import migrate
    from engine.qa import QA
    from eval.bench_stores import temporary_server
    from eval.gold_eval import GOLD_QA, KgqaSystem, load_gold, run_gold

    say = say or (lambda _m: None)
    wd = Path(work or "/tmp/kgqa-bench") / "lexical"
    wd.mkdir(parents=True, exist_ok=True)
    if store is None:
        _srv, store = temporary_server(wd)
    base = Settings.load(overrides={"index_dir": wd / "index", "store": "", "refresh_s": 0.0})
    build_index([ROOT / "corpus"], base)
    migrate(base, store)
    gold = load_gold(GOLD_QA)
    questions = [q.question for q in gold]
    file_qa = QA.load(None, base)
    report: dict[str, Any] = {"created": time.strftime("%Y-%m-%d %H:%M"), "store": redact_url(store),
                              "questions": len(questions), "agreement": {}, "gold": {}}
    say("file store: gold evaluation")
    report["gold"]["file (bm25s)"] = run_gold(KgqaSystem(file_qa), gold, say)["summary"]
    for method in METHODS:
        s = base.with_values({"store": store, "pg_lexical": method})
        qa = QA.load(None, s)
        report["agreement"][method] = {
            "chunks": agreement(file_qa.index.chunk_lexical, qa.index.chunk_lexical, questions, s.bm25_k),
            "units": agreement(file_qa.index.unit_lexical, qa.index.unit_lexical, questions, 20),
        }
        say(f"PostgreSQL {method}: gold evaluation")
        report["gold"][f"PostgreSQL {method}"] = run_gold(KgqaSystem(qa), gold, say)["summary"]
    out = Path(out_dir or ROOT / "eval" / "reports")
    out.mkdir(parents=True, exist_ok=True)
    (out / "stores-lexical.json").write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    (out / "stores-lexical.md").write_text(lexical_markdown(report), encoding="utf-8")
    return report


def _f(x: Any) -> str:
    return "–" if x is None else f"{x:.3f}"


def lexical_markdown(r: dict[str, Any]) -> str:
    lines = ["# Keyword search in PostgreSQL: BM25 tables vs tsvector", "",
             f"Run {r['created']}, bundled corpus, {r['questions']} gold questions. Agreement with the file store's "
             "bm25s ranking (the same kgqa tokens feed all three):", "",
             "| backend | rows | top-1 equal | Jaccard of top k | same top k, same order |", "|---|---|---|---|---|"]
    for m, ag in r["agreement"].items():
        for rows, a in ag.items():
            j = next(v for k, v in a.items() if k.startswith("jaccard"))
            o = next(v for k, v in a.items() if k.startswith("same_top"))
            k = next(k for k in a if k.startswith("jaccard")).split("@")[1]
            lines.append(f"| {m} | {rows} (k={k}) | {_f(a['top1_equal'])} | {_f(j)} | {_f(o)} |")
    lines += ["", "Gold evaluation of the whole system on each backend:", "",
              "| store / lexical search | accuracy (cited) | lenient | recall@5 | MRR | abstention P | abstention R |",
              "|---|---|---|---|---|---|---|"]
    for name, s in r["gold"].items():
        lines.append(f"| {name} | {_f(s['accuracy'])} | {_f(s['accuracy_lenient'])} | {_f(s['recall@5'])} | "
                     f"{_f(s['mrr'])} | {_f(s['abstention_precision'])} | {_f(s['abstention_recall'])} |")
    best = max(r["agreement"], key=lambda m: r["agreement"][m]["chunks"]["top1_equal"])
    lines += ["", f"The backend that ranks like bm25s: **{best}** (the default, `pg_lexical = \"bm25\"`): it keeps "
                  "bm25s's own BM25 weights per term and sums them as bm25s does, so its scores are bm25s's. "
                  "`ts_rank` scores term frequency without BM25's document-length normalisation and IDF, so it "
                  "orders the same matching rows differently.", ""]
    return "\n".join(lines)
