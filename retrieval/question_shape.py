"""The shape of open and comparative questions: which aspects they ask about, what their subject
is, which items a comparison lines up and on what property.

Cue words are data (``retrieval/data/aspects.json`` and the ``comparison_cues`` of
``retrieval/data/question_types.json``); nothing here names a company, product or section.

>>> f = open_focus("What are the main risks to Acme's cloud business?")
>>> f.aspects, f.subject
(('risks',), "Acme's cloud business")
>>> open_focus("Summarize the bear case for Acme.").summary
True
>>> p = comparison_parts("How does Globex compare with Acme in cloud APIs?")
>>> p.items, p.prop
(('Globex', 'Acme'), 'cloud APIs')
>>> comparison_parts("Compare the near-term and long-term scenarios.").items
('near-term scenarios', 'long-term scenarios')
>>> comparison_parts("Which is cheaper per unit, rail or road?").direction
'less'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from retrieval.lexical import tokenize
from retrieval.question import _data as _question_data

_ASPECTS = Path(__file__).resolve().parent / "data" / "aspects.json"


@dataclass(frozen=True)
class Aspect:
    """One aspect an open question may ask about, with the cue patterns of questions and evidence."""

    name: str
    polarity: str  # "negative", "positive" or ""
    question: re.Pattern[str]
    evidence: re.Pattern[str]
    evidence_weak: re.Pattern[str]  # generic words of the aspect itself ("risk"): half a cue

    def hits(self, text: str) -> float:
        """Cue occurrences in ``text``: mechanisms count 1, the aspect's generic words 0.5."""
        return len(self.evidence.findall(text)) + 0.5 * len(self.evidence_weak.findall(text))


def _cue_pattern(cues: list[str]) -> re.Pattern[str]:
    """One regex for a list of cues: a cue matches whole words with plural and verb endings
    ("margin" finds "margins", not "marginal"); a cue ending in ``*`` matches any word it starts.

    >>> bool(_cue_pattern(["sales"]).search("Salesforce")), bool(_cue_pattern(["declin*"]).search("declining"))
    (False, True)
    """
    alts = []
    for c in cues:
        c = c.strip().lower()
        if not c:
            continue
        if c.endswith("*"):
            alts.append(re.escape(c[:-1]).replace(r"\ ", r"\s+"))
        else:
            alts.append(re.escape(c).replace(r"\ ", r"\s+") + r"(?:s|es|ed|d|ing)?(?![a-z0-9])")
    if not alts:
        return re.compile(r"(?!x)x")
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(sorted(alts, key=len, reverse=True)) + ")", re.I)


@cache
def _aspect_data() -> dict:  # type: ignore[type-arg]
    return json.loads(_ASPECTS.read_text(encoding="utf-8"))


@cache
def aspects() -> dict[str, Aspect]:
    """Every aspect of the data file, by name."""
    return {
        a["name"]: Aspect(a["name"], a.get("polarity", ""), _cue_pattern(a["question"]), _cue_pattern(a["evidence"]),
                          _cue_pattern(a.get("evidence_weak", [])))
        for a in _aspect_data()["aspects"]
    }


@cache
def _named_pattern(key: str) -> re.Pattern[str]:
    return _cue_pattern(list(_aspect_data()[key]))


def cue_count(pattern: re.Pattern[str], text: str) -> int:
    """How many times the cues of ``pattern`` occur in ``text``."""
    return len(pattern.findall(text))


def polarity_counts(text: str) -> tuple[int, int]:
    """``(negative, positive)`` cue counts of ``text`` over the aspects that carry a polarity."""
    neg = pos = 0
    for a in aspects().values():
        if a.polarity == "negative":
            neg = max(neg, int(a.hits(text)))
        elif a.polarity == "positive":
            pos = max(pos, int(a.hits(text)))
    return neg, pos


def is_lead_in(text: str) -> bool:
    """A sentence that only introduces what follows ("For business leaders, the key takeaways are:"),
    not a claim of its own ("Twilio's moats have eroded more than anticipated:" is one).

    >>> is_lead_in("The key takeaways are:"), is_lead_in("Margins have eroded more than most expected:")
    (True, False)
    """
    t = text.rstrip()
    if not t.endswith(":"):
        return False
    words = t[:-1].split()
    return len(words) < 6 or words[-1].lower() in set(_aspect_data()["lead_in_words"])


def starts_anaphoric(text: str) -> bool:
    """Does a sentence open by referring back ("This advantage ...", "It also ...")?"""
    return bool(_named_pattern("anaphora").match(text.lstrip().lower()))


def turns_negative(text: str) -> bool:
    """A contrast followed by a negative cue ("real but declining", "a floor, but growth requires ...")."""
    m = _named_pattern("contrast_cues").search(text.lower())
    if m is None:
        return False
    rest = text[m.end():]
    return any(a.polarity == "negative" and a.hits(rest) > 0 for a in aspects().values())


def contrast_count(text: str) -> int:
    """Contrast markers ("however", "but", "does not yet") in ``text``."""
    return cue_count(_named_pattern("contrast_cues"), text)


@cache
def frame_words() -> frozenset[str]:
    """Question words that frame a question rather than name its subject or property."""
    return frozenset(t for w in _aspect_data()["frame_words"] for t in tokenize(w, keep_stopwords=True))


@cache
def aspect_words() -> frozenset[str]:
    """Generic aspect nouns and verbs ("risks", "drivers", "affect"): not the subject of an open question."""
    return frozenset(t for w in _aspect_data()["aspect_words"] for t in tokenize(w, keep_stopwords=True))


@dataclass(frozen=True)
class OpenFocus:
    """What an open question asks about: its aspects, its subject, and whether it wants a summary."""

    aspects: tuple[str, ...]
    subject: str  # the words the question is about, frame words removed ("Acme's cloud business")
    subject_tokens: tuple[str, ...]
    summary: bool


def open_focus(question: str) -> OpenFocus:
    """The aspects and subject of an open question (see module docstring)."""
    q = " ".join(question.split())
    low = q.lower()
    found = tuple(a.name for a in aspects().values() if a.question.search(low))
    summary = bool(_named_pattern("summary_cues").search(low))
    subject = _content_words(q)
    return OpenFocus(found, subject, tuple(dict.fromkeys(tokenize(subject))), summary)


def _content_words(text: str) -> str:
    """``text`` without frame words, stop words and punctuation ("What are the risks to X?" -> "X")."""
    frame = frame_words() | aspect_words()
    words = [w.strip(" ,.?!;:\"()") for w in text.split()]
    keep = [w for w in words if w and tokenize(w) and not set(tokenize(w, keep_stopwords=True)) <= frame]
    return " ".join(keep)


# ---- comparisons ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonParts:
    """The items a comparison lines up, the property it weighs (``""`` when it names none), which way a
    "which is larger/cheaper" question points (``"more"``, ``"less"`` or ``""``), and whether the items
    are the documents themselves ("how do the two reports differ")."""

    items: tuple[str, ...]
    prop: str
    direction: str
    across_documents: bool


@cache
def _comparison_cues() -> dict:  # type: ignore[type-arg]
    return dict(_question_data()["comparison_cues"])


def comparison_words() -> tuple[list[str], list[str]]:
    """Comparatives that ask for the larger side and for the smaller side (data file)."""
    cues = _comparison_cues()
    return list(cues["more"]), list(cues["less"])


@cache
def compare_properties() -> tuple[Aspect, ...]:
    """The properties a comparison lines up when the question names none, in order (data file)."""
    out = []
    for p in _aspect_data()["compare_properties"]:
        if "aspect" in p:
            a = aspects()[p["aspect"]]
            out.append(Aspect(p["name"], a.polarity, a.question, a.evidence, a.evidence_weak))
        else:
            out.append(Aspect(p["name"], "", _cue_pattern([]), _cue_pattern(p["evidence"]), _cue_pattern([])))
    return tuple(out)


def _words_re(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def comparison_direction(question: str) -> str:
    """``"less"`` when the question asks for the smaller/cheaper side, ``"more"`` for the larger, else ``""``."""
    cues = _comparison_cues()
    low = question.lower()
    less = re.search(rf"\b(?:{_words_re(cues['less'])})\b", low)
    more = re.search(rf"\b(?:{_words_re(cues['more'])})\b", low)
    if less and (not more or less.start() < more.start()):
        return "less"
    return "more" if more else ""


_PATTERNS = (
    # "how does A compare with B (on P)"
    r"^\s*how (?:does|do|did|would|will)\s+(?P<a>.+?)\s+compare\s+(?:with|to|against)\s+(?P<b>.+?)\s*[?.!]*$",
    # "A vs B: which ..." / "A versus B"
    r"^\s*(?P<a>.+?)\s+(?:versus|vs\.?)\s+(?P<b>.+?)\s*[?.!]*$",
    # "compare A and/with B"
    r"\bcompare[sd]?\s+(?:to|with)?\s*(?P<a>.+?)\s+(?:with|to|and|against|versus|vs\.?)\s+(?P<b>.+?)\s*[?.!]*$",
    # "difference(s) between A and B", "how do A and B differ"
    r"\bbetween\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\s*[?.!]*$",
    r"^\s*how (?:do|does|did)\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)\s+differ\b(?P<rest>.*)$",
)


def comparison_parts(question: str) -> ComparisonParts:
    """Items, property and direction of a comparison question (see :class:`ComparisonParts`)."""
    q = " ".join(question.split())
    cues = _comparison_cues()
    direction = comparison_direction(q)
    docs = rf"\b(?:two|both|the|all the|these)\s+(?:{_words_re(cues['document_words'])})\b"
    if re.search(docs, q, re.I) and re.search(r"\bdiffer|\bcompare|\bcontrast|\bdisagree|\bview", q, re.I):
        return ComparisonParts((), _doc_property(q), direction, True)
    for pat in _PATTERNS:
        m = re.search(pat, q, re.I)
        if not m:
            continue
        a, b = m.group("a"), m.group("b")
        prop = ""
        b, tail = _split_tail(b)
        if tail:
            prop = _property_phrase(tail)
        if not prop:
            b, prop = _split_property(b, cues["property_prefixes"])
        a, b = _clean(a), _clean(b)
        if m.start("a") == 0 and a[:1].isupper() and a[1:2].islower():
            a = a[:1].lower() + a[1:]  # capitalised only because it starts the question
        if a and b:
            a, b = _distribute(a, b)
            return ComparisonParts((a, b), prop, direction, False)
    sides = _which_sides(q)
    if sides:
        return ComparisonParts(sides, _which_property(q), direction, False)
    return ComparisonParts((), "", direction, False)


def _split_tail(side: str) -> tuple[str, str]:
    """``"B: which carries the higher risk"`` -> ``("B", "which carries the higher risk")``."""
    m = re.match(r"^(.+?)\s*[:;,]\s*((?:which|what|who|how|where|when)\b.*)$", side, re.I)
    return (m.group(1), m.group(2)) if m else (side, "")


def _split_property(side: str, prefixes: list[str]) -> tuple[str, str]:
    """``"Acme in cloud APIs"`` -> ``("Acme", "cloud APIs")`` (the last property prefix wins)."""
    m = re.match(rf"^(.+?)\s+(?:{_words_re(prefixes)})\s+(.+)$", side, re.I)
    if not m or len(tokenize(m.group(2))) == 0:
        return side, ""
    return m.group(1), _clean(m.group(2))


def _property_phrase(text: str) -> str:
    """The measured thing of a trailing question ("which carries the higher AI disruption risk" ->
    "AI disruption risk"): its words after frame words and comparatives are dropped."""
    cues = _comparison_cues()
    comp = {w.lower() for w in cues["more"] + cues["less"]}
    frame = frame_words()
    words = [w.strip(" ,.?;:") for w in text.split()]
    keep = [w for w in words if w and w.lower() not in comp and not (set(tokenize(w, keep_stopwords=True)) <= frame)]
    keep = [w for w in keep if (tokenize(w) or w.lower() == "per") and w.lower() not in {"one", "side", "each", "it", "they"}]
    while keep and not tokenize(keep[-1]):
        keep.pop()
    if keep and all(w[:1].isupper() for w in keep):
        return ""  # only names ("how does Acme approach each"): the subject, not a property
    return " ".join(keep)


def _doc_property(q: str) -> str:
    """What two documents are compared on ("... differ in their view of X" -> "X")."""
    m = re.search(r"\b(?:on|about|in their (?:view|views|take|assessment) of|regarding|over|in)\s+(.+?)\s*[?.!]*$", q, re.I)
    return _clean(m.group(1)) if m else ""


def _which_split(q: str) -> tuple[str, str, str] | None:
    """"Which is larger, A or B?" -> ``("Which is larger", "A", "B")``: the last "," or ":" before " or "."""
    body = q.rstrip(" ?.!")
    o = body.lower().rfind(" or ")
    if o < 0:
        return None
    cut = max(body.rfind(",", 0, o), body.rfind(":", 0, o))
    if cut < 0:
        return None
    return body[:cut], body[cut + 1 : o], body[o + 4 :]


def _which_sides(q: str) -> tuple[str, ...]:
    """"Which is larger, A or B?" / "Which contributed more to X: A or B?" -> ``(A, B)``."""
    parts = _which_split(q)
    if parts is None:
        return ()
    a, b = _clean(parts[1]), _clean(parts[2])
    return (a, b) if a and b else ()


def _which_property(q: str) -> str:
    """The property of "Which carries the higher X, A or B": the words after the comparative (or the
    head's content words); a bare period ("in FY2024") is not a property."""
    parts = _which_split(q)
    head = parts[0] if parts else q
    cues = _comparison_cues()
    found = list(re.finditer(rf"\b(?:{_words_re(cues['more'] + cues['less'])})\b", head, re.I))
    m = found[-1] if found else None
    text = head[m.end():] if m is not None and head[m.end():].strip() else head
    prop = _property_phrase(text)
    return "" if all(any(ch.isdigit() for ch in w) for w in prop.split()) else prop


def _clean(side: str) -> str:
    s = side.strip(" ,.?!;:\"'")
    s = re.sub(r"^(?:the|a|an|its|their|his|her)\s+", "", s, flags=re.I)
    return s.strip(" ,.?!;:\"'")


def _distribute(a: str, b: str) -> tuple[str, str]:
    """"near-term and long-term scenarios": the first item shares the second one's head noun."""
    aw, bw = a.split(), b.split()
    if len(aw) == 1 and len(bw) >= 2 and "-" in aw[0] and "-" in bw[0] and aw[0].islower():
        return " ".join([aw[0], *bw[1:]]), b
    return a, b
