"""Relations between entities, read from cue verbs around located names.

``COMPETES_WITH`` / ``THREATENS`` (with the arena of competition), ``ACQUIRED`` (with price and
year), ``OWNED_BY``, ``USES`` (with a role), ``SOLD_SHARES``, ``LAUNCHED``, ``HAS_SEGMENT`` and the
``TRACKS`` of leading indicators. The cue phrases are lists of ``kg/data/cues.json``; a subject
that is not named falls back to the entity of the section heading, then to the document's focus.
"""

from __future__ import annotations

import re

from core.values import find_values
from kg import lexicon as lx
from kg.extract.metrics import metric_fact
from kg.extract.state import (
    ACTOR_TYPES,
    COMPANY,
    INDICATOR,
    METRIC,
    PERSON,
    PRODUCT,
    SEGMENT,
    TECH,
    DocState,
    Named,
    Occ,
    Seg,
)
from kg.extract.text import arena, clean_name, first_chunk, short_list, top_level_split

_COUNTERFACTUAL = re.compile(r"\b(?:would|could|might|should|previously|once)\b[\w\s]{0,20}$")
_USED_AS = {COMPANY: COMPANY, SEGMENT: PRODUCT, PRODUCT: PRODUCT}  # the type of a used object; else Technology
_USES_STOP = re.compile(r"[;.](?:\s|$)| - |, (?:allowing|enabling|which|while)\b|\s+to\s+[a-z]+\b")


def relations(st: DocState) -> None:
    """Every relation of the document (names must be located first)."""
    for launch in st.launches:
        subj = launch.owner or st.focus
        if subj:
            st.fact(subj, COMPANY, "LAUNCHED", launch.unit, launch.product, PRODUCT, attrs={"year": launch.year})
    for own in st.owned:
        st.fact(own.owned, st.type_of(own.owned) or COMPANY, "OWNED_BY", own.unit, own.owner, COMPANY)
    for si, seg in enumerate(st.segs):
        compete_threat(st, seg)
        acquire(st, seg)
        owned_by(st, seg)
        uses(st, si, seg)
        shares(st, seg)
    table_relations(st)


def table_relations(st: DocState) -> None:
    """Entity tables: segments belong to the focus company (or the company in the header);
    technologies are used by it, or use the technologies of their stack column."""
    for ui, (label, typ) in st.row_entity.items():
        hdr = " ".join(st.headers.get(ui, []))
        owner = next((n for n in st.types if st.weight(n, COMPANY) >= 1.5 and n in hdr), None) or st.focus
        if not owner:
            continue
        if typ == SEGMENT:
            st.fact(owner, COMPANY, "HAS_SEGMENT", ui, label, SEGMENT)
        elif typ == TECH and re.search(r"\b(?:impact on|position|how)\b", hdr, re.I):
            st.fact(owner, COMPANY, "USES", ui, label, TECH, attrs={"role": label.lower()})
            listed = {it.lower() for s in st.unit_segs[ui] for it in short_list(st.segs[s].text)}
            for s in st.unit_segs[ui]:
                for o in st.segs[s].occ:
                    if o.type == TECH and o.name != label and o.name.lower() not in listed:
                        st.fact(owner, COMPANY, "USES", ui, o.name, TECH, attrs={"role": label.lower()})
        elif typ == TECH:
            for s in st.unit_segs[ui][1:]:
                seg = st.segs[s]
                if seg.header and any(h in seg.header.lower() for h in lx.cues()["stack_headers"]):
                    tech = first_chunk(seg.text)
                    if tech:
                        st.fact(label, TECH, "USES", ui, tech[0], TECH, attrs={"role": seg.header})


def compete_threat(st: DocState, seg: Seg) -> None:
    """ "X and Y compete with Acme in Z" / "X threatens Acme's W": actors against the row entity of a
    table, else against the document's focus."""
    ui = seg.unit
    comp = lx.cue_re("compete").search(seg.text)
    threat = lx.cue_re("threaten").search(seg.text)
    if not comp and not threat:
        return
    row = st.row_entity.get(ui) if seg.col > 0 else None
    other_side = row[0] if row else st.focus
    other_type = row[1] if row else COMPANY
    actors = [o for o in seg.occ if o.type in (COMPANY, PRODUCT) and o.name != other_side]
    if not actors or not other_side:
        return
    cue = comp or threat
    comps = list(lx.cue_re("compete").finditer(seg.text)) if comp else []
    target = threat_target(st, seg, threat.end()) if threat else None
    for a in actors:
        if comp or (a.type == COMPANY and a.start < cue.start() and (target is None or target[0] != a.name)):
            # each actor's own arena: the compete cue of its clause ("X offer competing APIs, and
            # Y undercut Z on price in some region" gives X the APIs and Y the region)
            own = next((c for c in comps if c.start() >= a.end), comps[-1] if comps else None)
            where = arena(seg.text, own.end(), tight=own.start() >= a.end) if own else None
            st.fact(a.name, a.type, "COMPETES_WITH", ui, other_side, other_type, attrs={"arena": where})
    if threat and target:
        for a in actors:
            if a.start < threat.start() and target[0] != a.name:
                st.fact(a.name, a.type, "THREATENS", ui, target[0], target[1])


def threat_target(st: DocState, seg: Seg, after: int) -> Named | None:
    """What a threat cue ending at ``after`` threatens: a name in its clause, or an entity one of
    whose aliases shares an acronym-like word with the clause."""
    clause = re.split(r"[;,.]", seg.text[after:], maxsplit=1)[0]
    for o in seg.occ:
        if o.start >= after and o.end <= after + len(clause) and o.type in ACTOR_TYPES:
            return o.name, o.type
    words = set(re.findall(r"\b[A-Z][\w-]*[A-Z][\w-]*\b|\b[A-Z]{2,}\w*\b", clause))
    for n, al in st.aliases.items():
        for a in al:
            if words & set(a.split()) and st.type_of(n) in (SEGMENT, PRODUCT, COMPANY):
                return n, st.type_of(n) or SEGMENT
    return None


def acquire(st: DocState, seg: Seg) -> None:
    """ "Acme acquired Segment for $3.2 billion in 2020": the acquisition, and its price as a metric fact."""
    m = lx.cue_re("acquire").search(seg.text)
    if not m or re.search(r"acquired by|bought by", seg.text[m.start() : m.end() + 3]):
        return
    after = [o for o in seg.occ if o.start >= m.end() and o.type in ACTOR_TYPES]
    if not after:
        run = re.match(r"\s+([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)", seg.text[m.end() :])
        if not run:
            return
        target = (clean_name(run.group(1)), COMPANY)
    else:
        target = (after[0].name, after[0].type)
    before = [o for o in seg.occ if o.end <= m.start() and o.type == COMPANY]
    buyer = before[-1].name if before else st.focus
    if not buyer:
        return
    vals = find_values(seg.text[m.end() :])
    price = next((v for v in vals if v.kind == "money"), None)
    year = next((v for v in vals if v.kind == "year"), None)
    attrs = {"price_usd": price.value if price else None, "year": int(year.value) if year else None,
             "price": price.surface if price else None}
    st.fact(buyer, COMPANY, "ACQUIRED", seg.unit, target[0], target[1], attrs=attrs)
    if price:
        st.used_values.add((id(seg), m.end() + price.start))
        metric_fact(st, seg, target[0], target[1], "acquisition price", price,
                    str(int(year.value)) if year else None, None)


def owned_by(st: DocState, seg: Seg) -> None:
    """ "X, owned by Y" / "X (a subsidiary of Y)"."""
    own = lx.cue_re("owned_by")
    for o in seg.occ:
        m = own.match(seg.text[o.end :].lstrip(" ,("))
        if m:
            rest = seg.text[o.end :].lstrip(" ,(")[m.end() :]
            nxt = next((x for x in seg.occ if x.start > o.end and seg.text.find(rest[:10], o.end) <= x.start and x.type == COMPANY), None)
            if nxt:
                st.fact(o.name, o.type, "OWNED_BY", seg.unit, nxt.name, COMPANY)


def _uses_cue() -> re.Pattern[str]:
    return re.compile(
        r"(?<![\w-])(?:" + "|".join(re.escape(x) for x in sorted(lx.cues()["uses_strong"], key=len, reverse=True))
        + r"|(?:(?<=service )|(?<=services )|(?<=inference )|(?<=workload )|(?<=workloads ))on)(?![\w-])",
        re.I,
    )


def uses(st: DocState, si: int, seg: Seg) -> None:
    """ "Acme runs its compute on AWS and analytics on Azure": ``USES`` with the role of each object."""
    pat = _uses_cue()
    for m in pat.finditer(seg.text):
        if _COUNTERFACTUAL.search(seg.text[: m.start()]):
            continue  # counterfactual: "workloads that would previously have run on X"
        clause_start = max(seg.text.rfind(";", 0, m.start()), seg.text.rfind(". ", 0, m.start()))
        before = [o for o in seg.occ if o.end <= m.start() and o.type in ACTOR_TYPES and o.start > clause_start]
        subj = (before[-1].name, before[-1].type) if before else (
            st.heading_entity(seg.unit) or ((st.focus, COMPANY) if st.focus else None))
        if subj is None:
            continue
        end = _uses_end(seg, pat, m.end())
        objs = [o for o in seg.occ if m.end() <= o.start < end and o.name != subj[0] and o.type in ACTOR_TYPES
                and not subj[0].startswith(o.name + " ")]
        label = re.match(r"^([A-Z][\w -]{1,30}):\s", seg.text)
        if label and st.heading_entity(seg.unit) and (not before or before[-1].type == TECH):
            # "Deployment: Containerized LLM inference service on X" under a product's heading
            subj = st.heading_entity(seg.unit) or subj
            objs = [o for o in seg.occ if o.type == TECH and o.start > label.end() and o.name != subj[0]] + [
                o for o in objs if o.type != TECH]
        objs += _unlocated_objects(st, si, seg, subj[0], m.end(), end)
        objs.sort(key=lambda o: o.start)
        _record_uses(st, seg, subj, objs, end)
        if not any(o.start >= m.end() for o in objs):
            _uses_capitalised(st, seg, subj, m.end())


def _uses_end(seg: Seg, pat: re.Pattern[str], at: int) -> int:
    """Where the objects of a uses cue ending at ``at`` stop: the clause end, or the next cue that
    has its own objects."""
    end = len(seg.text)
    nxt_cue = pat.search(seg.text, at)
    stop = _USES_STOP.search(seg.text[at:])
    if stop:
        end = at + stop.start()
    if nxt_cue and nxt_cue.start() < end and any(o.start > nxt_cue.start() for o in seg.occ):
        end = min(end, nxt_cue.start())
    return end


def _unlocated_objects(st: DocState, si: int, seg: Seg, subj: str, start: int, end: int) -> list[Occ]:
    """Candidate names between ``start`` and ``end`` that are not known entities yet: technologies."""
    out = []
    for r in st.seg_runs.get(si, []):
        if (start <= r.start < end and not any(o.start < r.end and r.start < o.end for o in seg.occ)
                and r.text != subj and r.text.split()[0].lower() not in lx.generic_caps()):
            name = st.mention(r.text, TECH, 0.5, seg.unit)
            out.append(Occ(r.start, r.end, name, st.type_of(name) or TECH))
    return out


def _record_uses(st: DocState, seg: Seg, subj: Named, objs: list[Occ], end: int) -> None:
    """One ``USES`` fact per object, with the role that follows it ("AWS for compute")."""
    for k, o in enumerate(objs):
        nxt_start = objs[k + 1].start if k + 1 < len(objs) else end
        role_m = re.match(r"(?:'s\s+[\w -]+?)?\s+for\s+([\w -]+?)(?:,|\s+and\b|$)", seg.text[o.end : nxt_start])
        role = role_m.group(1).strip() if role_m else None
        if o.type not in (COMPANY, SEGMENT, PRODUCT):
            st.mention(o.name, TECH, 1.0, seg.unit)
        ot = _USED_AS.get(o.type, TECH)
        st.fact(subj[0], subj[1], "USES", seg.unit, o.name, ot, attrs={"role": role})


def _uses_capitalised(st: DocState, seg: Seg, subj: Named, at: int) -> None:
    """No known object after the cue: a capitalised run right after it is a technology."""
    run = re.match(r"\s+(?:the\s+)?([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)(?:\s+for\s+([\w -]+))?", seg.text[at:])
    if run and run.group(1).lower() not in lx.generic_caps():
        name = clean_name(run.group(1))
        st.mention(name, TECH, 1.5, seg.unit)
        st.fact(subj[0], subj[1], "USES", seg.unit, name, TECH, attrs={"role": (run.group(2) or "").strip() or None})


def shares(st: DocState, seg: Seg) -> None:
    """ "Jane Doe sold 30% of her Acme shares": ``SOLD_SHARES`` with the fraction."""
    if not (lx.cue_re("sell_shares").search(seg.text) and lx.cue_re("shares").search(seg.text)):
        return
    people = [o for o in seg.occ if o.type == PERSON]
    if not people:
        return
    comp = next((o.name for o in seg.occ if o.type == COMPANY and re.match(r"'s\s+(?:shares|stock)", seg.text[o.end :])), None)
    comp = comp or st.focus
    frac = next((v for v in find_values(seg.text) if v.kind == "percent"), None)
    for p in people:
        if comp:
            st.fact(p.name, PERSON, "SOLD_SHARES", seg.unit, comp, COMPANY,
                    attrs={"fraction_of_shares": frac.value if frac else None, "company": comp})


def indicators(st: DocState) -> None:
    """ "Leading indicators to watch: churn (rising), NRR, ...": Indicators, and what each tracks."""
    lead = lx.cue_re("indicator_lead")
    for seg in st.segs:
        m = lead.search(seg.text)
        if not m:
            continue
        body = seg.text[m.end() :].strip().rstrip(".")
        for item in top_level_split(body):
            item = re.sub(r"^(?:and|or)\s+", "", item.strip())
            note = re.search(r"\(([^)]*)\)", item)
            name = re.sub(r"\s*\([^)]*\)", "", item).strip()
            if len(name.split()) > 6 and " in " in name:
                name = name[: name.rfind(" in ")].strip()
            if not name or len(name.split()) > 12:
                continue
            st.mention(name, INDICATOR, 3.0, seg.unit, signal=note.group(1) if note else None)
            target = indicator_target(st, name)
            if target:
                st.fact(name, INDICATOR, "TRACKS", seg.unit, target[0], target[1],
                        attrs={"signal": note.group(1) if note else None})


def indicator_target(st: DocState, name: str) -> Named | None:
    """The metric an indicator's name contains (longest first), else another entity it names."""
    low = name.lower()
    metrics_ = sorted((n for n in st.types if st.type_of(n) == METRIC and n.lower() in low), key=len, reverse=True)
    if metrics_:
        return metrics_[0], METRIC
    for n in sorted(st.types, key=len, reverse=True):
        t = st.type_of(n)
        if t in (PRODUCT, COMPANY, SEGMENT, TECH) and n != st.focus and re.search(r"(?<![\w-])" + re.escape(n) + r"(?![\w-])", name):
            return n, t
    return None
