"""Issue 10, item 3: index faults never leave the index stuck or silently replaced.

(a) a full disk during ingest leaves no partial generation, and a stale partial never blocks
a later build (a real 5 MB tmpfs); (b) ``current`` pointing at a missing generation is an
error naming the folders, never a rebuild from the bundled corpus; (c) an unreadable graph
degrades to passage answers with a warning and a plain ingest rebuilds it; (d) the rebuild
hint names the folders the index was built from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from core.errors import IndexUnusable
from core.jsonio import write_text
from engine.ingest import build_index
from engine.qa import QA
from engine.store import FileStore
from kg.pipeline import GRAPH_FILE
from ui.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "What was Twilio's fiscal 2024 revenue?"


def kgqa(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kgqa.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **env}, timeout=300)


@pytest.fixture()
def index_copy(tmp_path: Path, built_index: Path, settings: Settings) -> tuple[Path, Settings]:
    """A private copy of the session index (built from corpus/ with the graph)."""
    dst = tmp_path / "index"
    shutil.copytree(built_index, dst, symlinks=True)
    return dst, settings.with_values({"index_dir": dst})


@pytest.fixture()
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real 5 MB tmpfs (needs root, as CI runs)."""
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(path: Path, leave: int) -> None:
    """Write ``path`` until the file system is full, then free ``leave`` bytes."""
    with open(path, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    size = path.stat().st_size
    os.truncate(path, max(0, size - leave))


def test_disk_full_leaves_no_partial_and_a_stale_partial_never_blocks(
    tmpfs: Path, built_index: Path, settings: Settings, tmp_path: Path, corpus_dir: Path
) -> None:
    idx = tmpfs / "index"
    shutil.copytree(built_index, idx, symlinks=True)
    s = settings.with_values({"index_dir": idx})
    before = FileStore(idx).current()
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text("Acme note\n\nAcme Robotics reported revenue of $12 million in 2024.\n")

    filler = tmpfs / "filler"
    _fill(filler, leave=200_000)  # less than one generation (~0.8 MB)
    with pytest.raises(IndexUnusable, match="nothing was changed"):
        build_index([extra], s, add=True)
    assert not list(idx.glob("gen-*.partial")), "the failed build left its partial generation"
    assert FileStore(idx).current() == before
    assert "4.46" in QA.load(idx, s).ask(QUESTION).text  # the previous generation still answers

    # a partial left by a build that died (kill -9) holds space; the next build must not need it
    filler.unlink()
    stale = idx / "gen-20000101-000000-1-1.partial"
    stale.mkdir()
    _fill(stale / "units.npz", leave=1_300_000)
    report = build_index([extra], s, add=True)
    assert report.added == ["note.txt"] and not stale.exists()
    assert len(QA.load(idx, s).index.docs) == 3


def test_missing_current_generation_is_an_error_naming_the_folders(tmp_path: Path, corpus_dir: Path) -> None:
    docs = tmp_path / "my-reports"
    shutil.copytree(corpus_dir, docs)
    idx = tmp_path / "index"
    s = Settings(index_dir=idx, use_graph=False)
    build_index([docs], s)
    shutil.rmtree(FileStore(idx).current())  # "current" now points at nothing
    gens = sorted(p.name for p in idx.iterdir())

    r = kgqa(["ask", QUESTION], tmp_path, KGQA_INDEX_DIR=str(idx), KGQA_USE_GRAPH="false")
    assert r.returncode == 1, r.stdout
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "missing" in err and str(idx) in err and str(docs) in err and "corpus" not in err.replace(str(docs), "")
    assert sorted(p.name for p in idx.iterdir()) == gens  # nothing was rebuilt from another corpus
    with pytest.raises(IndexUnusable, match="missing"):
        QA.open_or_build(s)
    with pytest.raises(IndexUnusable, match="cannot add"):  # --add would drop the user's documents
        build_index([tmp_path / "my-reports"], s, add=True)
    # the command it names repairs it
    build_index([docs], s, rebuild=True)
    assert "4.46" in QA.load(idx, s).ask(QUESTION).text


@pytest.mark.parametrize("damage", [b"", b"{not json", '{"directed": true}', "{not json", b"\x1f\x8b\x08\x00 cut short"])
def test_unreadable_graph_degrades_to_passages_and_plain_ingest_rebuilds_it(
    index_copy: tuple[Path, Settings], corpus_dir: Path, damage: str | bytes
) -> None:
    """Damage as raw bytes (not gzip at all, a cut gzip stream) or as a valid gzip of bad JSON (str)."""
    idx, s = index_copy
    graph = FileStore(idx).current() / GRAPH_FILE  # type: ignore[operator]
    if isinstance(damage, bytes):
        graph.write_bytes(damage)
    else:
        write_text(graph, damage)

    qa = QA.load(idx, s)
    a = qa.ask(QUESTION)
    assert not a.abstained and "4.46" in a.text
    assert any("knowledge graph is unreadable" in n for n in a.notes)
    assert "knowledge graph is unreadable" in Workspace(qa, s, uploads_dir=idx.parent / "up").header_html()

    r = kgqa(["ask", QUESTION], idx.parent, KGQA_INDEX_DIR=str(idx))
    assert r.returncode == 0, r.stderr
    assert "4.46" in r.stdout and "warning: the knowledge graph is unreadable" in r.stderr

    report = build_index([corpus_dir], s)  # a plain ingest, nothing changed but the graph
    assert report.embedded == 0 and report.graph and "error" not in report.graph
    fresh = QA.load(idx, s)
    assert fresh.graph is not None and not fresh.snapshot.graph_error


def test_rebuild_hint_names_the_folders_the_index_was_built_from(tmp_path: Path, corpus_dir: Path) -> None:
    a, b = tmp_path / "reports", tmp_path / "notes"
    shutil.copytree(corpus_dir, a)
    b.mkdir()
    (b / "note.txt").write_text("Acme note\n\nAcme Robotics reported revenue of $12 million in 2024.\n")
    idx = tmp_path / "index"
    s = Settings(index_dir=idx, use_graph=False)
    build_index([a], s)
    build_index([b], s, add=True)
    gen = FileStore(idx).current()
    assert gen is not None
    manifest = json.loads((gen / "manifest.json").read_text())
    assert manifest["sources"] == sorted([str(a), str(b)])
    (gen / "manifest.json").write_text(json.dumps({**manifest, "format_version": 1}))
    with pytest.raises(IndexUnusable) as exc:
        QA.load(idx, s)
    msg = str(exc.value)
    assert f"kgqa ingest {a} {b} --rebuild --index {idx}" in msg or f"kgqa ingest {b} {a} --rebuild" in msg
    assert "corpus/" not in msg
