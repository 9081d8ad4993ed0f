"""The typed requests and responses of the JSON API (pydantic), so its OpenAPI schema describes every field.

The answer models describe :meth:`core.types.Answer.to_dict` - the object ``kgqa ask --json``
prints - and allow extra fields, so fields added to answers later pass through and still
validate. Every span is a half-open ``[start, end)`` range into the document's raw text:
``raw[start:end] == text`` (``GET /api/v1/documents/{id}`` returns ``raw``).

>>> AskRequest(question="What was revenue?").k is None
True
>>> ApiError(code="bad_question", message="the question is empty").model_dump()
{'code': 'bad_question', 'message': 'the question is empty', 'details': None}
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

MAX_BATCH = 100  # questions in one batch request
MAX_TOP_K = 100  # passages, as `kgqa ask --top-k`


def _valid_text(s: str) -> str:
    """Text that can be written back as UTF-8 (JSON allows lone surrogates; answers echo questions).

    >>> _valid_text("ok")
    'ok'
    """
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("not valid Unicode text (lone surrogate)") from exc
    return s


def _json_number(v: object) -> object:
    """JSON numbers only: no "5" for 5, no true for 1 (9.0 is the integer 9, as JSON Schema has it).

    >>> _json_number(9.0)
    9.0
    """
    if isinstance(v, str | bool):
        raise ValueError("must be a JSON number")
    return v


# Constraints first, validators after: the constraints then stay in the JSON schema.
Text = Annotated[str, AfterValidator(_valid_text)]
TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K), BeforeValidator(_json_number)]
Question = Annotated[
    str,
    Field(min_length=1, pattern=r"\S", description="The question, in plain text (whitespace is collapsed; "
                                                   "the server's limit is max_question_chars, 2,000 by default).",
          examples=["What was Twilio's fiscal 2024 revenue?"]),
    AfterValidator(_valid_text),
]


class Open(BaseModel):
    """A response record that may gain fields in later versions (clients should ignore unknown ones)."""

    model_config = ConfigDict(extra="allow")


# ---- errors ------------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    loc: list[str | int] = Field(description="Where in the request: ['body', 'question'], ['query', 'limit'] ...")
    message: str


class ApiError(BaseModel):
    """Every error: a stable machine-readable ``code`` and a message a person can act on."""

    code: str = Field(description="Stable error code: bad_question, invalid_request, unauthorized, unknown_entity, "
                                  "unknown_document, not_found, method_not_allowed, too_large, unsupported_type, "
                                  "upload_refused, bad_document, busy, index_unavailable, graph_unavailable, "
                                  "model_unavailable, llm_unavailable, store_unavailable, internal_error.",
                      examples=["bad_question"])
    message: str = Field(examples=["the question is empty"])
    details: list[ErrorDetail] | None = Field(default=None, description="Per-field problems of an invalid request.")


# ---- asking ------------------------------------------------------------------------------------


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Question
    k: TopK | None = Field(default=None, description="Passages to retrieve (default: top_k).")
    use_graph: StrictBool | None = Field(default=None,
                                         description="Use the knowledge graph (default: the server's setting).")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: list[Text] = Field(min_length=1, max_length=MAX_BATCH,
                                  description=f"Up to {MAX_BATCH} questions, answered in order.")
    k: TopK | None = None
    use_graph: StrictBool | None = None


class CitationOut(Open):
    """One numbered source: ``raw[start:end] == text`` in document ``doc``."""

    n: int
    doc: str
    title: str
    section: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    page: int | None = None
    value_start: int | None = Field(default=None, description="The answer value's own span inside [start, end).")
    value_end: int | None = None


class PassageOut(Open):
    doc: str
    chunk_id: str
    score: float


class PointOut(Open):
    text: str
    citations: list[int]


class ComparisonOut(Open):
    items: list[str]
    properties: list[str]
    cells: list[list[PointOut]] = Field(description="cells[i][j]: item i on property j.")


class ComputationInputOut(Open):
    name: str
    value: float
    unit: str
    period: str | None
    citation: int | None
    surface: str


class ComputationOut(Open):
    formula: str
    inputs: list[ComputationInputOut]
    result: float | None
    unit: str
    rounding: str
    result_text: str


class SpanOut(Open):
    doc: str
    start: int
    end: int
    text: str


class ConflictValueOut(Open):
    value: float | None = None
    value_high: float | None = None
    unit: str | None = None
    surface: str | None = None
    qualifier: str | None = None
    evidence: list[SpanOut] = []


class ConflictOut(Open):
    """Sources that give different values for the same subject, metric and period."""

    subject: str
    subject_name: str
    metric: str | None = None
    period: str | None = None
    values: list[ConflictValueOut] = []


class AnswerOut(Open):
    """A cited answer: exactly the object ``kgqa ask --json`` prints."""

    question: str
    answer: str = Field(description="The answer text with [n] citation markers.")
    abstained: bool = Field(description="True when the evidence was too weak to answer.")
    value: str | None
    answer_type: str
    route: str = Field(description="passages | graph | both | none | llm")
    mode: str = Field(description="offline | llm | llm-fallback")
    confidence: float | None
    citations: list[CitationOut]
    passages: list[PassageOut]
    timings_ms: dict[str, float]
    notes: list[str]
    conflicts: list[ConflictOut]
    points: list[PointOut] = []
    comparison: ComparisonOut | None = None
    computation: ComputationOut | None = None


class BatchFailure(BaseModel):
    """A question of a batch that could not be asked (the others are still answered)."""

    question: str
    error: ApiError


class BatchOut(BaseModel):
    answers: list[AnswerOut | BatchFailure] = Field(description="One item per question, in order.")
    answered: int
    failed: int


# ---- documents ----------------------------------------------------------------------------------


class DocumentOut(BaseModel):
    id: str = Field(description="The path relative to the folder it was ingested from.")
    title: str
    kind: str = Field(description="txt | md | html | pdf")
    bytes: int
    units: int
    chunks: int
    entities: int = Field(description="Graph entities with evidence in this document.")
    pages: int | None = Field(description="PDF pages (null for other kinds).")
    sha256: str


class DocumentsOut(BaseModel):
    total: int
    documents: list[DocumentOut]


class DocumentTextOut(DocumentOut):
    raw: str = Field(description="The document's raw text: every span's start/end index into it.")


class SkippedOut(BaseModel):
    file: str
    reason: str


class UploadOut(BaseModel):
    added: list[str]
    changed: list[str]
    unchanged: int = Field(description="Documents already indexed with the same content.")
    skipped: list[SkippedOut]
    documents: int = Field(description="Documents in the index now.")
    chunks: int
    seconds: float
    message: str


# ---- the graph ---------------------------------------------------------------------------------


class EntityRef(BaseModel):
    id: str
    name: str
    type: str


class EntitySummary(EntityRef):
    aliases: list[str]
    facts: int
    evidence: int = Field(description="Pieces of evidence about the entity and its facts.")


class EntitiesOut(BaseModel):
    total: int = Field(description="Entities matching the query (before the limit).")
    entities: list[EntitySummary]


class EvidenceOut(BaseModel):
    """Where a fact was read: ``raw[start:end] == text`` in document ``doc``."""

    doc: str
    title: str
    section: str
    start: int
    end: int
    text: str
    page: int | None


class FactOut(BaseModel):
    subject: EntityRef
    predicate: str
    object: EntityRef | None = Field(description="The other entity of a relation (null for a metric value).")
    metric: str | None
    value: float | None
    value_high: float | None
    unit: str | None
    period: str | None
    qualifier: str | None
    surface: str | None = Field(description="The value as written in the source.")
    attrs: dict[str, Any]
    conflict: bool = Field(description="Another source gives a different value for the same metric and period.")
    evidence: list[EvidenceOut]


class EntityOut(EntityRef):
    aliases: list[str]
    attrs: dict[str, Any]
    mentions: list[EvidenceOut] = Field(description="Where the entity itself is mentioned.")
    facts: list[FactOut]
    neighbors: list[EntityRef]


class PathStepOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: EntityRef = Field(alias="from")
    to: EntityRef
    fact: FactOut


class PathOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: EntityRef = Field(alias="from")
    to: EntityRef
    connected: bool
    steps: list[PathStepOut]


class FactsOut(BaseModel):
    total: int
    facts: list[FactOut]


# ---- health ------------------------------------------------------------------------------------


class IndexHealth(BaseModel):
    documents: int
    chunks: int
    graph: bool = Field(description="Whether the knowledge graph is available.")
    entities: int
    facts: int
    llm: str = Field(description="'offline' or the attached LLM.")


class HealthOut(BaseModel):
    status: str = Field(examples=["ok"])
    version: str
    auth: bool = Field(description="Whether the API asks for credentials.")
    index: IndexHealth | None = Field(description="Index details (null when auth is on and the request has none).")
