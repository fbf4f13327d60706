"""Figures, compared by unit: the claim's 50,000 accounts against the source's 25,000 accounts."""

from __future__ import annotations

import re

from agent.pipeline.nodes.checks.base import CheckContext, CheckResult, Refutation
from agent.pipeline.nodes.extract import Quantity
from agent.text import stem

GENERIC_UNIT = {"ai", "model", "firm", "total", "more", "new", "than", "additional"}


def _q_compatible(c: Quantity, s: Quantity) -> bool | None:
    """True: same amount; False: a different amount; None: cannot tell (bounds)."""
    tol = 0.035 if (c.approx or s.approx or c.bound or s.bound) else 0.005
    if abs(c.value - s.value) <= tol * max(c.value, s.value):
        if c.bound and s.bound and c.bound != s.bound:
            return False  # "more than 25,000" vs "almost 25,000"
        if c.bound == "more" and not s.bound and not c.approx:
            # "over $6 million" vs "$6.2 million" holds; vs "about $6 million" cannot tell
            return True if s.value > c.value * 1.005 and not s.approx else None
        return True
    return c.bound == "more" and s.value > c.value or c.bound == "less" and s.value < c.value


def _units_match(c: Quantity, s: Quantity) -> bool:
    cu = set(c.unit[:2]) - GENERIC_UNIT
    su = set(s.unit[:3]) - GENERIC_UNIT
    return bool(cu & su)


_LEAD = re.compile(
    r"([A-Za-z][A-Za-z'-]+)\s+(?:(?:about|around|roughly|nearly|almost|some|over|more than|less than|"
    r"at least|up to|a|an|the|of|only|just|another)\s+)*$",
    re.I,
)
_NOT_A_VERB = {"of", "to", "for", "and", "or", "than", "with", "from", "by", "at", "in", "on", "is", "was", "be"}


def _verb_before(text: str, q: Quantity) -> str | None:
    """The stem of the word that governs a sum ("demanded $4 million" -> demand), skipping hedges."""
    m = _LEAD.search(text[max(0, q.start - 60) : q.start])
    word = m.group(1).lower() if m else None
    return stem(word) if word and word not in _NOT_A_VERB and len(word) > 2 else None


def _governors(text: str, q: Quantity) -> set[str]:
    """The words that say what a figure counts: the verb before it ("employs 3,000", "demanded $4 million") and
    the noun after it ("a $2.1 million fine"), as stems."""
    out = {verb} if (verb := _verb_before(text, q)) else set()
    head = next((w for w in q.unit[:1] if w not in GENERIC_UNIT and len(w) > 2), None)
    return out | {stem(head)} if head else out


def check(ctx: CheckContext) -> CheckResult:
    claim, sent = ctx.claim, ctx.sent
    slots = 0
    matched: list[str] = []
    conflicts: dict[str, str] = {}
    refutes: list[Refutation] = []
    for i, qc in enumerate(claim.quantities):
        if qc.relative:
            continue
        same_unit = [qs for qs in sent.quantities if _units_match(qc, qs)]
        if not same_unit and not qc.unit and not qc.currency and ctx.focus and not ctx.other_subject:
            # a bare count ("Kestrel Deep employs 3,000"): the same governing word says what it counts
            governs = _governors(claim.text, qc)
            same_unit = [qs for qs in sent.quantities if not qs.currency and governs & _governors(sent.text, qs)]
        if not same_unit:
            # money against money with no noun to compare ("cost over $6 million" / "the cost at $6.2 million"):
            # enough to state the figure, never to contradict it (two sums in one story are often different sums)
            # The one exception: the same verb governs both sums ("demanded $2.5 million" / "demanded $4 million").
            money = [qs for qs in sent.quantities if qc.currency and qs.currency == qc.currency]
            if any(_q_compatible(qc, qs) for qs in money) and not ctx.other_subject:
                slots += 1
                matched.append(f"q{i}")
            elif money and not ctx.other_subject and ctx.focus and (governs := _governors(claim.text, qc)):
                same_verb = [qs for qs in money if governs & _governors(sent.text, qs)]
                qs = next((q for q in same_verb if _q_compatible(qc, q) is False), None)
                if qs is not None:
                    conflicts[f"q{i}"] = f"claim says {qc.text}; source says {qs.text}"
                    refutes.append(Refutation(0.9, conflicts[f"q{i}"], "figure"))
            continue
        verdicts = [(_q_compatible(qc, qs), qs) for qs in same_unit]
        if any(v for v, _ in verdicts):
            if not ctx.other_subject:
                slots += 1
                matched.append(f"q{i}")
        elif any(v is False for v, _ in verdicts) and not ctx.other_subject and ctx.focus:
            qs = next(q for v, q in verdicts if v is False)
            conflicts[f"q{i}"] = f"claim says {qc.text} {' '.join(qc.unit[:1])}; source says {qs.text}"
            refutes.append(Refutation(0.9, conflicts[f"q{i}"], "figure"))
    return CheckResult(slots, tuple(matched), tuple(conflicts.items()), tuple(refutes))
