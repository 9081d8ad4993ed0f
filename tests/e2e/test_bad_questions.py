"""Issue 10, items 4a and 6: invalid text in a question is a one-line error for that question
only, on every path (CLI argument, --jsonl line, Python API, Gradio); terminal output has no
control characters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import QuestionError
from kgqa.qa import QA

ROOT = Path(__file__).resolve().parents[2]
GOOD = "What was Twilio's fiscal 2024 revenue?"


def run(args: list[bytes | str], index: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "KGQA_INDEX_DIR": str(index)}
    return subprocess.run([sys.executable, "-m", "kgqa.cli", *args], input=stdin, capture_output=True, env=env,
                          cwd=ROOT, timeout=300)


def test_invalid_utf8_argument_is_one_line_error(built_index: Path) -> None:
    r = run(["ask", b"What was \xff\xfe revenue?"], built_index)
    err = r.stderr.decode()
    assert r.returncode == 1 and "Traceback" not in err and "TypeError" not in err
    assert err.strip().splitlines() == [err.strip()] and "not valid text" in err


def test_jsonl_bad_lines_fail_alone_and_later_lines_are_answered(built_index: Path) -> None:
    lines = [GOOD.encode(), b"What was \xff revenue?", "Revenue \ud800?".encode("utf-8", "surrogatepass"),
             b"What share of revenue comes from Segment?"]
    r = run(["ask", "--jsonl"], built_index, stdin=b"\n".join(lines) + b"\n")
    out = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert len(out) == 4, r.stderr.decode()
    assert "4.46" in out[0]["answer"] and "13%" in out[3]["answer"]
    for rec in out[1:3]:
        assert "not valid text" in rec["error"]
    err = r.stderr.decode()
    assert r.returncode == 1 and "Traceback" not in err and "line 2" in err and "line 3" in err


def test_python_api_refuses_lone_surrogates(built_index: Path, settings) -> None:  # type: ignore[no-untyped-def]
    qa = QA.load(built_index, settings)
    for bad in ("Revenue \udcff in 2024?", "\ud83d", b"caf\xc3 revenue?"):
        with pytest.raises(QuestionError, match="not valid text"):
            qa.ask(bad)  # type: ignore[arg-type]
        with pytest.raises(QuestionError):
            next(iter(qa.stream(bad)))  # type: ignore[arg-type]
    assert "4.46" in qa.ask(GOOD).text


def test_terminal_output_strips_control_characters(built_index: Path, tmp_path: Path) -> None:
    r = run(["ask", "What was Twilio's \x1b[2J\x1b]0;pwned\x07fiscal 2024 revenue?"], built_index)
    assert r.returncode == 0, r.stderr
    assert b"\x1b" not in r.stdout and b"\x07" not in r.stdout and b"4.46" in r.stdout
    # an abstention quotes the question back: still no escape sequence reaches the terminal
    r = run(["ask", "What was Globex's \x1b[2J\x1b[31mrevenue in 1990?"], built_index)
    assert r.returncode == 0, r.stderr
    assert b"does not say" in r.stdout and b"Globex" in r.stdout and b"\x1b" not in r.stdout
    r = run(["ask", "\x1b[31m" + "x" * 3000], built_index)
    assert r.returncode == 1 and b"\x1b" not in r.stderr
