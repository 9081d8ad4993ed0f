"""What the extraction steps of one document share: its segments, the names found so far with
their type weights, and the mentions and facts recorded (each with its evidence unit).

Every step (:mod:`~kg.extract.segments`, :mod:`~kg.extract.structure`, :mod:`~kg.extract.entities`,
:mod:`~kg.extract.relations`, :mod:`~kg.extract.metrics`, :mod:`~kg.extract.tables`) is a function
of a :class:`DocState`; the order they run in is :func:`kg.extract.extract_document`'s.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.types import Document, Unit
from kg import lexicon as lx
from kg.extract.text import clean_name

if TYPE_CHECKING:  # spaCy is imported lazily (kg.nlp); only its types are needed here
    from spacy.language import Language
    from spacy.tokens import Doc as SpacyDoc

COMPANY, PRODUCT, TECH, PERSON, SEGMENT, METRIC, SCENARIO, INDICATOR = (
    "Company", "Product", "Technology", "Person", "Segment", "Metric", "Scenario", "Indicator",
)
ACTOR_TYPES = {COMPANY, PRODUCT, TECH, SEGMENT, PERSON}
PRONOUNS = {"it", "its", "the company", "the firm", "the group", "company", "management", "we", "our"}

Named = tuple[str, str]  # (entity name, entity type)


@dataclass
class Occ:
    """An occurrence of a known name inside a segment."""

    start: int
    end: int
    name: str
    type: str


@dataclass
class Seg:
    """A piece of text analysed on its own: a unit, or one cell of a table row."""

    unit: int
    text: str
    header: str | None = None
    col: int = -1
    sp: SpacyDoc | None = None
    occ: list[Occ] = field(default_factory=list)


@dataclass
class Run:
    """A candidate name: consecutive capitalised tokens of one segment."""

    seg: int
    start: int
    end: int
    text: str
    initial: bool
    propn: bool
    ner: str | None


@dataclass
class Launch:
    """``"<Product>, launched in 2023"``: recorded while typing names, turned into a fact later."""

    owner: str | None
    product: str
    unit: int
    year: int | None


@dataclass
class Owned:
    """``"<Name> (now <Owner>)"``: recorded while typing names, turned into a fact later."""

    owned: str
    owner: str
    unit: int


def evidence(doc: Document, u: Unit) -> list[Any]:
    """The evidence of a mention or fact: the whole unit ``[doc, start, end, text]``."""
    return [doc.id, u.start, u.end, doc.raw[u.start : u.end]]


class DocState:
    """One document under extraction (see module docstring)."""

    def __init__(self, doc: Document, units: list[Unit], nlp: Language) -> None:
        self.doc = doc
        self.units = [u for u in units if u.doc == doc.id]
        self.nlp = nlp
        # "X (now Y)" needs POS/NER confirmation only when a tagger ran
        self.tagged = bool({"tagger", "morphologizer"} & set(nlp.pipe_names))
        self.mentions: list[dict[str, Any]] = []
        self.facts: list[dict[str, Any]] = []
        self.types: dict[str, Counter[str]] = defaultdict(Counter)  # name -> type weights
        self.aliases: dict[str, set[str]] = defaultdict(set)
        self.headers: dict[int, list[str]] = {}  # table-row unit -> its column headers
        self.segs: list[Seg] = []
        self.unit_segs: dict[int, list[int]] = defaultdict(list)
        self.seg_runs: dict[int, list[Run]] = defaultdict(list)
        self.focus: str | None = None  # the company the document is about
        self.row_entity: dict[int, Named] = {}  # table-row unit -> the entity its first cell names
        self.scenario_of: dict[int, tuple[str, str]] = {}  # unit -> (scenario heading, scenario key)
        self.used_values: set[tuple[int, int]] = set()  # (id(seg), value start) already turned into a fact
        self.launches: list[Launch] = []
        self.owned: list[Owned] = []

    # ---- recording -----------------------------------------------------------------------

    def mention(self, name: str, typ: str, w: float, ui: int, aliases: tuple[str, ...] = (), **attrs: Any) -> str:
        """Record that unit ``ui`` names ``name`` as a ``typ`` with weight ``w``; the cleaned name."""
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
             "attrs": attrs, "ev": evidence(self.doc, self.units[ui])}
        )
        return name

    def fact(self, s: str, st: str, p: str, ui: int, o: str | None = None, ot: str | None = None, **kw: Any) -> None:
        """Record the fact ``s -p-> o`` (or a metric fact of ``s`` when ``o`` is ``None``) stated by unit ``ui``."""
        if not s or (o is not None and (not o or o == s)):
            return
        self.mention(s, st, 0.25, ui)
        if o is not None and ot is not None:
            self.mention(o, ot, 0.25, ui)
        f = {"s": s, "st": st, "p": p, "o": o, "ot": ot, "ev": evidence(self.doc, self.units[ui])}
        attrs = kw.pop("attrs", {}) or {}
        f.update({k: v for k, v in kw.items() if v is not None})
        f["attrs"] = {k: v for k, v in attrs.items() if v not in (None, "")}
        self.facts.append(f)

    # ---- lookups -------------------------------------------------------------------------

    def type_of(self, name: str) -> str | None:
        """The best-supported type of ``name`` so far (two person cues make a person)."""
        c = self.types.get(name)
        if not c:
            return None
        if c.get(PERSON, 0) >= 2:
            return PERSON
        return c.most_common(1)[0][0]

    def weight(self, name: str, typ: str | None = None) -> float:
        """The weight of ``name`` as a ``typ`` (as anything when ``typ`` is ``None``)."""
        c = self.types.get(name)
        if not c:
            return 0.0
        return c.get(typ, 0.0) if typ else sum(c.values())

    def companies(self, min_weight: float = 1.0) -> set[str]:
        return {n for n in self.types if self.weight(n, COMPANY) >= min_weight}

    def all_names(self) -> dict[str, str]:
        """Every known name and alias with its type."""
        out = {}
        for n in self.types:
            t = self.type_of(n)
            if t:
                out[n] = t
                for a in self.aliases.get(n, ()):
                    out.setdefault(a, t)
        return out

    def product_prefix(self, name: str, companies: set[str] | None = None) -> str | None:
        """The company whose name starts ``name`` (``"Salesforce Agentforce"`` -> ``"Salesforce"``)."""
        if companies is None:
            companies = self.companies()
        suffixes = lx.company_suffixes()
        for comp in sorted(companies, key=len, reverse=True):
            if name.startswith(comp + " ") and name != comp:
                rest = name[len(comp) :].strip().split()
                if rest and not all(w in suffixes for w in rest) and rest[0][:1].isupper():
                    return comp
        return None

    def heading_entity(self, ui: int) -> Named | None:
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

    def result(self, version: int) -> dict[str, Any]:
        """The JSON-ready extraction (see :mod:`kg.extract`)."""
        return {
            "doc": self.doc.id, "sha256": self.doc.sha256, "version": version, "focus": self.focus,
            "mentions": self.mentions, "facts": self.facts,
        }
