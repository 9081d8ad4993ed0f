"""``embed_backend = "auto"``: the faster exact backend, measured once per machine and remembered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from retrieval import encoder_choice
from retrieval.build import embed_signature, encoder_backend
from retrieval.encoder_choice import CANDIDATES, CHOICE_FILE, resolve_backend


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    resolve_backend.cache_clear()
    yield
    resolve_backend.cache_clear()


@pytest.fixture()
def cache(tmp_path: Path) -> Path:
    """A cache folder of its own that shares the ONNX export already built (building one takes ~20 s)."""
    own = tmp_path / "cache"
    own.mkdir()
    shared = Settings().cache_dir / "onnx"
    if shared.is_dir():
        (own / "onnx").symlink_to(shared, target_is_directory=True)
    return own


def test_a_named_backend_is_used_as_it_is(cache: Path) -> None:
    assert resolve_backend("onnx-int8", Settings().model, cache) == "onnx-int8"
    assert not (cache / CHOICE_FILE).exists()


def test_auto_measures_both_once_and_remembers(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = Settings().model
    got = resolve_backend("auto", model, cache)
    saved = json.loads((cache / CHOICE_FILE).read_text(encoding="utf-8"))
    (entry,) = saved.values()
    rates = entry["windows_per_s"]
    assert set(rates) == set(CANDIDATES) and all(r > 1 for r in rates.values())
    assert got == entry["backend"] == max(rates, key=rates.get)

    def no_measuring(*_: object) -> float:
        raise AssertionError("measured again")

    monkeypatch.setattr(encoder_choice, "windows_per_second", no_measuring)
    resolve_backend.cache_clear()
    assert resolve_backend("auto", model, cache) == got  # read back from the file


def test_a_damaged_choice_file_is_measured_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (cache / CHOICE_FILE).write_text("{not json", encoding="utf-8")
    fake = {"onnx": 10.0, "torch": 30.0}
    monkeypatch.setattr(encoder_choice, "windows_per_second", lambda b, *_: fake[b])
    assert resolve_backend("auto", Settings().model, cache) == "torch"
    assert next(iter(json.loads((cache / CHOICE_FILE).read_text(encoding="utf-8")).values()))["backend"] == "torch"
    fake.update(onnx=50.0)
    resolve_backend.cache_clear()
    other = cache.parent / "other"
    other.mkdir()
    assert resolve_backend("auto", Settings().model, other) == "onnx"  # the faster one, wherever it is


def test_the_manifest_records_the_backend_that_embedded(cache: Path) -> None:
    s = Settings(cache_dir=cache)
    assert s.embed_backend == "auto"
    sig = embed_signature(s)
    assert sig["backend"] == encoder_backend(s) in CANDIDATES
