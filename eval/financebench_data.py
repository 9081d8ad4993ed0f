"""FinanceBench data (Islam et al. 2023): the questions, the page corpus, the filings, the evidence rules.

Read from ``<bench>/financebench/``: ``data/financebench_open_source.jsonl`` (150 questions, each
with its evidence pages; ``evidence_page_num`` is 0-based in the PDF) and ``pdfs/`` (15 whole
filings). Two corpora, both one shared index:

* pages: every distinct ``evidence_text_full_page`` is a document named ``DOC_NAME#p<page>``,
  written as a ``.txt`` file whose name is that name URL-quoted; evidence = the page document.
* filings: the PDFs; evidence = a retrieved span overlapping the evidence page
  (``DocRecord.page_starts`` of the loaded PDF text; pages there are 1-based).
"""

from __future__ import annotations

import bisect
import json
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench_common import BenchQuestion, need, sample


def page_doc_name(doc_name: str, page: int) -> str:
    """The name of a page document: the filing's name and the 0-based page number.

    >>> page_doc_name("3M_2018_10K", 59)
    '3M_2018_10K#p59'
    """
    return f"{doc_name}#p{page}"


def page_file_name(page_name: str) -> str:
    """File name of a page document: the page name URL-quoted (``#`` and ``/`` are not safe).

    >>> page_file_name("3M_2018_10K#p59")
    '3M_2018_10K%23p59.txt'
    """
    return urllib.parse.quote(page_name, safe="") + ".txt"


def load_financebench(bench: Path) -> list[dict[str, Any]]:
    """The question rows of the open-source FinanceBench file under ``bench``."""
    path = need(bench / "financebench" / "data" / "financebench_open_source.jsonl", "FinanceBench questions")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_pages_corpus(rows: Sequence[dict[str, Any]], folder: Path) -> dict[str, str]:
    """Write each distinct evidence page as a ``.txt`` file; return file name -> page name.

    Unchanged files are left alone (so an existing index is reused) and stray ``.txt`` files removed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    mapping: dict[str, str] = {}
    for q in rows:
        for e in q["evidence"]:
            name = page_doc_name(e["doc_name"], int(e["evidence_page_num"]))
            fn = page_file_name(name)
            if fn not in mapping:
                mapping[fn] = name
                p = folder / fn
                text = e["evidence_text_full_page"]
                if not p.is_file() or p.read_text(encoding="utf-8") != text:
                    p.write_text(text, encoding="utf-8")
    for p in folder.glob("*.txt"):
        if p.name not in mapping:
            p.unlink()
    (folder / "pages.json").write_text(json.dumps(mapping, indent=0), encoding="utf-8")
    return mapping


def pages_questions(rows: Sequence[dict[str, Any]]) -> list[BenchQuestion]:
    """Every question; a hit is a passage of one of its evidence page documents."""
    out = []
    for q in rows:
        targets = {page_file_name(page_doc_name(e["doc_name"], int(e["evidence_page_num"]))) for e in q["evidence"]}
        out.append(BenchQuestion(
            q["financebench_id"], q["question"], q["answer"], q["question_type"],
            hit=(lambda doc, s, e, t=frozenset(targets): doc in t), evidence=sorted(targets),
        ))
    return out


def filings_questions(rows: Sequence[dict[str, Any]], page_starts: dict[str, tuple[int, ...]]) -> list[BenchQuestion]:
    """Questions on the filings in ``page_starts`` (doc id -> page start offsets of the loaded PDF text)."""
    out = []
    for q in rows:
        targets: dict[str, set[int]] = {}
        for e in q["evidence"]:
            did = f"{e['doc_name']}.pdf"
            if did in page_starts:
                targets.setdefault(did, set()).add(int(e["evidence_page_num"]) + 1)  # 1-based, as page_of
        if f"{q['doc_name']}.pdf" not in page_starts or not targets:
            continue

        def hit(doc: str, s: int, e: int, t: dict[str, set[int]] = targets) -> bool:
            if doc not in t:
                return False
            ps = page_starts[doc]
            first = bisect.bisect_right(ps, s)
            last = bisect.bisect_right(ps, max(s, e - 1))
            return any(first <= p <= last for p in t[doc])

        out.append(BenchQuestion(q["financebench_id"], q["question"], q["answer"], q["question_type"], hit=hit,
                                 evidence=[f"{d} p.{sorted(p)}" for d, p in targets.items()]))
    return out


def filings_selection(bench: Path, n_filings: int | None, seed: int) -> tuple[list[Path], str]:
    """The filings to ingest (all 15, or a fixed-seed sample of ``n_filings``) and the work-folder name."""
    pdfs = need(bench / "financebench" / "pdfs", "FinanceBench PDFs")
    names = sorted(p.name for p in pdfs.glob("*.pdf"))
    chosen = sample(names, n_filings, seed)
    tag = "financebench-filings" if len(chosen) == len(names) else f"financebench-filings-{len(chosen)}of{len(names)}-seed{seed}"
    return [pdfs / n for n in chosen], tag


def filings_question_texts(bench: Path, filings: Sequence[Path]) -> list[str]:
    """The question texts whose filing is among ``filings`` (the queries of the perf filings point)."""
    names = {p.name for p in filings}
    return [q["question"] for q in load_financebench(bench) if f"{q['doc_name']}.pdf" in names]
