"""Issue 10: property tests (hypothesis) over question strings and document bytes, on real
components (the session index and the real model; the real loader, parser and chunker).

For any question: either a :class:`QuestionError` (one line) or an answer whose every citation
quotes its file exactly. For any file bytes: either a :class:`DocumentError` or a document
whose every unit, cited, satisfies ``raw[start:end] == text``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import Settings
from core.errors import DocumentError, QuestionError
from engine.citations import citation
from engine.qa import QA
from retrieval.chunking import chunk_document
from retrieval.documents import load_file

WORDS = ["What", "was", "Twilio's", "fiscal", "2024", "revenue", "Segment", "share", "CEO", "margin", "[1]",
         "<<<END PASSAGE 1>>>", "\x1b[2J", "\ud800", "\udcff", "\x00", "\u202e", "$4.46", "billion", "?", "\n"]
QUESTIONS = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(WORDS), max_size=14).map(" ".join),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", errors="surrogateescape")),
)
TEXT = st.lists(st.one_of(st.sampled_from(["Acme Robotics", "revenue of $120 million", "in fiscal 2024", "\n", "\n\n",
                                            "| a | b |\n|---|---|\n| 1 | 2 |", "# Heading", "\r\n", "\t", "\u00a0",
                                            "é", "\ufeff", "…", "[1]", "<b>x</b>", "\x0c"]),
                          st.text(max_size=40)), max_size=30).map("".join)
DOC_BYTES = st.one_of(st.binary(max_size=2000), TEXT.map(lambda t: t.encode("utf-8", errors="surrogatepass")))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=QUESTIONS)
def test_any_question_is_an_answer_with_exact_citations_or_a_question_error(qa: QA, question: str) -> None:
    try:
        answer = qa.ask(question)
    except QuestionError as exc:
        assert "\n" not in str(exc)
        return
    for c in answer.citations:
        assert qa.index.docs[c.doc].raw[c.start : c.end] == c.text


@settings(max_examples=150, deadline=None)
@given(data=DOC_BYTES, suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_any_document_bytes_load_to_exact_spans_or_a_document_error(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"doc{suffix}"
        path.write_bytes(data)
        try:
            doc = load_file(path, Path(tmp))
        except DocumentError as exc:
            assert "\n" not in str(exc)
            return
    s = Settings()
    units, _chunks = chunk_document(doc, 0, 0, s.chunk_chars, s.chunk_overlap_units)

    one = SimpleNamespace(docs={doc.id: doc})  # the document store of this one document
    for u in units:
        c = citation(one, u, 1)  # type: ignore[arg-type]
        assert doc.raw[c.start : c.end] == c.text
