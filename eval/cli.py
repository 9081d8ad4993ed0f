"""``kgqa eval``: score kgqa on the gold question set (mounted by ``kgqa.cli`` via :func:`register`).

The engine and the evaluation (numpy, the index, the metrics) are imported inside the command,
so ``kgqa --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from core.config import ROOT, Settings


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command to the ``kgqa`` app."""

    @app.command("eval")
    def eval_command(
        gold: Annotated[Path | None, typer.Option("--gold", help="Gold questions (JSONL; default eval/gold/qa.jsonl).")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="Folder for gold.json and gold.md (default eval/out/).")] = None,
        index: Annotated[Path | None, typer.Option("--index", help="Index folder (built from the corpus if missing).")] = None,
        config: Annotated[Path | None, typer.Option("--config", help="TOML settings file.")] = None,
        graph: Annotated[bool, typer.Option("--graph", help="Also score the knowledge graph against eval/gold/graph.json.")] = False,
        ablations: Annotated[bool, typer.Option("--ablations/--no-ablations", help="Re-run with each stage switched off.")] = True,
        baseline: Annotated[bool, typer.Option("--baseline/--no-baseline", help="Compare with a plain llama-index pipeline.")] = True,
        sweep_chunks: Annotated[str | None, typer.Option("--sweep-chunks", help="Comma-separated chunk_chars values to compare, e.g. 300,500,700,1000 (builds temporary indexes).")] = None,
        min_accuracy: Annotated[float | None, typer.Option("--min-accuracy", min=0.0, max=1.0, help="Exit 1 if answerable accuracy (with a supporting citation) is below this.")] = None,
        open_gold: Annotated[Path | None, typer.Option("--open-gold", help="Open questions with required points (JSONL; default eval/gold/open.jsonl).")] = None,
        compare_gold: Annotated[Path | None, typer.Option("--compare-gold", help="Comparisons with expected cells (JSONL; default eval/gold/compare.jsonl).")] = None,
        shapes: Annotated[bool, typer.Option("--shapes/--no-shapes", help="Score open questions and comparisons (point coverage, cell accuracy, redundancy).")] = True,
        limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N gold questions.")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary line.")] = False,
        computed: Annotated[bool, typer.Option("--computed/--no-computed", help="Also score eval/gold/computed.jsonl and yesno.jsonl.")] = True,
        store: Annotated[str | None, typer.Option("--store", help="Also evaluate this store (postgresql://...) and "
                                                  "report it side by side with the file store (OUT/stores.md).")] = None,
    ) -> None:
        """Evaluate answers, citations, retrieval and abstention on the gold set; write OUT/gold.json and gold.md."""
        # the engine and the evaluation load numpy and friends: only when the command runs
        from engine.qa import QA
        from eval.gold_eval import GOLD_QA, evaluate, load_gold
        from eval.open_eval import GOLD_COMPARE, GOLD_OPEN, load_compare, load_open
        from eval.report import print_report, write_report

        sizes: list[int] = []
        if sweep_chunks:
            try:
                sizes = [int(x) for x in sweep_chunks.split(",") if x.strip()]
            except ValueError as exc:
                raise typer.BadParameter(f"--sweep-chunks wants integers like 300,500,700: {sweep_chunks!r}") from exc
            if any(n < 50 for n in sizes):
                raise typer.BadParameter("--sweep-chunks sizes must be at least 50 characters")
        gold_path = gold or GOLD_QA
        if not gold_path.is_file():
            raise typer.BadParameter(f"no gold file at {gold_path}")
        questions = load_gold(gold_path)[:limit]
        shape_gold = None
        if shapes:
            for p in (open_gold or GOLD_OPEN, compare_gold or GOLD_COMPARE):
                if not p.is_file():
                    raise typer.BadParameter(f"no gold file at {p}")
            shape_gold = (load_open(open_gold or GOLD_OPEN)[:limit], load_compare(compare_gold or GOLD_COMPARE)[:limit])

        say = progress("kgqa eval", quiet)
        overrides = {"index_dir": index} if index else {}
        settings = Settings.load(config, overrides=overrides)
        if store:  # side by side: the first run is the file store at index_dir, whatever KGQA_STORE says
            settings = settings.with_values({"store": ""})
        qa = QA.open_or_build(settings, say=say)
        report = evaluate(qa, questions, ablations=ablations, baseline=baseline, graph=graph, sweep=sizes, say=say,
                          shapes=shape_gold)
        report["gold_file"] = str(gold_path)
        if computed:  # computed and yes/no gold: own rows (eval.computed_eval)
            from eval.computed_eval import run_computed_gold

            report["computed_gold"] = run_computed_gold(qa.ask, [q.question for q in questions if not q.answerable], say)
        out_dir = out or (ROOT / "eval" / "out")
        j, m = write_report(report, out_dir)
        s = report["kgqa"]["summary"]
        if not quiet:
            print_report(report)
        acc = s["accuracy"] or 0.0
        extra = ""
        if report.get("shapes"):
            o = report["shapes"]["kgqa"]["open"]["summary"]["all"]
            c = report["shapes"]["kgqa"]["compare"]["summary"]["all"]
            reps = (s.get("answers_with_repeats") or 0) + o["answers_with_repeats"] + c["answers_with_repeats"]
            extra = (f", open point coverage {_f(o['point_coverage'])}, comparison cells {_f(c['cell_accuracy'])}, "
                     f"answers repeating a sentence {reps}")
        cg = report.get("computed_gold")
        extra += (f", computed {_f(cg['computed']['summary']['accuracy'])}, yes/no {_f(cg['yesno']['summary']['accuracy'])}"
                 if cg else "")
        print(
            f"answerable accuracy {acc:.3f} (lenient {s['accuracy_lenient'] or 0:.3f}), abstention P/R "
            f"{_f(s['abstention_precision'])}/{_f(s['abstention_recall'])}, recall@5 {_f(s['recall@5'])}, "
            f"MRR {_f(s['mrr'])}{extra}; report: {j} and {m}"
        )
        if store:
            _side_by_side(settings, store, questions, report, out_dir, say)
        if min_accuracy is not None and acc < min_accuracy:
            sys.stderr.write(f"kgqa eval: answerable accuracy {acc:.3f} is below --min-accuracy {min_accuracy}\n")
            raise typer.Exit(1)


def _side_by_side(settings: Any, store: str, questions: list[Any], report: dict[str, Any], out_dir: Path,
                  say: Any) -> None:
    """Answer the gold questions from ``store`` too and print/write both stores' figures side by side."""
    from engine.qa import QA
    from engine.stores import open_store
    from eval.gold_eval import KgqaSystem, run_gold
    from eval.store_compare import compare_stores, stores_markdown, write_stores

    other = settings.with_values({"store": store})
    label = open_store(other).label
    say(f"evaluating the same questions on {label}")
    run = run_gold(KgqaSystem(QA.open_or_build(other, say=say)), questions, say)
    cmp = compare_stores(report["kgqa"], run, f"file store ({settings.index_dir})", label)
    _, m = write_stores(cmp, out_dir)
    print(stores_markdown(cmp))
    print(f"side by side: {m}")


def progress(prefix: str, quiet: bool) -> Callable[[str], None]:
    """A ``say`` that writes ``PREFIX: message`` lines to stderr (nothing when ``quiet``)."""

    def say(msg: str) -> None:
        if not quiet:
            sys.stderr.write(f"{prefix}: {msg}\n")
            sys.stderr.flush()

    return say


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"
