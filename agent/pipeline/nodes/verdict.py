"""verdict: aggregate per-source stances into a label, a confidence and a rationale.

Confidence is how often the label was right on the dev gold sets (seed, held-out 1) when as many
sources agreed: `confidence.json`, written by `python -m evals.tune --write`; the test sets report ECE.
Without the table, constants that grow with the number of agreeing sources."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from agent.schemas import Citation, Label, SourceStance, Verdict

log = logging.getLogger(__name__)


CONFIDENCE_TABLE = Path(__file__).with_name("confidence.json")


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, float]]:
    return json.loads(CONFIDENCE_TABLE.read_text(encoding="utf-8")) if CONFIDENCE_TABLE.is_file() else {}


def calibrated(label: Label, agreeing: int, fallback: float) -> float:
    row = _table().get(label)
    return row.get(str(min(3, max(1, agreeing))), row["any"]) if row else fallback


def _names(sources: list[SourceStance]) -> str:
    return ", ".join(s.doc_id for s in sources)


def aggregate(stances: list[SourceStance], valid: Callable[[Citation], bool] | None = None) -> Verdict:
    """The four labels from per-source stances. A citation that fails the slice check is dropped and logged."""
    sup = [s for s in stances if s.stance == "supports"]
    ref = [s for s in stances if s.stance == "refutes"]
    label: Label
    if sup and ref:
        label = "CONFLICTING"
        rationale = f"Sources disagree. Supporting: {_names(sup)}. Contradicting: {_names(ref)}"
        rationale += " (" + "; ".join(f"{s.doc_id}: {s.reason}" for s in ref) + ")."
        if len(ref) == 1 and len(sup) >= 2:
            rationale += f" Outlier: {ref[0].doc_id} is the only source that disagrees."
        elif len(sup) == 1 and len(ref) >= 2:
            rationale += f" Outlier: {sup[0].doc_id} is the only source that agrees."
        confidence = 0.8 + 0.05 * min(len(sup), len(ref))
    elif sup:
        label = "SUPPORTED"
        rationale = f"{len(sup)} source(s) support the claim ({_names(sup)}); none contradicts it."
        confidence = 0.85 + 0.03 * min(len(sup), 4)
    elif ref:
        label = "REFUTED"
        rationale = f"{len(ref)} source(s) contradict the claim ({_names(ref)}): {ref[0].reason}; none supports it."
        confidence = 0.8 + 0.05 * min(len(ref), 4)
    else:
        label = "NOT_ENOUGH_INFO"
        rationale = (
            "No source addresses the claim; abstaining."
            if not stances
            else (f"{len(stances)} source(s) were searched but none states or contradicts the claim; abstaining.")
        )
        confidence = 0.65
    cites: list[Citation] = []
    for s in sup + ref:
        for c in s.citations:
            if valid is None or valid(c):
                cites.append(c)
            else:
                log.error("bug: citation %s[%d:%d] is not a slice of its document; dropped", c.doc_id, c.start, c.end)
        if valid is not None:
            s.citations = [c for c in s.citations if valid(c)]
    agreeing = {"SUPPORTED": len(sup), "REFUTED": len(ref), "CONFLICTING": len(sup) + len(ref)}.get(label, 1)
    confidence = calibrated(label, agreeing, confidence)
    return Verdict(
        label=label, confidence=round(min(confidence, 0.95), 3), rationale=rationale, sources=stances, citations=cites
    )


def combine(parts: list[Verdict]) -> tuple[Label, float, str]:
    """A compound claim: refuted if a part is refuted, conflicting if a part is, abstain if a part is unaddressed."""
    labels = [p.label for p in parts]
    for label in ("REFUTED", "CONFLICTING", "NOT_ENOUGH_INFO"):
        if label in labels:
            chosen: Label = label  # type: ignore[assignment]
            break
    else:
        chosen = "SUPPORTED"
    conf = min(p.confidence for p in parts if p.label == chosen)
    why = "; ".join(f"part {i + 1}: {p.label}" for i, p in enumerate(parts))
    return chosen, conf, f"Compound claim ({why})."


def merge_sources(parts: list[list[SourceStance]]) -> list[SourceStance]:
    """Per document across subclaims: refutes if it refutes a part, supports if it supports one and refutes none."""
    merged: dict[str, SourceStance] = {}
    rank = {"refutes": 2, "supports": 1, "neutral": 0}
    for stances in parts:
        for s in stances:
            cur = merged.get(s.doc_id)
            if cur is None or rank[s.stance] > rank[cur.stance]:
                merged[s.doc_id] = s.model_copy()
            elif cur.stance == s.stance and s.stance != "neutral":
                cur.citations = cur.citations + [c for c in s.citations if c not in cur.citations]
    return sorted(merged.values(), key=lambda s: (-rank[s.stance] if s.stance != "neutral" else 1, s.doc_id))
