"""Folders, sampling and settings shared by the benchmarks (``eval.bench_common``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from eval.bench_common import bench_dir, dir_bytes, kgqa_settings, need, sample, tuning_half, work_dir


def test_sample_is_fixed_and_ordered() -> None:
    items = list(range(100))
    a, b = sample(items, 10, seed=3), sample(items, 10, seed=3)
    assert a == b and a == sorted(a) and len(a) == 10
    assert sample(items, 10, seed=4) != a
    assert sample(items, None, 0) == items
    assert sample(items, 500, 0) == items


def test_bench_dir_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KGQA_BENCH_DIR", str(tmp_path))
    assert bench_dir() == tmp_path.resolve()
    assert bench_dir(tmp_path / "x") == (tmp_path / "x").resolve()


def test_work_dir_is_made(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KGQA_BENCH_WORK", str(tmp_path / "w"))
    assert work_dir() == tmp_path / "w" and (tmp_path / "w").is_dir()
    assert work_dir(tmp_path / "v").is_dir()


def test_need_names_the_missing_path(tmp_path: Path) -> None:
    assert need(tmp_path, "here") == tmp_path
    with pytest.raises(ConfigError, match=r"FinanceBench PDFs not found at .*--bench-dir"):
        need(tmp_path / "nope", "FinanceBench PDFs")


def test_dir_bytes_counts_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.bin").write_bytes(b"12345")
    (tmp_path / "y.bin").write_bytes(b"123")
    assert dir_bytes(tmp_path) == 8
    assert dir_bytes(tmp_path / "y.bin") == 3


def test_kgqa_settings_point_at_the_index(tmp_path: Path) -> None:
    s = kgqa_settings(tmp_path / "idx", use_graph=False, top_k=4)
    assert s.index_dir == tmp_path / "idx" and s.use_graph is False and s.top_k == 4
    assert kgqa_settings(tmp_path / "idx").use_graph is True


def test_tuning_halves_are_fixed_and_about_even() -> None:
    ids = [str(i) for i in range(1000)]
    halves = [tuning_half(i) for i in ids]
    assert halves == [tuning_half(i) for i in ids]
    assert set(halves) == {"development", "held-out"} and 450 < halves.count("development") < 550
