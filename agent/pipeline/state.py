"""Graph state: narrow at input (claim, id), narrow at output (record)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from agent.schemas import ClaimRecord, Evidence, LLMUsage, SourceStance, Verdict


def merge_dict(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0.0) + v
    return out


class ClaimCheck(BaseModel):
    """One atomic claim on its way through the graph."""

    text: str
    evidence: list[Evidence] = Field(default_factory=list)
    features: dict[str, Any] = Field(default_factory=dict, description="extracted slots, by sentence text")
    stances: list[SourceStance] = Field(default_factory=list)
    verdict: Verdict | None = None


class VerifyInput(BaseModel):
    claim: str
    claim_id: str = "claim"


class VerifyState(VerifyInput):
    checks: list[ClaimCheck] = Field(default_factory=list)
    thin: bool = False
    widened_once: bool = False
    timing_ms: Annotated[dict[str, float], merge_dict] = Field(default_factory=dict)
    llm: LLMUsage = Field(default_factory=LLMUsage)
    record: ClaimRecord | None = None


class VerifyOutput(BaseModel):
    record: ClaimRecord
    timing_ms: dict[str, float] = Field(default_factory=dict)
