"""Quoted words: a claim that quotes the source ('a distillation attack') needs those words in the sentence."""

from __future__ import annotations

import re

from agent.pipeline.nodes.checks.base import CheckContext


def _quoted(text: str) -> list[str]:
    return [m.group(2) for m in re.finditer(r"(^|\W)['\"“‘]([^'\"”’]{3,60})['\"”’](?=\W|$)", text)]


def check(ctx: CheckContext) -> bool | None:
    """None: the claim quotes nothing; True: every quote is in the sentence; False: one is not."""
    quotes = _quoted(ctx.claim.text)
    if not quotes:
        return None
    return all(q.lower() in ctx.text.lower() for q in quotes)
