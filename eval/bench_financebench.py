"""FinanceBench (Islam et al. 2023) against kgqa and the llama-index baseline, plus the shared bench runner.

Two modes, both with ONE shared index (the paper's "shared vector store"):

* ``pages``: every distinct ``evidence_text_full_page`` (168 pages of 84 filings) is a document
  named ``DOC_NAME#p<page>`` (written as a ``.txt`` file whose name is that name URL-quoted);
  all 150 questions; an evidence hit is a retrieved passage from the evidence page.
* ``filings``: the 15 whole PDFs under ``pdfs/``; the 40 questions on them; an evidence hit is a
  retrieved chunk whose span overlaps the evidence page (``evidence_page_num`` is 0-based in the
  data, ``DocRecord.page_of`` 1-based).

The runner (:func:`run_systems`, :func:`kgqa_ingest`, :class:`ChunkedBaseline`, ...) is shared with
``eval.bench_lihua``. Data are read from the bench folder (``--bench-dir``, ``$KGQA_BENCH_DIR``,
default ``../shared/bench`` beside the repo) and never copied into the repo.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import ROOT, Settings, set_offline_env
from core.errors import ConfigError
from eval import scoring
from eval.baseline import BaselineSystem
from eval.gold_eval import KgqaSystem

KS = (1, 5, 10)
K_MAX = max(KS)
REPORTS = ROOT / "eval" / "reports"
Say = Callable[[str], None]
Hit = Callable[[str, int, int], bool]  # (doc, start, end) of a retrieved passage -> is it evidence?

PUBLISHED = [
    ("GPT-4-Turbo, shared vector store (all filings)", "19.3% (101 refusals)"),
    ("GPT-4, shared vector store", "16.7%"),
    ("Llama 2, shared vector store", "19.3%"),
    ("GPT-4-Turbo, per-filing vector store", "50.0%"),
    ("GPT-4-Turbo, whole filing in context (reverse order)", "78.7%"),
    ("GPT-4-Turbo, oracle evidence page", "85.3–89.3%"),
    ("GPT-4-Turbo, closed book", "9.3%"),
]


# ---- paths ----------------------------------------------------------------------------------------


def bench_dir(given: Path | str | None = None) -> Path:
    """The public-benchmark folder: ``given``, else ``$KGQA_BENCH_DIR``, else ``../shared/bench`` beside the repo."""
    p = Path(given or os.environ.get("KGQA_BENCH_DIR") or (ROOT.parent / "shared" / "bench")).expanduser()
    return p.resolve()


def work_dir(given: Path | str | None = None) -> Path:
    """Where benchmark corpora and indexes are built (outside the repo; reused across runs)."""
    p = Path(given or os.environ.get("KGQA_BENCH_WORK") or (Path(tempfile.gettempdir()) / "kgqa-bench"))
    p.mkdir(parents=True, exist_ok=True)
    return p


def need(path: Path, what: str) -> Path:
    if not path.exists():
        raise ConfigError(
            f"{what} not found at {path}; pass --bench-dir or set KGQA_BENCH_DIR to the folder holding "
            "financebench/ and lihua-world/"
        )
    return path


def dir_bytes(path: Path) -> int:
    """Size on disk of the files under ``path`` (the index generation folder)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def sample(items: Sequence[Any], n: int | None, seed: int) -> list[Any]:
    """A fixed-seed sample of ``n`` items, kept in their original order (all of them when ``n`` is None)."""
    items = list(items)
    if n is None or n >= len(items):
        return items
    keep = set(random.Random(seed).sample(range(len(items)), n))
    return [x for i, x in enumerate(items) if i in keep]


# ---- questions ------------------------------------------------------------------------------------


@dataclass
class BenchQuestion:
    """One benchmark question; ``hit`` tells whether a retrieved span is evidence (None: no evidence)."""

    id: str
    question: str
    answer: str
    group: str = ""
    hit: Hit | None = None
    evidence: list[str] = field(default_factory=list)


# ---- kgqa -----------------------------------------------------------------------------------------


def kgqa_settings(index_dir: Path, use_graph: bool = True, top_k: int | None = None) -> Settings:
    over: dict[str, Any] = {"index_dir": index_dir, "use_graph": use_graph}
    if top_k:
        over["top_k"] = top_k
    return Settings.load(overrides=over)


def kgqa_ingest(paths: Sequence[Path], settings: Settings, say: Say, fresh: bool = False) -> dict[str, Any]:
    """Build (or reuse) the kgqa index of ``paths``; return the ingest figures.

    A build that did work stores its figures in ``<index_dir>/../ingest.json``; when the index is
    already up to date those stored figures are returned with ``reused: True`` (the timings are
    those of the build that made it).
    """
    from engine.ingest import build_index
    from engine.store import FileStore

    index_dir = Path(settings.index_dir)
    record = index_dir.parent / f"{index_dir.name}.ingest.json"
    if fresh and index_dir.exists():
        shutil.rmtree(index_dir)
    t0 = time.perf_counter()
    report = build_index(list(paths), settings, say=say)
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


# ---- the baseline ---------------------------------------------------------------------------------


class ChunkedBaseline(BaselineSystem):
    """``eval.baseline.BaselineSystem`` with a benchmark's published chunking (llama-index ``SentenceSplitter``).

    ``unit="chars"`` counts characters (FinanceBench: 1024 characters, 30 overlap), ``"tokens"``
    llama-index's default tokenizer (LiHua-World: 1200 tokens, 100 overlap).
    """

    def __init__(self, *args: Any, splitter_desc: str = "", timings: dict[str, float] | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.splitter_desc = splitter_desc
        self.timings = timings or {}

    @classmethod
    def build_chunked(
        cls, docs: dict[str, str], chunk_size: int, chunk_overlap: int, unit: str = "tokens",
        settings: Settings | None = None, top_k: int | None = None, embed_model: Any = None,
    ) -> ChunkedBaseline:
        set_offline_env()
        settings = settings or Settings()
        t0 = time.perf_counter()
        from llama_index.core import Document, VectorStoreIndex
        from llama_index.core import Settings as LISettings
        from llama_index.core.node_parser import SentenceSplitter

        from eval.baseline import _no_llm

        if embed_model is None:
            from llama_index.embeddings.huggingface import HuggingFaceEmbedding

            from retrieval.embedding import model_path

            _quiet()
            embed_model = HuggingFaceEmbedding(
                model_name=str(model_path(settings.model)), device="cpu", embed_batch_size=settings.embed_batch_size
            )
            desc = f"HuggingFaceEmbedding({model_path(settings.model).name}, batch {settings.embed_batch_size})"
        else:
            desc = type(embed_model).__name__
        _no_llm(LISettings)
        LISettings.embed_model = embed_model
        kw: dict[str, Any] = {"chunk_size": chunk_size, "chunk_overlap": chunk_overlap}
        if unit == "chars":
            kw["tokenizer"] = list
        splitter = SentenceSplitter(**kw)
        documents = [Document(text=raw, metadata={"doc": did}) for did, raw in sorted(docs.items())]
        for d in documents:  # the doc id is for scoring, not for the embedded text
            d.excluded_embed_metadata_keys = ["doc"]
            d.excluded_llm_metadata_keys = ["doc"]
        t1 = time.perf_counter()
        nodes = splitter.get_nodes_from_documents(documents)
        t2 = time.perf_counter()
        index = VectorStoreIndex(nodes, embed_model=embed_model)
        t3 = time.perf_counter()
        timings = {"load": round(t1 - t0, 2), "split": round(t2 - t1, 2), "embed+index": round(t3 - t2, 2),
                   "total": round(t3 - t0, 2)}
        return cls(index, docs, top_k or settings.top_k, desc, round(t3 - t0, 2),
                   splitter_desc=f"SentenceSplitter(chunk_size={chunk_size} {unit}, chunk_overlap={chunk_overlap})",
                   timings=timings)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "splitter": self.splitter_desc}

    def index_bytes(self) -> int:
        """Size of the persisted llama-index storage (docstore + vectors), written to a temp folder."""
        with tempfile.TemporaryDirectory() as tmp:
            self.index.storage_context.persist(persist_dir=tmp)
            return dir_bytes(Path(tmp))


def _quiet() -> None:
    try:
        from eval.baseline import _quiet_transformers
    except ImportError:
        return
    _quiet_transformers()


# ---- running --------------------------------------------------------------------------------------


def first_hit(spans: Sequence[tuple[str, int, int]], hit: Hit) -> int | None:
    """1-based rank of the first retrieved span that is evidence (None: no hit in the list)."""
    for i, (doc, s, e) in enumerate(spans, 1):
        if hit(doc, s, e):
            return i
    return None


def retrieval_summary(ranks: Sequence[int | None]) -> dict[str, float | int | None]:
    """hit@k for :data:`KS` and MRR (over the top :data:`K_MAX`) of first-hit ranks."""
    n = len(ranks)
    out: dict[str, float | int | None] = {"n": n}
    for k in KS:
        out[f"hit@{k}"] = (sum(1 for r in ranks if r is not None and r <= k) / n) if n else None
    out["mrr"] = (sum(1.0 / r for r in ranks if r is not None and r <= K_MAX) / n) if n else None
    return out


def pct(xs: Sequence[float], p: float) -> float | None:
    from eval.metrics import percentile

    return percentile(list(xs), p)


def run_system(system: Any, questions: Sequence[BenchQuestion], say: Say, answers: bool = True) -> dict[str, Any]:
    """Retrieve (top :data:`K_MAX`) and answer every question; score both; time both."""
    records = []
    t_ret: list[float] = []
    t_ans: list[float] = []
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
            sc = scoring.score(q.answer, ans.text, ans.abstained, getattr(ans, "value", None))
            rec.update({"kind": sc.kind, "correct": sc.correct, "detail": sc.detail, "abstained": ans.abstained,
                        "value": getattr(ans, "value", None),
                        "answer": " ".join(ans.text.split())[:300], "gold": " ".join(q.answer.split())[:300]})
        records.append(rec)
        if i % 25 == 0 or i == len(questions):
            say(f"{system.name}: {i}/{len(questions)} questions")
    return {"records": records, **summarize(records, t_ret, t_ans)}


def summarize(records: Sequence[dict[str, Any]], t_ret: Sequence[float], t_ans: Sequence[float]) -> dict[str, Any]:
    ev = [r for r in records if r["has_evidence"]]
    out: dict[str, Any] = {"retrieval": retrieval_summary([r["rank"] for r in ev])}
    groups = sorted({r["group"] for r in ev if r["group"]})
    out["retrieval_by_group"] = {g: retrieval_summary([r["rank"] for r in ev if r["group"] == g]) for g in groups}
    if records and "kind" in records[0]:
        out["answers"] = scoring.summarize(scoring.Score(r["kind"], r["correct"]) for r in records)
        out["abstained"] = sum(bool(r["abstained"]) for r in records)
        ag = sorted({r["group"] for r in records if r["group"]})
        out["answers_by_group"] = {
            g: scoring.summarize(scoring.Score(r["kind"], r["correct"]) for r in records if r["group"] == g)["all"]
            for g in ag
        }
    out["latency_ms"] = {
        "retrieve_p50": pct(t_ret, 50), "retrieve_p95": pct(t_ret, 95),
        "answer_p50": pct(t_ans, 50), "answer_p95": pct(t_ans, 95),
        "retrieve_total_s": sum(t_ret) / 1000, "answer_total_s": sum(t_ans) / 1000,
    }
    return out


def chunk_stats(qa: Any, bl: Any | None) -> dict[str, Any]:
    """Passage sizes of both systems (the usual reason one retrieves better than the other)."""
    import statistics

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


def behind(results: dict[str, dict[str, Any]]) -> list[str]:
    """Figures where kgqa is below the baseline (retrieval and answer accuracy)."""
    if "baseline" not in results:
        return []
    k, b = results["kgqa"], results["baseline"]
    out = []
    for key in (*(f"hit@{x}" for x in KS), "mrr"):
        if (k["retrieval"][key] or 0) < (b["retrieval"][key] or 0):
            out.append(f"{key} {fnum(k['retrieval'][key])} vs {fnum(b['retrieval'][key])}")
    for kind, v in k["answers"].items():
        bv = b["answers"][kind]
        if v["n"] and (v["accuracy"] or 0) < (bv["accuracy"] or 0):
            out.append(f"answers ({kind}) {fnum(v['accuracy'])} vs {fnum(bv['accuracy'])}")
    return out


def ingest_gap(report: dict[str, Any]) -> list[str]:
    """A paragraph on ingest time and index size when kgqa is slower or bigger than the baseline."""
    kg, bl = report["kgqa_ingest"], report.get("baseline_ingest")
    if not bl:
        return []
    kt, bt = kg["timings_s"].get("total", 0), bl["timings"]["total"]
    if kt <= bt and kg["index_bytes"] <= bl["index_bytes"]:
        return []
    return [
        f"Ingest: kgqa took {kt:.0f} s vs {bt:.0f} s and its index is {kg['index_bytes'] / 1e6:.1f} MB vs "
        f"{bl['index_bytes'] / 1e6:.1f} MB: it embeds every unit (sentence, table row) as well as every chunk "
        f"({kg.get('embedded') or kg['units'] + kg['chunks']} texts vs the baseline's {bl['nodes']} nodes) for "
        "sentence-level re-scoring and exact citations, keeps two BM25 indexes and the raw text of every "
        f"document, and extracts the knowledge graph ({kg['timings_s'].get('graph', 0):.0f} s).",
        "",
    ]


def stats_line(st: dict[str, Any] | None) -> str:
    if not st:
        return ""
    line = (f"kgqa passages: {st['kgqa_chunks']} chunks, mean {st['kgqa_chunk_chars_mean']:.0f} / median "
            f"{st['kgqa_chunk_chars_median']:.0f} characters, {st['kgqa_single_unit_share']:.0%} of them a single "
            f"unit, {st['kgqa_sections']} distinct (document, section) pairs")
    if st.get("baseline_nodes"):
        line += f"; baseline: {st['baseline_nodes']} nodes, mean {st['baseline_node_chars_mean']:.0f} characters"
    return line + "."


def rescore(report: dict[str, Any]) -> dict[str, Any]:
    """Score the stored answers again with the current scorer (after a scorer change; no re-run)."""
    for r in report["results"].values():
        recs = r["records"]
        if not recs or "kind" not in recs[0]:
            continue
        for rec in recs:
            sc = scoring.score(rec["gold"], rec["answer"], rec["abstained"], rec.get("value"))
            rec.update({"kind": sc.kind, "correct": sc.correct, "detail": sc.detail})
        r["answers"] = scoring.summarize(scoring.Score(x["kind"], x["correct"]) for x in recs)
        groups = sorted({x["group"] for x in recs if x["group"]})
        r["answers_by_group"] = {
            g: scoring.summarize(scoring.Score(x["kind"], x["correct"]) for x in recs if x["group"] == g)["all"]
            for g in groups
        }
    report["rescored"] = time.strftime("%Y-%m-%d %H:%M")
    return report


# ---- report ---------------------------------------------------------------------------------------


def fnum(x: Any, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def retrieval_table(results: dict[str, dict[str, Any]], level: str) -> str:
    rows = []
    for name, r in results.items():
        s = r["retrieval"]
        rows.append([name, s["n"], *(fnum(s[f"hit@{k}"]) for k in KS), fnum(s["mrr"])])
    return md_table(["system", f"questions with evidence ({level} level)", *(f"hit@{k}" for k in KS), "MRR@10"], rows)


def answers_table(results: dict[str, dict[str, Any]]) -> str:
    kinds = [k for k in scoring.KINDS if any(r["answers"][k]["n"] for r in results.values())]
    first = next(iter(results.values()))["answers"]
    header = ["system", f"all (n={first['all']['n']})", f"without text rule (n={first['strict kinds']['n']})",
              *(f"{k} (n={first[k]['n']})" for k in kinds), "abstained"]
    rows = []
    for name, r in results.items():
        a = r["answers"]
        rows.append([name, fnum(a["all"]["accuracy"]), fnum(a["strict kinds"]["accuracy"]),
                     *(fnum(a[k]["accuracy"]) for k in kinds), r["abstained"]])
    return md_table(header, rows)


def latency_table(results: dict[str, dict[str, Any]]) -> str:
    rows = []
    for name, r in results.items():
        lat = r["latency_ms"]
        rows.append([name, fnum(lat["retrieve_p50"], 1), fnum(lat["retrieve_p95"], 1), fnum(lat["answer_p50"], 1),
                     fnum(lat["answer_p95"], 1), f"{lat['retrieve_total_s'] + lat['answer_total_s']:.1f}"])
    return md_table(["system", "retrieve p50 ms", "retrieve p95 ms", "answer p50 ms", "answer p95 ms",
                     "all queries s"], rows)


def ingest_table(kg: dict[str, Any], bl: dict[str, Any]) -> str:
    t = kg["timings_s"]
    rows = [
        ["kgqa" + (" (index reused; figures of the build that made it)" if kg.get("reused") else ""),
         kg["documents"], f"{kg['units']} units / {kg['chunks']} chunks", f"{t.get('total', 0):.1f}",
         f"parse {t.get('parse', 0):.1f}, embed {t.get('embed', 0):.1f}, index {t.get('index', 0):.1f}, "
         f"graph {t.get('graph', 0):.1f}", f"{kg['index_bytes'] / 1e6:.1f}"],
        ["baseline", bl["documents"], f"{bl['nodes']} nodes", f"{bl['timings']['total']:.1f}",
         ", ".join(f"{k} {v:.1f}" for k, v in bl["timings"].items() if k != "total"), f"{bl['index_bytes'] / 1e6:.1f}"],
    ]
    return md_table(["system", "documents", "pieces", "ingest s", "split s", "index MB on disk"], rows)


def misses(records: Sequence[dict[str, Any]], n: int = 8) -> list[str]:
    out = []
    for r in records:
        if r.get("kind") and not r["correct"] and len(out) < n:
            out.append(f"- `{r['id']}` ({r['kind']}): gold “{r['gold'][:120]}” — got “{r['answer'][:160]}” ({r['detail']})")
    return out


def write_outputs(name: str, report: dict[str, Any], markdown: str, out_dir: Path | None = None) -> tuple[Path, Path]:
    out_dir = Path(out_dir or REPORTS)
    out_dir.mkdir(parents=True, exist_ok=True)
    j = out_dir / f"{name}.json"
    m = out_dir / f"{name}.md"
    j.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    m.write_text(markdown, encoding="utf-8")
    return j, m


def hit_plot(name: str, results: dict[str, dict[str, Any]], title: str, out_dir: Path | None = None) -> Path | None:
    try:
        from eval.plots import hit_bars
    except ImportError:
        return None
    return hit_bars({k: v["retrieval"] for k, v in results.items()}, title, Path(out_dir or REPORTS) / f"{name}-hits.png")


# ---- FinanceBench ---------------------------------------------------------------------------------


def page_doc_name(doc_name: str, page: int) -> str:
    return f"{doc_name}#p{page}"


def page_file_name(page_name: str) -> str:
    """File name of a page document: the page name URL-quoted (``#`` and ``/`` are not safe)."""
    return urllib.parse.quote(page_name, safe="") + ".txt"


def load_financebench(bench: Path) -> list[dict[str, Any]]:
    path = need(bench / "financebench" / "data" / "financebench_open_source.jsonl", "FinanceBench questions")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_pages_corpus(rows: Sequence[dict[str, Any]], folder: Path) -> dict[str, str]:
    """Write each distinct evidence page as a ``.txt`` file; return file name -> page name."""
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
    import bisect

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


def run_financebench(
    mode: str = "pages", bench: Path | None = None, work: Path | None = None, n_sample: int | None = None,
    seed: int = 0, use_graph: bool = True, baseline: bool = True, fresh: bool = False,
    out_dir: Path | None = None, say: Say | None = None, baseline_embed: Any = None, n_filings: int | None = None,
) -> dict[str, Any]:
    """Run one FinanceBench mode end to end; write ``eval/reports/financebench-<mode>.{json,md}``."""
    from engine.qa import QA

    set_offline_env()
    say = say or (lambda _m: None)
    if mode not in ("pages", "filings"):
        raise ValueError(f"mode must be pages or filings, not {mode!r}")
    bench = bench_dir(bench)
    rows = load_financebench(bench)
    t_start = time.perf_counter()
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
    settings = kgqa_settings(wd / "index", use_graph=use_graph)
    say("kgqa: ingesting (an unchanged index is reused)")
    kg_ingest = kgqa_ingest(paths, settings, say, fresh=fresh)
    qa = QA.load(settings.index_dir, settings)
    docs = {d: r.raw for d, r in qa.index.docs.items()}
    if mode == "pages":
        questions = pages_questions(rows)
    else:
        questions = filings_questions(rows, {d: r.page_starts for d, r in qa.index.docs.items()})
    n_all = len(questions)
    questions = sample(questions, n_sample, seed)
    say(f"{len(questions)} of {n_all} questions")
    results: dict[str, dict[str, Any]] = {"kgqa": run_system(KgqaSystem(qa), questions, say)}
    bl_info: dict[str, Any] | None = None
    bl = None
    if baseline:
        say("baseline: building llama-index VectorStoreIndex (1024-character chunks, 30 overlap)")
        bl = ChunkedBaseline.build_chunked(docs, 1024, 30, unit="chars", settings=settings, embed_model=baseline_embed)
        bl.name = "baseline"
        bl_info = {"documents": len(docs), "nodes": bl.n_nodes, "timings": bl.timings, "config": bl.config(),
                   "index_bytes": bl.index_bytes()}
        results["baseline"] = run_system(bl, questions, say)
    report = {
        "benchmark": f"financebench-{mode}", "passages": chunk_stats(qa, bl), "bench_dir": str(bench), "questions": len(questions),
        "questions_total": n_all, "sample": n_sample, "seed": seed, "use_graph": use_graph,
        "filings": filings, "filings_sample": n_filings,
        "kgqa_ingest": kg_ingest, "baseline_ingest": bl_info, "results": results,
        "kgqa_settings": {"chunk_chars": settings.chunk_chars, "top_k": settings.top_k, "use_graph": use_graph},
        "wall_s": round(time.perf_counter() - t_start, 1), "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    name = f"financebench-{mode}"
    png = hit_plot(name, results, f"FinanceBench {mode}: evidence hit@k", out_dir)
    write_outputs(name, report, financebench_markdown(report, png), out_dir)
    return report


def financebench_markdown(report: dict[str, Any], png: Path | None = None) -> str:
    mode = report["benchmark"].split("-", 1)[1]
    res = report["results"]
    kg = report["kgqa_ingest"]
    level = "page"
    lines = [
        f"# FinanceBench — {mode} mode",
        "",
        f"Run {report['date']} on this machine ({kg.get('cpu_count')} CPU cores), wall time {report['wall_s']:.0f} s. "
        f"{report['questions']} of {report['questions_total']} questions"
        + (f" (fixed-seed sample, seed {report['seed']})" if report["questions"] < report["questions_total"] else " (all)")
        + f"; kgqa graph {'on' if report['use_graph'] else 'off'}.",
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
        "## Ingest",
        "",
        ingest_table(kg, report["baseline_ingest"]) if report["baseline_ingest"] else "",
        "",
        "## Evidence retrieval (top 10)",
        "",
        retrieval_table(res, level),
        "",
    ]
    if png:
        lines += [f"![hit@k]({png.name})", ""]
    by = {n: r["retrieval_by_group"] for n, r in res.items()}
    groups = sorted({g for v in by.values() for g in v})
    if groups:
        rows = [[g, *(f"{fnum(by[n][g]['hit@5'])} / {fnum(by[n][g]['mrr'])}" for n in res)] for g in groups]
        lines += ["By question type (hit@5 / MRR):", "", md_table(["type", *res], rows), ""]
    lines += [
        "## Answers (deterministic scorer, `eval/scoring.py`)",
        "",
        answers_table(res),
        "",
        *([f"Answers re-scored on {report['rescored']} from the stored answers (first 300 characters) "
           "after a scorer change; retrieval and timings are from the run.", ""] if report.get("rescored") else []),
        "Kinds: `number` = the answer's main value equals a number of the gold's first sentence (1% or the "
        "gold's rounding, rescaling allowed); `yesno` = same polarity; `name` = every named part present; "
        "`text` = at least half the gold's content words present (weakest rule, shown apart).",
        "",
        "Published (Islam et al. 2023, % correct of 150 by human labels — a different metric, a reference only):",
        "",
        md_table(["configuration", "correct"], PUBLISHED),
        "",
        "## Query time",
        "",
        latency_table(res),
        "",
        *why_behind_financebench(report),
        "Some misses of kgqa:",
        "",
        *misses(res["kgqa"]["records"]),
        "",
    ]
    return "\n".join(lines)


def why_behind_financebench(report: dict[str, Any]) -> list[str]:
    res = report["results"]
    gaps = behind(res)
    st = report.get("passages")
    out = ["## Where kgqa is behind the baseline, and why", ""]
    if not gaps:
        return [*out, "Nowhere on these figures.", ""]
    out += [f"Behind on: {'; '.join(gaps)}.", ""]
    out += ingest_gap(report)
    if st:
        out += [stats_line(st), ""]
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
            "splits a page into more pieces, so its top 10 covers fewer distinct pages. kgqa's chunk size (700) "
            "was tuned on the bundled analyst reports, whose sections are short prose, not statement pages.",
            "",
        ]
    k = res["kgqa"]
    out += [
        f"Answers: kgqa abstained on {k['abstained']} of {report['questions']} questions: its rule-based answerer "
        "quotes a sentence holding the asked value and abstains below its evidence threshold; it does not "
        "compute ratios or changes, and does not answer yes/no — most FinanceBench questions need one of the "
        "two (\"Numerical reasoning\", \"Logical reasoning\"). The baseline never abstains and quotes the first "
        "sentence of its top passage, which sometimes holds the number. Neither is comparable with the "
        "LLM figures above; both are far below them.",
        "",
    ]
    return out
