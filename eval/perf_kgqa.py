"""The kgqa measurements of ``eval.perf``, each run in a fresh process: ``python -m eval.perf_kgqa <worker> '<json>'``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from engine.qa import QA
from eval.bench_common import kgqa_settings
from eval.bench_run import ingest_record, kgqa_ingest
from eval.perf_probe import WARMUP, Worker, latency_stats, peak_rss_mb, serve, time_answers


def w_kgqa_ingest(a: dict[str, Any]) -> dict[str, Any]:
    """Build the kgqa index of ``a["paths"]`` in ``a["index"]`` (fresh unless told); its figures and the
    peak RSS of this process and of its parse/extract worker (``a["progress"]``: a progress bar on stderr;
    ``a["backend"]``: the encoder backend, default the configured one)."""
    s = kgqa_settings(Path(a["index"]), use_graph=a.get("use_graph", True), embed_backend=a.get("backend"))
    r = kgqa_ingest([Path(p) for p in a["paths"]], s, lambda _m: None, fresh=a.get("fresh", True),
                    progress=a.get("progress", False))
    if r.get("reused"):
        return r
    r.update({"peak_rss_mb": peak_rss_mb(), "worker_peak_rss_mb": peak_rss_mb(children=True) or None})
    ingest_record(s.index_dir).write_text(json.dumps(r, indent=1), encoding="utf-8")  # a reuse reports them too
    return r


def w_kgqa_warm(a: dict[str, Any]) -> dict[str, Any]:
    """Load the index, ask :data:`WARMUP` questions, then time ``qa.search`` and ``qa.ask`` on each question;
    ``a["shapes"]`` (open and comparison questions by kind) are timed apart, as ``shapes_ms``."""
    t0 = time.perf_counter()
    qa = QA.load(Path(a["index"]), kgqa_settings(Path(a["index"]), use_graph=a.get("use_graph", True),
                                                 embed_backend=a.get("backend")))
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
    shapes = {kind: time_answers(qa.ask, qs) for kind, qs in a.get("shapes", {}).items()}
    return {"load_s": load_s, "retrieve_ms": latency_stats(t_search), "answer_ms": latency_stats(t_ask),
            "abstained": abstained, "peak_rss_mb": peak_rss_mb(), "shapes_ms": shapes}


WORKERS: dict[str, Worker] = {"kgqa-ingest": w_kgqa_ingest, "kgqa-warm": w_kgqa_warm}

if __name__ == "__main__":
    serve(WORKERS)
