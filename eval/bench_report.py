"""Markdown and JSON reports of the public benchmarks (``eval/reports/<name>.{md,json}``) and their plot.

The tables and sections both benchmark reports share: ingest, evidence retrieval, answers, query
time, where kgqa is behind the baseline, and some misses. Each benchmark module adds its own
corpus description, published figures and reasons (``eval.bench_financebench``, ``eval.bench_lihua``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eval import scoring
from eval.bench_common import HALVES, KS, REPORTS

# ---- cells and tables ---------------------------------------------------------------------------------


def fnum(x: Any, digits: int = 3) -> str:
    """A figure for a table cell: floats rounded, ``–`` for None.

    >>> fnum(0.12345), fnum(None), fnum(7), fnum(2.0, 1)
    ('0.123', '–', '7', '2.0')
    """
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (pipes in cells escaped).

    >>> print(md_table(["a", "b"], [[1, "x | y"]]))
    | a | b |
    |---|---|
    | 1 | x \\| y |
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def retrieval_table(results: dict[str, dict[str, Any]], level: str) -> str:
    rows = []
    for name, r in results.items():
        s = r["retrieval"]
        rows.append([name, s["n"], *(fnum(s[f"hit@{k}"]) for k in KS), fnum(s["mrr"])])
    return md_table(["system", f"questions with evidence ({level} level)", *(f"hit@{k}" for k in KS), "MRR@10"], rows)


def answers_table(results: dict[str, dict[str, Any]]) -> str:
    kinds = [k for k in scoring.KINDS if any(r["answers"][k]["n"] for r in results.values())]
    first = next(iter(results.values()))["answers"]
    header = ["system", f"all (n={first['all']['n']})", f"without text rule (n={first['strict kinds']['n']})",
              *(f"{k} (n={first[k]['n']})" for k in kinds), "abstained"]
    rows = []
    for name, r in results.items():
        a = r["answers"]
        rows.append([name, fnum(a["all"]["accuracy"]), fnum(a["strict kinds"]["accuracy"]),
                     *(fnum(a[k]["accuracy"]) for k in kinds), r["abstained"]])
    return md_table(header, rows)


def latency_table(results: dict[str, dict[str, Any]]) -> str:
    rows = []
    for name, r in results.items():
        lat = r["latency_ms"]
        rows.append([name, fnum(lat["retrieve_p50"], 1), fnum(lat["retrieve_p95"], 1), fnum(lat["answer_p50"], 1),
                     fnum(lat["answer_p95"], 1), f"{lat['retrieve_total_s'] + lat['answer_total_s']:.1f}"])
    return md_table(["system", "retrieve p50 ms", "retrieve p95 ms", "answer p50 ms", "answer p95 ms",
                     "all queries s"], rows)


def _kbs(n_bytes: int | None, seconds: float | None) -> str:
    """Throughput in kB/s (``–`` without both figures).

    >>> _kbs(2_000_000, 4.0), _kbs(None, 1.0)
    ('500.0', '–')
    """
    return f"{n_bytes / 1e3 / seconds:.1f}" if n_bytes and seconds else "–"


def _stages(timings: dict[str, float], n_bytes: int | None, skip: tuple[str, ...]) -> str:
    """Each stage's seconds and throughput over the whole input, e.g. ``embed 12.0 s (50.0 kB/s)``."""
    return ", ".join(f"{k} {v:.1f} s ({_kbs(n_bytes, v)} kB/s)" for k, v in timings.items() if k not in skip and v)


def _rss(r: dict[str, Any]) -> str:
    if not r.get("peak_rss_mb"):
        return "–"
    extra = f" + {r['worker_peak_rss_mb']:.0f} (worker)" if r.get("worker_peak_rss_mb") else ""
    return f"{r['peak_rss_mb']:.0f}{extra}"


def ingest_table(kg: dict[str, Any], bl: dict[str, Any], others: dict[str, dict[str, Any]] | None = None) -> str:
    """Both systems' ingest: time and kB/s overall and per stage, peak RSS, index size on disk, and
    kgqa's ratios to the baseline (time and throughput over the same input bytes); ``others``: kgqa
    with other encoder backends, each a row with its own ratios."""
    bt, b_in = bl["timings"], bl.get("bytes_in") or kg.get("bytes_in")
    bt_total = bt["total"]
    rows = []
    for name, r in {"kgqa": kg, **(others or {})}.items():
        t, n_in = r["timings_s"], r.get("bytes_in")
        total = t.get("total", r.get("wall_s", 0))
        rows.append([name + (" (index reused; figures of the build that made it)" if r.get("reused") else ""),
                     r["documents"], f"{r['units']} units / {r['chunks']} chunks", f"{total:.1f}", _kbs(n_in, total),
                     _stages(t, n_in, ("total", "parse+embed wall")), _rss(r), f"{r['index_bytes'] / 1e6:.1f}"])
    rows.append(["baseline", bl["documents"], f"{bl['nodes']} nodes", f"{bt_total:.1f}", _kbs(b_in, bt_total),
                 _stages(bt, b_in, ("total",)), _rss(bl), f"{bl['index_bytes'] / 1e6:.1f}"])
    for name, r in {"kgqa": kg, **(others or {})}.items():
        total = r["timings_s"].get("total", r.get("wall_s", 0))
        rows.append([f"{name} / baseline", "", "", _ratio(total, bt_total), _ratio(bt_total, total) + " (throughput)",
                     "", _ratio(r.get("peak_rss_mb"), bl.get("peak_rss_mb")), _ratio(r["index_bytes"], bl["index_bytes"])])
    return md_table(["system", "documents", "pieces", "ingest s", "kB/s", "stages (busy s, kB/s of the whole input)",
                     "peak RSS MB", "index MB on disk"], rows)


def _ratio(a: float | None, b: float | None) -> str:
    """``a / b`` as ``1.50x`` (``–`` without both).

    >>> _ratio(3.0, 2.0), _ratio(None, 1.0)
    ('1.50x', '–')
    """
    return f"{a / b:.2f}x" if a and b else "–"


def misses(records: Sequence[dict[str, Any]], n: int = 8) -> list[str]:
    """The first ``n`` wrongly answered questions, one Markdown bullet each."""
    out = []
    for r in records:
        if r.get("kind") and not r["correct"] and len(out) < n:
            out.append(f"- `{r['id']}` ({r['kind']}): gold “{r['gold'][:120]}” — got “{r['answer'][:160]}” ({r['detail']})")
    return out


# ---- sections both benchmark reports have ---------------------------------------------------------------


def run_line(report: dict[str, Any]) -> str:
    """When, where and on how many questions the run was made."""
    kg = report["kgqa_ingest"]
    return (
        f"Run {report['date']} on this machine ({kg.get('cpu_count')} CPU cores), wall time {report['wall_s']:.0f} s. "
        f"{report['questions']} of {report['questions_total']} questions"
        + (f" (fixed-seed sample, seed {report['seed']})" if report["questions"] < report["questions_total"] else " (all)")
        + f"; kgqa graph {'on' if report['use_graph'] else 'off'}"
        + (f", encoder backend {b}" if (b := report.get("kgqa_settings", {}).get("embed_backend")) else "")
        + (" (rows kgqa[BACKEND]: the same pipeline with another encoder, each on its own index)"
           if report.get("backend_ingests") else "")
        + "."
    )


def ingest_section(report: dict[str, Any]) -> list[str]:
    bl = report["baseline_ingest"]
    if not bl:
        return ["## Ingest", ""]
    return [
        "## Ingest", "", ingest_table(report["kgqa_ingest"], bl, report.get("backend_ingests")), "",
        "Each system ingests in a fresh process (its peak RSS is its own; kgqa's parse/extract worker process "
        "is shown apart). kgqa's stages overlap: the worker parses and extracts while the main process encodes, "
        "so stage seconds add up to more than the wall time. The baseline reads the same files with kgqa's "
        "loader (PDF text layer); its `load` is importing llama-index and loading the model.",
        "",
    ]


def retrieval_section(report: dict[str, Any], title: str, level: str, group_caption: str,
                      png: Path | None) -> list[str]:
    """Evidence retrieval of each system, its plot, and the figures per question type."""
    res = report["results"]
    lines = [f"## {title}", "", retrieval_table(res, level), ""]
    if png:
        lines += [f"![hit@k]({png.name})", ""]
    by = {n: r["retrieval_by_group"] for n, r in res.items()}
    groups = sorted({g for v in by.values() for g in v})
    if groups:
        rows = [[g, *(f"{fnum(by[n][g]['hit@5'])} / {fnum(by[n][g]['mrr'])}" for n in res)] for g in groups]
        lines += [group_caption, "", md_table(["type", *res], rows), ""]
    halves: dict[str, Any] = {n: r.get("retrieval_by_half") or {} for n, r in res.items()}
    if res and all(halves.values()):  # reports written before the split have no halves
        first = halves[next(iter(res))]
        rows = [[h, first[h]["n"], *(f"{fnum(halves[n][h]['hit@5'])} / {fnum(halves[n][h]['hit@10'])}" for n in res)]
                for h in HALVES]
        lines += ["By tuning half (hit@5 / hit@10): retrieval settings are chosen on the development half only "
                  "(`eval.bench_common.tuning_half`); the held-out half measures them.", "",
                  md_table(["half", "questions", *res], rows), ""]
    return lines


def answers_section(report: dict[str, Any]) -> list[str]:
    """The answer accuracy table, and a note when the answers were re-scored after the run."""
    return [
        "## Answers (deterministic scorer, `eval/scoring.py`)",
        "",
        answers_table(report["results"]),
        "",
        *([f"Answers re-scored on {report['rescored']} from the stored answers (first 300 characters) "
           "after a scorer change; retrieval and timings are from the run.", ""] if report.get("rescored") else []),
    ]


def closing_sections(report: dict[str, Any], why: list[str]) -> list[str]:
    """Query time, where kgqa is behind (``why``), and some of kgqa's misses."""
    res = report["results"]
    return [
        "## Query time",
        "",
        latency_table(res),
        "",
        *why,
        "Some misses of kgqa:",
        "",
        *misses(res["kgqa"]["records"]),
        "",
    ]


# ---- where kgqa is behind -----------------------------------------------------------------------------


def behind(results: dict[str, dict[str, Any]]) -> list[str]:
    """Figures where kgqa is below the baseline (retrieval and answer accuracy)."""
    if "baseline" not in results:
        return []
    k, b = results["kgqa"], results["baseline"]
    out = []
    for key in (*(f"hit@{x}" for x in KS), "mrr"):
        if (k["retrieval"][key] or 0) < (b["retrieval"][key] or 0):
            out.append(f"{key} {fnum(k['retrieval'][key])} vs {fnum(b['retrieval'][key])}")
    for kind, v in k["answers"].items():
        bv = b["answers"][kind]
        if v["n"] and (v["accuracy"] or 0) < (bv["accuracy"] or 0):
            out.append(f"answers ({kind}) {fnum(v['accuracy'])} vs {fnum(bv['accuracy'])}")
    return out


def ingest_gap(report: dict[str, Any]) -> list[str]:
    """A paragraph on ingest time and index size when kgqa is slower or bigger than the baseline."""
    kg, bl = report["kgqa_ingest"], report.get("baseline_ingest")
    if not bl:
        return []
    kt, bt = kg["timings_s"].get("total", 0), bl["timings"]["total"]
    if kt <= bt and kg["index_bytes"] <= bl["index_bytes"]:
        return []
    t = kg["timings_s"]
    return [
        f"Ingest: kgqa took {kt:.0f} s vs {bt:.0f} s and its index is {kg['index_bytes'] / 1e6:.1f} MB vs "
        f"{bl['index_bytes'] / 1e6:.1f} MB. kgqa passes every token of the text through the encoder once "
        f"({kg['chunks']} chunks; its {kg['units']} unit vectors are pooled from the same pass), where the "
        f"baseline's encoder sees at most its first 256 tokens of each of its {bl['nodes']} nodes; kgqa also "
        f"extracts the knowledge graph (spaCy NER and the statement reader: {t.get('extract', 0):.0f} s in the "
        "worker), keeps unit vectors, two BM25 indexes, the graph and its extraction cache, and the raw text "
        "of every document for exact citations.",
        "",
    ]


def stats_line(st: dict[str, Any] | None) -> str:
    """Passage sizes of both systems in one sentence (``chunk_stats`` of ``eval.bench_run``)."""
    if not st:
        return ""
    line = (f"kgqa passages: {st['kgqa_chunks']} chunks, mean {st['kgqa_chunk_chars_mean']:.0f} / median "
            f"{st['kgqa_chunk_chars_median']:.0f} characters, {st['kgqa_single_unit_share']:.0%} of them a single "
            f"unit, {st['kgqa_sections']} distinct (document, section) pairs")
    if st.get("baseline_nodes"):
        line += f"; baseline: {st['baseline_nodes']} nodes, mean {st['baseline_node_chars_mean']:.0f} characters"
    return line + "."


def why_behind(report: dict[str, Any], reasons: Callable[[dict[str, Any], list[str]], list[str]]) -> list[str]:
    """The "where kgqa is behind" section: the gaps, ingest, passage sizes, then the benchmark's ``reasons``.

    ``reasons(report, gaps)`` explains the gaps on that benchmark (only called when there are some).
    """
    gaps = behind(report["results"])
    st = report.get("passages")
    out = ["## Where kgqa is behind the baseline, and why", ""]
    ingest = ingest_gap(report)
    if not gaps:  # ahead on retrieval and answers; ingest may still be slower or the index bigger
        return [*out, "Retrieval and answers: nowhere on these figures.", "", *ingest] if ingest else [
            *out, "Nowhere on these figures.", ""]
    out += [f"Behind on: {'; '.join(gaps)}.", ""]
    out += ingest
    if st:
        out += [stats_line(st), ""]
    return out + reasons(report, gaps)


# ---- files --------------------------------------------------------------------------------------------


def hit_plot(name: str, results: dict[str, dict[str, Any]], title: str, out_dir: Path | None = None) -> Path | None:
    """``<name>-hits.png``: hit@k and MRR per system (None when matplotlib is not installed)."""
    try:
        from eval.plots import hit_bars  # imports matplotlib (slow, optional): only when a report is written
    except ImportError:
        return None
    return hit_bars({k: v["retrieval"] for k, v in results.items()}, title, Path(out_dir or REPORTS) / f"{name}-hits.png")


def write_outputs(name: str, report: dict[str, Any], markdown: str, out_dir: Path | None = None) -> tuple[Path, Path]:
    """Write ``<name>.json`` and ``<name>.md`` into ``out_dir`` (default ``eval/reports``)."""
    out_dir = Path(out_dir or REPORTS)
    out_dir.mkdir(parents=True, exist_ok=True)
    j = out_dir / f"{name}.json"
    m = out_dir / f"{name}.md"
    j.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    m.write_text(markdown, encoding="utf-8")
    return j, m
