"""The verification graph end to end, offline, over the real store with seeds/ ingested."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from agent.app.verify import verify_claim
from agent.cli import app
from agent.pipeline.services import Services
from agent.schemas import ClaimRecord

from .conftest import SEEDS

SEED_IDS = sorted(p.stem for p in SEEDS.glob("*.txt"))


def _all_citations(record: ClaimRecord) -> list:
    cites = list(record.citations) + [c for s in record.sources for c in s.citations]
    for sub in record.subclaims:
        cites += _all_citations(sub)
    return cites


@pytest.mark.parametrize(
    "claim,label",
    [
        ("Anthropic says roughly 25,000 fraudulent accounts were used.", "SUPPORTED"),
        ("Bloomberg broke the story on June 24.", "CONFLICTING"),  # 003 says Bloomberg, 001 says Reuters/CNBC
        ("The Federal Reserve cut interest rates at its June 2026 meeting.", "NOT_ENOUGH_INFO"),
        ("The campaign ran from April 22 to June 5, and Anthropic's letter was dated June 10.", "SUPPORTED"),
    ],
)
def test_records_are_well_formed_and_citations_are_exact(seeded_services: Services, claim: str, label: str) -> None:
    record = verify_claim(seeded_services, claim, "t1")
    assert record.label == label and 0.0 <= record.confidence <= 1.0 and record.rationale
    texts = seeded_services.index().texts
    for c in _all_citations(record):
        assert texts[c.doc_id][c.start : c.end] == c.quote
    assert set(record.timing_ms) >= {"retrieve", "extract", "cross_check", "verdict"}
    assert record.llm.provider == "none" and record.llm.calls == 0
    ClaimRecord.model_validate_json(record.model_dump_json())


def test_every_source_gets_a_view(seeded_services: Services) -> None:
    record = verify_claim(
        seeded_services, "Operators tied to Alibaba's Qwen lab used about 25,000 fraudulent accounts."
    )
    assert {s.doc_id for s in record.sources} == {p.stem for p in SEEDS.glob("*.txt")}
    assert record.label == "SUPPORTED"
    assert sum(s.stance == "supports" for s in record.sources) >= 2


def test_swapped_number_is_refuted_not_confused_with_february(seeded_services: Services) -> None:
    record = verify_claim(seeded_services, "The Alibaba-linked campaign used some 30,000 fake accounts.")
    assert record.label == "REFUTED"
    assert all(s.stance != "supports" for s in record.sources)


def test_unaddressed_claim_abstains(seeded_services: Services) -> None:
    record = verify_claim(
        seeded_services, "The 2026 FIFA World Cup final is scheduled to be played at MetLife Stadium."
    )
    assert record.label == "NOT_ENOUGH_INFO"


def test_disagreeing_sources_are_named(seeded_services: Services) -> None:
    record = verify_claim(seeded_services, "Bloomberg broke the news of Anthropic's accusation against Alibaba.")
    assert record.label == "CONFLICTING"
    by = {s.doc_id: s.stance for s in record.sources}
    assert by["003_9be5edd4fc6ed721"] == "supports" and by["001_530ad8e28140dcaf"] == "refutes"
    assert "001_530ad8e28140dcaf" in record.rationale


def test_compound_claim_lists_subclaims(seeded_services: Services) -> None:
    record = verify_claim(seeded_services, "Bloomberg broke the story, and the campaign used around 25,000 accounts.")
    assert len(record.subclaims) == 2
    assert record.subclaims[1].label == "SUPPORTED"


def _stance_rows(panel: str) -> dict[str, str]:
    """{doc_id: stance} read off the rendered stance table (cells split on the box-drawing bars)."""
    rows: dict[str, str] = {}
    source, stance = "", ""
    for line in panel.splitlines():
        cells = line.split("│")
        if len(cells) >= 6:
            source += cells[2].strip()
            stance += cells[4].strip()
        elif "┼" in line or "┴" in line:
            found = re.search(r"\d{3}_[0-9a-f]{16}", source)
            if found:
                rows[found.group(0)] = stance
            source, stance = "", ""
    return rows


def test_verify_cli_json_and_panel(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path / "d")]
    empty = runner.invoke(app, [*data, "verify", "anything at all"])
    assert empty.exit_code == 1 and "crosscheck ingest" in empty.output
    assert runner.invoke(app, [*data, "ingest", str(SEEDS)]).exit_code == 0
    out = runner.invoke(app, [*data, "verify", "--json", "Anthropic says about 25,000 fake accounts were used."])
    assert out.exit_code == 0, out.output
    rec = json.loads(out.output)
    assert rec["label"] == "SUPPORTED" and rec["llm"]["provider"] == "none"
    assert {s["doc_id"]: s["stance"] for s in rec["sources"]} == dict.fromkeys(SEED_IDS, "supports")
    panel = runner.invoke(app, [*data, "verify", "Bloomberg broke the story."], terminal_width=160)
    assert panel.exit_code == 0 and "CONFLICTING" in panel.output, panel.output
    # the stance table: each ruled-off row shows a source (its id folded over lines) next to its stance
    assert _stance_rows(panel.output) == {
        "001_530ad8e28140dcaf": "refutes",  # credits Reuters and CNBC
        "002_2a0152b85f9d3ae4": "supports",
        "003_9be5edd4fc6ed721": "supports",
        "000_4ef8fc55e1dac0fd": "neutral",
        "004_eb269963b8a04d98": "neutral",
    }, panel.output
    assert runner.invoke(app, [*data, "verify", "   "]).exit_code == 2
