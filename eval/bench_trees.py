"""Two checkouts of kgqa side by side in one run: the same measurements, interleaved, with ratios.

A refactor claims "no change in behaviour or speed"; this measures the claim. Each tree runs in its
own processes with ``PYTHONPATH=<tree>`` (so each imports its own code) through the stable public
surface only - the ``kgqa`` CLI and ``kgqa.qa.QA`` - which is what makes old and new comparable.
Runs alternate between the trees so that load from other processes falls on both alike.

Measured per tree: ``kgqa --help`` (median of 5), a fresh ingest of the bundled corpus (median of
``ingests``), a cold ``kgqa ask`` (median of 5), warm answer latency over the gold questions
(p50/p95 pooled over ``warm_runs`` alternating processes, two rounds each after a warm-up) and whether every gold answer is identical (text, value,
route, citation spans; :func:`eval.answer_diff.diff_runs`).

Usage: ``kgqa bench trees --before /path/to/old/checkout`` (``--after`` defaults to this repo).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.config import ROOT
from eval.answer_diff import diff_runs
from eval.bench_common import dir_bytes
from eval.bench_report import fnum, md_table

Say = Callable[[str], None]
COLD_Q = "What was Twilio's fiscal 2024 revenue?"

# Runs inside each tree's own interpreter; only the public API of kgqa.qa is used.
_WARM = r"""
import json, sys, time
from kgqa.qa import QA
qa = QA.load(sys.argv[1])
qs = [json.loads(l)["question"] for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
for q in qs[:3]:
    qa.ask(q)
times, answers = [], []
for rnd in range(2):
    for q in qs:
        t = time.perf_counter(); a = qa.ask(q); times.append((time.perf_counter() - t) * 1000)
        if rnd == 0:
            answers.append(a.to_dict())
print(json.dumps({"times": times, "answers": answers}))
"""


def _env(tree: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(tree), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               GRADIO_ANALYTICS_ENABLED="False", TOKENIZERS_PARALLELISM="false")
    env.pop("KGQA_INDEX", None)
    return env


def _kgqa(tree: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", "from kgqa.cli import main; main()", *args], cwd=tree,
                       env=_env(tree), capture_output=True, text=True, check=False)
    return time.perf_counter() - t, p


def _check(p: subprocess.CompletedProcess[str], what: str) -> None:
    if p.returncode != 0:
        raise RuntimeError(f"{what} failed (rc {p.returncode}): {p.stderr.strip()[-400:]}")


def _median_runs(trees: dict[str, Path], n: int, run: Callable[[str, Path], float]) -> dict[str, float]:
    """Median of ``n`` runs per tree, the trees alternating (before, after, after, before, ...)."""
    got: dict[str, list[float]] = {k: [] for k in trees}
    names = list(trees)
    for i in range(n):
        for name in names if i % 2 == 0 else reversed(names):
            got[name].append(run(name, trees[name]))
    return {k: statistics.median(v) for k, v in got.items()}


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def run_trees(before: Path, after: Path | None = None, ingests: int = 2, out_dir: Path | None = None,
              say: Say = print, warm_runs: int = 4) -> dict[str, Any]:
    """Measure two checkouts in one interleaved run; write ``trees.md``/``trees.json`` under ``out_dir``."""
    trees = {"before": Path(before).resolve(), "after": Path(after or ROOT).resolve()}
    work = Path(tempfile.mkdtemp(prefix="kgqa-trees-"))
    corpus = ROOT / "corpus"
    gold = ROOT / "eval" / "gold" / "qa.jsonl"
    t0 = time.perf_counter()
    try:
        say("kgqa --help")
        helps = _median_runs(trees, 5, lambda _n, t: _kgqa(t, "--help")[0])

        def ingest(name: str, tree: Path) -> float:
            idx = work / f"{name}-idx"
            shutil.rmtree(idx, ignore_errors=True)
            dt, p = _kgqa(tree, "ingest", str(corpus), "--index", str(idx), "-q")
            _check(p, f"{name} ingest")
            return dt

        say("ingest of the bundled corpus")
        ingest_s = _median_runs(trees, ingests, ingest)

        def cold(name: str, tree: Path) -> float:
            dt, p = _kgqa(tree, "ask", COLD_Q, "--index", str(work / f"{name}-idx"))
            _check(p, f"{name} ask")
            return dt

        say("cold ask")
        cold_s = _median_runs(trees, 5, cold)
        warm: dict[str, dict[str, Any]] = {n: {"times": [], "answers": []} for n in trees}

        def warm_run(name: str, tree: Path) -> float:
            p = subprocess.run([sys.executable, "-c", _WARM, str(work / f"{name}-idx"), str(gold)], cwd=tree,
                               env=_env(tree), capture_output=True, text=True, check=False)
            _check(p, f"{name} warm run")
            got = json.loads(p.stdout.strip().splitlines()[-1])
            warm[name]["times"] += got["times"]
            warm[name]["answers"] = got["answers"]
            return 0.0

        say("warm answers")
        _median_runs(trees, warm_runs, warm_run)
        sizes = {n: dir_bytes(work / f"{n}-idx") for n in trees}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    diffs = diff_runs(warm["before"]["answers"], warm["after"]["answers"])
    rows = {n: {"help_s": helps[n], "ingest_s": ingest_s[n], "cold_ask_s": cold_s[n],
                "warm_p50_ms": _pct(warm[n]["times"], 0.5), "warm_p95_ms": _pct(warm[n]["times"], 0.95),
                "index_bytes": sizes[n]} for n in trees}
    report = {"trees": {k: str(v) for k, v in trees.items()}, "rows": rows, "questions": len(warm["after"]["answers"]),
              "answer_differences": diffs, "wall_s": time.perf_counter() - t0}
    _write(report, Path(out_dir or ROOT / "eval" / "reports"))
    return report


def trees_markdown(r: dict[str, Any]) -> str:
    """The report as markdown: one row per figure, both trees and the after/before ratio."""
    b, a = r["rows"]["before"], r["rows"]["after"]
    labels = {"help_s": "`kgqa --help` (s, median of 5)", "ingest_s": "ingest bundled corpus (s, median)",
              "cold_ask_s": "cold `kgqa ask` (s, median of 5)", "warm_p50_ms": "warm answer p50 (ms)",
              "warm_p95_ms": "warm answer p95 (ms)", "index_bytes": "index on disk (bytes)"}
    digits = {"help_s": 2, "ingest_s": 1, "cold_ask_s": 2, "warm_p50_ms": 1, "warm_p95_ms": 1, "index_bytes": 0}
    rows = [[label, fnum(float(b[k]), digits[k]), fnum(float(a[k]), digits[k]), fnum(a[k] / b[k] if b[k] else None, 2)]
            for k, label in labels.items()]
    n_diff = len(r["answer_differences"])
    lines = ["# Two checkouts side by side", "",
             f"before: `{r['trees']['before']}`  ", f"after: `{r['trees']['after']}`", "",
             md_table(["figure", "before", "after", "after/before"], rows), "",
             f"Gold answers compared: {r['questions']}, differences: {n_diff}.", ""]
    lines += [f"- {d}" for d in r["answer_differences"][:20]]
    lines.append(f"\nRuns alternate between the trees; wall time {r['wall_s']:.0f} s.")
    return "\n".join(lines) + "\n"


def _write(report: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "trees.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out / "trees.md").write_text(trees_markdown(report), encoding="utf-8")
