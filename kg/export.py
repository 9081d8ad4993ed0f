"""Exports of the graph: GraphML, node-link JSON, and CSV for ``neo4j-admin database import``.

The neo4j files use the import tool's header syntax::

    nodes.csv          id:ID,name,:LABEL,aliases:string[],evidence_count:int,evidence
    relationships.csv  :START_ID,:END_ID,:TYPE,metric,value:double,value_high:double,unit,period,...

and load with ``neo4j-admin database import full --nodes=nodes.csv --relationships=relationships.csv``
(arrays are ``;``-separated, the tool's default).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import networkx as nx

from core.interfaces import GraphStore

FORMATS = ("graphml", "json", "neo4j")
NODE_HEADER = ["id:ID", "name", ":LABEL", "aliases:string[]", "evidence_count:int", "evidence"]
REL_HEADER = [
    ":START_ID", ":END_ID", ":TYPE", "metric", "value:double", "value_high:double", "unit", "period", "qualifier",
    "surface", "attrs", "evidence_doc", "evidence_start:int", "evidence_end:int", "evidence_text", "evidence_count:int",
]


def _scalar(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, bool | int | float | str):
        return v
    return json.dumps(v, ensure_ascii=False)


def graphml_graph(store: GraphStore) -> nx.MultiDiGraph:
    """A copy of the graph with only scalar attributes (lists and dicts as JSON strings)."""
    src = store.to_networkx()
    g = nx.MultiDiGraph()
    for n, d in src.nodes(data=True):
        g.add_node(n, **{k: _scalar(v) for k, v in d.items() if v is not None})
    for a, b, k, d in src.edges(keys=True, data=True):
        g.add_edge(a, b, key=k, **{kk: _scalar(v) for kk, v in d.items() if v is not None})
    return g


def export_graphml(store: GraphStore, path: Path) -> Path:
    path = Path(path)
    nx.write_graphml(graphml_graph(store), path)
    return path


def export_json(store: GraphStore, path: Path) -> Path:
    path = Path(path)
    store.save(path)
    return path


def _label(t: str) -> str:
    return "".join(ch for ch in t.title() if ch.isalnum()) or "Entity"


def export_neo4j(store: GraphStore, folder: Path) -> tuple[Path, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    nodes, rels = folder / "nodes.csv", folder / "relationships.csv"
    with open(nodes, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(NODE_HEADER)
        for e in store.entities():
            ev = e.evidence[0] if e.evidence else None
            w.writerow([e.id, e.name, f"Entity;{_label(e.type)}", ";".join(a.replace(";", ",") for a in e.aliases),
                        len(e.evidence), f"{ev.doc}:{ev.start}-{ev.end}" if ev else ""])
    with open(rels, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(REL_HEADER)
        for f in store.all_facts():
            ev = f.evidence[0] if f.evidence else None
            w.writerow([
                f.subject, f.object or f.subject, f.predicate, f.metric or "",
                "" if f.value is None else repr(float(f.value)), "" if f.value_high is None else repr(float(f.value_high)),
                f.unit or "", f.period or "", f.qualifier or "", f.surface or "",
                json.dumps(f.attrs, ensure_ascii=False) if f.attrs else "",
                ev.doc if ev else "", ev.start if ev else "", ev.end if ev else "", ev.text if ev else "", len(f.evidence),
            ])
    return nodes, rels


def export(store: GraphStore, fmt: str, folder: Path) -> list[Path]:
    """Write ``fmt`` files into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "graphml":
        return [export_graphml(store, folder / "graph.graphml")]
    if fmt == "json":
        return [export_json(store, folder / "graph.json")]
    if fmt == "neo4j":
        return list(export_neo4j(store, folder))
    raise ValueError(f"unknown export format {fmt!r} (use one of: {', '.join(FORMATS)})")
