"""The shared PostgreSQL store: index states of many analysts and servers in one database.

Beside the embedded :class:`~engine.store.FileStore`, behind the same small store protocol
(:class:`~engine.stores.IndexStore`). Tables (``retrieval.pg``, ``kg.pg_store`` and these)::

    kgqa_schema       (version)                       the schema this database holds
    kgqa_state        (current_gen, changed)          one row: the live generation
    kgqa_generations  (gen, created, manifest)        one row per committed index state
    kgqa_kg_cache     (name, sha256, data)            per-document extraction cache (by content hash)
    + documents, units, chunks (pgvector), lexicon, entities, facts, evidence: rows tagged ``gen``

Consistency:

* an ingest builds its state in a local staging folder (the file store's layout), then
  :meth:`PgStore.commit` copies it in **one transaction** and moves ``current_gen``: readers
  never see half a state, and a killed ingest leaves the previous state answering;
* builds serialise on a session advisory lock held from the document diff to the commit, so
  two ingests from two processes run one after the other and neither loses documents;
* servers poll ``current_gen`` (:meth:`generation`, every ``refresh_s``) and reload a newer state;
  the previous generation is kept so a server still reading it is never cut off;
* ``kgqa_schema.version`` newer than :data:`SCHEMA_VERSION` is refused with a clear message;
* the connection string's password never appears in messages (:func:`core.safety.scrub`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from pgvector.psycopg import register_vector
from psycopg_pool import ConnectionPool

from core.config import Settings
from core.errors import IndexUnusable, StoreError
from core.interfaces import GraphStore
from core.jsonio import read_text
from core.safety import redact_url, scrub
from engine.store import FORMAT_VERSION, Snapshot
from kg.cache import CACHE_DIR, cache_files, row_name, row_sha, write_row
from kg.pg_store import GRAPH_DDL, GRAPH_TABLES, PgGraphStore, import_graph
from kg.pipeline import GRAPH_FILE
from kg.store import NetworkXGraphStore
from retrieval.build import contextual_texts
from retrieval.documents import document_from_record
from retrieval.pg import RETRIEVAL_TABLES, export_retrieval, import_retrieval, load_retrieval, retrieval_ddl
from retrieval.store import write_retrieval

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_LOCK_CLASS = 0x6B677161  # "kgqa": advisory lock namespace
_INGEST_LOCK, _DDL_LOCK = 1, 2
_BASE_DDL = [
    "CREATE TABLE IF NOT EXISTS kgqa_schema (version int NOT NULL, dim int NOT NULL, created timestamptz DEFAULT now())",
    """CREATE TABLE IF NOT EXISTS kgqa_state (id int PRIMARY KEY CHECK (id = 1), current_gen bigint,
        changed timestamptz DEFAULT now())""",
    """CREATE TABLE IF NOT EXISTS kgqa_generations (gen bigserial PRIMARY KEY, created timestamptz DEFAULT now(),
        manifest jsonb NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS kgqa_kg_cache (name text PRIMARY KEY, sha256 text NOT NULL, data text NOT NULL)",
]
_GEN_TABLES = (*RETRIEVAL_TABLES, *GRAPH_TABLES)

_pools: dict[tuple[str, int, int], ConnectionPool] = {}
_pools_lock = threading.Lock()


@dataclass
class PgSnapshot(Snapshot):
    """One generation of the PostgreSQL store (``root`` is only a label); the graph loads on first use."""

    gen: int = 0
    pool: ConnectionPool | None = field(default=None, repr=False)

    @property
    def graph(self) -> GraphStore | None:
        if not self._graph_loaded:
            assert self.pool is not None
            self._graph = PgGraphStore.load_generation(self.pool, self.gen)
            self._graph_loaded = True
        return self._graph


class PgStore:
    """Index generations in one PostgreSQL database (see module docstring)."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.label = redact_url(url)
        self.settings = settings
        self._lock_conn: psycopg.Connection[Any] | None = None
        self._staging: list[Path] = []

    # ---- connections --------------------------------------------------------------------------

    def _fail(self, what: str, exc: Exception) -> StoreError:
        return StoreError(f"{what} the PostgreSQL store {self.label}: {scrub(str(exc).strip(), self.url)}")

    def connect(self, autocommit: bool = False, name: str = "kgqa") -> psycopg.Connection[Any]:
        """A new connection (not pooled), with a clear :class:`StoreError` when the server cannot be reached.

        ``name`` is its ``application_name`` (``pg_stat_activity`` shows which kgqa process does what).
        """
        try:
            return psycopg.connect(self.url, autocommit=autocommit, connect_timeout=10, application_name=name)
        except (psycopg.Error, ValueError) as exc:  # ValueError: a malformed connection string
            raise self._fail("cannot connect to", exc) from None

    def pool(self) -> ConnectionPool:
        """This process's connection pool for the URL (``pg_pool_size`` connections, autocommit readers)."""
        s = self.settings
        key = (self.url, s.pg_pool_size, s.pg_ef_search)
        with _pools_lock:
            pool = _pools.get(key)
            if pool is None:
                # connect once first to fail fast and clearly, before a pool retries in the background;
                # vectors need the type registered on every pooled connection: make sure it exists
                # (without the privilege this is a reader of a database that has no kgqa tables yet)
                with self.connect(autocommit=True) as conn, contextlib.suppress(psycopg.Error):
                    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                pool = ConnectionPool(self.url, min_size=1, max_size=max(1, s.pg_pool_size), open=True, timeout=30,
                                      kwargs={"autocommit": True}, configure=_configure(s.pg_ef_search),
                                      name="kgqa")
                _pools[key] = pool
            return pool

    # ---- reading ------------------------------------------------------------------------------

    def _schema(self, conn: psycopg.Connection[Any]) -> tuple[int, int] | None:
        """``(version, dim)`` of the kgqa schema in this database, ``None`` when there is none yet."""
        if conn.execute("SELECT to_regclass('kgqa_schema')").fetchone() == (None,):
            return None
        row = conn.execute("SELECT version, dim FROM kgqa_schema").fetchone()
        if row is None:
            return None
        version, dim = int(row[0]), int(row[1])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the PostgreSQL store {self.label} has kgqa schema version {version}, newer than this kgqa "
                f"understands ({SCHEMA_VERSION}); upgrade kgqa on this machine (pip install -U kgqa)"
            )
        return version, dim

    def generation(self) -> str | None:
        """The live generation's number, or ``None`` when the database holds no index (one cheap query)."""
        try:
            with self.pool().connection() as conn:
                if self._schema(conn) is None:
                    return None
                row = conn.execute("SELECT current_gen FROM kgqa_state WHERE id = 1").fetchone()
        except psycopg.Error as exc:
            raise self._fail("cannot read", exc) from None
        return None if row is None or row[0] is None else str(row[0])

    def exists(self) -> bool:
        return self.generation() is not None

    def generation_of(self, snapshot: Snapshot) -> str:
        return str(snapshot.gen) if isinstance(snapshot, PgSnapshot) else ""

    def rebuild_hint(self) -> str:
        return f"rebuild it with: kgqa ingest FOLDER... --rebuild --store '{self.label}' (the folders it was built from)"

    def load(self, settings: Settings) -> PgSnapshot:
        """The live generation; :class:`IndexUnusable` with the command that fixes it."""
        pool = self.pool()
        try:
            with pool.connection() as conn:
                schema = self._schema(conn)
                row = None if schema is None else conn.execute(
                    "SELECT g.gen, g.manifest FROM kgqa_state s JOIN kgqa_generations g ON g.gen = s.current_gen"
                ).fetchone()
            if row is None:
                raise IndexUnusable(f"no index in {self.label}: build it with: kgqa ingest corpus/ --store '{self.label}'")
            gen, manifest = int(row[0]), dict(row[1])
            self._check(manifest, settings)
            index = load_retrieval(pool, gen, int(manifest["dim"]), settings.pg_lexical)
        except psycopg.Error as exc:
            raise self._fail("cannot read", exc) from None
        counts = manifest.get("counts", {})
        if (len(index.units), len(index.chunks)) != (counts.get("units"), counts.get("chunks")):
            raise IndexUnusable(f"index generation {gen} in {self.label} is incomplete; {self.rebuild_hint()}")
        return PgSnapshot(Path(f"{self.label}#generation-{gen}"), manifest, index, gen=gen, pool=pool)

    def _check(self, manifest: dict[str, Any], settings: Settings) -> None:
        fv = manifest.get("format_version")
        if fv != FORMAT_VERSION:
            raise IndexUnusable(f"the index in {self.label} has format version {fv}, this kgqa reads version "
                                f"{FORMAT_VERSION}; {self.rebuild_hint()}")
        if manifest.get("model") != settings.model:
            raise IndexUnusable(f"the index in {self.label} was built with model {manifest.get('model')!r}, settings "
                                f"ask for {settings.model!r}; {self.rebuild_hint()}")

    # ---- writing ------------------------------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the ingest lock (a session advisory lock) on a dedicated connection; a second build waits.

        The server releases it when the session ends, so a killed ingest never leaves it held.
        """
        conn = self.connect(autocommit=True, name="kgqa-ingest")
        try:
            conn.execute("SELECT pg_advisory_lock(%s, %s)", (_LOCK_CLASS, _INGEST_LOCK))
            self._lock_conn = conn
            yield
        finally:
            self._lock_conn = None
            conn.close()  # ends the session: releases the lock, rolls back anything uncommitted
            for p in self._staging:
                shutil.rmtree(p, ignore_errors=True)
            self._staging.clear()

    def new_generation(self) -> Path:
        """A local staging folder: the ingest writes the state there in the file layout, then commits it."""
        p = Path(tempfile.mkdtemp(prefix="kgqa-pg-stage-"))
        self._staging.append(p)
        return p

    def cache_root(self, snapshot: Snapshot | None) -> Path | None:
        """A folder holding the previous state's extraction cache (``kg_cache/``), read back from the table."""
        if snapshot is None:
            return None
        root = self.new_generation()
        (root / CACHE_DIR).mkdir()
        shas = sorted({d.sha256 for d in snapshot.index.docs.values()})
        with self.pool().connection() as conn:
            for name, data in conn.execute("SELECT name, data FROM kgqa_kg_cache WHERE sha256 = ANY(%s)", (shas,)):
                write_row(root, name, data)
        return root

    def _ensure_schema(self, dim: int) -> None:
        """Create the tables (once, serialised), or check the database's vectors have ``dim`` dimensions."""
        s = self.settings
        with self.connect() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_CLASS, _DDL_LOCK))
            schema = self._schema(conn)
            if schema is not None:
                if schema[1] != dim:
                    raise StoreError(f"the PostgreSQL store {self.label} holds {schema[1]}-dimensional vectors, this "
                                     f"model makes {dim}: use another database (or schema) for this model")
                return
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except psycopg.Error as exc:
                raise self._fail("cannot enable pgvector (CREATE EXTENSION vector; ask the admin) in", exc) from None
            for stmt in [*_BASE_DDL, *retrieval_ddl(dim, s.pg_hnsw_m, s.pg_hnsw_ef_construction), *GRAPH_DDL]:
                conn.execute(stmt)  # type: ignore[arg-type]  # DDL built from integers only
            conn.execute("INSERT INTO kgqa_state (id, current_gen) VALUES (1, NULL) ON CONFLICT DO NOTHING")
            conn.execute("INSERT INTO kgqa_schema (version, dim) VALUES (%s, %s)", (SCHEMA_VERSION, dim))

    def commit(self, folder: Path, manifest: dict[str, Any]) -> int:
        """Copy the state in ``folder`` (file-store layout) into the database in one transaction; make it live.

        Returns the new generation number. ``folder`` is left alone unless it is this store's staging.
        """
        dim = int(manifest["dim"])
        self._ensure_schema(dim)
        own = self._lock_conn is None
        conn = self.connect(name="kgqa-ingest") if own else self._lock_conn
        assert conn is not None
        try:
            register_vector(conn)  # the extension exists now (binary COPY of vectors needs the type)
            with conn.transaction():
                if own:  # e.g. kgqa migrate without lock(): still one writer at a time
                    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_CLASS, _INGEST_LOCK))
                base = conn.execute("SELECT current_gen FROM kgqa_state WHERE id = 1 FOR UPDATE").fetchone()
                prev = None if base is None or base[0] is None else int(base[0])
                gen = int(conn.execute("INSERT INTO kgqa_generations (manifest) VALUES (%s) RETURNING gen",
                                       (json.dumps(manifest),)).fetchone()[0])  # type: ignore[index]
                import_retrieval(conn, gen, folder)
                if (folder / GRAPH_FILE).is_file():
                    import_graph(conn, gen, NetworkXGraphStore.load(folder / GRAPH_FILE))
                self._copy_cache(conn, folder)
                conn.execute("UPDATE kgqa_state SET current_gen = %s, changed = now() WHERE id = 1", (gen,))
                self._drop_old(conn, keep=[g for g in (gen, prev) if g is not None])
                conn.execute("SELECT pg_notify('kgqa_generation', %s)", (str(gen),))
        except psycopg.Error as exc:
            raise self._fail("cannot write to", exc) from None
        finally:
            if own:
                conn.close()
        if folder in self._staging:
            shutil.rmtree(folder, ignore_errors=True)
        log.info("committed generation %d to %s", gen, self.label)
        return gen

    @staticmethod
    def _copy_cache(conn: psycopg.Connection[Any], folder: Path) -> None:
        """Upsert the staging folder's extraction cache files (named by document hash) as JSON text."""
        with conn.cursor() as cur:
            for p in cache_files(folder):
                name = row_name(p)
                cur.execute("INSERT INTO kgqa_kg_cache (name, sha256, data) VALUES (%s, %s, %s) "
                            "ON CONFLICT (name) DO UPDATE SET sha256 = EXCLUDED.sha256, data = EXCLUDED.data",
                            (name, row_sha(name), read_text(p)))

    @staticmethod
    def _drop_old(conn: psycopg.Connection[Any], keep: list[int]) -> None:
        """Delete every generation but ``keep`` (the new one and the one servers may still be reading)."""
        for table in (*_GEN_TABLES, "kgqa_generations"):
            conn.execute(f"DELETE FROM {table} WHERE gen <> ALL(%s)", (keep,))  # type: ignore[arg-type]
        conn.execute("DELETE FROM kgqa_kg_cache c WHERE NOT EXISTS "
                     "(SELECT 1 FROM kgqa_documents d WHERE d.sha256 = c.sha256)")

    def export(self, folder: Path, settings: Settings) -> dict[str, Any]:
        """Write the live generation into ``folder`` in the file-store layout; return its manifest."""
        snap = self.load(settings)
        pool = self.pool()
        idx, unit_vecs, chunk_vecs = export_retrieval(pool, snap.gen, int(snap.manifest["dim"]))
        docs = [document_from_record(d) for d in idx.docs.values()]
        # BM25 indexes each chunk with its contextual head, as ingest wrote it (the head is not stored)
        write_retrieval(folder, docs, idx.units, idx.chunks, unit_vecs, chunk_vecs,
                        contextual_texts(docs, idx.units, idx.chunks))
        graph = snap.graph
        if isinstance(graph, NetworkXGraphStore):
            NetworkXGraphStore(dict((e.id, e) for e in graph.entities()), graph.all_facts(), graph.meta).save(
                folder / GRAPH_FILE)
        (folder / CACHE_DIR).mkdir(exist_ok=True)
        shas = sorted({d.sha256 for d in docs})
        with pool.connection() as conn:
            for name, data in conn.execute("SELECT name, data FROM kgqa_kg_cache WHERE sha256 = ANY(%s)", (shas,)):
                write_row(folder, name, data)
        return snap.manifest


def _configure(ef_search: int) -> Any:
    def configure(conn: psycopg.Connection[Any]) -> None:
        with contextlib.suppress(psycopg.ProgrammingError):  # no pgvector here: no kgqa tables either
            register_vector(conn)
        # enough HNSW candidates for dense_k, and keep scanning when the generation filter drops rows
        conn.execute(f"SET hnsw.ef_search = {int(ef_search)}")  # type: ignore[arg-type]
        conn.execute("SET hnsw.iterative_scan = relaxed_order")

    return configure


def close_pools() -> None:
    """Close every pool of this process (tests, and servers shutting down)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()
