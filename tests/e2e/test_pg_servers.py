"""Two real ``kgqa serve`` processes on one PostgreSQL database answer from a document that a third
process ingests while they run (no restart), and show it in the workspace header."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from engine.migrate import migrate

pytestmark = [pytest.mark.pg, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
DOC = ("Zephyrine Freight\n\nZephyrine Freight reported revenue of $47 million in fiscal 2024, "
       "up from $39 million a year earlier.\n")


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false", GRADIO_ANALYTICS_ENABLED="False", KGQA_REFRESH_S="0.5")
    env.pop("KGQA_STORE", None)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(url: str, proc: subprocess.Popen, timeout: float = 300) -> None:  # type: ignore[type-arg]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"kgqa serve exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"{url} never came up")


@pytest.fixture()
def servers(settings: Settings, built_index: Path, pg_url: str, tmp_path: Path) -> Iterator[list[str]]:
    migrate(settings, pg_url)
    ports = [_free_port(), _free_port()]
    procs = [subprocess.Popen([sys.executable, "-m", "kgqa.cli", "serve", "--store", pg_url, "--port", str(p),
                               "--uploads", str(tmp_path / f"uploads-{p}")], env=_env(), cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for p in ports]
    try:
        urls = [f"http://127.0.0.1:{p}/" for p in ports]
        for url, proc in zip(urls, procs, strict=True):
            _wait_up(url, proc)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)


def test_two_servers_see_a_new_document_without_restart(servers: list[str], pg_url: str, tmp_path: Path) -> None:
    from gradio_client import Client

    clients = [Client(url, verbose=False) for url in servers]
    for c in clients:
        assert re.search(r"\b2 documents\b", c.predict(api_name="/refresh")[0])
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "zephyrine.txt").write_text(DOC, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "kgqa.cli", "ingest", str(tmp_path / "new"), "--add", "-q", "--store", pg_url],
                   env=_env(), cwd=tmp_path, check=True, timeout=600)
    time.sleep(1.0)
    for c in clients:
        out = c.predict("What was Zephyrine Freight's revenue in fiscal 2024?", api_name="/ask_stream")
        text = " ".join(str(x) for x in out)
        assert "47 million" in text and "zephyrine.txt" in text
        assert re.search(r"\b3 documents\b", c.predict(api_name="/refresh")[0])
