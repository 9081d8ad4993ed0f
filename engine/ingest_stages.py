"""The CPU stages of an ingest, run side by side: files are read, parsed and chunked, and their
knowledge-graph extraction done, in worker processes while the main process runs the encoder.

On a 2-core machine one worker (``Settings.ingest_workers``) takes PDF/HTML parsing, layout,
chunking, context heads and the spaCy extraction of every new or changed document; the main
process encodes the chunks as they arrive, with one encoder thread while the worker is busy and
all cores once it is done. When the encoder has finished and extractions are still queued, the main
process takes the queued ones (newest first) while the worker finishes the others, so neither core
idles while the other works. With ``ingest_workers = 0`` everything runs in the main process, in the
same order.

The index does not depend on worker timing: documents are numbered in id order once all are in,
the vectors of a piece do not depend on which pieces share its encoder call (equal within 1e-5),
and extractions do not depend on unit numbering or on the process that ran them.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from core.interfaces import Extraction
from core.types import Chunk, Document, Unit
from kg.cache import read_cache
from kg.extract import RuleExtractor
from retrieval.build import doc_pieces
from retrieval.chunking import chunk_document
from retrieval.documents import DocumentError, Skipped, document_from_record, load_file
from retrieval.late import Piece

Say = Callable[[str], None]


@dataclass
class ParsedDoc:
    """One document parsed and chunked (ids numbered from 0 within it) with its encoder input."""

    doc: Document
    units: list[Unit]
    chunks: list[Chunk]
    pieces: list[Piece]
    seconds: float = 0.0


def parse_doc(doc: Document, chunk_chars: int, overlap: int) -> ParsedDoc:
    """Units, chunks and encoder pieces of ``doc`` (runs in a worker)."""
    t0 = time.perf_counter()
    units, chunks = chunk_document(doc, 0, 0, chunk_chars, overlap)
    pieces = doc_pieces(doc, units, chunks)
    return ParsedDoc(doc, units, chunks, pieces, time.perf_counter() - t0)


def load_and_parse(path: str, root: str, max_bytes: int, max_text_bytes: int, chunk_chars: int, overlap: int,
                   ) -> ParsedDoc | Skipped:
    """Read one file (PDF text layer, HTML text) and parse it; a :class:`Skipped` when it cannot be read."""
    t0 = time.perf_counter()
    try:
        doc = load_file(Path(path), Path(root), max_bytes=max_bytes, max_text_bytes=max_text_bytes)
    except DocumentError as exc:
        return Skipped(path, str(exc))
    parsed = parse_doc(doc, chunk_chars, overlap)
    parsed.seconds = time.perf_counter() - t0
    return parsed


def extract_doc(doc: Document, units: list[Unit]) -> tuple[Extraction, float]:
    """The rule-based extraction of one document and its time (runs in a worker)."""
    t0 = time.perf_counter()
    return RuleExtractor().extract(doc, units), time.perf_counter() - t0


class PrecomputedExtractor:
    """An :class:`~core.interfaces.Extractor` answering from extractions already running in workers.

    A document without one (its cached extraction turned out unusable) is extracted here.
    """

    def __init__(self, futures: dict[str, Future[tuple[Extraction, float]]]) -> None:
        self.version = RuleExtractor.version
        self.futures = futures
        self.seconds = 0.0

    def extract(self, doc: Document, units: Sequence[Unit]) -> Extraction:
        fut = self.futures.get(extraction_key(doc))
        if fut is None:
            return RuleExtractor().extract(doc, units)
        data, seconds = fut.result()
        self.seconds += seconds
        return data


def cached_extraction(previous: Path | None, doc: Document) -> bool:
    """Whether the previous generation holds a usable extraction of ``doc`` (same content, same extractor)."""
    return read_cache(previous, doc, RuleExtractor.version) is not None


class InlineExecutor(Executor):
    """Runs each job when it is submitted (``ingest_workers = 0``): the serial path, same order."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # the caller sees it on .result(), as with a process pool
            fut.set_exception(exc)
        return fut


@contextmanager
def workers(n: int) -> Iterator[Executor]:
    """``n`` worker processes (spawn: safe from a threaded caller such as the UI, and needs no socket,
    unlike forkserver), or inline."""
    if n <= 0:
        yield InlineExecutor()
        return
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=exit_with_parent) as pool:
        yield pool


def exit_with_parent() -> None:
    """In a worker: exit as soon as the ingesting process is gone.

    A parent killed with SIGKILL (a crash, the OOM killer, ``kill -9``) cannot shut its pool down, and
    a worker blocked on the pool's queue would otherwise stay behind holding a model in memory.
    """
    parent = mp.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the parent's sentinel closes, i.e. the parent has exited
        os._exit(1)

    threading.Thread(target=watch, name="kgqa-exit-with-parent", daemon=True).start()


@dataclass
class StageTimes:
    """Seconds each stage took (summed over workers for the worker stages) and wall time overlapped."""

    parse_s: float = 0.0
    encode_s: float = 0.0
    extract_s: float = 0.0
    encoded_chunks: int = 0
    tokens: int = 0
    extra: dict[str, float] = field(default_factory=dict)


def encoder_threads(configured: int, busy_workers: int) -> int:
    """Encoder threads: as configured, else every core the busy workers leave (at least one).

    >>> encoder_threads(3, 1), encoder_threads(0, 0) == max(1, os.cpu_count() or 1)
    (3, True)
    """
    if configured > 0:
        return configured
    return max(1, (os.cpu_count() or 1) - busy_workers)


def assemble(parsed: list[ParsedDoc]) -> tuple[list[Document], list[Unit], list[Chunk], list[Piece]]:
    """Number every document's units and chunks in document-id order (ids as a serial build gives them)."""
    docs: list[Document] = []
    units: list[Unit] = []
    chunks: list[Chunk] = []
    pieces: list[Piece] = []
    for p in sorted(parsed, key=lambda x: x.doc.id):
        ub, cb = len(units), len(chunks)
        docs.append(p.doc)
        units.extend(replace(u, id=u.id + ub, chunk=u.chunk + cb) for u in p.units)
        chunks.extend(replace(c, id=c.id + cb, units=tuple(k + ub for k in c.units)) for c in p.chunks)
        pieces.extend(p.pieces)
    return docs, units, chunks, pieces


def unit_vectors_of(p: ParsedDoc, chunk_vecs: np.ndarray, part_vecs: list[np.ndarray]) -> np.ndarray:
    """Each unit's vector from the first chunk that holds it (``unit.chunk``), local ids."""
    out = np.zeros((len(p.units), chunk_vecs.shape[1]), dtype=np.float32)
    for c, parts in zip(p.chunks, part_vecs, strict=True):
        for k, uid in enumerate(c.units):
            if p.units[uid].chunk == c.id:
                out[uid] = parts[k]
    return out


def iter_parsed(
    pool: Executor, files: Sequence[tuple[Path, Path]], kept: Sequence[Any], max_bytes: int, max_text_bytes: int,
    chunk_chars: int, overlap: int,
) -> Iterator[ParsedDoc | Skipped]:
    """Parse ``files`` (and ``kept`` stored records, re-chunked) in the pool; yield each as it completes.

    The largest files go first, so the last to finish is small.
    """
    order = sorted(files, key=lambda fr: -_size(fr[0]))
    futs: list[Future[Any]] = [pool.submit(load_and_parse, str(f), str(r), max_bytes, max_text_bytes, chunk_chars, overlap)
                               for f, r in order]
    futs += [pool.submit(parse_doc, document_from_record(rec), chunk_chars, overlap) for rec in kept]
    for fut in as_completed(futs):
        yield fut.result()


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


# ---- what to read, and building the index state -----------------------------------------------------


@dataclass
class SourcePlan:
    """Which files to read and parse, which stored documents to keep as they are, and the diff."""

    to_parse: list[tuple[Path, Path]] = field(default_factory=list)
    kept: list[Any] = field(default_factory=list)  # DocRecords of unchanged (or --add kept) documents
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def plan_sources(files: Sequence[tuple[Path, Path]], prev_docs: dict[str, Any], add: bool, reuse: bool,
                 max_bytes: int) -> SourcePlan:
    """Compare the files under the ingested paths with the live generation's documents by content hash.

    An unchanged file (same id, same SHA-256) is not read again when the previous vectors may be
    reused: its stored record (raw text, PDF text layer included) stands for it.
    """
    import hashlib

    from retrieval.documents import doc_id_of

    plan = SourcePlan()
    seen: set[str] = set()
    for f, root in files:
        did = doc_id_of(f, root)
        seen.add(did)
        old = prev_docs.get(did)
        try:
            if f.stat().st_size > max_bytes:
                plan.to_parse.append((f, root))  # load_file names the limit
                continue
            sha = hashlib.sha256(f.read_bytes()).hexdigest()
        except OSError as exc:
            plan.skipped.append(Skipped(str(f), f"unreadable: {exc}"))
            continue
        if old is not None and old.sha256 == sha and reuse:
            plan.kept.append(old)
            plan.unchanged.append(did)
        else:
            plan.to_parse.append((f, root))
    if add:
        plan.kept += [rec for did, rec in prev_docs.items() if did not in seen]
        plan.unchanged += [did for did in prev_docs if did not in seen]
    plan.removed = sorted(set(prev_docs) - seen - (set(prev_docs) if add else set()))
    return plan


@dataclass
class IndexState:
    """Everything a new generation is written from: documents, units, chunks, pieces and vectors."""

    docs: list[Document]
    units: list[Unit]
    chunks: list[Chunk]
    pieces: list[Piece]
    unit_vecs: np.ndarray
    chunk_vecs: np.ndarray
    extractions: dict[str, Future[tuple[Extraction, float]]]
    times: StageTimes
    skipped: list[Skipped]
    parsed_ids: list[str]


EncodeFactory = Callable[[int], Callable[[Sequence[Piece]], tuple[np.ndarray, list[np.ndarray]]]]


def build_state(
    pool: Executor, plan: SourcePlan, prev_index: Any, prev_root: Path | None, settings: Any,
    encoder_for: EncodeFactory, graph: bool, tick: Callable[[ParsedDoc], None] | None = None,
) -> IndexState:
    """Parse (in ``pool``), encode (here, per document) and start graph extraction (in ``pool``).

    ``encoder_for(threads)`` gives the encode function to use with that many threads: one while
    workers are busy, all cores once every parse and extraction job has finished.
    """
    times = StageTimes()
    skipped: list[Skipped] = list(plan.skipped)
    parsed: list[ParsedDoc] = []
    vecs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    extractions: dict[str, Future[tuple[Extraction, float]]] = {}
    n_workers = 0 if isinstance(pool, InlineExecutor) else max(1, settings.ingest_workers)
    kept_ids = {rec.id for rec in plan.kept}
    prev_by_doc = _by_doc(prev_index)
    pending: list[ParsedDoc] = []  # parsed documents waiting for the encoder

    def encode_pending() -> None:
        """Encode the pending documents' pieces in one call: small documents one by one made batches of
        a few rows, about twice as slow per token as full batches (FinanceBench pages, 30 documents)."""
        if not pending:
            return
        busy = n_workers if any(not f.done() for f in extractions.values()) or len(parsed) < _expected(plan) else 0
        t0 = time.perf_counter()
        cv, pv = encoder_for(encoder_threads(settings.embed_threads, busy))([x for it in pending for x in it.pieces])
        times.encode_s += time.perf_counter() - t0
        at = 0
        for it in pending:
            n = len(it.pieces)
            vecs[it.doc.id] = (unit_vectors_of(it, cv[at : at + n], pv[at : at + n]), cv[at : at + n])
            at += n
            times.encoded_chunks += len(it.chunks)
            if tick is not None:
                tick(it)
        pending.clear()

    for item in iter_parsed(pool, plan.to_parse, plan.kept, settings.max_file_bytes, settings.max_text_bytes,
                            settings.chunk_chars, settings.chunk_overlap_units):
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        parsed.append(item)
        times.parse_s += item.seconds
        doc = item.doc
        if graph and not (doc.id in kept_ids and cached_extraction(prev_root, doc)):
            extractions[extraction_key(doc)] = pool.submit(extract_doc, doc, item.units)
        old = _old_vectors(item, prev_index, prev_by_doc) if doc.id in kept_ids else None
        if old is None:
            pending.append(item)
            if sum(len(it.pieces) for it in pending) >= ENCODE_PIECES:
                encode_pending()
            continue
        vecs[doc.id] = old
        if tick is not None:
            tick(item)
    encode_pending()
    take_queued_extractions(extractions, parsed)
    docs, units, chunks, pieces = assemble(parsed)
    dim = next((v[1].shape[1] for v in vecs.values() if v[1].size), prev_index.dim if prev_index is not None else 384)
    unit_vecs = np.concatenate([vecs[d.id][0] for d in docs]) if docs else np.zeros((0, dim), np.float32)
    chunk_vecs = np.concatenate([vecs[d.id][1] for d in docs]) if docs else np.zeros((0, dim), np.float32)
    return IndexState(docs, units, chunks, pieces, unit_vecs.reshape(-1, dim), chunk_vecs.reshape(-1, dim),
                      extractions, times, skipped, [p.doc.id for p in parsed if p.doc.id not in kept_ids])


ENCODE_PIECES = 128  # chunks gathered across documents per encoder call (a few full batches)


def extraction_key(doc: Document) -> str:
    """The key of a document's extraction job: its content and its id (a renamed copy is a new job)."""
    return doc.sha256 + doc.id


def take_queued_extractions(extractions: dict[str, Future[tuple[Extraction, float]]], parsed: list[ParsedDoc],
                            ) -> int:
    """Run here, newest first, the extractions no worker has started; return how many.

    Called once the encoder is done, when this process's core would otherwise wait for the worker:
    each job a worker has not picked up is cancelled and replaced by a finished future holding the
    same result. A job already running (or an inline pool's, already done) cannot be cancelled.
    """
    by_key = {extraction_key(p.doc): p for p in parsed}
    taken = 0
    for key in reversed(list(extractions)):
        if extractions[key].cancel():
            done: Future[tuple[Extraction, float]] = Future()
            done.set_result(extract_doc(by_key[key].doc, by_key[key].units))
            extractions[key] = done
            taken += 1
    return taken


def _expected(plan: SourcePlan) -> int:
    return len(plan.to_parse) + len(plan.kept)


def _by_doc(prev: Any) -> dict[str, tuple[list[Unit], list[Chunk]]]:
    out: dict[str, tuple[list[Unit], list[Chunk]]] = {}
    if prev is None:
        return out
    for u in prev.units:
        out.setdefault(u.doc, ([], []))[0].append(u)
    for c in prev.chunks:
        out.setdefault(c.doc, ([], []))[1].append(c)
    return out


def _old_vectors(p: ParsedDoc, prev: Any, by_doc: dict[str, tuple[list[Unit], list[Chunk]]],
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """The previous generation's vectors of an unchanged document, if it still yields the same units and chunks."""
    if prev is None or p.doc.id not in by_doc:
        return None
    old_u, old_c = by_doc[p.doc.id]
    if [(u.text, u.kind, u.section, u.start, u.end) for u in p.units] != [
        (u.text, u.kind, u.section, u.start, u.end) for u in old_u
    ] or [(c.text, c.start, c.end, len(c.units)) for c in p.chunks] != [
        (c.text, c.start, c.end, len(c.units)) for c in old_c
    ]:
        return None  # the parser changed: encode afresh
    return (np.asarray(prev.unit_dense.vectors([u.id for u in old_u]), np.float32),
            np.asarray(prev.chunk_dense.vectors([c.id for c in old_c]), np.float32))
