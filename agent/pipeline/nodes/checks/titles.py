"""Who holds a title (chair, ranking member, CEO, founder ...)."""

from __future__ import annotations

import re

from agent.pipeline.nodes.checks.base import NO_RESULT, CheckContext, CheckResult, Refutation, _ents_match

_ROLE = (
    r"(?i:co-?founder|founder|chief executive(?: officer)?|ceo|cto|cfo|coo|president|vice[- ]president|"
    r"chair(?:man|woman|person)?|ranking member|director|spokes(?:person|man|woman)|minister|secretary|"
    r"governor|mayor|head|leader|editor|general counsel|chief [a-z]+ officer)"
)
_PERSON = r"([A-Z][a-z]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-z'’-]+){1,2})"
_TITLED = re.compile(rf"\b({_ROLE})\s+{_PERSON}|{_PERSON},\s+(?:the\s+|its\s+)?({_ROLE})\b")
_CLAIMED_ROLE = re.compile(
    rf"{_PERSON}\s+(?:is|was|serves as|served as|became|has been|remains|as)\s+(?:the\s+|its\s+|their\s+|a\s+)?"
    rf"(?:[a-z]+'?s?\s+){{0,2}}?({_ROLE})\b|{_PERSON}\s+(chairs|heads|leads)\b|{_PERSON},\s+(?:the\s+|its\s+)?({_ROLE})\b",
)


def _role_key(role: str) -> str:
    r = role.lower()
    if r in ("chairs", "heads", "leads"):
        r = {"chairs": "chair", "heads": "head", "leads": "leader"}[r]
    r = re.sub(r"^chair(man|woman|person)$", "chair", r)
    return {"ceo": "chief executive", "chief executive officer": "chief executive"}.get(r, r)


def _title_check(claim_text: str, text: str) -> tuple[bool | None, str]:
    """Who holds a title: "Chair Tim Scott and Ranking Member Elizabeth Warren" against a claim that
    "Elizabeth Warren chairs the committee"."""
    held: dict[str, list[str]] = {}
    for m in _TITLED.finditer(text):
        role, person = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        if person[:1].isupper():
            held.setdefault(_role_key(role), []).append(person)
    if not held:
        return None, ""
    for m in _CLAIMED_ROLE.finditer(claim_text):
        g = [x for x in m.groups() if x]
        if len(g) < 2:
            continue
        person, role = g[0], _role_key(g[1])
        if role not in held:
            continue
        if any(_ents_match(person, p) for p in held[role]):
            return True, f"source also names {person} {role}"
        return False, f"claim says {person} is {role}; source says {', '.join(held[role])}"
    return None, ""


def check(ctx: CheckContext) -> CheckResult:
    title, why = _title_check(ctx.claim.text, ctx.text)
    if title is True:
        return CheckResult(1)
    if title is False:
        return CheckResult(refutes=(Refutation(0.85, why, "title"),))
    return NO_RESULT
