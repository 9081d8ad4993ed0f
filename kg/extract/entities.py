"""Typing candidate names (companies, products, technologies, people), the document's focus company,
and locating every known name in every segment.

Typing adds weighted votes (:meth:`~kg.extract.state.DocState.mention`); the steps of
:func:`type_runs` run in order because later ones read the votes of earlier ones (a list with one
company is a list of companies; ``"<Company> <Name>"`` is a product only once the company is known).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from kg import lexicon as lx
from kg.extract.state import (
    COMPANY,
    INDICATOR,
    METRIC,
    PERSON,
    PRODUCT,
    SCENARIO,
    TECH,
    DocState,
    Launch,
    Occ,
    Owned,
    Run,
    Seg,
)
from kg.extract.text import clean_name

_LIST_SEP = r"\s*(?:,\s*(?:and|or)?|and|or|/)\s*"
_ACRONYM = re.compile(r"\b((?:[A-Za-z][\w-]*\s+){0,4}[A-Za-z][\w-]*)\s+\(([A-Z][A-Za-z]*[A-Z]s?(?:/[A-Z]{2,}s?)*)\)")


@dataclass(frozen=True)
class _Words:
    """The word lists every typing step reads."""

    suffixes: frozenset[str]
    generic: frozenset[str]
    counts: Counter[str]  # how often each run text occurs in the document


def coordinated(runs: list[Run], r: Run, text: str) -> list[Run]:
    """The runs listed together with ``r`` ("A, B, and C", "A or B", "(A, B, C)")."""
    rs = sorted(runs, key=lambda x: x.start)
    k = rs.index(r)
    out = [r]
    j = k
    while j + 1 < len(rs) and re.fullmatch(_LIST_SEP, text[rs[j].end : rs[j + 1].start]):
        j += 1
        out.append(rs[j])
    j = k
    while j > 0 and re.fullmatch(_LIST_SEP, text[rs[j - 1].end : rs[j].start]):
        j -= 1
        out.insert(0, rs[j])
    return out


def type_runs(st: DocState, runs: list[Run]) -> None:
    """Vote a type for the candidate names, from strong cues to weak ones."""
    w = _Words(lx.company_suffixes(), lx.generic_caps(), Counter(r.text for r in runs))
    _company_cues(st, runs, w)
    _bare_company_names(st, runs, w)
    _repeated_orgs(st, runs, w)
    _company_lists(st, w)
    companies = st.companies()
    _products(st, runs, companies)
    _bare_product_names(st, runs, companies, w)
    _technologies(st, runs, companies)
    _acronyms(st)
    _people(st, runs, companies, w)


def _company_cues(st: DocState, runs: list[Run], w: _Words) -> None:
    """Strong company cues: a corporate suffix, a ticker, "X (now Y)", a list after "competitors such as"."""
    c = lx.cues()
    lead_re = re.compile(
        r"(?:" + "|".join(re.escape(x) for x in sorted(c["list_lead_company"], key=len, reverse=True)) + r")\s*(?:\(\s*)?$",
        re.I,
    )
    for r in runs:
        seg = st.segs[r.seg]
        ui = seg.unit
        toks = r.text.split()
        after = seg.text[r.end :]
        in_heading = st.units[ui].kind == "heading" and w.counts[r.text] < 2
        if len(toks) >= 2 and toks[-1] in w.suffixes and toks[0].lower() not in w.generic and (r.propn or r.ner) and not in_heading:
            st.mention(r.text, COMPANY, 3.0, ui)
        m = re.match(r"\s*\(([A-Z]{2,5})\)", after)
        if m and r.text.lower() not in w.generic:
            st.mention(r.text, COMPANY, 4.0, ui, (m.group(1),), ticker=m.group(1))
        _now_owner(st, r, seg, w)
        if lead_re.search(seg.text[: r.start][-40:]):
            for other in coordinated(st.seg_runs[r.seg], r, seg.text):
                st.mention(other.text, COMPANY, 2.5, ui)


def _now_owner(st: DocState, r: Run, seg: Seg, w: _Words) -> None:
    """ "Name (now Owner)": the pattern itself is the cue; POS/NER only confirm it when a tagger
    ran (a blank pipeline tags nothing, and the owner must be capitalised either way)."""
    after = seg.text[r.end :]
    now = re.match(lx.cues()["now_owner"], after.lstrip()) if after.lstrip().startswith("(") else None
    if now and (r.propn or r.ner or not st.tagged) and r.text.split()[0].lower() not in w.generic:
        owner = clean_name(now.group("owner"))
        st.mention(r.text, COMPANY, 2.0, seg.unit, (seg.text[r.start : r.end + len(after) - len(after.lstrip()) + now.end()],))
        st.mention(owner, COMPANY, 2.0, seg.unit)
        st.owned.append(Owned(r.text, owner, seg.unit))


def _bare_company_names(st: DocState, runs: list[Run], w: _Words) -> None:
    """The bare name of a suffixed company ("Nimbus" for "Nimbus AI") is the same company."""
    suffixed = {
        n: " ".join(n.split()[:-1]) for n in st.types
        if st.weight(n, COMPANY) >= 3 and len(n.split()) >= 2 and n.split()[-1] in w.suffixes
    }
    bases = {b: n for n, b in suffixed.items() if b.lower() not in w.generic}
    for r in runs:
        if r.text in bases:
            st.mention(r.text, COMPANY, 0.5, st.segs[r.seg].unit)


def _repeated_orgs(st: DocState, runs: list[Run], w: _Words) -> None:
    """Organisations (spaCy NER) named at least three times."""
    seen: set[str] = set()
    for r in runs:
        if r.ner == "ORG" and w.counts[r.text] >= 3 and len(r.text) > 2 and r.text.lower() not in w.generic and r.text not in seen:
            seen.add(r.text)
            st.mention(r.text, COMPANY, 1.0, st.segs[r.seg].unit)


def _company_lists(st: DocState, w: _Words) -> None:
    """A list with one company in it is a list of companies."""
    for si, rs in st.seg_runs.items():
        text = st.segs[si].text
        for r in rs:
            if st.weight(r.text, COMPANY) >= 2.5:
                for other in coordinated(rs, r, text):
                    if other.text.split()[0].lower() not in w.generic and not st.product_prefix(other.text):
                        st.mention(other.text, COMPANY, 1.5, st.segs[si].unit)


def _products(st: DocState, runs: list[Run], companies: set[str]) -> None:
    """Products: "<Company> <Name>", a quoted name after a possessive, "X, launched in 2023"."""
    prod_heads = lx.word_set("product_heads")
    for r in runs:
        seg = st.segs[r.seg]
        ui = seg.unit
        owner = st.product_prefix(r.text, companies)
        if owner:
            rest = r.text[len(owner) :].strip()
            parts = [p for p in rest.split("/") if p] if re.fullmatch(r"[A-Z0-9]{2,6}(?:/[A-Z0-9]{2,6})+", rest) else [rest]
            for p in parts:
                pname = f"{owner} {p}"
                st.mention(pname, PRODUCT, 4.0, ui, (p,) if len(parts) > 1 else ())
                st.fact(owner, COMPANY, "OFFERS", ui, pname, PRODUCT)
        q = re.match(r'"', seg.text[r.start - 1 : r.start]) if r.start else None
        if q and seg.text[r.end : r.end + 1] == '"':
            owner_m = re.search(r"([A-Z][\w&.-]*(?: [A-Z][\w&.-]*)*)'s\s*\"?$", seg.text[: r.start].rstrip('"').rstrip() + '"')
            nxt = re.match(r'"\s+([a-z]+)', seg.text[r.end :])
            pname = r.text + (" " + nxt.group(1) if nxt and nxt.group(1) in prod_heads else "")
            st.mention(pname, PRODUCT, 3.5, ui, (r.text,) if pname != r.text else ())
            own = owner_m.group(1) if owner_m else None
            if own and own in companies:
                st.fact(own, COMPANY, "OFFERS", ui, pname, PRODUCT)
        lm = lx.cue_re("launch").match(seg.text[r.end :].lstrip(" ,"))
        if lm and seg.text[r.end : r.end + 2].startswith(","):
            year = re.match(r"\s*in\s+((?:19|20)\d\d)", seg.text[r.end :].lstrip(" ,")[lm.end() :])
            st.mention(r.text, PRODUCT, 3.0, ui)
            st.launches.append(Launch(st.product_prefix(r.text, companies), r.text, ui, int(year.group(1)) if year else None))


def _bare_product_names(st: DocState, runs: list[Run], companies: set[str], w: _Words) -> None:
    """ "CustomerAI" alone names the product "Acme CustomerAI"."""
    rests = {}
    for n in list(st.types):
        if st.weight(n, PRODUCT) >= 3:
            owner = st.product_prefix(n, companies)
            if owner:
                rests[n[len(owner) :].strip()] = n
    for r in runs:
        if r.text in rests and len(r.text) > 3 and r.text.lower() not in w.generic:
            st.mention(r.text, PRODUCT, 0.5, st.segs[r.seg].unit)


def _technologies(st: DocState, runs: list[Run], companies: set[str]) -> None:
    """Technologies: "<Name> containers", "<Name> Runtime"."""
    tech_heads = lx.word_set("tech_heads")
    tech_suffixes = set(lx.cues()["tech_suffixes"])
    for r in runs:
        seg = st.segs[r.seg]
        nxt = re.match(r"\s+([a-z][\w-]*)", seg.text[r.end :])
        toks = r.text.split()
        head_word = nxt and nxt.group(1).lower() in tech_heads and r.text not in companies and not (r.initial and not r.ner)
        if head_word or (len(toks) >= 2 and toks[-1] in tech_suffixes):
            st.mention(r.text, TECH, 2.0, seg.unit)


def _acronyms(st: DocState) -> None:
    """Acronym definitions: "Large Language Models (LLMs)", "security testing (SAST/DAST)"."""
    for seg in st.segs:
        for m in _ACRONYM.finditer(seg.text):
            long, acr = m.group(1), m.group(2)
            words = long.split()
            initials = "".join(w[0] for w in words).upper()
            acr_core = acr.rstrip("s").split("/")[0]
            n = len(acr_core)
            if len(words) >= n and initials[-n:] == acr_core.upper():
                name = " ".join(words[-n:])
                typ = METRIC if lx.metric_head(name) else TECH
                alias = (acr, acr.rstrip("s")) if acr.endswith("s") else (acr,)
                st.mention(name, typ, 2.0, seg.unit, alias)
            elif "/" in acr and len(words) >= 2:
                name = " ".join(words[-2:]) + f" ({acr})"
                st.mention(name, TECH, 2.0, seg.unit, (acr, *acr.split("/")))


def _people(st: DocState, runs: list[Run], companies: set[str], w: _Words) -> None:
    """People: a spaCy PERSON of two or three title-case words, in a sentence with a person cue."""
    pcue = lx.cue_re("person_context")
    for r in runs:
        seg = st.segs[r.seg]
        u = st.units[seg.unit]
        toks = r.text.split()
        if (
            r.ner == "PERSON" and 2 <= len(toks) <= 3 and u.kind in ("sentence", "list_item") and seg.col < 0
            and all(t[:1].isupper() and t[1:].islower() for t in toks)
            and not any(t.lower() in w.generic or t in w.suffixes for t in toks)
            and st.weight(r.text, COMPANY) == 0 and not st.product_prefix(r.text, companies)
            and pcue.search(seg.text)
        ):
            st.mention(r.text, PERSON, 3.0, seg.unit)


def pick_focus(st: DocState) -> None:
    """The document's focus: the company mentioned most (typed mentions plus occurrences in the text)."""
    counts: Counter[str] = Counter()
    for m in st.mentions:
        if m["type"] == COMPANY:
            counts[m["name"]] += 1
    for seg in st.segs:
        for name in list(counts):
            counts[name] += seg.text.count(name)
    st.focus = counts.most_common(1)[0][0] if counts else None


def locate(st: DocState) -> None:
    """Find every known entity name and alias in every segment (longest first, no overlaps)."""
    for seg in st.segs:
        seg.occ = []
    names: dict[str, str] = {}
    for n in st.types:
        t = st.type_of(n)
        if t is None or t in (METRIC, SCENARIO, INDICATOR):
            continue
        names[n] = t
        for a in st.aliases.get(n, ()):
            if a not in st.types and len(a) > 2:
                names.setdefault(a, t)
    canon = {a: n for n in st.types for a in st.aliases.get(n, ()) if a not in st.types}
    pats = []
    for n in sorted(names, key=len, reverse=True):
        flags = 0 if any(ch.isupper() for ch in n) else re.I
        pats.append((n, re.compile(r"(?<![\w-])" + re.escape(n) + r"(?![\w-])", flags)))
    for seg in st.segs:
        taken: list[tuple[int, int]] = []
        for n, p in pats:
            for m in p.finditer(seg.text):
                if any(not (m.end() <= a or m.start() >= b) for a, b in taken):
                    continue
                taken.append((m.start(), m.end()))
                real = canon.get(n, n)
                seg.occ.append(Occ(m.start(), m.end(), real, st.type_of(real) or names[n]))
        seg.occ.sort(key=lambda o: o.start)


def class_subjects(st: DocState, seg: Seg) -> None:
    """Classes of competitors as subjects of a cue verb: "regional providers undercut ..." names the
    class "regional providers" (a Company; a Product for "apps", "solutions")."""
    sp = seg.sp
    if sp is None or not len(sp) or not sp.has_annotation("DEP"):
        return
    cue = re.compile(lx.cue_re("compete").pattern + "|" + lx.cue_re("threaten").pattern, re.I)
    cls_nouns = lx.word_set("company_class_nouns") | lx.word_set("product_class_nouns")
    for t in sp:
        if t.dep_ in ("nsubj", "nsubjpass") and t.text.lower() in cls_nouns and t.tag_ in ("NNS", "NNPS"):
            verb = t.head
            if not cue.search(seg.text[verb.idx : verb.idx + len(verb.text) + 12]):
                continue
            left = [x for x in t.subtree if x.i <= t.i]
            k = len(left) - 1
            while k > 0 and left[k - 1].i == left[k].i - 1 and left[k - 1].dep_ not in ("det", "predet") and left[
                k - 1
            ].pos_ not in ("DET", "PRON", "ADV", "CCONJ"):
                p = left[k - 1]
                if p.is_punct and not (p.text == "-" and p.whitespace_ == "" and k >= 2 and left[k - 2].whitespace_ == ""):
                    break
                k -= 1
            left = left[k:]
            if len(left) < 2 or all(x.text.lower() in lx.generic_caps() or x.is_punct for x in left[:-1]):
                continue
            a = left[0].idx
            if any(o.start <= a < o.end for o in seg.occ):
                continue
            typ = COMPANY if t.text.lower() in lx.word_set("company_class_nouns") else PRODUCT
            name = st.mention(seg.text[a : t.idx + len(t.text)], typ, 1.5, seg.unit)
            seg.occ.append(Occ(a, t.idx + len(t.text), name, typ))
            seg.occ.sort(key=lambda o: o.start)
