"""FinanceBench end to end (``eval.bench_financebench``) on a synthetic two-filing bench folder.

Both systems run with the real model, each ingest in its own process (its peak RSS is its own).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from eval.bench_financebench import financebench_markdown, run_financebench


def test_financebench_pages_end_to_end(fb_bench: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    report = run_financebench("pages", fb_bench, tmp_path / "work", use_graph=False, out_dir=out)
    assert report["questions"] == 2
    assert report["results"]["kgqa"]["retrieval"]["hit@10"] == 1.0  # two documents: always in the top 10
    assert report["results"]["baseline"]["retrieval"]["hit@10"] == 1.0
    assert report["baseline_ingest"]["config"]["splitter"] == "SentenceSplitter(chunk_size=1024 chars, chunk_overlap=30)"
    assert report["passages"]["baseline_nodes"] == 2 and report["filings"] == []
    kg, bl = report["kgqa_ingest"], report["baseline_ingest"]
    assert bl["bytes_in"] == kg["bytes_in"] > 0  # the baseline read the same text from the same files
    assert kg["peak_rss_mb"] > 50 and bl["peak_rss_mb"] > 50 and bl["index_bytes"] > 0
    assert set(bl["timings"]) >= {"read files", "split", "embed+index", "persist", "total"}
    md = (out / "financebench-pages.md").read_text(encoding="utf-8")
    assert "hit@5" in md and "Islam et al." in md and "baseline" in md
    assert "kB/s" in md and "peak RSS MB" in md and "kgqa / baseline" in md
    assert md == financebench_markdown(json.loads((out / "financebench-pages.json").read_text(encoding="utf-8")),
                                       out / "financebench-pages-hits.png")
    assert (out / "financebench-pages-hits.png").is_file()
    again = run_financebench("pages", fb_bench, tmp_path / "work", use_graph=False, baseline=False, out_dir=out)
    assert again["kgqa_ingest"]["reused"] is True  # an unchanged index is reused, with its build figures
    assert again["baseline_ingest"] is None and list(again["results"]) == ["kgqa"]


def test_financebench_filings_end_to_end(fb_bench: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                         make_pdf: Callable[[list[str]], bytes]) -> None:
    pdfs = fb_bench / "financebench" / "pdfs"
    pdfs.mkdir()
    (pdfs / "ACME_2022_10K.pdf").write_bytes(make_pdf(["Acme Corp annual report 2022, cover page.",
                                                       "Income statement: revenue was $12.5 million in FY2022."]))
    out = tmp_path / "reports"
    report = run_financebench("filings", fb_bench, tmp_path / "work", use_graph=False, baseline=False, out_dir=out,
                              show=True)
    err = capfd.readouterr().err
    assert "ingest" in err and "kgqa: questions" in err  # the ingest worker's bar came through, then the questions'
    assert report["filings"] == ["ACME_2022_10K.pdf"] and report["questions"] == 1  # Bolt's filing is absent
    assert report["results"]["kgqa"]["retrieval"]["n"] == 1
    assert report["results"]["kgqa"]["retrieval"]["hit@10"] == 1.0  # a chunk on the second page
    assert (tmp_path / "work" / "financebench-filings" / "index").is_dir()
    md = (out / "financebench-filings.md").read_text(encoding="utf-8")
    assert md.startswith("# FinanceBench — filings mode") and "Corpus: 1 whole filings" in md


def test_unknown_mode_is_refused(fb_bench: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pages or filings"):
        run_financebench("chapters", fb_bench, tmp_path / "work")
