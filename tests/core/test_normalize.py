"""Normalisation for matching keeps exact offsets into the original text."""

from __future__ import annotations

import random

import pytest

from core.normalize import normalize

TRICKY = [
    "Non\u2011GAAP margins \u2014 approx.\u00a049\u201352%",
    "\u201cTwilio Flex AI\u201d (2025\u00a0Q3) \u2022 30\u202f% lower",
    "ligature \ufb01nance \u2026 and zero\u200bwidth\ufeff",
    "CRLF line\r\nnext line\r\n",
    "plain ASCII stays the same",
]


@pytest.mark.parametrize("raw", TRICKY)
def test_every_character_maps_back(raw: str) -> None:
    n = normalize(raw)
    assert len(n.starts) == len(n.ends) == len(n.text)
    for i, ch in enumerate(n.text):
        piece = raw[n.starts[i] : n.ends[i]]
        assert piece, (i, ch)
    # words survive normalisation and map to their original spelling
    for word in n.text.split():
        k = n.text.index(word)
        s, e = n.raw_span(k, k + len(word))
        assert normalize(raw[s:e]).text == word


def test_typography_is_normalised() -> None:
    n = normalize("Non\u2011GAAP \u201cmargin\u201d \u2013 49\u201352%\u00a0\u2026")
    assert n.text == 'Non-GAAP "margin" - 49-52% ...'


def test_random_unicode_round_trip() -> None:
    rng = random.Random(7)
    alphabet = "abc $%.,-\u2011\u2013\u2014\u201c\u201d\u2018\u2019\u00a0\u2022\u2026\ufb01\u200b\r\n"
    for _ in range(200):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        n = normalize(raw)
        assert all(0 <= s < e <= len(raw) for s, e in zip(n.starts, n.ends, strict=True))
        assert list(n.starts) == sorted(n.starts)
