"""FinanceBench data handling (``eval.financebench_data``) on synthetic rows and files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigError
from eval.financebench_data import (
    filings_question_texts,
    filings_questions,
    filings_selection,
    load_financebench,
    page_file_name,
    pages_questions,
    write_pages_corpus,
)


def test_pages_corpus_and_questions(tmp_path: Path, fb_rows: list[dict[str, Any]]) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "stray.txt").write_text("left from an older run", encoding="utf-8")
    mapping = write_pages_corpus(fb_rows, tmp_path / "c")
    assert set(mapping.values()) == {"ACME_2022_10K#p1", "BOLT_2023_10K#p0"}
    fn = page_file_name("ACME_2022_10K#p1")
    assert "#" not in fn and (tmp_path / "c" / fn).read_text(encoding="utf-8").startswith("Acme Corp")
    assert not (tmp_path / "c" / "stray.txt").exists() and (tmp_path / "c" / "pages.json").is_file()
    qs = pages_questions(fb_rows)
    assert qs[0].hit is not None and qs[0].hit(fn, 0, 10) and not qs[0].hit(page_file_name("BOLT_2023_10K#p0"), 0, 1)
    assert qs[0].evidence == [fn] and qs[0].group == "metrics-generated"


def test_filings_page_hits(fb_rows: list[dict[str, Any]]) -> None:
    # two pages: page 1 is chars [0, 100), page 2 [100, 200); evidence_page_num 1 (0-based) = page 2
    qs = filings_questions(fb_rows[:1], {"ACME_2022_10K.pdf": (0, 100)})
    assert len(qs) == 1
    hit = qs[0].hit
    assert hit is not None
    assert hit("ACME_2022_10K.pdf", 120, 180)
    assert hit("ACME_2022_10K.pdf", 90, 110)  # spans the page break
    assert not hit("ACME_2022_10K.pdf", 0, 100)
    assert not hit("OTHER.pdf", 120, 180)
    assert filings_questions(fb_rows[1:], {"ACME_2022_10K.pdf": (0, 100)}) == []  # filing not in the corpus


def test_filings_selection_and_their_questions(fb_bench: Path) -> None:
    with pytest.raises(ConfigError):
        filings_selection(fb_bench, None, 0)
    pdfs = fb_bench / "financebench" / "pdfs"
    pdfs.mkdir()
    for name in ("ACME_2022_10K", "BOLT_2023_10K", "CORE_2021_10Q"):
        (pdfs / f"{name}.pdf").write_bytes(b"%PDF-1.4\n")
    paths, tag = filings_selection(fb_bench, None, 0)
    assert [p.name for p in paths] == ["ACME_2022_10K.pdf", "BOLT_2023_10K.pdf", "CORE_2021_10Q.pdf"]
    assert tag == "financebench-filings"
    two, tag2 = filings_selection(fb_bench, 2, seed=5)
    assert len(two) == 2 and tag2 == "financebench-filings-2of3-seed5"
    assert filings_question_texts(fb_bench, paths[:1]) == ["What was Acme's FY2022 revenue?"]


def test_load_financebench(fb_bench: Path, tmp_path: Path) -> None:
    assert [r["financebench_id"] for r in load_financebench(fb_bench)] == ["fb1", "fb2"]
    with pytest.raises(ConfigError, match="FinanceBench questions not found"):
        load_financebench(tmp_path / "empty")
