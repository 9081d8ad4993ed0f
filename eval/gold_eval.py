"""Run the gold question set against a QA system and aggregate the metrics of ``eval.metrics``.

A *system* is anything with ``name``, ``docs`` (doc id -> raw text), ``answer(question)``
returning a :class:`~core.types.Answer`, and ``retrieve(question, k)`` returning
``(doc, start, end)`` raw spans of its top passages. :class:`KgqaSystem` wraps a
:class:`~engine.qa.QA`; ``eval.baseline.BaselineSystem`` is a plain llama-index pipeline.

>>> from eval.gold_eval import load_gold, GOLD_QA     # doctest: +SKIP
>>> report = evaluate(qa, load_gold(GOLD_QA))         # doctest: +SKIP
>>> report["summary"]["all"]["accuracy"]              # doctest: +SKIP
0.87
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from core.config import ROOT, Settings
from core.types import Answer
from engine.ingest import build_index
from engine.qa import QA
from eval import metrics as M
from eval.baseline import BaselineSystem
from eval.open_eval import doc_for, run_shapes
from eval.open_metrics import displayed_sentences, repeated_sentences
from kg.evaluate import score_graph

GOLD_QA = ROOT / "eval" / "gold" / "qa.jsonl"
GOLD_GRAPH = ROOT / "eval" / "gold" / "graph.json"
KS = (1, 3, 5, 10)
ABLATIONS = ("use_dense", "use_bm25", "use_rescoring", "use_graph")
Say = Callable[[str], None]
Evidence = list[list[tuple[str, tuple[int, int]]]]  # per gold quote: every (doc, span) it occurs at


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    type: str
    category: str
    answerable: bool
    answer: dict[str, Any] | None
    surface_forms: list[str]
    evidence: list[dict[str, str]]


def load_gold(path: str | Path = GOLD_QA) -> list[GoldQuestion]:
    """Read a gold JSONL file (one question object a line)."""
    out = []
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(GoldQuestion(d["id"], d["question"], d["type"], d["category"], bool(d["answerable"]),
                                    d.get("answer"), list(d.get("surface_forms", [])), list(d.get("evidence", []))))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path}:{line_no}: not a gold question ({exc})") from exc
    return out


class System(Protocol):
    name: str

    @property
    def docs(self) -> dict[str, str]: ...

    def answer(self, question: str) -> Answer: ...

    def retrieve(self, question: str, k: int) -> list[tuple[str, int, int]]: ...


class KgqaSystem:
    """The kgqa pipeline behind the evaluation interface."""

    def __init__(self, qa: QA, name: str = "kgqa") -> None:
        self.qa = qa
        self.name = name
        self._chunks = {c.key: c for c in qa.index.chunks}

    @property
    def docs(self) -> dict[str, str]:
        return {d: r.raw for d, r in self.qa.index.docs.items()}

    def answer(self, question: str) -> Answer:
        return self.qa.ask(question)

    def answer_open(self, question: str) -> Answer:
        """Open questions and comparisons go through the same ``QA.ask`` (it shapes the answer)."""
        return self.qa.ask(question)

    def retrieve(self, question: str, k: int) -> list[tuple[str, int, int]]:
        out = []
        for p in self.qa.search(question, k=k).passages:
            c = self._chunks.get(p.chunk_id)
            if c is not None:
                out.append((c.doc, c.start, c.end))
        return out


# ---- gold evidence ----------------------------------------------------------------------------------


def resolve_evidence(q: GoldQuestion, docs: dict[str, str]) -> tuple[Evidence, list[str]]:
    """Raw spans of each gold quote, and a warning for each quote that cannot be found."""
    ev: Evidence = []
    warnings = []
    for e in q.evidence:
        did = doc_for(e["doc"], docs)
        spans = M.locate_quote(docs[did], e["quote"]) if did else []
        if not spans:
            warnings.append(f"{q.id}: evidence not found in {e['doc']}: {e['quote'][:60]!r}")
        ev.append([(did or e["doc"], s) for s in spans])
    return ev, warnings


# ---- one question -----------------------------------------------------------------------------------


def evaluate_question(system: System, q: GoldQuestion, evidence: Evidence, k_max: int = max(KS)) -> dict[str, Any]:
    """Ask one gold question and score everything about the answer."""
    t0 = time.perf_counter()
    ans = system.answer(q.question)
    latency = (time.perf_counter() - t0) * 1000
    rec: dict[str, Any] = {
        "id": q.id, "question": q.question, "category": q.category, "type": q.type, "answerable": q.answerable,
        "gold": q.answer, "gold_surface": q.surface_forms[:1], "got": ans.text, "value": ans.value,
        "abstained": bool(ans.abstained), "detected_type": ans.answer_type, "route": ans.route,
        "latency_ms": round(latency, 2),
        "citations": [{"n": c.n, "doc": c.doc, "start": c.start, "end": c.end} for c in ans.citations],
        "repeated": repeated_sentences(displayed_sentences(ans)),  # sentences said twice in one answer
    }
    faith, checks = M.faithfulness(ans.text, ans.citations) if not ans.abstained else (None, [])
    rec["faithfulness"] = faith
    rec["unfaithful"] = [c.text for c in checks if not c.faithful]
    if not q.answerable:
        rec.update(correct=bool(ans.abstained), strict=bool(ans.abstained), supported=None, list_recall=None,
                   citation_precision=None, citation_recall=None, ranks=[], rr=None, passage_chars=None,
                   **{f"recall@{k}": None for k in KS}, detail="")
        rec["failure"] = None if ans.abstained else _answered_unanswerable(ans)
        return rec
    assert q.answer is not None
    score = M.score_answer(q.answer, ans.text, q.type)
    correct = score.correct and not ans.abstained
    sup = M.supported(score, ans.citations) if correct else None
    passages = system.retrieve(q.question, k_max)
    ranks = M.evidence_ranks(passages, evidence)
    rec.update(
        correct=correct,
        supported=sup,
        strict=bool(correct and sup),
        list_recall=(0.0 if ans.abstained else score.recall) if q.answer["kind"] == "list" else None,
        citation_precision=None if ans.abstained else M.citation_precision(ans.citations, evidence),
        citation_recall=0.0 if ans.abstained else M.citation_recall(ans.citations, evidence),
        ranks=ranks,
        rr=M.reciprocal_rank(ranks),
        passage_chars=M.mean(e - s for _, s, e in passages),
        **{f"recall@{k}": M.recall_at_k(ranks, k) for k in KS},
        detail=score.detail,
    )
    rec["failure"] = None if rec["strict"] else _failure(q, ans, score, rec, evidence)
    return rec


def _answered_unanswerable(ans: Answer) -> str:
    got = ans.value or M.first_sentence(ans.text).strip()
    return f"answered an unanswerable question (detected {ans.answer_type or '?'}): {got[:80]!r}"


def _where(rec: dict[str, Any], ans: Answer, evidence: Evidence) -> str:
    """Where the gold evidence was: cited, retrieved at some rank, or nowhere in the top 10."""
    flat = [occ for ev in evidence for occ in ev]
    if any(M.cites_evidence(c, flat) for c in ans.citations) and not ans.abstained:
        return "gold evidence cited"
    found = [r for r in rec["ranks"] if r is not None]
    if found:
        return f"gold evidence retrieved (passage rank {min(found)}) but not cited"
    return f"gold evidence not in top {max(KS)} passages"


def _failure(q: GoldQuestion, ans: Answer, score: M.AnswerScore, rec: dict[str, Any], evidence: Evidence) -> str:
    dt = ans.answer_type or "?"
    typ = "" if _type_ok(q.type, dt) else f"; detected type {dt}, gold {q.type}"
    where = _where(rec, ans, evidence)
    if ans.abstained:
        return f"abstained wrongly{typ}; {where}"
    if score.correct:
        return f"right answer but no cited span holds it{typ}; {where}"
    return f"{score.detail}{typ}; {where}"


_TYPE_FAMILY = {"range": {"range", "percentage", "amount", "multiple", "duration"}, "reason": {"open"}}


def _type_ok(gold: str, detected: str) -> bool:
    return gold == detected or gold == "other" or detected in _TYPE_FAMILY.get(gold, set())


# ---- aggregation ------------------------------------------------------------------------------------


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Averages over a group of question records (``None`` where a metric does not apply)."""
    ans = [r for r in records if r["answerable"]]
    given = [r for r in ans if not r["abstained"]]
    lat = [r["latency_ms"] for r in records]
    p, rc = M.abstention_pr((r["answerable"], r["abstained"]) for r in records)
    out: dict[str, Any] = {
        "n": len(records),
        "answerable": len(ans),
        "unanswerable": len(records) - len(ans),
        "accuracy": M.mean(r["strict"] for r in ans),  # correct AND a cited span holds the answer
        "accuracy_lenient": M.mean(r["correct"] for r in ans),
        "accuracy_all": M.mean(r["strict"] for r in records),  # unanswerable count when abstained on
        "support_rate": M.mean(r["supported"] for r in ans if r["correct"]),
        "list_recall": M.mean(r["list_recall"] for r in ans),
        "citation_precision": M.mean(r["citation_precision"] for r in given),
        "citation_recall": M.mean(r["citation_recall"] for r in ans),
        "abstention_precision": p,
        "abstention_recall": rc,
        "false_abstentions": sum(r["abstained"] for r in ans),
        "faithfulness": M.mean(r["faithfulness"] for r in records if not r["abstained"]),
        "mrr": M.mean(r["rr"] for r in ans),
        "passage_chars": M.mean(r["passage_chars"] for r in ans),
        "latency_p50_ms": M.percentile(lat, 50),
        "latency_p95_ms": M.percentile(lat, 95),
        "repeated_per_answer": M.mean(r.get("repeated") for r in records),
        "answers_with_repeats": sum(bool(r.get("repeated")) for r in records),
    }
    for k in KS:
        out[f"recall@{k}"] = M.mean(r[f"recall@{k}"] for r in ans)
    return out


def _groups(records: Sequence[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    names = sorted({r[key] for r in records})
    return {n: summarize([r for r in records if r[key] == n]) for n in names}


def run_gold(
    system: System, questions: Sequence[GoldQuestion], say: Say | None = None, warmup: bool = True
) -> dict[str, Any]:
    """Every question through ``system``: per-question records and the summaries."""
    say = say or (lambda _m: None)
    docs = system.docs
    if warmup and questions:  # first-call costs (lazy model loads) are not per-question latency
        system.answer(questions[0].question)
    records, warnings = [], []
    t0 = time.perf_counter()
    for i, q in enumerate(questions, 1):
        ev, warn = resolve_evidence(q, docs) if q.answerable else ([], [])
        warnings.extend(warn)
        records.append(evaluate_question(system, q, ev))
        if i % 25 == 0:
            say(f"{system.name}: {i}/{len(questions)} questions")
    return {
        "system": system.name,
        "summary": summarize(records),
        "by_category": _groups(records, "category"),
        "by_type": _groups(records, "type"),
        "records": records,
        "warnings": warnings,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def flips(base: Sequence[dict[str, Any]], other: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """Question ids that ``other`` gets right and ``base`` wrong (``gained``) and the reverse (``lost``)."""
    b = {r["id"]: r["strict"] for r in base}
    o = {r["id"]: r["strict"] for r in other}
    return {
        "gained": sorted(i for i in o if o[i] and not b.get(i, False)),
        "lost": sorted(i for i in o if b.get(i, False) and not o[i]),
    }


# ---- ablations and chunk sweep ----------------------------------------------------------------------------


def run_ablations(
    qa: QA, questions: Sequence[GoldQuestion], full: dict[str, Any], say: Say | None = None,
    stages: Iterable[str] = ABLATIONS,
) -> dict[str, Any]:
    """The gold run with each stage switched off, on the same loaded index (nothing rebuilt)."""
    say = say or (lambda _m: None)
    out: dict[str, Any] = {}
    for flag in stages:
        if not getattr(qa.settings, flag):
            continue  # already off in the full run
        say(f"ablation: {flag}=False")
        sub = QA(qa.snapshot, qa.settings.with_values({flag: False}))
        run = run_gold(KgqaSystem(sub, name=f"no {flag.removeprefix('use_')}"), questions, say)
        note = ""
        if flag == "use_graph" and qa.graph is None:
            note = "index has no graph: this ablation equals the full run"
        out[flag] = {"summary": run["summary"], "flips": flips(full["records"], run["records"]), "note": note,
                     "by_category": run["by_category"]}
    return out


def sweep_chunks(
    settings: Settings, sizes: Sequence[int], questions: Sequence[GoldQuestion], say: Say | None = None,
    paths: Sequence[Path] | None = None,
) -> list[dict[str, Any]]:
    """Build a temporary index per ``chunk_chars`` and score each (how the default was chosen)."""
    say = say or (lambda _m: None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kgqa-sweep-") as tmp:
        for n in sizes:
            s = settings.with_values({"chunk_chars": int(n), "index_dir": Path(tmp) / f"chunks-{n}"})
            say(f"chunk sweep: building an index with chunk_chars={n}")
            t0 = time.perf_counter()
            rep = build_index(list(paths or [settings.corpus_dir]), s)
            build_s = time.perf_counter() - t0
            qa = QA.load(s.index_dir, s)
            run = run_gold(KgqaSystem(qa, name=f"chunks={n}"), questions, say)
            sizes_ = [c.end - c.start for c in qa.index.chunks]
            rows.append({
                "chunk_chars": int(n),
                "chunks": rep.n_chunks,
                "mean_chunk_chars": round(sum(sizes_) / max(1, len(sizes_)), 1),
                "build_s": round(build_s, 2),
                **{k: run["summary"][k] for k in ("accuracy", "accuracy_lenient", "citation_precision",
                                                   "citation_recall", "mrr", *(f"recall@{k}" for k in KS))},
            })
    return rows


def graph_scores(qa: QA, gold_path: Path = GOLD_GRAPH) -> dict[str, Any]:
    """``kg.evaluate.score_graph`` on the index's graph, or why it could not run."""
    store = qa.graph
    if store is None:
        return {"error": "the index has no knowledge graph"}
    return dict(score_graph(store, gold_path))


# ---- the whole evaluation -----------------------------------------------------------------------------


def evaluate(
    qa: QA,
    questions: Sequence[GoldQuestion],
    ablations: bool = True,
    baseline: bool = True,
    graph: bool = False,
    sweep: Sequence[int] = (),
    say: Say | None = None,
    shapes: tuple[Sequence[Any], Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """The full report: kgqa, its ablations, the llama-index baseline, the graph and a chunk sweep;
    with ``shapes`` (open and comparison gold, :mod:`eval.open_eval`) also point coverage, cell
    accuracy and redundancy, for kgqa and the baseline."""
    say = say or (lambda _m: None)
    say(f"kgqa: {len(questions)} gold questions")
    main = run_gold(KgqaSystem(qa), questions, say)
    report: dict[str, Any] = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": git_commit(),
        "settings": _settings_view(qa.settings),
        "index": {"root": str(qa.snapshot.root), "documents": len(qa.index.docs), "chunks": len(qa.index.chunks),
                  "units": len(qa.index.units), "graph": qa.graph is not None},
        "questions": len(questions),
        "kgqa": main,
    }
    if shapes is not None:
        say(f"kgqa: {len(shapes[0])} open questions, {len(shapes[1])} comparisons")
        report["shapes"] = {"kgqa": run_shapes(KgqaSystem(qa), shapes[0], shapes[1], say)}
    if ablations:
        report["ablations"] = run_ablations(qa, questions, main, say)
    if baseline:
        say("baseline: building a llama-index VectorStoreIndex with the same embedding model")
        base = BaselineSystem.build(KgqaSystem(qa).docs, settings=qa.settings)
        run = run_gold(base, questions, say)
        run["build_s"] = base.build_s
        run["config"] = base.config()
        report["baseline"] = run
        report["comparison"] = compare(main["summary"], run["summary"])
        report["baseline_flips"] = flips(run["records"], main["records"])
        if shapes is not None:
            report["shapes"]["baseline"] = run_shapes(base, shapes[0], shapes[1], say)
    if graph:
        say("graph: scoring the knowledge graph against eval/gold/graph.json")
        report["graph"] = graph_scores(qa)
    if sweep:
        report["chunk_sweep"] = sweep_chunks(qa.settings, sweep, questions, say)
    return report


COMPARED = ("accuracy", "accuracy_lenient", "support_rate", "citation_precision", "citation_recall",
            "abstention_precision", "abstention_recall", "faithfulness", *(f"recall@{k}" for k in KS), "mrr",
            "passage_chars", "latency_p50_ms", "latency_p95_ms")


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """``a`` vs ``b`` for each compared metric, with the ratio ``a / b``."""
    out = {}
    for k in COMPARED:
        x, y = a.get(k), b.get(k)
        ratio = None if x is None or y is None or y == 0 else x / y
        out[k] = {"kgqa": x, "baseline": y, "ratio": ratio}
    return out


def git_commit() -> str | None:
    """The checked-out commit (``+dirty`` when the work tree has changes), if this is a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def _settings_view(s: Settings) -> dict[str, Any]:
    keys = ("model", "chunk_chars", "chunk_overlap_units", "top_k", "dense_k", "bm25_k", "rrf_k", "use_dense",
            "use_bm25", "use_rescoring", "use_graph", "abstain_threshold", "max_support")
    return {k: getattr(s, k) for k in keys}
