"""What every measuring process of ``eval.perf`` shares: peak RSS, latency percentiles, the result line.

A measurement runs alone in a fresh process (``python -m eval.perf_kgqa <worker> '<json args>'`` or
``eval.perf_baseline``) so that its wall time and peak RSS are its own; the kgqa and the baseline
workers live in two modules so that neither process imports the other system. A worker prints one
line, :data:`RESULT` followed by its JSON result, which ``eval.perf.worker`` reads.
"""

from __future__ import annotations

import codecs
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

from core.config import ROOT, set_offline_env
from eval.metrics import percentile

COLD_RUNS = 5  # fresh processes per cold figure (their median is reported)
WARMUP = 3  # questions asked before the timed ones (first-call costs are not per-question latency)
RESULT = "PERF-RESULT "
Worker = Callable[[dict[str, Any]], dict[str, Any]]
WORKER_MODULES = {"kgqa-ingest": "eval.perf_kgqa", "kgqa-warm": "eval.perf_kgqa",
                  "baseline": "eval.perf_baseline", "baseline-cold": "eval.perf_baseline",
                  "baseline-chunked": "eval.perf_baseline"}


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident set size of this process in MB (Linux reports KB); with ``children``, that of
    its largest finished child process (an ingest's parse/extract worker)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF).ru_maxrss
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


# ---- the driver's side --------------------------------------------------------------------------------


def worker_env() -> dict[str, str]:
    """The environment of a measuring process: offline, and this checkout first on the path."""
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_worker(name: str, args: dict[str, Any], timeout: float = 7200, show: bool = False) -> tuple[dict[str, Any], float]:
    """Run worker ``name`` in a fresh process; return its JSON result and the process's wall time.

    With ``show`` the worker's stderr (its progress bars) is passed through to ours as it comes;
    either way its last 1,500 characters go into the error when it fails.
    """
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", WORKER_MODULES[name], name, json.dumps(args)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=worker_env()) as p:
        tail: list[bytes] = []
        pump = threading.Thread(target=_pump, args=(p.stderr, tail, show), daemon=True)
        pump.start()
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            raise RuntimeError(f"perf worker {name} timed out after {timeout:.0f} s") from None
        pump.join(5)
    wall = time.perf_counter() - t0
    line = next((x for x in out.decode("utf-8", "replace").splitlines() if x.startswith(RESULT)), None)
    if p.returncode != 0 or line is None:
        err = b"".join(tail).decode("utf-8", "replace").strip()[-1500:]
        raise RuntimeError(f"perf worker {name} failed (exit {p.returncode}): {err}")
    return json.loads(line[len(RESULT):]), wall


def _pump(stream: IO[bytes] | None, tail: list[bytes], show: bool) -> None:
    """Copy a worker's stderr to ours (when ``show``), keeping its end for error messages."""
    if stream is None:
        return
    kept = 0
    text = codecs.getincrementaldecoder("utf-8")("replace")
    while chunk := os.read(stream.fileno(), 4096):  # as it comes: tqdm redraws with \r, not lines
        if show:
            sys.stderr.write(text.decode(chunk))
            sys.stderr.flush()
        tail.append(chunk)
        kept += len(chunk)
        while kept > 8192 and len(tail) > 1:
            kept -= len(tail.pop(0))
