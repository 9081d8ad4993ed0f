"""Per-document extraction of typed entity mentions, relations and metric facts, with evidence.

Works offline on any report: capitalisation and noun-phrase cues, table structure (row labels,
column headers), cue words for verbs and entity classes read from ``kg/data``, the value
parser of :mod:`core.values`, and spaCy POS/dependency/NER when the model is installed.

The result is a JSON-ready dict (cached per document sha256 by the pipeline)::

    {"doc", "sha256", "version", "focus",
     "mentions": [{"name", "type", "w", "aliases", "attrs", "ev"}],
     "facts": [{"s", "st", "p", "o", "ot", "metric", "value", ..., "attrs", "ev"}]}

``ev`` is ``[doc, start, end, text]`` with ``raw[start:end] == text`` (a whole unit: the
sentence, list item or table row).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from core.types import Document, Unit
from core.values import Value, find_values
from kg import lexicon as lx

EXTRACT_VERSION = 4

COMPANY, PRODUCT, TECH, PERSON, SEGMENT, METRIC, SCENARIO, INDICATOR = (
    "Company", "Product", "Technology", "Person", "Segment", "Metric", "Scenario", "Indicator",
)
ACTOR_TYPES = {COMPANY, PRODUCT, TECH, SEGMENT, PERSON}
PRONOUNS = {"it", "its", "the company", "the firm", "the group", "company", "management", "we", "our"}


@dataclass
class Seg:
    """A piece of text analysed on its own: a unit, or one cell of a table row."""

    unit: int
    text: str
    header: str | None = None
    col: int = -1
    sp: Any = None
    occ: list[Occ] = field(default_factory=list)


@dataclass
class Occ:
    """An occurrence of a known name inside a segment."""

    start: int
    end: int
    name: str
    type: str


@dataclass
class Run:
    seg: int
    start: int
    end: int
    text: str
    initial: bool
    propn: bool
    ner: str | None


def _ev(doc: Document, u: Unit) -> list[Any]:
    return [doc.id, u.start, u.end, doc.raw[u.start : u.end]]


def clean_name(name: str) -> str:
    """Trim quotes, possessives and punctuation around a name."""
    n = " ".join(name.split()).strip(" \"'.,;:[]")
    while n.endswith(")") and n.count("(") < n.count(")"):
        n = n[:-1].rstrip()
    while n.startswith("(") and n.count("(") > n.count(")"):
        n = n[1:].lstrip()
    if n.count("(") > n.count(")"):
        n = n + ")"
    n = re.sub(r"['’]s$", "", n)
    return n.strip(" \"'-")


def _split_cells(text: str, headers: list[str]) -> list[tuple[str | None, int, str]]:
    """Cells of a ``Header: cell; Header: cell`` row text as ``(header, offset, cell)``."""
    if not headers:
        return [(None, 0, text)]
    cuts: list[tuple[int, int, str]] = []
    pos = 0
    for k, h in enumerate(headers):
        marker = f"{h}: "
        at = text.find(marker, pos) if k else (0 if text.startswith(marker) else -1)
        if k and at > 0 and text[at - 2 : at] != "; ":
            at = text.find("; " + marker, pos)
            at = at + 2 if at >= 0 else -1
        if at < 0:
            continue
        cuts.append((at, at + len(marker), h))
        pos = at + len(marker)
    if not cuts:
        return [(None, 0, text)]
    out = []
    for i, (_a, b, h) in enumerate(cuts):
        end = cuts[i + 1][0] - 2 if i + 1 < len(cuts) else len(text)
        out.append((h, b, text[b:end].strip()))
    return out


class Extractor:
    def __init__(self, doc: Document, units: list[Unit]) -> None:
        from kg.nlp import nlp

        self.doc = doc
        self.units = [u for u in units if u.doc == doc.id]
        self.nlp = nlp()
        self._tagged = bool({"tagger", "morphologizer"} & set(getattr(self.nlp, "pipe_names", ())))
        self.mentions: list[dict[str, Any]] = []
        self.facts: list[dict[str, Any]] = []
        self.types: dict[str, Counter[str]] = defaultdict(Counter)  # name -> type weights
        self.aliases: dict[str, set[str]] = defaultdict(set)
        self.headers: dict[int, list[str]] = {}
        self.segs: list[Seg] = []
        self.unit_segs: dict[int, list[int]] = defaultdict(list)
        self.focus: str | None = None
        self.row_entity: dict[int, tuple[str, str]] = {}
        self.scenario_of: dict[int, tuple[str, str]] = {}
        self.used_values: set[tuple[int, int]] = set()

    # ---- bookkeeping -------------------------------------------------------------------

    def mention(self, name: str, typ: str, w: float, ui: int, aliases: tuple[str, ...] = (), **attrs: Any) -> str:
        name = clean_name(name)
        if not name or len(name) < 2:
            return name
        self.types[name][typ] += w
        for a in aliases:
            a = clean_name(a)
            if a and a != name:
                self.aliases[name].add(a)
        self.mentions.append(
            {"name": name, "type": typ, "w": w, "aliases": sorted({clean_name(a) for a in aliases} - {name, ""}),
             "attrs": attrs, "ev": _ev(self.doc, self.units[ui])}
        )
        return name

    def fact(self, s: str, st: str, p: str, ui: int, o: str | None = None, ot: str | None = None, **kw: Any) -> None:
        if not s or (o is not None and (not o or o == s)):
            return
        self.mention(s, st, 0.25, ui)
        if o is not None and ot is not None:
            self.mention(o, ot, 0.25, ui)
        f = {"s": s, "st": st, "p": p, "o": o, "ot": ot, "ev": _ev(self.doc, self.units[ui])}
        attrs = kw.pop("attrs", {}) or {}
        f.update({k: v for k, v in kw.items() if v is not None})
        f["attrs"] = {k: v for k, v in attrs.items() if v not in (None, "")}
        self.facts.append(f)

    def type_of(self, name: str) -> str | None:
        c = self.types.get(name)
        if not c:
            return None
        if c.get(PERSON, 0) >= 2:
            return PERSON
        return c.most_common(1)[0][0]

    def weight(self, name: str, typ: str | None = None) -> float:
        c = self.types.get(name)
        if not c:
            return 0.0
        return c.get(typ, 0.0) if typ else sum(c.values())

    # ---- driver --------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self._segments()
        runs = self._runs()
        self.seg_runs: dict[int, list[Run]] = defaultdict(list)
        for r in runs:
            self.seg_runs[r.seg].append(r)
        self._structure()
        self._type_runs(runs)
        self._focus()
        self._locate()
        for seg in self.segs:
            self._class_subjects(seg)
        self._locate()
        self._relations()
        self._metrics()
        self._indicators()
        return {
            "doc": self.doc.id, "sha256": self.doc.sha256, "version": EXTRACT_VERSION, "focus": self.focus,
            "mentions": self.mentions, "facts": self.facts,
        }

    def _segments(self) -> None:
        last_header: list[str] = []
        section = None
        for i, u in enumerate(self.units):
            if u.section != section:
                section, last_header = u.section, []
            if u.kind == "heading" and " | " in u.text:
                last_header = [h.strip() for h in u.text.split(" | ")]
                continue
            if u.kind == "table_row":
                self.headers[i] = last_header
                for col, (h, _off, cell) in enumerate(_split_cells(u.text, last_header)):
                    if cell:
                        self.unit_segs[i].append(len(self.segs))
                        self.segs.append(Seg(i, cell, h, col))
                continue
            last_header = [] if u.kind != "table_row" else last_header
            self.unit_segs[i].append(len(self.segs))
            self.segs.append(Seg(i, u.text))
        for seg, sp in zip(self.segs, self.nlp.pipe([s.text for s in self.segs], batch_size=64), strict=True):
            seg.sp = sp

    # ---- candidate names -----------------------------------------------------------------

    def _runs(self) -> list[Run]:
        out: list[Run] = []
        generic = lx.generic_caps()
        for si, seg in enumerate(self.segs):
            sp = seg.sp
            ner = {}
            for e in getattr(sp, "ents", ()):
                for t in e:
                    ner[t.i] = e.label_
            toks = list(sp)
            i = 0
            while i < len(toks):
                t = toks[i]
                if not _namey(t.text):
                    i += 1
                    continue
                j = i
                while j + 1 < len(toks):
                    nxt = toks[j + 1]
                    if (_namey(nxt.text) and toks[j].whitespace_ != "" and toks[j].text not in ("'s",)) or (_namey(nxt.text) and toks[j].whitespace_ == "" and toks[j].text not in ("'s",)):
                        j += 1
                    elif nxt.text in ("&", "-", "/", "of") and j + 2 < len(toks) and _namey(toks[j + 2].text) and (
                        nxt.text != "-" or (toks[j].whitespace_ == "" and nxt.whitespace_ == "")
                    ):
                        j += 2
                    else:
                        break
                span = toks[i : j + 1]
                # trim generic words at both ends (keep a company suffix at the end)
                while span and (span[0].text in ("&", "-", "/", "of") or (
                    span[0].text.lower() in generic and (len(span) == 1 or span[0].whitespace_ != "")
                )):
                    span = span[1:]
                while len(span) > 1 and (span[-1].text in ("&", "-", "/", "of") or (
                    span[-1].text.lower() in generic and span[-1].text not in lx.company_suffixes()
                )):
                    span = span[:-1]
                if span and not all(x.text.lower() in generic for x in span) and not (
                    len(span) == 1 and span[0].text.lower() in generic):
                    a, b = span[0].idx, span[-1].idx + len(span[-1].text)
                    text = seg.text[a:b]
                    initial = span[0].i == 0 or span[0].is_sent_start or seg.text[: span[0].idx].rstrip().endswith((":", "-", "|"))
                    propn = any(x.pos_ == "PROPN" for x in span)
                    labels = [ner.get(x.i) for x in span if ner.get(x.i)]
                    out.append(Run(si, a, b, text, bool(initial), propn, labels[0] if labels else None))
                i = j + 1
        return out

    # ---- structure: tables, headings ----------------------------------------------------

    def _structure(self) -> None:
        """Row labels of entity tables, scenario sections, segment appositions."""
        c = lx.cues()
        seg_h = [h.lower() for h in c["segment_headers"]]
        tech_h = [h.lower() for h in c["tech_headers"]]
        stack_h = [h.lower() for h in c["stack_headers"]]
        for ui, hdr in self.headers.items():
            if not hdr:
                continue
            first = hdr[0].lower()
            segs = [self.segs[k] for k in self.unit_segs[ui]]
            if not segs or segs[0].col != 0:
                continue
            label_raw = segs[0].text
            label = clean_name(re.sub(r"\s*\([^)]*\)\s*$", "", label_raw))
            if not label or len(label.split()) > 7:
                continue
            typ = None
            if any(first == h or first.endswith(h) or first.startswith(h) for h in seg_h):
                typ = SEGMENT
            elif any(h in first for h in tech_h):
                typ = TECH
            if typ is None:
                continue
            aliases = (label_raw,) if label_raw != label else ()
            self.mention(label, typ, 5.0 if typ == SEGMENT else 3.0, ui, aliases)
            self.row_entity[ui] = (label, typ)
            for s in segs[1:]:
                if s.header and any(h == s.header.lower() or s.header.lower().endswith(h) for h in stack_h):
                    tech = _first_chunk(s)
                    if tech:
                        self.mention(tech[0], TECH, 3.0, ui, tech[1])
            # a cell listing short items ("Spot instances, reserved capacity, and savings plans.")
            if typ == TECH:
                for s in segs[1:]:
                    items = _short_list(s.text)
                    for it in items:
                        self.mention(it, TECH, 1.5, ui)
        # scenario headings: every unit below one belongs to it
        scen_res = [re.compile(p, re.I) for p in c["scenario_headings"]]
        current: tuple[str, str] | None = None
        cur_section = None
        for i, u in enumerate(self.units):
            if u.kind == "heading" and " | " not in u.text:
                m = next((r.search(u.text) for r in scen_res if r.search(u.text)), None)
                if m:
                    key = re.sub(r"[ -]case$", "", m.group(0).lower()).replace("-", " ")
                    name = u.text.strip()
                    self.mention(name, SCENARIO, 5.0, i, attrs_key=key) if False else self.mention(name, SCENARIO, 5.0, i)
                    current, cur_section = (name, key), u.section
                    continue
                if (current and not u.section.startswith(cur_section or "\0")) or (current and u.section != cur_section and not u.section.startswith(cur_section + " > ")):
                    current = None
            if current and cur_section and u.section == cur_section:
                self.scenario_of[i] = current
        # "The communications segment - Acme's legacy CPaaS business - ..." -> aliases
        app = re.compile(r"\b[Tt]he ([\w&/-]+(?: [\w&/-]+)?) (segment|business|division|unit) - ((?:[A-Z][\w-]*'s )?[^-;]{3,60}?) - ")
        seg_names = {n.lower(): n for n, cnt in self.types.items() if cnt.get(SEGMENT)}
        for i, u in enumerate(self.units):
            for m in app.finditer(u.text):
                target = seg_names.get(m.group(1).lower())
                if target:
                    appo = re.sub(r"^[A-Z][\w-]*'s ", "", m.group(3)).strip()
                    self.mention(target, SEGMENT, 1.0, i, (f"{m.group(1)} {m.group(2)}", appo))

    # ---- typing -----------------------------------------------------------------------------

    def _type_runs(self, runs: list[Run]) -> None:
        c = lx.cues()
        suffixes = lx.company_suffixes()
        generic = lx.generic_caps()
        by_seg: dict[int, list[Run]] = defaultdict(list)
        for r in runs:
            by_seg[r.seg].append(r)
        counts = Counter(r.text for r in runs)
        lead_re = re.compile(
            r"(?:" + "|".join(re.escape(x) for x in sorted(c["list_lead_company"], key=len, reverse=True)) + r")\s*(?:\(\s*)?$",
            re.I,
        )
        lx.word_set("company_class_nouns")
        # pass 1: strong company cues
        for r in runs:
            seg = self.segs[r.seg]
            ui = seg.unit
            toks = r.text.split()
            before = seg.text[: r.start]
            after = seg.text[r.end :]
            in_heading = self.units[ui].kind == "heading" and counts[r.text] < 2
            if len(toks) >= 2 and toks[-1] in suffixes and toks[0].lower() not in generic and (r.propn or r.ner) and not in_heading:
                self.mention(r.text, COMPANY, 3.0, ui)
            m = re.match(r"\s*\(([A-Z]{2,5})\)", after)
            if m and r.text.lower() not in generic:
                self.mention(r.text, COMPANY, 4.0, ui, (m.group(1),), ticker=m.group(1))
            now = re.match(lx.cues()["now_owner"], after.lstrip()) if after.lstrip().startswith("(") else None
            # "Name (now Owner)": the pattern itself is the cue; POS/NER only confirm it when a tagger
            # ran (a blank pipeline tags nothing, and the owner must be capitalised either way)
            if now and (r.propn or r.ner or not self._tagged) and r.text.split()[0].lower() not in generic:
                owner = clean_name(now.group("owner"))
                self.mention(r.text, COMPANY, 2.0, ui, (seg.text[r.start : r.end + len(after) - len(after.lstrip()) + now.end()],))
                self.mention(owner, COMPANY, 2.0, ui)
                self._pending_owned.append((r.text, owner, ui))
            if lead_re.search(before[-40:]):
                for other in _coordinated(by_seg[r.seg], r, seg.text):
                    self.mention(other.text, COMPANY, 2.5, ui)
        # the bare name of a suffixed company ("Nimbus" for "Nimbus AI") is the same company
        suffixed = {n: " ".join(n.split()[:-1]) for n in self.types if self.weight(n, COMPANY) >= 3 and len(n.split()) >= 2 and n.split()[-1] in suffixes}
        bases = {b: n for n, b in suffixed.items() if b.lower() not in generic}
        for r in runs:
            if r.text in bases:
                self.mention(r.text, COMPANY, 0.5, self.segs[r.seg].unit)
        # NER organisations seen repeatedly
        seen_org: set[str] = set()
        for r in runs:
            if r.ner == "ORG" and counts[r.text] >= 3 and len(r.text) > 2 and r.text.lower() not in generic and r.text not in seen_org:
                seen_org.add(r.text)
                self.mention(r.text, COMPANY, 1.0, self.segs[r.seg].unit)
        # coordination: a list with one company is a list of companies
        for si, rs in by_seg.items():
            text = self.segs[si].text
            for r in rs:
                if self.weight(r.text, COMPANY) >= 2.5:
                    for other in _coordinated(rs, r, text):
                        if other.text.split()[0].lower() not in generic and not self._product_prefix(other.text):
                            self.mention(other.text, COMPANY, 1.5, self.segs[si].unit)
        companies = {n for n in self.types if self.weight(n, COMPANY) >= 1.0}
        # products: "<Company> <Name>", quoted names after a possessive, "X, launched in 2023"
        prod_heads = lx.word_set("product_heads")
        for r in runs:
            seg = self.segs[r.seg]
            ui = seg.unit
            owner = self._product_prefix(r.text, companies)
            if owner:
                rest = r.text[len(owner) :].strip()
                parts = [p for p in rest.split("/") if p] if re.fullmatch(r"[A-Z0-9]{2,6}(?:/[A-Z0-9]{2,6})+", rest) else [rest]
                for p in parts:
                    pname = f"{owner} {p}"
                    self.mention(pname, PRODUCT, 4.0, ui, (p,) if len(parts) > 1 else ())
                    self.fact(owner, COMPANY, "OFFERS", ui, pname, PRODUCT)
            q = re.match(r'"', seg.text[r.start - 1 : r.start]) if r.start else None
            if q and seg.text[r.end : r.end + 1] == '"':
                owner_m = re.search(r"([A-Z][\w&.-]*(?: [A-Z][\w&.-]*)*)'s\s*\"?$", seg.text[: r.start].rstrip('"').rstrip() + '"')
                nxt = re.match(r'"\s+([a-z]+)', seg.text[r.end :])
                pname = r.text + (" " + nxt.group(1) if nxt and nxt.group(1) in prod_heads else "")
                self.mention(pname, PRODUCT, 3.5, ui, (r.text,) if pname != r.text else ())
                own = owner_m.group(1) if owner_m else None
                if own and own in companies:
                    self.fact(own, COMPANY, "OFFERS", ui, pname, PRODUCT)
            lm = lx.cue_re("launch").match(seg.text[r.end :].lstrip(" ,"))
            if lm and seg.text[r.end : r.end + 2].startswith(","):
                year = re.match(r"\s*in\s+((?:19|20)\d\d)", seg.text[r.end :].lstrip(" ,")[lm.end() :])
                self.mention(r.text, PRODUCT, 3.0, ui)
                owner = self._product_prefix(r.text, companies)
                self._pending_launch.append((owner, r.text, ui, int(year.group(1)) if year else None))
        # "CustomerAI" alone names the product "Acme CustomerAI"
        rests = {}
        for n in list(self.types):
            if self.weight(n, PRODUCT) >= 3:
                owner = self._product_prefix(n, companies)
                if owner:
                    rests[n[len(owner) :].strip()] = n
        for r in runs:
            if r.text in rests and len(r.text) > 3 and r.text.lower() not in generic:
                self.mention(r.text, PRODUCT, 0.5, self.segs[r.seg].unit)
        # technologies: "<Name> containers", "<Name> Runtime"
        tech_heads = lx.word_set("tech_heads")
        tech_suffixes = set(c["tech_suffixes"])
        for r in runs:
            seg = self.segs[r.seg]
            nxt = re.match(r"\s+([a-z][\w-]*)", seg.text[r.end :])
            toks = r.text.split()
            if (nxt and nxt.group(1).lower() in tech_heads and r.text not in companies and not (r.initial and not r.ner)) or (len(toks) >= 2 and toks[-1] in tech_suffixes):
                self.mention(r.text, TECH, 2.0, seg.unit)
        # acronym definitions: "Large Language Models (LLMs)", "security testing (SAST/DAST)"
        for seg in self.segs:
            for m in re.finditer(r"\b((?:[A-Za-z][\w-]*\s+){0,4}[A-Za-z][\w-]*)\s+\(([A-Z][A-Za-z]*[A-Z]s?(?:/[A-Z]{2,}s?)*)\)", seg.text):
                long, acr = m.group(1), m.group(2)
                words = long.split()
                initials = "".join(w[0] for w in words).upper()
                acr_core = acr.rstrip("s").split("/")[0]
                n = len(acr_core)
                if len(words) >= n and initials[-n:] == acr_core.upper():
                    name = " ".join(words[-n:])
                    typ = METRIC if lx.metric_head(name) else TECH
                    alias = (acr, acr.rstrip("s")) if acr.endswith("s") else (acr,)
                    self.mention(name, typ, 2.0, seg.unit, alias)
                elif "/" in acr and len(words) >= 2:
                    name = " ".join(words[-2:]) + f" ({acr})"
                    self.mention(name, TECH, 2.0, seg.unit, (acr, *acr.split("/")))
        # people: NER PERSON, two or three title-case words, in a sentence with a person cue
        pcue = lx.cue_re("person_context")
        for r in runs:
            seg = self.segs[r.seg]
            u = self.units[seg.unit]
            toks = r.text.split()
            if (
                r.ner == "PERSON" and 2 <= len(toks) <= 3 and u.kind in ("sentence", "list_item") and seg.col < 0
                and all(t[:1].isupper() and t[1:].islower() for t in toks)
                and not any(t.lower() in generic or t in suffixes for t in toks)
                and self.weight(r.text, COMPANY) == 0 and not self._product_prefix(r.text, companies)
                and pcue.search(seg.text)
            ):
                self.mention(r.text, PERSON, 3.0, seg.unit)

    _pending_launch: list[tuple[str | None, str, int, int | None]]
    _pending_owned: list[tuple[str, str, int]]

    def _product_prefix(self, name: str, companies: set[str] | None = None) -> str | None:
        """The company whose name starts ``name`` (``"Salesforce Agentforce"`` -> ``"Salesforce"``)."""
        if companies is None:
            companies = {n for n in self.types if self.weight(n, COMPANY) >= 1.0}
        suffixes = lx.company_suffixes()
        for comp in sorted(companies, key=len, reverse=True):
            if name.startswith(comp + " ") and name != comp:
                rest = name[len(comp) :].strip().split()
                if rest and not all(w in suffixes for w in rest) and rest[0][:1].isupper():
                    return comp
        return None

    def _focus(self) -> None:
        counts: Counter[str] = Counter()
        for m in self.mentions:
            if m["type"] == COMPANY:
                counts[m["name"]] += 1
        for seg in self.segs:
            for name in list(counts):
                counts[name] += seg.text.count(name)
        self.focus = counts.most_common(1)[0][0] if counts else None

    # ---- locating known names ------------------------------------------------------------------

    def _locate(self) -> None:
        for seg in self.segs:
            seg.occ = []
        names: dict[str, str] = {}
        for n in self.types:
            t = self.type_of(n)
            if t in (METRIC, SCENARIO, INDICATOR):
                continue
            names[n] = t
            for a in self.aliases.get(n, ()):
                if a not in self.types and len(a) > 2:
                    names.setdefault(a, t)
        canon = {a: n for n in self.types for a in self.aliases.get(n, ()) if a not in self.types}
        ordered = sorted(names, key=len, reverse=True)
        pats = []
        for n in ordered:
            flags = 0 if any(ch.isupper() for ch in n) else re.I
            pats.append((n, re.compile(r"(?<![\w-])" + re.escape(n) + r"(?![\w-])", flags)))
        for seg in self.segs:
            taken: list[tuple[int, int]] = []
            for n, p in pats:
                for m in p.finditer(seg.text):
                    if any(not (m.end() <= a or m.start() >= b) for a, b in taken):
                        continue
                    taken.append((m.start(), m.end()))
                    real = canon.get(n, n)
                    seg.occ.append(Occ(m.start(), m.end(), real, self.type_of(real) or names[n]))
            seg.occ.sort(key=lambda o: o.start)

    def _resolve_ref(self, seg: Seg, pos: int) -> str | None:
        """The entity a pronoun-like subject before ``pos`` refers to (the document's focus)."""
        return self.focus

    def _heading_entity(self, ui: int) -> tuple[str, str] | None:
        """The last entity named in the heading of the section that holds unit ``ui``."""
        sec = self.units[ui].section
        for k in range(ui - 1, -1, -1):
            u = self.units[k]
            if u.kind == "heading" and " | " not in u.text:
                if u.section != sec:
                    return None
                occ = [o for s in self.unit_segs[k] for o in self.segs[s].occ if o.type in ACTOR_TYPES and o.name != self.focus]
                return (occ[-1].name, occ[-1].type) if occ else None
        return None

    # ---- relations ---------------------------------------------------------------------------

    def _relations(self) -> None:
        for owner, prod, ui, year in self._pending_launch:
            subj = owner or self.focus
            if subj:
                self.fact(subj, COMPANY, "LAUNCHED", ui, prod, PRODUCT, attrs={"year": year})
        for owned, owner, ui in self._pending_owned:
            self.fact(owned, self.type_of(owned) or COMPANY, "OWNED_BY", ui, owner, COMPANY)
        for si, seg in enumerate(self.segs):
            self._compete_threat(si, seg)
            self._acquire(seg)
            self._owned(seg)
            self._uses(seg)
            self._shares(seg)
        # entity tables: segments belong to the focus company; technologies are used by it
        for ui, (label, typ) in self.row_entity.items():
            hdr = " ".join(self.headers.get(ui, []))
            owner = next((n for n in self.types if self.weight(n, COMPANY) >= 1.5 and n in hdr), None) or self.focus
            if not owner:
                continue
            if typ == SEGMENT:
                self.fact(owner, COMPANY, "HAS_SEGMENT", ui, label, SEGMENT)
            elif typ == TECH and re.search(r"\b(?:impact on|position|how)\b", hdr, re.I):
                self.fact(owner, COMPANY, "USES", ui, label, TECH, attrs={"role": _role_from_label(label)})
                listed = {it.lower() for s in self.unit_segs[ui] for it in _short_list(self.segs[s].text)}
                for s in self.unit_segs[ui]:
                    for o in self.segs[s].occ:
                        if o.type == TECH and o.name != label and o.name.lower() not in listed:
                            self.fact(owner, COMPANY, "USES", ui, o.name, TECH, attrs={"role": label.lower()})
            elif typ == TECH:
                for s in self.unit_segs[ui][1:]:
                    seg = self.segs[s]
                    if seg.header and any(h in seg.header.lower() for h in lx.cues()["stack_headers"]):
                        tech = _first_chunk(seg)
                        if tech:
                            self.fact(label, TECH, "USES", ui, tech[0], TECH, attrs={"role": seg.header})

    def _actors(self, seg: Seg, lo: int = 0, hi: int | None = None, types: set[str] | None = None) -> list[Occ]:
        hi = len(seg.text) if hi is None else hi
        types = types or {COMPANY, PRODUCT}
        return [o for o in seg.occ if o.type in types and lo <= o.start and o.end <= hi]

    def _compete_threat(self, si: int, seg: Seg) -> None:
        ui = seg.unit
        comp = lx.cue_re("compete").search(seg.text)
        threat = lx.cue_re("threaten").search(seg.text)
        if not comp and not threat:
            return
        row = self.row_entity.get(ui) if seg.col > 0 else None
        other_side = row[0] if row else self.focus
        other_type = row[1] if row else COMPANY
        actors = [o for o in self._actors(seg) if o.name != other_side]
        if not actors or not other_side:
            return
        cue = comp or threat
        comps = list(lx.cue_re("compete").finditer(seg.text)) if comp else []
        target = self._threat_target(seg, threat.end()) if threat else None
        for a in actors:
            if comp or (a.type == COMPANY and a.start < cue.start() and (target is None or target[0] != a.name)):
                # each actor's own arena: the compete cue of its clause ("X offer competing APIs, and
                # Y undercut Z on price in some region" gives X the APIs and Y the region)
                own = next((c for c in comps if c.start() >= a.end), comps[-1] if comps else None)
                arena = _arena(seg.text, own.end(), tight=own.start() >= a.end) if own else None
                self.fact(a.name, a.type, "COMPETES_WITH", ui, other_side, other_type, attrs={"arena": arena})
        if threat and target:
            for a in actors:
                if a.start < threat.start() and target[0] != a.name:
                    self.fact(a.name, a.type, "THREATENS", ui, target[0], target[1])

    def _class_subjects(self, seg: Seg) -> list[Occ]:
        """Classes of competitors as subjects of a cue verb: "regional providers undercut ..."."""
        sp = seg.sp
        if sp is None or not len(sp) or not sp.has_annotation("DEP"):
            return []
        cue = re.compile(lx.cue_re("compete").pattern + "|" + lx.cue_re("threaten").pattern, re.I)
        cls_nouns = lx.word_set("company_class_nouns") | lx.word_set("product_class_nouns")
        out = []
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
                name = seg.text[a : t.idx + len(t.text)]
                if any(o.start <= a < o.end for o in seg.occ):
                    continue
                typ = COMPANY if t.text.lower() in lx.word_set("company_class_nouns") else PRODUCT
                name = self.mention(name, typ, 1.5, seg.unit)
                occ = Occ(a, t.idx + len(t.text), name, typ)
                seg.occ.append(occ)
                seg.occ.sort(key=lambda o: o.start)
                out.append(occ)
        return out

    def _threat_target(self, seg: Seg, after: int) -> tuple[str, str] | None:
        clause = re.split(r"[;,.]", seg.text[after:], maxsplit=1)[0]
        for o in seg.occ:
            if o.start >= after and o.end <= after + len(clause) and o.type in ACTOR_TYPES:
                return o.name, o.type
        # an acronym or name in the clause that belongs to an alias of a known entity
        words = set(re.findall(r"\b[A-Z][\w-]*[A-Z][\w-]*\b|\b[A-Z]{2,}\w*\b", clause))
        for n, al in self.aliases.items():
            for a in al:
                if words & set(a.split()) and self.type_of(n) in (SEGMENT, PRODUCT, COMPANY):
                    return n, self.type_of(n) or SEGMENT
        return None

    def _acquire(self, seg: Seg) -> None:
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
        buyer = before[-1].name if before else self.focus
        if not buyer:
            return
        vals = find_values(seg.text[m.end() :])
        price = next((v for v in vals if v.kind == "money"), None)
        year = next((v for v in vals if v.kind == "year"), None)
        attrs = {"price_usd": price.value if price else None, "year": int(year.value) if year else None,
                 "price": price.surface if price else None}
        self.fact(buyer, COMPANY, "ACQUIRED", seg.unit, target[0], target[1], attrs=attrs)
        if price:
            self.used_values.add((id(seg), m.end() + price.start))
            self.metric_fact(seg, target[0], target[1], "acquisition price", price,
                             str(int(year.value)) if year else None, None)

    def _owned(self, seg: Seg) -> None:
        own = lx.cue_re("owned_by")
        for o in seg.occ:
            m = own.match(seg.text[o.end :].lstrip(" ,("))
            if m:
                rest = seg.text[o.end :].lstrip(" ,(")[m.end() :]
                nxt = next((x for x in seg.occ if x.start > o.end and seg.text.find(rest[:10], o.end) <= x.start and x.type == COMPANY), None)
                if nxt:
                    self.fact(o.name, o.type, "OWNED_BY", seg.unit, nxt.name, COMPANY)

    def _uses(self, seg: Seg) -> None:
        si = self.segs.index(seg)
        pat = re.compile(
            r"(?<![\w-])(?:" + "|".join(re.escape(x) for x in sorted(lx.cues()["uses_strong"], key=len, reverse=True))
            + r"|(?:(?<=service )|(?<=services )|(?<=inference )|(?<=workload )|(?<=workloads ))on)(?![\w-])",
            re.I,
        )
        for m in pat.finditer(seg.text):
            if re.search(r"\b(?:would|could|might|should|previously|once)\b[\w\s]{0,20}$", seg.text[: m.start()]):
                continue  # counterfactual: "workloads that would previously have run on X"
            before = [o for o in seg.occ if o.end <= m.start() and o.type in ACTOR_TYPES]
            clause_start = max(seg.text.rfind(";", 0, m.start()), seg.text.rfind(". ", 0, m.start()))
            before = [o for o in before if o.start > clause_start]
            if before:
                subj = (before[-1].name, before[-1].type)
            else:
                head = self._heading_entity(seg.unit)
                subj = head or ((self.focus, COMPANY) if self.focus else None)
            if subj is None:
                continue
            end = len(seg.text)
            nxt_cue = pat.search(seg.text, m.end())
            stop = re.search(r"[;.](?:\s|$)| - |, (?:allowing|enabling|which|while)\b|\s+to\s+[a-z]+\b", seg.text[m.end() :])
            if stop:
                end = m.end() + stop.start()
            if nxt_cue and nxt_cue.start() < end and any(o.start > nxt_cue.start() for o in seg.occ):
                end = min(end, nxt_cue.start())
            objs = [o for o in seg.occ if m.end() <= o.start < end and o.name != subj[0] and o.type in ACTOR_TYPES
                    and not subj[0].startswith(o.name + " ")]
            label = re.match(r"^([A-Z][\w -]{1,30}):\s", seg.text)
            if label and self._heading_entity(seg.unit) and (not before or before[-1].type == TECH):
                # "Deployment: Containerized LLM inference service on X" under a product's heading
                subj = self._heading_entity(seg.unit) or subj
                objs = [o for o in seg.occ if o.type == TECH and o.start > label.end() and o.name != subj[0]] + [
                    o for o in objs if o.type != TECH]
            for r in self.seg_runs.get(si, []):
                if (m.end() <= r.start < end and not any(o.start < r.end and r.start < o.end for o in seg.occ)
                        and r.text != subj[0] and r.text.split()[0].lower() not in lx.generic_caps()):
                    name = self.mention(r.text, TECH, 0.5, seg.unit)
                    objs.append(Occ(r.start, r.end, name, self.type_of(name) or TECH))
            objs.sort(key=lambda o: o.start)
            for k, o in enumerate(objs):
                nxt_start = objs[k + 1].start if k + 1 < len(objs) else end
                role_m = re.match(r"(?:'s\s+[\w -]+?)?\s+for\s+([\w -]+?)(?:,|\s+and\b|$)", seg.text[o.end : nxt_start])
                role = role_m.group(1).strip() if role_m else None
                typ = o.type if o.type != SEGMENT else PRODUCT
                if o.type not in (COMPANY, SEGMENT, PRODUCT):
                    typ = TECH
                    self.mention(o.name, TECH, 1.0, seg.unit)
                self.fact(subj[0], subj[1], "USES", seg.unit, o.name, typ if o.type in (COMPANY, SEGMENT, PRODUCT) else TECH,
                          attrs={"role": role})
            if not any(o.start >= m.end() for o in objs):
                run = re.match(r"\s+(?:the\s+)?([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)(?:\s+for\s+([\w -]+))?", seg.text[m.end() :])
                if run and run.group(1).lower() not in lx.generic_caps():
                    name = clean_name(run.group(1))
                    self.mention(name, TECH, 1.5, seg.unit)
                    self.fact(subj[0], subj[1], "USES", seg.unit, name, TECH, attrs={"role": (run.group(2) or "").strip() or None})

    def _shares(self, seg: Seg) -> None:
        if not (lx.cue_re("sell_shares").search(seg.text) and lx.cue_re("shares").search(seg.text)):
            return
        people = [o for o in seg.occ if o.type == PERSON]
        if not people:
            return
        comp = next((o.name for o in seg.occ if o.type == COMPANY and re.match(r"'s\s+(?:shares|stock)", seg.text[o.end :])), None)
        comp = comp or self.focus
        frac = next((v for v in find_values(seg.text) if v.kind == "percent"), None)
        for p in people:
            if comp:
                self.fact(p.name, PERSON, "SOLD_SHARES", seg.unit, comp, COMPANY,
                          attrs={"fraction_of_shares": frac.value if frac else None, "company": comp})

    # ---- indicators ----------------------------------------------------------------------------

    def _indicators(self) -> None:
        lead = lx.cue_re("indicator_lead")
        for seg in self.segs:
            m = lead.search(seg.text)
            if not m:
                continue
            body = seg.text[m.end() :].strip().rstrip(".")
            for item in _top_level_split(body):
                item = re.sub(r"^(?:and|or)\s+", "", item.strip())
                note = re.search(r"\(([^)]*)\)", item)
                name = re.sub(r"\s*\([^)]*\)", "", item).strip()
                if len(name.split()) > 6 and " in " in name:
                    name = name[: name.rfind(" in ")].strip()
                if not name or len(name.split()) > 12:
                    continue
                self.mention(name, INDICATOR, 3.0, seg.unit, signal=note.group(1) if note else None)
                target = self._indicator_target(name)
                if target:
                    self.fact(name, INDICATOR, "TRACKS", seg.unit, target[0], target[1],
                              attrs={"signal": note.group(1) if note else None})

    def _indicator_target(self, name: str) -> tuple[str, str] | None:
        low = name.lower()
        metrics_ = sorted((n for n in self.types if self.type_of(n) == METRIC and n.lower() in low), key=len, reverse=True)
        if metrics_:
            return metrics_[0], METRIC
        for n in sorted(self.types, key=len, reverse=True):
            t = self.type_of(n)
            if t in (PRODUCT, COMPANY, SEGMENT, TECH) and n != self.focus and re.search(r"(?<![\w-])" + re.escape(n) + r"(?![\w-])", name):
                return n, t
        return None

    # ---- metric facts ----------------------------------------------------------------------------

    def _metrics(self) -> None:
        for _si, seg in enumerate(self.segs):
            u = self.units[seg.unit]
            vals = find_values(seg.text)
            prev_end = 0
            last_subj: tuple[str, str] | None = None
            for k, v in enumerate(vals):
                if v.kind in ("year", "quarter") or (id(seg), v.start) in self.used_values:
                    prev_end = v.end
                    continue
                if v.kind == "duration" and v.unit not in ("ms", "second", "minute", "hour"):
                    continue
                if u.kind == "heading" and v.kind not in ("score",):
                    continue
                if v.kind == "number":
                    v = self._from_to(seg.text, vals, k) or v
                    if v.kind == "number":
                        continue
                if v.kind == "count" and v.unit == "count" and v.noun not in ("customers", "users", "employees"):
                    continue
                metric = self._metric_name(seg, v)
                if not metric:
                    prev_end = v.end
                    continue
                name, owner = metric
                window = seg.text[prev_end : v.start]
                if last_subj and re.search(r"\bwith\b", window) and not any(
                        prev_end <= o.start < v.start for o in seg.occ):
                    subj = last_subj  # "$1 billion in X ARR by 2028 with 25%+ gross margins"
                else:
                    subj = self._subject(seg, v, name, owner)
                if not subj:
                    continue
                last_subj = subj
                if re.fullmatch(r"[A-Z]{2,6}", name) and subj[0] != self.focus and subj[1] in (SEGMENT, PRODUCT, COMPANY):
                    name = f"{subj[0]} {name}"  # "Acme achieves $1 billion in ARR" -> "Acme ARR"
                self.metric_fact(seg, subj[0], subj[1], name, v, self._period(seg, v), self._qualifier(seg, v, window))
                prev_end = v.end
        self._rating_cells()
        self._value_free_metrics()

    def metric_fact(self, seg: Seg, subj: str, st: str, metric: str, v: Value, period: str | None, qual: str | None) -> None:
        metric = re.sub(r"^(?:(?:fiscal|FY)\s*(?:19|20)?\d\d|(?:19|20)\d\d|annual|quarterly|monthly|yearly|full-year)\s+", "", metric.strip(), flags=re.I)
        metric = lx.canonical_metric(metric)
        if not metric:
            return
        ui = seg.unit
        singular = _singular_phrase(metric)
        self.mention(singular, METRIC, 2.0, ui, (metric,) if singular != metric else ())
        qual = qual or v.qualifier
        if v.high is not None and qual is None:
            qual = "range"
        scen = self.scenario_of.get(ui)
        attrs: dict[str, Any] = {}
        if v.of is not None:
            attrs["of"] = v.of
        if scen:
            qual = f"projection:{scen[1]}"
            attrs["scenario"] = scen[0]
        self.fact(subj, st, "HAS_METRIC", ui, singular, METRIC, metric=singular, value=v.value, value_high=v.high,
                  unit=v.unit or None, period=period, qualifier=qual, surface=v.surface, attrs=attrs)
        if scen:
            self.fact(scen[0], SCENARIO, "PROJECTS", ui, singular, METRIC,
                      attrs={"value": v.surface, "period": period, "subject": subj})

    def _from_to(self, text: str, vals: list[Value], k: int) -> Value | None:
        v = vals[k]
        if k == 0 or not re.search(r"\bto\s+(?:approximately\s+|about\s+|~)?$", text[: v.start], re.I):
            before = text[vals[k - 1].end : v.start] if k else ""
            if not re.fullmatch(r"\s+to\s+(?:approximately|about|around|roughly)?\s*", before or "x"):
                return None
        prev = vals[k - 1]
        if prev.kind != "count":
            return None
        return Value("count", v.start, v.end, v.surface, v.value, None, prev.unit, v.qualifier, noun=prev.noun)

    def _metric_name(self, seg: Seg, v: Value) -> tuple[str, str | None] | None:
        """The metric a value measures, and an owner named in its phrase ("Acme's margins")."""
        text = seg.text
        after = text[v.end :]
        before = text[: v.start]
        change = "|".join(lx.cues()["change_nouns"])
        # table cells: the column header or the row's metric label
        if seg.col >= 0:
            hdr = (seg.header or "").strip()
            hl = hdr.lower()
            row_segs = [self.segs[s] for s in self.unit_segs[seg.unit]]
            if any(h in hl for h in lx.cues()["value_headers"]) or any(h in hl for h in lx.cues()["benchmark_headers"]):
                label = next((s for s in row_segs if s.header and any(h in s.header.lower() for h in lx.cues()["metric_headers"])), None)
                if label:
                    return re.sub(r"\s*\([^)]*\)", "", label.text).strip(), None
            if seg.col > 0 and (lx.metric_head(hdr) or hdr.startswith("%")):
                name = re.sub(r"\b(?:approx\.?|approximately|FY\s?\d{2,4}|(?:19|20)\d\d|est\.?|estimated)\b", "", hdr, flags=re.I)
                name = " ".join(name.split()).strip(" .")
                if name:
                    return name, None
        m = re.match(rf"\s*\+?\s*(?:{change})\s+in\s+(.+)", after, re.I)
        if m:
            return _np(m.group(1)), None
        m = re.search(r"\b(?:by|at)\s+$", before)
        if m:
            verb = re.search(rf"\b(?:{'|'.join(lx.cues()['change_verbs'])})\s+([\w -]+?)\s+by\s+$", before, re.I)
            if verb:
                return _np(verb.group(1)), None
            np_ = self._chunk_before(seg, m.start())
            if np_ and lx.metric_head(np_[0]):
                return np_
        if v.kind == "money":
            per = re.match(r"\s*per\s+([\w-]+(?:\s+[\w-]+){0,3}?)(?=\s+(?:vs\.?|versus|and|or|compared)\b|[,;.]|$)", after)
            label = re.match(r"^([A-Z][\w -]{1,30}):\s", text)
            if per and label:
                return f"{label.group(1).strip()} per {per.group(1).strip()}", None
        m = re.match(r"\s*(?:of|in|on)\s+(?:the\s+|its\s+|their\s+)?(.+)", after)
        if m:
            np_ = _np(m.group(1))
            if v.kind == "percent" and after.lstrip().startswith("of"):
                if np_ and not re.match(r"(?:the\s+)?(?:past|last|next)\b", np_):
                    np_ = re.sub(r"^[A-Z][\w-]*'s\s+", "", np_)
                    return f"share of {np_}", None
            elif np_ and (lx.metric_head(np_) or re.fullmatch(r"[A-Z]{2,6}", np_.split()[-1])):
                if v.kind == "score":
                    return np_, None
                if not re.match(r"(?:the\s+)?(?:past|last|next)\b", np_):
                    return np_, None
        m = re.match(r"\s*\+?\s*([A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,4})", after)
        if m:
            np_ = _np(m.group(1))
            if v.kind == "multiple":
                base = next((b for b in lx.metrics()["multiple_bases"] if np_.lower().startswith(b)), None)
                if base:
                    return f"{base} multiple", None
            elif np_ and lx.metric_head(np_) and not re.match(r"(?:range|annually|by|in|of|and|with|as)\b", np_, re.I):
                return np_, None
        if v.kind == "count" and v.noun:
            return v.noun, None
        np_ = self._chunk_before(seg, v.start, metric_only=True)
        if np_:
            return np_
        words = _words_before(before)
        if words and lx.metric_head(words):
            return words, None
        return None

    def _chunk_before(self, seg: Seg, pos: int, metric_only: bool = False) -> tuple[str, str | None] | None:
        """The nearest noun chunk before ``pos`` in the same clause (a metric phrase when ``metric_only``)."""
        sp = seg.sp
        chunks = list(sp.noun_chunks) if sp is not None and sp.has_annotation("DEP") else []
        best = None
        for ch in chunks:
            end = ch.end_char
            if end > pos:
                break
            between = seg.text[end:pos]
            if re.search(r"[;]|\d", between) and metric_only:
                best = None
                continue
            best = ch
        if best is None:
            return None
        start = best.start_char
        # "voice and video latency": take the coordinated modifiers in
        m = re.search(r"(\b[\w-]+\s+and\s+)$", seg.text[:start])
        if m and best[0].pos_ in ("NOUN", "ADJ", "PROPN"):
            start -= len(m.group(1))
        phrase = seg.text[start : best.end_char]
        owner = None
        om = re.match(r"(?:the\s+)?([A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*)'s\s+", phrase)
        if om:
            owner = om.group(1)
            phrase = phrase[om.end() :]
        phrase = re.sub(r"^(?:the|a|an|its|their|our|this|that|these|those)\s+", "", phrase, flags=re.I)
        if metric_only and not lx.metric_head(phrase):
            return None
        if len(phrase.split()) > 7:
            return None
        return phrase, owner

    def _subject(self, seg: Seg, v: Value, metric: str, owner: str | None) -> tuple[str, str] | None:
        names = {o.name: o.type for o in seg.occ}
        if owner:
            occ = next((o for o in seg.occ if seg.text[o.start : o.end] == owner or o.name == owner), None)
            if occ:
                return occ.name, occ.type
        low = metric.lower()
        for n, t in sorted(self._all_names().items(), key=lambda x: -len(x[0])):
            if t in ACTOR_TYPES and _starts_with_name(low, n.lower()):
                return n, t
        subj = self._nsubj(seg, v)
        if subj:
            return subj
        row = self.row_entity.get(seg.unit)
        if row and seg.col > 0:
            return row
        before = [o for o in seg.occ if o.end <= v.start and o.type in ACTOR_TYPES]
        if before:
            return before[-1].name, before[-1].type
        head = self._heading_entity(seg.unit)
        if head:
            return head
        del names
        return (self.focus, COMPANY) if self.focus else None

    def _all_names(self) -> dict[str, str]:
        out = {}
        for n in self.types:
            t = self.type_of(n)
            if t:
                out[n] = t
                for a in self.aliases.get(n, ()):
                    out.setdefault(a, t)
        return out

    def _nsubj(self, seg: Seg, v: Value) -> tuple[str, str] | None:
        sp = seg.sp
        if sp is None or not sp.has_annotation("DEP"):
            return None
        tok = next((t for t in sp if t.idx >= v.start), None)
        seen = 0
        while tok is not None and seen < 12:
            seen += 1
            for ch in tok.children:
                if ch.dep_ in ("nsubj", "nsubjpass"):
                    a, b = min(x.idx for x in ch.subtree), max(x.idx + len(x.text) for x in ch.subtree)
                    occ = [o for o in seg.occ if a <= o.start and o.end <= b and o.type in ACTOR_TYPES]
                    head_occ = [o for o in occ if o.start <= ch.idx < o.end]
                    if head_occ:
                        return head_occ[0].name, head_occ[0].type
                    phrase = seg.text[a:b].lower()
                    if phrase in PRONOUNS and self.focus:
                        return self.focus, COMPANY
                    cls = [o for o in seg.occ if o.start <= ch.idx < o.end]
                    if cls:
                        return cls[0].name, cls[0].type
                    known = next((n for n, t in self._all_names().items() if t in ACTOR_TYPES and n.lower() == phrase.strip()), None)
                    if known:
                        return known, self._all_names()[known]
                    return None
            if tok.head is tok:
                break
            tok = tok.head
        return None

    def _period(self, seg: Seg, v: Value) -> str | None:
        text = seg.text
        clause_a = max(text.rfind(";", 0, v.start), text.rfind(",", 0, v.start) if seg.col >= 0 else -1) + 1
        clause_b = min([x for x in (text.find(";", v.end), text.find(",", v.end)) if x >= 0] or [len(text)])
        vals = [x for x in find_values(text) if x.kind in ("year", "quarter")]
        best = None
        for x in vals:
            if not (clause_a <= x.start < clause_b):
                continue
            d = abs(x.start - v.end) if x.start >= v.end else abs(v.start - x.end) + 5
            if best is None or d < best[0]:
                best = (d, x)
        if best:
            x = best[1]
            if x.kind == "quarter":
                return f"{int(x.value)} {x.unit}"
            if x.qualifier == "fiscal":
                return f"FY{int(x.value)}"
            prefix = re.search(r"\b(since|early|late|mid)\s+$", text[: x.start])
            return f"{prefix.group(1)} {int(x.value)}" if prefix and prefix.group(1) == "since" else str(int(x.value))
        if seg.header:
            hdrs = [seg.header, *self.headers.get(seg.unit, [])]
            fy = next((m for m in (re.search(r"\bFY\s?(\d{4}|\d{2})\b", h) for h in hdrs) if m), None)
            if fy:
                y = fy.group(1)
                return f"FY{y if len(y) == 4 else '20' + y}"
        for word, norm in lx.cues()["period_words"].items():
            if re.search(rf"\b{re.escape(word)}\b", text[v.end : clause_b] + " " + text[clause_a : v.start], re.I):
                return norm
        # a period in the heading of the section ("Data Snapshot (FY 2025)")
        ui = seg.unit
        sec = self.units[ui].section
        for k in range(ui - 1, -1, -1):
            u = self.units[k]
            if u.kind == "heading" and " | " not in u.text:
                if u.section != sec:
                    break
                hv = [x for x in find_values(u.text) if x.kind in ("year", "quarter")]
                if hv:
                    x = hv[-1]
                    if x.kind == "quarter":
                        return f"{int(x.value)} {x.unit}"
                    return f"FY{int(x.value)}" if x.qualifier == "fiscal" else str(int(x.value))
                break
        return None

    def _qualifier(self, seg: Seg, v: Value, window: str) -> str | None:
        near = window[-60:]
        tail = seg.text[v.end : v.end + 12]
        if lx.cue_re("target").search(near) or re.match(r"\s*target\b", tail, re.I):
            return "target"
        if re.match(r"\s*range\b", tail) or (seg.header and any(h in seg.header.lower() for h in ("benchmark", "peer"))):
            return "range" if v.high is not None else (v.qualifier or "benchmark")
        if re.match(r"\s*if\b", seg.text, re.I):
            return "conditional"
        return v.qualifier

    def _rating_cells(self) -> None:
        """Table cells holding a rating under a metric-like header: "AI Disruption Risk: High - ..."."""
        ratings = sorted(lx.cues()["ratings"], key=len, reverse=True)
        rmet = lx.metrics()["rating_metrics"]
        for ui, (label, typ) in self.row_entity.items():
            for s in self.unit_segs[ui][1:]:
                seg = self.segs[s]
                h = (seg.header or "").strip()
                if not h or not any(w in h.lower().split() for w in rmet):
                    continue
                m = re.match(r"(" + "|".join(re.escape(r) for r in ratings) + r")\b", seg.text, re.I)
                if m:
                    metric = lx.canonical_metric(h)
                    self.mention(metric, METRIC, 2.0, ui)
                    self.fact(label, typ, "HAS_METRIC", ui, metric, METRIC, metric=metric, attrs={"value": m.group(1).title()})

    def _value_free_metrics(self) -> None:
        """"improves customer satisfaction scores" in a table's value column: a metric without a number."""
        verbs = "|".join(lx.cues()["change_verbs"])
        for ui, (label, typ) in self.row_entity.items():
            for s in self.unit_segs[ui][1:]:
                seg = self.segs[s]
                if not re.search(r"value|impact|benefit|result|outcome|effect", seg.header or "", re.I):
                    continue
                for m in re.finditer(rf"\b(?:{verbs})\s+((?:[\w-]+\s+){{0,4}}[\w-]+)(?=[.;,]|\s+(?:by|and|while)\b|$)", seg.text, re.I):
                    np_ = _np(m.group(1))
                    if np_ and lx.metric_head(np_) and not re.search(r"\d", seg.text[m.end() : m.end() + 12]):
                        metric = lx.canonical_metric(np_)
                        self.mention(metric, METRIC, 1.5, ui)
                        self.fact(label, typ, "HAS_METRIC", ui, metric, METRIC, metric=metric)


def _namey(tok: str) -> bool:
    if not tok or not tok[0].isalpha():
        return False
    if tok[0].isupper():
        return True
    return any(c.isupper() for c in tok[1:]) and tok[0].islower() and len(tok) > 2


def _coordinated(runs: list[Run], r: Run, text: str) -> list[Run]:
    """The runs listed together with ``r`` ("A, B, and C", "A or B", "(A, B, C)")."""
    rs = sorted(runs, key=lambda x: x.start)
    k = rs.index(r)
    out = [r]
    j = k
    while j + 1 < len(rs) and re.fullmatch(r"\s*(?:,\s*(?:and|or)?|and|or|/)\s*", text[rs[j].end : rs[j + 1].start]):
        j += 1
        out.append(rs[j])
    j = k
    while j > 0 and re.fullmatch(r"\s*(?:,\s*(?:and|or)?|and|or|/)\s*", text[rs[j - 1].end : rs[j].start]):
        j -= 1
        out.insert(0, rs[j])
    return out


def _np(text: str) -> str:
    """A noun phrase at the start of ``text``: stop at punctuation, a verb-ish word, or a preposition chain."""
    t = re.split(r"[,;:.()]|\s+-\s+|\s+(?:by|from|to|in|on|at|before|after|while|as|with|that|which|vs\.?|versus|since|during|when|if|for|through)\s+", text, maxsplit=1)[0]
    t = re.sub(r"\s+(?:and|or)$", "", t.strip())
    words = t.split()
    # a phrase of more than six words is probably a clause
    if len(words) > 6:
        words = words[:6]
    while words and words[-1].lower() in ("the", "a", "an", "of", "in", "on", "and", "or", "its", "their"):
        words.pop()
    out = " ".join(words)
    return re.sub(r"^(?:the|a|an|its|their|our)\s+", "", out, flags=re.I)


def _first_chunk(seg: Seg) -> tuple[str, tuple[str, ...]] | None:
    """The first noun phrase of a table cell ("Reinforcement learning models trained on ..." ->
    "Reinforcement learning models"), with an acronym alias when one follows in parentheses."""
    stop = {"trained", "fine-tuned", "on", "for", "with", "in", "of", "that", "using", "built", "based", "to", "and", "or"}
    words = []
    for w in re.findall(r"\(?[\w/-]+\)?|[.;,:]", seg.text):
        if w in ".;,:" or w.lower() in stop or w.startswith("("):
            break
        words.append(w)
    if not words or len(words) > 5:
        return None
    name = " ".join(words)
    acr = re.match(re.escape(name) + r"\s+\(([A-Z][\w/]*)\)", seg.text.strip())
    aliases: tuple[str, ...] = ()
    if acr:
        aliases = (acr.group(1), acr.group(1).rstrip("s"))
    low = name.lower()
    words = low.split()
    if words[-1] in ("models", "model") and len(words) >= 3 and not acr:
        aliases = (*aliases, name)
        name = " ".join(name.split()[:-1])
    return name, aliases


_SKIP_BACK = {
    "approximately", "about", "around", "roughly", "nearly", "almost", "over", "under", "to", "at", "of", "toward",
    "towards", "by", "from", "near", "in", "the", "a", "an", "been", "be", "is", "are", "was", "were", "has", "have",
    "had", "will", "would", "could", "down", "up", "still", "now", "only", "just",
}
_STOP_BACK = {"with", "and", "or", "as", "while", "but", "that", "which", "where", "when", "if", "for", "its", "their", "the", "a", "an"}


def _words_before(before: str) -> str | None:
    """The noun phrase ending just before a value, skipping qualifiers and one verb:
    ``"with SMS per-message rates declining approximately "`` -> ``"SMS per-message rates"``."""
    words = re.findall(r"[\w/%'-]+|[,;:()]", before)
    k = len(words)
    while k and words[k - 1].lower() in _SKIP_BACK:
        k -= 1
    if k and re.fullmatch(r"[a-z]+(?:ing|ed|es)", words[k - 1]):
        k -= 1
    while k and words[k - 1].lower() in _SKIP_BACK:
        k -= 1
    out: list[str] = []
    while k and len(out) < 5:
        w = words[k - 1]
        if w in ",;:()" or w.lower() in _STOP_BACK or re.fullmatch(r"[a-z]+(?:ing|ed)", w):
            break
        out.insert(0, w)
        k -= 1
    return " ".join(out) or None


def _short_list(text: str) -> list[str]:
    """Items of a cell that is only a list of short noun phrases."""
    t = text.strip().rstrip(".")
    parts = [p.strip() for p in re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+", t) if p.strip()]
    if len(parts) < 3 or any(len(p.split()) > 3 for p in parts):
        return []
    if any(re.search(r"\d", p) for p in parts):
        return []
    return [p[0].lower() + p[1:] if p[:1].isupper() and not p[1:2].isupper() else p for p in parts]


def _top_level_split(body: str) -> list[str]:
    out, depth, cur = [], 0, []
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    if cur:
        out.append("".join(cur))
    return [x.strip() for x in out if x.strip()]


def _arena(text: str, at: int, tight: bool = False) -> str | None:
    # tight: the actor came before the cue, so ", and ..." starts another clause, not a list item
    stops = r"and|but|while|as|whereas" if tight else r"but|while|as"
    clause = re.split(r"[;.]\s|,\s+(?:" + stops + r")\s", text[at:] + " ", maxsplit=1)[0]
    found = list(re.finditer(r"\b(?:for|in)\s+(?:the\s+)?([A-Za-z][\w -]{2,60}?)(?=[,;.]|\s+(?:and|but|while|as|on|at)\b|$)", clause))
    if found:
        return found[-1].group(1).strip()
    m = re.match(r"\s+(?!with\b)([a-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,3})", text[at:])
    if m:
        return _np(m.group(1)) or None
    return None


def _role_from_label(label: str) -> str:
    return label.lower()


def _singular_phrase(p: str) -> str:
    words = p.split()
    if not words:
        return p
    last = words[-1]
    if re.fullmatch(r"[A-Z]+s", last):
        return p
    low = last.lower()
    keep = {"sales", "savings", "news", "analytics", "series", "liquidations", "anomalies", "shares", "workloads", "proceeds", "buybacks"}
    if low in keep or low.endswith(("ss", "us", "is")):
        return p
    if low.endswith("ies") and len(low) > 4:
        last = last[:-3] + "y"
    elif low.endswith("s") and len(low) > 3:
        last = last[:-1]
    return " ".join([*words[:-1], last])


def _starts_with_name(phrase: str, name: str) -> bool:
    """``"edge node latency"`` starts with the name ``"edge nodes"`` (plural-insensitive)."""
    if len(name) < 3:
        return False
    p = phrase.split()
    n = name.split()
    if len(p) <= len(n):
        return False
    return all(a.rstrip("s") == b.rstrip("s") for a, b in zip(p[: len(n)], n, strict=False))


def extract_document(doc: Document, units: list[Unit]) -> dict[str, Any]:
    """Extract mentions and facts from one document (see module docstring)."""
    ex = Extractor(doc, units)
    ex._pending_launch = []
    ex._pending_owned = []
    return ex.run()
