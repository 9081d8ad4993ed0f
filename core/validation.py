"""Input checks shared by every question path: the CLI (argument and ``--jsonl`` line), the
Python API, the QA facade and the UI all call :func:`check_question` (no heavy imports here).

>>> check_question("  What was   revenue? ", 2000)
'What was revenue?'
>>> check_question("What was\\x1b[31m revenue?", 2000)
'What was[31m revenue?'
>>> check_question("", 2000)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
...
core.errors.QuestionError: the question is empty
>>> check_question("revenue \\udcff?", 2000)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
...
core.errors.QuestionError: the question is not valid text (invalid UTF-8 or a lone surrogate at character 9)
"""

from __future__ import annotations

import re
from typing import Any

from core.errors import QuestionError
from core.safety import printable

_SURROGATE = re.compile(r"[\ud800-\udfff]")


def decode_question(data: bytes) -> str:
    """A question read as bytes (a ``--jsonl`` line): invalid UTF-8 is kept as lone surrogates,
    so that :func:`check_question` refuses that one question instead of the whole input failing.

    >>> decode_question(b"caf\\xc3\\xa9 \\xff")
    'café \\udcff'
    """
    return data.decode("utf-8", errors="surrogateescape")


def check_question(question: Any, limit: int) -> str:
    """The question with control characters removed and whitespace collapsed, or
    :class:`QuestionError` saying what is wrong (not text, invalid UTF-8, empty, too long)."""
    if isinstance(question, bytes | bytearray):
        question = decode_question(bytes(question))
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    bad = _SURROGATE.search(question)
    if bad is not None:
        raise QuestionError(
            f"the question is not valid text (invalid UTF-8 or a lone surrogate at character {bad.start() + 1})"
        )
    q = " ".join(printable(question).split())  # no ANSI escapes echoed to a terminal
    if not q:
        raise QuestionError("the question is empty")
    if len(q) > limit:
        raise QuestionError(f"the question is {len(q):,} characters long; the limit is {limit:,}")
    return q
