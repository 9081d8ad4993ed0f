"""The speed-and-scale report (``eval.perf_report``) on hand-made measurements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eval.perf_report import perf_markdown


def _lat(p50: float) -> dict[str, float]:
    return {"p50": p50, "p95": 2 * p50, "p99": 3 * p50}


def _point(label: str, scale: int | None, baseline: bool = True) -> dict[str, Any]:
    point: dict[str, Any] = {
        "label": label, "scale": scale, "documents": 2 * (scale or 1), "bytes": 18_000 * (scale or 1),
        "kgqa": {"ingest": {"timings_s": {"total": 12.0, "parse": 1.0, "embed": 9.0, "index": 0.5, "graph": 1.5},
                            "units": 137, "chunks": 48, "bytes_in": 18_000, "index_bytes": 760_000,
                            "peak_rss_mb": 811.0, "reused": scale is None},
                 "ingest_process_s": 20.0,
                 "warm": {"retrieve_ms": _lat(10.0), "answer_ms": _lat(14.0), "peak_rss_mb": 260.0}},
    }
    if baseline:
        point["baseline"] = {"build_s": 8.0, "process_s": 30.0, "nodes": 6, "index_bytes": 70_000,
                             "retrieve_ms": _lat(20.0), "answer_ms": _lat(25.0), "peak_rss_mb": 686.0}
    return point


def test_perf_markdown() -> None:
    main = _point("1x", 1)
    main["kgqa"]["cold"] = {"runs": [0.9, 1.1], "median_s": 1.0}
    main["baseline"]["cold"] = {"runs": [8.0], "median_s": 8.0, "peak_rss_mb": 700.0}
    report = {"date": "2026-01-02 03:04", "cpu_count": 2, "wall_s": 415.0, "questions": 129, "main": main,
              "series": [main, _point("10x", 10)], "filings": _point("FinanceBench filings", None, baseline=False)}
    md = perf_markdown(report, [Path("/x/perf-scaling.png")])
    lines = md.splitlines()
    assert lines[0] == "# Speed and scale" and "median of 5" in lines[2] and "(3 warm-up questions first)" in lines[2]
    assert "## Bundled corpus (2 documents, 18 kB): kgqa vs the llama-index baseline" in lines
    assert "| ingest s (build in process) | 12.00 | 8.00 | 1.50 |" in lines
    assert "| cold ask s (fresh process, median) | 1.00 | 8.00 | 0.12 |" in lines
    assert any(x.startswith("| 10x | 20 | 0.02 | 137 / 48 | 12.0 |") for x in lines)
    filings = next(x for x in lines if x.startswith("| FinanceBench filings"))
    assert "(reused build)" in filings and filings.endswith("| – | – | – |")
    assert md.endswith("\n![perf-scaling](perf-scaling.png)\n")


def test_perf_markdown_without_a_main_point() -> None:
    md = perf_markdown({"date": "d", "cpu_count": 2, "wall_s": 1.0, "questions": 0, "main": None, "series": []})
    assert "## Bundled corpus" not in md and "## Scaling" in md
