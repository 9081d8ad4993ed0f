"""The on-disk index: documents, units, chunks, FAISS + BM25, graph, and a manifest.

Layout of ``index_dir``::

    current -> gen-<time>-<pid>     symlink, swapped atomically (os.replace) after a build
    gen-.../manifest.json           format version, model, dim, per-document sha256, build stats
    gen-.../docs.json               raw text and metadata of every document (for citations)
    gen-.../units.json chunks.json  citable units and retrieval chunks with raw spans
    gen-.../chunks.faiss            normalised chunk vectors (inner product)
    gen-.../units.npy               normalised unit vectors (sentence re-scoring, no per-query embedding)
    gen-.../bm25_chunks/ bm25_units/
    gen-.../graph.json              knowledge graph (kg/)

A build writes a new generation beside the live one and swaps the symlink only when the
generation is complete, so a crash mid-build leaves the previous index serving. Unchanged
documents (same sha256, same chunking settings, same model) reuse their vectors.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kgqa.config import Settings
from kgqa.types import Chunk, Document, Unit, page_of
from retrieval.chunking import chunk_document
from retrieval.documents import Skipped, load_documents
from retrieval.lexical import BM25Index

log = logging.getLogger(__name__)

# Bump when the parser, tokenizer or stored layout changes: older indexes are then rebuilt.
FORMAT_VERSION = 3
CURRENT = "current"


class IndexError_(RuntimeError):
    """The index is missing, corrupt or stale; the message says how to fix it."""


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with: kgqa ingest corpus/ --rebuild --index {index_dir}"


def unit_embed_text(u: Unit) -> str:
    """What a unit's vector is computed from: its section leaf gives short sentences context."""
    leaf = u.section.rsplit(" > ", 1)[-1] if u.section else ""
    return f"{leaf}: {u.text}" if leaf and u.kind != "heading" else u.text


@dataclass
class DocRecord:
    """What the index keeps of a document: enough to cite and show context."""

    id: str
    title: str
    path: str
    kind: str
    raw: str
    sha256: str
    meta: dict[str, Any] = field(default_factory=dict)
    page_starts: tuple[int, ...] = ()

    def page_of(self, pos: int) -> int | None:
        return page_of(self.page_starts, pos)


@dataclass
class BuildReport:
    """What an ingest did, for the CLI and the benchmarks."""

    index_dir: Path
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    n_units: int = 0
    n_chunks: int = 0
    embedded: int = 0
    timings_s: dict[str, float] = field(default_factory=dict)
    bytes_in: int = 0
    graph: dict[str, Any] = field(default_factory=dict)

    @property
    def did_nothing(self) -> bool:
        return not (self.added or self.changed or self.removed)


class Index:
    """A loaded index generation (read-only)."""

    def __init__(self, root: Path, manifest: dict[str, Any]) -> None:
        self.root = root
        self.manifest = manifest
        self.docs: dict[str, DocRecord] = {}
        self.units: list[Unit] = []
        self.chunks: list[Chunk] = []
        self.chunk_index: Any = None
        self.unit_vecs: np.ndarray = np.zeros((0, 0), dtype=np.float32)
        self.bm25_chunks: BM25Index | None = None
        self.bm25_units: BM25Index | None = None
        self._graph: Any = None

    # ---- loading --------------------------------------------------------------------

    @classmethod
    def load(cls, index_dir: Path, settings: Settings | None = None) -> Index:
        """Load the live generation of ``index_dir``; raise :class:`IndexError_` with a fix."""
        index_dir = Path(index_dir)
        settings = settings or Settings()
        root = resolve_current(index_dir)
        if root is None:
            raise IndexError_(f"no index at {index_dir}: build it with: kgqa ingest corpus/ --index {index_dir}")
        try:
            manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexError_(f"index at {index_dir} is corrupt (manifest unreadable: {exc}); {rebuild_hint(index_dir)}") from exc
        check_manifest(manifest, settings, index_dir)
        self = cls(root, manifest)
        try:
            import faiss

            docs = json.loads((root / "docs.json").read_text(encoding="utf-8"))
            self.docs = {
                d["id"]: DocRecord(
                    d["id"], d["title"], d["path"], d["kind"], d["raw"], d["sha256"],
                    d.get("meta", {}), tuple(d.get("page_starts", ())),
                )
                for d in docs
            }
            self.units = [Unit(*row) for row in json.loads((root / "units.json").read_text(encoding="utf-8"))]
            self.chunks = [
                Chunk(r[0], r[1], r[2], r[3], r[4], r[5], r[6], tuple(r[7]))
                for r in json.loads((root / "chunks.json").read_text(encoding="utf-8"))
            ]
            self.chunk_index = faiss.read_index(str(root / "chunks.faiss"))
            self.unit_vecs = np.load(root / "units.npy", allow_pickle=False)
            self.bm25_chunks = BM25Index.load(root / "bm25_chunks")
            self.bm25_units = BM25Index.load(root / "bm25_units")
        except Exception as exc:  # any missing or damaged file means the same thing to the user
            raise IndexError_(
                f"index at {index_dir} is corrupt ({type(exc).__name__}: {str(exc)[:200]}); {rebuild_hint(index_dir)}"
            ) from exc
        dim = int(manifest["dim"])
        if (
            self.chunk_index.ntotal != len(self.chunks)
            or self.unit_vecs.shape != (len(self.units), dim)
            or self.chunk_index.d != dim
        ):
            raise IndexError_(f"index at {index_dir} is corrupt (vector counts do not match); {rebuild_hint(index_dir)}")
        return self

    @property
    def graph(self) -> Any:
        """The knowledge graph of this generation, loaded on first use (``None`` if absent)."""
        if self._graph is None and (self.root / "graph.json").exists():
            from kg.store import GraphStore

            self._graph = GraphStore.load(self.root / "graph.json")
        return self._graph

    def unit_raw(self, u: Unit) -> str:
        return self.docs[u.doc].raw[u.start : u.end]


def resolve_current(index_dir: Path) -> Path | None:
    link = Path(index_dir) / CURRENT
    if not link.exists():
        return None
    return link.resolve()


def check_manifest(manifest: dict[str, Any], settings: Settings, index_dir: Path) -> None:
    """Refuse an index built by another format or model, with the command that fixes it."""
    fv = manifest.get("format_version")
    if fv != FORMAT_VERSION:
        raise IndexError_(
            f"index at {index_dir} has format version {fv}, this kgqa reads version {FORMAT_VERSION}; {rebuild_hint(index_dir)}"
        )
    if manifest.get("model") != settings.model:
        raise IndexError_(
            f"index at {index_dir} was built with model {manifest.get('model')!r}, settings ask for "
            f"{settings.model!r}; {rebuild_hint(index_dir)}"
        )


# ---- building -------------------------------------------------------------------------

Progress = Callable[[str], None]


def build_index(
    paths: Sequence[Path],
    settings: Settings,
    add: bool = False,
    rebuild: bool = False,
    progress: bool = False,
    say: Progress | None = None,
    embed_fn: Callable[[list[str]], np.ndarray] | None = None,
) -> BuildReport:
    """Ingest ``paths`` into ``settings.index_dir`` as a new generation.

    Without ``add``, the index afterwards holds exactly the documents under ``paths``
    (deleted files are dropped); with ``add`` it keeps the others too. Unchanged documents
    reuse their vectors unless ``rebuild``.
    """
    say = say or (lambda _msg: None)
    index_dir = Path(settings.index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    report = BuildReport(index_dir)
    with _lock(index_dir):
        t0 = time.perf_counter()
        docs, skipped = load_documents(paths, max_bytes=settings.max_file_bytes)
        report.skipped = skipped
        for s in skipped:
            say(f"warning: skipped {s.path}: {s.reason}")
        prev = _load_previous(index_dir, settings, rebuild, say)
        prev_docs = prev.docs if prev else {}
        new_ids = {d.id for d in docs}
        if add and prev is not None:
            keep = [did for did in prev_docs if did not in new_ids]
            docs = _reload_kept(prev, keep) + docs
        report.removed = sorted(set(prev_docs) - {d.id for d in docs})
        for d in docs:
            old = prev_docs.get(d.id)
            if old is None:
                report.added.append(d.id)
            elif old.sha256 != d.sha256:
                report.changed.append(d.id)
            else:
                report.unchanged.append(d.id)
        report.bytes_in = sum(len(d.raw.encode("utf-8")) for d in docs)
        if (
            prev is not None and report.did_nothing and not rebuild and prev.manifest.get("_reuse", True)
            and not _graph_stale(prev, settings)
        ):
            say("index is up to date")
            report.n_units, report.n_chunks = len(prev.units), len(prev.chunks)
            return report
        if not docs:
            raise IndexError_("nothing to index: no readable .txt, .md, .html or .pdf file under the given paths")
        docs.sort(key=lambda d: d.id)
        units: list[Unit] = []
        chunks: list[Chunk] = []
        for d in docs:
            us, cs = chunk_document(d, len(units), len(chunks), settings.chunk_chars, settings.chunk_overlap_units)
            units.extend(us)
            chunks.extend(cs)
        report.timings_s["parse"] = time.perf_counter() - t0
        report.n_units, report.n_chunks = len(units), len(chunks)

        t1 = time.perf_counter()
        unit_vecs, chunk_vecs, embedded = _vectors(units, chunks, prev, set(report.unchanged), settings, progress, say, embed_fn)
        report.embedded = embedded
        report.timings_s["embed"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        gen = index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 100000}"
        tmp = gen.with_name(gen.name + ".partial")
        tmp.mkdir()
        _write_store(tmp, docs, units, chunks, unit_vecs, chunk_vecs)
        report.timings_s["index"] = time.perf_counter() - t2

        t3 = time.perf_counter()
        if settings.use_graph:
            try:
                from kg.pipeline import build_graph
            except ImportError:
                log.info("kg package not available; index built without a graph")
            else:
                try:
                    report.graph = build_graph(docs, units, tmp, prev.root if prev else None, set(report.unchanged), settings)
                except Exception as exc:  # the passages still answer without a graph
                    log.exception("graph extraction failed")
                    say(f"warning: graph extraction failed ({type(exc).__name__}: {exc}); index built without a graph")
                    report.graph = {"error": f"{type(exc).__name__}: {exc}"}
                    (tmp / "graph.json").unlink(missing_ok=True)
        report.timings_s["graph"] = time.perf_counter() - t3

        manifest = {
            "format_version": FORMAT_VERSION,
            "model": settings.model,
            "dim": int(unit_vecs.shape[1]),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "chunking": {"chunk_chars": settings.chunk_chars, "overlap_units": settings.chunk_overlap_units},
            "sources": sorted({str(Path(p).resolve()) for p in paths}),
            "documents": {
                d.id: {
                    "sha256": d.sha256, "title": d.title, "path": d.path, "kind": d.kind,
                    "bytes": len(d.raw.encode("utf-8")),
                    "units": sum(1 for u in units if u.doc == d.id),
                    "chunks": sum(1 for c in chunks if c.doc == d.id),
                }
                for d in docs
            },
            "counts": {"documents": len(docs), "units": len(units), "chunks": len(chunks)},
            "build": {k: round(v, 4) for k, v in report.timings_s.items()},
            "graph": report.graph,
        }
        # the manifest is written last: a generation without one is never made current
        _write_json(tmp / "manifest.json", manifest)
        _fsync_dir(tmp)
        os.rename(tmp, gen)
        _swap_current(index_dir, gen)
        _cleanup(index_dir, keep=gen)
        report.timings_s["total"] = time.perf_counter() - t0
        return report


def _load_previous(index_dir: Path, settings: Settings, rebuild: bool, say: Progress) -> Index | None:
    if resolve_current(index_dir) is None:
        return None
    try:
        prev = Index.load(index_dir, settings)
    except IndexError_ as exc:
        say(f"previous index not reusable ({exc}); building from scratch")
        return None
    chunking = prev.manifest.get("chunking", {})
    if rebuild or chunking != {"chunk_chars": settings.chunk_chars, "overlap_units": settings.chunk_overlap_units}:
        # keep it for the document list (added/changed/removed) but reuse no vectors
        prev.manifest["_reuse"] = False
    return prev


def _graph_stale(prev: Index, settings: Settings) -> bool:
    """The stored graph was made by an older extractor (or is missing): rebuild it, reusing vectors."""
    if not settings.use_graph:
        return False
    try:
        from kg.pipeline import graph_is_stale
    except ImportError:
        return False
    graph = prev.graph
    return graph is None or graph_is_stale(graph)


def _reload_kept(prev: Index, ids: Iterable[str]) -> list[Document]:
    """Documents kept from the previous index when adding: rebuilt from their stored raw text."""
    from retrieval.documents import _html_text
    from retrieval.normalize import normalize

    out = []
    for did in ids:
        r = prev.docs[did]
        norm = _html_text(r.raw) if r.kind == "html" else normalize(r.raw)
        out.append(Document(r.id, r.path, r.title, r.kind, r.raw, norm.text, r.sha256, r.meta, r.page_starts, norm.starts, norm.ends))
    return out


def _vectors(
    units: list[Unit],
    chunks: list[Chunk],
    prev: Index | None,
    unchanged: set[str],
    settings: Settings,
    progress: bool,
    say: Progress,
    embed_fn: Callable[[list[str]], np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Unit and chunk vectors, reusing the previous generation's for unchanged documents."""
    if embed_fn is None:
        from retrieval.embedding import document_embedder

        enc = document_embedder(settings.model)

        def embed_fn(texts: list[str]) -> np.ndarray:
            return enc.encode(texts, batch_size=settings.embed_batch_size, progress=progress)

    reuse_u: dict[int, np.ndarray] = {}
    reuse_c: dict[int, np.ndarray] = {}
    if prev is not None and prev.manifest.get("_reuse", True):
        reuse_u, reuse_c = _reusable(units, chunks, prev, unchanged)
    u_todo = [u for u in units if u.id not in reuse_u]
    c_todo = [c for c in chunks if c.id not in reuse_c]
    texts = [unit_embed_text(u) for u in u_todo] + [c.text for c in c_todo]
    if texts:
        say(f"embedding {len(texts)} texts ({len(u_todo)} units, {len(c_todo)} chunks)")
    new = embed_fn(texts) if texts else np.zeros((0, 0), dtype=np.float32)
    dim = new.shape[1] if len(texts) else (prev.unit_vecs.shape[1] if prev is not None else 384)
    unit_vecs = np.zeros((len(units), dim), dtype=np.float32)
    chunk_vecs = np.zeros((len(chunks), dim), dtype=np.float32)
    for i, u in enumerate(u_todo):
        unit_vecs[u.id] = new[i]
    for i, c in enumerate(c_todo):
        chunk_vecs[c.id] = new[len(u_todo) + i]
    for k, v in reuse_u.items():
        unit_vecs[k] = v
    for k, v in reuse_c.items():
        chunk_vecs[k] = v
    return unit_vecs, chunk_vecs, len(texts)


def _reusable(
    units: list[Unit], chunks: list[Chunk], prev: Index, unchanged: set[str]
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Map new unit/chunk ids to old vectors where the same document yields the same texts."""
    import faiss

    old_chunk_vecs = faiss.rev_swig_ptr(prev.chunk_index.get_xb(), prev.chunk_index.ntotal * prev.chunk_index.d)
    old_chunk_vecs = np.asarray(old_chunk_vecs).reshape(prev.chunk_index.ntotal, prev.chunk_index.d)
    ru: dict[int, np.ndarray] = {}
    rc: dict[int, np.ndarray] = {}
    for did in unchanged:
        new_u = [u for u in units if u.doc == did]
        old_u = [u for u in prev.units if u.doc == did]
        new_c = [c for c in chunks if c.doc == did]
        old_c = [c for c in prev.chunks if c.doc == did]
        if [unit_embed_text(u) for u in new_u] != [unit_embed_text(u) for u in old_u] or [c.text for c in new_c] != [
            c.text for c in old_c
        ]:
            continue  # the parser changed: embed afresh
        for a, b in zip(new_u, old_u, strict=True):
            ru[a.id] = prev.unit_vecs[b.id]
        for a, b in zip(new_c, old_c, strict=True):
            rc[a.id] = old_chunk_vecs[b.id]
    return ru, rc


def _write_store(
    folder: Path,
    docs: list[Document],
    units: list[Unit],
    chunks: list[Chunk],
    unit_vecs: np.ndarray,
    chunk_vecs: np.ndarray,
) -> None:
    import faiss

    _write_json(
        folder / "docs.json",
        [
            {"id": d.id, "title": d.title, "path": d.path, "kind": d.kind, "raw": d.raw, "sha256": d.sha256,
             "meta": d.meta, "page_starts": list(d.page_starts)}
            for d in docs
        ],
    )
    _write_json(folder / "units.json", [[u.id, u.doc, u.chunk, u.start, u.end, u.text, u.kind, u.section] for u in units])
    _write_json(
        folder / "chunks.json",
        [[c.id, c.key, c.doc, c.section, c.start, c.end, c.text, list(c.units)] for c in chunks],
    )
    index = faiss.IndexFlatIP(chunk_vecs.shape[1])
    index.add(np.ascontiguousarray(chunk_vecs, dtype=np.float32))
    faiss.write_index(index, str(folder / "chunks.faiss"))
    np.save(folder / "units.npy", np.ascontiguousarray(unit_vecs, dtype=np.float32))
    BM25Index.build([c.text for c in chunks]).save(folder / "bm25_chunks")
    BM25Index.build([u.text for u in units]).save(folder / "bm25_units")


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


def _swap_current(index_dir: Path, gen: Path) -> None:
    tmp_link = index_dir / f".current-{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(gen.name, tmp_link)
    os.replace(tmp_link, index_dir / CURRENT)


def _cleanup(index_dir: Path, keep: Path) -> None:
    """Remove partial generations and all but the newest previous one (a reader may still use it)."""
    gens = sorted((p for p in index_dir.glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    finished = [p for p in gens if not p.name.endswith(".partial") and p != keep]
    for p in gens:
        if p.name.endswith(".partial") or (p in finished[:-1]):
            shutil.rmtree(p, ignore_errors=True)


class _lock:
    """An exclusive lock on the index folder so two builds never interleave."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / ".lock"
        self.fh: Any = None

    def __enter__(self) -> None:
        self.fh = open(self.path, "w")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(self.fh, fcntl.LOCK_EX)  # wait for the other build, then go on

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()
