"""Polarity: the same statement, negated in one and not the other (negation scoped to the shared words).

Run only when no check refutes; a refutation here decides the sentence."""

from __future__ import annotations

from agent.pipeline.nodes.checks.base import NO_RESULT, CheckContext, CheckResult, Refutation, _negated_near

NEG_PCOV = 0.5  # how much of the claim's wording a negated sentence must share to refute it
NEG_BASE = 0.15


def check(ctx: CheckContext) -> CheckResult:
    claim, text, shared, pcov = ctx.claim, ctx.text, ctx.shared, ctx.pcov
    if (
        pcov >= NEG_PCOV
        and shared
        and not ctx.missing_rare  # "declined to give the logs to Reuters" says nothing of giving them to the FBI
        and not claim.responses
        and not ctx.sent.responses
        and _negated_near(claim.text, shared) != _negated_near(text, shared)
        # with less of the wording shared, the negated word itself must be the claim's
        and (pcov >= 0.6 or _negated_near(claim.text, shared, head=True) or _negated_near(text, shared, head=True))
    ):
        why = "the source states the opposite (negation)"
        return CheckResult(refutes=(Refutation(NEG_BASE + 0.4 * pcov, why, "negation"),))
    return NO_RESULT
