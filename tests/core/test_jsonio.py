"""core.jsonio: generation JSON files round-trip, gzip by name, atomically, and damage reads as ValueError."""

from __future__ import annotations

import doctest
import gzip
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.jsonio as jsonio
from core.jsonio import read_json, write_json

# JSON values as json.loads gives them back (finite floats, str keys)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def test_doctests() -> None:
    assert doctest.testmod(jsonio).failed == 0


@settings(max_examples=150, deadline=None)
@given(obj=JSON, name=st.sampled_from(["units.json.gz", "manifest.json"]))
def test_round_trip(obj: object, name: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "sub" / name  # the parent folder is made
        write_json(path, obj)
        assert read_json(path) == obj
        raw = path.read_bytes()
        text = gzip.decompress(raw).decode("utf-8") if name.endswith(".gz") else raw.decode("utf-8")
        assert json.loads(text) == obj  # plain gzip + JSON: readable without kgqa
        assert [p.name for p in path.parent.iterdir()] == [name]  # no temporary file left


def test_gzip_output_is_smaller_and_reproducible(tmp_path: Path) -> None:
    rows = [[i, "doc.txt", "Revenue grew 12% to $4.46 billion in fiscal 2024."] for i in range(500)]
    write_json(tmp_path / "a.json.gz", rows)
    write_json(tmp_path / "b.json.gz", rows)
    write_json(tmp_path / "c.json", rows)
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()  # no timestamp inside
    assert (tmp_path / "a.json.gz").stat().st_size * 10 < (tmp_path / "c.json").stat().st_size


@pytest.mark.parametrize("data", [b"", b"{not gzip", gzip.compress(b'{"a": 1, "b": [1, 2, 3]}')[:12],
                                  gzip.compress(b"{not json")])
def test_damaged_files_raise_value_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "graph.json.gz"
    path.write_bytes(data)
    with pytest.raises(ValueError):
        read_json(path)


def test_missing_file_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        read_json(tmp_path / "gone.json.gz")


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "docs.json.gz"
    write_json(path, {"v": 1})
    with pytest.raises(TypeError):
        write_json(path, {"v": object()})  # not serialisable: nothing is written
    assert read_json(path) == {"v": 1} and [p.name for p in tmp_path.iterdir()] == ["docs.json.gz"]
