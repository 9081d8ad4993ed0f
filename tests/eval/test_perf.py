"""The speed-and-scale driver (``eval.perf``): replicated corpora, and a worker run in its own process."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.gold_eval import GOLD_QA, load_gold
from eval.perf import gold_questions, replicate, worker
from eval.perf_baseline import WORKERS as BASELINE_WORKERS
from eval.perf_kgqa import WORKERS as KGQA_WORKERS
from eval.perf_probe import WORKER_MODULES


def test_replicate_makes_distinct_files(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("Acme revenue was $5 million.\n", encoding="utf-8")
    (src / "manifest.json").write_text("{}", encoding="utf-8")
    info = replicate(src, tmp_path / "out", 3)
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["a--copy001.txt", "a--copy002.txt", "a.txt"]
    texts = {(tmp_path / "out" / f).read_text(encoding="utf-8") for f in files}
    assert len(texts) == 3 and info["documents"] == 3


def test_gold_questions() -> None:
    assert gold_questions(2) == [q.question for q in load_gold(GOLD_QA)[:2]]


def test_every_worker_has_its_module() -> None:
    expected = {**dict.fromkeys(KGQA_WORKERS, "eval.perf_kgqa"), **dict.fromkeys(BASELINE_WORKERS, "eval.perf_baseline")}
    assert expected == WORKER_MODULES


@pytest.mark.slow
def test_kgqa_workers_in_their_own_processes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "acme.txt").write_text("# Acme\n\nAcme's revenue was $12.5 million in FY2022.\n", encoding="utf-8")
    index = tmp_path / "index"
    ing, wall = worker("kgqa-ingest", {"paths": [str(corpus)], "index": str(index), "use_graph": False})
    assert ing["reused"] is False and ing["documents"] == 1 and ing["chunks"] >= 1 and ing["peak_rss_mb"] > 0
    assert wall > 0 and index.is_dir()
    warm, _ = worker("kgqa-warm", {"index": str(index), "use_graph": False,
                                   "questions": ["What was Acme's revenue in FY2022?"]})
    assert warm["answer_ms"]["n"] == 1 and warm["retrieve_ms"]["p50"] > 0 and warm["peak_rss_mb"] > 0
    with pytest.raises(RuntimeError, match="perf worker kgqa-warm failed"):
        worker("kgqa-warm", {"index": str(tmp_path / "missing"), "questions": ["q"]})
