"""Parallel ingest (engine.ingest_stages): a worker process parsing and extracting while the main
process encodes gives the same index as the serial path (``ingest_workers = 0``)."""

from __future__ import annotations

import json
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


def test_parallel_ingest_equals_serial(tmp_path: Path, corpus_dir: Path) -> None:
    serial = Settings(index_dir=tmp_path / "serial", ingest_workers=0)
    parallel = Settings(index_dir=tmp_path / "parallel", ingest_workers=1)
    r0 = build_index([corpus_dir], serial)
    r1 = build_index([corpus_dir], parallel)
    assert r0.n_units == r1.n_units > 0 and r0.n_chunks == r1.n_chunks
    a, b = _snapshot(serial.index_dir, serial), _snapshot(parallel.index_dir, parallel)
    assert a[:3] == b[:3]
    assert np.allclose(a[3], b[3], atol=1e-5) and np.allclose(a[4], b[4], atol=1e-5)  # type: ignore[arg-type]
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
    assert np.allclose(a[3], b[3], atol=1e-5) and np.allclose(a[4], b[4], atol=1e-5)  # type: ignore[arg-type]
