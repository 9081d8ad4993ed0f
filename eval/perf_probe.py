"""What every measuring process of ``eval.perf`` shares: peak RSS, latency percentiles, the result line.

A measurement runs alone in a fresh process (``python -m eval.perf_kgqa <worker> '<json args>'`` or
``eval.perf_baseline``) so that its wall time and peak RSS are its own; the kgqa and the baseline
workers live in two modules so that neither process imports the other system. A worker prints one
line, :data:`RESULT` followed by its JSON result, which ``eval.perf.worker`` reads.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from core.config import set_offline_env
from eval.metrics import percentile

COLD_RUNS = 5  # fresh processes per cold figure (their median is reported)
WARMUP = 3  # questions asked before the timed ones (first-call costs are not per-question latency)
RESULT = "PERF-RESULT "
Worker = Callable[[dict[str, Any]], dict[str, Any]]


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KB)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 if sys.platform != "darwin" else r / 1e6


def latency_stats(xs: Sequence[float]) -> dict[str, float | None]:
    """Count, p50/p95/p99 and mean of latencies in ms.

    >>> latency_stats([1.0, 2.0, 3.0, 4.0])["p50"]
    2.5
    """
    return {"n": len(xs), "p50": percentile(list(xs), 50), "p95": percentile(list(xs), 95),
            "p99": percentile(list(xs), 99), "mean": (sum(xs) / len(xs)) if xs else None}


def serve(workers: dict[str, Worker], argv: Sequence[str] | None = None) -> None:
    """Run the worker named by ``argv[0]`` on the JSON arguments ``argv[1]``; print its result line."""
    argv = list(sys.argv[1:] if argv is None else argv)
    set_offline_env()
    out = workers[argv[0]](json.loads(argv[1]))
    print(RESULT + json.dumps(out, default=str), flush=True)


def time_answers(answer: Callable[[str], object], questions: Sequence[str]) -> dict[str, float | None]:
    """:func:`latency_stats` of ``answer(q)`` over ``questions`` (wall ms each)."""
    times = []
    for q in questions:
        t = time.perf_counter()
        answer(q)
        times.append((time.perf_counter() - t) * 1000)
    return latency_stats(times)
