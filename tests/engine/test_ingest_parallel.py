"""Parallel ingest (engine.ingest_stages): a worker process parsing and extracting while the main
process encodes gives the same index as the serial path (``ingest_workers = 0``)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.config import Settings
from core.jsonio import read_json
from engine import ingest_stages
from engine.ingest import build_index
from engine.store import FileStore
from kg.pipeline import GRAPH_FILE


def _snapshot(index_dir: Path, s: Settings) -> tuple[object, ...]:
    snap = FileStore(index_dir).load(s)
    idx = snap.index
    graph = read_json(snap.root / GRAPH_FILE)
    return (
        sorted(idx.docs), [(u.doc, u.start, u.end, u.text, u.kind, u.chunk) for u in idx.units],
        [(c.doc, c.start, c.end, c.units, c.text) for c in idx.chunks],
        np.asarray(idx.unit_dense.vectors()), np.asarray(idx.chunk_dense.vectors()),
        sorted(json.dumps(n, sort_keys=True) for n in graph.get("nodes", [])),
        sorted(json.dumps(e, sort_keys=True) for e in graph.get("links", graph.get("edges", []))),
    )


def _same_vectors(a: tuple[object, ...], b: tuple[object, ...]) -> None:
    """Unit and chunk vectors equal but for float noise of the batch shapes, which may tip a stored
    value to its neighbouring float16 (chunks) or int8 step (units): every row keeps its direction."""
    for x, y in ((np.asarray(a[3]), np.asarray(b[3])), (np.asarray(a[4]), np.asarray(b[4]))):
        assert x.shape == y.shape
        cos = np.sum(x * y, axis=1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))
        assert float(cos.min()) > 1 - 1e-5, float(cos.min())


def test_parallel_ingest_equals_serial(tmp_path: Path, corpus_dir: Path) -> None:
    serial = Settings(index_dir=tmp_path / "serial", ingest_workers=0)
    parallel = Settings(index_dir=tmp_path / "parallel", ingest_workers=1)
    r0 = build_index([corpus_dir], serial)
    r1 = build_index([corpus_dir], parallel)
    assert r0.n_units == r1.n_units > 0 and r0.n_chunks == r1.n_chunks
    a, b = _snapshot(serial.index_dir, serial), _snapshot(parallel.index_dir, parallel)
    assert a[:3] == b[:3]
    _same_vectors(a, b)
    assert a[5] == b[5] and a[6] == b[6] and a[5]  # the same graph
    # an unchanged re-run reuses everything, in parallel too
    again = build_index([corpus_dir], parallel)
    assert again.did_nothing and again.embedded == 0


def test_documents_encoded_together_equal_one_by_one(tmp_path: Path, corpus_dir: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces of several documents share encoder calls; the vectors are those of one call per document."""
    together = Settings(index_dir=tmp_path / "together", ingest_workers=0)
    build_index([corpus_dir], together)
    monkeypatch.setattr(ingest_stages, "ENCODE_PIECES", 1)  # every document is encoded on its own
    alone = Settings(index_dir=tmp_path / "alone", ingest_workers=0)
    build_index([corpus_dir], alone)
    a, b = _snapshot(together.index_dir, together), _snapshot(alone.index_dir, alone)
    assert a[:3] == b[:3] and len(a[0]) >= 2  # type: ignore[arg-type]
    _same_vectors(a, b)


def _hold(seconds: float) -> None:
    import time

    time.sleep(seconds)


def test_queued_extractions_run_here_with_the_same_result(corpus_dir: Path) -> None:
    """With the worker busy, extraction jobs it has not started are taken by the calling process; each
    result equals the one the worker computes."""
    s = Settings()
    parsed = []
    reports = sorted(f for f in corpus_dir.iterdir() if f.suffix in (".md", ".txt", ".html", ".pdf"))
    for k, f in enumerate(reports * 3):  # more jobs than the pool's queue holds
        p = ingest_stages.load_and_parse(str(f), str(corpus_dir), s.max_file_bytes, s.max_text_bytes,
                                         s.chunk_chars, s.chunk_overlap_units)
        assert isinstance(p, ingest_stages.ParsedDoc)
        doc_id = f"{k}-{p.doc.id}"
        parsed.append(replace(p, doc=replace(p.doc, id=doc_id), units=[replace(u, doc=doc_id) for u in p.units]))
    with ingest_stages.workers(1) as pool:
        pool.submit(_hold, 3.0)  # the worker is busy: the jobs below wait in its queue
        jobs = {ingest_stages.extraction_key(p.doc): pool.submit(ingest_stages.extract_doc, p.doc, p.units) for p in parsed}
        by_worker = dict(jobs)
        taken = ingest_stages.take_queued_extractions(jobs, parsed)
        assert 1 <= taken < len(parsed)  # the newest ones; those already handed to the worker stay there
        here = [k for k in jobs if jobs[k] is not by_worker[k]]
        assert here == list(jobs)[-len(here):] and len(here) == taken
        for p in parsed:
            key = ingest_stages.extraction_key(p.doc)
            expected = by_worker[key].result()[0] if key not in here else ingest_stages.extract_doc(p.doc, p.units)[0]
            assert jobs[key].result()[0] == expected and expected["facts"]
