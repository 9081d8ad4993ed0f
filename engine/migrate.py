"""``kgqa migrate``: copy the live index state from one store to another (file <-> PostgreSQL).

The copy goes through the same staging layout an ingest commits, so the target gets one new
generation in one atomic commit (the PostgreSQL store copies a file generation's folder
directly), and nothing is re-embedded or re-extracted: answers are the same on both stores.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.config import Settings
from core.errors import ConfigError, StoreError
from engine.pg_store import PgStore
from engine.store import MANIFEST, FileStore
from engine.stores import open_store

Say = Callable[[str], None]


@dataclass
class MigrateReport:
    source: str
    target: str
    documents: int
    units: int
    chunks: int
    facts: int
    seconds: float


def migrate(settings: Settings, to: str, say: Say | None = None) -> MigrateReport:
    """Copy the live state of the store ``settings`` select into the store ``to`` names."""
    say = say or (lambda _m: None)
    t0 = time.perf_counter()
    src = open_store(settings)
    dst_settings = settings.with_values({"store": to})
    dst = open_store(dst_settings)
    if src.label == dst.label:
        raise ConfigError(f"--to names the source store itself ({src.label})")
    snap = src.load(settings)
    manifest = {**snap.manifest, "migrated_from": src.label, "migrated": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    say(f"copying {len(snap.index.docs)} documents from {src.label} to {dst.label}")
    with dst.lock():
        if isinstance(src, FileStore) and isinstance(dst, PgStore):
            dst.commit(snap.root, manifest)  # reads the generation folder, writes nothing there
        else:
            folder = dst.new_generation()
            if isinstance(src, PgStore):
                src.export(folder, settings)
            else:
                _copy_generation(snap.root, folder)
            dst.commit(folder, manifest)
    check = dst.load(dst_settings)
    graph = check.graph
    report = MigrateReport(src.label, dst.label, len(check.index.docs), len(check.index.units), len(check.index.chunks),
                           len(graph.all_facts()) if graph is not None else 0, time.perf_counter() - t0)
    if (report.documents, report.units, report.chunks) != (len(snap.index.docs), len(snap.index.units),
                                                           len(snap.index.chunks)):
        raise StoreError(f"the copy in {dst.label} does not match its source: {report}")
    return report


def _copy_generation(src: Path, dst: Path) -> None:
    """A file generation's files (all but its manifest, which the commit writes) into ``dst``."""
    for p in src.iterdir():
        if p.name == MANIFEST:
            continue
        if p.is_dir():
            shutil.copytree(p, dst / p.name)
        else:
            shutil.copy2(p, dst / p.name)
