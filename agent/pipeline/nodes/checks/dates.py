"""Dates: compared with the date written nearest to the claim's own words."""

from __future__ import annotations

import re
from typing import Any

from agent.pipeline.nodes.checks.base import NO_RESULT, CheckContext, CheckResult, Refutation, predicate_terms
from agent.pipeline.nodes.extract import DateMention, Features
from agent.text import stem


def _date_cmp(c: DateMention, s: DateMention) -> bool | None:
    common = [
        (a, b) for a, b in ((c.year, s.year), (c.month, s.month), (c.day, s.day)) if a is not None and b is not None
    ]
    if not common:
        return None
    if c.day is not None and s.day is None and c.month == s.month and c.year in (None, s.year):
        return None  # "June 10" vs "June": not precise enough to decide
    return all(a == b for a, b in common)


def _anchor_positions(claim: Features, text: str) -> list[tuple[int, int]]:
    """Where the claim's own non-name words occur in the sentence."""
    pos = []
    for m in re.finditer(r"[A-Za-z][A-Za-z'-]+", text):
        st = stem(m.group())
        if st in predicate_terms(claim) and len(st) > 2:
            pos.append(m.span())
    return pos


def _nearest(items: list[Any], anchors: list[tuple[int, int]], max_gap: int = 60) -> list[Any]:
    """The mentions written closest to the claim's own words (gap in characters between the spans)."""
    if len(items) <= 1 or not anchors:
        return items

    def gap(i: Any) -> int:
        s, e = i.start, i.start + len(i.text)
        return min(max(a - e, s - b, 0) for a, b in anchors)

    dist = [gap(i) for i in items]
    best = min(dist)
    if best > max_gap:
        return []  # no date is written near the claim's words: the sentence dates something else
    return [i for i, d in zip(items, dist, strict=True) if d <= best + 3]


def check(ctx: CheckContext) -> CheckResult:
    claim, sent, text = ctx.claim, ctx.sent, ctx.text
    exact = [
        d for d in claim.dates if any(_date_cmp(d, ds) and ds.granularity() >= d.granularity() for ds in sent.dates)
    ]
    if len(claim.dates) >= 2 and len(exact) == len(claim.dates) and not ctx.other_subject:
        # a range or list of dates, all stated
        return CheckResult(len(exact), tuple(f"d{i}" for i in range(len(claim.dates))))
    if not (
        claim.dates
        and sent.dates
        and not ctx.other_subject
        and ctx.focus
        and ctx.pcov >= 0.3
        and (anchors := _anchor_positions(claim, text))
    ):
        return NO_RESULT
    slots = 0
    matched: list[str] = []
    conflicts: dict[str, str] = {}
    refutes: list[Refutation] = []
    near = _nearest(sent.dates, anchors)
    for i, dc in enumerate(claim.dates):
        results = [(_date_cmp(dc, ds), ds) for ds in sent.dates]
        near_results = [(r, ds) for r, ds in results if ds in near]
        if any(r for r, _ in results) and (
            any(r for r, _ in near_results) or not any(r is False for r, _ in near_results)
        ):
            slots += 1
            matched.append(f"d{i}")
        elif any(r is False for r, _ in near_results):
            ds = next(ds for r, ds in near_results if r is False)
            conflicts[f"d{i}"] = f"claim says {dc.text}; source says {ds.text}"
            refutes.append(Refutation(0.8, conflicts[f"d{i}"], "date"))
    return CheckResult(slots, tuple(matched), tuple(conflicts.items()), tuple(refutes))
