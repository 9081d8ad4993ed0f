"""The lexical index on disk: one deflated zip of bm25s's own files, read back to the same scores."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrieval.lexical import BM25Index

QUESTIONS = ["fiscal 2024 revenue", "Segment acquisition", "non-GAAP gross margin", "no such word zzzz"]


@pytest.fixture(scope="module")
def texts(qa: Any) -> list[str]:
    return [c.text for c in qa.index.chunks]


def test_round_trip_keeps_every_score(texts: list[str], tmp_path: Path) -> None:
    built = BM25Index.build(texts)
    built.save(tmp_path / "bm25.zip")
    loaded = BM25Index.load(tmp_path / "bm25.zip")
    assert len(loaded) == len(built) == len(texts)
    for q in QUESTIONS:
        np.testing.assert_array_equal(loaded.scores(q), built.scores(q))
    assert loaded.scores("fiscal 2024 revenue").max() > 0


def test_the_zip_is_smaller_than_the_bm25s_folder(texts: list[str], tmp_path: Path) -> None:
    built = BM25Index.build(texts)
    built.save(tmp_path / "bm25.zip")
    built.model.save(str(tmp_path / "folder"), show_progress=False)  # type: ignore[attr-defined]
    folder = sum(f.stat().st_size for f in (tmp_path / "folder").iterdir())
    with zipfile.ZipFile(tmp_path / "bm25.zip") as z:
        assert sorted(z.namelist()) == sorted(f.name for f in (tmp_path / "folder").iterdir())
    assert (tmp_path / "bm25.zip").stat().st_size < 0.6 * folder


def test_a_foreign_or_damaged_file_raises(texts: list[str], tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../params.index.json", "{}")
    with pytest.raises(ValueError, match="unexpected entries"):
        BM25Index.load(evil)
    BM25Index.build(texts).save(tmp_path / "bm25.zip")
    cut = tmp_path / "cut.zip"
    cut.write_bytes((tmp_path / "bm25.zip").read_bytes()[:-200])
    with pytest.raises(zipfile.BadZipFile):
        BM25Index.load(cut)
