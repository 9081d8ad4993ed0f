"""Speed and scale of kgqa and the llama-index baseline, measured in the same run.

* ingest throughput (chunks/s, MB/s) and its split (parse, embed, index, graph); index size on disk;
* cold ``kgqa ask`` wall time (a fresh process on an existing index, median of 5) and the
  baseline's equivalent (a fresh process loading its persisted index and answering);
* warm p50/p95/p99 of retrieval and of full answers over the gold questions (in process);
* peak RSS of each step (each runs in its own subprocess: ``resource.getrusage``);
* a scaling series at 1x, 10x, 100x the bundled corpus (documents replicated under new names,
  one sentence changed per copy so every file hashes differently) and, optionally, the
  FinanceBench filings.

Each measurement is a worker run as ``python -m eval.perf_kgqa <worker> '<json args>'`` (kgqa) or
``python -m eval.perf_baseline ...`` (the baseline); it prints one JSON line (``eval.perf_probe``).
:func:`run_perf` drives them and writes ``eval/reports/perf.{md,json}`` and PNG plots
(the Markdown is ``eval.perf_report``).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.config import ROOT, Settings, set_offline_env
from eval.bench_common import REPORTS, Say, bench_dir, work_dir
from eval.bench_report import write_outputs
from eval.financebench_data import filings_question_texts, filings_selection
from eval.gold_eval import GOLD_QA, load_gold
from eval.open_eval import load_compare, load_open
from eval.perf_probe import COLD_RUNS, run_worker, worker_env
from eval.perf_report import perf_markdown

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}


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
    """The gold question texts (the queries of the replicated corpus)."""
    return [q.question for q in load_gold(GOLD_QA)][:limit]


def shape_questions() -> dict[str, list[str]]:
    """The open and comparison gold questions, timed apart from the factoid ones."""
    return {"open": [g.question for g in load_open()], "compare": [g.question for g in load_compare()]}


# ---- the driver -----------------------------------------------------------------------------------


def worker(name: str, args: dict[str, Any], timeout: float = 7200, show: bool = False) -> tuple[dict[str, Any], float]:
    """Run one worker in a fresh process (:func:`eval.perf_probe.run_worker`)."""
    return run_worker(name, args, timeout, show)


def kgqa_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "kgqa"
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "kgqa.cli"]


def cold_kgqa(index: Path, question: str, runs: int = COLD_RUNS) -> dict[str, Any]:
    """Wall time of ``kgqa ask QUESTION --index INDEX`` in fresh processes (median of ``runs``)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run([*kgqa_cmd(), "ask", question, "--index", str(index)], capture_output=True, text=True,
                           cwd=ROOT, env=worker_env(), timeout=600)
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
    filings = filings_point(bench_dir(bench), work, n_filings, seed, say) if with_filings else None
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpu_count": os.cpu_count(), "corpus": str(corpus),
              "questions": len(questions), "cold_question": cold_question, "main": main_point, "series": series,
              "filings": filings, "wall_s": round(time.perf_counter() - t_start, 1)}
    out_dir = Path(out_dir or REPORTS)
    write_outputs("perf", report, perf_markdown(report, perf_plots(series, filings, main_point, out_dir)), out_dir)
    return report


def filings_point(bench: Path, work: Path | None, n_filings: int | None, seed: int, say: Say) -> dict[str, Any] | None:
    """The FinanceBench filings as a point of the same run: both systems ingest them afresh (time, kB/s,
    peak RSS, index size) and answer their questions. None when it fails: the scaling series is kept.
    """
    paths, tag = filings_selection(bench, n_filings, seed)
    fqs = filings_question_texts(bench, paths)
    fw = work_dir(work) / tag
    label = "FinanceBench filings" + (f" ({len(paths)} of 15)" if n_filings else "")
    try:
        point = measure_point(label, [str(p) for p in paths], fqs, fw / "perf", say)
    except RuntimeError as exc:  # keep the scaling series even if this point fails
        say(f"filings point failed: {exc}")
        return None
    point.update({"scale": None, "documents": len(paths), "bytes": sum(p.stat().st_size for p in paths)})
    return point


def perf_plots(series: list[dict[str, Any]], filings: dict[str, Any] | None, main_point: dict[str, Any] | None,
               out_dir: Path) -> list[Path]:
    """``perf-scaling.png`` and ``perf-latency.png`` (none when matplotlib is not installed)."""
    try:
        from eval.plots import latency_bars, scaling_plot  # imports matplotlib (slow, optional)
    except ImportError:
        return []
    pngs = [scaling_plot(series + ([filings] if filings else []), out_dir / "perf-scaling.png")]
    if main_point:
        pngs.append(latency_bars(main_point, out_dir / "perf-latency.png"))
    return [p for p in pngs if p]
