"""LiHua-World (from the MiniRAG paper) against kgqa and the llama-index baseline.

The corpus is the 442 chat logs ``data/**/YYYYMMDD_HHMM.txt`` (one shared index); the 637
questions are ``qa/query_set.json``. An evidence id ``YYYYMMDD_HH:MM`` names the file
``YYYYMMDD_HHMM.txt`` (a few ids carry a ``Time: `` prefix; ``N/A`` marks the Null questions,
which have no evidence and are answered correctly only by abstaining). An evidence hit is a
retrieved passage from any evidence file of the question.

kgqa is built for analyst reports (sections, figures, named companies); chat logs are out of
its domain, and the report says so.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from core.config import set_offline_env
from eval.bench_financebench import (
    BenchQuestion,
    ChunkedBaseline,
    Say,
    answers_table,
    behind,
    bench_dir,
    chunk_stats,
    fnum,
    hit_plot,
    ingest_gap,
    ingest_table,
    kgqa_ingest,
    kgqa_settings,
    latency_table,
    md_table,
    misses,
    need,
    retrieval_table,
    run_system,
    sample,
    stats_line,
    work_dir,
    write_outputs,
)
from eval.gold_eval import KgqaSystem

PUBLISHED = [
    ("NaiveRAG", "41–47", "17–25"),
    ("LightRAG", "35–57", "21–29"),
    ("GraphRAG (gpt-4o-mini only)", "35", "38"),
    ("MiniRAG", "49–54", "19–26"),
]
_ID = re.compile(r"(\d{8})_(\d{2}):?(\d{2})")


def evidence_files(evidence: str) -> list[str]:
    """File names of an evidence string (``[]`` for ``N/A`` or anything unparseable).

    >>> evidence_files("Time: 20260930_16:00<and>20260121_10:00")
    ['20260930_1600.txt', '20260121_1000.txt']
    >>> evidence_files("N/A")
    []
    """
    out = []
    for part in (evidence or "").split("<and>"):
        m = _ID.search(part)
        if m:
            out.append(f"{m.group(1)}_{m.group(2)}{m.group(3)}.txt")
    return out


def load_questions(bench: Path) -> list[dict[str, Any]]:
    data = json.loads(need(bench / "lihua-world" / "qa" / "query_set.json", "LiHua-World questions").read_text("utf-8"))
    items = data.items() if isinstance(data, dict) else enumerate(data)
    return [{"id": str(k), **v} for k, v in items]


def lihua_questions(rows: list[dict[str, Any]], doc_ids: list[str]) -> list[BenchQuestion]:
    """Bench questions; ``doc_ids`` are the indexed ids (paths relative to ``data/``)."""
    by_name: dict[str, str] = {}
    for d in doc_ids:
        by_name.setdefault(Path(d).name, d)
    out = []
    for r in rows:
        files = [by_name[f] for f in evidence_files(r.get("evidence", "")) if f in by_name]
        hit = (lambda doc, s, e, t=frozenset(files): doc in t) if files else None
        out.append(BenchQuestion(r["id"], r["question"], r["answer"], r.get("type", ""), hit=hit, evidence=files))
    return out


def run_lihua(
    bench: Path | None = None, work: Path | None = None, n_sample: int | None = None, seed: int = 0,
    use_graph: bool = True, baseline: bool = True, fresh: bool = False, out_dir: Path | None = None,
    say: Say | None = None, baseline_embed: Any = None,
) -> dict[str, Any]:
    """Ingest the chat logs, run the questions on kgqa and the baseline; write ``eval/reports/lihua.{json,md}``."""
    from engine.qa import QA

    set_offline_env()
    say = say or (lambda _m: None)
    bench = bench_dir(bench)
    data = need(bench / "lihua-world" / "data", "LiHua-World chat logs")
    rows = load_questions(bench)
    wd = work_dir(work) / "lihua"
    wd.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    settings = kgqa_settings(wd / "index", use_graph=use_graph)
    say("kgqa: ingesting the chat logs (an unchanged index is reused)")
    kg_ingest = kgqa_ingest([data], settings, say, fresh=fresh)
    qa = QA.load(settings.index_dir, settings)
    questions = lihua_questions(rows, list(qa.index.docs))
    n_all = len(questions)
    questions = sample(questions, n_sample, seed)
    say(f"{len(questions)} of {n_all} questions")
    results: dict[str, dict[str, Any]] = {"kgqa": run_system(KgqaSystem(qa), questions, say)}
    bl_info = None
    bl = None
    if baseline:
        say("baseline: building llama-index VectorStoreIndex (1200-token chunks, 100 overlap)")
        docs = {d: r.raw for d, r in qa.index.docs.items()}
        bl = ChunkedBaseline.build_chunked(docs, 1200, 100, unit="tokens", settings=settings, embed_model=baseline_embed)
        bl.name = "baseline"
        bl_info = {"documents": len(docs), "nodes": bl.n_nodes, "timings": bl.timings, "config": bl.config(),
                   "index_bytes": bl.index_bytes()}
        results["baseline"] = run_system(bl, questions, say)
    report = {
        "benchmark": "lihua", "passages": chunk_stats(qa, bl), "bench_dir": str(bench), "questions": len(questions), "questions_total": n_all,
        "sample": n_sample, "seed": seed, "use_graph": use_graph, "kgqa_ingest": kg_ingest,
        "baseline_ingest": bl_info, "results": results,
        "kgqa_settings": {"chunk_chars": settings.chunk_chars, "top_k": settings.top_k, "use_graph": use_graph},
        "wall_s": round(time.perf_counter() - t_start, 1), "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    png = hit_plot("lihua", results, "LiHua-World: evidence-file hit@k", out_dir)
    write_outputs("lihua", report, lihua_markdown(report, png), out_dir)
    return report


def lihua_markdown(report: dict[str, Any], png: Path | None = None) -> str:
    res = report["results"]
    kg = report["kgqa_ingest"]
    lines = [
        "# LiHua-World",
        "",
        f"Run {report['date']} on this machine ({kg.get('cpu_count')} CPU cores), wall time {report['wall_s']:.0f} s. "
        f"{report['questions']} of {report['questions_total']} questions"
        + (f" (fixed-seed sample, seed {report['seed']})" if report["questions"] < report["questions_total"] else " (all)")
        + f"; kgqa graph {'on' if report['use_graph'] else 'off'}.",
        "",
        "Corpus: the 442 chat logs, one document each, one shared index. Evidence hit: a retrieved passage "
        "from one of the question's evidence files (Null questions have none and are left out of retrieval).",
        "kgqa is built for analyst reports; chat logs are out of its domain (no sections, few figures, "
        "answers are opinions and events, many questions are yes/no or ask for a date).",
        "",
        "## Ingest",
        "",
        ingest_table(kg, report["baseline_ingest"]) if report["baseline_ingest"] else "",
        "",
        "## Evidence retrieval (top 10, file level)",
        "",
        retrieval_table(res, "file"),
        "",
    ]
    if png:
        lines += [f"![hit@k]({png.name})", ""]
    by = {n: r["retrieval_by_group"] for n, r in res.items()}
    groups = sorted({g for v in by.values() for g in v})
    if groups:
        rows = [[g, *(f"{fnum(by[n][g]['hit@5'])} / {fnum(by[n][g]['mrr'])}" for n in res)] for g in groups]
        lines += ["By question type (hit@5 / MRR; Multi: any evidence file counts):", "", md_table(["type", *res], rows), ""]
    ag = {n: r.get("answers_by_group", {}) for n, r in res.items()}
    agroups = sorted({g for v in ag.values() for g in v})
    lines += [
        "## Answers (deterministic scorer, `eval/scoring.py`)",
        "",
        answers_table(res),
        "",
        *([f"Answers re-scored on {report['rescored']} from the stored answers (first 300 characters) "
           "after a scorer change; retrieval and timings are from the run.", ""] if report.get("rescored") else []),
    ]
    if agroups:
        rows = [[g, *(fnum(ag[n][g]["accuracy"]) for n in res)] for g in agroups]
        lines += ["By question type (accuracy):", "", md_table(["type", *res], rows), ""]
    lines += [
        "Published (MiniRAG README, LLM-judge accuracy % / error %, generators Phi-3.5-mini … gpt-4o-mini, "
        "1200-token chunks, top_k 60 — a different metric, a reference only):",
        "",
        md_table(["system", "accuracy %", "error %"], PUBLISHED),
        "",
        "## Query time",
        "",
        latency_table(res),
        "",
        *why_behind_lihua(report),
        "Some misses of kgqa:",
        "",
        *misses(res["kgqa"]["records"]),
        "",
    ]
    return "\n".join(lines)


def why_behind_lihua(report: dict[str, Any]) -> list[str]:
    res = report["results"]
    gaps = behind(res)
    st = report.get("passages") or {}
    out = ["## Where kgqa is behind the baseline, and why", ""]
    if not gaps:
        return [*out, "Nowhere on these figures.", ""]
    out += [f"Behind on: {'; '.join(gaps)}.", ""]
    out += ingest_gap(report)
    if st:
        out += [stats_line(st), ""]
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
