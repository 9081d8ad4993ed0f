"""The offline answerer: exact value first, supporting sentences after, every sentence cited.

No model generates text here. The answer is read off the retrieved units:

1. keep candidate units that can answer the question's type (a unit with a percentage for
   "what share ...", an enumeration of names for "which vendors ...");
2. rank them by retrieval score plus cues (the question's period appears, its rare words
   appear, the value sits close to them) - :mod:`engine.answer_rank`;
3. take the value nearest the question's words in the best unit, state it, then quote up to
   ``max_support`` units as support - :mod:`engine.answer_values`; names and list items for
   "who"/"which" questions - :mod:`engine.answer_lists`; quoted sentences for the rest -
   :mod:`engine.answer_sentences`;
4. abstain when the evidence is weak (a calibrated confidence below ``abstain_threshold``) -
   :mod:`engine.answer_result`.
"""

from __future__ import annotations

from core.config import Settings
from core.interfaces import DocumentStore
from core.types import Answer, QuestionAnalysis, SearchResult
from engine.answer_lists import LOOSE_LIST, names_answer
from engine.answer_rank import Candidate, Ranker
from engine.answer_result import abstain
from engine.answer_sentences import sentence_answer
from engine.answer_values import value_answer

__all__ = ["LOOSE_LIST", "Candidate", "OfflineAnswerer"]


class OfflineAnswerer:
    """The default answerer (see module docstring); one per loaded index."""

    def __init__(self, index: DocumentStore, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.ranker = Ranker(index, settings)

    def answer(self, result: SearchResult, draft: Answer | None = None) -> Answer:
        """The offline answer to ``result`` (``draft`` is ignored: this answerer is the first one)."""
        qa = result.question
        cands = self.ranker.candidates(result)
        if not cands:
            return abstain(self.index, result, [])
        if qa.kinds and qa.answer_type != "comparison":
            return value_answer(self.ranker, result, cands)
        if qa.answer_type in {"list", "name"}:
            return names_answer(self.ranker, result, cands)
        return sentence_answer(self.ranker, result, cands)

    def confidence(self, c: Candidate) -> float:
        """How sure the evidence is: semantic closeness plus coverage of the question's rare words."""
        return self.ranker.confidence(c)

    def unknown_names(self, qa: QuestionAnalysis) -> set[str]:
        """Capitalised words of the question (names, acronyms) that the corpus never uses."""
        return self.ranker.unknown_names(qa)

    def required_names(self, qa: QuestionAnalysis) -> set[str]:
        """Stems of rare capitalised words of the question that the corpus knows (proper names)."""
        return self.ranker.required_names(qa)
