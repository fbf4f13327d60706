"""The stance model's training pairs: each synthetic kind carries the label its construction implies."""

from __future__ import annotations

import json
import random
from pathlib import Path

from agent.stance.data import (
    NEUTRAL,
    NOT_SUPPORTS,
    REFUTES,
    SUPPORTS,
    Pair,
    as_question,
    as_unsure,
    contrastive,
    fever_pairs,
    on_topic_neutrals,
)

SUPPORTED = [
    Pair("Soul Food was released in 1997.", "Soul Food is a 1997 American comedy-drama film.", SUPPORTS, "fever"),
    Pair(
        "Kenneth Edmonds produced Soul Food.",
        "Soul Food was produced by Kenneth Edmonds. Kenneth Edmonds was born in Indianapolis.",
        SUPPORTS,
        "fever",
    ),
    Pair("Kenneth Edmonds won ten Grammy awards.", "Kenneth Edmonds has won eleven Grammy awards.", SUPPORTS, "fever"),
    Pair("The Eiffel Tower is in Paris.", "The Eiffel Tower is a lattice tower in Paris.", SUPPORTS, "fever"),
]


def test_a_question_asserts_nothing() -> None:
    rng = random.Random(0)
    for text in ("The film was released in 1997.", "Soul Food is a 1997 film."):
        for _ in range(10):
            q = as_question(text, rng)
            assert q.endswith("?") and not q.endswith(".?")
    # aux inversion keeps the name's capital and lower-cases a leading article
    inverted = {as_question("The film was released in 1997.", random.Random(s)) for s in range(20)}
    assert "Was the film released in 1997?" in inverted


def test_an_open_possibility_is_not_a_statement() -> None:
    outs = {as_unsure("Soul Food was released in 1997.", random.Random(s)) for s in range(30)}
    assert any(" may have been released" in o or " might have been released" in o for o in outs)
    wrapped = ("It is unclear whether Soul Food", "It has not been confirmed that Soul Food")
    assert any(o.startswith(wrapped) for o in outs)
    assert all("Soul Food" in o for o in outs)


def test_on_topic_neutrals_are_neutral_and_on_the_claims_subject() -> None:
    out = on_topic_neutrals(SUPPORTED * 20, random.Random(3), rate=0.2)
    kinds = {p.source for p in out}
    assert {"edit-question", "edit-unsure", "same-subject"} <= kinds
    assert all(p.label == NEUTRAL for p in out)
    for p in out:
        if p.source == "same-subject":  # another fact about the claim's leading name
            assert p.evidence not in {s.evidence for s in SUPPORTED if s.claim == p.claim}
            assert p.claim.split()[0] in p.evidence


def test_contrastive_number_edit_refutes_and_hedge_supports() -> None:
    pair = Pair("Apple sold 300 stores in 2010.", "In 2010 Apple sold 300 stores.", SUPPORTS, "fever")
    out = contrastive([pair], random.Random(1), per_pair=0.0)
    changed = [p for p in out if p.source == "edit-num-change"]
    hedged = [p for p in out if p.source == "edit-num-hedge"]
    assert changed and all(p.label == REFUTES and "300" not in p.claim for p in changed)
    assert hedged and all(p.label == SUPPORTS and "300" in p.claim for p in hedged)


def test_fever_split_makes_only_negated_overlapping_claims_refutations(tmp_path: Path) -> None:
    rows = [
        ("Neil Diamond is not a musician.", "Neil Diamond is an American musician and singer .", "not_entailment"),
        ("Neil Diamond was born in Paris.", "Neil Diamond is an American musician and singer .", "not_entailment"),
        ("Bob Ross never hosted a show on PBS.", "He was the host of The Joy of Painting .", "not_entailment"),
        ("Neil Diamond is a musician.", "Neil Diamond is an American musician and singer .", "entailment"),
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps({"claim": c, "evidence": e, "label": y}) + "\n" for c, e, y in rows))
    plain = [p.label for p in fever_pairs(path)]
    split = [p.label for p in fever_pairs(path, split=True)]
    assert plain == [NOT_SUPPORTS, NOT_SUPPORTS, NOT_SUPPORTS, SUPPORTS]
    # negated and mostly stated: refutes; not negated: still unknown; negated but little overlap: still unknown
    assert split == [REFUTES, NOT_SUPPORTS, NOT_SUPPORTS, SUPPORTS]
