"""The on-disk index: manifest, incremental re-ingest, atomic swaps, clear errors when unusable."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.config import Settings
from core.errors import IndexUnusable
from engine.ingest import build_index
from engine.qa import QA
from engine.store import FORMAT_VERSION, FileStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def corpus_copy(tmp_path: Path, corpus_dir: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(corpus_dir, dst)
    return dst


def _settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", use_graph=False)


def test_manifest_records_format_model_and_hashes(built_index: Path, settings: Settings) -> None:
    snap = FileStore(built_index).load(settings)
    idx, m = snap.index, snap.manifest
    assert m["format_version"] == FORMAT_VERSION
    assert m["model"] == settings.model and m["dim"] == 384
    assert set(m["documents"]) == set(idx.docs)
    for doc_id, rec in m["documents"].items():
        assert len(rec["sha256"]) == 64 and rec["units"] > 0
        assert idx.docs[doc_id].sha256 == rec["sha256"]
    assert len(idx.chunk_dense) == len(idx.chunks)


def test_incremental_ingest(tmp_path: Path, corpus_copy: Path) -> None:
    s = _settings(tmp_path)
    first = build_index([corpus_copy], s)
    assert sorted(first.added) == sorted(p.name for p in corpus_copy.glob("*.txt"))
    n_texts = first.embedded

    again = build_index([corpus_copy], s)
    assert again.did_nothing and again.embedded == 0

    small = corpus_copy / "twilio-insider-selling-engineering-commentary.txt"
    small.write_text(small.read_text(encoding="utf-8") + "\nAddendum\nAcme Robotics signed a $12 million deal.\n", encoding="utf-8")
    changed = build_index([corpus_copy], s)
    assert changed.changed == [small.name]
    assert 0 < changed.embedded < n_texts  # only the changed document was embedded again
    assert "Acme Robotics" in QA.load(s.index_dir, s).ask("Who signed a $12 million deal?").text

    (corpus_copy / "twilio-cpaas-ai-native-alternatives.txt").unlink()
    removed = build_index([corpus_copy], s)
    assert removed.removed == ["twilio-cpaas-ai-native-alternatives.txt"]
    assert set(FileStore(s.index_dir).load(s).index.docs) == {small.name}

    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "note.md").write_text("# Note\n\nBeta Corp margins were 31% in 2025.\n", encoding="utf-8")
    added = build_index([extra], s, add=True)
    assert added.added == ["note.md"] and added.unchanged == [small.name]
    assert set(FileStore(s.index_dir).load(s).index.docs) == {small.name, "note.md"}


def test_corrupt_and_stale_indexes_give_a_fix(tmp_path: Path, corpus_copy: Path) -> None:
    s = _settings(tmp_path)
    build_index([corpus_copy], s)
    root = FileStore(s.index_dir).current()
    assert root is not None
    manifest = json.loads((root / "manifest.json").read_text())

    (root / "manifest.json").write_text(json.dumps({**manifest, "model": "other-model"}))
    with pytest.raises(IndexUnusable, match="kgqa ingest"):
        FileStore(s.index_dir).load(s)
    (root / "manifest.json").write_text(json.dumps({**manifest, "format_version": FORMAT_VERSION - 1}))
    with pytest.raises(IndexUnusable, match="format version"):
        FileStore(s.index_dir).load(s)
    (root / "manifest.json").write_text("{not json")
    with pytest.raises(IndexUnusable, match="corrupt"):
        FileStore(s.index_dir).load(s)
    (root / "manifest.json").write_text(json.dumps(manifest))
    (root / "chunks.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexUnusable, match="corrupt"):
        FileStore(s.index_dir).load(s)
    # a rebuild repairs it
    build_index([corpus_copy], s, rebuild=True)
    assert FileStore(s.index_dir).load(s).index.chunks


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexUnusable, match="no index"):
        FileStore(tmp_path / "nowhere").load(Settings())


def test_killed_build_leaves_the_old_index_serving(tmp_path: Path, corpus_copy: Path) -> None:
    s = _settings(tmp_path)
    build_index([corpus_copy], s)
    before = FileStore(s.index_dir).current()
    # make the next build long: many changed documents to embed
    for i in range(12):
        for p in list(corpus_copy.glob("twilio-*.txt"))[:2]:
            (corpus_copy / f"copy{i}-{p.name}").write_text(p.read_text(encoding="utf-8") + f"\nCopy {i}.\n", encoding="utf-8")
    env = {**os.environ, "KGQA_INDEX_DIR": str(s.index_dir), "KGQA_USE_GRAPH": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgqa.cli", "ingest", str(corpus_copy)],
        cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    deadline = time.time() + 120
    for line in proc.stderr:
        if "embedding" in line or time.time() > deadline:
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert FileStore(s.index_dir).current() == before  # the swap never happened
    qa = QA.load(s.index_dir, s)
    a = qa.ask("What was Twilio's fiscal 2024 revenue?")
    assert not a.abstained and "4.46" in a.text
    assert len(qa.index.docs) == 2
    # the next build cleans up what the killed one left and completes
    report = build_index([corpus_copy], s)
    assert len(report.added) == 24
    assert not list(s.index_dir.glob("*.partial"))
