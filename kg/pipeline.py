"""Build the knowledge graph of an index generation.

``build_graph`` runs extraction per document (reusing the previous generation's cached
result for unchanged documents), resolves entities over all documents, checks that every
piece of evidence points at its exact text, and writes ``graph.json.gz`` plus the per-document
cache (:mod:`kg.cache`) into the generation folder being built, both gzip-compressed JSON
(:mod:`core.jsonio`).
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any

from core.config import Settings
from core.interfaces import ChatModel, Extraction, Extractor, GraphStore
from core.jsonio import read_json, write_json
from core.types import Document, Unit
from kg.cache import CACHE_DIR, cache_path, llm_cache_name, read_cache
from kg.extract import EXTRACT_VERSION, RuleExtractor
from kg.llm_extract import LLMExtractor
from kg.resolve import resolve
from kg.statements import StatementExtractor
from kg.store import NetworkXGraphStore

log = logging.getLogger(__name__)

GRAPH_FILE = "graph.json.gz"
LLM_DEADLINE_S = 600.0  # bounds all LLM extraction calls of one build


def extract_all(
    docs: list[Document], units: list[Unit], previous: Path | None = None, unchanged: set[str] | None = None,
    cache_dir: Path | None = None, extractor: Extractor | None = None, tag: str = "",
) -> tuple[list[Extraction], int]:
    """Extraction results for every document (by ``extractor``, the rule-based one by default),
    and how many came from the cache (``tag`` names the extractor's own cache files)."""
    extractor = extractor or RuleExtractor()
    unchanged = unchanged or set()
    by_doc: dict[str, list[Unit]] = {}
    for u in units:
        by_doc.setdefault(u.doc, []).append(u)
    out = []
    reused = 0
    for d in docs:
        data = read_cache(previous, d, extractor.version, tag) if d.id in unchanged else None
        if data is None:
            data = extractor.extract(d, by_doc.get(d.id, []))
        else:
            reused += 1
        if cache_dir is not None:
            # not fsynced, as before: the generation's commit fsyncs every file before it goes live
            write_json(cache_path(cache_dir, d.sha256, tag), data, fsync=False)
        out.append(data)
    return out, reused


def check_evidence(store: GraphStore, docs: list[Document]) -> int:
    """Drop nothing, but count evidence whose span does not hold its text (should be 0)."""
    raw = {d.id: d.raw for d in docs}
    bad = 0
    for e in store.entities():
        bad += sum(1 for x in e.evidence if raw.get(x.doc, "")[x.start : x.end] != x.text)
    for f in store.all_facts():
        bad += sum(1 for x in f.evidence if raw.get(x.doc, "")[x.start : x.end] != x.text)
    return bad


def build_store(docs: list[Document], units: list[Unit], previous: Path | None = None,
                unchanged: set[str] | None = None, cache_dir: Path | None = None,
                settings: Settings | None = None, stats: dict[str, Any] | None = None,
                chat: ChatModel | None = None, extractor: Extractor | None = None) -> tuple[NetworkXGraphStore, int]:
    """The resolved graph of ``docs`` and how many extractions came from the cache.

    ``extractor`` reads each document (default: :class:`~kg.extract.RuleExtractor`); ``chat``
    proposes extra facts when ``settings.llm_extract`` is on (verified by :mod:`kg.llm_extract`).
    """
    extractions, reused = extract_all(docs, units, previous, unchanged, cache_dir, extractor)
    # statement tables (income statement, balance sheet, cash flows) as typed facts, cached apart
    tables, _ = extract_all(docs, units, previous, unchanged, cache_dir, StatementExtractor(), tag="statements")
    extractions += tables
    if settings is not None and settings.llm_extract and chat is not None:
        llm = LLMExtractor(chat, deadline_s=LLM_DEADLINE_S)
        extra, llm_stats = _llm_extractions(docs, units, previous, unchanged or set(), cache_dir, llm)
        extractions += extra
        if stats is not None:
            stats["llm_extract"] = llm_stats
    entities, facts = resolve(extractions)
    facts = [f for f in facts if f.evidence]
    meta = {"documents": len(docs), "extract_version": EXTRACT_VERSION, "statement_version": StatementExtractor.version}
    store = NetworkXGraphStore.from_records(entities, facts, meta)
    return store, reused


def graph_is_stale(store: GraphStore) -> bool:
    """Whether ``store`` was built by an older extractor (an up-to-date index keeps its old graph:
    ``kgqa ingest`` skips unchanged files, so new extraction rules need ``--rebuild``)."""
    return store.meta.get("extract_version") != EXTRACT_VERSION or store.meta.get("statement_version") != StatementExtractor.version


def build_graph(
    docs: list[Document],
    units: list[Unit],
    out_dir: Path,
    previous: Path | None,
    unchanged: set[str],
    settings: Settings,
    chat: ChatModel | None = None,
    extractor: Extractor | None = None,
) -> dict[str, Any]:
    """Extract, resolve and write ``out_dir/graph.json.gz``; return counts for the manifest.

    ``chat`` proposes extra facts when ``settings.llm_extract`` is on (verified by kg.llm_extract).
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    extra_stats: dict[str, Any] = {}
    store, reused = build_store(docs, units, previous, unchanged, out_dir, settings, extra_stats, chat, extractor)
    bad = check_evidence(store, docs)
    if bad:
        log.warning("%d evidence spans do not match their text", bad)
    store.save(out_dir / GRAPH_FILE)
    st = store.stats()
    return {
        "entities": st["entities"], "facts": st["facts"], "metric_facts": st["metric_facts"],
        "relations": st["relations"], "conflicts": st["conflicts"], "documents_extracted": len(docs) - reused,
        "documents_reused": reused, "bad_evidence": bad, "seconds": round(time.perf_counter() - t0, 3),
        **extra_stats,
    }


def _llm_extractions(
    docs: list[Document], units: list[Unit], previous: Path | None, unchanged: set[str],
    cache_dir: Path | None, llm: LLMExtractor,
) -> tuple[list[Extraction], dict[str, Any]]:
    """LLM-proposed facts (verified against the text by kg.llm_extract), cached per document hash.

    Only new or changed documents are sent to the endpoint; unchanged ones reuse the cache.
    """
    out: list[Extraction] = []
    todo: list[Document] = []
    for d in docs:
        name = llm_cache_name(d.sha256)
        old = previous / CACHE_DIR / name if previous is not None else None
        if d.id in unchanged and old is not None and old.is_file():
            out.extend(read_json(old))
            if cache_dir is not None:
                (cache_dir / CACHE_DIR).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(old, cache_dir / CACHE_DIR / name)
        else:
            todo.append(d)
    stats: dict[str, Any] = {"documents_sent": len(todo)}
    if todo:
        wanted = {d.id for d in todo}
        extra = llm.extract_many(todo, [u for u in units if u.doc in wanted])
        stats.update(llm.stats)
        by_doc: dict[str, list[dict[str, Any]]] = {}
        for e in extra:
            by_doc.setdefault(str(e.get("doc", "")), []).append(e)
        if cache_dir is not None:
            for d in todo:
                write_json(cache_dir / CACHE_DIR / llm_cache_name(d.sha256), by_doc.get(d.id, []), fsync=False)
        out.extend(extra)
    return out, stats
