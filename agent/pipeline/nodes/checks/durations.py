"""Durations, also from date ranges (April 22 to June 5 = 44 days)."""

from __future__ import annotations

import re

from agent.pipeline.nodes.checks.base import NO_RESULT, CheckContext, CheckResult, Refutation, _durations_of
from agent.text import content_terms

_OF_WHAT = re.compile(r"\s+of\s+((?:[\w-]+\s+){0,2}[\w-]+)")


def _of_something_else(ctx: CheckContext, text: str) -> bool:
    """ "two months of waived late fees": a duration of a thing the claim does not mention cannot contradict it."""
    for d in ctx.sent.durations:
        if d.text == text and (m := _OF_WHAT.match(ctx.sent.text, d.start + len(d.text))):
            return not (content_terms(m.group(1)) & ctx.claim.terms)
    return False


def check(ctx: CheckContext) -> CheckResult:
    sd = _durations_of(ctx.sent)
    if not sd or ctx.other_subject:
        return NO_RESULT
    slots = 0
    matched: list[str] = []
    conflicts: dict[str, str] = {}
    refutes: list[Refutation] = []
    for i, du in enumerate(_durations_of(ctx.claim)):
        tol = 0.2 if (du[1] or any(a for _, a, _ in sd)) else 0.1
        # relative tolerance, and a day's rounding ("two weeks" / "15 days"); not 3 days flat: "about two days"
        # is not "about 9 hours"
        if any(abs(du[0] - d) <= max(tol * max(du[0], d), 1.0 if min(du[0], d) >= 7 else 0.0) for d, _, _ in sd):
            slots += 1
            matched.append(f"t{i}")
        elif ctx.focus and (rival := [x for x in sd if not _of_something_else(ctx, x[2])]):
            # stating the claim's duration needs no name; contradicting it does (figures alike)
            conflicts[f"t{i}"] = f"claim says {du[2]}; source says {rival[0][2]}"
            refutes.append(Refutation(0.8, conflicts[f"t{i}"], "duration"))
    return CheckResult(slots, tuple(matched), tuple(conflicts.items()), tuple(refutes))
