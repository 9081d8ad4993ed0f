"""The two-checkout report: ratios per figure and the list of answer differences."""

from __future__ import annotations

from eval.bench_trees import _median_runs, trees_markdown


def _row(scale: float) -> dict[str, float]:
    return {"help_s": 0.5 * scale, "ingest_s": 10 * scale, "cold_ask_s": 1 * scale, "warm_p50_ms": 14 * scale,
            "warm_p95_ms": 40 * scale, "index_bytes": 1000 * scale}


def test_report_gives_after_over_before_and_names_each_difference() -> None:
    r = {"trees": {"before": "/old", "after": "/new"}, "rows": {"before": _row(1.0), "after": _row(2.0)},
         "questions": 3, "answer_differences": ["q: answer differs: 'a' -> 'b'"], "wall_s": 5.0}
    md = trees_markdown(r)
    assert "| warm answer p50 (ms) | 14.0 | 28.0 | 2.00 |" in md
    assert "Gold answers compared: 3, differences: 1." in md
    assert "- q: answer differs: 'a' -> 'b'" in md


def test_runs_alternate_between_trees_and_the_median_is_per_tree() -> None:
    order: list[str] = []

    def run(name: str, _tree: object) -> float:
        order.append(name)
        return {"before": 1.0, "after": 3.0}[name] + len(order) / 100

    got = _median_runs({"before": 0, "after": 0}, 3, run)  # type: ignore[dict-item]
    assert order == ["before", "after", "after", "before", "before", "after"]
    assert round(got["before"], 2) == 1.04 and round(got["after"], 2) == 3.03
