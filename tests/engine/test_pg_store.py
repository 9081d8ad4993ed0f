"""The PostgreSQL store against a real server: same answers, atomic and serialised ingests,
a killed ingest, servers that see new documents, schema versions, and no password anywhere."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from core.config import Settings
from core.errors import IndexUnusable, StoreError
from engine.ingest import build_index
from engine.migrate import migrate
from engine.pg_store import SCHEMA_VERSION, PgSnapshot, PgStore
from engine.qa import QA
from engine.store import FileStore

pytestmark = pytest.mark.pg
ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "eval" / "gold" / "qa.jsonl"
NEW_DOC = ("Zephyrine Freight\n\nZephyrine Freight reported revenue of $47 million in fiscal 2024, "
           "up from $39 million a year earlier.\n")
NEW_Q = "What was Zephyrine Freight's revenue in fiscal 2024?"


def _pg(settings: Settings, url: str) -> Settings:
    return settings.with_values({"store": url, "refresh_s": 0.0})


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env.pop("KGQA_STORE", None)
    return env


def _kgqa(*args: str) -> list[str]:
    return [sys.executable, "-m", "kgqa.cli", *args]


def _doc(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def _current_gen(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT current_gen FROM kgqa_state").fetchone()
    assert row is not None
    return int(row[0])


def test_same_answers_as_the_file_store(qa: QA, settings: Settings, pg_url: str) -> None:
    """Every gold question gets the identical answer (text, citations, spans) from both stores."""
    report = migrate(settings, pg_url)
    assert report.documents == len(qa.index.docs) and report.units == len(qa.index.units)
    pg = QA.load(None, _pg(settings, pg_url))
    assert isinstance(pg.snapshot, PgSnapshot)
    questions = [json.loads(line)["question"] for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    diffs = []
    for q in questions:
        a, b = qa.ask(q).to_dict(), pg.ask(q).to_dict()
        a.pop("timings_ms", None)
        b.pop("timings_ms", None)
        if a != b:
            diffs.append(q)
    assert diffs == [], f"{len(diffs)} of {len(questions)} answers differ, e.g. {diffs[:3]}"
    assert pg.graph is not None and qa.graph is not None
    assert pg.graph.stats() == qa.graph.stats()


def test_incremental_ingest_and_migrate_back(settings: Settings, built_index: Path, pg_url: str, tmp_path: Path) -> None:
    """An --add ingest into PostgreSQL embeds only the new document; the state copies back to files."""
    migrate(settings, pg_url)
    s = _pg(settings, pg_url)
    new = _doc(tmp_path / "new", "zephyrine.txt", NEW_DOC)
    report = build_index([new], s, add=True)
    assert report.added == ["zephyrine.txt"] and len(report.unchanged) == 2
    assert 0 < report.embedded < 10  # the two corpus documents' vectors were reused from the database
    answer = QA.load(None, s).ask(NEW_Q)
    assert "47" in answer.text and answer.citations[0].doc == "zephyrine.txt"
    again = build_index([new], s, add=True)
    assert again.did_nothing
    back = tmp_path / "back"
    migrate(s, str(back))
    snap = FileStore(back).load(settings)
    assert set(snap.index.docs) == {"zephyrine.txt", *QA.load(None, s).index.docs} and snap.graph is not None


def test_two_ingests_at_once_serialise(settings: Settings, built_index: Path, pg_url: str, tmp_path: Path) -> None:
    """Two processes adding different documents at the same moment: both documents end up in the index."""
    migrate(settings, pg_url)
    a = _doc(tmp_path / "a", "alpha-note.txt", "Alphonse Robotics hired 120 engineers in 2024.\n")
    b = _doc(tmp_path / "b", "beta-note.txt", "Betelgeuse Analytics opened an office in Lisbon in 2024.\n")
    procs = [subprocess.Popen(_kgqa("ingest", str(p), "--add", "-q", "--store", pg_url), env=_env(), cwd=tmp_path,
                              stderr=subprocess.PIPE, text=True) for p in (a, b)]
    errs = [p.communicate(timeout=600)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    s = _pg(settings, pg_url)
    snap = PgStore(pg_url, s).load(s)
    assert {"alpha-note.txt", "beta-note.txt"} <= set(snap.index.docs) and len(snap.index.docs) == 4
    with psycopg.connect(pg_url) as conn:  # nothing left over: exactly the live state and the one before it
        gens = [r[0] for r in conn.execute("SELECT gen FROM kgqa_generations ORDER BY gen")]
        n_units = conn.execute("SELECT count(*) FROM kgqa_units WHERE gen = %s", (snap.gen,)).fetchone()
    assert len(gens) == 2 and gens[-1] == snap.gen
    assert n_units is not None and n_units[0] == len(snap.index.units) == snap.manifest["counts"]["units"]


def test_sigkill_mid_commit_leaves_previous_state(settings: Settings, built_index: Path, pg_url: str,
                                                  tmp_path: Path) -> None:
    """Kill an ingest while its commit transaction is half written: the previous state keeps answering,
    nothing of the killed one is visible, and the next ingest runs (the lock died with the process)."""
    migrate(settings, pg_url)
    s = _pg(settings, pg_url)
    before = _current_gen(pg_url)
    doc = _doc(tmp_path / "k", "killed.txt", NEW_DOC)
    blocker = psycopg.connect(pg_url)
    blocker.execute("LOCK TABLE kgqa_kg_cache IN EXCLUSIVE MODE")  # the commit waits here, rows half written
    proc = subprocess.Popen(_kgqa("ingest", str(doc), "--add", "-q", "--store", pg_url), env=_env(), cwd=tmp_path,
                            stderr=subprocess.PIPE, text=True)
    try:
        pid = _wait_for_blocked_commit(blocker, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for _ in range(300):  # the server ends the dead client's session and rolls it back
            if conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() == (0,):
                break
            time.sleep(0.1)
        assert conn.execute("SELECT count(*) FROM kgqa_generations WHERE gen > %s", (before,)).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM kgqa_documents WHERE id = 'killed.txt'").fetchone() == (0,)
    assert _current_gen(pg_url) == before
    answer = QA.load(None, s).ask("What was Twilio's fiscal 2024 revenue?")
    assert not answer.abstained and answer.citations
    report = build_index([doc], s, add=True)  # not blocked by a lock of the killed process
    assert report.added == ["killed.txt"] and _current_gen(pg_url) > before


def _wait_for_blocked_commit(blocker: psycopg.Connection, proc: subprocess.Popen) -> int:  # type: ignore[type-arg]
    """The server pid of the ingest's commit once it waits on the blocker's table lock."""
    for _ in range(6000):
        if proc.poll() is not None:
            raise AssertionError(f"ingest ended before its commit blocked: {proc.stderr.read() if proc.stderr else ''}")
        with psycopg.connect(blocker.info.dsn, autocommit=True) as watch:
            row = watch.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'kgqa-ingest' AND wait_event_type = 'Lock' "
                "AND query ILIKE '%kgqa_kg_cache%'"
            ).fetchone()
            if row is not None:
                with watch.cursor() as cur:  # and the half-written state is really there, uncommitted
                    cur.execute("SELECT backend_xid IS NOT NULL FROM pg_stat_activity WHERE pid = %s", (row[0],))
                    assert cur.fetchone() == (True,)
                return int(row[0])
        time.sleep(0.1)
    raise AssertionError("the ingest's commit never reached the blocked table")


def test_servers_see_new_documents_without_restart(settings: Settings, built_index: Path, pg_url: str,
                                                  tmp_path: Path) -> None:
    """Two running QA servers on one database answer from a document another process just ingested."""
    migrate(settings, pg_url)
    s = settings.with_values({"store": pg_url, "refresh_s": 0.2})
    servers = [QA.load(None, s), QA.load(None, s)]
    q = NEW_Q
    assert all("zephyrine.txt" not in srv.index.docs for srv in servers)
    doc = _doc(tmp_path / "n", "zephyrine.txt", NEW_DOC)
    subprocess.run(_kgqa("ingest", str(doc), "--add", "-q", "--store", pg_url), env=_env(), cwd=tmp_path, check=True,
                   timeout=600)
    time.sleep(0.3)
    for srv in servers:
        answer = srv.ask(q)  # the first question after the commit switches to the new state
        assert "zephyrine.txt" in srv.index.docs
        assert "47" in answer.text and answer.citations[0].doc == "zephyrine.txt"


def test_newer_schema_is_refused_clearly(settings: Settings, built_index: Path, pg_url: str, tmp_path: Path) -> None:
    migrate(settings, pg_url)
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE kgqa_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 1}, newer than this kgqa"):
        QA.load(None, _pg(settings, pg_url))
    r = subprocess.run(_kgqa("graph", "stats", "--store", pg_url), env=_env(), cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 1 and "newer than this kgqa" in r.stderr and "Traceback" not in r.stderr


def test_empty_database_says_how_to_build(settings: Settings, pg_url: str) -> None:
    with pytest.raises(IndexUnusable, match="kgqa ingest corpus/ --store"):
        QA.load(None, _pg(settings, pg_url))


def test_password_is_never_shown(settings: Settings, built_index: Path, pg_url: str, tmp_path: Path,
                                 caplog: pytest.LogCaptureFixture) -> None:
    """A password in the connection string appears in no output, error, log line or repr."""
    secret = "hunter2-Sekrit"
    url = pg_url.replace("postgres:@", f"postgres:{secret}@")  # the test server trusts local users
    assert secret in url
    caplog.set_level("DEBUG")
    s = _pg(settings, url)
    assert secret not in repr(s)
    report = migrate(settings, url)
    assert secret not in report.target and "***" in report.target
    qa = QA.load(None, s)
    assert secret not in qa.store.label and secret not in str(qa.snapshot.root)
    qa.ask("What was Twilio's fiscal 2024 revenue?")
    bad = url.replace("/kgqa_", "/no_such_db_")
    with pytest.raises(StoreError) as exc:
        QA.load(None, _pg(settings, bad))
    assert secret not in str(exc.value) and "***" in str(exc.value)
    outputs = [
        subprocess.run(_kgqa(*args), env=_env(), cwd=tmp_path, capture_output=True, text=True, timeout=600)
        for args in (
            ("graph", "stats", "--store", url),
            ("ask", "What was Twilio's fiscal 2024 revenue?", "--store", url),
            ("ask", "What was Twilio's fiscal 2024 revenue?", "--store", bad),
            ("migrate", "--store", url, "--to", str(tmp_path / "copy")),
            ("ingest", str(tmp_path / "nothing-here"), "--add", "--store", url),
        )
    ]
    assert [o.returncode for o in outputs] == [0, 0, 1, 0, 1], [o.stderr[-300:] for o in outputs]
    for o in outputs:
        assert secret not in o.stdout and secret not in o.stderr
    assert secret not in caplog.text
