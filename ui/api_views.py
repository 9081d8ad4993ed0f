"""What the JSON API returns, read off the live index and its graph view (no HTTP here).

Every function takes the :class:`~ui.workspace.Workspace` (or its graph view) and returns the
models of :mod:`ui.api_models`. Entities are named by id, or by an exact name or alias
(case-insensitive); an unknown one is a 404 ``unknown_entity``. Evidence is shown only where
its span still holds its text (``raw[start:end] == text``).
"""

from __future__ import annotations

from collections.abc import Iterable

from core.interfaces import DocumentStore
from core.types import Entity, Evidence, Fact
from engine.citations import evidence_citation
from engine.ingest import BuildReport
from kg.resolve import norm_key
from ui.api_errors import ApiProblem
from ui.api_models import (
    DocumentOut,
    DocumentsOut,
    DocumentTextOut,
    EntitiesOut,
    EntityOut,
    EntityRef,
    EntitySummary,
    EvidenceOut,
    FactOut,
    FactsOut,
    HealthOut,
    IndexHealth,
    PathOut,
    PathStepOut,
    SkippedOut,
    UploadOut,
)
from ui.graph_view import GraphView, entity_type, is_metric
from ui.workspace import DocStats, Workspace

FACT_KINDS = ("metric", "relation", "all")


def live_graph(ws: Workspace) -> GraphView:
    """The graph view of the live index, or a 503 ``graph_unavailable`` saying why there is none."""
    g = ws.graph()
    if not g.available:
        raise ApiProblem(503, "graph_unavailable", f"{g.error or 'graph not available'}; rebuild the index with kgqa ingest")
    return g


def resolve_entity(g: GraphView, text: str) -> str:
    """The id of the entity named ``text`` (id, exact name or alias), else a 404 ``unknown_entity``."""
    if text in g.entities:
        return text
    key = text.strip()
    found = g.store.find(key, fuzzy=False) if g.store is not None and key else []
    for e in found:
        if e.id in g.entities:
            return e.id
    raise ApiProblem(404, "unknown_entity",
                     f"no entity {text[:200]!r} in the graph; search for it with GET /api/v1/graph/entities?q=...")


def entity_ref(g: GraphView, eid: str) -> EntityRef:
    e = g.entities.get(eid)
    return EntityRef(id=eid, name=e.name if e else eid, type=entity_type(e) if e else "Other")


def evidence_out(index: DocumentStore, evs: Iterable[Evidence]) -> list[EvidenceOut]:
    """The evidence spans that still hold their text, with title, section and page."""
    out = []
    for ev in evs:
        c = evidence_citation(index, ev, 0)
        if c is not None:
            out.append(EvidenceOut(doc=c.doc, title=c.title, section=c.section, start=c.start, end=c.end,
                                   text=c.text, page=c.page))
    return out


def fact_out(g: GraphView, index: DocumentStore, f: Fact) -> FactOut:
    return FactOut(
        subject=entity_ref(g, f.subject), predicate=f.predicate,
        object=entity_ref(g, f.object) if f.object is not None else None,
        metric=f.metric, value=f.value, value_high=f.value_high, unit=f.unit, period=f.period,
        qualifier=f.qualifier, surface=f.surface, attrs=dict(f.attrs), conflict=g.is_conflict(f),
        evidence=evidence_out(index, f.evidence),
    )


# ---- entities -------------------------------------------------------------------------------------


def search_entities(g: GraphView, q: str | None, type_: str | None, limit: int, offset: int) -> EntitiesOut:
    """Entities matching ``q`` (id, name or alias: exact and close spellings first, then substrings)."""
    pool = [e for e in g.entities.values() if not type_ or entity_type(e).lower() == type_.strip().lower()]
    by_evidence = sorted(pool, key=lambda e: (-g.evidence_count(e.id), e.name.lower(), e.id))
    if q and q.strip():
        t = q.strip().lower()
        allowed = {e.id for e in pool}
        first = [e.id for e in (g.store.find(q.strip()) if g.store is not None else []) if e.id in allowed]
        if q in allowed:
            first.insert(0, q)
        rest = [e.id for e in by_evidence if t in e.id.lower() or any(t in n.lower() for n in [e.name, *e.aliases])]
        ids = list(dict.fromkeys([*first, *rest]))
    else:
        ids = [e.id for e in by_evidence]
    page = ids[offset: offset + limit]
    return EntitiesOut(total=len(ids), entities=[_summary(g, g.entities[i]) for i in page])


def _summary(g: GraphView, e: Entity) -> EntitySummary:
    return EntitySummary(id=e.id, name=e.name, type=entity_type(e), aliases=[a for a in e.aliases if a != e.name],
                         facts=len(g.facts_of(e.id)), evidence=g.evidence_count(e.id))


def entity_detail(g: GraphView, index: DocumentStore, eid: str) -> EntityOut:
    e = g.entities[eid]
    facts = sorted(g.facts_of(eid), key=lambda f: (not is_metric(f), f.predicate, f.metric or "", f.period or ""))
    neighbors = sorted(g.neighbors(eid), key=lambda n: (g.name(n).lower(), n))
    return EntityOut(
        id=e.id, name=e.name, type=entity_type(e), aliases=[a for a in e.aliases if a != e.name],
        attrs=dict(e.attrs), mentions=evidence_out(index, e.evidence),
        facts=[fact_out(g, index, f) for f in facts], neighbors=[entity_ref(g, n) for n in neighbors],
    )


def path_between(g: GraphView, index: DocumentStore, a: str, b: str) -> PathOut:
    """The shortest chain of relation facts from ``a`` to ``b`` (``connected`` is false when there is none)."""
    steps = g.path(a, b)
    out = []
    for _eid, frm, f in steps:
        nxt = f.object if frm == f.subject else f.subject
        out.append(PathStepOut(from_=entity_ref(g, frm), to=entity_ref(g, nxt or ""), fact=fact_out(g, index, f)))
    return PathOut(from_=entity_ref(g, a), to=entity_ref(g, b), connected=a == b or bool(out), steps=out)


def select_facts(g: GraphView, index: DocumentStore, entity: str | None, metric: str | None, period: str | None,
                 kind: str, conflicts_only: bool, limit: int, offset: int) -> FactsOut:
    """Facts of one entity (or all), of one metric and period, metric values or relations or both."""
    facts = g.facts_of(resolve_entity(g, entity)) if entity is not None else list(g.facts)
    if kind == "metric":
        facts = [f for f in facts if is_metric(f)]
    elif kind == "relation":
        facts = [f for f in facts if not is_metric(f)]
    if metric is not None:
        mk = norm_key(metric)
        metric_ids = {e.id for e in (g.store.find(metric, fuzzy=False) if g.store is not None and mk else [])}
        facts = [f for f in facts if norm_key(f.metric or "") == mk or (f.object is not None and f.object in metric_ids)]
    if period is not None:
        facts = [f for f in facts if (f.period or "").lower() == period.strip().lower()]
    if conflicts_only:
        facts = [f for f in facts if g.is_conflict(f)]
    facts.sort(key=lambda f: (g.name(f.subject).lower(), (f.metric or f.predicate).lower(), f.period or ""))
    return FactsOut(total=len(facts), facts=[fact_out(g, index, f) for f in facts[offset: offset + limit]])


# ---- documents, uploads, health -------------------------------------------------------------------


def document_out(st: DocStats) -> DocumentOut:
    d = st.doc
    return DocumentOut(id=d.id, title=d.title, kind=d.kind, bytes=st.bytes, units=st.units, chunks=st.chunks,
                       entities=st.entities, pages=len(d.page_starts) or None, sha256=d.sha256)


def list_documents(ws: Workspace, limit: int, offset: int) -> DocumentsOut:
    stats = ws.document_stats()
    return DocumentsOut(total=len(stats), documents=[document_out(st) for st in stats[offset: offset + limit]])


def document_text(ws: Workspace, doc_id: str) -> DocumentTextOut:
    st = next((s for s in ws.document_stats() if s.doc.id == doc_id), None)
    if st is None:
        raise ApiProblem(404, "unknown_document", f"no document {doc_id[:200]!r} in the index; see GET /api/v1/documents")
    return DocumentTextOut(**document_out(st).model_dump(), raw=st.doc.raw)


def upload_out(ws: Workspace, report: BuildReport, message: str) -> UploadOut:
    idx = ws.index
    return UploadOut(
        added=list(report.added), changed=list(report.changed), unchanged=len(report.unchanged),
        skipped=[SkippedOut(file=str(s.path).rsplit("/", 1)[-1], reason=s.reason) for s in report.skipped],
        documents=len(idx.docs), chunks=len(idx.chunks), seconds=round(report.timings_s.get("total", 0.0), 3),
        message=message,
    )


def health(ws: Workspace, version: str, auth: bool, details: bool) -> HealthOut:
    if not details:
        return HealthOut(status="ok", version=version, auth=auth, index=None)
    g = ws.graph()
    idx = ws.index
    return HealthOut(status="ok", version=version, auth=auth, index=IndexHealth(
        documents=len(idx.docs), chunks=len(idx.chunks), graph=g.available, entities=len(g.entities),
        facts=len(g.facts), llm=ws.llm_label(),
    ))
