"""The shared sections of the benchmark reports (``eval.bench_report``) on a small hand-made report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.types import Answer
from eval.bench_common import BenchQuestion, tuning_half
from eval.bench_report import (
    closing_sections,
    fnum,
    ingest_section,
    md_table,
    retrieval_section,
    run_line,
    why_behind,
    write_outputs,
)
from eval.bench_run import run_system


class _Fixed:
    """Retrieves ``docs`` in order and always gives ``text`` as the answer."""

    def __init__(self, name: str, docs: list[str], text: str, abstained: bool = False) -> None:
        self.name, self.docs, self.text, self.abstained = name, docs, text, abstained

    def retrieve(self, question: str, k: int) -> list[tuple[str, int, int]]:
        return [(d, 0, 10) for d in self.docs][:k]

    def answer(self, question: str) -> Answer:
        return Answer(question=question, text=self.text, citations=[], abstained=self.abstained, route="passages")


def _report() -> dict[str, Any]:
    qs = [BenchQuestion("q1", "Acme revenue?", "$12.5 million", "metrics", hit=lambda d, s, e: d == "acme"),
          BenchQuestion("q2", "Bolt dividend?", "Yes, $0.20.", "domain", hit=lambda d, s, e: d == "bolt")]
    kgqa = _Fixed("kgqa", ["x", "acme"], "", abstained=True)
    base = _Fixed("baseline", ["acme", "bolt"], "Revenue was $12.5 million.")
    return {
        "date": "2026-01-02 03:04", "wall_s": 12.4, "questions": 2, "questions_total": 150, "seed": 3,
        "use_graph": False,
        "kgqa_ingest": {"cpu_count": 2, "documents": 2, "units": 10, "chunks": 4, "embedded": 14,
                        "timings_s": {"total": 9.0, "parse": 1.0, "embed": 7.0, "index": 1.0}, "index_bytes": 2e6,
                        "bytes_in": 90_000, "peak_rss_mb": 900.0, "worker_peak_rss_mb": 300.0},
        "baseline_ingest": {"documents": 2, "nodes": 2, "timings": {"load": 1.0, "total": 3.0}, "index_bytes": 1e6,
                            "bytes_in": 90_000, "peak_rss_mb": 600.0},
        "passages": {"kgqa_chunks": 4, "kgqa_chunk_chars_mean": 50.0, "kgqa_chunk_chars_median": 40.0,
                     "kgqa_single_unit_share": 0.5, "kgqa_sections": 3, "baseline_nodes": 2,
                     "baseline_node_chars_mean": 90.0},
        "results": {"kgqa": run_system(kgqa, qs, lambda _m: None), "baseline": run_system(base, qs, lambda _m: None)},
    }


def test_cells_and_tables() -> None:
    assert "a \\| b" in md_table(["h"], [["a | b"]])
    assert md_table(["a", "b"], [[1, 2]]).splitlines() == ["| a | b |", "|---|---|", "| 1 | 2 |"]
    assert (fnum(0.5), fnum(None), fnum(3), fnum(1.25, 1)) == ("0.500", "–", "3", "1.2")


def test_run_line_and_ingest() -> None:
    r = _report()
    line = run_line(r)
    assert line.startswith("Run 2026-01-02 03:04 on this machine (2 CPU cores), wall time 12 s.")
    assert "2 of 150 questions (fixed-seed sample, seed 3); kgqa graph off." in line
    ing = ingest_section(r)
    assert ing[0] == "## Ingest" and "| kgqa | 2 | 10 units / 4 chunks | 9.0 | 10.0 |" in ing[2]  # 90 kB in 9 s
    assert "embed 7.0 s (12.9 kB/s)" in ing[2] and "| 900 + 300 (worker) |" in ing[2]
    assert "| baseline | 2 | 2 nodes | 3.0 | 30.0 | load 1.0 s (90.0 kB/s) | 600 | 1.0 |" in ing[2]
    assert "| kgqa / baseline |  |  | 3.00x | 0.33x (throughput) |  | 1.50x | 2.00x |" in ing[2]
    assert ingest_section({**r, "baseline_ingest": None}) == ["## Ingest", ""]


def test_other_encoder_backends_get_their_own_rows_and_ratios() -> None:
    r = _report()
    faster = {**r["kgqa_ingest"], "timings_s": {"total": 6.0, "embed": 4.0}, "index_bytes": 2.5e6, "peak_rss_mb": 1200.0}
    r.update(backend_ingests={"kgqa[onnx-int8]": faster}, kgqa_settings={"embed_backend": "onnx"})
    assert "kgqa graph off, encoder backend onnx (rows kgqa[BACKEND]:" in run_line(r)
    table = ingest_section(r)[2].splitlines()
    names = [row.split(" | ")[0].lstrip("| ") for row in table[2:]]
    assert names == ["kgqa", "kgqa[onnx-int8]", "baseline", "kgqa / baseline", "kgqa[onnx-int8] / baseline"]
    assert "| kgqa[onnx-int8] | 2 | 10 units / 4 chunks | 6.0 | 15.0 | embed 4.0 s (22.5 kB/s) | 1200 + 300 (worker) | 2.5 |" in table[3]
    assert table[6] == "| kgqa[onnx-int8] / baseline |  |  | 2.00x | 0.50x (throughput) |  | 2.00x | 2.50x |"


def test_retrieval_section_has_plot_and_groups(tmp_path: Path) -> None:
    lines = retrieval_section(_report(), "Evidence retrieval (top 10)", "page", "By type:", tmp_path / "x-hits.png")
    assert lines[0] == "## Evidence retrieval (top 10)"
    assert "questions with evidence (page level)" in lines[2]
    assert "![hit@k](x-hits.png)" in lines
    table = lines[lines.index("By type:") + 2]
    assert "| metrics | 1.000 / 0.500 | 1.000 / 1.000 |" in table  # kgqa finds acme at rank 2


def test_why_behind_lists_gaps_then_the_benchmark_reasons() -> None:
    r = _report()
    seen: list[list[str]] = []

    def reasons(report: dict[str, Any], gaps: list[str]) -> list[str]:
        seen.append(gaps)
        return ["REASONS", ""]

    out = why_behind(r, reasons)
    assert out[0] == "## Where kgqa is behind the baseline, and why"
    assert out[2].startswith("Behind on: hit@1 0.000 vs 0.500; hit@5 0.500 vs 1.000")
    assert any(x.startswith("Ingest: kgqa took 9 s vs 3 s") for x in out)
    assert any(x.startswith("kgqa passages: 4 chunks, mean 50 / median 40 characters") for x in out)
    assert out[-2:] == ["REASONS", ""] and seen and seen[0][0].startswith("hit@1")
    even = {**r, "results": {"kgqa": r["results"]["kgqa"]}}  # no retrieval or answer gap, a slower ingest
    out = why_behind(even, reasons)
    assert out[2] == "Retrieval and answers: nowhere on these figures." and len(seen) == 1
    assert out[-2].startswith("Ingest: kgqa took 9 s vs 3 s") and out[-1] == ""
    assert why_behind({**even, "baseline_ingest": None}, reasons)[-2:] == ["Nowhere on these figures.", ""]


def test_closing_sections_show_latency_and_misses() -> None:
    lines = closing_sections(_report(), ["WHY"])
    assert lines[0] == "## Query time" and "retrieve p50 ms" in lines[2] and "WHY" in lines
    miss = [x for x in lines if x.startswith("- `")]
    assert len(miss) == 2 and miss[0].startswith("- `q1` (number): gold “$12.5 million”")


def test_write_outputs(tmp_path: Path) -> None:
    j, m = write_outputs("demo", {"a": Path("x")}, "# demo\n", tmp_path / "out")
    assert json.loads(j.read_text(encoding="utf-8")) == {"a": "x"}
    assert m.read_text(encoding="utf-8") == "# demo\n"


def test_retrieval_section_splits_by_tuning_half() -> None:
    report = _report()
    assert (tuning_half("q1"), tuning_half("q2")) == ("development", "held-out")  # a fixed hash of the id
    lines = retrieval_section(report, "Evidence retrieval (top 10)", "page", "By type:", None)
    caption = next(i for i, x in enumerate(lines) if x.startswith("By tuning half"))
    assert lines[caption + 2].splitlines()[2:] == [
        "| development | 1 | 1.000 / 1.000 | 1.000 / 1.000 |",  # q1: kgqa finds acme at rank 2
        "| held-out | 1 | 0.000 / 0.000 | 1.000 / 1.000 |",  # q2: only the baseline finds bolt
    ]
    # a report written before the split (no "retrieval_by_half") renders without the table
    for r in report["results"].values():
        del r["retrieval_by_half"]
    lines = retrieval_section(report, "Evidence retrieval (top 10)", "page", "By type:", None)
    assert not any(x.startswith("By tuning half") for x in lines)
