"""Gold data as Dataset / Case, with Evaluators that score one case's output.

The concepts are pydantic-evals' (Dataset, Case, Evaluator); the package itself is not used because its
latest release (2.62.0) pins `pydantic-ai-slim==2.62.0` and this project runs 2.68.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from agent.schemas import Citation, ClaimRecord, Label

Kind = Literal["claim", "question"]


class Case(BaseModel):
    """One gold item: a claim with its expected label and sources, or a question with its key facts."""

    id: str
    kind: Kind = "claim"
    inputs: str = Field(description="the claim or question text")
    label: Label | None = Field(None, description="expected verdict (claims)")
    sources: list[str] = Field(default_factory=list, description="doc_ids that address the claim / answer")
    stances: dict[str, str] = Field(default_factory=dict)
    key_facts: list[str] = Field(default_factory=list, description="strings a correct answer contains")
    metadata: dict[str, Any] = Field(default_factory=dict)


class Dataset(BaseModel):
    name: str
    cases: list[Case]

    @classmethod
    def from_jsonl(cls, path: Path, name: str | None = None) -> Dataset:
        """Claim rows (`id, claim, label, sources, stances, tier, note`) or question rows
        (`id, question, key_facts, sources`)."""
        cases = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            cid = str(row.get("id", f"{path.stem}-{n}"))
            meta = {k: row[k] for k in ("tier", "note") if k in row}
            if "question" in row:
                cases.append(
                    Case(
                        id=cid,
                        kind="question",
                        inputs=row["question"],
                        key_facts=row.get("key_facts", []),
                        sources=row.get("sources", []),
                        metadata=meta,
                    )
                )
            else:
                cases.append(
                    Case(
                        id=cid,
                        inputs=row["claim"],
                        label=row.get("label"),
                        sources=row.get("sources", []),
                        stances=row.get("stances", {}),
                        metadata=meta,
                    )
                )
        return cls(name=name or path.stem, cases=cases)

    def claims(self) -> list[Case]:
        return [c for c in self.cases if c.kind == "claim"]

    def questions(self) -> list[Case]:
        return [c for c in self.cases if c.kind == "question"]


def all_citations(record: ClaimRecord) -> list[Citation]:
    """Every citation a record carries: verdict, per-source and subclaims, recursively."""
    out = list(record.citations)
    for s in record.sources:
        out.extend(s.citations)
    for sub in record.subclaims:
        out.extend(all_citations(sub))
    return out


class Evaluator:
    """Scores one case's output; returns named scores (None = not applicable to this case)."""

    name = "evaluator"

    def evaluate(self, case: Case, output: Any) -> dict[str, Any]:
        raise NotImplementedError


class LabelMatch(Evaluator):
    name = "label"

    def evaluate(self, case: Case, output: ClaimRecord) -> dict[str, Any]:
        return {"correct": output.label == case.label}


class SourceAttribution(Evaluator):
    """Citation precision: cited docs inside the gold sources. Gold-source recall: gold sources given a stance."""

    name = "sources"

    def evaluate(self, case: Case, output: ClaimRecord) -> dict[str, Any]:
        from evals.metrics import set_precision, set_recall

        cited = {c.doc_id for c in all_citations(output)}
        stanced = {s.doc_id for s in output.sources if s.stance != "neutral"}
        return {
            "citation_precision": set_precision(cited, case.sources) if case.sources else None,
            "source_recall": set_recall(stanced, case.sources),
        }


class QuoteValidity(Evaluator):
    """The slice check over every citation, subclaims included."""

    name = "quotes"

    def __init__(self, valid: Callable[[Citation], bool]) -> None:
        self.valid = valid

    def evaluate(self, case: Case, output: ClaimRecord | Sequence[Citation]) -> dict[str, Any]:
        cites = all_citations(output) if isinstance(output, ClaimRecord) else list(output)
        bad = [c for c in cites if not self.valid(c)]
        return {"citations": len(cites), "invalid_citations": len(bad), "invalid": [c.model_dump() for c in bad[:5]]}
