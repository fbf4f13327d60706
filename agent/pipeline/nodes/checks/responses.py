"""Response type: denied vs no comment vs confirmed, by the claim's actor."""

from __future__ import annotations

import re

from agent.pipeline.nodes.checks.base import NO_RESULT, CheckContext, CheckResult, Refutation, _mentions
from agent.pipeline.nodes.extract import RESPONSE_CLASSES

_APPOSITIVE = re.compile(r",\s*(?:the|a|an|which|who|whose|its)\b[^.;:,]{0,140},\s*$", re.I)


def _appositive(text: str, cue: int, actor: str) -> bool:
    """The actor is the subject, with an appositive between it and the cue: "CivicPay Solutions, the
    company whose software runs the billing, declined to comment"."""
    head = text[max(0, cue - 220) : cue]
    m = _APPOSITIVE.search(head)
    return m is not None and _mentions(head[max(0, m.start() - 60) : m.start()], actor)


def responses_by(text: str, actor: str | None) -> set[str]:
    """Response cues (deny / no comment / confirm) the sentence gives to the actor: the actor named
    shortly before the cue, and the cue neither hypothetical ("if confirmed", "expected to deny") nor
    an infinitive with someone else's subject ("harder to dismiss"). An appositive may stand between the
    actor and the cue."""
    found = set()
    for kind, pattern in RESPONSE_CLASSES.items():
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 70) : m.start()]
            if re.search(r"\b(if|unless|whether|to|expected|likely|may|might|could|would)\s+(\w+\s+)?$", before, re.I):
                continue
            if actor is not None and not (_mentions(before + m.group(), actor) or _appositive(text, m.start(), actor)):
                continue
            found.add(kind)
    return found


def check(ctx: CheckContext) -> CheckResult:
    """`decisive`: the claim's own actor, named in the sentence, responds the one way the claim says."""
    claim = ctx.claim
    actor = claim.entities[0] if claim.entities else None
    if not (claim.responses and ctx.sent.responses and (actor is None or actor not in ctx.missing)):
        return NO_RESULT
    sent_resp = responses_by(ctx.text, actor)
    if sent_resp & set(claim.responses):
        single = len(sent_resp) == 1
        return CheckResult(1 if single else 0, decisive=single and actor is not None and actor not in ctx.missing)
    if sent_resp:
        why = f"claim says {'/'.join(claim.responses)}; source says {'/'.join(sorted(sent_resp))}"
        return CheckResult(refutes=(Refutation(0.85, why, "response"),))
    return NO_RESULT
