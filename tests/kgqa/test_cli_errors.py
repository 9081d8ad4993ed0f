"""The CLI maps each error kind to one line on stderr and an exit code (no tracebacks)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def kgqa(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kgqa.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_errors_are_one_line(tmp_path: Path) -> None:
    cases = [
        (("ask", ""), {}, 1, "kgqa: the question is empty"),
        (("ask",), {}, 1, "kgqa: give a question"),
        (("ask", "What?", "--index", str(tmp_path / "idx"), "--corpus", str(tmp_path / "none")), {}, 1,
         "kgqa: no such file or folder"),
        (("ask", "What?"), {"KGQA_TOP_K": "many"}, 1, "kgqa: setting 'top_k' in environment has a bad value"),
        (("graph", "stats", "--index", str(tmp_path / "nowhere")), {}, 1, "no index at"),
        (("ask", "What?", "--top-k", "0"), {}, 2, "kgqa:"),
        (("bench", "lihua", "--backends", "onnx,fp16", "--bench-dir", str(tmp_path)), {}, 2, "unknown backend fp16"),
    ]
    for args, env, code, start in cases:
        r = kgqa(*args, cwd=tmp_path, env=env)
        assert r.returncode == code, (args, r.stderr)
        assert start in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
