"""Normalise text for matching while remembering where every character came from.

Typography varies between sources (non-breaking hyphens, curly quotes, en dashes,
non-breaking spaces, ligatures), so matching runs on a normalised copy; citations are
mapped back to the original through per-character offsets.

>>> n = normalize("Non\u2011GAAP \u201cmargin\u201d \u2026")
>>> n.text
'Non-GAAP "margin" ...'
>>> raw = "Non\u2011GAAP \u201cmargin\u201d \u2026"
>>> s, e = n.raw_span(9, 17)
>>> raw[s:e]
'\u201cmargin\u201d'
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

_TABLE = {
    # hyphens and dashes
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad\ufe58\ufe63\uff0d", "-"),
    # quotes
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4`", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    # spaces
    **dict.fromkeys("\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008\u3000\t", " "),
    # bullets
    **dict.fromkeys("\u2022\u25aa\u25cf\u25e6\u2023\u2043\u2219\u25a0\u25a1\u00b7", "*"),
    # invisible characters carry nothing to match on
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\r", ""),
}


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalised string with, for each of its characters, the raw span it came from."""

    text: str
    starts: np.ndarray  # int32, len(text): raw start of text[i]
    ends: np.ndarray  # int32, len(text): raw end of text[i]
    raw_len: int

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Map ``text[start:end]`` to the raw range it was made from."""
        if not self.text:
            return 0, 0
        if end <= start:
            p = int(self.starts[start]) if start < len(self.text) else self.raw_len
            return p, p
        return int(self.starts[start]), int(self.ends[end - 1])


def normalize_char(ch: str) -> str:
    """Normalise one character (may return 0..n characters)."""
    if ch in _TABLE:
        return _TABLE[ch]
    if ch.isascii():
        return ch
    out = unicodedata.normalize("NFKC", ch)
    return "".join(_TABLE.get(c, c) for c in out)


def normalize(raw: str, pieces: list[tuple[str, int, int]] | None = None) -> Normalized:
    """Normalise ``raw``; or, for extracted formats (HTML), normalise ``pieces``.

    ``pieces`` are ``(text, raw_start, raw_end)`` triples: text that stands for
    ``raw[raw_start:raw_end]`` (an HTML entity, a run of data between tags, an inserted
    line break).
    """
    if pieces is None:
        pieces = [(ch, i, i + 1) for i, ch in enumerate(raw)]
        singles = True
    else:
        singles = False
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for piece, s, e in pieces:
        if singles or len(piece) == 1:
            norm = normalize_char(piece)
            out.append(norm)
            starts.extend([s] * len(norm))
            ends.extend([e] * len(norm))
            continue
        # a multi-character piece maps char by char when it is verbatim raw text
        verbatim = e - s == len(piece)
        for k, ch in enumerate(piece):
            norm = normalize_char(ch)
            out.append(norm)
            cs, ce = (s + k, s + k + 1) if verbatim else (s, e)
            starts.extend([cs] * len(norm))
            ends.extend([ce] * len(norm))
    return Normalized(
        "".join(out),
        np.asarray(starts, dtype=np.int64),
        np.asarray(ends, dtype=np.int64),
        len(raw),
    )
