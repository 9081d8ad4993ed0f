"""LiHua-World (from the MiniRAG paper): kgqa against the llama-index baseline, and the report.

The corpus is the 442 chat logs (one shared index), the questions the 637 of ``qa/query_set.json``;
data and evidence rules are in ``eval.lihua_data``. The baseline uses the paper's chunking
(1200 tokens, 100 overlap). Running and scoring are ``eval.bench_run``, the shared report sections
``eval.bench_report``.

kgqa is built for analyst reports (sections, figures, named companies); chat logs are out of
its domain, and the report says so.
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
    fnum,
    hit_plot,
    ingest_section,
    md_table,
    retrieval_section,
    run_line,
    why_behind,
    write_outputs,
)
from eval.bench_run import BenchRun, Chunking, open_kgqa, run_report, run_systems
from eval.lihua_data import lihua_corpus, lihua_questions, load_questions

CHUNKING = Chunking(1200, 100, "tokens")  # MiniRAG's settings: 1200-token chunks, 100 overlap
PUBLISHED = [
    ("NaiveRAG", "41–47", "17–25"),
    ("LightRAG", "35–57", "21–29"),
    ("GraphRAG (gpt-4o-mini only)", "35", "38"),
    ("MiniRAG", "49–54", "19–26"),
]


def run_lihua(
    bench: Path | None = None, work: Path | None = None, n_sample: int | None = None, seed: int = 0,
    use_graph: bool = True, baseline: bool = True, fresh: bool = False, out_dir: Path | None = None,
    say: Say | None = None, show: bool = False, backends: Sequence[str] = (),
) -> dict[str, Any]:
    """Ingest the chat logs, run the questions on kgqa (and with each of ``backends`` as its encoder) and
    the baseline; write ``eval/reports/lihua.{json,md}``."""
    set_offline_env()
    say = say or (lambda _m: None)
    bench = bench_dir(bench)
    data = lihua_corpus(bench)
    rows = load_questions(bench)
    wd = work_dir(work) / "lihua"
    wd.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    settings = kgqa_settings(wd / "index", use_graph=use_graph)
    say("kgqa: ingesting the chat logs (an unchanged index is reused)")
    kg_ingest, qa = open_kgqa([data], settings, say, fresh, show)
    questions = lihua_questions(rows, list(qa.index.docs))
    n_all = len(questions)
    questions = sample(questions, n_sample, seed)
    say(f"{len(questions)} of {n_all} questions")
    run = BenchRun("lihua", bench, settings, qa, kg_ingest, questions, n_all, n_sample, seed, t_start, [str(data)])
    run_systems(run, CHUNKING if baseline else None, say, show, backends, fresh)
    report = run_report(run, use_graph)
    png = hit_plot("lihua", report["results"], "LiHua-World: evidence-file hit@k", out_dir)
    write_outputs("lihua", report, lihua_markdown(report, png), out_dir)
    return report


# ---- report ---------------------------------------------------------------------------------------


def lihua_markdown(report: dict[str, Any], png: Path | None = None) -> str:
    res = report["results"]
    lines = [
        "# LiHua-World",
        "",
        run_line(report),
        "",
        "Corpus: the 442 chat logs, one document each, one shared index. Evidence hit: a retrieved passage "
        "from one of the question's evidence files (Null questions have none and are left out of retrieval).",
        "kgqa is built for analyst reports; chat logs are out of its domain (no sections, few figures, "
        "answers are opinions and events, many questions are yes/no or ask for a date).",
        "",
        *ingest_section(report),
        *retrieval_section(report, "Evidence retrieval (top 10, file level)", "file",
                           "By question type (hit@5 / MRR; Multi: any evidence file counts):", png),
        *answers_section(report),
    ]
    ag = {n: r.get("answers_by_group", {}) for n, r in res.items()}
    agroups = sorted({g for v in ag.values() for g in v})
    if agroups:
        rows = [[g, *(fnum(ag[n][g]["accuracy"]) for n in res)] for g in agroups]
        lines += ["By question type (accuracy):", "", md_table(["type", *res], rows), ""]
    lines += [
        "Published (MiniRAG README, LLM-judge accuracy % / error %, generators Phi-3.5-mini … gpt-4o-mini, "
        "1200-token chunks, top_k 60 — a different metric, a reference only):",
        "",
        md_table(["system", "accuracy %", "error %"], PUBLISHED),
        "",
        *closing_sections(report, why_behind(report, _reasons)),
    ]
    return "\n".join(lines)


def _reasons(report: dict[str, Any], gaps: list[str]) -> list[str]:
    """Why kgqa is behind on LiHua-World: one baseline node per log, dates, and what the answerer does."""
    st = report.get("passages") or {}
    res = report["results"]
    out: list[str] = []
    if any(g.startswith(("hit@", "mrr")) for g in gaps) and st.get("baseline_nodes") and \
            st["baseline_nodes"] <= 1.5 * (report["kgqa_ingest"].get("documents") or 1):
        out += [
            "Retrieval: with 1200-token chunks nearly every chat log is a single baseline node, so its top 10 "
            "are 10 distinct files and a file-level hit needs only the right log to rank; kgqa returns chunks of "
            "a few messages, several from the same log, so its top 10 covers fewer files. Chat lines are short "
            "and repetitive (greetings, emoji), which weakens BM25 and sentence re-scoring, kgqa's two "
            "advantages on reports.",
            "",
        ]
    if any(g.startswith("answers (date)") for g in gaps):
        out += [
            "Dates: every log opens with a `Time: YYYYMMDD_HH:MM` line, which is the baseline's \"first sentence\" "
            "whenever it quotes a log from its start, so it names a date whenever the right log ranks first; "
            "kgqa quotes the message that matches the question, and its answerer does not take a log's "
            "timestamp as the answer to \"when\".",
            "",
        ]
    k = res["kgqa"]
    out += [
        f"Answers: kgqa abstained on {k['abstained']} of {report['questions']} questions. Its answerer looks for "
        "figures, names and periods of analyst prose; here answers are opinions, events and yes/no judgements "
        "across messages, which it does not compose. It does abstain on Null questions, which the baseline "
        "(never abstaining) always gets wrong.",
        "",
    ]
    return out
