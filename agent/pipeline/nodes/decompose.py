"""decompose: split a compound claim ("X and Y") into atomic subclaims."""

from __future__ import annotations

import re

from agent.pipeline.nodes.reasoning import parse_relation

_VERBISH = re.compile(
    r"\b(is|was|were|are|be|been|has|have|had|will|would|did|does|do|can|could|said|says|say|went|ran|took|"
    r"made|got|sent|used|broke|named|cited|targeted|generated|lasted|began|ended|followed|published|"
    r"denied|declined|accused|addressed|dated|shared|filed|stole|fell|rose|grew|won|lost|paid|came|gave|began|"
    r"became|left|kept|held|led|met|saw|sold|spent|stood|told|wrote|hit|cut|put|[a-z]{3,}ed|[a-z]{3,}s)\b"
)
_FIGURE_FIRST = re.compile(
    r"(?:(?:about|around|roughly|approximately|nearly|almost|over|under|below|above|some|close to|just|"
    r"more than|less than|fewer than|at least|up to|~)\s*)?(?:[$~]?\d|(?:two|three|four|five|six|seven|eight|nine|"
    r"ten|twenty|thirty|forty|fifty|a hundred|hundreds|thousands|millions)\b)",
    re.I,
)
_FINITE = re.compile(r"\b(is|are|was|were|has|have|had|will|would|did|does|do|can|could|[a-z]{3,}ed)\b")
_PRONOUN = re.compile(r"(it|they|he|she|this|that|these|those)\b", re.I)
_SPLIT = re.compile(r"\s*;\s*|,?\s+(?:and|but|while|whereas)\s+(?=\S)", re.I)


def _subject(part: str) -> str:
    m = _VERBISH.search(part)
    return part[: m.start()].strip() if m else ""


def split_claim(claim: str) -> list[str]:
    """Atomic parts of a compound claim; a claim with one predicate comes back whole.

    A split is kept only when both sides carry a verb and enough words to be checked alone
    ("Tim Scott and Elizabeth Warren" stays together).
    """
    text = claim.strip()
    pieces: list[str] = []
    pos = 0
    for m in _SPLIT.finditer(text):
        left, right = text[pos : m.start()], text[m.end() :]
        if left.split() and right[:1].isupper() and left.split()[-1][:1].isupper() and "," not in m.group():
            continue  # a list of names: "DeepSeek, Moonshot AI and MiniMax"
        if _FIGURE_FIRST.match(right) and not _FINITE.search(" ".join(right.split()[:5])):
            continue  # "24,000 accounts and 16 million exchanges": two figures of one predicate
        if "while" in m.group().lower() and (rel := parse_relation(text[pos:])) and rel.kind == "order":
            continue  # "X while Y was still going on" is one claim about when X happened
        if (
            len(left.split()) >= 4
            and len(right.split()) >= 3
            and _VERBISH.search(left)
            and _VERBISH.search(" ".join(right.split()[:6]))
        ):
            pieces.append(left)
            pos = m.end()
    pieces.append(text[pos:])
    if len(pieces) == 1:
        return [text]
    subject = _subject(pieces[0])
    out = []
    for i, p in enumerate(pieces):
        p = p.strip().rstrip(".")
        first = p.split()[0] if p.split() else ""
        if i and subject and first.islower() and _VERBISH.fullmatch(first):
            p = f"{subject} {p}"
        elif i and subject and not _PRONOUN.match(subject):
            # "..., and the letter followed five days after it ended": "it" is the first part's subject
            p = re.sub(r"\b(it|they)\b(?=\s+(?:had\s+|was\s+|were\s+)?[a-z]+ed\b)", subject[0].lower() + subject[1:], p)
        out.append(p[0].upper() + p[1:] + ".")
    return out
