"""Which store holds the index: the small protocol both stores implement, and the choice by settings.

``settings.store`` selects it (``--store`` on every command, ``KGQA_STORE``, or ``store = ...``
in kgqa.toml): empty for the embedded file store at ``index_dir``, a folder for a file store
there, ``postgresql://...`` for the shared PostgreSQL store (:mod:`engine.pg_store`).

>>> from core.config import Settings
from core.errors import StoreError
>>> open_store(Settings(index_dir=Path("/tmp/idx"))).label
'/tmp/idx'
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from core.config import Settings
from core.errors import StoreError
from engine.store import FileStore, Snapshot


@runtime_checkable
class IndexStore(Protocol):
    """Where index states live: load the live one, build the next one beside it, swap atomically.

    An ingest takes :meth:`lock`, loads the live state, writes the new state into
    :meth:`new_generation` (a local folder in the file layout; extraction caches of the previous
    state are read from :meth:`cache_root`) and makes it live with :meth:`commit`.
    """

    label: str  # where it is, safe to show (a PostgreSQL password is redacted)

    def exists(self) -> bool: ...

    def load(self, settings: Settings) -> Snapshot: ...

    def generation(self) -> str | None:
        """An id of the live state (cheap): a server reloads when it changes."""
        ...

    def generation_of(self, snapshot: Snapshot) -> str: ...

    def rebuild_hint(self) -> str: ...

    def lock(self) -> AbstractContextManager[None]: ...

    def new_generation(self) -> Path: ...

    def cache_root(self, snapshot: Snapshot | None) -> Path | None: ...

    def commit(self, folder: Path, manifest: dict[str, Any]) -> Any: ...


def is_pg_url(store: str) -> bool:
    """Whether a ``store`` setting names a PostgreSQL database.

    >>> is_pg_url("postgresql://db/kgqa"), is_pg_url("/srv/kgqa-index")
    (True, False)
    """
    return store.startswith(("postgresql://", "postgres://"))


def open_store(settings: Settings) -> IndexStore:
    """The store ``settings`` select (see module docstring)."""
    if is_pg_url(settings.store):
        try:
            from engine.pg_store import PgStore  # psycopg loads only for PostgreSQL users
        except ImportError as exc:
            raise StoreError(f"the PostgreSQL store needs {exc.name}: pip install 'psycopg[binary,pool]' pgvector") from exc
        return PgStore(settings.store, settings)
    return FileStore(Path(settings.store).expanduser() if settings.store else settings.index_dir)
