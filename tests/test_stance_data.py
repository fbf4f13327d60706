"""The stance model's training pairs: each synthetic kind carries the label its construction implies."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from agent.stance.data import (
    NEUTRAL,
    NOT_SUPPORTS,
    REFUTES,
    SUPPORTS,
    Pair,
    as_question,
    as_unsure,
    contrastive,
    edit_opposite,
    fever_annotations,
    fever_pairs,
    news_item_pairs,
    news_stage,
    on_topic_neutrals,
    story_pairs,
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


def test_annotations_give_not_entailment_pairs_hard_labels_only_where_sure(tmp_path: Path) -> None:
    rows = [
        (1, "Rob Sheridan is a Canadian designer.", "Rob Sheridan is an American graphic designer .", "not_entailment"),
        (2, "Neil Diamond has won an Oscar.", "Neil Diamond is an American musician and singer .", "not_entailment"),
        (3, "Neil Diamond is a singer.", "Neil Diamond is an American musician and singer .", "not_entailment"),
        (4, "Neil Diamond was born in Paris.", "Neil Diamond is an American musician .", "not_entailment"),
        (5, "Neil Diamond is a musician.", "Neil Diamond is an American musician and singer .", "entailment"),
        (6, "Neil Diamond is a poet.", "Neil Diamond is an American musician .", "not_entailment"),
    ]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        "".join(json.dumps({"id": i, "claim": c, "evidence": e, "label": y}) + "\n" for i, c, e, y in rows)
    )
    notes = tmp_path / "notes.jsonl"
    notes.write_text(
        "\n".join(
            json.dumps(d)
            for d in [
                {"id": 1, "label": "refutes", "sure": True},
                {"id": 2, "label": "neutral", "sure": True},
                {"id": 3, "label": "supports", "sure": True},  # against FEVER's own label: left out
                {"id": 4, "label": "refutes", "sure": False},  # unsure: left out
                {"id": 5, "label": "refutes", "sure": True},  # an entailment pair is never relabelled
            ]
        )
        + "\n"
    )
    labels = fever_annotations(notes)
    assert labels == {1: REFUTES, 2: NEUTRAL, 5: REFUTES}
    got = [(p.label, p.source) for p in fever_pairs(pairs, annotations=labels)]
    assert got == [
        (REFUTES, "fever-annotated"),
        (NEUTRAL, "fever-annotated"),
        (NOT_SUPPORTS, "fever"),
        (NOT_SUPPORTS, "fever"),
        (SUPPORTS, "fever"),
        (NOT_SUPPORTS, "fever"),
    ]


def _story(root: Path, name: str, who: str = "The union") -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "a0.txt").write_text(
        "Port strike ends\n\nThe strike lasted 12 days. Dockers returned on Monday. The union thanked members.\n",
        "utf-8",
    )
    (folder / "a1.txt").write_text(
        "Strike over\n\nThe port reopened after a strike of two weeks. Cranes moved again on Monday.\n", "utf-8"
    )
    claims = [
        {"claim": f"The strike {who.lower()} called went on for under two weeks.", "label": "CONFLICTING",
         "stances": {"a0": "supports", "a1": "refutes"},
         "quotes": {"a0": "The strike lasted 12 days.", "a1": "The port reopened after a strike of two weeks."}},
        {"claim": f"{who} thanked its members.", "label": "SUPPORTED", "stances": {"a0": "supports"},
         "quotes": {"a0": "The union thanked members."}},
    ]  # fmt: skip
    (folder / "claims.jsonl").write_text("\n".join(json.dumps(c) for c in claims) + "\n", "utf-8")


def test_story_pairs_label_quotes_windows_and_silent_articles(tmp_path: Path) -> None:
    _story(tmp_path, "port-strike")
    pairs = story_pairs(tmp_path, neutral_per_silent=1)
    by = {(p.claim, p.evidence): p.label for p in pairs}
    assert by[("The strike the union called went on for under two weeks.", "The strike lasted 12 days.")] == SUPPORTS
    assert (
        by[
            (
                "The strike the union called went on for under two weeks.",
                "The port reopened after a strike of two weeks.",
            )
        ]
        == REFUTES
    )
    # the quote with the sentence after it: a window, same label
    assert by[
        (
            "The strike the union called went on for under two weeks.",
            "The strike lasted 12 days. Dockers returned on Monday.",
        )
    ] == (SUPPORTS)
    # a1 says nothing about the union: its sentence closest to the claim is a neutral pair, and only that one
    silent = [p for p in pairs if p.claim == "The union thanked its members." and p.label == NEUTRAL]
    assert len(silent) == 1 and silent[0].evidence in (tmp_path / "port-strike" / "a1.txt").read_text()
    assert all(
        p.label != NEUTRAL or p.claim != "The strike the union called went on for under two weeks." for p in pairs
    )


def test_news_stage_holds_out_whole_stories_and_replays_as_many_pairs(tmp_path: Path) -> None:
    for name, who in (("a-story", "The union"), ("b-story", "The guild")):
        _story(tmp_path, name, who)
    base = [Pair(f"claim {i}", f"evidence {i}", SUPPORTS, "fever") for i in range(100)]
    train, held = news_stage(base, repeat=2, stories=tmp_path)
    assert held and {p.claim for p in held}.isdisjoint({p.claim for p in train if p.source.startswith("story")})
    stories = [p for p in train if p.source.startswith("story")]
    assert len(stories) == len([p for p in train if p.source == "fever"]) == 2 * len(held)


def test_build_mixes_the_stories_into_one_stage_only_when_asked() -> None:
    from agent.settings import Settings
    from agent.stance.data import build, held_out_claims

    shared = Settings().benchmarks_dir.parent
    if not (shared / "train" / "fever-rte" / "pairs.jsonl").is_file():
        pytest.skip(f"the shared training data is not at {shared} (a clone without ../shared)")
    plain, plain_held = build(shared)
    assert not any(p.source.startswith("story") for p in plain + plain_held)  # make train-stance: v2's pairs
    held_sci = {p.claim for p in plain_held if p.source.startswith("scifact")}
    trained = {p.claim for p in plain}
    assert held_sci and held_sci <= held_out_claims(shared)  # the clean SciFact dev set is what training held out
    assert held_sci.isdisjoint(trained)
    mixed, held = build(shared, stories=2)
    news = [p for p in mixed if p.source.startswith("story")]
    assert news and len(mixed) == len(plain) + len(news)
    assert {p.claim for p in held if p.source.startswith("story")}.isdisjoint({p.claim for p in news})


def test_an_opposite_word_refutes_and_matching_opposites_support() -> None:
    claim, evidence = "Corrigan shares rose 4 percent on Monday.", "Shares of Corrigan rose 4 percent on Monday."
    for seed in range(6):
        edits = edit_opposite(claim, evidence, random.Random(seed))
        assert edits[0] == ("Corrigan shares fell 4 percent on Monday.", evidence, REFUTES, "opposite")
        both = {(c, e): (label, kind) for c, e, label, kind in edits[1:]}
        assert both in (
            {("Corrigan shares fell 4 percent on Monday.", "Shares of Corrigan fell 4 percent on Monday."): (
                SUPPORTS, "opposite-both")},
            {(claim, "Shares of Corrigan fell 4 percent on Monday."): (REFUTES, "opposite-evidence")},
        )  # fmt: skip
    # a word the evidence does not use is not swapped (the evidence may say it otherwise), nor is part of a word
    assert edit_opposite("The plant closed in May.", "The plant shut its doors in May.", random.Random(0)) == []
    assert edit_opposite("She is a left-back.", "She plays as a left-back.", random.Random(0)) == []
    assert edit_opposite("Prices Increased.", "Prices increased.", random.Random(0))[0][0] == "Prices Decreased."


def test_opposite_edits_only_add_pairs() -> None:
    plain = contrastive(SUPPORTED, random.Random(3))
    more = contrastive(SUPPORTED, random.Random(3), opposites=True)
    assert set(plain) <= set(more)  # the other edits draw the same random numbers with or without it
    added = {p.source for p in set(more) - set(plain)}
    assert "edit-opposite" in added and added <= {"edit-opposite", "edit-opposite-both", "edit-opposite-evidence"}


def test_news_items_give_three_way_pairs_and_hold_out_whole_items(tmp_path: Path) -> None:
    def item(n: int) -> str:
        return json.dumps(
            {
                "evidence": f"The council approved budget {n} on Monday, officials said.",
                "claims": [
                    {"claim": f"Budget {n} was approved.", "label": "supports"},
                    {"claim": f"The council rejected budget {n}.", "label": "refutes"},
                    {"claim": f"Budget {n} raises taxes.", "label": "neutral"},
                    {"claim": "", "label": "supports"},  # empty: skipped
                    {"claim": f"Budget {n} passed unanimously.", "label": "maybe"},  # unknown label: skipped
                ],
            }
        )

    (tmp_path / "w0.jsonl").write_text("\n".join(item(n) for n in range(4)) + "\n", "utf-8")
    train, held = news_item_pairs(tmp_path, hold_every=2)
    assert [(p.claim, p.label) for p in held if "budget 1" in p.evidence] == [
        ("Budget 1 was approved.", SUPPORTS),
        ("The council rejected budget 1.", REFUTES),
        ("Budget 1 raises taxes.", NEUTRAL),
    ]
    assert {p.evidence for p in held} == {
        "The council approved budget 1 on Monday, officials said.",
        "The council approved budget 3 on Monday, officials said.",
    }
    assert len(train) == 6 and not {p.evidence for p in train} & {p.evidence for p in held}
    assert {p.source for p in train} == {"news-supports-w0", "news-refutes-w0", "news-neutral-w0"}
