"""The side-by-side report of two stores (kgqa eval --store) and the stores bench's Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eval.bench_stores import stores_markdown as bench_markdown
from eval.gold_eval import summarize
from eval.store_compare import compare_stores, write_stores


def _record(i: int, strict: bool, got: str, answerable: bool = True) -> dict[str, Any]:
    return {"id": i, "answerable": answerable, "strict": strict, "correct": strict, "abstained": not answerable,
            "got": got, "latency_ms": 10.0 + i, "supported": strict, "list_recall": None, "citation_precision": 1.0,
            "citation_recall": 1.0, "faithfulness": 1.0, "rr": 1.0, "passage_chars": 500.0,
            **{f"recall@{k}": 1.0 for k in (1, 3, 5, 10)}}


def _run(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"records": records, "summary": summarize(records)}


def test_compare_counts_differences_and_the_one_question_rule(tmp_path: Path) -> None:
    a = _run([_record(1, True, "x"), _record(2, True, "y"), _record(3, False, "z")])
    b = _run([_record(1, True, "x"), _record(2, False, "y2"), _record(3, False, "z")])
    cmp = compare_stores(a, b, "file", "pg")
    assert cmp["outcome_differs"] == [2] and cmp["text_differs"] == [2]
    assert cmp["correct_answerable"] == {"file": 2, "pg": 1} and cmp["within_one_question"]
    j, m = write_stores(cmp, tmp_path)
    text = m.read_text(encoding="utf-8")
    assert j.is_file() and "| correct answerable questions (cited) | 2 | 1 |" in text and "Within one question: yes" in text
    c = _run([_record(1, False, "-"), _record(2, False, "-"), _record(3, False, "z")])
    assert not compare_stores(a, c, "file", "pg")["within_one_question"]


def test_bench_markdown_states_the_goals() -> None:
    def side(p95: float, errors: int) -> dict[str, Any]:
        lat = {"n": 129, "p50": p95 / 2, "p95": p95, "p99": p95 * 1.2, "mean": p95 / 2}
        return {"ingest": {"wall_s": 100.0, "timings_s": {"embed": 80.0, "commit": 1.0}, "peak_rss_mb": 900.0},
                "queries": {"load_s": 1.0, "retrieve_ms": lat, "answer_ms": lat, "peak_rss_mb": 300.0},
                "concurrent": {"throughput_qps": 10.0, "latency_ms": lat, "requests": 1032, "errors": errors,
                               "peak_rss_mb": 310.0}}
    r = {"created": "now", "cpus": 2, "load_avg": (1.0, 1.0, 1.0), "times": 100, "corpus": {"documents": 200, "bytes": 1e6},
         "store": "postgresql://u:***@h/db", "clients": 8, "rounds": 1,
         "results": {"file": side(40.0, 0), "postgresql": side(60.0, 0)}}
    text = bench_markdown(r)
    assert "1.50x (met)" in text and "no error: met" in text
    r["results"]["postgresql"] = side(100.0, 3)
    text = bench_markdown(r)
    assert "2.50x (NOT met)" in text and "NOT met (3 errors)" in text
