"""The graph in PostgreSQL tables: same entities and facts, SQL neighbours and recursive-SQL paths."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from core.config import Settings
from engine.migrate import migrate
from engine.stores import open_store

pytestmark = pytest.mark.pg


def _cost(facts: list[Any]) -> float:
    return sum(1.5 if f.value is not None else 1.0 for f in facts)


def test_graph_tables_answer_like_networkx(qa: Any, settings: Settings, pg_url: str) -> None:
    migrate(settings, pg_url)
    s = settings.with_values({"store": pg_url})
    pg, nx_graph = open_store(s).load(s).graph, qa.graph
    assert pg is not None and nx_graph is not None
    assert pg.stats() == nx_graph.stats() and pg.conflicts() == nx_graph.conflicts()
    assert [(f.subject, f.predicate, f.object, f.value, f.evidence) for f in pg.all_facts()] == [
        (f.subject, f.predicate, f.object, f.value, f.evidence) for f in nx_graph.all_facts()]
    ents = [e.id for e in nx_graph.entities() if not e.id.startswith("metric:")][:20]
    for e in ents:
        assert [(x.id, f.subject, f.object) for x, f in pg.neighbors(e)] == [
            (x.id, f.subject, f.object) for x, f in nx_graph.neighbors(e)]
    linked = 0
    for a, b in itertools.combinations(ents, 2):
        got, want = pg.path(a, b), nx_graph.path(a, b)
        assert bool(got) == bool(want) and _cost(got) == _cost(want), (a, b)
        if got:  # a real chain: consecutive facts share an entity, from a to b
            linked += 1
            nodes = {a}
            for f in got:
                assert f.subject in nodes or f.object in nodes
                nodes |= {f.subject, f.object or f.subject}
            assert b in nodes
    assert linked > 10
