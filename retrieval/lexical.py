"""Word-level matching: one tokenizer for BM25 (bm25s) and for lexical cues in the answerer.

>>> tokenize("Acme's non-GAAP gross margins were 49-52% in FY2024.")
['acme', 'nongaap', 'gross', 'margin', '49', '52', 'fy2024']
"""

from __future__ import annotations

import itertools
import re
import tempfile
import zipfile
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path, PurePath

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


_DATA = Path(__file__).resolve().parent / "data"


def _data_lines(name: str) -> list[str]:
    lines = (_DATA / name).read_text(encoding="utf-8").splitlines()
    return [x.strip() for x in lines if x.strip() and not x.lstrip().startswith("#")]


@cache
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | {"s", "t"} | frozenset(_data_lines("stopwords_extra.txt"))


@cache
def _synonym_groups() -> tuple[tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...], ...]:
    groups = []
    for line in _data_lines("synonyms.txt"):
        phrases = [p.strip().lower() for p in line.split(",") if p.strip()]
        groups.append(
            tuple((p, re.compile(rf"\b{re.escape(p)}\b"), tuple(tokenize(p))) for p in phrases)
        )
    return tuple(groups)


@lru_cache(maxsize=4096)
def concepts(text: str) -> list[tuple[frozenset[str], frozenset[str]]]:
    """Synonym groups a question touches: ``(its own tokens in the group, all the group's tokens)``.

    >>> [sorted(own) for own, _ in concepts("How big was the top line?")]
    [['line', 'top']]
    """
    low = text.lower()
    out = []
    for group in _synonym_groups():
        own = {t for phrase, pat, toks in group if pat.search(low) for t in toks}
        if own:
            out.append((frozenset(own), frozenset(t for _, _, toks in group for t in toks)))
    return out


_PERIOD_TOKEN = re.compile(r"(?:fy|q[1-4]|h[12])(\d{2}|\d{4})")


def expand(text: str) -> list[str]:
    """Tokens of ``text`` plus the tokens of every synonym group it touches, the year of a fiscal
    period ("FY2022" also matches "2022", "Q3 FY23" "2023"), and adjacent words run together
    ("General Mills" also matches "GENERALMILLS" in a file name; such a token only counts when
    the index knows it).

    >>> expand("Ulta Beauty's FY22 stores")
    ['ulta', 'beauty', 'fy22', 'stor', '2022', 'ultabeauty', 'beautyfy22', 'fy22stor']
    """
    toks = tokenize(text)
    extra = [t for _, group in concepts(text) for t in sorted(group) if t not in toks]
    for t in toks:
        m = _PERIOD_TOKEN.fullmatch(t)
        year = m and (m.group(1) if len(m.group(1)) == 4 else "20" + m.group(1))
        if year and year not in toks and year not in extra:
            extra.append(year)
    words = [w for w in _TOKEN.findall(text.lower().replace("'s ", " ")) if not w.isdigit()]
    for a, b in itertools.pairwise(words):
        glued = stem(a + b)
        if glued not in toks and glued not in extra:
            extra.append(glued)
    return toks + extra


def stem(word: str) -> str:
    """A light English suffix stripper: enough to join plural and verb forms for BM25.

    >>> [stem(w) for w in ["margins", "companies", "declining", "reduced", "acquire", "acquired", "analysis"]]
    ['margin', 'company', 'declin', 'reduc', 'acquir', 'acquir', 'analysis']
    """
    if len(word) <= 3 or word[0].isdigit():
        return word
    for suf, rep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", "")):
        if word.endswith(suf) and len(word) - len(suf) >= 3:
            word = word[: -len(suf)] + rep
            break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    if word.endswith("ly") and len(word) >= 7:  # "currently" -> "current", "annually" -> "annual"
        word = word[:-2]
    if word.endswith("e") and len(word) > 4:  # "acquire" and "acquired" meet at "acquir"
        word = word[:-1]
    return word


def tokenize(text: str, keep_stopwords: bool = False) -> list[str]:
    """Lower-case word and number tokens, stemmed, without stop words."""
    # "non-GAAP" is not "GAAP": keep the prefix on the word it negates
    low = re.sub(r"\bnon[- ](?=[a-z])", "non", text.lower().replace("'s ", " "))
    low = re.sub(r"\b(fy|q[1-4]|h[12])\s+(?=\d{2,4}\b)", r"\1", low)  # "FY 2025" is "FY2025"
    words = _TOKEN.findall(low)
    sw = stopwords()
    return [stem(w) for w in words if keep_stopwords or w not in sw]


class BM25Index:
    """bm25s over pre-tokenised texts, with the tokenizer above.

    Saved as one deflated zip of the files bm25s writes (its own folder format, unchanged): the
    sparse score matrix and vocabulary shrink to about 40% of their size, and loading unpacks them
    into a temporary folder for bm25s to read (tens of milliseconds for a 5 MB index).
    """

    def __init__(self, model: object | None = None) -> None:
        self.model = model

    @classmethod
    def build(cls, texts: Sequence[str]) -> BM25Index:
        import bm25s

        model = bm25s.BM25()
        corpus = [tokenize(t) or ["_"] for t in texts]
        model.index(corpus, show_progress=False)
        return cls(model)

    def save(self, path: Path) -> None:
        """Write the index as the zip file ``path``."""
        with tempfile.TemporaryDirectory(prefix="kgqa-bm25-") as tmp:
            self.model.save(tmp, show_progress=False)  # type: ignore[attr-defined]
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
                for f in sorted(Path(tmp).iterdir()):
                    z.write(f, f.name)

    @classmethod
    def load(cls, path: Path) -> BM25Index:
        """Read an index written by :meth:`save` (a damaged or foreign file raises)."""
        import bm25s

        with zipfile.ZipFile(path) as z, tempfile.TemporaryDirectory(prefix="kgqa-bm25-") as tmp:
            names = z.namelist()
            if any(PurePath(n).name != n or n.startswith(".") for n in names):  # only plain file names
                raise ValueError(f"{path.name}: unexpected entries {names[:3]}")
            z.extractall(tmp)
            return cls(bm25s.BM25.load(tmp, show_progress=False))

    def __len__(self) -> int:
        return int(self.model.scores["num_docs"])  # type: ignore[attr-defined]

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text for ``query`` and its synonyms (zeros when no word is known)."""
        vocab = self.model.vocab_dict  # type: ignore[attr-defined]
        toks = [t for t in expand(query) if t in vocab]
        n = self.model.scores["num_docs"]  # type: ignore[attr-defined]
        if not toks:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(self.model.get_scores(toks), dtype=np.float32)  # type: ignore[attr-defined]
