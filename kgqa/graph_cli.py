"""``kgqa graph ...``: inspect and export the knowledge graph of an index.

Mounted by the main CLI as ``app.add_typer(graph_app, name="graph")``. Every command takes
``--index DIR`` or ``--store URL`` (a PostgreSQL store answers ``path`` and neighbours in SQL);
errors print one line on stderr and exit with code 1.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from core.config import Settings
from core.errors import KgqaError

if TYPE_CHECKING:  # numpy comes with core.interfaces; `kgqa --help` must not pay for it
    from core.interfaces import GraphStore
    from core.types import Entity, Evidence, Fact

graph_app = typer.Typer(help="Inspect and export the knowledge graph.", no_args_is_help=True)
console = Console()
err = Console(stderr=True, soft_wrap=True)

IndexOpt = typer.Option(None, "--index", help="index folder (default: the configured index_dir)")
StoreOpt = typer.Option(None, "--store", help="postgresql://user@host/db or a folder (default: the configured store)")


def _fail(msg: str) -> NoReturn:
    err.print(f"error: {msg}", markup=False, highlight=False)
    raise typer.Exit(1)


def _store(index: Path | None, store: str | None = None) -> GraphStore:
    from engine.stores import open_store
    from kg.pipeline import graph_is_stale

    try:
        settings = Settings.load(overrides={"index_dir": index, "store": store})
        where = open_store(settings)
        snap = where.load(settings)
    except KgqaError as exc:
        _fail(str(exc))
    g = snap.graph
    if g is None:
        _fail(snap.graph_error or f"the index at {where.label} has no graph; {where.rebuild_hint()}")
    if graph_is_stale(g):
        err.print(f"warning: this graph was built by an older extractor; {where.rebuild_hint()}",
                  markup=False, highlight=False)
    return g


def cite(ev: Evidence, width: int = 100) -> str:
    """``doc:start-end "sentence"``."""
    text = " ".join(ev.text.split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    return f'{ev.doc}:{ev.start}-{ev.end} "{text}"'


def _fact_value(f: Fact) -> str:
    if f.value is None:
        return str(f.attrs.get("value", "")) if f.attrs else ""
    v = f.surface or f"{f.value:g}"
    return v


def _entity_or_fail(store: GraphStore, name: str) -> Entity:
    e = store.entity(name)
    if e is None:
        _fail(f"no entity named {name!r} in the graph (try: kgqa graph stats, or kgqa graph facts --csv)")
    return e


@graph_app.command()
def stats(index: Path | None = IndexOpt, store_url: str | None = StoreOpt) -> None:
    """Counts of entities, facts, relation types and conflicts."""
    store = _store(index, store_url)
    st = store.stats()
    t = Table(title="knowledge graph")
    t.add_column("what")
    t.add_column("count", justify="right")
    for k in ("entities", "facts", "relations", "metric_facts", "conflicts"):
        t.add_row(k, str(st[k]))
    for k, v in st["entity_types"].items():
        t.add_row(f"  type {k}", str(v))
    for k, v in st["predicates"].items():
        t.add_row(f"  relation {k}", str(v))
    console.print(t)


@graph_app.command()
def show(
    entity: str = typer.Argument(..., help="entity name, alias or id"),
    index: Path | None = IndexOpt,
    store_url: str | None = StoreOpt,
) -> None:
    """An entity with its aliases and every fact about it, each with its citation."""
    store = _store(index, store_url)
    e = _entity_or_fail(store, entity)
    console.print(f"[bold]{e.name}[/bold]  ({e.type}, id {e.id})")
    if e.aliases:
        console.print("aliases: " + ", ".join(e.aliases), markup=False)
    if e.evidence:
        console.print("first seen: " + cite(e.evidence[0]), markup=False, highlight=False)
    t = Table(show_lines=False)
    for col in ("subject", "relation", "object / metric", "value", "period", "qualifier", "citation"):
        t.add_column(col, overflow="fold")
    for f in store.facts(e.id):
        obj = store.name_of(f.object) if f.object else ""
        for i, ev in enumerate(f.evidence or [None]):
            t.add_row(
                store.name_of(f.subject) if i == 0 else "", f.predicate if i == 0 else "", obj if i == 0 else "",
                _fact_value(f) if i == 0 else "", (f.period or "") if i == 0 else "", (f.qualifier or "") if i == 0 else "",
                cite(ev) if ev else "",
            )
    console.print(t)


@graph_app.command()
def path(
    a: str = typer.Argument(...), b: str = typer.Argument(...), index: Path | None = IndexOpt,
    store_url: str | None = StoreOpt,
) -> None:
    """The shortest chain of facts linking two entities, with citations."""
    store = _store(index, store_url)
    ea, eb = _entity_or_fail(store, a), _entity_or_fail(store, b)
    facts = store.path(ea.id, eb.id)
    if not facts:
        _fail(f"no path between {ea.name!r} and {eb.name!r}")
    t = Table(title=f"{ea.name} -> {eb.name}")
    for col in ("step", "subject", "relation", "object", "citation"):
        t.add_column(col, overflow="fold")
    for i, f in enumerate(facts, 1):
        t.add_row(str(i), store.name_of(f.subject), f.predicate, store.name_of(f.object),
                  cite(f.evidence[0]) if f.evidence else "")
    console.print(t)


@graph_app.command()
def export(
    directory: Path = typer.Argument(..., help="folder to write into"),
    format: str = typer.Option("json", "--format", "-f", help="graphml | json | neo4j"),
    index: Path | None = IndexOpt,
    store_url: str | None = StoreOpt,
) -> None:
    """Write the graph as GraphML, node-link JSON, or neo4j-admin import CSVs."""
    from kg.export import FORMATS
    from kg.export import export as do_export

    if format not in FORMATS:
        _fail(f"unknown format {format!r}; use one of: {', '.join(FORMATS)}")
    store = _store(index, store_url)
    try:
        paths = do_export(store, format, directory)
    except OSError as exc:
        _fail(f"cannot write to {directory}: {exc.strerror or exc}")
    for p in paths:
        console.print(f"wrote {p}", markup=False, highlight=False)


@graph_app.command()
def facts(
    entity: str | None = typer.Option(None, "--entity", "-e", help="only facts about this entity"),
    as_csv: bool = typer.Option(False, "--csv", help="CSV on stdout"),
    index: Path | None = IndexOpt,
    store_url: str | None = StoreOpt,
) -> None:
    """Every fact (or those of one entity), with evidence."""
    store = _store(index, store_url)
    if entity is not None:
        _entity_or_fail(store, entity)
    rows = store.facts(entity) if entity else store.all_facts()
    header = ["subject", "predicate", "object", "metric", "value", "value_high", "unit", "period", "qualifier",
              "surface", "doc", "start", "end", "evidence"]
    if as_csv:
        w = csv.writer(sys.stdout)
        w.writerow(header)
        for f in rows:
            ev = f.evidence[0] if f.evidence else None
            w.writerow([store.name_of(f.subject), f.predicate, store.name_of(f.object) if f.object else "",
                        f.metric or "", "" if f.value is None else f.value, "" if f.value_high is None else f.value_high,
                        f.unit or "", f.period or "", f.qualifier or "", f.surface or "",
                        ev.doc if ev else "", ev.start if ev else "", ev.end if ev else "", ev.text if ev else ""])
        return
    t = Table(title=f"{len(rows)} facts")
    for col in ("subject", "relation", "object / metric", "value", "period", "citation"):
        t.add_column(col, overflow="fold")
    for f in rows:
        t.add_row(store.name_of(f.subject), f.predicate, store.name_of(f.object) if f.object else "",
                  _fact_value(f), f.period or "", cite(f.evidence[0]) if f.evidence else "")
    console.print(t)


@graph_app.command()
def conflicts(index: Path | None = IndexOpt, store_url: str | None = StoreOpt) -> None:
    """Same subject, metric and period with different values, each with its citation."""
    store = _store(index, store_url)
    cs = store.conflicts()
    if not cs:
        console.print("no conflicting facts")
        return
    t = Table(title=f"{len(cs)} conflicts")
    for col in ("subject", "metric", "period", "value", "citation"):
        t.add_column(col, overflow="fold")
    for c in cs:
        for i, v in enumerate(c["values"]):
            ev = v["evidence"][0] if v["evidence"] else None
            citation = f'{ev["doc"]}:{ev["start"]}-{ev["end"]} "{" ".join(ev["text"].split())[:100]}"' if ev else ""
            t.add_row(c["subject_name"] if i == 0 else "", (c["metric"] or "") if i == 0 else "",
                      c["period"] if i == 0 else "", v["surface"] or str(v["value"]), citation)
    console.print(t)
