"""``kgqa ask --llm openai-compatible ...`` end to end: a real subprocess talking to the stub server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from llm_data import QUESTION, REVENUE
from llm_stub import Reply, passage_with

pytestmark = pytest.mark.timeout(180)  # a hang guard; includes the shared index build on first use


def kgqa_ask(index_dir: Path, cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KGQA_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", KGQA_LLM_API_KEY="sk-stub-key")
    return subprocess.run(
        [sys.executable, "-m", "kgqa.cli", "ask", *args, "--index", str(index_dir), "--no-graph"],
        cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=80,
    )


def test_cli_llm_answer_json(llm_index, stub, tmp_path) -> None:
    """The README command: ``kgqa ask "..." --llm openai-compatible --llm-base-url URL --llm-model NAME --json``."""
    index_dir, _ = llm_index
    stub.script = lambda path, body: Reply(
        f"Twilio's fiscal 2024 revenue was approximately $4.46 billion [{passage_with(body, REVENUE)}][17].")
    out = kgqa_ask(index_dir, tmp_path, QUESTION, "--llm", "openai-compatible", "--llm-base-url", stub.url,
                   "--llm-model", "stub", "--json")
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    assert rec["mode"] == "llm" and rec["route"] == "llm"
    assert rec["answer"] == "Twilio's fiscal 2024 revenue was approximately $4.46 billion [1]."
    assert [c["n"] for c in rec["citations"]] == [1] and REVENUE in rec["citations"][0]["text"]
    assert "removed citation(s) to passages that do not exist: [17]" in rec["notes"]
    assert stub.requests[0]["headers"]["Authorization"] == "Bearer sk-stub-key"  # key from the environment


def test_cli_failures_fall_back_with_exit_code_0(llm_index, stub, tmp_path) -> None:
    """One ``--jsonl`` process, two failing calls (HTTP 500, then 429): offline answers, notes saying why."""
    index_dir, _ = llm_index
    stub.script = lambda path, body: Reply(status=500 if len(stub.requests) == 1 else 429)
    llm = ["--llm", "openai-compatible", "--llm-base-url", stub.url, "--llm-model", "stub"]
    out = kgqa_ask(index_dir, tmp_path, "--jsonl", *llm, stdin=f"{QUESTION}\n{QUESTION}\n")
    assert out.returncode == 0, out.stderr
    first, second = (json.loads(line) for line in out.stdout.splitlines())
    for rec in (first, second):
        assert rec["mode"] == "llm-fallback" and rec["value"] == "$4.46 billion"
    assert first["notes"][0] == "LLM endpoint returned HTTP 500; showing the offline answer"
    assert second["notes"][0] == "LLM endpoint is rate-limiting requests (HTTP 429); showing the offline answer"
    assert "Traceback" not in out.stderr


def test_cli_misconfigured_llm_is_one_clear_line(llm_index, tmp_path) -> None:
    index_dir, _ = llm_index
    out = kgqa_ask(index_dir, tmp_path, QUESTION, "--llm", "openai-compatible", "--llm-model", "stub")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "kgqa: --llm openai-compatible needs the server's URL: --llm-base-url http://HOST:PORT/v1 "
        "(or llm_base_url in kgqa.toml)"
    ]
