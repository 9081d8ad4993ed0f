"""Checking an LLM completion against the passages it cites, sentence by sentence.

The completion is split into sentences (:func:`split_sentences`). Citation markers pointing
at no passage are removed; a sentence with no valid citation, or whose numbers do not occur
in the passages it cites (literally, or as the same quantity via
:func:`core.values.find_values`), is dropped and noted. In a kept sentence, citations of
passages that hold none of its numbers (or that were flagged) are removed too. Kept
citations are renumbered 1..n in order of appearance.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from core.errors import LLMDeadline
from core.safety import looks_like_instructions
from core.values import Value, find_values, same_number
from engine.llm_prompt import DECLINE, NUMBER, PromptPassage, literals, norm_number

# [3]  [3, 5]  [2-4]  [Passage 2]  【3】  ［3］
_MARKER = re.compile(
    r"[\[【［]\s*(?:passages?|sources?|p\.?)?\s*(\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})*)\s*[\]】］]", re.I
)
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S | re.I)
# sentence ends: terminator, then any citation markers, then space and the start of the next sentence
_BOUNDARY = re.compile(
    r"(?<=[.!?])((?:\s*[\[【［][^\[\]【】［］\n]{1,30}[\]】］])*)[ \t]+(?=[A-Z0-9\"“‘'(])|\s*\n\s*"
)
_ABBREV = re.compile(
    r"(?:\b(?:approx|est|vs|incl|excl|avg|no|fig|inc|corp|co|ltd|mr|ms|dr|st|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)"
    r"|\b(?:[A-Za-z]\.){1,3}[A-Za-z])\.$",
    re.I,
)


@dataclass(slots=True)
class Dropped:
    sentence: str
    reason: str


@dataclass(slots=True)
class Checked:
    """What survived checking: rendered sentences (renumbered) and what was removed, and why."""

    sentences: list[str] = field(default_factory=list)
    order: list[int] = field(default_factory=list)  # passage numbers in citation order (new n = index + 1)
    highlight: dict[int, Value] = field(default_factory=dict)  # passage n -> value to mark in its citation
    dropped: list[Dropped] = field(default_factory=list)
    bad_citations: list[int] = field(default_factory=list)
    weak_citations: list[int] = field(default_factory=list)  # real passages that do not support the sentence
    seen_text: bool = False
    declined: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


class Checker:
    """Checks a completion sentence by sentence; feed it text deltas (streaming) or the whole text."""

    def __init__(self, passages: list[PromptPassage], deadline: float | None = None) -> None:
        self.passages = {p.n: p for p in passages}
        self.out = Checked()
        self._buf = ""
        self.deadline = deadline  # time.monotonic() by which checking must be done (LLMDeadline after)

    def feed(self, delta: str) -> list[str]:
        """Add text; return rendered text for each sentence that is now complete and supported."""
        self._buf += delta
        low = self._buf.lower()
        if low.rfind("<think>") > low.rfind("</think>"):
            return []  # inside a reasoning block: wait for its end
        done, self._buf = split_sentences(_strip_think(self._buf), final=False)
        return self._emit(done)

    def finish(self) -> list[str]:
        done, self._buf = split_sentences(_strip_think(self._buf), final=True)
        return self._emit(done)

    def _emit(self, sentences: list[str]) -> list[str]:
        shown = []
        for s in sentences:
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise LLMDeadline("checking the LLM answer ran past the total time budget")
            r = self.check(s)
            if r:
                shown.append(("" if len(self.out.sentences) == 1 else " ") + r)
        return shown

    def check(self, sentence: str) -> str | None:
        """The rendered sentence (citations renumbered), or ``None`` after recording why it was dropped."""
        s = sentence.strip().lstrip("-*•").strip()
        s = re.sub(r"^\d+[.)]\s+", "", s)
        if not s:
            return None
        self.out.seen_text = True
        if s.strip(" .").upper() == DECLINE:
            self.out.declined = True
            return None
        cited = self._citations(s)
        body = _tidy(_MARKER.sub(" ", s))
        if not re.search(r"[A-Za-z0-9]", body):
            return None  # a stray marker line
        if looks_like_instructions(body):  # an echo of a planted instruction is no answer
            self.out.dropped.append(Dropped(body, "reads like an instruction to a model"))
            return None
        supported = self._support(body, cited)
        if supported is None:
            return None
        return self._render(s, *supported)

    def _citations(self, s: str) -> list[int]:
        """Existing passages ``s`` cites, in order; numbers of no passage are recorded as bad citations."""
        cited: list[int] = []
        for m in _MARKER.finditer(s):
            for n in _expand(m.group(1)):
                if n in self.passages:
                    if n not in cited:
                        cited.append(n)
                elif n not in self.out.bad_citations:
                    self.out.bad_citations.append(n)
        return cited

    def _support(self, body: str, cited: list[int]) -> tuple[list[int], list[tuple[int, Value]]] | None:
        """The cited passages that support ``body`` and the values matched in them, or ``None``
        after recording why the sentence is dropped."""
        if not cited:
            self.out.dropped.append(Dropped(body, "cites no existing passage"))
            return None
        if all(self.passages[n].flagged for n in cited):
            self.out.dropped.append(Dropped(body, "cites only a passage with instruction-like text"))
            return None
        # only passages without instruction-like text can support a sentence's numbers
        support = [self.passages[n] for n in cited if not self.passages[n].flagged]
        missing, matched = self._unsupported(body, support)
        if missing:
            where = ", ".join(f"[{p.n}]" for p in support)
            self.out.dropped.append(Dropped(body, f"{', '.join(missing)} not in cited passage {where}"))
            return None
        # keep only citations that support the sentence: never a flagged passage, and, when the
        # sentence states numbers, only passages that hold at least one of them
        said = literals(body)
        matched_ns = {n for n, _ in matched}
        keep = [p.n for p in support if not said or p.numbers & said or p.n in matched_ns] or [p.n for p in support]
        for n in cited:
            if n not in keep and n not in self.out.weak_citations:
                self.out.weak_citations.append(n)
        return keep, matched

    def _render(self, s: str, cited: list[int], matched: list[tuple[int, Value]]) -> str:
        """``s`` with its markers renumbered in order of first citation (unsupported ones removed)."""
        for n in cited:
            if n not in self.out.order:
                self.out.order.append(n)
        for n, v in sorted(matched, key=lambda nv: nv[1].kind in ("year", "quarter")):  # amounts before dates
            if n in cited:
                self.out.highlight.setdefault(n, v)
        new = {old: k + 1 for k, old in enumerate(self.out.order)}

        def renumber(m: re.Match[str]) -> str:
            ks = [new[n] for n in dict.fromkeys(_expand(m.group(1))) if n in cited]
            return " " + "".join(f"[{k}]" for k in ks) if ks else " "

        rendered = _tidy(_MARKER.sub(renumber, s))
        rendered = re.sub(r"\s+([.,;:!?])", r"\1", rendered)
        if not _MARKER.search(rendered):  # (cannot happen: cited is non-empty) keep every sentence cited
            rendered += " " + "".join(f"[{new[n]}]" for n in cited)
        self.out.sentences.append(rendered)
        return rendered

    @staticmethod
    def _unsupported(body: str, cited: list[PromptPassage]) -> tuple[list[str], list[tuple[int, Value]]]:
        """Numbers of ``body`` found in none of ``cited`` (literally or as the same quantity)."""
        numbers: set[str] = set().union(*(p.numbers for p in cited))
        spans: list[tuple[int, int]] = []
        matched: list[tuple[int, Value]] = []
        for v in find_values(body):
            for p in cited:
                pv = next((pv for pv in p.values if same_quantity(v, pv)), None)
                if pv is not None:
                    spans.append((v.start, v.end))
                    matched.append((p.n, pv))
                    break
        missing = []
        for m in NUMBER.finditer(body):
            lit = norm_number(m.group(0))
            if lit in numbers or any(a <= m.start() and m.end() <= b for a, b in spans):
                continue
            missing.append(m.group(0))
        return list(dict.fromkeys(missing)), matched


def check_completion(text: str, passages: list[PromptPassage]) -> Checked:
    """Check a whole completion (see :class:`Checker`)."""
    c = Checker(passages)
    c.feed(text)
    c.finish()
    return c.out


def split_sentences(text: str, final: bool = True) -> tuple[list[str], str]:
    """``(complete sentences, unfinished rest)``; with ``final`` the rest is a sentence too.

    >>> split_sentences("Revenue was $4.46 billion [1]. It grew 12% [2][3]. Marg", final=False)
    (['Revenue was $4.46 billion [1].', 'It grew 12% [2][3].'], 'Marg')
    """
    out: list[str] = []
    pos = 0
    for m in _BOUNDARY.finditer(text):
        # look back a few characters only (the longest abbreviation is 8): linear in the text
        if "\n" not in m.group(0) and _ABBREV.search(text, max(0, m.start() - 20), m.start()):
            continue  # "approx. $4 billion", "vs. Globex", "U.S. revenue"
        end = m.start() + len(m.group(1) or "")
        piece = text[pos:end].strip()
        if piece:
            out.append(piece)
        pos = m.end()
    rest = text[pos:]
    if final:
        if rest.strip():
            out.append(rest.strip())
        rest = ""
    return out, rest


def _strip_think(text: str) -> str:
    """The text without ``<think>...</think>`` reasoning blocks (an unclosed one runs to the end)."""
    return _THINK.sub("", text) if "<think>" in text.lower() else text


def _expand(group: str) -> list[int]:
    """Passage numbers of one marker's inside; a range longer than 21 keeps its two ends only.

    >>> _expand("2-4, 7")
    [2, 3, 4, 7]
    """
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", group):
        m = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", part.strip())
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            out += list(range(a, b + 1)) if 0 <= b - a <= 20 else [a, b]
        elif part.strip().isdigit():
            out.append(int(part))
    return out


def _tidy(s: str) -> str:
    """Single spaces, none before punctuation."""
    s = " ".join(s.split())
    return re.sub(r"\s+([.,;:!?])", r"\1", s).strip()


def same_quantity(a: Value, b: Value) -> bool:
    """The same number (and, for a range, the same upper bound)."""
    if not same_number(a.value, b.value):
        return False
    if a.high is None:
        return True
    return b.high is not None and same_number(a.high, b.high)


def check_notes(checked: Checked) -> list[str]:
    """What checking removed, and why, as answer notes."""
    notes = []
    if checked.bad_citations:
        nums = ", ".join(f"[{n}]" for n in checked.bad_citations)
        notes.append(f"removed citation(s) to passages that do not exist: {nums}")
    if checked.weak_citations:
        nums = ", ".join(f"[{n}]" for n in checked.weak_citations)
        notes.append(f"removed citation(s) to prompt passages {nums} that do not support their sentence")
    for d in checked.dropped:
        s = d.sentence if len(d.sentence) <= 140 else d.sentence[:137] + "..."
        notes.append(f'dropped unsupported sentence ({d.reason}): "{s}"')
    return notes

