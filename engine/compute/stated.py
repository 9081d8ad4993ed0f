"""Yes/no decided by what a sentence states: a direction of change next to the measured thing
("SMS per-message rates declining ..."), or a statement that covers every word of the question.

Conservative by design: a direction counts only within a few words of the measured thing and
when no opposite direction is as close; a stated fact needs all of the question's content words
in one cited unit (synonyms and stems allowed); a negation near them turns it into "No".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from core.types import ScoredUnit, Unit
from retrieval.lexical import concepts, tokenize
from retrieval.question import compute_cues

WINDOW = 4  # words between the measured thing and its direction word


@cache
def _yn() -> dict[str, object]:
    return dict(compute_cues()["yesno"])


@cache
def direction_re(kind: str) -> re.Pattern[str]:
    words = _yn()[kind]
    assert isinstance(words, list)
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.I)


def direction_of(text: str) -> str | None:
    """``up`` / ``down`` for the first direction word of ``text``."""
    m_up, m_down = direction_re("up").search(text), direction_re("down").search(text)
    if m_up and (not m_down or m_up.start() < m_down.start()):
        return "up"
    return "down" if m_down else None


@dataclass(frozen=True)
class Reading:
    """What a unit says: the direction (or yes/no) and the unit that says it."""

    verdict: str  # up | down | yes | no
    unit: Unit


def _word_spans(text: str) -> list[tuple[str, int]]:
    return [(m.group(0), m.start()) for m in re.finditer(r"[A-Za-z][\w'-]*", text)]


def _expand(words: set[str], text: str) -> set[str]:
    out = set(words)
    for own, group in concepts(text):
        if own & words:
            out |= group
    return out


def _owners(thing: str) -> set[str]:
    """Tokens of the possessive words of ``thing``: whose figure it is, not what is measured.

    >>> sorted(_owners("Twilio's FY2023 gross margin"))
    ['twilio']
    """
    return {t for m in re.finditer(r"([\w&.-]+)'s\b", thing) for t in tokenize(m.group(1))}


def stated_direction(units: list[ScoredUnit], thing: str, periods: tuple[str, ...] = ()) -> Reading | None:
    """The direction the best unit states for ``thing`` (a direction word within :data:`WINDOW` words
    of the measured words themselves, not of the owner's name: in "Segment's integration into
    Twilio's go-to-market has been slower" nothing says how Twilio's margin moved); a unit must
    name the question's years (``periods``) when it asks about some."""
    own = set(tokenize(thing)) - {t for p in periods for t in tokenize(p)}
    years = {re.sub(r"\D", "", p)[-4:] for p in periods}
    want = _expand(own, thing)
    if not want:
        return None
    measured = _expand(own - _owners(thing), thing) or want  # the owner alone: its name is the thing
    need = max(1, min(len(own), round(0.6 * len(own) + 0.01)))  # most of the thing's words, not one of many
    for su in units[:8]:
        if years and not all(y in su.unit.text for y in years):
            continue
        words = _word_spans(su.unit.text)
        toks = [(tokenize(w) or [""])[0] for w, _ in words]
        found = {toks[i] for i, t in enumerate(toks) if t in want}
        hits = [i for i, t in enumerate(toks) if t in measured]
        if len(found) < need or not hits:
            continue
        best: tuple[int, str] | None = None
        for i, (w, _) in enumerate(words):
            kind = "up" if direction_re("up").fullmatch(w) else "down" if direction_re("down").fullmatch(w) else None
            if kind is None:
                continue
            dist = min(abs(i - h) for h in hits)
            if dist <= WINDOW and (best is None or dist < best[0]):
                best = (dist, kind)
            elif best is not None and dist == best[0] and kind != best[1]:
                best = None  # two directions as close: undecided
                break
        if best is not None:
            return Reading(best[1], su.unit)
    return None


def stated_fact(units: list[ScoredUnit], content: str, subject: str) -> Reading | None:
    """``yes`` when one unit holds every content word of the question (``no`` with a negation near them)."""
    want = set(tokenize(content))
    if len(want) < 2:
        return None
    neg = re.compile(str(_yn()["negation"]), re.I)
    subj = set(tokenize(subject))
    for su in units[:5]:
        have = _expand(set(tokenize(su.unit.text)), su.unit.text)
        if not want <= have or (subj and not subj & have):
            continue
        words = _word_spans(su.unit.text)
        at = [i for i, (w, _) in enumerate(words) if (tokenize(w) or [""])[0] in want]
        negated = any(neg.fullmatch(w) and any(0 < j - i <= 3 for j in at) for i, (w, _) in enumerate(words))
        return Reading("no" if negated else "yes", su.unit)
    return None
