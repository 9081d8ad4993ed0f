"""One error hierarchy for every floor: callers catch :class:`KgqaError`, the CLI maps each kind
to a message and an exit code, and the message alone is what the user needs to act.

>>> issubclass(IndexUnusable, KgqaError) and issubclass(QuestionError, ValueError)
True
>>> str(QuestionError("the question is empty"))
'the question is empty'
"""

from __future__ import annotations


class KgqaError(Exception):
    """Base of every error kgqa raises on purpose; ``str(exc)`` is a complete one-line message."""

    exit_code = 1


class ConfigError(KgqaError, ValueError):
    """A setting is unknown, malformed, or names something that does not exist."""


class QuestionError(KgqaError, ValueError):
    """The question cannot be asked as given (empty, too long, not text)."""


class DocumentError(KgqaError, ValueError):
    """A document cannot be read (binary, encrypted, corrupt, too large)."""


class IndexUnusable(KgqaError, RuntimeError):
    """The index is missing, corrupt, stale or locked; the message names the command that fixes it."""


class NothingToIndex(IndexUnusable):
    """An ingest found no readable document under the given paths."""


class GraphUnavailable(KgqaError, RuntimeError):
    """The knowledge graph is missing or unreadable (answers fall back to passages)."""


class ModelNotFound(KgqaError, RuntimeError):
    """The embedding or NLP model's files are not installed (kgqa never downloads weights)."""


class LLMError(KgqaError, RuntimeError):
    """The LLM is misconfigured or unavailable; the message says what to change."""


class LLMDeadline(LLMError, TimeoutError):
    """The whole LLM call took longer than its total time budget."""


class StoreError(KgqaError, RuntimeError):
    """A server-backed store (PostgreSQL) is unreachable or has an unknown schema."""


class UploadError(DocumentError):
    """An uploaded file is refused (type, size, content); the message says why."""


class UploadTooLarge(UploadError):
    """An uploaded file (or a whole upload) is over the configured size limit."""


class UnsupportedUpload(UploadError):
    """An uploaded file is of a type kgqa does not read (only .txt, .md, .html and .pdf)."""
