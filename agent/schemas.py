"""Domain models passed between stages. Every citation is a slice of its document's text."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

Label = Literal["SUPPORTED", "REFUTED", "CONFLICTING", "NOT_ENOUGH_INFO"]
LABELS: tuple[Label, ...] = ("SUPPORTED", "REFUTED", "CONFLICTING", "NOT_ENOUGH_INFO")
Stance = Literal["supports", "refutes", "neutral"]
Score = Annotated[float, Field(ge=0.0, le=1.0)]


class DocumentMeta(BaseModel):
    """What the tool could read about a source besides its text."""

    doc_id: str = Field(description="file stem, or the record id in a JSONL corpus")
    title: str = ""
    date: str | None = Field(None, description="publication date, ISO yyyy-mm-dd when known")
    author: str | None = None
    outlet: str | None = None
    url: str | None = None
    description: str | None = None
    path: str | None = None
    content_hash: str = ""
    n_chars: int = 0
    chunks: int = 0


class Document(BaseModel):
    meta: DocumentMeta
    text: str = Field(description="the document text as loaded; all offsets index into it")
    presplit: bool = Field(False, description="segments are sentences already (e.g. SciFact abstracts)")
    segments: list[tuple[int, int]] = Field(
        default_factory=list,
        description="[start, end) regions that may serve as evidence (front matter values, body); "
        "trailing site boilerplate is left out",
    )
    warnings: list[str] = Field(
        default_factory=list, description="what the loader could not read in this document, and why"
    )
    notes: list[str] = Field(
        default_factory=list, description="what the loader left out of the evidence by design (boilerplate)"
    )

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id


class Chunk(BaseModel):
    chunk_id: str = Field(description="stable id `doc_id:ordinal`")
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    sentences: list[tuple[int, int]] = Field(description="sentence spans, document offsets")


class Sentence(BaseModel):
    doc_id: str
    chunk_id: str
    start: int
    end: int
    text: str


class Citation(BaseModel):
    doc_id: str
    chunk_id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    quote: str = Field(description="exactly document_text[start:end]")


class Evidence(BaseModel):
    """A retrieved sentence with the scores that ranked it."""

    sentence: Sentence
    score: float = 0.0
    dense: float = 0.0
    lexical: float = 0.0

    def citation(self) -> Citation:
        s = self.sentence
        return Citation(doc_id=s.doc_id, chunk_id=s.chunk_id, start=s.start, end=s.end, quote=s.text)


class SourceStance(BaseModel):
    doc_id: str
    title: str = ""
    date: str | None = None
    outlet: str | None = None
    stance: Stance = "neutral"
    reason: str = Field("", description="why, in words a person can check against the quotes")
    citations: list[Citation] = Field(default_factory=list)
    check: str | None = Field(
        None, description="the structured check that decided it (figure, date, ...); None: the model"
    )
    unambiguous: bool = Field(
        False, description="a refuting check whose values on both sides were parsed from explicit figures or dates"
    )


class LLMUsage(BaseModel):
    provider: str = "none"
    model: str | None = None
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    fallback: bool = False

    def add(self, other: LLMUsage) -> None:
        if other.provider != "none":
            self.provider = other.provider
            self.model = other.model or self.model
        self.calls += other.calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.fallback = self.fallback or other.fallback


class Verdict(BaseModel):
    label: Label
    confidence: Score
    rationale: str
    sources: list[SourceStance] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)


class ClaimRecord(BaseModel):
    """The batch/JSON output shape fixed by the design contract."""

    id: str
    claim: str
    label: Label
    confidence: Score
    rationale: str
    sources: list[SourceStance] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    subclaims: list[ClaimRecord] = Field(default_factory=list)
    llm: LLMUsage = Field(default_factory=LLMUsage)
    timing_ms: dict[str, float] = Field(default_factory=dict)


class ErrorRecord(BaseModel):
    id: str
    line: int
    error: str
