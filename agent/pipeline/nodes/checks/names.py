"""Name substitution: the claim's name where the source, saying the same thing, names someone else.

Run only when no earlier check refutes."""

from __future__ import annotations

import re

from agent.pipeline.nodes.checks.base import (
    _NAME,
    NO_RESULT,
    NOTABLE_IDF,
    CheckContext,
    CheckResult,
    Refutation,
    _ents_match,
    _is_rare,
    _negated_near,
)
from agent.pipeline.nodes.extract import entity_key
from agent.text import STOPWORDS, stem

_ADDITIVE = re.compile(r"\b(also|too|as well|likewise|similarly|in addition|another|other)\b", re.I)


def _context_stems(text: str, start: int, end: int) -> tuple[set[str], set[str]]:
    """The content words right before and right after a span (one each side, stopwords skipped)."""
    before = [
        w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text[max(0, start - 60) : start]) if w.lower() not in STOPWORDS
    ]
    after = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text[end : end + 60]) if w.lower() not in STOPWORDS]
    pick = lambda ws: {stem(ws[0])} if ws and not ws[0][0].isupper() else set()  # noqa: E731
    return pick(before[::-1]), pick(after)


def _proper_name(name: str, text: str) -> bool:
    """Not a capitalised first word ("Created approximately ...") nor a bare acronym like "AI"."""
    if len(name) <= 2:
        return False
    return " " in name or not text.startswith(name)


_LIST_SEP = r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*/\s*)"


def _list_of(text: str, name: str) -> list[str] | None:
    """The list of names a name is written in ("DeepSeek, Moonshot AI and MiniMax"), or None."""
    for m in re.finditer(rf"(?:{_NAME}{_LIST_SEP})+{_NAME}", text):
        if re.search(rf"\b{re.escape(name)}\b", m.group()):
            return [p.strip() for p in re.split(_LIST_SEP, m.group()) if p.strip()]
    return None


def _list_swap(claim_text: str, name: str, sent_text: str, foreign: list[str]) -> str | None:
    """The same list of names with one swapped: the claim's "DeepSeek, Moonshot AI and Zhipu AI"
    against the source's "DeepSeek, Moonshot AI and MiniMax"."""
    mine = _list_of(claim_text, name)
    if not mine or len(mine) < 2:
        return None
    others = [n for n in mine if n != name]
    for f in foreign:
        theirs = _list_of(sent_text, f)
        if theirs and all(any(_ents_match(o, t) for t in theirs) for o in others):
            return f
    return None


def _substitute(claim_text: str, name: str, sent_text: str, foreign: list[str], aligned: bool = True) -> str | None:
    """A name of the sentence standing where the claim has its name: the same multi-word name with
    one distinguishing word changed, or (when the source also knows the claim's name, `aligned`)
    another name next to the same verb or noun ("accused Baidu of" / "accuses Alibaba of")."""
    words = set(entity_key(name).split())
    for f in foreign:
        fw = set(entity_key(f).split())
        if len(words) >= 2 and len(fw) >= 2 and len(words & fw) >= 2 and words - fw and fw - words:
            return f  # "Senate Commerce Committee" / "Senate Banking Committee"
    if (listed := _list_swap(claim_text, name, sent_text, foreign)) is not None:
        return listed
    m = re.search(re.escape(name), claim_text)
    if not m or not aligned:
        return None
    cb, ca = _context_stems(claim_text, m.start(), m.end())
    for f in foreign:
        for fm in re.finditer(re.escape(f), sent_text):
            sb, sa = _context_stems(sent_text, fm.start(), fm.end())
            if (cb & sb) or (ca & sa):
                return f
    return None


def check(ctx: CheckContext) -> CheckResult:
    claim, text, idf = ctx.claim, ctx.text, ctx.idf
    doc_entities = ctx.doc_entities
    # a name the source never uses, in a sentence that says the same thing about someone else
    # unheard: no word of the name is known to the corpus ("S-nitrosylated GAPDH" is not, GAPDH is known)
    unheard = [e for e in ctx.absent if all(w not in idf for w in entity_key(e).split())] if idf else ctx.absent
    additive = _ADDITIVE.search(claim.text) is not None  # "X has also accused ...": not instead of Y
    others = [f for f in ctx.foreign if _proper_name(f, text)]
    if unheard and others and ctx.pcov >= 0.75 and not claim.quantities and not claim.dates and not additive:
        why = f"claim names {unheard[0]}; source names {', '.join(others[:3])}"
        return CheckResult(refutes=(Refutation(0.7, why, "name"),))
    # the same words around another name: "accused Baidu of" vs "accuses Alibaba of"; "Senate Commerce
    # Committee" vs "Senate Banking Committee"
    if not additive and ctx.pcov >= 0.5 and not _negated_near(text, ctx.shared):
        proper = [f for f in ctx.foreign if _is_rare(f, idf, NOTABLE_IDF) and _proper_name(f, text)]
        for name in ctx.missing:
            known = bool(doc_entities) and entity_key(name) in (doc_entities or set())
            other = _substitute(claim.text, name, text, proper, aligned=known)
            if other:
                return CheckResult(refutes=(Refutation(0.75, f"claim names {name}; source names {other}", "name"),))
    return NO_RESULT
