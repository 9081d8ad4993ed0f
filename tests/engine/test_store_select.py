"""Which store a command uses: --store, KGQA_STORE, kgqa.toml; an unreachable database fails clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import Settings
from core.errors import StoreError
from engine.pg_store import PgStore
from engine.store import FileStore
from engine.stores import open_store

ROOT = Path(__file__).resolve().parents[2]
URL = "postgresql://ana:pa55-Secret@/kgqa?host=/nonexistent-socket-dir"


def test_default_and_folder_are_file_stores(tmp_path: Path) -> None:
    s = Settings(index_dir=tmp_path / "idx")
    assert isinstance(open_store(s), FileStore) and open_store(s).label == str(tmp_path / "idx")
    other = open_store(s.with_values({"store": str(tmp_path / "elsewhere")}))
    assert isinstance(other, FileStore) and other.label == str(tmp_path / "elsewhere")


def test_toml_and_environment_select_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "kgqa.toml"
    toml.write_text(f'store = "{URL}"\npg_pool_size = 3\n', encoding="utf-8")
    s = Settings.load(toml)
    store = open_store(s)
    assert isinstance(store, PgStore) and s.pg_pool_size == 3
    assert "pa55-Secret" not in store.label and "pa55-Secret" not in repr(s) and "ana:***@" in store.label
    monkeypatch.setenv("KGQA_STORE", "postgres://db.example/kgqa")
    assert isinstance(open_store(Settings.load()), PgStore)
    over = Settings.load(overrides={"store": str(tmp_path / "files")})  # --store beats the environment
    assert isinstance(open_store(over), FileStore)


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot connect to the PostgreSQL store postgresql://ana:\*\*\*@") as exc:
        open_store(Settings(store=URL)).exists()
    assert "pa55-Secret" not in str(exc.value)
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    r = subprocess.run([sys.executable, "-m", "kgqa.cli", "ask", "What was revenue?", "--store", URL], env=env,
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "cannot connect to the PostgreSQL store" in r.stderr
    assert "pa55-Secret" not in r.stderr + r.stdout and "Traceback" not in r.stderr
