"""A claim and each evidence unit are parsed once per verification: the reasoning rules read the features the
extract node computed instead of parsing the texts again."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from agent.app.verify import verify_claim
from agent.pipeline.nodes import extract, reasoning


def test_the_claim_is_parsed_once(seeded_services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    claim = "The campaign ran between April and June 2026, a period of about six weeks."  # a period: the rules run
    seen: Counter[str] = Counter()
    real = extract.extract_features

    def counting(text: str) -> Any:
        seen[text] += 1
        return real(text)

    monkeypatch.setattr(extract, "extract_features", counting)
    monkeypatch.setattr(reasoning, "extract_features", counting)
    reasoning._parsed.cache_clear()
    seeded_services.feature_cache().clear()
    record = verify_claim(seeded_services, claim)
    assert record.sources and seen[claim] == 1, seen[claim]
    evidence = {c.quote for s in record.sources for c in s.citations}
    assert evidence and all(seen[q] <= 1 for q in evidence)
