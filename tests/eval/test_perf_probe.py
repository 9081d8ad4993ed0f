"""What the measuring processes share (``eval.perf_probe``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eval.perf_probe import RESULT, latency_stats, peak_rss_mb, serve


def test_latency_stats() -> None:
    s = latency_stats([1.0, 2.0, 3.0, 4.0])
    assert s["p50"] == 2.5 and s["n"] == 4 and s["mean"] == 2.5
    assert latency_stats([]) == {"n": 0, "p50": None, "p95": None, "p99": None, "mean": None}


def test_peak_rss_is_plausible() -> None:
    assert 5 < peak_rss_mb() < 100_000


def test_serve_prints_one_result_line(capsys: pytest.CaptureFixture[str]) -> None:
    def double(a: dict[str, Any]) -> dict[str, Any]:
        return {"twice": 2 * a["n"]}

    serve({"double": double}, ["double", json.dumps({"n": 21})])
    out = capsys.readouterr().out.strip()
    assert out.startswith(RESULT) and json.loads(out[len(RESULT):]) == {"twice": 42}
