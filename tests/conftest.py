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

from kgqa.config import Settings

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
    from retrieval.index import build_index

    build_index([CORPUS], settings)
    return settings.index_dir


@pytest.fixture(scope="session")
def qa(built_index: Path, settings: Settings):  # type: ignore[no-untyped-def]
    from kgqa.qa import QA

    return QA.load(built_index, settings)
