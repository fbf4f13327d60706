"""The corpus map: where the sources disagree, with no claim from the user.

Every source is mined for checkable statements (sentences that state a figure, a date or period, a
duration or a response); each is verified against the whole corpus with the same graph `verify` uses.
A statement becomes a *disagreement* when its own source supports it and another source refutes it
through a structured check whose values were parsed on both sides (figures, dates, periods, durations,
responses, who did what, titles): a model-only contradiction is not enough, because a wrong "conflict"
is something the user acts on. Statements that disagree on the same point (same check, the same
sources on each side, overlapping quotes) are merged; the rest with many supporting sources and no
refuting one are what the sources agree on.

A statement no other source comes near (no sentence of another document within `MIN_CROSS_SIMILARITY`
cosine) cannot be contradicted or confirmed by one, so it is counted and not verified: on a corpus of
unrelated articles that is most of them, and the map costs one verification per statement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from agent.pipeline.nodes.extract import extract_features
from agent.schemas import Citation, ClaimRecord, Sentence

if TYPE_CHECKING:
    from agent.data.index import SentenceIndex
    from agent.data.store import Embedder
    from agent.pipeline.services import Services

# the checks whose refutations compare values parsed on both sides (see `cross_check.PRECISE_CHECKS`)
MAP_CHECKS = frozenset({"figure", "duration", "date", "period", "response", "actor", "title"})
MIN_WORDS, MAX_WORDS = 6, 60
# On the dev story (`.crosscheck/dev_story`), every statement behind a point (disagreement or agreement) had a
# sentence of another source at cosine 0.54-0.90; its 75 statements ranged 0.33-0.93 (quartile 0.52).
MIN_CROSS_SIMILARITY = 0.5


class SourceValue(BaseModel):
    """What one source says on a point: its stance on the statement and an exact quote."""

    doc_id: str
    title: str = ""
    outlet: str | None = None
    stance: str = Field(description="supports | refutes")
    reason: str = ""
    quote: Citation | None = None
    more: list[Citation] = Field(default_factory=list, description="the source's other quotes on the point")


class Point(BaseModel):
    """One point of the map: a statement and, source by source, whether it says the same."""

    statement: str = Field(description="the statement as its first source words it")
    origin: Citation
    check: str | None = Field(None, description="the structured check that found the difference")
    supporting: list[SourceValue] = Field(default_factory=list)
    refuting: list[SourceValue] = Field(default_factory=list)
    silent: list[str] = Field(default_factory=list, description="sources that say nothing on it")
    merged: int = Field(1, description="statements merged into this point")
    score: float = 0.0


class ConflictMap(BaseModel):
    sources: list[str]
    statements_checked: int
    statements_read_by_model: int = Field(0, description="statements verified in full (the model read them)")
    statements_alone: int = Field(0, description="checkable statements no other source comes near: not verified")
    disagreements: list[Point] = Field(default_factory=list)
    agreements: list[Point] = Field(default_factory=list)


def checkable(sentence: Sentence) -> bool:
    """A sentence worth cross-checking: it states a figure, date, duration or response, in a few words."""
    words = len(sentence.text.split())
    if not MIN_WORDS <= words <= MAX_WORDS or sentence.text.rstrip().endswith("?"):
        return False
    f = extract_features(sentence.text)
    return bool(f.quantities or f.dates or f.durations or f.responses)


def _value(record: ClaimRecord, doc_id: str) -> SourceValue | None:
    for s in record.sources:
        if s.doc_id == doc_id:
            return SourceValue(
                doc_id=s.doc_id,
                title=s.title,
                outlet=s.outlet,
                stance=s.stance,
                reason=s.reason,
                quote=s.citations[0] if s.citations else None,
                more=s.citations[1:],
            )
    return None


def point_of(record: ClaimRecord, origin: Sentence, sources: list[str]) -> Point | None:
    """The statement's point on the map, or None when its own source does not support it."""
    own = next((s for s in record.sources if s.doc_id == origin.doc_id), None)
    if own is None or own.stance != "supports":
        return None
    supporting = [v for s in record.sources if s.stance == "supports" and (v := _value(record, s.doc_id))]
    refuting = [
        v
        for s in record.sources
        if s.stance == "refutes" and s.check in MAP_CHECKS and s.unambiguous and (v := _value(record, s.doc_id))
    ]
    said = {v.doc_id for v in supporting} | {v.doc_id for v in refuting}
    check = next((s.check for s in record.sources if s.doc_id == refuting[0].doc_id), None) if refuting else None
    return Point(
        statement=origin.text,
        origin=Citation(
            doc_id=origin.doc_id, chunk_id=origin.chunk_id, start=origin.start, end=origin.end, quote=origin.text
        ),
        check=check,
        supporting=supporting,
        refuting=refuting,
        silent=[d for d in sources if d not in said],
        score=len(supporting) + len(refuting) + (2.0 if refuting else 0.0),
    )


def _quotes(point: Point) -> set[tuple[str, int, int]]:
    return {(v.quote.doc_id, v.quote.start, v.quote.end) for v in point.refuting if v.quote}


def _sides(point: Point) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(v.doc_id for v in point.supporting), frozenset(v.doc_id for v in point.refuting)


FAMILY = {"period": "date"}  # a date and a period of the same event are one point
TIMED = {"date", "period", "duration"}


def _same_point(a: Point, b: Point) -> bool:
    """Two statements on one difference: the same kind of value, and either a shared refuting quote or the
    mirror image (b's refuting sources support a, and a's refuting sources support b)."""
    (a_sup, a_ref), (b_sup, b_ref) = _sides(a), _sides(b)
    if FAMILY.get(a.check or "", a.check) != FAMILY.get(b.check or "", b.check):
        # a date and a duration that one refuting quote gives ("back on Oct 21, after 16 days offline") are one
        # difference seen twice
        timed = {a.check, b.check} <= TIMED
        return timed and bool(_quotes(a) & _quotes(b)) and bool(a_sup & b_sup)
    return bool(_quotes(a) & _quotes(b)) or bool(a_ref & b_sup and b_ref & a_sup) or (a_sup, a_ref) == (b_sup, b_ref)


def merge(points: list[Point]) -> list[Point]:
    """One point per difference: a statement joins the first (highest-ranked) point it is the same as."""
    kept: list[Point] = []
    for p in sorted(points, key=lambda p: -p.score):
        twin = next((k for k in kept if _same_point(k, p)), None)
        if twin is None:
            kept.append(p)
        else:
            twin.merged += 1
    return kept


def confirmed(services: Services, point: Point, verify: Callable[..., ClaimRecord]) -> Point | None:
    """The point with only the refuting sources whose difference a second reader confirms.

    A one-way structured refutation is often two statements about different events (a February tweet
    "refuted" by an article that dates the campaign in April). It is kept when the stance model reads the
    statement and the refuting quote as a contradiction more than a support; without a model, when the
    difference holds both ways (the quote, checked as a claim, is refuted by the statement's own source)."""
    model = services.stance_model()
    keep = []
    for v in point.refuting:
        quotes = [v.quote, *v.more] if v.quote else []
        for quote in quotes:
            if model is not None:
                p_sup, p_ref, _ = model.score(point.statement, [quote.quote])[0]
                ok = bool(p_ref > p_sup)
            else:
                back = verify(services, quote.quote, claim_id=f"{v.doc_id}:{quote.start}")
                own = next((s for s in back.sources if s.doc_id == point.origin.doc_id), None)
                ok = own is not None and own.stance == "refutes" and own.check in MAP_CHECKS
            if ok:
                keep.append(v.model_copy(update={"quote": quote, "more": []}))
                break
    if not keep:
        return None
    return point.model_copy(update={"refuting": keep, "score": point.score - len(point.refuting) + len(keep)})


def worth_a_second_look(record: ClaimRecord, origin: str, min_supporting: int = 1) -> bool:
    """After a checks-only verification: may the full one make this statement a point? Another source refutes
    it through a map check on plainly written values (the model only vetoes those, never adds them), or
    `min_supporting` other sources already support it. Disagreements are exactly those of a full pass (measured
    on the seeds and the dev story); agreements, which the model mostly carries, are 8 of 10 and 7 of 10."""
    others = [s for s in record.sources if s.doc_id != origin]
    if any(s.stance == "refutes" and s.check in MAP_CHECKS and s.unambiguous for s in others):
        return True
    return sum(s.stance == "supports" for s in others) >= min_supporting


def near_other_sources(
    index: SentenceIndex, embedder: Embedder, ids: list[int], threshold: float, block: int = 512
) -> list[bool]:
    """For each sentence (index ids): does a sentence of another document come within `threshold` cosine?
    Blocks of statements against every stored sentence vector (those ingest cached), so memory stays bounded."""
    if not ids:
        return []
    everything = index.vectors(list(range(len(index.sentences))), embedder)
    number = {d: n for n, d in enumerate(index.by_doc)}
    owner = np.array([number[s.doc_id] for s in index.sentences])
    out: list[bool] = []
    for k in range(0, len(ids), block):
        part = ids[k : k + block]
        sims = everything[part] @ everything.T
        sims[owner[part][:, None] == owner[None, :]] = -1.0  # its own document does not count
        out.extend(bool(x) for x in sims.max(axis=1) >= threshold)
    return out


def conflict_map(
    services: Services,
    *,
    max_per_source: int = 40,
    agreements: int = 10,
    min_similarity: float = MIN_CROSS_SIMILARITY,
    progress: Callable[[int, int, str], None] | None = None,
    two_pass: bool = True,
) -> ConflictMap:
    """Mine every source for checkable statements, verify each against the corpus, and list the points where
    the sources disagree (ranked: most sources involved first) and a shorter list of what they all agree on.

    `max_per_source` bounds the cost on large corpora: a source's first statements in reading order;
    statements no other source comes near (`min_similarity`) are not verified. With `two_pass` every statement
    is first verified by the structured checks alone (no stance model: most of a verification's cost), and only
    those that `worth_a_second_look` are verified again in full."""
    from agent.app.verify import verify_claim

    index = services.index()
    sources = sorted(index.by_doc)
    picked_ids: list[int] = []
    seen: set[str] = set()
    for doc_id in sources:
        picked = 0
        for i in index.by_doc[doc_id]:
            s = index.sentences[i]
            key = " ".join(s.text.lower().split())
            if picked >= max_per_source or key in seen or not checkable(s):
                continue
            seen.add(key)
            picked_ids.append(i)
            picked += 1
    near = near_other_sources(index, services.embedder, picked_ids, min_similarity)
    statements = [index.sentences[i] for i, ok in zip(picked_ids, near, strict=True) if ok]
    checked = len(statements)
    if two_pass:  # the checks alone first; the model reads only the statements that may become a point
        light = services.without_model()
        first = []
        for n, s in enumerate(statements, 1):
            if worth_a_second_look(verify_claim(light, s.text, claim_id=f"{s.doc_id}:{s.start}"), s.doc_id):
                first.append(s)
            if progress:
                progress(n, checked, "checks")
        statements = first
    points: list[Point] = []
    for n, s in enumerate(statements, 1):
        record = verify_claim(services, s.text, claim_id=f"{s.doc_id}:{s.start}")
        p = point_of(record, s, sources)
        if p is not None:
            points.append(p)
        if progress:
            progress(n, len(statements), "model")
    kept = [q for p in points if p.refuting and (q := confirmed(services, p, verify_claim)) is not None]
    differ = merge(kept)
    agree = [p for p in points if not p.refuting and len(p.supporting) >= min(3, len(sources))]
    agree.sort(key=lambda p: (-len(p.supporting), p.origin.doc_id, p.origin.start))
    return ConflictMap(
        sources=sources,
        statements_checked=checked,
        statements_read_by_model=len(statements),
        statements_alone=len(picked_ids) - checked,
        disagreements=differ,
        agreements=agree[:agreements],
    )
