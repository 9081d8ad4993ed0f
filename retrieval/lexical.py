"""Word-level matching: one tokenizer for BM25 (bm25s) and for lexical cues in the answerer.

>>> tokenize("Twilio's non-GAAP gross margins were 49-52% in FY2024.")
['twilio', 'non', 'gaap', 'gross', 'margin', 'were', '49', '52', 'fy2024']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


@cache
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | {"s", "t"}


def stem(word: str) -> str:
    """A light English suffix stripper: enough to join plural and verb forms for BM25.

    >>> [stem(w) for w in ["margins", "companies", "declining", "reduced", "analysis", "business"]]
    ['margin', 'company', 'declin', 'reduc', 'analysis', 'business']
    """
    if len(word) <= 3 or word[0].isdigit():
        return word
    for suf, rep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", "")):
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            return word[: -len(suf)] + rep
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str, keep_stopwords: bool = False) -> list[str]:
    """Lower-case word and number tokens, stemmed, without stop words."""
    words = _TOKEN.findall(text.lower().replace("'s ", " "))
    sw = stopwords()
    return [stem(w) for w in words if keep_stopwords or w not in sw]


class BM25Index:
    """bm25s over pre-tokenised texts, with the tokenizer above."""

    def __init__(self, model: object | None = None) -> None:
        self.model = model

    @classmethod
    def build(cls, texts: Sequence[str]) -> BM25Index:
        import bm25s

        model = bm25s.BM25()
        corpus = [tokenize(t) or ["_"] for t in texts]
        model.index(corpus, show_progress=False)
        return cls(model)

    def save(self, folder: Path) -> None:
        self.model.save(str(folder))  # type: ignore[attr-defined]

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        import bm25s

        return cls(bm25s.BM25.load(str(folder)))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text for ``query`` (zeros when no query word is known)."""
        vocab = self.model.vocab_dict  # type: ignore[attr-defined]
        toks = [t for t in tokenize(query) if t in vocab]
        n = self.model.scores["num_docs"]  # type: ignore[attr-defined]
        if not toks:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(self.model.get_scores(toks), dtype=np.float32)  # type: ignore[attr-defined]
