"""The one entry point every front end uses: claim in, ClaimRecord out."""

from __future__ import annotations

from typing import Any

from agent.pipeline.services import Services
from agent.schemas import ClaimRecord
from agent.text import normalise_claim

_GRAPH: dict[str, Any] = {}


def graph() -> Any:
    if "g" not in _GRAPH:
        from agent.pipeline.graph import build_graph

        _GRAPH["g"] = build_graph()
    return _GRAPH["g"]


def verify_claim(services: Services, claim: str, claim_id: str = "claim") -> ClaimRecord:
    """Run the verification graph on one claim. Thread-safe: the graph and services are shared read-only.

    The claim is normalised first (control characters and escape sequences out, Unicode NFC), so hostile
    bytes neither reach the verdict nor change it."""
    claim = normalise_claim(claim)
    out = graph().invoke({"claim": claim, "claim_id": claim_id}, context=services)
    record: ClaimRecord = out["record"]
    timing = {k: 0.0 for k in ("retrieve", "extract", "cross_check", "verdict")}
    timing.update(out.get("timing_ms", {}) if isinstance(out, dict) else {})
    record.timing_ms = timing
    return record
