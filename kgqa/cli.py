"""The ``kgqa`` command line: parse flags, call the engine, print.

The engine (and with it numpy, faiss, torch ...) is imported inside the commands that need
it, so ``--help`` and input errors answer in a fraction of a second. Sub-commands owned by
the floors below (``graph``, ``eval``, ``bench``, ``serve``) are plain imports registered here.

Errors are one line on stderr: every :class:`~core.errors.KgqaError` exits with its
``exit_code`` (1), usage errors with 2 (set ``KGQA_DEBUG=1`` for a traceback).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from core.config import Settings, set_offline_env
from core.errors import KgqaError, QuestionError
from core.safety import printable
from core.validation import check_question, decode_question
from eval import bench_cli
from eval import cli as eval_cli
from kgqa.graph_cli import graph_app
from ui import cli as ui_cli

set_offline_env()

app = typer.Typer(
    name="kgqa",
    help="Knowledge-graph + retrieval question answering over analyst reports, offline, with exact citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

IndexOpt = Annotated[Path | None, typer.Option("--index", help="Index folder (default: .kgqa-index in the repo).")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML settings file.")]
StoreOpt = Annotated[str | None, typer.Option(
    "--store", envvar=None, help="Where the index lives: postgresql://user@host/db (shared store, docs/deploy.md) or a "
    "folder; default: KGQA_STORE, kgqa.toml, else the --index folder.")]


def _settings(config: Path | None, **overrides: Any) -> Settings:
    return Settings.load(config, overrides=overrides)


def _err(msg: str) -> None:
    sys.stderr.write(f"kgqa: {_shown(msg)}\n")


def _shown(text: str) -> str:
    """Text safe for a terminal: no control characters (ANSI escapes), no lone surrogates."""
    return printable(text)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of .txt, .md, .html, .pdf.")],
    index: IndexOpt = None,
    config: ConfigOpt = None,
    add: Annotated[bool, typer.Option("--add", help="Keep documents already indexed that are not under PATHS.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-embed everything, even unchanged documents.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    store: StoreOpt = None,
) -> None:
    """Index documents. Unchanged files are skipped, changed ones replaced, deleted ones dropped."""
    from engine.ingest import build_index

    settings = _settings(config, index_dir=index, store=store)
    say = (lambda m: None) if quiet else (lambda m: _err(m))
    report = build_index(paths, settings, add=add, rebuild=rebuild, progress=not quiet and sys.stderr.isatty(), say=say)
    if not quiet:
        t = report.timings_s
        print(
            f"indexed {report.n_units} units in {report.n_chunks} chunks at {report.store or report.index_dir} "
            f"(added {len(report.added)}, changed {len(report.changed)}, unchanged {len(report.unchanged)}, "
            f"removed {len(report.removed)}, skipped {len(report.skipped)}; embedded {report.embedded} texts"
            + (f"; {t.get('total', 0):.1f}s)" if t else ")")
        )


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="The question (omit with --jsonl).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Read one question per line on stdin; write JSON lines.")] = False,
    k: Annotated[int | None, typer.Option("-k", "--top-k", min=1, max=100, help="Passages to retrieve.")] = None,
    index: IndexOpt = None,
    corpus: Annotated[Path | None, typer.Option("--corpus", help="Folder to index on first use.")] = None,
    config: ConfigOpt = None,
    no_graph: Annotated[bool, typer.Option("--no-graph", help="Answer from passages only.")] = False,
    llm: Annotated[str | None, typer.Option("--llm", help="none | openai-compatible | ollama")] = None,
    llm_base_url: Annotated[str | None, typer.Option("--llm-base-url")] = None,
    llm_model: Annotated[str | None, typer.Option("--llm-model")] = None,
    store: StoreOpt = None,
) -> None:
    """Answer a question with cited sources (builds the index on first use)."""
    overrides: dict[str, Any] = {"index_dir": index, "corpus_dir": corpus, "llm": llm, "llm_base_url": llm_base_url,
                                 "llm_model": llm_model, "store": store}
    if no_graph:
        overrides["use_graph"] = False
    settings = _settings(config, **overrides)
    if not jsonl:
        if question is None:
            raise QuestionError('give a question, e.g. kgqa ask "What was revenue in 2024?", or use --jsonl')
        check_question(question, settings.max_question_chars)  # before loading anything heavy
    from engine.qa import open_qa

    qa = open_qa(settings, progress=sys.stderr.isatty(), say=_err)
    if jsonl:
        _ask_jsonl(qa, k)
        return
    assert question is not None
    answer = qa.ask(question, k=k)
    if as_json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        _print_answer(answer)


def _ask_jsonl(qa: Any, k: int | None) -> None:
    """One JSON line per question; a bad line (invalid UTF-8, empty, too long) gets an error record."""
    failed = 0
    for line_no, raw in enumerate(sys.stdin.buffer, 1):
        line = decode_question(raw)
        if not line.strip():
            continue
        q = line.rstrip("\r\n")
        try:
            rec = qa.ask(q, k=k).to_dict()
        except QuestionError as exc:
            failed += 1
            _err(f"line {line_no}: {exc}")
            rec = {"question": _shown(q[:200]), "error": str(exc)}
        print(json.dumps(rec, ensure_ascii=False), flush=True)
    if failed:
        raise typer.Exit(1)


def _print_answer(answer: Any) -> None:
    from rich.console import Console
    from rich.markup import escape as rich_escape

    con = Console(highlight=False, soft_wrap=True)

    def escape(text: str) -> str:  # markup-escaped and without terminal control characters
        return rich_escape(_shown(text))

    style = "yellow" if answer.abstained else "bold"
    if answer.comparison is not None and not answer.abstained:
        _print_comparison(con, answer)
    else:
        con.print(f"[{style}]{escape(answer.text)}[/]")
    if answer.computation is not None:
        _print_computation(con, answer.computation)
    if answer.citations:
        con.print()
    for c in answer.citations:
        where = f"{c.doc}" + (f" › {c.section}" if c.section else "") + (f" (p. {c.page})" if c.page else "")
        con.print(f"[cyan][{c.n}][/] {escape(where)} [dim]chars {c.start}-{c.end}[/]")
        con.print(f"    [dim]“{escape(' '.join(c.text.split()))}”[/]")
    if answer.mode != "offline" and answer.notes:
        con.print(f"\n[dim]{escape(answer.notes[0])}[/]")
    for conf in answer.conflicts[:3]:
        what = " ".join(str(conf.get(k) or "") for k in ("subject_name", "metric", "period")).split()
        con.print(f"[yellow]conflict:[/] {escape(' '.join(what))}: sources give different values")
    tm = answer.timings_ms
    con.print(f"\n[dim]route: {answer.route} · mode: {answer.mode} · {tm.get('total', 0):.0f} ms[/]")


def input_value(i: Any) -> str:
    """An input's value as used, and as written when that differs: ``16% (approximately 15-17%)``."""
    from core.values import format_value

    kind = {"%": "percent", "USD": "money", "x": "multiple"}.get(i.unit, "number")
    shown = format_value(kind, i.value) + (f" {i.unit}" if kind == "number" and i.unit else "")
    return shown if not i.surface or i.surface.replace(",", "") == shown.replace(",", "") else f"{shown} ({i.surface})"


def _print_computation(con: Any, comp: Any) -> None:
    """The computation under a computed answer: formula, then one row per input with its source [n]."""
    from rich.markup import escape
    from rich.table import Table

    t = Table(title=escape(comp.formula), title_justify="left", header_style="bold", pad_edge=False, show_edge=False)
    for col in ("input", "value", "period", "source"):
        t.add_column(col, justify="right" if col == "value" else "left")
    for i in comp.inputs:
        source = f"[{i.citation}]" if i.citation is not None else ("question" if "question" in i.name else "-")
        t.add_row(escape(i.name), escape(input_value(i)), escape(i.period or ""), escape(source))
    con.print()
    con.print(t)
    if comp.result_text:
        con.print(f"[dim]result: {escape(comp.result_text)}{' (' + escape(comp.rounding) + ')' if comp.rounding else ''}[/]")


def _print_comparison(con: Any, answer: Any) -> None:
    """The lead sentence, then the comparison as a compact table (items by properties, cells cited)."""
    from rich import box
    from rich.markup import escape as rich_escape
    from rich.table import Table

    def escape(text: str) -> str:  # markup-escaped and without terminal control characters
        return rich_escape(_shown(text))

    lead = answer.text.split("\n", 1)[0]
    if not lead.startswith("- "):
        con.print(f"[bold]{escape(lead)}[/]")
    comp = answer.comparison
    t = Table(box=box.SIMPLE_HEAD, show_lines=False, pad_edge=False, expand=False)
    t.add_column("")
    for p in comp.properties:
        t.add_column(escape(p), overflow="fold")
    for item, row in zip(comp.items, comp.cells, strict=True):
        cells = []
        for c in row:
            marks = "".join(f"[{n}]" for n in c.citations)
            cells.append(f"{escape(c.text)} [cyan]{escape(marks)}[/]" if marks else f"[dim]{escape(c.text)}[/]")
        t.add_row(f"[bold]{escape(item)}[/]", *cells)
    con.print(t)


@app.command()
def migrate(
    to: Annotated[str, typer.Option("--to", help="Target store: postgresql://user@host/db, or a folder for a file store.")],
    index: IndexOpt = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Copy the live index to another store: a file index into PostgreSQL, or PostgreSQL back into a folder.

    The source is the configured store (--store, or the --index folder). The copy is one new
    generation of the target, committed atomically; the source is left as it is.
    """
    from engine.migrate import migrate as do_migrate

    settings = _settings(config, index_dir=index, store=store)
    r = do_migrate(settings, to, say=_err)
    print(f"migrated {r.documents} documents, {r.units} units, {r.chunks} chunks, {r.facts} facts "
          f"from {r.source} to {r.target} in {r.seconds:.1f}s")


app.add_typer(graph_app, name="graph")
eval_cli.register(app)
bench_cli.register(app)
ui_cli.register(app)


def main() -> None:
    """Entry point: run the app, turning known errors into one line on stderr."""
    try:
        rc = app(standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors (typer vendors its own click)
        _err(exc.format_message())
        sys.exit(2)
    except KeyboardInterrupt:
        _err("interrupted")
        sys.exit(130)
    except Exception as exc:  # one clear line, no traceback
        if os.environ.get("KGQA_DEBUG"):
            raise
        _err(_describe(exc))
        sys.exit(exc.exit_code if isinstance(exc, KgqaError) else 1)


def _describe(exc: Exception) -> str:
    if isinstance(exc, KgqaError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"file not found: {exc.filename}"
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename}"
    return f"{type(exc).__name__}: {exc}"


if __name__ == "__main__":
    main()
