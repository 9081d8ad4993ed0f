"""LiHua-World data handling (``eval.lihua_data``) on synthetic rows and files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import ConfigError
from eval.lihua_data import evidence_files, lihua_corpus, lihua_questions, load_questions


def test_lihua_evidence_mapping() -> None:
    assert evidence_files("20260121_10:00<and>Time: 20260930_16:00") == ["20260121_1000.txt", "20260930_1600.txt"]
    assert evidence_files("N/A") == []
    rows = [{"id": "0", "question": "q", "answer": "Yes", "evidence": "20260121_10:00", "type": "Single"},
            {"id": "1", "question": "q", "answer": "Insufficient information", "evidence": "N/A", "type": "Null"}]
    qs = lihua_questions(rows, ["week3/20260121_1000.txt", "week4/20260122_0900.txt"])
    assert qs[0].evidence == ["week3/20260121_1000.txt"] and qs[0].hit is not None
    assert qs[0].hit("week3/20260121_1000.txt", 0, 1) and not qs[0].hit("week4/20260122_0900.txt", 0, 1)
    assert qs[1].hit is None and qs[1].group == "Null"


@pytest.mark.parametrize("as_dict", [True, False])
def test_load_questions_from_dict_or_list(tmp_path: Path, as_dict: bool) -> None:
    qa = tmp_path / "lihua-world" / "qa"
    qa.mkdir(parents=True)
    items = [{"question": "When?", "answer": "20260122", "evidence": "20260122_09:00", "type": "Single"}]
    (qa / "query_set.json").write_text(json.dumps({"7": items[0]} if as_dict else items), encoding="utf-8")
    rows = load_questions(tmp_path)
    assert rows == [{"id": "7" if as_dict else "0", **items[0]}]


def test_missing_data_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LiHua-World chat logs not found"):
        lihua_corpus(tmp_path)
    (tmp_path / "lihua-world" / "data").mkdir(parents=True)
    assert lihua_corpus(tmp_path) == tmp_path / "lihua-world" / "data"
