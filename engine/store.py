"""The embedded file store: a folder of index generations behind an atomically swapped link.

Layout of ``index_dir``::

    current -> gen-<time>-<pid>     symlink, swapped atomically (os.replace) after a build
    gen-.../manifest.json           format version, model, dim, per-document sha256, build stats
    gen-.../<retrieval files>       see retrieval.store
    gen-.../graph.json kg_cache/    knowledge graph and per-document extraction cache (kg.pipeline)
    .lock                           held by the one build running

A build writes ``gen-....partial`` beside the live generation and renames and swaps it in only
when it is complete (the manifest is written last), so a crash mid-build leaves the previous
generation serving. :class:`Snapshot` is one loaded generation.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import Settings
from core.errors import IndexUnusable
from core.interfaces import GraphStore
from kg.pipeline import GRAPH_FILE
from kg.store import NetworkXGraphStore
from retrieval.store import RetrievalIndex

log = logging.getLogger(__name__)

# Bump when the parser, tokenizer or stored layout changes: older indexes are then rebuilt.
FORMAT_VERSION = 4  # 4: PDF statement rows, page-bound chunks, context heads (issue 13)
CURRENT = "current"
MANIFEST = "manifest.json"


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with: kgqa ingest corpus/ --rebuild --index {index_dir}"


@dataclass
class Snapshot:
    """One loaded index generation: its retrieval index and, loaded on first use, its graph."""

    root: Path
    manifest: dict[str, Any]
    index: RetrievalIndex
    _graph: GraphStore | None = field(default=None, repr=False)
    _graph_loaded: bool = field(default=False, repr=False)

    @property
    def graph(self) -> GraphStore | None:
        """The knowledge graph of this generation (``None`` if it has none)."""
        if not self._graph_loaded:
            path = self.root / GRAPH_FILE
            self._graph = NetworkXGraphStore.load(path) if path.exists() else None
            self._graph_loaded = True
        return self._graph


class FileStore:
    """Generations of one index folder (see module docstring)."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)

    def current(self) -> Path | None:
        """The live generation's folder, or ``None`` when there is none."""
        link = self.index_dir / CURRENT
        if not link.exists():
            return None
        return link.resolve()

    def load(self, settings: Settings) -> Snapshot:
        """Load the live generation; raise :class:`IndexUnusable` with the command that fixes it."""
        index_dir = self.index_dir
        root = self.current()
        if root is None:
            raise IndexUnusable(f"no index at {index_dir}: build it with: kgqa ingest corpus/ --index {index_dir}")
        try:
            manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexUnusable(
                f"index at {index_dir} is corrupt (manifest unreadable: {exc}); {rebuild_hint(index_dir)}"
            ) from exc
        check_manifest(manifest, settings, index_dir)
        try:
            index = RetrievalIndex.load(root)
        except IndexUnusable as exc:
            raise IndexUnusable(f"index at {index_dir} is corrupt ({exc}); {rebuild_hint(index_dir)}") from exc
        if index.dim != int(manifest["dim"]):
            raise IndexUnusable(f"index at {index_dir} is corrupt (vector counts do not match); {rebuild_hint(index_dir)}")
        return Snapshot(root, manifest, index)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """An exclusive lock on the folder so two builds never interleave (a second one waits)."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / ".lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fcntl.flock(fh, fcntl.LOCK_EX)  # wait for the other build, then go on
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def new_generation(self) -> Path:
        """A fresh, empty ``.partial`` folder to build the next generation in."""
        gen = self.index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 100000}"
        tmp = gen.with_name(gen.name + ".partial")
        tmp.mkdir()
        return tmp

    def commit(self, partial: Path, manifest: dict[str, Any]) -> Path:
        """Write the manifest (last), make ``partial`` a generation and swap ``current`` to it."""
        _write_json(partial / MANIFEST, manifest)
        _fsync_dir(partial)
        gen = partial.with_name(partial.name.removesuffix(".partial"))
        os.rename(partial, gen)
        tmp_link = self.index_dir / f".current-{os.getpid()}"
        if tmp_link.is_symlink() or tmp_link.exists():
            tmp_link.unlink()
        os.symlink(gen.name, tmp_link)
        os.replace(tmp_link, self.index_dir / CURRENT)
        self._cleanup(keep=gen)
        return gen

    def _cleanup(self, keep: Path) -> None:
        """Remove partial generations and all but the newest previous one (a reader may still use it)."""
        gens = sorted((p for p in self.index_dir.glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
        finished = [p for p in gens if not p.name.endswith(".partial") and p != keep]
        for p in gens:
            if p.name.endswith(".partial") or (p in finished[:-1]):
                shutil.rmtree(p, ignore_errors=True)


def check_manifest(manifest: dict[str, Any], settings: Settings, index_dir: Path) -> None:
    """Refuse an index built by another format or model, with the command that fixes it."""
    fv = manifest.get("format_version")
    if fv != FORMAT_VERSION:
        raise IndexUnusable(
            f"index at {index_dir} has format version {fv}, this kgqa reads version {FORMAT_VERSION}; {rebuild_hint(index_dir)}"
        )
    if manifest.get("model") != settings.model:
        raise IndexUnusable(
            f"index at {index_dir} was built with model {manifest.get('model')!r}, settings ask for "
            f"{settings.model!r}; {rebuild_hint(index_dir)}"
        )


def _write_json(path: Path, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
