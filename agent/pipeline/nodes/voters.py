"""Votes on one document's stance, and the one function that combines them.

Every voter reads the claim and the document's evidence and returns votes with a reason:
- the learned stance model (`model_vote`): its probabilities for the document's best evidence units;
- the structured checks of `cross_check` (numbers by unit, dates and periods, durations, relations
  computed from two figures or dates): *precise* votes, each from values parsed on both sides;
- the softer rule checks (who did it, how someone responded, titles, negation): *soft* votes.

`decide` is the whole policy: a precise refutation on an evidence unit the model reads as on topic
wins (the model is weak at figures); a precise support from a computed relation or period wins next;
then the model decides, and a support needs the claim's figures/dates matched somewhere in the
document, and a higher P(supports) when the document (text and title) never names one of the claim's
names; soft votes decide only when the model is undecided.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.schemas import Evidence, Stance


@dataclass(frozen=True)
class Thresholds:
    """Fitted on the news dev gold sets (seed, held-out 1, dev story, dev headlines; `python -m evals.tune`)."""

    supports: float = 0.4
    refutes: float = 0.95
    on_topic: float = 0.7  # the model's P(neutral) below this: the unit is about the claim
    soft: bool = False  # soft rule votes decide when the model is undecided
    unnamed_supports: float = 0.85  # P(supports) needed when the source never names one of the claim's names


@dataclass
class Vote:
    stance: Stance
    strength: float
    reason: str
    evidence: Evidence
    precise: bool = False


@dataclass
class ModelVote:
    """The model's reading of a document: its most supporting and most refuting evidence units."""

    p_supports: float
    p_refutes: float
    supports: Evidence
    refutes: Evidence
    neutral_of: dict[str, float]  # evidence text -> P(neutral)

    def on_topic(self, ev: Evidence, t: Thresholds) -> bool:
        return self.neutral_of.get(ev.sentence.text, 1.0) < t.on_topic


def model_vote(evidence: list[Evidence], probs: dict[str, tuple[float, float, float]]) -> ModelVote | None:
    scored = [(ev, probs[ev.sentence.text]) for ev in evidence if ev.sentence.text in probs]
    if not scored:
        return None
    sup = max(scored, key=lambda x: x[1][0])
    ref = max(scored, key=lambda x: x[1][1])
    return ModelVote(
        p_supports=float(sup[1][0]),
        p_refutes=float(ref[1][1]),
        supports=sup[0],
        refutes=ref[0],
        neutral_of={ev.sentence.text: float(p[2]) for ev, p in scored},
    )


def decide(
    model: ModelVote | None,
    votes: list[Vote],
    slots_matched: bool,
    t: Thresholds = Thresholds(),
    named: bool = True,
) -> tuple[Stance, Vote | None]:
    """A document's stance and the vote that decided it (None: neutral)."""
    precise_ref = [v for v in votes if v.precise and v.stance == "refutes"]
    precise_ref = [v for v in precise_ref if model is None or model.on_topic(v.evidence, t) or v.strength >= 0.8]
    if precise_ref:
        return "refutes", max(precise_ref, key=lambda v: v.strength)
    precise_sup = [v for v in votes if v.precise and v.stance == "supports"]
    if precise_sup:
        return "supports", max(precise_sup, key=lambda v: v.strength)
    if model is not None:
        need = t.supports if named else max(t.supports, t.unnamed_supports)
        if model.p_supports >= need and model.p_supports >= model.p_refutes and slots_matched:
            return "supports", Vote(
                "supports", model.p_supports, f"the stance model reads it as support (p={model.p_supports:.2f})",
                model.supports,
            )  # fmt: skip
        if model.p_refutes >= t.refutes:
            return "refutes", Vote(
                "refutes", model.p_refutes, f"the stance model reads it as a contradiction (p={model.p_refutes:.2f})",
                model.refutes,
            )  # fmt: skip
    soft = [v for v in votes if not v.precise and v.stance != "neutral"]
    if soft and (model is None or t.soft):
        best = max(soft, key=lambda v: v.strength)
        return best.stance, best
    return "neutral", None
