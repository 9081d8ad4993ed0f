"""The knowledge graph of an index state in PostgreSQL tables, behind the graph-store interface.

Tables (every row carries its generation ``gen``)::

    kgqa_entities  (gen, id, ord, type, name, aliases, attrs)  ord keeps the build's order
    kgqa_facts     (gen, idx, subject, predicate, object, metric, value, value_high, unit, period,
                    qualifier, surface, attrs)          relations have ``object``; metric facts ``value``
    kgqa_evidence  (gen, owner_kind 'e'|'f', owner, ord, doc, start_, end_, text)   exact spans
    kgqa_graph_meta(gen, meta)

:class:`PgGraphStore` loads one generation into the in-memory store (NetworkX stays the tool
for lookups, conflicts and the algorithms the UI runs) and answers ``neighbors`` and ``path``
with SQL on the tables: a one-hop query and a recursive shortest-path query.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from core.types import Entity, Evidence, Fact
from kg.store import NetworkXGraphStore

GRAPH_TABLES = ("kgqa_entities", "kgqa_facts", "kgqa_evidence", "kgqa_graph_meta")
MAX_PATH_HOPS = 6
# path weights in half-units, as kg.store's path(): a relation costs 1.0, a metric edge 1.5
_REL_COST, _METRIC_COST = 2, 3

GRAPH_DDL = [
    """CREATE TABLE IF NOT EXISTS kgqa_entities (
        gen bigint NOT NULL, id text NOT NULL, ord int NOT NULL, type text NOT NULL, name text NOT NULL,
        aliases jsonb NOT NULL, attrs jsonb NOT NULL, PRIMARY KEY (gen, id))""",
    """CREATE TABLE IF NOT EXISTS kgqa_facts (
        gen bigint NOT NULL, idx int NOT NULL, subject text NOT NULL, predicate text NOT NULL, object text,
        metric text, value double precision, value_high double precision, unit text, period text, qualifier text,
        surface text, attrs jsonb NOT NULL, PRIMARY KEY (gen, idx))""",
    "CREATE INDEX IF NOT EXISTS kgqa_facts_subject ON kgqa_facts (gen, subject)",
    "CREATE INDEX IF NOT EXISTS kgqa_facts_object ON kgqa_facts (gen, object)",
    """CREATE TABLE IF NOT EXISTS kgqa_evidence (
        gen bigint NOT NULL, owner_kind text NOT NULL, owner text NOT NULL, ord int NOT NULL, doc text NOT NULL,
        start_ int NOT NULL, end_ int NOT NULL, text text NOT NULL, PRIMARY KEY (gen, owner_kind, owner, ord))""",
    "CREATE TABLE IF NOT EXISTS kgqa_graph_meta (gen bigint PRIMARY KEY, meta jsonb NOT NULL)",
]

_PATH_SQL = """
WITH RECURSIVE edges AS (
    SELECT DISTINCT ON (a, b) a, b, idx, cost FROM (
        SELECT subject AS a, object AS b, idx, CASE WHEN value IS NULL THEN %(rel)s ELSE %(met)s END AS cost
          FROM kgqa_facts WHERE gen = %(gen)s AND object IS NOT NULL AND object <> subject
        UNION ALL
        SELECT object, subject, idx, CASE WHEN value IS NULL THEN %(rel)s ELSE %(met)s END
          FROM kgqa_facts WHERE gen = %(gen)s AND object IS NOT NULL AND object <> subject
    ) both_ways ORDER BY a, b, cost, idx
),
reach (node, cost) AS (
    SELECT %(a)s::text, 0
    UNION
    SELECT e.b, r.cost + e.cost FROM reach r JOIN edges e ON e.a = r.node
     WHERE r.cost + e.cost <= %(max_cost)s AND r.node <> %(b)s
)
SELECT node, min(cost) FROM reach GROUP BY node
"""


def _dumps(obj: Any) -> str:
    return json.dumps(obj, default=str)


class PgGraphStore(NetworkXGraphStore):
    """One generation's graph: lookups in memory, neighbours and paths answered by SQL."""

    def __init__(self, pool: ConnectionPool, gen: int, entities: dict[str, Entity], facts: list[Fact],
                 meta: dict[str, Any] | None = None) -> None:
        super().__init__(entities, facts, meta)
        self._pool, self._gen = pool, gen

    @classmethod
    def load_generation(cls, pool: ConnectionPool, gen: int) -> PgGraphStore | None:
        """The graph of ``gen``, or ``None`` when that generation was built without one."""
        with pool.connection() as conn:
            meta_row = conn.execute("SELECT meta FROM kgqa_graph_meta WHERE gen = %s", (gen,)).fetchone()
            if meta_row is None:
                return None
            evidence: dict[tuple[str, str], list[Evidence]] = {}
            for kind, owner, doc, start, end, text in conn.execute(
                "SELECT owner_kind, owner, doc, start_, end_, text FROM kgqa_evidence WHERE gen = %s "
                "ORDER BY owner_kind, owner, ord", (gen,),
            ):
                evidence.setdefault((kind, owner), []).append(Evidence(doc, int(start), int(end), text))
            entities = {
                r[0]: Entity(r[0], r[1], r[2], list(r[3]), evidence.get(("e", r[0]), []), dict(r[4]))
                for r in conn.execute("SELECT id, type, name, aliases, attrs FROM kgqa_entities WHERE gen = %s ORDER BY ord",
                                      (gen,))
            }
            facts = [
                Fact(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], dict(r[11]),
                     evidence.get(("f", str(r[0])), []))
                for r in conn.execute(
                    "SELECT idx, subject, predicate, object, metric, value, value_high, unit, period, qualifier, surface, "
                    "attrs FROM kgqa_facts WHERE gen = %s ORDER BY idx", (gen,),
                )
            ]
        return cls(pool, gen, entities, facts, dict(meta_row[0]))

    def neighbors(self, entity_id: str) -> list[tuple[Entity, Fact]]:
        """Entities one fact away, with that fact (in fact order), from the facts table."""
        e = self.entity(entity_id)
        if e is None:
            return []
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT idx, CASE WHEN subject = %(e)s THEN object ELSE subject END FROM kgqa_facts "
                "WHERE gen = %(g)s AND (subject = %(e)s OR object = %(e)s) ORDER BY idx",
                {"e": e.id, "g": self._gen},
            ).fetchall()
        facts = self.all_facts()
        return [(self._entities[other], facts[int(i)]) for i, other in rows
                if other and other != e.id and other in self._entities]

    def path(self, a: str, b: str) -> list[Fact]:
        """The cheapest chain of facts linking ``a`` and ``b`` (either direction; relations cost 1,
        metric edges 1.5; at most :data:`MAX_PATH_HOPS` hops), found by a recursive query."""
        ea, eb = self.entity(a), self.entity(b)
        if ea is None or eb is None or ea.id == eb.id:
            return []
        params = {"gen": self._gen, "a": ea.id, "b": eb.id, "rel": _REL_COST, "met": _METRIC_COST,
                  "max_cost": MAX_PATH_HOPS * _METRIC_COST}
        with self._pool.connection() as conn:
            dist = {n: int(c) for n, c in conn.execute(_PATH_SQL, params)}
            if eb.id not in dist:
                return []
            steps: list[int] = []
            node = eb.id
            while node != ea.id:  # walk back along edges that keep the distances tight
                row = conn.execute(
                    "SELECT CASE WHEN object = %(n)s THEN subject ELSE object END, idx, "
                    "CASE WHEN value IS NULL THEN %(rel)s ELSE %(met)s END FROM kgqa_facts "
                    "WHERE gen = %(gen)s AND object IS NOT NULL AND object <> subject "
                    "AND (subject = %(n)s OR object = %(n)s) ORDER BY 3, idx",
                    {"n": node, "gen": self._gen, "rel": _REL_COST, "met": _METRIC_COST},
                ).fetchall()
                prev = next(((p, int(i)) for p, i, c in row if p in dist and dist[p] + int(c) == dist[node]), None)
                if prev is None:  # cannot happen with consistent distances; never loop
                    return []
                node, idx = prev
                steps.append(idx)
        facts = self.all_facts()
        return [facts[i] for i in reversed(steps)]


def import_graph(conn: psycopg.Connection[Any], gen: int, store: NetworkXGraphStore) -> dict[str, int]:
    """Copy ``store`` into the graph tables as generation ``gen`` (inside the caller's transaction)."""
    entities, facts = store.entities(), store.all_facts()
    with conn.cursor() as cur:
        cur.execute("INSERT INTO kgqa_graph_meta (gen, meta) VALUES (%s, %s)", (gen, json.dumps(store.meta, default=str)))
        with cur.copy("COPY kgqa_entities (gen, id, ord, type, name, aliases, attrs) FROM STDIN WITH (FORMAT BINARY)") as cp:
            cp.set_types(["int8", "text", "int4", "text", "text", "jsonb", "jsonb"])
            for k, e in enumerate(entities):
                cp.write_row([gen, e.id, k, e.type, e.name, Jsonb(list(e.aliases)), Jsonb(e.attrs, dumps=_dumps)])
        with cur.copy("COPY kgqa_facts (gen, idx, subject, predicate, object, metric, value, value_high, unit, period, "
                      "qualifier, surface, attrs) FROM STDIN WITH (FORMAT BINARY)") as cp:
            cp.set_types(["int8", "int4", "text", "text", "text", "text", "float8", "float8", "text", "text", "text",
                          "text", "jsonb"])
            for i, f in enumerate(facts):
                cp.write_row([gen, i, f.subject, f.predicate, f.object, f.metric, f.value, f.value_high, f.unit, f.period,
                              f.qualifier, f.surface, Jsonb(f.attrs, dumps=_dumps)])
        n_ev = 0
        with cur.copy("COPY kgqa_evidence (gen, owner_kind, owner, ord, doc, start_, end_, text) "
                      "FROM STDIN WITH (FORMAT BINARY)") as cp:
            cp.set_types(["int8", "text", "text", "int4", "text", "int4", "int4", "text"])
            owners = [("e", e.id, e.evidence) for e in entities] + [("f", str(i), f.evidence) for i, f in enumerate(facts)]
            for kind, owner, evs in owners:
                for k, ev in enumerate(evs):
                    cp.write_row([gen, kind, owner, k, ev.doc, ev.start, ev.end, ev.text])
                    n_ev += 1
    return {"entities": len(entities), "facts": len(facts), "evidence": n_ev}
