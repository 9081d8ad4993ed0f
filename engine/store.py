"""The embedded file store: a folder of index generations behind an atomically swapped link.

Layout of ``index_dir``::

    current -> gen-<time>-<pid>     symlink, swapped atomically (os.replace) after a build
    gen-.../manifest.json           format version, model, dim, per-document sha256, build stats
    gen-.../<retrieval files>       see retrieval.store
    gen-.../graph.json.gz           knowledge graph, gzip-compressed node-link JSON (kg.pipeline)
    gen-.../kg_cache/<sha256>*.json.gz  per-document extraction cache (kg.pipeline)
    .lock                           held by the one build running
    sources.json                    the folders the live generation was built from (for rebuild hints)

A build writes ``gen-....partial`` beside the live generation and renames and swaps it in only
when it is complete (the manifest is written last), so a crash mid-build leaves the previous
generation serving. :class:`Snapshot` is one loaded generation.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shlex
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import Settings
from core.errors import GraphUnavailable, IndexUnusable
from core.interfaces import GraphStore
from core.jsonio import write_json
from kg.pipeline import GRAPH_FILE
from kg.store import NetworkXGraphStore
from retrieval.store import RetrievalIndex

log = logging.getLogger(__name__)

# Bump when the parser, tokenizer or stored layout changes: older indexes are then rebuilt.
# 5: PDF statement rows, page-bound chunks, context heads, late-chunked vectors (issue 13)
# 6: float16 vectors, gzip-compressed JSON files (issue 13, index size)
# 7: int8 unit vectors with a scale per row (units.npz), BM25 indexes zipped (issue 13, index size)
FORMAT_VERSION = 7
CURRENT = "current"
MANIFEST = "manifest.json"
SOURCES = "sources.json"  # the live generation's sources, outside it


def rebuild_hint(index_dir: Path, sources: list[str] | None = None) -> str:
    """The command that rebuilds ``index_dir`` from the folders it was built from (the manifest's
    ``"sources"``), never from another corpus: rebuilding from the wrong folder drops documents.

    >>> rebuild_hint(Path("/srv/idx"), ["/data/reports", "/data/notes"])
    'rebuild it with: kgqa ingest /data/reports /data/notes --rebuild --index /srv/idx'
    >>> rebuild_hint(Path("/srv/idx"))
    'rebuild it with: kgqa ingest FOLDER... --rebuild --index /srv/idx (the folders it was built from)'
    """
    if sources:
        return f"rebuild it with: kgqa ingest {' '.join(shlex.quote(s) for s in sources)} --rebuild --index {index_dir}"
    return f"rebuild it with: kgqa ingest FOLDER... --rebuild --index {index_dir} (the folders it was built from)"


def manifest_sources(manifest: dict[str, Any]) -> list[str]:
    """The folders an index was built from: its recorded ``"sources"``, plus the folder of any
    document outside them (indexes written before ``--add`` recorded every source).

    >>> manifest_sources({"sources": ["/a"], "documents": {"x/b.txt": {"path": "/c/x/b.txt"}, "d.txt": {"path": "/a/d.txt"}}})
    ['/a', '/c']
    """
    out = [str(s) for s in manifest.get("sources", []) if isinstance(s, str)]
    docs = manifest.get("documents", {})
    for doc_id, rec in (docs.items() if isinstance(docs, dict) else []):
        path = str(rec.get("path", "")) if isinstance(rec, dict) else ""
        if not path or any(path == s or path.startswith(s.rstrip("/") + "/") for s in out):
            continue
        root = path[: -len(doc_id)].rstrip("/") if path.endswith("/" + doc_id) else str(Path(path).parent)
        if root and root not in out:
            out.append(root)
    return sorted(out)


@dataclass
class Snapshot:
    """One loaded index generation: its retrieval index and, loaded on first use, its graph.

    The graph is optional: when ``graph.json.gz`` is unreadable, :attr:`graph` is ``None``,
    :attr:`graph_error` says why, and answers come from passages (a plain ``kgqa ingest``
    rebuilds the graph).
    """

    root: Path
    manifest: dict[str, Any]
    index: RetrievalIndex
    _graph: GraphStore | None = field(default=None, repr=False)
    _graph_loaded: bool = field(default=False, repr=False)
    graph_error: str = ""

    @property
    def graph(self) -> GraphStore | None:
        """The knowledge graph of this generation (``None`` if it has none or it is unreadable)."""
        if not self._graph_loaded:
            path = self.root / GRAPH_FILE
            try:
                self._graph = NetworkXGraphStore.load(path) if path.exists() else None
            except Exception as exc:  # any damage: the graph is optional, passages still answer
                self._graph = None
                reason = str(exc) if isinstance(exc, GraphUnavailable) else f"{type(exc).__name__}: {exc}"
                self.graph_error = (f"the knowledge graph is unreadable ({reason}); answering from passages only. "
                                    f"A plain kgqa ingest of the same folders rebuilds it")
                log.warning("%s", self.graph_error)
            self._graph_loaded = True
        return self._graph

    @property
    def sources(self) -> list[str]:
        """The folders and files this generation was built from (for the rebuild hint)."""
        return manifest_sources(self.manifest)


class FileStore:
    """Generations of one index folder (see module docstring)."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self.label = str(self.index_dir)

    # the rest of the store protocol (engine.stores.IndexStore)
    def exists(self) -> bool:
        return self.current() is not None

    def generation(self) -> str | None:
        gen = self.current()
        return gen.name if gen is not None else None

    def generation_of(self, snapshot: Snapshot) -> str:
        return snapshot.root.name

    def cache_root(self, snapshot: Snapshot | None) -> Path | None:
        return snapshot.root if snapshot is not None else None

    def rebuild_hint(self) -> str:
        return rebuild_hint(self.index_dir, self.last_sources())

    def current(self) -> Path | None:
        """The live generation's folder, or ``None`` when there is none.

        Raises :class:`IndexUnusable` when ``current`` points at a generation that is gone: that
        index is broken, and rebuilding it from anything but its own folders would lose documents.
        """
        link = self.index_dir / CURRENT
        if link.exists():
            return link.resolve()
        if link.is_symlink():
            raise IndexUnusable(
                f"index at {self.index_dir} is broken: 'current' points at {os.readlink(link)}, which is missing; "
                f"{rebuild_hint(self.index_dir, self.last_sources())}"
            )
        return None

    def last_sources(self) -> list[str]:
        """The ``sources`` of the newest readable manifest in the folder (``[]`` if none)."""
        gens = sorted((p for p in self.index_dir.glob("gen-*") if not p.name.endswith(".partial")),
                      key=lambda p: p.stat().st_mtime, reverse=True)
        for gen in gens:
            try:
                return manifest_sources(json.loads((gen / MANIFEST).read_text(encoding="utf-8")))
            except (OSError, ValueError, AttributeError):
                continue
        try:
            kept = json.loads((self.index_dir / SOURCES).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [str(s) for s in kept] if isinstance(kept, list) else []

    def load(self, settings: Settings) -> Snapshot:
        """Load the live generation; raise :class:`IndexUnusable` with the command that fixes it."""
        index_dir = self.index_dir
        root = self.current()
        if root is None:
            raise IndexUnusable(f"no index at {index_dir}: build it with: kgqa ingest FOLDER... --index {index_dir}")
        try:
            manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            raise IndexUnusable(
                f"index at {index_dir} is corrupt (manifest unreadable: {exc}); "
                f"{rebuild_hint(index_dir, self.last_sources())}"
            ) from exc
        hint = rebuild_hint(index_dir, manifest_sources(manifest))
        check_manifest(manifest, settings, index_dir)
        try:
            index = RetrievalIndex.load(root)
        except IndexUnusable as exc:
            raise IndexUnusable(f"index at {index_dir} is corrupt ({exc}); {hint}") from exc
        if index.dim != int(manifest["dim"]):
            raise IndexUnusable(f"index at {index_dir} is corrupt (vector counts do not match); {hint}")
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
        """A fresh, empty ``.partial`` folder to build the next generation in.

        Call it holding :meth:`lock`: partial folders left by builds that died (a crash, a full
        disk) are removed first, so they never hold the space the new build needs.
        """
        self.remove_partials()
        gen = self.index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 100000}"
        tmp = gen.with_name(gen.name + ".partial")
        tmp.mkdir()
        return tmp

    def remove_partials(self) -> None:
        """Remove every unfinished ``gen-*.partial`` folder (only under :meth:`lock`)."""
        for p in self.index_dir.glob("gen-*.partial"):
            shutil.rmtree(p, ignore_errors=True)

    def commit(self, partial: Path, manifest: dict[str, Any]) -> Path:
        """Write the manifest (last), make ``partial`` a generation and swap ``current`` to it."""
        write_json(partial / MANIFEST, manifest)
        _fsync_dir(partial)
        gen = partial.with_name(partial.name.removesuffix(".partial"))
        os.rename(partial, gen)
        tmp_link = self.index_dir / f".current-{os.getpid()}"
        if tmp_link.is_symlink() or tmp_link.exists():
            tmp_link.unlink()
        os.symlink(gen.name, tmp_link)
        os.replace(tmp_link, self.index_dir / CURRENT)
        # kept beside the generations, so a hint can name the folders even if every one is lost
        write_json(self.index_dir / SOURCES, manifest_sources(manifest))  # atomic (temporary file, rename)
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
    hint = rebuild_hint(index_dir, manifest_sources(manifest))
    fv = manifest.get("format_version")
    if fv != FORMAT_VERSION:
        raise IndexUnusable(
            f"index at {index_dir} has format version {fv}, this kgqa reads version {FORMAT_VERSION}; {hint}"
        )
    if manifest.get("model") != settings.model:
        raise IndexUnusable(
            f"index at {index_dir} was built with model {manifest.get('model')!r}, settings ask for "
            f"{settings.model!r}; {hint}"
        )


def _fsync_dir(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
