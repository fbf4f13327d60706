"""Who did it: the subject of the claim's verb in the sentence (Bloomberg vs Reuters broke the story)."""

from __future__ import annotations

import re

from agent.pipeline.nodes.checks.base import (
    _NAME,
    NO_RESULT,
    PAST_IRREGULAR,
    CheckContext,
    CheckResult,
    Refutation,
    _ents_match,
)
from agent.pipeline.nodes.extract import Features
from agent.text import LIGHT_VERBS, news_idiom, stem

_SUBJECT = re.compile(
    r"((?:[A-Z][\w&.'’-]*\s+){0,3}[A-Z][\w&.'’-]*)(?:\s*(?:,|and|&)\s*([A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*){0,3}))?\s+(?:first\s+|also\s+|has\s+|had\s+)?$"
)


def _subject_before(text: str, verb_stem: str, entities: list[str]) -> list[str]:
    """Names written immediately before the verb ("Reuters and CNBC broke ..."), if they are names."""
    out = []
    for m in re.finditer(r"[A-Za-z][A-Za-z'-]+", text):
        w = m.group().lower()
        if stem(w) != verb_stem or m.group()[0].isupper():
            continue
        if not (w.endswith(("ed", "s")) or w in PAST_IRREGULAR):
            continue  # "open weights" is not "opened"
        sm = _SUBJECT.search(text[max(0, m.start() - 80) : m.start()])
        if not sm:
            continue
        for name in (g for g in sm.groups() if g):
            if any(_ents_match(name, e) for e in entities):
                out.append(name.strip())
    return out


_PREPOSITION_BEFORE = re.compile(
    r"\b(?:of|against|on|about|for|with|to|from|by|at|in|into|over|toward|towards|versus|vs\.?)\s+(?:the\s+)?$", re.I
)


def _role_check(claim: Features, sent: Features) -> tuple[bool | None, str]:
    """Does the sentence give the claim's verb a different subject? (Bloomberg vs Reuters broke the story).
    "X was first to report" is how news says "X broke the story"."""
    text = news_idiom(claim.text)
    for ent in claim.entities:
        m = re.search(
            re.escape(ent)
            + rf"(?:'s)?((?:\s*(?:,|and|&)\s*{_NAME})*)\s+(?:has\s+|had\s+|first\s+|also\s+)?([a-z][a-z'-]+)",
            text,
        )
        if not m or _PREPOSITION_BEFORE.search(text[: m.start()]):
            continue  # "news of the accusation against Alibaba broke": Alibaba is not who broke it
        word = m.group(2)
        if not (word.endswith("ed") or word in PAST_IRREGULAR):
            continue  # only a past-tense verb says who did what ("broke", "reported")
        verb = stem(word)
        subjects = _subject_before(sent.text, verb, sent.entities)
        if not subjects:
            continue
        claimed = [ent, *re.findall(_NAME, m.group(1))]
        if owner := re.search(rf"({_NAME})['’]s\s+$", text[: m.start()]):
            claimed.append(owner.group(1))  # "Bloomberg's Saritha Rai broke it" is also Bloomberg breaking it
        if any(_ents_match(c, s) for c in claimed for s in subjects):
            return True, f"source also says {', '.join(claimed)} {word}"
        return False, f"claim says {', '.join(claimed)} {word}; source says {', '.join(subjects)} {word}"
    return None, ""


def check(ctx: CheckContext) -> CheckResult:
    """`decisive`: the same actor doing a deed that says much ("X broke ..."; "X made ..." says little)."""
    if ctx.claim.quantities:
        return NO_RESULT
    role, why = _role_check(ctx.claim, ctx.sent)
    if role is True:
        return CheckResult(1, decisive=stem(why.split()[-1]) not in LIGHT_VERBS)
    if role is False and ctx.pcov >= 0.3:  # the names differ by definition: the other words must match
        return CheckResult(refutes=(Refutation(0.75, why, "actor"),))
    return NO_RESULT
