"""Small, fast tests of the benchmark scorer and runners on tiny synthetic data (never ../shared/bench)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.types import Answer
from eval import scoring
from eval.bench_financebench import (
    BenchQuestion,
    bench_dir,
    filings_questions,
    first_hit,
    md_table,
    page_file_name,
    pages_questions,
    retrieval_summary,
    run_system,
    sample,
    write_pages_corpus,
)
from eval.bench_lihua import evidence_files, lihua_questions
from eval.perf import latency_stats, replicate

# ---- the scorer ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gold", "pred", "ok"),
    [
        ("$1577.00", "Capital expenditure was $1,577 million [1].", True),
        ("$1577.00", "Capital expenditure was $1.577 billion [1].", True),  # rescaled
        ("$1577.00", "Capital expenditure was $1,611 million [1].", False),
        ("24.26", "The ratio is 24.3 [1].", True),  # within 1%
        ("24.26", "The ratio is 25.1 [1].", False),
        ("1.9%", "Margin grew 1.9% [1].", True),
        ("1.9%", "Margin grew 0.019 [1].", True),  # percent as a fraction
        ("-0.02", "Cash flow ratio was (0.02) [1].", True),  # signs ignored
        ("0", "It was 0 [1].", True),
        ("AES has converted inventory 9.5 times in FY 2022.", "Inventory turned 9.5x in FY2022 [1].", True),
        ("AES has converted inventory 9.5 times in FY 2022.", "In FY2022 inventory turned 12 times.", False),
    ],
)
def test_numbers_with_tolerance(gold: str, pred: str, ok: bool) -> None:
    s = scoring.score(gold, pred)
    assert s.kind == "number"
    assert s.correct is ok, s.detail


def test_dates_and_times_are_not_quantities() -> None:
    assert scoring.numbers("Time: 20260308_13:00, year ended December 31, 2022") == []
    assert not scoring.score("30.8%", "Year Ended December 31 [1]").correct
    assert not scoring.score("2", "Time: 20260605_11:00 [1]").correct
    assert scoring.gold_kind("20261202_14:00 & 20261209_19:00") == "date"
    assert not scoring.score("20261202_14:00 & 20261209_19:00", "on December 2 [1]").correct
    assert scoring.score("20261202_14:00 & 20261209_19:00", "on December 2 and Dec 9 [1]").correct


def test_number_uses_answer_value_first() -> None:
    assert scoring.score("$8.70", "EPS rose from $7.10 to $8.70.", value="$8.70").correct
    assert not scoring.score("$8.70", "EPS rose from $7.10 to $8.70.").correct  # main value is the first one


def test_years_are_not_the_number() -> None:
    assert scoring.numbers("FY2022 revenue 12.5 in 2021") == [12.5]
    assert scoring.gold_kind("The Real Growth was flat in FY 2023 vs FY 2022.") == "text"


@pytest.mark.parametrize(
    ("gold", "pred", "ok"),
    [
        ("Yes, it grew.", "Yes: revenue grew 5% [1].", True),
        ("No. The quick ratio was 0.96.", "No, it was below 1 [1].", True),
        ("Answer: Yes", "No.", False),
        ("Yes", "Revenue grew 5% [1].", False),
    ],
)
def test_yes_no(gold: str, pred: str, ok: bool) -> None:
    s = scoring.score(gold, pred)
    assert s.kind == "yesno"
    assert s.correct is ok


def test_names_dates_abstain_and_text() -> None:
    assert scoring.score("AdamSmith", "Adam Smith offered to help [1].").correct
    assert scoring.score("Adam Smith & Jennifer Moore", "Jennifer Moore and Adam Smith [1]").correct
    assert not scoring.score("Adam Smith & Jennifer Moore", "Adam Smith [1]").correct
    assert scoring.score("pepperoni with extra cheese", "He likes extra cheese on pepperoni.").correct
    assert scoring.score("20260122", "They went on January 22.").kind == "date"
    assert scoring.score("20260122", "They went on January 22.").correct
    assert not scoring.score("20260122", "They went on January 23.").correct
    assert scoring.score("Insufficient information", "", abstained=True).correct
    assert scoring.score("Insufficient information", 'The corpus does not say ("x").').correct
    assert not scoring.score("Insufficient information", "Pizza [1].").correct
    assert not scoring.score("Tuesday", "Tuesday", abstained=True).correct
    t = scoring.score("LiHua praises the sourdough bread and thanks Hailey for the delivery",
                      "LiHua said the sourdough bread was great, thanks to Hailey's delivery [1].")
    assert t.kind == "text" and t.correct


def test_abstention_echo_is_not_an_answer() -> None:
    s = scoring.score("0.62%", 'Tax rate in FY2022: The corpus does not say ("What is 0.62% of it").')
    assert not s.correct


def test_summarize_counts_kinds() -> None:
    sc = [scoring.Score("number", True), scoring.Score("text", False), scoring.Score("yesno", True)]
    s = scoring.summarize(sc)
    assert s["all"] == {"n": 3, "correct": 2, "accuracy": pytest.approx(2 / 3)}
    assert s["strict kinds"]["accuracy"] == 1.0
    assert s["name"]["accuracy"] is None


# ---- retrieval metrics and helpers ---------------------------------------------------------------------


def test_ranks_hits_mrr() -> None:
    spans = [("a", 0, 5), ("b", 0, 5), ("c", 0, 5)]
    assert first_hit(spans, lambda d, s, e: d == "b") == 2
    assert first_hit(spans, lambda d, s, e: d == "z") is None
    s = retrieval_summary([1, 2, None, 7])
    assert s["hit@1"] == 0.25 and s["hit@5"] == 0.5 and s["hit@10"] == 0.75
    assert s["mrr"] == pytest.approx((1 + 0.5 + 1 / 7) / 4)


def test_sample_is_fixed_and_ordered() -> None:
    items = list(range(100))
    a, b = sample(items, 10, seed=3), sample(items, 10, seed=3)
    assert a == b and a == sorted(a) and len(a) == 10
    assert sample(items, 10, seed=4) != a
    assert sample(items, None, 0) == items


def test_bench_dir_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KGQA_BENCH_DIR", str(tmp_path))
    assert bench_dir() == tmp_path.resolve()
    assert bench_dir(tmp_path / "x") == (tmp_path / "x").resolve()


def test_md_table_escapes_pipes() -> None:
    assert "a \\| b" in md_table(["h"], [["a | b"]])


def test_latency_stats() -> None:
    s = latency_stats([1.0, 2.0, 3.0, 4.0])
    assert s["p50"] == 2.5 and s["n"] == 4


# ---- FinanceBench and LiHua-World data handling --------------------------------------------------------

ROWS = [
    {"financebench_id": "fb1", "question": "What was Acme's FY2022 revenue?", "answer": "$12.5 million",
     "question_type": "metrics-generated", "doc_name": "ACME_2022_10K",
     "evidence": [{"doc_name": "ACME_2022_10K", "evidence_page_num": 1,
                   "evidence_text_full_page": "Acme Corp\nIncome statement\nRevenue was $12.5 million in FY2022."}]},
    {"financebench_id": "fb2", "question": "Did Bolt pay a dividend in 2023?", "answer": "Yes, $0.20 per share.",
     "question_type": "domain-relevant", "doc_name": "BOLT_2023_10K",
     "evidence": [{"doc_name": "BOLT_2023_10K", "evidence_page_num": 0,
                   "evidence_text_full_page": "Bolt Inc\nDividends\nBolt paid a dividend of $0.20 per share in 2023."}]},
]


def test_pages_corpus_and_questions(tmp_path: Path) -> None:
    mapping = write_pages_corpus(ROWS, tmp_path / "c")
    assert set(mapping.values()) == {"ACME_2022_10K#p1", "BOLT_2023_10K#p0"}
    fn = page_file_name("ACME_2022_10K#p1")
    assert "#" not in fn and (tmp_path / "c" / fn).read_text(encoding="utf-8").startswith("Acme Corp")
    qs = pages_questions(ROWS)
    assert qs[0].hit is not None and qs[0].hit(fn, 0, 10) and not qs[0].hit(page_file_name("BOLT_2023_10K#p0"), 0, 1)


def test_filings_page_hits() -> None:
    # two pages: page 1 is chars [0, 100), page 2 [100, 200); evidence_page_num 1 (0-based) = page 2
    qs = filings_questions(ROWS[:1], {"ACME_2022_10K.pdf": (0, 100)})
    assert len(qs) == 1
    hit = qs[0].hit
    assert hit is not None
    assert hit("ACME_2022_10K.pdf", 120, 180)
    assert hit("ACME_2022_10K.pdf", 90, 110)  # spans the page break
    assert not hit("ACME_2022_10K.pdf", 0, 100)
    assert not hit("OTHER.pdf", 120, 180)
    assert filings_questions(ROWS[1:], {"ACME_2022_10K.pdf": (0, 100)}) == []  # filing not in the corpus


def test_lihua_evidence_mapping() -> None:
    assert evidence_files("20260121_10:00<and>Time: 20260930_16:00") == ["20260121_1000.txt", "20260930_1600.txt"]
    assert evidence_files("N/A") == []
    rows = [{"id": "0", "question": "q", "answer": "Yes", "evidence": "20260121_10:00", "type": "Single"},
            {"id": "1", "question": "q", "answer": "Insufficient information", "evidence": "N/A", "type": "Null"}]
    qs = lihua_questions(rows, ["week3/20260121_1000.txt", "week4/20260122_0900.txt"])
    assert qs[0].evidence == ["week3/20260121_1000.txt"] and qs[0].hit is not None
    assert qs[0].hit("week3/20260121_1000.txt", 0, 1)
    assert qs[1].hit is None


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


# ---- the runner on a tiny synthetic system and dataset -------------------------------------------------


class _FakeSystem:
    name = "fake"

    def retrieve(self, question: str, k: int) -> list[tuple[str, int, int]]:
        return [("other.txt", 0, 5), ("acme.txt", 0, 40)][:k]

    def answer(self, question: str) -> Answer:
        return Answer(question=question, text="Revenue was $12.5 million [1].", citations=[], abstained=False,
                      route="passages", value="$12.5 million")


def test_run_system_scores_retrieval_and_answers() -> None:
    qs = [
        BenchQuestion("q1", "Acme revenue?", "$12.5 million", "g", hit=lambda d, s, e: d == "acme.txt"),
        BenchQuestion("q2", "Nothing?", "Insufficient information", "null", hit=None),
    ]
    r = run_system(_FakeSystem(), qs, lambda _m: None)
    assert r["retrieval"]["n"] == 1 and r["retrieval"]["hit@1"] == 0.0 and r["retrieval"]["hit@5"] == 1.0
    assert r["retrieval"]["mrr"] == 0.5
    assert r["answers"]["all"]["correct"] == 1 and r["answers"]["abstain"]["accuracy"] == 0.0
    assert r["latency_ms"]["retrieve_p50"] is not None


def test_financebench_pages_end_to_end(tmp_path: Path) -> None:
    """The whole pages run on a two-page synthetic FinanceBench: kgqa (real model) + baseline (mock embeddings)."""
    from llama_index.core.embeddings import MockEmbedding

    from eval.bench_financebench import run_financebench

    bench = tmp_path / "bench"
    (bench / "financebench" / "data").mkdir(parents=True)
    (bench / "financebench" / "data" / "financebench_open_source.jsonl").write_text(
        "\n".join(json.dumps(r) for r in ROWS), encoding="utf-8")
    out = tmp_path / "reports"
    report = run_financebench("pages", bench, tmp_path / "work", use_graph=False, out_dir=out,
                              baseline_embed=MockEmbedding(embed_dim=8))
    assert report["questions"] == 2
    assert report["results"]["kgqa"]["retrieval"]["hit@10"] == 1.0  # two documents: always in the top 10
    assert report["results"]["baseline"]["retrieval"]["hit@10"] == 1.0
    md = (out / "financebench-pages.md").read_text(encoding="utf-8")
    assert "hit@5" in md and "Islam et al." in md and "baseline" in md
    assert (out / "financebench-pages.json").is_file() and (out / "financebench-pages-hits.png").is_file()
    again = run_financebench("pages", bench, tmp_path / "work", use_graph=False, baseline=False, out_dir=out)
    assert again["kgqa_ingest"]["reused"] is True  # an unchanged index is reused, with its build figures
