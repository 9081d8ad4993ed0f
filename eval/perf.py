"""Speed and scale of kgqa and the llama-index baseline, measured in the same run.

* ingest throughput (chunks/s, MB/s) and its split (parse, embed, index, graph); index size on disk;
* cold ``kgqa ask`` wall time (a fresh process on an existing index, median of 5) and the
  baseline's equivalent (a fresh process loading its persisted index and answering);
* warm p50/p95/p99 of retrieval and of full answers over the gold questions (in process);
* peak RSS of each step (each runs in its own subprocess: ``resource.getrusage``);
* a scaling series at 1x, 10x, 100x the bundled corpus (documents replicated under new names,
  one sentence changed per copy so every file hashes differently) and, optionally, the
  FinanceBench filings.

Each measurement is a worker of this module run as ``python -m eval.perf <worker> '<json args>'``;
it prints one JSON line. :func:`run_perf` drives them and writes ``eval/reports/perf.{md,json}`` and PNG plots.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.config import ROOT, set_offline_env
from eval.bench_financebench import (
    REPORTS,
    Say,
    bench_dir,
    dir_bytes,
    fnum,
    md_table,
    pct,
    work_dir,
    write_outputs,
)

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}
COLD_RUNS = 5
WARMUP = 3


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KB)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 if sys.platform != "darwin" else r / 1e6


def latency_stats(xs: Sequence[float]) -> dict[str, float | None]:
    return {"n": len(xs), "p50": pct(xs, 50), "p95": pct(xs, 95), "p99": pct(xs, 99),
            "mean": (sum(xs) / len(xs)) if xs else None}


# ---- corpora --------------------------------------------------------------------------------------


def replicate(src: Path, dest: Path, times: int) -> dict[str, Any]:
    """Write ``times`` copies of the documents under ``src`` into ``dest`` under new names.

    Copy ``i`` of ``a.txt`` is ``a--copy<i>.txt``; text files get one extra sentence naming the
    copy so no two files hash alike. Copy 0 is the original, unchanged. Other files (PDF) are
    copied as they are.
    """
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    files = sorted(p for p in Path(src).rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED
                   and not any(part.startswith(".") for part in p.relative_to(src).parts))
    n_bytes = 0
    for i in range(times):
        for f in files:
            rel = f.relative_to(src)
            out = dest / (rel if i == 0 else rel.with_name(f"{rel.stem}--copy{i:03d}{rel.suffix}"))
            out.parent.mkdir(parents=True, exist_ok=True)
            if i == 0 or f.suffix.lower() == ".pdf":
                shutil.copyfile(f, out)
            else:
                text = f.read_text(encoding="utf-8")
                out.write_text(text.rstrip("\n") + f"\n\nThis is replica {i} of {rel.name}.\n", encoding="utf-8")
            n_bytes += out.stat().st_size
    return {"documents": len(files) * times, "bytes": n_bytes}


def gold_questions(limit: int | None = None) -> list[str]:
    from eval.gold_eval import GOLD_QA, load_gold

    return [q.question for q in load_gold(GOLD_QA)][:limit]


def shape_questions() -> dict[str, list[str]]:
    """The open and comparison gold questions (timed apart from the factoid ones)."""
    from eval.open_eval import load_compare, load_open

    return {"open": [g.question for g in load_open()], "compare": [g.question for g in load_compare()]}


def _time_answers(answer: Any, questions: Sequence[str]) -> dict[str, float | None]:
    times = []
    for q in questions:
        t = time.perf_counter()
        answer(q)
        times.append((time.perf_counter() - t) * 1000)
    return latency_stats(times)


# ---- workers (each runs in its own process) --------------------------------------------------------


def w_kgqa_ingest(a: dict[str, Any]) -> dict[str, Any]:
    from eval.bench_financebench import kgqa_ingest, kgqa_settings

    s = kgqa_settings(Path(a["index"]), use_graph=a.get("use_graph", True))
    r = kgqa_ingest([Path(p) for p in a["paths"]], s, lambda _m: None, fresh=a.get("fresh", True))
    return {**r, "peak_rss_mb": None if r.get("reused") else peak_rss_mb()}


def w_kgqa_warm(a: dict[str, Any]) -> dict[str, Any]:
    from engine.qa import QA
    from eval.bench_financebench import kgqa_settings

    t0 = time.perf_counter()
    qa = QA.load(Path(a["index"]), kgqa_settings(Path(a["index"]), use_graph=a.get("use_graph", True)))
    load_s = time.perf_counter() - t0
    qs = a["questions"]
    for q in qs[:WARMUP]:
        qa.ask(q)
    t_search, t_ask, abstained = [], [], 0
    for q in qs:
        t1 = time.perf_counter()
        qa.search(q)
        t2 = time.perf_counter()
        ans = qa.ask(q)
        t3 = time.perf_counter()
        t_search.append((t2 - t1) * 1000)
        t_ask.append((t3 - t2) * 1000)
        abstained += ans.abstained
    shapes = {k: _time_answers(qa.ask, v) for k, v in a.get("shapes", {}).items()}
    return {"load_s": load_s, "retrieve_ms": latency_stats(t_search), "answer_ms": latency_stats(t_ask),
            "abstained": abstained, "peak_rss_mb": peak_rss_mb(), "shapes_ms": shapes}


def _load_docs(paths: Sequence[str]) -> dict[str, str]:
    from retrieval.documents import load_documents

    docs, _ = load_documents([Path(p) for p in paths])
    return {d.id: d.raw for d in docs}


def w_baseline(a: dict[str, Any]) -> dict[str, Any]:
    """Build the baseline (llama-index defaults, as in the gold evaluation), persist it, time queries."""
    from eval.baseline import BaselineSystem

    t0 = time.perf_counter()
    docs = _load_docs(a["paths"])
    load_s = time.perf_counter() - t0
    bl = BaselineSystem.build(docs)
    build_s = time.perf_counter() - t0
    persist = Path(a["persist"])
    if persist.exists():
        shutil.rmtree(persist)
    bl.index.storage_context.persist(persist_dir=str(persist))
    qs = a["questions"]
    for q in qs[:WARMUP]:
        bl.answer(q)
    t_ret, t_ans = [], []
    for q in qs:
        t1 = time.perf_counter()
        bl.retrieve(q, bl.top_k)
        t2 = time.perf_counter()
        bl.answer(q)
        t3 = time.perf_counter()
        t_ret.append((t2 - t1) * 1000)
        t_ans.append((t3 - t2) * 1000)
    shapes = {k: _time_answers(bl.answer_open, v) for k, v in a.get("shapes", {}).items()}
    return {"documents": len(docs), "nodes": bl.n_nodes, "load_s": load_s, "build_s": build_s,
            "index_bytes": dir_bytes(persist), "retrieve_ms": latency_stats(t_ret), "answer_ms": latency_stats(t_ans),
            "peak_rss_mb": peak_rss_mb(), "config": bl.config(), "shapes_ms": shapes}


def w_baseline_cold(a: dict[str, Any]) -> dict[str, Any]:
    """What a one-shot baseline CLI would do: load the persisted index and the model, answer once."""
    set_offline_env()
    from llama_index.core import Settings as LISettings
    from llama_index.core import StorageContext, load_index_from_storage
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from core.config import Settings
    from eval.baseline import BaselineSystem, _no_llm
    from retrieval.embedding import model_path

    embed = HuggingFaceEmbedding(model_name=str(model_path(Settings().model)), device="cpu")
    _no_llm(LISettings)
    LISettings.embed_model = embed
    index = load_index_from_storage(StorageContext.from_defaults(persist_dir=a["persist"]), embed_model=embed)
    docs = _load_docs(a["paths"])
    bl = BaselineSystem(index, docs, Settings().top_k, "cold", 0.0)
    ans = bl.answer(a["question"])
    return {"answer": ans.text[:200], "peak_rss_mb": peak_rss_mb()}


WORKERS = {"kgqa-ingest": w_kgqa_ingest, "kgqa-warm": w_kgqa_warm, "baseline": w_baseline,
           "baseline-cold": w_baseline_cold}


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    set_offline_env()
    out = WORKERS[argv[0]](json.loads(argv[1]))
    print("PERF-RESULT " + json.dumps(out, default=str), flush=True)


# ---- the driver -----------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def worker(name: str, args: dict[str, Any], timeout: float = 7200) -> tuple[dict[str, Any], float]:
    """Run one worker in a fresh process; return its JSON result and the process's wall time."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "eval.perf", name, json.dumps(args)], capture_output=True, text=True,
                       cwd=ROOT, env=_env(), timeout=timeout)
    wall = time.perf_counter() - t0
    line = next((x for x in p.stdout.splitlines() if x.startswith("PERF-RESULT ")), None)
    if p.returncode != 0 or line is None:
        raise RuntimeError(f"perf worker {name} failed (exit {p.returncode}): {p.stderr.strip()[-1500:]}")
    return json.loads(line[len("PERF-RESULT "):]), wall


def kgqa_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "kgqa"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "kgqa.cli"]


def cold_kgqa(index: Path, question: str, runs: int = COLD_RUNS) -> dict[str, Any]:
    """Wall time of ``kgqa ask QUESTION --index INDEX`` in fresh processes (median of ``runs``)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run([*kgqa_cmd(), "ask", question, "--index", str(index)], capture_output=True, text=True,
                           cwd=ROOT, env=_env(), timeout=600)
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise RuntimeError(f"kgqa ask failed: {p.stderr.strip()[-500:]}")
    return {"runs": times, "median_s": statistics.median(times)}


def cold_baseline(persist: Path, paths: list[str], question: str, runs: int = COLD_RUNS) -> dict[str, Any]:
    times, rss = [], []
    for _ in range(runs):
        r, wall = worker("baseline-cold", {"persist": str(persist), "paths": paths, "question": question}, 600)
        times.append(wall)
        rss.append(r["peak_rss_mb"])
    return {"runs": times, "median_s": statistics.median(times), "peak_rss_mb": max(rss)}


def measure_point(label: str, paths: list[str], questions: list[str], wd: Path, say: Say, fresh: bool = True,
                  index: Path | None = None, baseline: bool = True,
                  shapes: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Ingest + warm queries for kgqa and the baseline on one corpus (``shapes``: open and comparison
    questions, timed apart)."""
    index = index or wd / "index"
    say(f"{label}: kgqa ingest")
    ing, ing_wall = worker("kgqa-ingest", {"paths": paths, "index": str(index), "fresh": fresh})
    say(f"{label}: kgqa ingest {ing['timings_s'].get('total', 0):.1f}s ({ing['chunks']} chunks); warm queries")
    warm, _ = worker("kgqa-warm", {"index": str(index), "questions": questions, "shapes": shapes or {}})
    point: dict[str, Any] = {"label": label, "index": str(index),
                             "kgqa": {"ingest": ing, "ingest_process_s": ing_wall, "warm": warm}}
    if baseline:
        say(f"{label}: baseline build + warm queries")
        bl, bl_wall = worker("baseline", {"paths": paths, "persist": str(wd / "baseline"), "questions": questions,
                                          "shapes": shapes or {}})
        bl["process_s"] = bl_wall
        point["baseline"] = bl
    return point


def run_perf(
    scales: Sequence[int] = (1, 10, 100), with_filings: bool = False, bench: Path | None = None,
    work: Path | None = None, corpus: Path | None = None, cold_question: str = "What was Twilio's fiscal 2024 revenue?",
    out_dir: Path | None = None, say: Say | None = None, n_filings: int | None = None, seed: int = 0,
) -> dict[str, Any]:
    """Measure everything; write ``perf.json``, ``perf.md`` and ``perf-*.png`` into ``eval/reports``."""
    from core.config import Settings

    set_offline_env()
    say = say or (lambda _m: None)
    t_start = time.perf_counter()
    corpus = Path(corpus or Settings.load().corpus_dir)
    wd = work_dir(work) / "perf"
    questions = gold_questions()
    shapes = shape_questions()
    series = []
    main_point: dict[str, Any] | None = None
    for n in scales:
        pdir = wd / f"x{n}"
        info = replicate(corpus, pdir / "corpus", n)
        point = measure_point(f"{n}x", [str(pdir / "corpus")], questions, pdir, say, shapes=shapes)
        point.update({"scale": n, **info})
        if main_point is None:
            say(f"{n}x: cold runs ({COLD_RUNS} each)")
            point["kgqa"]["cold"] = cold_kgqa(Path(point["index"]), cold_question)
            point["baseline"]["cold"] = cold_baseline(pdir / "baseline", [str(pdir / "corpus")], cold_question)
            main_point = point
        series.append(point)
        (wd / "partial.json").write_text(json.dumps({"main": main_point, "series": series}, default=str), "utf-8")
    filings = None
    if with_filings:
        from eval.bench_financebench import filings_selection, load_financebench

        bench = bench_dir(bench)
        paths, tag = filings_selection(bench, n_filings, seed)
        names = {p.name for p in paths}
        fqs = [q["question"] for q in load_financebench(bench) if f"{q['doc_name']}.pdf" in names]
        fw = work_dir(work) / tag
        label = "FinanceBench filings" + (f" ({len(names)} of 15)" if n_filings else "")
        try:
            filings = measure_point(label, [str(p) for p in paths], fqs, fw / "perf", say, fresh=False,
                                    index=fw / "index")
        except RuntimeError as exc:  # keep the scaling series even if this point fails
            say(f"filings point failed: {exc}")
            filings = None
        if filings is not None:
            filings.update({"scale": None, "documents": len(names), "bytes": sum(p.stat().st_size for p in paths)})
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpu_count": os.cpu_count(), "corpus": str(corpus),
              "questions": len(questions), "cold_question": cold_question, "main": main_point, "series": series,
              "filings": filings, "wall_s": round(time.perf_counter() - t_start, 1)}
    out_dir = Path(out_dir or REPORTS)
    pngs = []
    try:
        from eval.plots import latency_bars, scaling_plot

        pngs.append(scaling_plot(series + ([filings] if filings else []), out_dir / "perf-scaling.png"))
        if main_point:
            pngs.append(latency_bars(main_point, out_dir / "perf-latency.png"))
    except ImportError:
        pass
    write_outputs("perf", report, perf_markdown(report, [p for p in pngs if p]), out_dir)
    return report


# ---- report ---------------------------------------------------------------------------------------


def _shape_rows(k: dict[str, Any], b: dict[str, Any]) -> list[list[str]]:
    """Warm latency rows for the open and comparison gold questions (kgqa, baseline)."""
    rows = []
    names = {"open": "open question", "compare": "comparison"}
    for key, name in names.items():
        ks, bs = k.get("shapes_ms", {}).get(key), b.get("shapes_ms", {}).get(key)
        if not ks:
            continue
        for p in ("p50", "p95"):
            bv = bs[p] if bs else None
            rows.append([f"warm {name} answer {p} ms ({ks['n']} gold)", fnum(ks[p], 1), fnum(bv, 1), _ratio(ks[p], bv)])
    return rows


def _ratio(a: float | None, b: float | None) -> str:
    return "–" if not a or not b else f"{a / b:.2f}"


def _mb(b: float | None) -> str:
    return "–" if b is None else f"{b / 1e6:.2f}"


def perf_markdown(r: dict[str, Any], pngs: Sequence[Path] = ()) -> str:
    m = r["main"]
    lines = ["# Speed and scale", "",
             f"Run {r['date']} on this machine ({r['cpu_count']} CPU cores, shared with other work: figures are "
             f"indicative), wall time {r['wall_s']:.0f} s. Warm latencies over the {r['questions']} gold questions "
             f"({WARMUP} warm-up questions first); cold = a fresh process, median of {COLD_RUNS}.", ""]
    if m:
        k, b = m["kgqa"], m["baseline"]
        ing = k["ingest"]
        t = ing["timings_s"]
        tot = t.get("total") or 1e-9
        lines += [
            f"## Bundled corpus ({m['documents']} documents, {m['bytes'] / 1e3:.0f} kB): kgqa vs the llama-index baseline",
            "",
            md_table(["figure", "kgqa", "baseline", "kgqa / baseline"], [
                ["ingest s (build in process)", f"{tot:.2f}", f"{b['build_s']:.2f}", _ratio(tot, b["build_s"])],
                ["process wall s (imports, model load; baseline's includes its warm queries)",
                 f"{k['ingest_process_s']:.2f}", f"{b['process_s']:.2f}", "–"],
                ["pieces indexed", f"{ing['units']} units, {ing['chunks']} chunks", f"{b['nodes']} nodes", "–"],
                ["index size on disk MB", _mb(ing["index_bytes"]), _mb(b["index_bytes"]), _ratio(ing["index_bytes"], b["index_bytes"])],
                ["cold ask s (fresh process, median)", f"{k['cold']['median_s']:.2f}", f"{b['cold']['median_s']:.2f}",
                 _ratio(k["cold"]["median_s"], b["cold"]["median_s"])],
                *[[f"warm retrieval {p} ms", fnum(k["warm"]["retrieve_ms"][p], 1), fnum(b["retrieve_ms"][p], 1),
                   _ratio(k["warm"]["retrieve_ms"][p], b["retrieve_ms"][p])] for p in ("p50", "p95", "p99")],
                *[[f"warm full answer {p} ms", fnum(k["warm"]["answer_ms"][p], 1), fnum(b["answer_ms"][p], 1),
                   _ratio(k["warm"]["answer_ms"][p], b["answer_ms"][p])] for p in ("p50", "p95", "p99")],
                *_shape_rows(k["warm"], b),
                ["peak RSS MB, ingest", f"{ing['peak_rss_mb']:.0f}", f"{b['peak_rss_mb']:.0f} (build + queries)",
                 _ratio(ing["peak_rss_mb"], b["peak_rss_mb"])],
                ["peak RSS MB, warm queries", f"{k['warm']['peak_rss_mb']:.0f}", f"{b['peak_rss_mb']:.0f} (build + queries)",
                 _ratio(k["warm"]["peak_rss_mb"], b["peak_rss_mb"])],
                ["peak RSS MB, cold ask", "–", f"{b['cold']['peak_rss_mb']:.0f}", "–"],
            ]),
            "",
            f"kgqa ingest split: parse {t.get('parse', 0):.2f} s, embed {t.get('embed', 0):.2f} s, index "
            f"{t.get('index', 0):.2f} s, graph {t.get('graph', 0):.2f} s; throughput "
            f"{ing['chunks'] / tot:.1f} chunks/s, {ing['bytes_in'] / 1e3 / tot:.2f} kB/s. "
            f"Cold `kgqa ask` runs: {', '.join(f'{x:.2f}' for x in k['cold']['runs'])} s.",
            "",
        ]
    rows = []
    for p in r["series"] + ([r["filings"]] if r.get("filings") else []):
        k, b = p["kgqa"], p.get("baseline", {})
        ing = k["ingest"]
        t = ing["timings_s"]
        tot = t.get("total") or 1e-9
        rows.append([
            p["label"], p["documents"], f"{ing['bytes_in'] / 1e6:.2f}", f"{ing['units']} / {ing['chunks']}",
            f"{tot:.1f}" + (" (reused build)" if ing.get("reused") else ""),
            f"{t.get('parse', 0):.1f} / {t.get('embed', 0):.1f} / {t.get('index', 0):.1f} / {t.get('graph', 0):.1f}",
            f"{ing['chunks'] / tot:.1f}", f"{ing['bytes_in'] / 1e3 / tot:.2f}", _mb(ing["index_bytes"]),
            f"{fnum(k['warm']['retrieve_ms']['p50'], 1)} / {fnum(k['warm']['retrieve_ms']['p95'], 1)}",
            f"{fnum(k['warm']['answer_ms']['p50'], 1)} / {fnum(k['warm']['answer_ms']['p95'], 1)}",
            f"{ing['peak_rss_mb']:.0f}" if ing.get("peak_rss_mb") else "–",
            f"{k['warm']['peak_rss_mb']:.0f}",
            f"{b.get('build_s', 0):.1f}" if b else "–", _mb(b.get("index_bytes")) if b else "–",
            f"{fnum(b['answer_ms']['p50'], 1)} / {fnum(b['answer_ms']['p95'], 1)}" if b else "–",
        ])
    lines += [
        "## Scaling",
        "",
        "kgqa columns, then the baseline's. `split` = parse / embed / index / graph seconds. Queries: the gold "
        "questions for the replicated corpus, the FinanceBench questions on those filings for the filings row "
        "(its kgqa build is the one of `kgqa bench financebench --mode filings`, reused: no ingest RSS). "
        "The baseline (llama-index defaults, as in the gold evaluation) cuts ~1,000-token nodes, so it "
        "embeds ~30x fewer texts than kgqa, which embeds every unit and chunk.",
        "",
        md_table(["corpus", "docs", "MB text", "units / chunks", "kgqa ingest s", "split s", "chunks/s", "kB/s",
                  "kgqa index MB", "retrieval p50/p95 ms", "answer p50/p95 ms", "peak RSS MB ingest", "peak RSS MB query",
                  "baseline build s", "baseline index MB", "baseline answer p50/p95 ms"], rows),
        "",
    ]
    for png in pngs:
        lines += [f"![{png.stem}]({png.name})", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
