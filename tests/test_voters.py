"""The decision function over votes: the policy that combines the stance model and the structured checks."""

from __future__ import annotations

from agent.pipeline.nodes.voters import Thresholds, Vote, decide, model_vote
from agent.schemas import Evidence, Sentence

T = Thresholds(supports=0.5, refutes=0.5, on_topic=0.5)


def ev(text: str, doc: str = "d") -> Evidence:
    return Evidence(sentence=Sentence(doc_id=doc, chunk_id=f"{doc}:0", start=0, end=len(text), text=text))


A = ev("Operators used about 25,000 accounts.")
B = ev("The weather was fine.")


def test_model_decides_support_and_refutation() -> None:
    sup = model_vote([A, B], {A.sentence.text: (0.9, 0.05, 0.05), B.sentence.text: (0.1, 0.1, 0.8)})
    assert decide(sup, [], slots_matched=True, t=T)[0] == "supports"
    ref = model_vote([A, B], {A.sentence.text: (0.1, 0.8, 0.1), B.sentence.text: (0.1, 0.1, 0.8)})
    stance, vote = decide(ref, [], slots_matched=True, t=T)
    assert stance == "refutes" and vote is not None and vote.evidence is A
    neu = model_vote([A, B], {A.sentence.text: (0.3, 0.2, 0.5), B.sentence.text: (0.1, 0.1, 0.8)})
    assert decide(neu, [], slots_matched=True, t=T) == ("neutral", None)


def test_support_needs_the_claims_figures_matched() -> None:
    sup = model_vote([A], {A.sentence.text: (0.9, 0.05, 0.05)})
    assert decide(sup, [], slots_matched=False, t=T)[0] == "neutral"


def test_a_precise_check_overrides_the_model_on_an_on_topic_sentence() -> None:
    sup = model_vote([A], {A.sentence.text: (0.9, 0.05, 0.05)})
    number = Vote("refutes", 0.6, "claim says 30,000 accounts; source says about 25,000", A, precise=True)
    stance, vote = decide(sup, [number], slots_matched=True, t=T)
    assert stance == "refutes" and vote is number
    # the same conflict in a sentence the model reads as off topic does not decide
    off = model_vote([B], {B.sentence.text: (0.05, 0.05, 0.9)})
    weak = Vote("refutes", 0.6, "claim says 30,000; source says 12", B, precise=True)
    assert decide(off, [weak], slots_matched=True, t=T)[0] == "neutral"


def test_soft_votes_only_when_allowed_and_the_model_is_undecided() -> None:
    neu = model_vote([A], {A.sentence.text: (0.3, 0.3, 0.4)})
    soft = Vote("refutes", 0.7, "claim names X; source names Y", A)
    assert decide(neu, [soft], slots_matched=True, t=T)[0] == "neutral"
    assert decide(neu, [soft], slots_matched=True, t=Thresholds(0.5, 0.5, 0.5, soft=True))[0] == "refutes"
    sup = model_vote([A], {A.sentence.text: (0.9, 0.05, 0.05)})
    assert decide(sup, [soft], slots_matched=True, t=Thresholds(0.5, 0.5, 0.5, soft=True))[0] == "supports"


def test_a_source_that_never_names_the_claims_names_needs_a_confident_model() -> None:
    mild = model_vote([A], {A.sentence.text: (0.7, 0.1, 0.2)})
    assert decide(mild, [], slots_matched=True, t=T, named=True)[0] == "supports"
    assert decide(mild, [], slots_matched=True, t=T, named=False) == ("neutral", None)
    sure = model_vote([A], {A.sentence.text: (0.9, 0.05, 0.05)})
    assert decide(sure, [], slots_matched=True, t=T, named=False)[0] == "supports"


def test_cross_check_asks_for_the_claims_names_in_the_source() -> None:
    """The model's support of a sentence about someone else is held back: the document never names
    the claim's company, in its text or in its title."""
    from agent.pipeline.nodes.cross_check import cross_check

    claim = "Microsoft helped Anthropic detect the campaign."
    text = "Anthropic detected the campaign with help from a partner."
    e = ev(text)
    probs = {text: (0.7, 0.1, 0.2)}
    [alone] = cross_check(claim, [e], {}, probs=probs, thresholds=T)
    assert alone.stance == "neutral"
    meta = type("Meta", (), {"title": "Microsoft and Anthropic", "date": None, "outlet": None})()
    [titled] = cross_check(claim, [e], {}, metas={"d": meta}, probs=probs, thresholds=T)
    assert titled.stance == "supports"
