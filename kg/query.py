"""Graph-aware answers: link the question's entities to nodes and read the answer off facts.

Four routes, tried in order; each returns ``None`` when it is unsure:

* **multi_hop** - a superlative over a group, optionally plus another value of the winner
  ("Which category is most exposed to disruption, and what share of revenue is it?", "...
  contributes the smallest share of revenue, and how much does it bring in?"): rank the
  entities of the asked type by the rating/metric that best fits the words after the
  superlative (name, unit, period), then read the asked metric of the top one;
* **relation** - one fact of an ownership-style relation ("Who owns X?", "Who acquired X?",
  "When was X launched?", "How much did X pay for Y?"): the other end, or the fact's year/price;
* **list** - a relation cue ("compete", "threaten", "use", "segments", "indicators" ...) and a
  linked entity: the entities on the other side of the matching facts, filtered by the asked
  class ("vendors", "clouds") and its modifiers ("cloud providers" is not "regional providers"),
  and arena ("in AI voice agents"); an anchor's own segments/products never compete with it;
  "both X and Y" intersects; "..., and for what?" with roles answers both parts (multi_hop);
* **value** - a metric word and a subject: the metric fact whose period, scenario and
  qualifier fit the question best.

Nothing here knows the corpus: cue words come from ``kg/data/query_cues.json`` and
:mod:`core.values`; names come from the graph.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from core.interfaces import GraphStore
from core.types import Entity, Fact
from core.values import find_values, format_value
from kg import lexicon as lx
from kg.resolve import norm_key

DATA = Path(__file__).resolve().parent / "data"


@dataclass
class GraphHit:
    kind: str  # "value" | "list" | "multi_hop"
    text: str
    value: str | None
    facts: list[Fact]
    score: float
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    relation: str | None = None  # the predicate a relation answer was read from ("OWNED_BY", ...)


@cache
def qcues() -> dict[str, Any]:
    return json.loads((DATA / "query_cues.json").read_text(encoding="utf-8"))


_WORD = re.compile(r"[A-Za-z0-9][\w/&%-]*")


def _stem(w: str) -> str:
    w = w.lower()
    for suf in ("ies", "es", "s"):
        if w.endswith(suf) and len(w) > len(suf) + 2:
            return w[: -len(suf)] + ("y" if suf == "ies" else "")
    return w


def _tokens(text: str) -> set[str]:
    stop = set(qcues()["stopwords"])
    return {_stem(w) for w in _WORD.findall(text) if w.lower() not in stop}


# ---- entity linking -------------------------------------------------------------------------


@dataclass
class Link:
    entity: Entity
    start: int
    end: int
    exact: bool


def link_entities(store: GraphStore, question: str) -> list[Link]:
    """Entities named in the question (aliases, then distinctive tokens, then fuzzy), in order."""
    q = question
    low = norm_key(q)
    cands: list[tuple[str, Entity]] = []
    for e in store.entities():
        for n in {e.name, *e.aliases}:
            k = norm_key(n)
            if len(k) >= 2:
                cands.append((k, e))
    cands.sort(key=lambda x: -len(x[0]))
    taken: list[tuple[int, int]] = []
    links: list[Link] = []
    for k, e in cands:
        if k not in low:  # the pattern below needs ``k`` verbatim: skip compiling one per name of a big graph
            continue
        for m in re.finditer(r"(?<![\w-])" + re.escape(k) + r"(?:s|es)?(?![\w-])", low):
            if any(not (m.end() <= a or m.start() >= b) for a, b in taken):
                continue
            if len(k) <= 3 and k.upper() not in q and e.type != "Company":
                continue
            taken.append((m.start(), m.end()))
            if all(lk.entity.id != e.id for lk in links):
                links.append(Link(e, m.start(), m.end(), True))
    # distinctive tokens (acronyms, CamelCase) that occur in one entity's aliases: "CPaaS layer"
    for m in re.finditer(r"\b[A-Z][a-z]*[A-Z][\w]*\b|\b[A-Z]{2,}[a-z]?\b", q):
        tok = m.group(0)
        if tok.lower() in {w.lower() for w in qcues()["stopwords"]}:
            continue
        if any(lk.entity.name.lower() == tok.lower() or tok.lower() in norm_key(lk.entity.name).split() for lk in links):
            continue
        owners = [e for e in store.entities() if e.type not in ("Metric", "Indicator")
                  and any(tok in a.split() for a in [e.name, *e.aliases])]
        if len(owners) == 1 and all(lk.entity.id != owners[0].id for lk in links):
            links.append(Link(owners[0], m.start(), m.end(), False))
    # fuzzy: capitalised words that nearly match a name ("Twillio")
    for m in re.finditer(r"\b[A-Z][a-zA-Z]{3,}\b", q):
        if m.start() == 0 or any(lk.start <= m.start() < lk.end for lk in links):
            continue
        found = store.find(m.group(0), cutoff=0.85)
        found = [e for e in found if e.type in ("Company", "Product", "Segment", "Person", "Technology")]
        if found and all(lk.entity.id != found[0].id for lk in links):
            links.append(Link(found[0], m.start(), m.end(), False))
    links.sort(key=lambda lk: lk.start)
    return links


# ---- helpers --------------------------------------------------------------------------------


def _evidence_text(f: Fact) -> str:
    return " ".join(e.text for e in f.evidence)


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _value_text(f: Fact) -> str:
    if f.surface:
        return f.surface
    kind = {"USD": "money", "%": "percent", "x": "multiple", "score": "score"}.get(f.unit or "", "number")
    return format_value(kind, f.value or 0.0, f.value_high, f.unit or "", f.attrs.get("of"))


def _conflicts_for(store: GraphStore, facts: list[Fact]) -> list[dict[str, Any]]:
    out = []
    keys = {(f.subject, norm_key(f.metric or ""), f.period) for f in facts if f.value is not None}
    for c in store.conflicts():
        if (c["subject"], norm_key(c["metric"] or ""), c["period"]) in keys:
            out.append(c)
    return out


def _predicates(question: str) -> list[str]:
    found = []
    for pred, pats in qcues()["relation_cues"].items():
        for p in pats:
            m = re.search(p, question, re.I)
            if m:
                found.append((m.start(), pred))
                break
    return [p for _, p in sorted(found)]


def _class_phrase(question: str) -> list[str]:
    """The words naming the asked class, in order: "Which cloud providers offer ..." -> [cloud, providers]."""
    m = re.search(r"\b(?:which|what|name the|list the)\s+((?:[\w-]+\s+){0,3}?[\w-]+?)\s+(?:does|do|did|is|are|were|was|have|has|could|can|would|will|should|must|may|might|threaten|compete|offer|use|appear|named|pose|of|in)\b",
                  question, re.I)
    if m:
        return m.group(1).split()
    # no verb from the list ("Which revenue category contributes ..."): the words right after
    # which/what, up to the first function word
    # which/what, up to the first lower-case class noun ("Beacon" in "What Beacon ARR ..." is a name)
    m2 = re.search(r"\b(?:which|what)\s+((?:[\w-]+\s*){1,4})", question, re.I)
    stop = set(qcues()["stopwords"])
    nouns = {_stem(n) for ns in qcues()["class_nouns"].values() for n in ns}
    nouns |= {_stem(n) for n in lx.word_set("company_class_nouns") | lx.word_set("product_class_nouns")}
    out = []
    for w in m2.group(1).split() if m2 else []:
        if w.lower() in stop:
            break
        out.append(w)
        if w.islower() and _stem(w) in nouns:
            return out
    return []


def _asked_class(question: str) -> tuple[str | None, set[str]]:
    """The class noun after which/what ("vendors", "clouds") -> (entity type, extra word cues)."""
    words = _tokens(" ".join(_class_phrase(question)))
    if re.match(r"\s*who\b", question, re.I):
        return "Company", words
    for typ, nouns in qcues()["class_nouns"].items():
        if words & {_stem(n) for n in nouns}:
            return typ, words
    # the extractor's class nouns ("carriers", "insurers"; "apps", "solutions")
    for typ, key in (("Company", "company_class_nouns"), ("Product", "product_class_nouns")):
        if words & {_stem(n) for n in lx.word_set(key)}:
            return typ, words
    return None, words


def _class_modifiers(question: str) -> set[str]:
    """The asked class's modifiers: "Which hyperscale cloud providers ..." -> {hyperscale, cloud}."""
    phrase = _class_phrase(question)
    if len(phrase) < 2:
        return set()
    return _tokens(" ".join(phrase[:-1]))


def _is_class_entity(e: Entity) -> bool:
    """An entity that names a class of companies or products ("regional providers", "AI-native CDPs")."""
    words = e.name.split()
    nouns = {n.lower() for n in lx.word_set("company_class_nouns") | lx.word_set("product_class_nouns")}
    return len(words) >= 2 and words[-1].lower() in nouns and words[-1].lower().endswith("s")


# ---- routes --------------------------------------------------------------------------------


def graph_answer(store: GraphStore, question: str) -> GraphHit | None:
    """Answer from the graph, or ``None`` when the graph has no confident answer."""
    if store is None or not question or not question.strip():
        return None
    links = link_entities(store, question)
    for route in (_multi_hop, _relation_answer, _list_answer, _value_answer):
        try:
            hit = route(store, question, links)
        except (ValueError, KeyError, IndexError):  # a malformed graph must not break answering
            hit = None
        if hit is not None:
            hit.conflicts = hit.conflicts or _conflicts_for(store, hit.facts)
            return hit
    return None


def _rating_rank(value: str) -> int:
    order = [r.lower() for r in lx.cues()["ratings"]]
    v = value.lower()
    return len(order) - order.index(v) if v in order else 0


_PART_SPLIT = re.compile(r",?\s+and\s+(?=(?:[a-z]+\s+){0,2}?(?:what|how|which|who|when)\b)", re.I)


def _fact_score(f: Fact, q: str) -> float:
    return _metric_score(f, q, _tokens(q))


def _multi_hop(store: GraphStore, q: str, links: list[Link]) -> GraphHit | None:
    """A superlative over the entities of the asked type, then (optionally) another value of the
    winner: "Which <type> has the smallest/largest/most <criterion>[, and <what/how much> ...]?".

    The criterion is the metric (or rating) shared by the group that best fits the words after
    the superlative - by name, unit ("share" -> %), period and scenario, as for value answers."""
    parts = _PART_SPLIT.split(q, maxsplit=1)
    first, second = (parts[0], parts[1]) if len(parts) == 2 else (q, "")
    sup = re.search(qcues()["superlative"], first, re.I)
    if not sup or not re.match(r"\s*(?:\w+\s+){0,2}?(?:which|what|who)\b", first, re.I):
        return None
    typ, _ = _asked_class(first)
    if typ is None or typ in ("Metric",):
        return None
    group = store.entities(typ)
    if len(group) < 2:
        return None
    crit_q = first[sup.end() :] if _tokens(first[sup.end() :]) else first
    per = _criterion(store, group, crit_q)
    if per is None:
        return None
    lowest = bool(re.search(r"\b(?:least|lowest|smallest|fewest)\b", sup.group(0), re.I))
    scored: list[tuple[float, Entity, Fact]] = []
    for eid, (_, f) in per.items():
        e = store.entity(eid)
        if e is None:
            continue
        if f.value is not None:
            scored.append((f.value, e, f))
        elif f.attrs.get("value"):
            scored.append((float(_rating_rank(str(f.attrs["value"]))), e, f))
    if len(scored) < 2:
        return None
    scored.sort(key=lambda x: x[0], reverse=not lowest)
    if scored[0][0] == scored[1][0]:
        return None  # a tie: the graph cannot pick one
    _, winner, crit_fact = scored[0]
    crit_val = _value_text(crit_fact) if crit_fact.value is not None else str(crit_fact.attrs.get("value"))
    crit_label = crit_fact.metric or "value"
    if not second.strip():
        if crit_fact.unit == "%" and (crit_fact.metric or "").lower().startswith(("% of", "share of")):
            text = f"{winner.name} ({crit_val} of {_share_base(crit_fact)})"
        else:
            text = f"{winner.name} ({crit_label}: {crit_val})"
        return GraphHit("multi_hop", text, winner.name, [crit_fact], 0.75)
    # the second part may lean on the first for its period ("... of FY2024 revenue, and how much ...")
    years = " ".join(v.surface for v in find_values(first) if v.kind in ("year", "quarter"))
    value_fact = _pick_metric_fact(store, winner, f"{second} {years}".strip())
    if value_fact is None:
        return None
    facts = [crit_fact] if crit_fact is value_fact else [crit_fact, value_fact]
    val = _value_text(value_fact)
    spans = {(e.doc, e.start) for e in value_fact.evidence}
    money = [f for f in store.metric_facts(winner.id) if f.unit == "USD" and f is not value_fact
             and spans & {(e.doc, e.start) for e in f.evidence}]
    if value_fact.unit == "%" and money:
        if money[0] not in facts:
            facts.append(money[0])
        text = f"{winner.name}: {_value_text(money[0])} ({val} of {_share_base(value_fact)})"
    elif crit_fact is not value_fact and crit_fact.value is not None and crit_fact.unit == "%" and (
            crit_fact.metric or "").lower().startswith(("% of", "share of")):
        text = f"{winner.name}: {val} ({crit_val} of {_share_base(crit_fact)})"
    else:
        text = f"{winner.name}: {val}"
    if crit_fact.value is None or (crit_fact is not value_fact and crit_val not in text):
        text += f"; {crit_label}: {crit_val}"  # a rating, or a criterion value not shown yet
    return GraphHit("multi_hop", text, val, facts, 0.8)


def _criterion(store: GraphStore, group: list[Entity], crit_q: str) -> dict[str, tuple[float, Fact]] | None:
    """The criterion of a superlative: of the metrics (or ratings) at least two entities of
    ``group`` have, the one that best fits ``crit_q`` on average, as each entity's best-fitting
    ``(score, fact)``; ``None`` when no metric fits well enough."""
    by_metric: dict[str, dict[str, tuple[float, Fact]]] = {}
    for e in group:
        for f in store.facts(e.id, predicate="HAS_METRIC"):
            if f.subject != e.id or (f.value is None and not f.attrs.get("value")):
                continue
            sc = _fact_score(f, crit_q)
            key = norm_key(f.metric or "")
            cur = by_metric.setdefault(key, {}).get(e.id)
            if cur is None or sc > cur[0]:
                by_metric[key][e.id] = (sc, f)
    ranked = sorted(((sum(x[0] for x in per.values()) / len(per), len(per), k) for k, per in by_metric.items()
                     if len(per) >= 2), reverse=True)
    if not ranked or ranked[0][0] < 0.5:
        return None
    return by_metric[ranked[0][2]]


def _share_base(f: Fact) -> str:
    m = re.search(r"of (\w+)", f.metric or "")
    base = m.group(1).lower() if m else "total"
    return "revenue" if base == "total" else base


def _metric_score(f: Fact, q: str, qwords: set[str]) -> float:
    name = (f.metric or "").replace("%", "share")
    mw = _tokens(name)
    s = len(mw & qwords) / max(1, len(mw)) if mw else 0.0
    unit_cues = qcues()["unit_cues"]
    for unit, pats in unit_cues.items():
        if any(re.search(p, q, re.I) for p in pats):
            s += 0.6 if f.unit == unit else -0.3
    years = {str(int(v.value)) for v in find_values(q) if v.kind == "year"}
    if years:
        s += 0.4 if f.period and any(y in f.period for y in years) else -0.3
    qual = f.qualifier or ""
    scen = re.search(qcues()["scenario"], q, re.I)
    if qual.startswith("projection"):
        s += 0.5 if scen and scen.group(1).lower().split()[0] in qual else -0.6
    elif scen:
        s -= 0.4
    if re.search(r"\btarget", q, re.I):
        s += 0.4 if qual == "target" else -0.2
    elif qual == "target":
        s -= 0.3
    if re.search(r"\bbenchmark|peer|comparable\b", q, re.I):
        s += 0.4 if qual in ("range", "benchmark") else -0.2
    return s


def _pick_metric_fact(store: GraphStore, subject: Entity, q: str) -> Fact | None:
    qwords = _tokens(q)
    facts = [f for f in store.metric_facts(subject.id) if f.subject == subject.id]
    if not facts:
        return None
    scored = sorted(((_metric_score(f, q, qwords), i, f) for i, f in enumerate(facts)), key=lambda x: (-x[0], x[1]))
    best = scored[0]
    if best[0] < 0.5:
        return None
    return best[2]


def _asked_attribute(q: str) -> str | None:
    """The fact attribute a relation question asks for ("when" -> year, "how much" -> price)."""
    for name, spec in qcues()["single_relations"]["attributes"].items():
        if any(re.search(p, q, re.I) for p in spec["cues"]):
            return name
    return None


def _anchor_is_agent(q: str, cue: re.Match[str] | None, link: Link) -> bool:
    """Whether the linked entity is the doer of the relation verb ("What did X acquire?").

    After an active verb the entity is its object ("Who acquired X?", "Which company owns X?");
    after "by" it is the doer ("Which company is owned by X?"). Before the verb it is the doer
    of an active question ("What did X launch?") and the object of a passive one ("When was X
    launched?", "Who was X acquired by?") or of an agent noun ("X's owner", "the parent of X").
    """
    spec = qcues()["single_relations"]
    if any(re.search(p, q, re.I) for p in spec["agent_nouns"]):
        return False
    if cue is None:
        return False
    if link.start >= cue.end():
        return bool(re.match(r"[\s\w-]{0,12}?\bby\b", q[cue.end() : link.start], re.I))
    if re.match(r"\s*by\b", q[cue.end() :], re.I):
        return False
    head = q[: link.start]
    passive = re.search(spec["passive"], head, re.I) and not re.search(spec["active_aux"], head, re.I)
    return not passive


def _attr_text(f: Fact, attr: str) -> str | None:
    for key in qcues()["single_relations"]["attributes"][attr]["keys"]:
        v = f.attrs.get(key)
        if v is None or v == "":
            continue
        if isinstance(v, float) and key.endswith("_usd"):
            return format_value("money", v, None, "USD", None)
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
    return None


def _with_period(f: Fact) -> Fact:
    """A copy of a relation fact carrying its year as the period (so period checks can see it)."""
    year = f.attrs.get("year")
    if f.period or not year:
        return f
    return replace(f, period=str(int(year)) if isinstance(year, float | int) else str(year))


def _relation_answer(store: GraphStore, q: str, links: list[Link]) -> GraphHit | None:
    """One fact of an ownership-style relation: "Who owns X?", "Who acquired X?", "When was X
    launched?", "How much did X pay for Y?". The owner/acquirer/launcher, or the fact's year or
    price. Questions asking what an entity acquired or launched are lists (see ``_list_answer``)."""
    spec = qcues()["single_relations"]
    agent_end: dict[str, str] = spec["agent_end"]
    if not re.match(spec["question_start"], q, re.I):
        return None  # "why"/"how" questions ask for reasons, not the fact's ends
    anchors = [lk for lk in links if lk.entity.type not in ("Metric", "Indicator", "Scenario")]
    if not anchors:
        return None
    attr = _asked_attribute(q)
    anchor_ids = {lk.entity.id for lk in anchors}
    preds = [p for p in _predicates(q) if p in agent_end]
    if not preds:
        if attr is None or len(anchor_ids) < 2:
            return None
        # no relation word, but the question names both ends of one: "How much did X pay for Y?"
        preds = [p for p in agent_end if any(f.predicate == p and {f.subject, f.object} <= anchor_ids
                                             for a in anchor_ids for f in store.facts(a, predicate=p))]
        if len(preds) != 1:
            return None
    pred = preds[0]
    cue = next((m for pat in qcues()["relation_cues"][pred] if (m := re.search(pat, q, re.I))), None)
    years = {int(v.value) for v in find_values(q) if v.kind == "year"}
    for k, p in enumerate([pred, *spec["fallback"].get(pred, [])]):
        facts = []
        for lk in anchors:
            for f in store.facts(lk.entity.id, predicate=p):
                if not f.object or f.value is not None:
                    continue
                if len(anchor_ids) >= 2 and not {f.subject, f.object} <= anchor_ids and any(
                        {g.subject, g.object} <= anchor_ids for a in anchor_ids for g in store.facts(a, predicate=p)):
                    continue  # both ends named: only the fact that joins them
                agent = f.object if agent_end[p] == "object" else f.subject
                patient = f.subject if agent == f.object else f.object
                if attr is None:
                    want = agent if not _anchor_is_agent(q, cue, lk) else None
                    if want is None or patient != lk.entity.id:
                        continue
                if years and f.attrs.get("year") and int(f.attrs["year"]) not in years:
                    continue
                if f not in facts:
                    facts.append(f)
        if not facts:
            continue
        score = 0.85 if k == 0 else 0.65
        if attr is not None:
            vals = {v: f for f in facts if (v := _attr_text(f, attr))}
            if len(vals) != 1:
                return None
            val, f = next(iter(vals.items()))
            return GraphHit("value", val, val, [_with_period(f)], score, relation=p)
        names: dict[str, Entity] = {}
        for f in facts:
            agent = f.object if agent_end[p] == "object" else f.subject
            e = store.entity(agent)
            if e is not None and e.id not in anchor_ids:  # the question already names it
                names.setdefault(e.id, e)
        if not names:
            return None
        text = _join([e.name for e in names.values()])
        kind = "value" if len(names) == 1 else "list"
        return GraphHit(kind, text, text if kind == "value" else None, [_with_period(f) for f in facts], score,
                        relation=p)
    return None


def _list_answer(store: GraphStore, q: str, links: list[Link]) -> GraphHit | None:
    if not re.match(r"\s*(?:\w+\s+){0,2}?(?:which|who|what|name|list)\b", q, re.I):
        return None
    if re.search(r"\b(?:higher|lower|larger|smaller|bigger|greater|more|less|better|worse)\b.*\bor\b", q, re.I):
        return None  # "Which is higher, A or B?" compares named options; it is not a list
    preds = _predicates(q)
    typ, _class_words = _asked_class(q)
    phrase = norm_key(" ".join(_class_phrase(q)))
    # a class entity named as the asked class ("Which regional carriers ...") is what is asked, not an anchor
    anchors = [lk.entity for lk in links if lk.entity.type not in ("Metric",)
               and not (_is_class_entity(lk.entity) and phrase and norm_key(lk.entity.name) in phrase)]
    if typ in ("Indicator", "Scenario") and (not preds or preds[0] == "TRACKS"):
        ents = store.entities(typ)
        if not ents:
            return None
        facts = [Fact(e.id, "MENTIONED", evidence=e.evidence[:1]) for e in ents if e.evidence]
        return GraphHit("list", _join([e.name for e in ents]), None, facts, 0.7)
    if not preds:
        if typ == "Segment":
            preds = ["HAS_SEGMENT"]
        else:
            return None
    both = bool(re.search(r"\bboth\b", q, re.I)) and len(preds) >= 2
    results: list[tuple[list[Entity], list[Fact]]] = []
    for pred in preds if both else preds[:1]:
        ents, facts = _related(store, pred, anchors, typ, q)
        if ents:
            results.append((ents, facts))
    if not results:
        return None
    ents, facts = results[0]
    if both and len(results) >= 2:
        keep = {e.id for e in results[1][0]}
        ents = [e for e in ents if e.id in keep]
        facts = facts + [f for f in results[1][1] if (f.subject in {e.id for e in ents} or f.object in {e.id for e in ents})]
        facts = [f for f in facts if f.subject in {e.id for e in ents} or f.object in {e.id for e in ents}]
    if not ents:
        return None
    roles = {}
    for f in facts:
        role = f.attrs.get("role")
        other = f.object if f.object in {e.id for e in ents} else f.subject
        if role and re.search(r"\bfor what\b|\bwhat for\b|\bhow\b|\bwhich role", q, re.I):
            roles[other] = role
    names = [f"{e.name} ({roles[e.id]})" if e.id in roles else e.name for e in ents]
    score = 0.55 + (0.15 if anchors else 0.0) + (0.1 if typ else 0.0) + (0.05 if len(ents) >= 2 else 0.0)
    # "Which X does Y use, and for what ...?": the roles answer the second part, so the list
    # answers the whole two-part question (the passages would answer the parts separately)
    kind = "list"
    if roles and len(roles) == len(ents) and _PART_SPLIT.search(q):
        kind = "multi_hop"
    return GraphHit(kind, _join(names), None, facts, min(score, 0.9))


def _related(store: GraphStore, pred: str, anchors: list[Entity], typ: str | None, q: str) -> tuple[list[Entity], list[Fact]]:
    cand: list[tuple[Entity, Fact]] = []
    anchor_ids = {a.id for a in anchors}
    for f in store.all_facts():
        if f.predicate != pred or not f.object or f.value is not None:
            continue
        ends = [f.subject, f.object]
        if anchor_ids and not (set(ends) & anchor_ids):
            continue
        for me, other in ((f.subject, f.object), (f.object, f.subject)):
            if anchor_ids and me not in anchor_ids:
                continue
            if not anchor_ids and pred in ("HAS_SEGMENT", "TRACKS") and other != f.subject:
                continue
            e = store.entity(other)
            if e is None or e.id in anchor_ids:
                continue
            # the asked side: for owner-style relations, the dependent end
            if pred in ("HAS_SEGMENT", "OFFERS", "USES", "ACQUIRED", "LAUNCHED") and other != f.object:
                continue
            if pred in ("THREATENS",) and anchor_ids and other != f.subject:
                continue
            cand.append((e, f))
    if pred == "COMPETES_WITH" and anchor_ids:
        # an anchor's own parts (its segments, products, acquisitions) are not its competitors
        own = {f.object for a in anchor_ids for f in store.facts(a)
               if f.subject == a and f.predicate in ("HAS_SEGMENT", "OFFERS", "ACQUIRED", "LAUNCHED")}
        own |= {f.subject for a in anchor_ids for f in store.facts(a, predicate="OWNED_BY") if f.object == a}
        cand = [(e, f) for e, f in cand if e.id not in own]
    if typ:
        typed = [(e, f) for e, f in cand if e.type == typ]
        if typed:
            cand = typed
    # the asked class's modifiers: "cloud providers" are not the class entity "regional providers"
    mods = _class_modifiers(q)
    if mods and cand:
        cand = [(e, f) for e, f in cand if not _is_class_entity(e) or mods & _tokens(e.name)]
    # an arena or topic in the question ("in AI voice agents", "communication APIs")
    tw = _tokens(q) - {w for a in anchors for w in _tokens(" ".join([a.name, *a.aliases]))}
    cue_words = {_stem(n) for ns in qcues()["class_nouns"].values() for n in ns}
    tw = {w for w in tw if w not in cue_words and not any(re.search(p, w, re.I) for p in qcues()["relation_cues"].get(pred, []))}
    if tw and cand:
        # a fact with its own arena that shares nothing with the question's topic is off-topic
        # when other facts' arenas do share it ("communication APIs" vs "specific geographies")
        def arena_hits(f: Fact) -> int:
            return len(tw & _tokens(f.attrs.get("arena") or ""))
        best_arena = max(arena_hits(f) for _, f in cand)
        if best_arena:
            cand = [(e, f) for e, f in cand if not f.attrs.get("arena") or arena_hits(f) * 2 >= best_arena]
        def overlap(e: Entity, f: Fact) -> int:
            arena = f.attrs.get("arena") or ""
            return (len(tw & _tokens(arena)) + len(tw & _tokens(e.name))) * 2 + len(tw & _tokens(_evidence_text(f)))
        top = max(overlap(e, f) for e, f in cand)
        if top >= max(2, len(tw) // 2):
            cand = [(e, f) for e, f in cand if overlap(e, f) >= max(2, top // 2)]
    seen: dict[str, Entity] = {}
    facts: list[Fact] = []
    for e, f in cand:
        seen.setdefault(e.id, e)
        if f not in facts:
            facts.append(f)
    return list(seen.values()), facts


def _value_answer(store: GraphStore, q: str, links: list[Link]) -> GraphHit | None:
    if re.search(qcues()["superlative"], q, re.I) and re.search(r"^\s*(?:\w+\s+){0,2}?(?:which|what)\b", q, re.I):
        return None  # "which X is most ..." asks for a ranking, not one value
    qwords = _tokens(q)
    metric_links = [lk.entity for lk in links if lk.entity.type == "Metric"]
    has_metric_word = bool(metric_links) or any(lx.metric_head(w) for w in re.findall(r"[\w-]+", q.lower()))
    if not has_metric_word:
        return None
    subjects = [lk.entity for lk in links if lk.entity.type in ("Company", "Segment", "Product", "Technology", "Person")]
    penalty = 0.0
    if not subjects:
        # the report's main company (the best-connected one) is the implied subject
        companies = sorted(store.entities("Company"), key=lambda e: -len(store.facts(e.id)))
        if not companies:
            return None
        subjects, penalty = companies[:1], 0.1
    best: tuple[float, Fact] | None = None
    for subj in subjects:
        for f in store.metric_facts(subj.id):
            if f.subject != subj.id:
                continue
            s = _metric_score(f, q, qwords)
            if metric_links and any(f.object == m.id for m in metric_links):
                s += 0.5
            if best is None or s > best[0]:
                best = (s, f)
    if best is None or best[0] < 0.9:
        return None
    f = best[1]
    val = _value_text(f)
    text = val
    if f.unit == "%" and f.metric and f.metric.lower().startswith(("% of", "share of")):
        text = f"{val} of {_share_base(f)}"
    score = min(0.9, 0.45 + 0.25 * best[0]) - penalty
    return GraphHit("value", text, val, [f], score)
