"""The :class:`~core.types.Answer` records of the offline answerer: a cited answer, or an abstention.

An abstention says the corpus does not answer and cites (at most two) closest passages, so
the reader can check; its confidence is what the threshold was compared with.
"""

from __future__ import annotations

from core.interfaces import DocumentStore
from core.types import Answer, SearchResult
from engine.answer_rank import Candidate
from engine.citations import Citations


def cited_answer(
    result: SearchResult, text: str, cites: Citations, abstained: bool, value: str | None,
    confidence: float | None = None,
) -> Answer:
    """An answer from the passages (route ``passages``; ``none`` when it abstains)."""
    return Answer(
        confidence=confidence,
        question=result.question.text,
        text=text,
        citations=cites.items,
        abstained=abstained,
        route="passages" if not abstained else "none",
        passages=result.passages,
        timings_ms=dict(result.timings_ms),
        answer_type=result.question.answer_type,
        value=value,
    )


def abstain(index: DocumentStore, result: SearchResult, cands: list[Candidate], confidence: float = 0.0) -> Answer:
    """'The corpus does not say ("...")', citing the two best non-heading candidates as closest passages."""
    cites = Citations(index)
    refs = [cites.add(c.su.unit) for c in cands[:2] if c.su.unit.kind != "heading"]
    closest = f" Closest passages: {', '.join(f'[{n}]' for n in refs)}." if refs else ""
    q = result.question.text.rstrip("?").strip()
    text = f'The corpus does not say ("{q}").{closest}'
    return cited_answer(result, text, cites, abstained=True, value=None, confidence=confidence)


def note_ignored(answer: Answer, result: SearchResult) -> Answer:
    """Say which documents had top passages skipped for addressing a model (never silently)."""
    if result.ignored:
        note = "ignored passages with instruction-like text (not used as evidence) in: " + ", ".join(result.ignored)
        if note not in answer.notes:
            answer.notes.append(note)
    return answer
