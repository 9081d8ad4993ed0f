"""Input checks shared by the CLI's fast path and the QA facade (no heavy imports here).

>>> check_question("  What was   revenue? ", 2000)
'What was revenue?'
>>> check_question("", 2000)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
...
core.validation.QuestionError: the question is empty
"""

from __future__ import annotations

from typing import Any

from core.errors import QuestionError


def check_question(question: Any, limit: int) -> str:
    """The question with whitespace collapsed, or :class:`QuestionError` saying what is wrong."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    q = " ".join(question.split())
    if not q:
        raise QuestionError("the question is empty")
    if len(q) > limit:
        raise QuestionError(f"the question is {len(q):,} characters long; the limit is {limit:,}")
    return q
