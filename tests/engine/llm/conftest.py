"""Fixtures for the LLM tests: a scripted stub server and a small real index with an injection document."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from llm_data import INJECTION_DOC
from llm_stub import Reply, StubLLM

from core.config import Settings
from engine.ingest import build_index
from engine.qa import QA


@pytest.fixture(scope="session")
def stub() -> Iterator[StubLLM]:
    with StubLLM() as s:
        yield s


@pytest.fixture(autouse=True)
def _reset_stub(request: pytest.FixtureRequest) -> None:
    if "stub" in request.fixturenames:
        s = request.getfixturevalue("stub")
        s.script = lambda path, body: Reply("OK.")
        s.requests.clear()


@pytest.fixture(scope="session")
def llm_index(built_index: Path, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings]:
    """The session's corpus index plus ``analyst-notes.txt``, a document that tries to instruct the model.

    A copy of the shared index gets the one new document incrementally (only its units are
    embedded), so this costs well under a second on top of the session build.
    """
    base = tmp_path_factory.mktemp("llm")
    shutil.copytree(built_index, base / "index", symlinks=True)
    docs = base / "docs"
    docs.mkdir()
    (docs / "analyst-notes.txt").write_text(INJECTION_DOC, encoding="utf-8")
    llm_settings = settings.with_values({"index_dir": base / "index", "use_graph": False})
    build_index([docs], llm_settings, add=True)
    return llm_settings.index_dir, llm_settings


@pytest.fixture(scope="session")
def llm_qa(llm_index: tuple[Path, Settings]) -> QA:
    index_dir, settings = llm_index
    return QA.load(index_dir, settings)


@pytest.fixture
def llm_settings(llm_index: tuple[Path, Settings], stub: StubLLM):  # type: ignore[no-untyped-def]
    """Settings of the stub endpoint; call with overrides (``llm_timeout_s=1``, ``extra={...}``)."""
    _, settings = llm_index

    def make(**values: object) -> Settings:
        base: dict[str, object] = {"llm": "openai-compatible", "llm_base_url": stub.url, "llm_model": "stub",
                                   "llm_timeout_s": 5.0}
        base.update(values)
        return settings.with_values(base)

    return make
