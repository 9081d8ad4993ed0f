"""Deterministic evaluation metrics (no model): answer correctness, citations, retrieval,
abstention and faithfulness.

Gold answers come in four kinds (``eval/gold/qa.jsonl``, format in
``tests/eval/test_gold_qa_file.py``):

* ``number`` - the value must be found, in the gold unit, in the answer's *first sentence*
  (the text before the first ``[n]`` marker). ``"$4.46B"``, ``"4.46 billion"`` and
  ``"$4,460 million"`` are one value; percentages are fractions (``0.3`` is ``30%``); a
  value in another unit (``30x`` for ``30%``) does not count.
* ``range`` - low and high must both match one range in the first sentence (``49-52%``,
  ``5-6x``, ``between 49% and 52%``).
* ``list`` - the share of items found anywhere in the answer (an item is found when one of
  its alternatives occurs, case-insensitively); correct from two thirds up.
* ``text`` - every keyword group has one alternative somewhere in the answer.

Text is compared after :func:`core.normalize.normalize` (non-breaking hyphens, curly
quotes, odd spaces), so U+2011 in a report never decides a score.

>>> score_answer({"kind": "number", "value": 4.46e9, "unit": "USD"}, "About 4.46 billion in fiscal 2024 [1].").correct
True
>>> score_answer({"kind": "number", "value": 0.3, "unit": "%"}, "30x [1].").correct
False
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.normalize import normalize
from core.values import Value, find_values, same_number, word_number
from retrieval.lexical import tokenize

LIST_RECALL_MIN = 2 / 3  # "0.67": two of three items
FAITHFUL_WORDS_MIN = 0.6
_MARKER = re.compile(r"\[(\d+)\]")
_MARKERS = re.compile(r"(?:\s*\[\d+\](?:\s*,)?)+")
_SCALE_AFTER = re.compile(r"\s*(trillion|billion|million|thousand|bn|mn|tn|[BMK])(?![A-Za-z])")
_SCALE = {"trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mn": 1e6,
          "m": 1e6, "thousand": 1e3, "k": 1e3}
_INT = re.compile(r"(?<![\w.$,])(\d+)(?![\w.%,]|\.\d)")
_WORD = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen)\b", re.I)
_DURATION_MS = {"ms": 1.0, "millisecond": 1.0, "second": 1e3, "s": 1e3, "minute": 6e4, "min": 6e4, "hour": 3.6e6,
                "hr": 3.6e6}
# Value kinds that may stand for each other when checking that a cited span holds a value.
_KIND_CLASS = {"money": "money", "percent": "percent", "multiple": "multiple", "score": "score",
               "duration": "duration", "year": "year", "quarter": "year", "count": "count", "number": "count"}
# The offline answerer's abstention sentence, which repeats the question: never evidence of an answer.
ABSTAIN_ECHO = re.compile(r'(?:The corpus does not say|does not say)\s*\("[^"]*"\)\.?', re.I)
PARTIAL_ABSTAIN = re.compile(r"\bdoes not say\b", re.I)
_NUMBER_WORDS = {"billion", "million", "thousand", "trillion", "percent", "bn", "mn"}


class CitationLike(Protocol):
    """What the metrics read from a citation (``core.types.Citation`` has it)."""

    n: int
    doc: str
    start: int
    end: int
    text: str


def norm(text: str) -> str:
    """Normalised text for matching (typography folded, case kept)."""
    return normalize(text).text


def fold(text: str) -> str:
    return " ".join(norm(text).lower().split())


def first_sentence(answer_text: str) -> str:
    """What number and range answers are scored on: the text before the first ``[n]``."""
    m = _MARKER.search(answer_text)
    return answer_text[: m.start()] if m else answer_text


def strip_markers(text: str) -> str:
    return _MARKER.sub(" ", text)


# ---- values in a gold unit -------------------------------------------------------------------------


def values_in(text: str) -> list[Value]:
    """Every quantity in ``text`` (``find_values``) plus what it leaves out for scoring:
    bare numbers with a scale word (``"4.46 billion"`` is money-like), single-digit and
    word counts (``"3"``, ``"three"``)."""
    text = norm(text)
    vals = find_values(text)
    out: list[Value] = []
    for v in vals:
        if v.kind == "number" and v.high is None:
            m = _SCALE_AFTER.match(text, v.end)
            if m:
                scale = _SCALE[m.group(1).lower()]
                out.append(Value("number", v.start, m.end(), text[v.start : m.end()], v.value * scale, None, "scaled",
                                 v.qualifier))
                continue
        out.append(v)
    taken = [(v.start, v.end) for v in out]

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in _INT.finditer(text):
        if free(m.start(), m.end()):
            out.append(Value("number", m.start(), m.end(), m.group(0), float(m.group(1))))
    for m in _WORD.finditer(text):
        n = word_number(m.group(1))
        if n is not None and free(m.start(), m.end()):
            out.append(Value("number", m.start(), m.end(), m.group(0), float(n)))
    return sorted(out, key=lambda v: v.start)


def in_unit(v: Value, unit: str, of: float | None = None) -> tuple[float, float | None] | None:
    """``v`` as ``(low, high)`` in the gold ``unit``; ``None`` when the units disagree."""
    k = v.kind
    if unit == "USD":
        if k == "money" or (k == "number" and v.unit == "scaled"):
            return v.value, v.high
        return None
    if unit == "%":
        return (v.value, v.high) if k == "percent" else None
    if unit == "x":
        return (v.value, v.high) if k == "multiple" else None
    if unit == "ms":
        if k != "duration":
            return None
        f = _DURATION_MS.get(v.unit)
        if f is None:
            return None
        return v.value * f, None if v.high is None else v.high * f
    if unit == "score":
        if k != "score" or (of is not None and v.of is not None and not same_number(v.of, of)):
            return None
        return v.value, None
    if unit == "year":
        if k in ("year", "quarter"):
            return v.value, v.high
        return None
    if unit in ("count", "people"):
        if k == "count" or (k == "number" and v.unit != "scaled"):
            return v.value, v.high
        return None
    return None


def same(a: float, b: float, unit: str = "") -> bool:
    """``same_number``, except years (and quarters), which must be equal: 2023 is not 2024."""
    if unit == "year":
        return round(a) == round(b)
    return same_number(a, b)


# ---- answer correctness ------------------------------------------------------------------------------


@dataclass
class AnswerScore:
    """How an answer fares against its gold answer.

    ``matched`` holds what made it correct: answer values (numbers/ranges) or, for
    lists and text, the index of each item/group found with the alternative that matched.
    """

    kind: str
    correct: bool
    recall: float | None = None  # lists only
    matched_values: list[Value] = field(default_factory=list)
    matched_groups: dict[int, str] = field(default_factory=dict)
    groups: list[list[str]] = field(default_factory=list)  # lists/text: the gold items or keyword groups
    missing: list[list[str]] = field(default_factory=list)
    got_values: list[str] = field(default_factory=list)  # values of the right unit, for failure notes
    wrong_unit: list[str] = field(default_factory=list)  # values in another unit, for failure notes
    detail: str = ""


def score_answer(gold: dict[str, Any], answer_text: str, question_type: str = "") -> AnswerScore:
    """Score ``answer_text`` against a gold ``answer`` object (see module docstring).

    For lists and text, the question the answerer echoes inside an abstention
    (``The corpus does not say ("...")``) is not searched, and a comparison
    (``question_type == "comparison"``) with an unanswered side is wrong whatever it names.
    """
    kind = gold["kind"]
    if kind in ("number", "range"):
        return _score_numeric(gold, first_sentence(answer_text))
    partial = bool(PARTIAL_ABSTAIN.search(answer_text))
    answer_text = ABSTAIN_ECHO.sub(" ", answer_text)
    if question_type == "comparison" and partial:
        return AnswerScore(kind, False, detail="a side of the comparison is unanswered (partial abstention)")
    if kind == "list":
        found, missing = _groups_found(gold["items"], answer_text)
        recall = len(found) / len(gold["items"])
        ok = recall >= LIST_RECALL_MIN - 1e-9
        return AnswerScore(kind, ok, recall, matched_groups=found, groups=gold["items"], missing=missing,
                           detail=f"list recall {recall:.2f}" + (f"; missing {_alts(missing)}" if missing else ""))
    if kind == "text":
        found, missing = _groups_found(gold["keywords"], answer_text)
        return AnswerScore(kind, not missing, None, matched_groups=found, groups=gold["keywords"], missing=missing,
                           detail=f"missing keyword {_alts(missing)}" if missing else "")
    raise ValueError(f"unknown gold answer kind {kind!r}")


def _alts(groups: list[list[str]]) -> str:
    return ", ".join("/".join(g) for g in groups)


def _groups_found(groups: Sequence[Sequence[str]], text: str) -> tuple[dict[int, str], list[list[str]]]:
    hay = fold(strip_markers(text))
    found: dict[int, str] = {}
    missing: list[list[str]] = []
    for i, group in enumerate(groups):
        alt = next((a for a in group if fold(a) in hay), None)
        if alt is None:
            missing.append(list(group))
        else:
            found[i] = alt
    return found, missing


def _score_numeric(gold: dict[str, Any], sentence: str) -> AnswerScore:
    unit, of = gold["unit"], gold.get("of")
    vals = values_in(sentence)
    typed = [(v, in_unit(v, unit, of)) for v in vals]
    ok = [(v, lh) for v, lh in typed if lh is not None]
    # a year inside "in fiscal 2024" is context, not a wrong-unit answer
    other = [v.surface for v, lh in typed if lh is None and v.kind not in ("year", "quarter")]
    got = [v.surface for v, _ in ok]
    kind = gold["kind"]
    if kind == "number":
        target = float(gold["value"])
        hits = [v for v, (lo, hi) in ok if same(lo, target, unit) and (hi is None or same(hi, target, unit))]
        detail = "" if hits else _numeric_miss(unit, got, other)
        return AnswerScore(kind, bool(hits), matched_values=hits[:1], got_values=got, wrong_unit=other, detail=detail)
    low, high = float(gold["low"]), float(gold["high"])
    hits = [v for v, (lo, hi) in ok if hi is not None and same(lo, low, unit) and same(hi, high, unit)]
    if not hits:  # "between 49% and 52%": two values that together make the range
        lows = [v for v, (lo, hi) in ok if hi is None and same(lo, low, unit)]
        highs = [v for v, (lo, hi) in ok if hi is None and same(lo, high, unit)]
        if lows and highs:
            hits = [lows[0], highs[0]]
    detail = "" if hits else _numeric_miss(unit, got, other)
    return AnswerScore(kind, bool(hits), matched_values=hits, got_values=got, wrong_unit=other, detail=detail)


def _numeric_miss(unit: str, got: list[str], other: list[str]) -> str:
    if got:
        return f"wrong value: got {', '.join(got)}"
    if other:
        return f"wrong unit: got {', '.join(other)}, expected {unit}"
    return f"no {unit} value in the first sentence"


# ---- citations --------------------------------------------------------------------------------------


def locate_quote(raw: str, quote: str) -> list[tuple[int, int]]:
    """Every ``[start, end)`` of ``quote`` in ``raw``; typography-insensitive if not found verbatim."""
    spans: list[tuple[int, int]] = []
    p = raw.find(quote)
    while p >= 0:
        spans.append((p, p + len(quote)))
        p = raw.find(quote, p + 1)
    if spans:
        return spans
    n, q = normalize(raw), norm(quote)
    p = n.text.find(q) if q else -1
    while p >= 0:
        spans.append(n.raw_span(p, p + len(q)))
        p = n.text.find(q, p + 1)
    return spans


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Half-open ranges share at least one character."""
    return a[0] < b[1] and b[0] < a[1]


GoldSpans = dict[str, list[tuple[int, int]]]  # doc -> spans, for one evidence quote


def cites_evidence(c: CitationLike, evidence: Sequence[tuple[str, tuple[int, int]]]) -> bool:
    return any(doc == c.doc and overlaps((c.start, c.end), span) for doc, span in evidence)


def citation_precision(
    citations: Sequence[CitationLike], evidence: Sequence[Sequence[tuple[str, tuple[int, int]]]]
) -> float | None:
    """Share of citations that overlap some gold evidence quote (``None`` without citations).

    ``evidence`` holds, per gold quote, every ``(doc, span)`` where it occurs.
    """
    if not citations:
        return None
    flat = [occ for ev in evidence for occ in ev]
    return sum(cites_evidence(c, flat) for c in citations) / len(citations)


def citation_recall(
    citations: Sequence[CitationLike], evidence: Sequence[Sequence[tuple[str, tuple[int, int]]]]
) -> float | None:
    """Share of gold evidence quotes overlapped by some citation (``None`` without evidence)."""
    if not evidence:
        return None
    return sum(any(cites_evidence(c, ev) for c in citations) for ev in evidence) / len(evidence)


def value_in_text(v: Value, text: str) -> bool:
    """``v`` occurs in ``text``: its surface verbatim, or an equal value of the same kind."""
    hay = norm(text)
    if re.search(rf"(?<![0-9A-Za-z.]){re.escape(norm(v.surface))}(?![0-9A-Za-z])", hay):
        return True
    cls = _KIND_CLASS.get(v.kind, v.kind)
    for w in values_in(hay):
        wcls = "money" if (w.kind == "number" and w.unit == "scaled") else _KIND_CLASS.get(w.kind, w.kind)
        vcls = "money" if (v.kind == "number" and v.unit == "scaled") else cls
        u = "year" if vcls == "year" else ""
        if wcls != vcls or not same(w.value, v.value, u):
            continue
        if (v.high is None) != (w.high is None):
            continue
        if v.high is not None and w.high is not None and not same(v.high, w.high, u):
            continue
        if v.kind == "quarter" and w.kind == "quarter" and v.unit != w.unit:
            continue
        if vcls == "duration" and _DURATION_MS.get(v.unit) != _DURATION_MS.get(w.unit):
            continue
        return True
    return False


def supported(score: AnswerScore, citations: Sequence[CitationLike]) -> bool | None:
    """Does a cited span hold what made the answer correct? ``None`` for wrong answers.

    Numbers/ranges: each matched value occurs in some cited span. Lists/text: every item or
    keyword group the answer got right has an alternative in some cited span.
    """
    if not score.correct:
        return None
    if not citations:
        return False
    if score.matched_values:
        return all(any(value_in_text(v, c.text) for c in citations) for v in score.matched_values)
    hay = fold(" || ".join(c.text for c in citations))
    return all(any(fold(a) in hay for a in score.groups[i]) for i in score.matched_groups)


# ---- retrieval ------------------------------------------------------------------------------------


def evidence_ranks(
    passages: Sequence[tuple[str, int, int]], evidence: Sequence[Sequence[tuple[str, tuple[int, int]]]]
) -> list[int | None]:
    """For each gold quote, the 1-based rank of the first passage ``(doc, start, end)`` overlapping it."""
    ranks: list[int | None] = []
    for ev in evidence:
        rank = None
        for i, (doc, s, e) in enumerate(passages, 1):
            if any(doc == d and overlaps((s, e), span) for d, span in ev):
                rank = i
                break
        ranks.append(rank)
    return ranks


def recall_at_k(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of gold quotes found in the top ``k`` passages."""
    if not ranks:
        return None
    return sum(r is not None and r <= k for r in ranks) / len(ranks)


def reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    """1 / rank of the first passage holding any gold quote (0 when none does)."""
    if not ranks:
        return None
    found = [r for r in ranks if r is not None]
    return 1.0 / min(found) if found else 0.0


# ---- abstention -------------------------------------------------------------------------------------


def abstention_pr(pairs: Iterable[tuple[bool, bool]]) -> tuple[float | None, float | None]:
    """Precision and recall of abstaining, from ``(answerable, abstained)`` pairs.

    Precision: share of abstentions that were on unanswerable questions. Recall: share of
    unanswerable questions abstained on. ``None`` when undefined (no abstention / none unanswerable).

    >>> abstention_pr([(False, True), (True, True), (False, False), (True, False)])
    (0.5, 0.5)
    """
    tp = fp = fn = 0
    for answerable, abstained in pairs:
        if abstained and not answerable:
            tp += 1
        elif abstained:
            fp += 1
        elif not answerable:
            fn += 1
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    return p, r


# ---- faithfulness -----------------------------------------------------------------------------------


@dataclass
class SentenceCheck:
    text: str
    cited: list[int]
    numbers_ok: bool
    word_share: float
    faithful: bool


def answer_sentences(text: str) -> list[tuple[str, list[int]]]:
    """Split an answer into claims and the citation numbers each one carries.

    A claim is the text up to a group of ``[n]`` markers; trailing text without markers is
    an uncited claim.
    """
    out: list[tuple[str, list[int]]] = []
    pos = 0
    for m in _MARKERS.finditer(text):
        body = text[pos : m.start()].strip(" .;,")
        nums = [int(x) for x in _MARKER.findall(m.group(0))]
        if body:
            out.append((body, nums))
        elif out:
            out[-1][1].extend(nums)
        pos = m.end()
    tail = text[pos:].strip(" .;,")
    if tail and tokenize(tail):
        out.append((tail, []))
    return out


def check_sentence(sentence: str, spans: Sequence[str]) -> SentenceCheck:
    """A claim is faithful when its numbers all occur in its cited spans and at least 60% of
    its content words do."""
    joined = " || ".join(spans)
    if not spans:
        return SentenceCheck(sentence, [], False, 0.0, False)
    numbers_ok = all(value_in_text(v, joined) for v in values_in(sentence))
    words = [t for t in tokenize(sentence) if not any(ch.isdigit() for ch in t) and t not in _NUMBER_WORDS]
    have = set(tokenize(joined))
    share = sum(t in have for t in words) / len(words) if words else 1.0
    return SentenceCheck(sentence, [], numbers_ok, share, numbers_ok and share >= FAITHFUL_WORDS_MIN)


def faithfulness(text: str, citations: Sequence[CitationLike]) -> tuple[float | None, list[SentenceCheck]]:
    """Share of the answer's claims that their own citations support (``None`` for no claim)."""
    by_n = {c.n: c.text for c in citations}
    checks: list[SentenceCheck] = []
    for sentence, nums in answer_sentences(text):
        chk = check_sentence(sentence, [by_n[n] for n in nums if n in by_n])
        chk.cited = nums
        checks.append(chk)
    if not checks:
        return None, checks
    return sum(c.faithful for c in checks) / len(checks), checks


# ---- aggregation ------------------------------------------------------------------------------------


def mean(xs: Iterable[float | bool | None]) -> float | None:
    """Mean of the defined values (``None`` when there is none)."""
    vals = [float(x) for x in xs if x is not None]
    return sum(vals) / len(vals) if vals else None


def percentile(xs: Sequence[float], p: float) -> float | None:
    """Linear-interpolated percentile (``p`` in 0..100) of ``xs``.

    >>> percentile([1, 2, 3, 4], 50)
    2.5
    """
    if not xs:
        return None
    s = sorted(xs)
    pos = (len(s) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)
