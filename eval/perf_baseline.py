"""The baseline measurements of ``eval.perf``, each run in a fresh process: ``python -m eval.perf_baseline <worker> '<json>'``.

This module does not import kgqa's engine: the baseline's cold start and peak RSS are its own.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.config import Settings, set_offline_env
from eval.baseline import BaselineSystem, ChunkedBaseline, embedding, use_embedding
from eval.bench_common import dir_bytes
from eval.perf_probe import WARMUP, Worker, latency_stats, peak_rss_mb, serve, time_answers
from retrieval.documents import load_documents


def _load_docs(paths: Sequence[str]) -> dict[str, str]:
    docs, _ = load_documents([Path(p) for p in paths])
    return {d.id: d.raw for d in docs}


def w_baseline(a: dict[str, Any]) -> dict[str, Any]:
    """Build the baseline (llama-index defaults, as in the gold evaluation), persist it, time queries."""
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
    shapes = {kind: time_answers(bl.answer_open, qs) for kind, qs in a.get("shapes", {}).items()}
    return {"documents": len(docs), "nodes": bl.n_nodes, "load_s": load_s, "build_s": build_s,
            "index_bytes": dir_bytes(persist), "retrieve_ms": latency_stats(t_ret), "answer_ms": latency_stats(t_ans),
            "peak_rss_mb": peak_rss_mb(), "config": bl.config(), "shapes_ms": shapes}


def w_baseline_cold(a: dict[str, Any]) -> dict[str, Any]:
    """What a one-shot baseline CLI would do: load the persisted index and the model, answer once."""
    set_offline_env()
    from llama_index.core import StorageContext, load_index_from_storage  # heavy (torch)

    embed, _ = embedding(Settings())
    use_embedding(embed)
    index = load_index_from_storage(StorageContext.from_defaults(persist_dir=a["persist"]), embed_model=embed)
    docs = _load_docs(a["paths"])
    bl = BaselineSystem(index, docs, Settings().top_k, "cold", 0.0)
    ans = bl.answer(a["question"])
    return {"answer": ans.text[:200], "peak_rss_mb": peak_rss_mb()}


def w_baseline_chunked(a: dict[str, Any]) -> dict[str, Any]:
    """Build a benchmark's baseline (``a["chunking"]``: size, overlap, unit) over the files of ``a["paths"]``,
    read with kgqa's loader (same document ids and text), and persist it in ``a["persist"]``; its figures."""
    t0 = time.perf_counter()
    docs = _load_docs(a["paths"])
    load_s = time.perf_counter() - t0
    size, overlap, unit = a["chunking"]
    bl = ChunkedBaseline.build_chunked(docs, size, overlap, unit=unit, settings=Settings(),
                                      show_progress=a.get("progress", False))
    persist = Path(a["persist"])
    if persist.exists():
        shutil.rmtree(persist)
    t1 = time.perf_counter()
    bl.index.storage_context.persist(persist_dir=str(persist))
    timings = {"read files": round(load_s, 2), **{k: v for k, v in bl.timings.items() if k != "total"},
               "persist": round(time.perf_counter() - t1, 2), "total": round(time.perf_counter() - t0, 2)}
    return {"documents": len(docs), "nodes": bl.n_nodes, "bytes_in": sum(len(r.encode("utf-8")) for r in docs.values()),
            "timings": timings, "index_bytes": dir_bytes(persist), "peak_rss_mb": peak_rss_mb(),
            "config": bl.config(), "splitter": bl.splitter_desc}


WORKERS: dict[str, Worker] = {"baseline": w_baseline, "baseline-cold": w_baseline_cold,
                              "baseline-chunked": w_baseline_chunked}

if __name__ == "__main__":
    serve(WORKERS)
