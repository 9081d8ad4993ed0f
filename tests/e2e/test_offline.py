"""Nothing is fetched at run time: ingest and ask work with networking blocked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BLOCK = '''
import socket
def _blocked(*a, **k):
    raise OSError("network access blocked by test")
socket.socket.connect = _blocked
socket.socket.connect_ex = _blocked
socket.create_connection = _blocked
socket.getaddrinfo = _blocked
'''


def test_ingest_and_ask_without_network(tmp_path: Path, corpus_dir: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK)
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    env = {
        **os.environ,
        "PYTHONPATH": f"{site}{os.pathsep}{ROOT}",
        "KGQA_INDEX_DIR": str(tmp_path / "index"),
        "KGQA_CORPUS_DIR": str(corpus),
        "HF_HUB_OFFLINE": "",  # kgqa must set these itself
        "TRANSFORMERS_OFFLINE": "",
    }
    check = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 9))"], env=env, capture_output=True, text=True)
    assert "network access blocked" in check.stderr  # the block is in force
    r = subprocess.run([sys.executable, "-m", "kgqa.cli", "ingest", str(corpus)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "kgqa.cli", "ask", "What share of revenue comes from Segment?"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "13%" in r.stdout
