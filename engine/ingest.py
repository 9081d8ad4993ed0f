"""Ingest, composed above retrieval/ and kg/: documents -> a new index generation -> one atomic swap.

One build: load the files, diff them against the live generation (added, changed, unchanged,
removed), chunk, embed what changed (reusing unchanged documents' vectors), write the
retrieval files, extract and write the graph (reusing unchanged documents' extractions),
then commit: the manifest is written last and ``current`` is swapped atomically. A crash at any
point leaves the previous generation answering.

The store is chosen by settings (:func:`engine.stores.open_store`): the state is always built
in a local folder in the file layout, which the file store renames into place and the
PostgreSQL store copies into its tables in one transaction.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import Settings
from core.errors import IndexUnusable, NothingToIndex
from core.interfaces import ChatModel, Extractor
from core.types import Chunk, Document, Unit
from engine.ingest_stages import (
    IndexState,
    PrecomputedExtractor,
    SourcePlan,
    build_state,
    plan_sources,
    workers,
)
from engine.llm import make_chat
from engine.store import FORMAT_VERSION, FileStore, Snapshot
from engine.stores import IndexStore, open_store
from kg.pipeline import GRAPH_FILE, build_graph, graph_is_stale
from retrieval.build import EncodeFn, default_encode_fn, embed_signature
from retrieval.documents import Skipped, discover
from retrieval.store import write_retrieval

log = logging.getLogger(__name__)
Say = Callable[[str], None]


@dataclass
class BuildReport:
    """What an ingest did, for the CLI and the benchmarks."""

    index_dir: Path
    store: str = ""  # where the index is, safe to show (file folder or redacted PostgreSQL URL)
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


def build_index(
    paths: Sequence[Path],
    settings: Settings,
    add: bool = False,
    rebuild: bool = False,
    progress: bool = False,
    say: Say | None = None,
    encode_fn: EncodeFn | None = None,
    chat: ChatModel | None = None,
) -> BuildReport:
    """Ingest ``paths`` into the configured store (``settings.store``, default the file store at
    ``settings.index_dir``) as a new generation, committed atomically.

    Without ``add``, the index afterwards holds exactly the documents under ``paths``
    (deleted files are dropped); with ``add`` it keeps the others too. Unchanged documents
    reuse their vectors unless ``rebuild``. ``chat`` is the model for LLM-assisted extraction
    (only used when ``settings.llm_extract`` is on; default: the configured LLM).
    """
    say = say or (lambda _msg: None)
    if chat is None and settings.llm_extract and settings.use_graph:
        chat = make_chat(settings)
    store = open_store(settings)
    report = BuildReport(store.index_dir if isinstance(store, FileStore) else settings.index_dir, store=store.label)
    with store.lock():
        t0 = time.perf_counter()
        prev, reuse = _previous(store, settings, rebuild, add, say)
        found: list[Skipped] = []
        plan = plan_sources(discover(paths, found), prev.index.docs if prev is not None else {}, add, reuse,
                            settings.max_file_bytes)
        plan.skipped = found + plan.skipped
        report.unchanged, report.removed = sorted(plan.unchanged), plan.removed
        if prev is not None and not plan.to_parse and not plan.removed and not _graph_stale(prev, settings):
            say("index is up to date")
            report.skipped = plan.skipped
            report.n_units, report.n_chunks = len(prev.index.units), len(prev.index.chunks)
            return report
        cache_root = store.cache_root(prev)
        with workers(settings.ingest_workers) as pool:
            state = _state(pool, plan, prev if reuse else None, cache_root, settings, progress, say, encode_fn)
            _report_state(report, state, prev, t0, say)
            if not state.docs:
                raise NothingToIndex("nothing to index: no readable .txt, .md, .html or .pdf file under the given paths")
            sources = _sources(paths, prev if add else None)
            t2 = time.perf_counter()
            tmp = store.new_generation()
            try:
                write_retrieval(tmp, state.docs, state.units, state.chunks, state.unit_vecs, state.chunk_vecs,
                                [p.text for p in state.pieces])
                report.timings_s["index"] = time.perf_counter() - t2
                t3 = time.perf_counter()
                if settings.use_graph:
                    extractor = PrecomputedExtractor(state.extractions)
                    report.graph = _graph(state.docs, state.units, tmp, cache_root, set(report.unchanged), settings,
                                          chat, say, extractor)
                    report.timings_s["extract"] = extractor.seconds
                report.timings_s["graph"] = time.perf_counter() - t3
                store.commit(tmp, _manifest(settings, sources, state.docs, state.units, state.chunks,
                                            int(state.unit_vecs.shape[1]), report))
            except BaseException as exc:  # a full disk, Ctrl+C ...: leave no partial generation behind
                shutil.rmtree(tmp, ignore_errors=True)
                if isinstance(exc, OSError):
                    raise IndexUnusable(
                        f"could not write the new index generation in {store.label} ({exc.strerror or exc}); "
                        "nothing was changed: the previous index still answers"
                    ) from exc
                raise
        report.timings_s["total"] = time.perf_counter() - t0
        return report


def _state(pool: Executor, plan: SourcePlan, prev: Snapshot | None, cache_root: Path | None, settings: Settings,
           progress: bool, say: Say, encode_fn: EncodeFn | None) -> IndexState:
    """Parse, encode and start extraction, with a progress bar over the bytes read when asked."""
    def encoder_for(threads: int) -> EncodeFn:
        return encode_fn or default_encode_fn(settings, False, threads)

    # file bytes on both sides (a PDF's text is much smaller than its file): the bar ends at 100 %
    total = sum(_size(f) for f, _ in plan.to_parse) + sum(_size(Path(r.path)) for r in plan.kept)
    say(f"reading {len(plan.to_parse)} files and embedding their chunks as they are parsed; "
        f"keeping {len(plan.kept)} unchanged documents")
    if not progress:
        return build_state(pool, plan, prev.index if prev else None, cache_root, settings,
                           encoder_for, settings.use_graph)
    from tqdm import tqdm

    with tqdm(total=total, unit="B", unit_scale=True, desc="ingest", leave=False) as bar:
        return build_state(pool, plan, prev.index if prev else None, cache_root, settings,
                           encoder_for, settings.use_graph, lambda p: bar.update(_size(Path(p.doc.path))))


def _report_state(report: BuildReport, state: IndexState, prev: Snapshot | None, t0: float, say: Say) -> None:
    prev_docs = prev.index.docs if prev is not None else {}
    report.skipped = state.skipped
    for s in state.skipped:
        log.warning("skipped %s: %s", s.path, s.reason)
        say(f"warning: skipped {s.path}: {s.reason}")
    for did in state.parsed_ids:
        (report.changed if did in prev_docs else report.added).append(did)
    report.n_units, report.n_chunks = len(state.units), len(state.chunks)
    report.embedded = state.times.encoded_chunks
    report.bytes_in = sum(len(d.raw.encode("utf-8")) for d in state.docs)
    report.timings_s.update({"parse": state.times.parse_s, "embed": state.times.encode_s,
                             "parse+embed wall": time.perf_counter() - t0})


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


def _sources(paths: Sequence[Path], kept: Snapshot | None) -> list[str]:
    """What the new generation was built from: ``paths``, plus the previous sources with ``--add``."""
    out = {str(Path(p).resolve()) for p in paths}
    if kept is not None:
        out.update(kept.sources)
    return sorted(out)


def _previous(
    store: IndexStore, settings: Settings, rebuild: bool, add: bool, say: Say
) -> tuple[Snapshot | None, bool]:
    """The live generation (for the document diff) and whether its vectors may be reused.

    An unreadable live generation is rebuilt from ``paths`` alone, except with ``add``: its
    documents would be lost, so that is an error naming the folders to rebuild from.
    """
    try:
        if not store.exists():
            return None, False
        prev = store.load(settings)
    except IndexUnusable as exc:
        if add:
            raise IndexUnusable(f"cannot add to the index: {exc}") from exc
        say(f"previous index not reusable ({exc}); building from scratch")
        return None, False
    chunking = prev.manifest.get("chunking", {})
    same_chunking = chunking == {"chunk_chars": settings.chunk_chars, "overlap_units": settings.chunk_overlap_units}
    same_vectors = prev.manifest.get("embedding") == embed_signature(settings)  # a changed backend re-embeds
    return prev, not rebuild and same_chunking and same_vectors


def _graph_stale(prev: Snapshot, settings: Settings) -> bool:
    """The stored graph was made by an older extractor (or is missing): rebuild it, reusing vectors."""
    if not settings.use_graph:
        return False
    graph = prev.graph
    return graph is None or graph_is_stale(graph)


def _graph(
    docs: list[Document], units: list[Unit], tmp: Path, cache_root: Path | None, unchanged: set[str],
    settings: Settings, chat: ChatModel | None, say: Say, extractor: Extractor | None = None,
) -> dict[str, Any]:
    """Build the graph into ``tmp`` (reusing extractions cached under ``cache_root``); a failure is
    reported, never fatal: passages still answer."""
    try:
        return build_graph(docs, units, tmp, cache_root, unchanged, settings, chat, extractor)
    except Exception as exc:
        log.exception("graph extraction failed")
        say(f"warning: graph extraction failed ({type(exc).__name__}: {exc}); index built without a graph")
        (tmp / GRAPH_FILE).unlink(missing_ok=True)
        return {"error": f"{type(exc).__name__}: {exc}"}


def _manifest(
    settings: Settings, sources: list[str], docs: list[Document], units: list[Unit], chunks: list[Chunk],
    dim: int, report: BuildReport,
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "model": settings.model,
        "dim": dim,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "chunking": {"chunk_chars": settings.chunk_chars, "overlap_units": settings.chunk_overlap_units},
        "embedding": embed_signature(settings),
        "sources": sources,
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
