"""Tiny synthetic benchmark data for the tests of the bench modules (never ../shared/bench)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# two FinanceBench-shaped questions, each with its evidence page
FB_ROWS: list[dict[str, Any]] = [
    {"financebench_id": "fb1", "question": "What was Acme's FY2022 revenue?", "answer": "$12.5 million",
     "question_type": "metrics-generated", "doc_name": "ACME_2022_10K",
     "evidence": [{"doc_name": "ACME_2022_10K", "evidence_page_num": 1,
                   "evidence_text_full_page": "Acme Corp\nIncome statement\nRevenue was $12.5 million in FY2022."}]},
    {"financebench_id": "fb2", "question": "Did Bolt pay a dividend in 2023?", "answer": "Yes, $0.20 per share.",
     "question_type": "domain-relevant", "doc_name": "BOLT_2023_10K",
     "evidence": [{"doc_name": "BOLT_2023_10K", "evidence_page_num": 0,
                   "evidence_text_full_page": "Bolt Inc\nDividends\nBolt paid a dividend of $0.20 per share in 2023."}]},
]


@pytest.fixture()
def fb_rows() -> list[dict[str, Any]]:
    return [json.loads(json.dumps(r)) for r in FB_ROWS]  # a fresh copy per test


@pytest.fixture()
def fb_bench(tmp_path: Path, fb_rows: list[dict[str, Any]]) -> Path:
    """A bench folder holding only ``financebench/data/financebench_open_source.jsonl`` with :data:`FB_ROWS`."""
    bench = tmp_path / "bench"
    (bench / "financebench" / "data").mkdir(parents=True)
    (bench / "financebench" / "data" / "financebench_open_source.jsonl").write_text(
        "\n".join(json.dumps(r) for r in fb_rows), encoding="utf-8")
    return bench
