"""Index format 7 (issue 13, index size): gzip-compressed JSON, float16 chunk vectors and int8 unit
vectors; an index written in an earlier format (here 5: plain JSON, float32) is refused with the
command that rebuilds it, and a plain ingest rebuilds it."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.config import Settings
from core.errors import IndexUnusable
from core.jsonio import read_json
from engine.ingest import build_index
from engine.qa import QA
from engine.store import FORMAT_VERSION, MANIFEST, FileStore
from kg.cache import cache_files
from kg.pipeline import GRAPH_FILE
from retrieval.store import CHUNKS_FILE, DOCS_FILE, UNITS_FILE

QUESTION = "What was Twilio's fiscal 2024 revenue?"


def _to_format_5(gen: Path) -> None:
    """Rewrite a generation the way kgqa wrote format 5: plain ``.json`` files, float32 ``units.npy``."""
    for p in [*gen.glob("*.json.gz"), *cache_files(gen)]:
        p.with_name(p.name.removesuffix(".gz")).write_bytes(gzip.decompress(p.read_bytes()))
        p.unlink()
    with np.load(gen / "units.npz") as z:
        np.save(gen / "units.npy", (z["codes"] * z["scale"][:, None]).astype(np.float32))
    (gen / "units.npz").unlink()
    manifest = json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
    (gen / MANIFEST).write_text(json.dumps({**manifest, "format_version": 5}), encoding="utf-8")


def test_generation_layout(built_index: Path, settings: Settings) -> None:
    snap = FileStore(built_index).load(settings)
    root = snap.root
    for name in (DOCS_FILE, UNITS_FILE, CHUNKS_FILE, GRAPH_FILE):
        assert (root / name).read_bytes()[:2] == b"\x1f\x8b", name  # gzip
    assert json.loads((root / MANIFEST).read_text(encoding="utf-8"))["format_version"] == FORMAT_VERSION == 7
    cached = cache_files(root)
    assert cached and all(isinstance(read_json(p), dict) for p in cached)
    assert not list(root.glob("*.json.tmp")) and not list(root.glob(".*.tmp"))
    assert len(read_json(root / UNITS_FILE)) == len(snap.index.units)


def test_a_format_5_index_gives_the_rebuild_command(tmp_path: Path, built_index: Path, settings: Settings,
                                                    corpus_dir: Path) -> None:
    idx = tmp_path / "index"
    shutil.copytree(built_index, idx, symlinks=True)
    s = settings.with_values({"index_dir": idx})
    gen = FileStore(idx).current()
    assert gen is not None
    _to_format_5(gen)
    want = (f"has format version 5, this kgqa reads version {FORMAT_VERSION}; "
            f"rebuild it with: kgqa ingest {corpus_dir} --rebuild --index {idx}")
    with pytest.raises(IndexUnusable) as err:
        QA.load(idx, s)
    assert want in str(err.value)

    r = subprocess.run([sys.executable, "-m", "kgqa.cli", "ask", QUESTION], capture_output=True, text=True,
                       cwd=tmp_path, env={**os.environ, "KGQA_INDEX_DIR": str(idx)}, timeout=300)
    assert r.returncode == 1 and want in r.stderr and "Traceback" not in r.stderr, r.stderr

    report = build_index([corpus_dir], s)  # a plain ingest builds it afresh
    assert report.embedded > 0
    fresh = QA.load(idx, s)
    assert fresh.snapshot.manifest["format_version"] == FORMAT_VERSION
    root = fresh.snapshot.root
    assert (root / UNITS_FILE).is_file() and not (root / "units.json").exists() and not (root / "units.npy").exists()
    assert "4.46" in fresh.ask(QUESTION).text
