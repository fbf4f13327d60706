"""Reasoning rules: relations between two facts a source states separately. The sentences here are
made up (a product recall story), not taken from the seed articles."""

from __future__ import annotations

import pytest

from agent.pipeline.nodes.reasoning import parse_period, parse_relation, period_finding, relation_finding
from agent.schemas import Sentence

STORY = [
    "Regulators said Volta recalled about 12,000 scooters between March 3 and April 14, 2026.",
    "The recall covered 9.6 million rides logged by Volta riders.",
    "In 2025, rival Zipp recalled 8,000 scooters after 3 million rides.",
    "Volta announced the recall in a letter to dealers dated April 20, 2026.",
    "The story broke on May 4, 2026, when the Ledger reported it.",
]


def sentences(texts: list[str]) -> list[Sentence]:
    out, pos = [], 0
    for t in texts:
        out.append(Sentence(doc_id="d", chunk_id="d:0", start=pos, end=pos + len(t), text=t))
        pos += len(t) + 1
    return out


IDF = {"volta": 1.6, "zipp": 3.0, "scooter": 1.8, "ride": 2.0, "recall": 1.2, "letter": 3.0, "news": 3.0}


def notable(name: str) -> bool:
    return name in ("Volta", "Zipp", "Ledger")


@pytest.mark.parametrize(
    ("claim", "kind", "op", "amount"),
    [
        ("Volta recalled about 4,000 more scooters than Zipp.", "difference", "more", 4000),
        ("Zipp recalled fewer scooters than Volta.", "compare", "lt", None),
        ("Volta's ride count was more than triple Zipp's 3 million.", "multiple", "gt", 3),
        ("Each recalled Volta scooter had logged roughly 800 rides on average.", "rate", "eq", 800),
        ("The story broke two weeks after the letter to dealers.", "gap", "after", 14),
        ("By the time Volta wrote to dealers, the recall had already ended.", "order", "after_end", None),
        ("Volta wrote to dealers while the recall was still underway.", "order", "during", None),
    ],
)
def test_parse_relation(claim: str, kind: str, op: str, amount: float | None) -> None:
    rel = parse_relation(claim)
    assert rel is not None
    assert (rel.kind, rel.op) == (kind, op)
    if amount is not None:
        assert rel.amount == pytest.approx(amount)


@pytest.mark.parametrize(
    "claim",
    [
        "Volta recalled more than 12,000 scooters.",  # a bound, not a comparison
        "The recall ran for six weeks in the first half of 2026.",
        "Volta recalled about 12,000 scooters.",
    ],
)
def test_plain_claims_are_not_relations(claim: str) -> None:
    assert parse_relation(claim) is None


@pytest.mark.parametrize(
    ("claim", "holds"),
    [
        ("Volta recalled about 4,000 more scooters than Zipp.", True),
        ("Volta recalled about 1,000 more scooters than Zipp.", False),
        ("Zipp recalled fewer scooters than Volta.", True),
        ("Volta recalled fewer scooters than Zipp.", False),
        ("Volta's ride count was more than triple Zipp's 3 million.", True),
        ("Volta's ride count was more than four times Zipp's 3 million.", False),
        ("On average, each recalled Volta scooter had logged roughly 800 rides.", True),
        ("On average, each recalled Volta scooter had logged roughly 2,000 rides.", False),
        ("The story broke two weeks after the letter to dealers.", True),
        ("The story broke five days after the letter to dealers.", False),
        ("By the time Volta wrote its letter to dealers, the recall had already ended.", True),
        ("Volta's letter to dealers went out while the recall was still underway.", False),
    ],
)
def test_relation_finding(claim: str, holds: bool) -> None:
    rel = parse_relation(claim)
    assert rel is not None
    found = relation_finding(rel, sentences(STORY), IDF, notable)
    assert found is not None, claim
    assert found.holds is holds, found.reason
    assert found.evidence and all(s.text in STORY for s in found.evidence)


def test_a_source_stating_one_side_only_says_nothing() -> None:
    rel = parse_relation("Volta recalled about 4,000 more scooters than Zipp.")
    assert rel is not None
    assert relation_finding(rel, sentences(STORY[:2]), IDF, notable) is None
    rel = parse_relation("The story broke two weeks after the letter to dealers.")
    assert rel is not None
    assert relation_finding(rel, sentences(STORY[4:]), IDF, notable) is None


@pytest.mark.parametrize(
    ("claim", "start", "end", "precise"),
    [
        ("The recall happened in 2025.", "2025-01-01", "2025-12-31", False),
        ("The recall happened in the first half of 2026.", "2026-01-01", "2026-06-30", False),
        ("The recall ran in spring 2026.", "2026-03-20", "2026-06-21", False),
        ("The recall took place between March and April 2026.", "2026-03-01", "2026-04-30", False),
        ("The recall ran from March 3 to April 14, 2026.", "2026-03-03", "2026-04-14", True),
        ("Volta announced the recall in Q2 2026.", "2026-04-01", "2026-06-30", False),
    ],
)
def test_parse_period(claim: str, start: str, end: str, precise: bool) -> None:
    p = parse_period(claim)
    assert p is not None
    assert (p.start.isoformat(), p.end.isoformat(), p.precise) == (start, end, precise)


def test_a_single_day_is_left_to_the_slot_rules() -> None:
    assert parse_period("The story broke on May 4, 2026.") is None
    assert parse_period("The recall began in 2026 and the story broke on May 4, 2026.") is None


@pytest.mark.parametrize(
    ("claim", "holds"),
    [
        ("The scooter recall happened in 2026.", True),
        ("The scooter recall happened in 2025.", False),
        ("The scooter recall happened in the first half of 2026.", True),
        ("The scooter recall ran from March 3 to April 14, 2026.", True),
        ("The scooter recall ran from March 3 to April 30, 2026.", False),
        ("The scooter recall took place in April 2026.", None),  # the recall began in March: cannot tell
    ],
)
def test_period_finding(claim: str, holds: bool | None) -> None:
    p = parse_period(claim)
    assert p is not None
    found = period_finding(p, claim, sentences(STORY), IDF)
    assert found is not None
    assert found[0] is holds, found[1]


def test_a_period_for_an_event_the_source_never_mentions_says_nothing() -> None:
    claim = "The senate hearing on scooters happened in 2026."
    p = parse_period(claim)
    assert p is not None
    assert period_finding(p, claim, sentences(STORY), IDF) is None


def test_an_event_named_by_its_actors_alone() -> None:
    # the claim's event is the Zipp recall, found by the rare name even though "disclosure" is not used
    story = [*STORY, "In March 2025, Zipp recalled 8,000 scooters after 3 million rides."]
    claim = "Zipp's recall disclosure came out in 2024."
    p = parse_period(claim)
    assert p is not None
    found = period_finding(p, claim, sentences(story), {**IDF, "disclosure": 1.0})
    assert found is not None and found[0] is False  # the story dates Zipp's recall to 2025
    # the names are there but not what happened to them: no event
    claim = "Volta and Zipp scheduled a safety hearing in 2026."
    p = parse_period(claim)
    assert p is not None
    assert period_finding(p, claim, sentences(STORY), {**IDF, "schedul": 4.0, "hear": 4.0, "safety": 4.0}) is None


def test_a_year_claim_is_dated_by_a_bare_year_in_the_source() -> None:
    # "a 2023 audit": the year is the audit's, though no sentence gives it a month; the breach notice's
    # Nov. 2 date is another event and must not stand in for it
    story = [
        "A 2024 safety audit of Volta scooters found worn brake cables in the fleet.",
        "Volta's fleet team filed a safety notice with regulators on Nov. 2, 2024.",
    ]
    idf = {**IDF, "audit": 4.0, "brake": 4.0, "cabl": 4.0, "worn": 4.0, "safeti": 3.0}
    claim = "A 2023 safety audit found worn brake cables in Volta's fleet."
    p = parse_period(claim)
    assert p is not None
    found = period_finding(p, claim, sentences(story), idf)
    assert found is not None and found[0] is False and "source dates it 2024" in found[1], found
    same = "A 2024 safety audit found worn brake cables in Volta's fleet."
    found = period_finding(parse_period(same), same, sentences(story), idf)  # type: ignore[arg-type]
    assert found is not None and found[0] is True and found[2][0].text == story[0], found
