"""One Settings object, one error hierarchy: bad settings are a ConfigError naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import Settings
from core.errors import (
    ConfigError,
    DocumentError,
    GraphUnavailable,
    IndexUnusable,
    KgqaError,
    LLMDeadline,
    LLMError,
    ModelNotFound,
    QuestionError,
    StoreError,
    UnsupportedUpload,
    UploadError,
    UploadTooLarge,
)
from core.validation import check_question


def test_hierarchy() -> None:
    for cls in (ConfigError, DocumentError, GraphUnavailable, IndexUnusable, LLMError, ModelNotFound,
                QuestionError, StoreError, UploadError, LLMDeadline):
        assert issubclass(cls, KgqaError)
    assert issubclass(LLMDeadline, TimeoutError) and issubclass(UploadError, DocumentError)
    assert issubclass(UploadTooLarge, UploadError) and issubclass(UnsupportedUpload, UploadError)


def test_settings_layers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "kgqa.toml"
    cfg.write_text("top_k = 3\nuse_graph = false\n", encoding="utf-8")
    monkeypatch.setenv("KGQA_TOP_K", "4")
    s = Settings.load(cfg, overrides={"top_k": 5, "dense_k": None})
    assert (s.top_k, s.use_graph, s.dense_k) == (5, False, Settings().dense_k)
    assert Settings.load(cfg).top_k == 4  # the environment beats the file


def test_bad_settings_name_the_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="unknown setting 'topk'"):
        Settings().with_values({"topk": 3})
    with pytest.raises(ConfigError, match=r"'top_k'.*bad value"):
        Settings().with_values({"top_k": "many"})
    bad = tmp_path / "bad.toml"
    bad.write_text("top_k = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read settings file"):
        Settings.load(bad)
    with pytest.raises(ConfigError, match="cannot read settings file"):
        Settings.load(tmp_path / "missing.toml")


def test_question_checks() -> None:
    assert check_question("  What   was revenue? ", 100) == "What was revenue?"
    for bad, msg in ((None, "must be text"), ("   ", "empty"), ("x" * 101, "limit is 100")):
        with pytest.raises(QuestionError, match=msg):
            check_question(bad, 100)
