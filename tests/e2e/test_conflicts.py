"""Two sources disagree on the same metric: the answer shows both values, each with its citation."""

from __future__ import annotations

import re
from pathlib import Path

from core.config import Settings
from engine.ingest import build_index
from engine.qa import QA


def test_conflicting_values_are_both_shown_and_cited(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "review.txt").write_text(
        "Acme Robotics annual review\nResults\n"
        "Acme Robotics reported fiscal 2024 revenue of $120 million, driven by warehouse automation demand.\n"
        "Margins improved as component costs fell.\n",
        encoding="utf-8",
    )
    (docs / "note.txt").write_text(
        "Acme Robotics earnings note\nSummary\n"
        "Acme Robotics posted fiscal 2024 revenue of $135 million according to its investor presentation.\n"
        "The company expects further growth in logistics.\n",
        encoding="utf-8",
    )
    s = Settings(index_dir=tmp_path / "index")
    build_index([docs], s)
    qa = QA.load(s.index_dir, s)
    assert qa.graph is not None and qa.graph.conflicts()
    a = qa.ask("What was Acme Robotics' fiscal 2024 revenue?")
    assert a.conflicts and not a.abstained
    assert "$120 million" in a.text and "$135 million" in a.text
    by_value = {}
    for value in ("$120 million", "$135 million"):
        m = re.search(re.escape(value) + r" \[(\d+)\]", a.text)
        assert m, a.text
        by_value[value] = int(m.group(1))
    cited = {c.n: c for c in a.citations}
    assert "$120 million" in cited[by_value["$120 million"]].text and cited[by_value["$120 million"]].doc == "review.txt"
    assert "$135 million" in cited[by_value["$135 million"]].text and cited[by_value["$135 million"]].doc == "note.txt"
    for c in a.citations:
        raw = (docs / c.doc).read_text(encoding="utf-8")
        assert raw[c.start : c.end] == c.text
