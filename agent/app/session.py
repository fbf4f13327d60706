"""A chat session: what was asked, answered and verified, how a follow-up leans on the previous turn, and the
re-checks the chat commands ask for (without a source, which sources disagree). No terminal code here."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from agent.schemas import Citation, ClaimRecord, Evidence

if TYPE_CHECKING:  # the answers module (and the pipeline behind it) loads on the first question
    from agent.app.answers import GroupedAnswer, Question, SourceAnswer

Kind = Literal["question", "claim"]
QUESTION_WORDS = frozenset(
    [
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "why",
        "how",
        "which",
        "did",
        "does",
        "do",
        "is",
        "are",
        "was",
        "were",
        "can",
        "could",
        "will",
        "would",
        "should",
        "has",
        "have",
        "had",
        "according",
        "tell",
    ]
)
FOLLOW_UP = re.compile(
    r"^(and|but|also|so|then|what about|how about|and what about)\b|\b(it|its|that|this|they|"
    r"them|those|these|one|ones|he|she|there)\b",
    re.I,
)
DISAGREE = re.compile(r"\b(disagree|disagrees|contradict\w*|refut\w*|dispute\w*|against|differ\w*)\b", re.I)
AGREE = re.compile(r"\b(agree|agrees|support\w*|confirm\w*|back\w*)\b", re.I)
WHICH_SOURCE = re.compile(
    r"\b(which|what|who)\b.*\b(source|sources|outlet|outlets|article|articles|one|ones)\b|"
    r"^\s*who\b",
    re.I,
)


def classify(text: str) -> Kind:
    """A question ends with '?' or opens with a question word; anything else is a claim to verify."""
    t = text.strip()
    if t.endswith("?"):
        return "question"
    first = re.split(r"[\s,]+", t.lower(), maxsplit=1)[0] if t else ""
    return "question" if first in QUESTION_WORDS else "claim"


class ChatAnswer(BaseModel):
    """An answer drawn only from the evidence; offline, the best sentences quoted and attributed."""

    text: str = Field(description="a sentence or two answering the question")
    citations: list[Citation] = Field(default_factory=list)


@dataclass
class Turn:
    kind: Kind
    text: str
    query: str
    answer: ChatAnswer | None = None
    record: ClaimRecord | None = None
    evidence: list[Evidence] = field(default_factory=list)
    question: Question | None = None
    grouped: GroupedAnswer | None = None
    answers: list[SourceAnswer] = field(default_factory=list)


@dataclass
class Session:
    """The conversation: what was asked, answered and verified, for follow-ups and the commands."""

    services: Any
    turns: list[Turn] = field(default_factory=list)
    conflicts: Any = None  # the corpus map, computed on the first /conflicts (the store does not change in chat)

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    def last_verdict(self) -> Turn | None:
        return next((t for t in reversed(self.turns) if t.record is not None), None)

    def titles(self) -> dict[str, str]:
        return {d: m.title for d, m in self.services.index().metas.items()}

    def previous_question(self) -> Question | None:
        """The previous turn as a question a follow-up may refer back to (a claim counts, as its own words)."""
        last = self.last
        if last is None:
            return None
        from agent.app.answers import parse_question

        return last.question or parse_question(last.text).model_copy(update={"query": last.query})

    def ask(self, text: str, exclude: frozenset[str] = frozenset()) -> Turn:
        from agent.app.verify import verify_claim
        from agent.pipeline.nodes.retrieve import retrieve

        if (
            (prev := self.last_verdict()) is not None
            and WHICH_SOURCE.search(text)
            and (DISAGREE.search(text) or AGREE.search(text))
        ):
            return self._sources_for_stance(text, prev)
        from agent.app.answers import parse_question

        question = parse_question(text, self.previous_question())
        return self._answer(question, exclude, verify_claim, retrieve)

    def _answer(self, question: Question, exclude: frozenset[str], verify: Any, retrieve: Any) -> Turn:
        from agent.app.answers import answer_parsed

        grouped, answers = answer_parsed(self.services, question, exclude, verify, retrieve)
        answer = ChatAnswer(text=grouped.text, citations=grouped.citations)
        turn = Turn("question", question.text, question.query, answer=answer, question=question, grouped=grouped)
        turn.answers = answers
        self.turns.append(turn)
        return turn

    def without(self, doc_id: str) -> Turn | ClaimRecord:
        """The last question asked again, or the last claim re-judged, with one source left out."""
        from agent.app.verify import verify_claim
        from agent.pipeline.nodes.retrieve import retrieve

        last = next((t for t in reversed(self.turns) if t.question is not None or t.record is not None), None)
        if last is None:
            raise LookupError("nothing to re-check yet: ask a question or type a claim")
        if last.record is not None:
            from agent.app.answers import without_sources

            return without_sources(last.record, {doc_id})
        assert last.question is not None
        drop = frozenset({doc_id, *(last.grouped.excluded if last.grouped else [])})
        return self._answer(last.question, drop, verify_claim, retrieve)

    def _sources_for_stance(self, text: str, prev: Turn) -> Turn:
        record = prev.record
        assert record is not None
        stance = "refutes" if DISAGREE.search(text) else "supports"
        hits = [s for s in record.sources if s.stance == stance]
        verb = "contradicts" if stance == "refutes" else "supports"
        if not hits:
            answer = ChatAnswer(text=f"No source {verb} “{record.claim}”.")
        else:
            lines = [
                f"{s.title or s.doc_id} [{s.doc_id}] {verb} it: “{s.citations[0].quote}”"
                if s.citations
                else f"{s.title or s.doc_id} [{s.doc_id}] {verb} it ({s.reason})"
                for s in hits
            ]
            answer = ChatAnswer(text="\n".join(lines), citations=[s.citations[0] for s in hits if s.citations])
        turn = Turn("question", text, record.claim, answer=answer, record=None)
        turn.evidence = []
        self.turns.append(turn)
        return turn

    def verify(self, text: str) -> Turn:
        from agent.app.verify import verify_claim

        n = sum(t.record is not None for t in self.turns) + 1
        record = verify_claim(self.services, text, f"chat-{n}")
        turn = Turn("claim", text, text, record=record)
        self.turns.append(turn)
        return turn

    def cited(self, doc_id: str) -> list[tuple[Turn, Citation]]:
        out: list[tuple[Turn, Citation]] = []
        for t in self.turns:
            cites = t.record.citations if t.record else (t.answer.citations if t.answer else [])
            out += [(t, c) for c in cites if c.doc_id == doc_id]
        return out


# ------------------------------------------------------------------------------------------- rendering


def resolve_doc(session: Session, doc_id: str) -> str | None:
    metas = session.services.index().metas
    if doc_id in metas:
        return doc_id
    return next((d for d in metas if doc_id and d.startswith(doc_id)), None)


def export(session: Session, path: Path) -> int:
    records = [t.record.model_dump(mode="json") for t in session.turns if t.record is not None]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return len(records)


# ------------------------------------------------------------------------------------------- the loop
