"""Running and scoring a system on benchmark questions (``eval.bench_run``), on a tiny stand-in system."""

from __future__ import annotations

import pytest

from core.types import Answer
from eval.bench_common import BenchQuestion
from eval.bench_run import Chunking, answer_summaries, first_hit, rescore, retrieval_summary, run_system


def test_ranks_hits_mrr() -> None:
    spans = [("a", 0, 5), ("b", 0, 5), ("c", 0, 5)]
    assert first_hit(spans, lambda d, s, e: d == "b") == 2
    assert first_hit(spans, lambda d, s, e: d == "z") is None
    s = retrieval_summary([1, 2, None, 7])
    assert s["hit@1"] == 0.25 and s["hit@5"] == 0.5 and s["hit@10"] == 0.75
    assert s["mrr"] == pytest.approx((1 + 0.5 + 1 / 7) / 4)
    assert retrieval_summary([]) == {"n": 0, "hit@1": None, "hit@5": None, "hit@10": None, "mrr": None}


def test_chunking_describes_itself() -> None:
    assert Chunking(1024, 30, "chars").describe() == "1024-character chunks, 30 overlap"
    assert Chunking(1200, 100, "tokens").describe() == "1200-token chunks, 100 overlap"


class _TwoPassages:
    """Always retrieves ``other.txt`` then ``acme.txt``, and answers with Acme's revenue."""

    name = "fake"

    def retrieve(self, question: str, k: int) -> list[tuple[str, int, int]]:
        return [("other.txt", 0, 5), ("acme.txt", 0, 40)][:k]

    def answer(self, question: str) -> Answer:
        return Answer(question=question, text="Revenue was $12.5 million [1].", citations=[], abstained=False,
                      route="passages", value="$12.5 million")


QUESTIONS = [
    BenchQuestion("q1", "Acme revenue?", "$12.5 million", "g", hit=lambda d, s, e: d == "acme.txt"),
    BenchQuestion("q2", "Nothing?", "Insufficient information", "null", hit=None),
]


def test_run_system_scores_retrieval_and_answers() -> None:
    said: list[str] = []
    r = run_system(_TwoPassages(), QUESTIONS, said.append)
    assert r["retrieval"]["n"] == 1 and r["retrieval"]["hit@1"] == 0.0 and r["retrieval"]["hit@5"] == 1.0
    assert r["retrieval"]["mrr"] == 0.5
    assert r["answers"]["all"]["correct"] == 1 and r["answers"]["abstain"]["accuracy"] == 0.0
    assert r["answers_by_group"] == {"g": {"n": 1, "correct": 1, "accuracy": 1.0},
                                     "null": {"n": 1, "correct": 0, "accuracy": 0.0}}
    assert r["abstained"] == 0 and r["latency_ms"]["retrieve_p50"] is not None
    assert [x["rank"] for x in r["records"]] == [2, None]
    assert r["records"][0]["retrieved"] == ["other.txt:0-5", "acme.txt:0-40"]
    assert said == ["fake: 2/2 questions"]


def test_retrieval_only_run_has_no_answers() -> None:
    r = run_system(_TwoPassages(), QUESTIONS, lambda _m: None, answers=False)
    assert "answers" not in r and r["latency_ms"]["answer_p50"] is None
    assert "kind" not in r["records"][0]


def test_rescore_rebuilds_the_answer_figures() -> None:
    r = run_system(_TwoPassages(), QUESTIONS, lambda _m: None)
    report = {"results": {"fake": r}}
    r["records"][0]["gold"] = "$99 million"  # as if the scorer now read the gold differently
    rescore(report)
    assert r["records"][0]["correct"] is False and r["answers"]["all"]["correct"] == 0
    assert r["answers_by_group"]["g"]["accuracy"] == 0.0
    assert report["rescored"]


def test_answer_summaries_per_group() -> None:
    recs = [{"kind": "number", "correct": True, "group": "a"}, {"kind": "yesno", "correct": False, "group": "a"},
            {"kind": "name", "correct": True, "group": ""}]
    answers, by_group = answer_summaries(recs)
    assert answers["all"]["correct"] == 2 and answers["yesno"]["accuracy"] == 0.0
    assert by_group == {"a": {"n": 2, "correct": 1, "accuracy": 0.5}}  # no group: not a group
