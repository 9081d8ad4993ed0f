"""Run kgqa and the llama-index baseline on a public benchmark, and score both (shared by both benchmarks).

A benchmark (``eval.bench_financebench``, ``eval.bench_lihua``) brings its corpus, its
questions (:class:`~eval.bench_common.BenchQuestion`, each with a ``hit`` rule telling whether a
retrieved span is evidence) and its published chunking; this module builds (or reuses) the kgqa
index, builds the baseline, retrieves the top :data:`~eval.bench_common.K_MAX` passages and
answers every question on both systems, and turns the per-question records into hit@k, MRR,
answer accuracy (``eval.scoring``) and latency figures: the JSON report the Markdown is made from.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from core.config import Settings
from core.types import Answer
from engine.ingest import build_index
from engine.qa import QA
from engine.store import FileStore
from eval import scoring
from eval.baseline import ChunkedBaseline
from eval.bench_common import HALVES, K_MAX, KS, BenchQuestion, Hit, Say, dir_bytes, tuning_half
from eval.gold_eval import KgqaSystem
from eval.metrics import percentile
from eval.perf_probe import run_worker
from retrieval.build import encoder_backend

# ---- kgqa's index -----------------------------------------------------------------------------------


def kgqa_ingest(
    paths: Sequence[Path], settings: Settings, say: Say, fresh: bool = False, progress: bool = False,
) -> dict[str, Any]:
    """Build (or reuse) the kgqa index of ``paths``; return the ingest figures.

    A build that did work stores its figures in ``<index_dir>/../ingest.json``; when the index is
    already up to date those stored figures are returned with ``reused: True`` (the timings are
    those of the build that made it).
    """
    index_dir = Path(settings.index_dir)
    record = ingest_record(index_dir)
    if fresh and index_dir.exists():
        shutil.rmtree(index_dir)
    t0 = time.perf_counter()
    report = build_index(list(paths), settings, say=say, progress=progress)
    wall = time.perf_counter() - t0
    gen = FileStore(index_dir).current()
    assert gen is not None
    if report.did_nothing and record.is_file():
        out = json.loads(record.read_text(encoding="utf-8"))
        out["reused"] = True
        out["index_bytes"] = dir_bytes(gen)
        return out
    t = dict(report.timings_s)
    out = {
        "reused": False,
        "documents": len(report.added) + len(report.changed) + len(report.unchanged),
        "units": report.n_units,
        "chunks": report.n_chunks,
        "embedded": report.embedded,
        "bytes_in": report.bytes_in,
        "timings_s": {k: round(v, 2) for k, v in t.items()},
        "wall_s": round(wall, 2),
        "graph": {k: v for k, v in (report.graph or {}).items() if isinstance(v, int | float | str)},
        "use_graph": settings.use_graph,
        "skipped": [f"{s.path}: {s.reason}" for s in report.skipped],
        "index_bytes": dir_bytes(gen),
        "cpu_count": os.cpu_count(),
    }
    record.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return out


def ingest_record(index_dir: Path) -> Path:
    """Where the figures of the build that made ``index_dir`` are kept (beside it)."""
    return Path(index_dir).parent / f"{Path(index_dir).name}.ingest.json"


# ---- one system on the questions ----------------------------------------------------------------------


class BenchSystem(Protocol):
    """What a benchmark asks of a system: its top passages as raw spans, and an answer."""

    name: str

    def retrieve(self, question: str, k: int) -> list[tuple[str, int, int]]: ...

    def answer(self, question: str) -> Answer: ...


def first_hit(spans: Sequence[tuple[str, int, int]], hit: Hit) -> int | None:
    """1-based rank of the first retrieved span that is evidence (None: no hit in the list).

    >>> first_hit([("a", 0, 5), ("b", 0, 5)], lambda doc, s, e: doc == "b")
    2
    """
    for i, (doc, s, e) in enumerate(spans, 1):
        if hit(doc, s, e):
            return i
    return None


def retrieval_summary(ranks: Sequence[int | None]) -> dict[str, float | int | None]:
    """hit@k for :data:`KS` and MRR (over the top :data:`K_MAX`) of first-hit ranks.

    >>> retrieval_summary([1, None])
    {'n': 2, 'hit@1': 0.5, 'hit@5': 0.5, 'hit@10': 0.5, 'mrr': 0.5}
    """
    n = len(ranks)
    out: dict[str, float | int | None] = {"n": n}
    for k in KS:
        out[f"hit@{k}"] = (sum(1 for r in ranks if r is not None and r <= k) / n) if n else None
    out["mrr"] = (sum(1.0 / r for r in ranks if r is not None and r <= K_MAX) / n) if n else None
    return out


def pct(xs: Sequence[float], p: float) -> float | None:
    """The ``p``-th percentile of ``xs`` (None when empty)."""
    return percentile(list(xs), p)


def run_system(
    system: BenchSystem, questions: Sequence[BenchQuestion], say: Say, answers: bool = True, show: bool = False,
) -> dict[str, Any]:
    """Retrieve (top :data:`K_MAX`) and answer every question; score both; time both (``show``: a
    progress bar with its ETA on stderr)."""
    records = []
    t_ret: list[float] = []
    t_ans: list[float] = []
    bar = tqdm(total=len(questions), desc=f"{system.name}: questions", unit="q", disable=not show, leave=False)
    for i, q in enumerate(questions, 1):
        t0 = time.perf_counter()
        spans = system.retrieve(q.question, K_MAX)
        t1 = time.perf_counter()
        t_ret.append((t1 - t0) * 1000)
        rank = first_hit(spans, q.hit) if q.hit is not None else None
        rec: dict[str, Any] = {"id": q.id, "group": q.group, "rank": rank, "has_evidence": q.hit is not None,
                               "retrieved": [f"{d}:{s}-{e}" for d, s, e in spans[:3]]}
        if answers:
            t2 = time.perf_counter()
            ans = system.answer(q.question)
            t_ans.append((time.perf_counter() - t2) * 1000)
            sc = scoring.score(q.answer, ans.text, ans.abstained, ans.value)
            rec.update({"kind": sc.kind, "correct": sc.correct, "detail": sc.detail, "abstained": ans.abstained,
                        "value": ans.value, "answer_type": ans.answer_type,
                        "answer": " ".join(ans.text.split())[:300], "gold": " ".join(q.answer.split())[:300]})
        records.append(rec)
        bar.update()
        if not show and (i % 25 == 0 or i == len(questions)):
            say(f"{system.name}: {i}/{len(questions)} questions")
    bar.close()
    return {"records": records, **summarize(records, t_ret, t_ans)}


def answer_summaries(records: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Answer accuracy of scored records: overall and per kind, and overall per question group."""
    answers = scoring.summarize(scoring.Score(r["kind"], r["correct"]) for r in records)
    groups = sorted({r["group"] for r in records if r["group"]})
    by_group = {
        g: scoring.summarize(scoring.Score(r["kind"], r["correct"]) for r in records if r["group"] == g)["all"]
        for g in groups
    }
    return answers, by_group


def summarize(records: Sequence[dict[str, Any]], t_ret: Sequence[float], t_ans: Sequence[float]) -> dict[str, Any]:
    """Retrieval figures (overall and per group), answer figures when answered, and latencies."""
    ev = [r for r in records if r["has_evidence"]]
    out: dict[str, Any] = {"retrieval": retrieval_summary([r["rank"] for r in ev])}
    groups = sorted({r["group"] for r in ev if r["group"]})
    out["retrieval_by_group"] = {g: retrieval_summary([r["rank"] for r in ev if r["group"] == g]) for g in groups}
    out["retrieval_by_half"] = retrieval_by_half(records)  # it keeps the records with evidence itself
    if records and "kind" in records[0]:
        answers, by_group = answer_summaries(records)
        out["answers"] = answers
        out["abstained"] = sum(bool(r["abstained"]) for r in records)
        out["answers_by_group"] = by_group
    out["latency_ms"] = {
        "retrieve_p50": pct(t_ret, 50), "retrieve_p95": pct(t_ret, 95),
        "answer_p50": pct(t_ans, 50), "answer_p95": pct(t_ans, 95),
        "retrieve_total_s": sum(t_ret) / 1000, "answer_total_s": sum(t_ans) / 1000,
    }
    return out


def retrieval_by_half(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, float | int | None]]:
    """Retrieval figures of the records with evidence on each :func:`~eval.bench_common.tuning_half`."""
    ev = [r for r in records if r["has_evidence"]]
    return {h: retrieval_summary([r["rank"] for r in ev if tuning_half(str(r["id"])) == h]) for h in HALVES}


def rescore(report: dict[str, Any]) -> dict[str, Any]:
    """Score the stored answers again with the current scorer (after a scorer change; no re-run)."""
    for r in report["results"].values():
        recs = r["records"]
        if not recs or "kind" not in recs[0]:
            continue
        for rec in recs:
            sc = scoring.score(rec["gold"], rec["answer"], rec["abstained"], rec.get("value"))
            rec.update({"kind": sc.kind, "correct": sc.correct, "detail": sc.detail})
        r["answers"], r["answers_by_group"] = answer_summaries(recs)
    report["rescored"] = time.strftime("%Y-%m-%d %H:%M")
    return report


# ---- both systems on one benchmark --------------------------------------------------------------------


@dataclass(frozen=True)
class Chunking:
    """A benchmark's published chunking, which the baseline's ``SentenceSplitter`` applies.

    >>> Chunking(1024, 30, "chars").describe()
    '1024-character chunks, 30 overlap'
    """

    size: int
    overlap: int
    unit: str  # "chars" or "tokens" (llama-index's default tokenizer)

    def describe(self) -> str:
        return f"{self.size}-{'character' if self.unit == 'chars' else 'token'} chunks, {self.overlap} overlap"


@dataclass
class BenchRun:
    """One benchmark run: kgqa's index and its ingest figures, the questions asked, the systems' results."""

    benchmark: str
    bench: Path
    settings: Settings
    qa: QA
    kgqa_ingest: dict[str, Any]
    questions: list[BenchQuestion]
    questions_total: int
    sample: int | None
    seed: int
    t_start: float
    paths: list[str] = field(default_factory=list)  # what was ingested (the baseline reads the same files)
    results: dict[str, dict[str, Any]] | None = None
    baseline: ChunkedBaseline | None = None
    baseline_ingest: dict[str, Any] | None = None
    backend_ingests: dict[str, dict[str, Any]] = field(default_factory=dict)  # system name -> its ingest


def open_kgqa(
    paths: Sequence[Path], settings: Settings, say: Say, fresh: bool, show: bool = False,
) -> tuple[dict[str, Any], QA]:
    """Ingest ``paths`` into kgqa's benchmark index in a fresh process (an unchanged index is reused),
    so that its peak RSS is its own, and load the index here (``show``: the ingest's progress bar)."""
    args = {"paths": [str(p) for p in paths], "index": str(settings.index_dir), "fresh": fresh,
            "use_graph": settings.use_graph, "progress": show, "backend": settings.embed_backend}
    kg_ingest, _ = run_worker("kgqa-ingest", args, show=show)
    say(f"kgqa: {kg_ingest['documents']} documents, {kg_ingest['chunks']} chunks"
        + (" (index reused)" if kg_ingest.get("reused") else f", ingest {kg_ingest['wall_s']:.0f} s"))
    return kg_ingest, QA.load(settings.index_dir, settings)


def backend_name(backend: str) -> str:
    """The system name of kgqa run with another encoder backend than the configured one.

    >>> backend_name("onnx-int8")
    'kgqa[onnx-int8]'
    """
    return f"kgqa[{backend}]"


def run_backends(run: BenchRun, backends: Sequence[str], fresh: bool, say: Say, show: bool = False) -> None:
    """kgqa again with each of ``backends`` (other than the configured one) as its encoder: its own
    index beside the main one (``index-<backend>``, ingested in a fresh process), its results as
    :func:`backend_name`, and its ingest figures in ``run.backend_ingests``."""
    assert run.results is not None
    for b in dict.fromkeys(backends):
        if b in (run.settings.embed_backend, encoder_backend(run.settings)):
            continue
        idx = Path(run.settings.index_dir).parent / f"index-{b}"
        s = replace(run.settings, index_dir=idx, embed_backend=b)
        say(f"kgqa with the {b} encoder: ingesting into {idx}")
        ingest, qa = open_kgqa([Path(p) for p in run.paths], s, say, fresh, show)
        system = KgqaSystem(qa, backend_name(b))
        run.backend_ingests[system.name] = ingest
        run.results[system.name] = run_system(system, run.questions, say, show=show)


def run_systems(run: BenchRun, chunking: Chunking | None, say: Say, show: bool = False,
                backends: Sequence[str] = (), fresh: bool = False) -> BenchRun:
    """kgqa, kgqa with each other encoder backend in ``backends`` (:func:`run_backends`), then
    (unless ``chunking`` is None) the baseline, on the questions.

    The baseline is built in a fresh process (its ingest time and peak RSS are its own) over the same
    files, persisted beside kgqa's index, and loaded here to answer.
    """
    run.results = {"kgqa": run_system(KgqaSystem(run.qa), run.questions, say, show=show)}
    run_backends(run, backends, fresh, say, show)
    if chunking is None:
        return run
    say(f"baseline: building llama-index VectorStoreIndex ({chunking.describe()}) in a fresh process")
    persist = Path(run.settings.index_dir).parent / "baseline"
    args = {"paths": run.paths, "persist": str(persist), "chunking": [chunking.size, chunking.overlap, chunking.unit],
            "progress": show}
    built, wall = run_worker("baseline-chunked", args, show=show)
    docs = {d: r.raw for d, r in run.qa.index.docs.items()}
    bl = ChunkedBaseline.load(persist, docs, built["splitter"], built["timings"], settings=run.settings)
    bl.name = "baseline"
    run.baseline = bl
    run.baseline_ingest = {**built, "process_s": round(wall, 2)}
    run.results["baseline"] = run_system(bl, run.questions, say, show=show)
    return run


def chunk_stats(qa: QA, bl: ChunkedBaseline | None) -> dict[str, Any]:
    """Passage sizes of both systems (the usual reason one retrieves better than the other)."""
    lens = [c.end - c.start for c in qa.index.chunks]
    out: dict[str, Any] = {
        "kgqa_chunks": len(lens),
        "kgqa_chunk_chars_mean": statistics.mean(lens) if lens else None,
        "kgqa_chunk_chars_median": statistics.median(lens) if lens else None,
        "kgqa_single_unit_share": (sum(1 for c in qa.index.chunks if len(c.units) == 1) / len(lens)) if lens else None,
        "kgqa_sections": len({(c.doc, c.section) for c in qa.index.chunks}),
    }
    if bl is not None:
        nl = [len(n.get_content()) for n in bl.index.docstore.docs.values()]
        out["baseline_nodes"] = len(nl)
        out["baseline_node_chars_mean"] = statistics.mean(nl) if nl else None
    return out


def run_report(run: BenchRun, use_graph: bool, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON report of a run; ``extra`` (benchmark-specific fields) follows ``use_graph``."""
    s = run.settings
    return {
        "benchmark": run.benchmark, "passages": chunk_stats(run.qa, run.baseline), "bench_dir": str(run.bench),
        "questions": len(run.questions), "questions_total": run.questions_total, "sample": run.sample,
        "seed": run.seed, "use_graph": use_graph, **(extra or {}),
        "kgqa_ingest": run.kgqa_ingest, "baseline_ingest": run.baseline_ingest, "results": run.results,
        "backend_ingests": run.backend_ingests,
        "kgqa_settings": {"chunk_chars": s.chunk_chars, "top_k": s.top_k, "use_graph": use_graph,
                          "embed_backend": encoder_backend(s)},
        "wall_s": round(time.perf_counter() - run.t_start, 1), "date": time.strftime("%Y-%m-%d %H:%M"),
    }
