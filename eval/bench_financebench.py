"""FinanceBench (Islam et al. 2023): kgqa against the llama-index baseline, and the report.

Two modes, both with ONE shared index (the paper's "shared vector store"); the data, corpora
and evidence rules are in ``eval.financebench_data``:

* ``pages``: every distinct ``evidence_text_full_page`` (168 pages of 84 filings) is a document;
  all 150 questions; an evidence hit is a retrieved passage from the evidence page.
* ``filings``: the 15 whole PDFs under ``pdfs/`` (or a fixed-seed sample of them); the questions
  on them; an evidence hit is a retrieved chunk whose span overlaps the evidence page.

The baseline uses the paper's chunking (1024 characters, 30 overlap). Running and scoring are
``eval.bench_run``, the shared report sections ``eval.bench_report``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.config import set_offline_env
from eval.bench_common import Say, bench_dir, kgqa_settings, sample, work_dir
from eval.bench_report import (
    answers_section,
    closing_sections,
    hit_plot,
    ingest_section,
    md_table,
    retrieval_section,
    run_line,
    why_behind,
    write_outputs,
)
from eval.bench_run import BenchRun, Chunking, open_kgqa, run_report, run_systems
from eval.financebench_data import (
    filings_questions,
    filings_selection,
    load_financebench,
    pages_questions,
    write_pages_corpus,
)

MODES = ("pages", "filings")
CHUNKING = Chunking(1024, 30, "chars")  # the paper's retrieval: 1024-character chunks, 30 overlap
PUBLISHED = [
    ("GPT-4-Turbo, shared vector store (all filings)", "19.3% (101 refusals)"),
    ("GPT-4, shared vector store", "16.7%"),
    ("Llama 2, shared vector store", "19.3%"),
    ("GPT-4-Turbo, per-filing vector store", "50.0%"),
    ("GPT-4-Turbo, whole filing in context (reverse order)", "78.7%"),
    ("GPT-4-Turbo, oracle evidence page", "85.3–89.3%"),
    ("GPT-4-Turbo, closed book", "9.3%"),
]


def run_financebench(
    mode: str = "pages", bench: Path | None = None, work: Path | None = None, n_sample: int | None = None,
    seed: int = 0, use_graph: bool = True, baseline: bool = True, fresh: bool = False,
    out_dir: Path | None = None, say: Say | None = None, n_filings: int | None = None, show: bool = False,
    backends: Sequence[str] = (),
) -> dict[str, Any]:
    """Run one FinanceBench mode end to end; write ``eval/reports/financebench-<mode>.{json,md}``
    (``backends``: also run kgqa with each of these encoder backends, see :func:`eval.bench_run.run_backends`)."""
    set_offline_env()
    say = say or (lambda _m: None)
    if mode not in MODES:
        raise ValueError(f"mode must be pages or filings, not {mode!r}")
    bench = bench_dir(bench)
    rows = load_financebench(bench)
    t_start = time.perf_counter()
    paths, filings, wd = _corpus(mode, rows, bench, work, n_filings, seed, say)
    settings = kgqa_settings(wd / "index", use_graph=use_graph)
    say("kgqa: ingesting (an unchanged index is reused)")
    kg_ingest, qa = open_kgqa(paths, settings, say, fresh, show)
    if mode == "pages":
        questions = pages_questions(rows)
    else:
        questions = filings_questions(rows, {d: r.page_starts for d, r in qa.index.docs.items()})
    n_all = len(questions)
    questions = sample(questions, n_sample, seed)
    say(f"{len(questions)} of {n_all} questions")
    name = f"financebench-{mode}"
    run = BenchRun(name, bench, settings, qa, kg_ingest, questions, n_all, n_sample, seed, t_start,
                   [str(p) for p in paths])
    run_systems(run, CHUNKING if baseline else None, say, show, backends, fresh)
    report = run_report(run, use_graph, {"filings": filings, "filings_sample": n_filings})
    png = hit_plot(name, report["results"], f"FinanceBench {mode}: evidence hit@k", out_dir)
    write_outputs(name, report, financebench_markdown(report, png), out_dir)
    return report


def _corpus(
    mode: str, rows: list[dict[str, Any]], bench: Path, work: Path | None, n_filings: int | None, seed: int, say: Say,
) -> tuple[list[Path], list[str], Path]:
    """What kgqa ingests in ``mode``, the filing names (filings mode) and the work folder of the mode."""
    filings: list[str] = []
    if mode == "pages":
        wd = work_dir(work) / "financebench-pages"
        corpus = wd / "corpus"
        mapping = write_pages_corpus(rows, corpus)
        paths = [corpus]
        say(f"pages corpus: {len(mapping)} pages in {corpus}")
    else:
        paths, tag = filings_selection(bench, n_filings, seed)
        filings = [p.name for p in paths]
        wd = work_dir(work) / tag
        say(f"filings: {len(paths)} PDFs ({', '.join(filings)})")
    wd.mkdir(parents=True, exist_ok=True)
    return paths, filings, wd


# ---- report ---------------------------------------------------------------------------------------


def financebench_markdown(report: dict[str, Any], png: Path | None = None) -> str:
    mode = report["benchmark"].split("-", 1)[1]
    kg = report["kgqa_ingest"]
    lines = [
        f"# FinanceBench — {mode} mode",
        "",
        run_line(report),
        "",
        ("Corpus: the 168 distinct evidence pages, one document each (`DOC_NAME#p<page>`), one shared index."
         if mode == "pages" else
         f"Corpus: {len(report.get('filings') or [])} whole filings"
         + (f" (a fixed-seed sample of the 15, seed {report['seed']}, to keep the run under 30 minutes: "
            f"{', '.join(report['filings'])})" if report.get("filings_sample") else "")
         + f", {kg['bytes_in'] / 1e6:.2f} MB of text (PDF text layer, page numbers kept), one shared index; the "
         "questions are those whose filing is in the corpus."),
        "Evidence hit: a retrieved passage "
        + ("is the evidence page." if mode == "pages" else "whose span overlaps the evidence page."),
        "",
        *ingest_section(report),
        *retrieval_section(report, "Evidence retrieval (top 10)", "page", "By question type (hit@5 / MRR):", png),
        *answers_section(report),
        "Kinds: `number` = the answer's main value equals a number of the gold's first sentence (1% or the "
        "gold's rounding, rescaling allowed); `yesno` = same polarity; `name` = every named part present; "
        "`text` = at least half the gold's content words present (weakest rule, shown apart).",
        "",
        "Published (Islam et al. 2023, % correct of 150 by human labels — a different metric, a reference only):",
        "",
        md_table(["configuration", "correct"], PUBLISHED),
        "",
        *closing_sections(report, why_behind(report, _reasons)),
    ]
    return "\n".join(lines)


def _reasons(report: dict[str, Any], gaps: list[str]) -> list[str]:
    """Why kgqa is behind on FinanceBench: passage sizes against statement pages, and what the answerer does."""
    st = report.get("passages")
    out: list[str] = []
    if st and (st.get("kgqa_chunk_chars_median") or 999) < 100:
        out += [
            "Retrieval: kgqa's layout parser read the financial statements (one table cell per line in the PDF "
            "text) as a cascade of short headings; a chunk never crosses a section, so most chunks are one line "
            "without company, statement or period, and match across all filings. The baseline's 1024-character "
            "windows keep the page header next to the figures.",
            "",
        ]
    elif st and st.get("baseline_node_chars_mean") and st["kgqa_chunk_chars_mean"] < st["baseline_node_chars_mean"]:
        out += [
            "Retrieval (not ablated here, the most likely cause): kgqa's chunks are smaller than the baseline's "
            "windows and never cross a section, so a page's header (company, statement, fiscal year) and its "
            "figures often land in different chunks, while the questions name the company and year next to the "
            "line item (\"3M FY2018 capital expenditure\"); a 1024-character window holds both more often. kgqa also "
            "splits a page into more pieces; without `Settings.spread_pages` (each page's best chunk before any "
            "page's second) its top 10 named 6.8 distinct pages on average and hit@10 was 0.575. kgqa's chunk size (700) "
            "was tuned on the bundled analyst reports, whose sections are short prose, not statement pages.",
            "",
        ]
    out += _answer_routes(report)
    return out


def _answer_routes(report: dict[str, Any]) -> list[str]:
    """How kgqa answered: computed from statement facts, yes/no, or quoted from passages, with accuracy each."""
    k = report["results"]["kgqa"]
    recs = k["records"]

    def part(kind: str) -> tuple[int, int]:
        xs = [r for r in recs if (r.get("answer_type") or "") in kind.split("|")]
        return len(xs), sum(bool(r["correct"]) for r in xs)

    (nc, cc), (ny, cy) = part("computed"), part("yesno")
    rest = [r for r in recs if r.get("answer_type") not in ("computed", "yesno")]
    by_group = k.get("answers_by_group", {})
    groups = "; ".join(f"{g} {v['correct']}/{v['n']}" for g, v in sorted(by_group.items()))
    return [
        f"Answers: kgqa reads the statement tables of the pages as typed facts (`kg.statements`: line item, period "
        f"from the column header, scale, sign, company from the page) and computes what a question asks "
        f"(`engine.compute`: the question's own formula, a named metric, a change, an average, a CAGR), citing "
        f"each input's row and its table header. {nc} questions got a computed answer ({cc} correct), {ny} a "
        f"yes/no decided by a computed figure or a stated sentence ({cy} correct), and {len(rest)} went to the "
        f"passage answerer ({sum(bool(r['correct']) for r in rest)} correct, "
        f"{sum(bool(r['abstained']) for r in rest)} abstained). By question type: {groups}. The facts are looked "
        "up by company, line item and period, not retrieved, so a statement page that retrieval ranks low still "
        "answers. What is left are mostly questions about why a figure moved, which segment led, or what a "
        "filing says (domain-relevant and novel-generated), where the passage answerer quotes one sentence or "
        "abstains; and yes/no questions decided by judgement from prose (legal battles, cyclicality). The "
        "baseline never abstains and quotes the first sentence of its top passage. Neither is the LLM-judged "
        "metric of the published figures above.",
        "",
        *_development_split(report),
    ]


def _is_development(r: dict[str, Any]) -> bool:
    """Pages-mode questions looked at while developing kg.statements and engine.compute."""
    return r.get("group") == "metrics-generated" or r.get("kind") == "yesno"


def _development_split(report: dict[str, Any]) -> list[str]:
    """Correct answers on the questions used for development apart from those never looked at."""
    if not report["benchmark"].endswith("pages"):
        return ["Hold-out: this mode's questions and filings were not used to develop kg.statements or "
                "engine.compute (they were developed on pages-mode questions).", ""]
    rows = []
    for name, sel in (("development: metrics-generated and yes/no", _is_development),
                      ("held out: the other domain-relevant and novel-generated", lambda r: not _is_development(r))):
        cells = [name]
        for system in report["results"].values():
            xs = [r for r in system["records"] if sel(r)]
            ok = sum(bool(r["correct"]) for r in xs)
            cells.append(f"{ok}/{len(xs)} ({ok / len(xs):.3f})" if xs else "–")
        rows.append(cells)
    return [
        "Development and hold-out: the statement reader, the line-item synonyms and the formula library were "
        "developed on this mode's metrics-generated questions (all 50 were looked at) and then on its yes/no "
        "questions, so their figures measure fit, not generalisation; the other questions were not used to tune "
        "them, nor was the filings mode (whole PDFs); the bundled-report computed and yes/no gold was written "
        "alongside the engine, so it is development data too.",
        "",
        md_table(["questions", *report["results"]], rows),
        "",
    ]
