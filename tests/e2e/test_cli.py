"""The kgqa command line: answers, JSON lines for eval scripts, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], index: Path | None = None, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    e = {**os.environ, **env}
    if index is not None:
        e["KGQA_INDEX_DIR"] = str(index)
    return subprocess.run(
        [sys.executable, "-m", "kgqa.cli", *args], input=stdin, capture_output=True, text=True, env=e, cwd=ROOT, timeout=300
    )


def test_help_is_fast_and_light() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import kgqa.cli, sys; print(sorted(m for m in ('torch', 'sentence_transformers', 'faiss', 'gradio', 'spacy') if m in sys.modules))"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert out.stdout.strip() == "[]", out.stderr
    r = run(["--help"])
    assert r.returncode == 0 and "ask" in r.stdout and "ingest" in r.stdout


def test_ask_json_citations_point_into_the_files(built_index: Path, corpus_dir: Path) -> None:
    r = run(["ask", "What was Twilio's fiscal 2024 revenue?", "--json", "-k", "4"], built_index)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) >= {"question", "answer", "abstained", "citations", "passages", "timings_ms"}
    assert d["answer"].startswith("About $4.46 billion") and "[1]" in d["answer"]
    assert not d["abstained"] and len(d["passages"]) == 4
    for c in d["citations"]:
        raw = (corpus_dir / c["doc"]).read_text(encoding="utf-8")
        assert raw[c["start"] : c["end"]] == c["text"]
        assert set(c) >= {"n", "doc", "title", "section", "start", "end", "text"}
    c1 = d["citations"][0]
    raw = (corpus_dir / c1["doc"]).read_text(encoding="utf-8")
    assert "4.46 billion" in raw[c1["value_start"] : c1["value_end"]]


def test_jsonl_for_eval_scripts(built_index: Path) -> None:
    lines = "What share of revenue comes from Segment?\n\n" + "x" * 100_000 + "\nWho is Twilio's CEO?\n"
    r = run(["ask", "--jsonl"], built_index, stdin=lines)
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(out) == 3  # the blank line is skipped
    assert "13%" in out[0]["answer"] and not out[0]["abstained"]
    assert "error" in out[1] and "limit" in out[1]["error"]
    assert out[2]["abstained"] is True
    assert r.returncode == 1  # one line failed
    assert "Traceback" not in r.stderr and "line 3" in r.stderr


def test_errors_are_one_line(tmp_path: Path, built_index: Path) -> None:
    for args in (["ask", ""], ["ask", "   "], ["ask", "x" * 100_000]):
        r = run(args, built_index)
        assert r.returncode != 0
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run(["ask", "What is revenue?", "--corpus", str(empty)], tmp_path / "idx")
    assert r.returncode == 1 and "nothing to index" in r.stderr and "Traceback" not in r.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "current").symlink_to("gen-x")
    (broken / "gen-x").mkdir()
    (broken / "gen-x" / "manifest.json").write_text("{oops")
    r = run(["ask", "What is revenue?"], broken)
    assert r.returncode == 1 and "corrupt" in r.stderr and "kgqa ingest" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = run(["ingest", str(tmp_path / "does-not-exist")], tmp_path / "idx2")
    assert r.returncode == 1 and "no such file" in r.stderr


def test_python_api(built_index: Path, settings) -> None:  # type: ignore[no-untyped-def]
    from core.types import Answer
    from engine.qa import QA

    a = QA.load(built_index, settings).ask("What is Twilio's AI margin pressure score?")
    assert isinstance(a, Answer)
    assert a.value == "7/10" and a.citations[0].text.startswith("Twilio scores 7 out of 10")


def test_comparison_prints_a_table_and_json_has_its_cells(built_index: Path, corpus_dir: Path) -> None:
    r = run(["ask", "Compare Segment and Flex."], built_index, COLUMNS="160")
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("Segment is larger") and "Segment" in r.stdout and "Flex" in r.stdout
    assert "% of Total" in r.stdout  # the table's columns
    j = run(["ask", "Compare Segment and Flex.", "--json"], built_index)
    d = json.loads(j.stdout)
    assert d["answer_type"] == "comparison" and d["comparison"]["items"] and d["comparison"]["properties"]
    cited = {c["n"] for c in d["citations"]}
    for row in d["comparison"]["cells"]:
        for cell in row:
            assert set(cell) == {"text", "citations"} and set(cell["citations"]) <= cited


def test_open_answer_json_has_points(built_index: Path) -> None:
    r = run(["ask", "What are the weaknesses of Twilio's CPaaS business?", "--json"], built_index)
    d = json.loads(r.stdout)
    assert d["answer_type"] == "open" and 2 <= len(d["points"]) <= 7
    assert all(p["citations"] for p in d["points"])
