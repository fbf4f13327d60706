"""What every check shares: the context built once per (claim, sentence), the result a check returns,
and the helpers more than one check (or the orchestrator in `cross_check`) uses.

A check is a module with one function, `check(ctx: CheckContext) -> CheckResult`: the claim's facts it
found stated (support slots, matched slot keys), the ones the sentence contradicts (conflicts), and
refutation candidates, each with a strength, a reason a person can read, and the check's kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from agent.data.corpus import MONTH_ABBREVS
from agent.data.corpus import MONTHS as MONTH_WORDS
from agent.pipeline.nodes.extract import Features, entity_key
from agent.schemas import Evidence
from agent.text import FIRST_TO_REPORT, STOPWORDS, content_terms, stem

RARE_IDF = 2.4  # a name in fewer than ~10% of sentences
NOTABLE_IDF = 1.7  # a name in fewer than ~20% of sentences: not the corpus's omnipresent subject


class Refutation(NamedTuple):
    """A refutation candidate; candidates compare as (strength, reason, kind), the strongest wins."""

    strength: float
    reason: str
    kind: str  # figure, duration, date, response, actor, title, name, negation, status


@dataclass(frozen=True)
class CheckResult:
    slots: int = 0  # the claim's facts the sentence states (support slots)
    matched: tuple[str, ...] = ()  # their slot keys (q0 figure, t0 duration, d0 date)
    conflicts: tuple[tuple[str, str], ...] = ()  # slot key -> "claim says ...; source says ..."
    refutes: tuple[Refutation, ...] = ()
    decisive: bool = False  # the check alone carries a support (the claim's actor responding or doing the deed)


NO_RESULT = CheckResult()


@dataclass(frozen=True)
class CheckContext:
    """One (claim, sentence) pair and what the checks derive from it, computed once."""

    claim: Features
    sent: Features  # without the document's ordinary capitalised words
    evidence: Evidence
    idf: dict[str, float]
    doc_entities: set[str] | None
    coverage: float  # of the claim's terms, idf-weighted
    pterms: set[str]  # the claim's predicate terms (its words other than names)
    pcov: float  # coverage of the predicate terms
    missing: list[str]  # the claim's names the sentence does not give
    foreign: list[str]  # the sentence's names the claim does not give
    other_subject: bool  # the sentence is about a different, rare name
    focus: bool  # the sentence gives one of the claim's rare names (or the claim has none)
    absent: list[str]  # missing names the whole document never uses
    missing_rare: list[str]  # missing rare names other than the claim's subject

    @property
    def text(self) -> str:
        return self.evidence.sentence.text

    @property
    def shared(self) -> set[str]:
        return self.pterms & self.sent.terms


def make_context(
    claim: Features,
    ev: Evidence,
    sent: Features,
    idf: dict[str, float],
    doc_entities: set[str] | None = None,
    doc_text: str = "",
) -> CheckContext | None:
    """The context for the checks, or None when the sentence shares too little with the claim to check."""
    text = ev.sentence.text
    if doc_text:
        sent = without_common_words(sent, doc_text)
    # the words of a date both sides state ("the fifth of October" / "Oct. 5") count as shared
    same_day = [c for c in claim.dates if c.day and any((d.month, d.day) == (c.month, c.day) for d in sent.dates)]
    seen = sent.terms | {t for c in same_day for t in content_terms(c.text)} if same_day else sent.terms
    cov = coverage(claim.terms, seen, idf)
    pterms = predicate_terms(claim)
    pcov = coverage(pterms, seen, idf) if pterms else cov
    about_response = bool(claim.responses and sent.responses and claim.entities and _mentions(text, claim.entities[0]))
    if cov < 0.3 and pcov < 0.3 and not (ev.dense >= 0.6 and cov >= 0.2) and not about_response:
        return None
    claim_ents = claim.entities
    missing = [e for e in claim_ents if not _mentions(text, e) and not any(_covers(e, s) for s in sent.entities)]
    foreign = [s for s in sent.entities if not any(_ents_match(s, e) for e in claim_ents)]
    rare_foreign = [f for f in foreign if _is_rare(f, idf)]
    other_subject = any(_is_rare(m, idf, NOTABLE_IDF) for m in missing) and bool(rare_foreign)
    # a number or date can only contradict a sentence about the claim's own rare names (if it has any)
    rare = [e for e in claim_ents if _is_rare(e, idf)]
    focus = not rare or any(any(_ents_match(e, s) for s in sent.entities) for e in rare)
    # a name the source never uses
    absent = [e for e in missing if not doc_entities or entity_key(e) not in doc_entities]
    # the claim's subject may be "the company" in the sentence; the other names it gives must be there
    missing_rare = [m for m in missing if _is_rare(m, idf) and m != claim.entities[0]]
    return CheckContext(
        claim=claim,
        sent=sent,
        evidence=ev,
        idf=idf,
        doc_entities=doc_entities,
        coverage=cov,
        pterms=pterms,
        pcov=pcov,
        missing=missing,
        foreign=foreign,
        other_subject=other_subject,
        focus=focus,
        absent=absent,
        missing_rare=missing_rare,
    )


def coverage(claim_terms: set[str], sent_terms: set[str], idf: dict[str, float]) -> float:
    total = sum(idf.get(t, 3.0) for t in claim_terms)
    if not total:
        return 0.0
    return sum(idf.get(t, 3.0) for t in claim_terms & sent_terms) / total


def predicate_terms(f: Features) -> set[str]:
    """The claim's words other than names: what it says, as opposed to who it is about."""
    names: set[str] = set()
    for e in f.entities:
        names.update(entity_key(e).split())
    terms = {t for t in f.terms if t not in names and t not in _CALENDAR and t not in _FRAMING}
    if FIRST_TO_REPORT.search(f.text):
        terms.add("break")  # "was first to report" = "broke the story"
    return terms


# words that frame a statement rather than make it ("is described as", "to date", "is seen as")
_FRAMING = {
    "describe",
    "date",
    "consider",
    "regard",
    "seen",
    "seem",
    "appear",
    "known",
    "among",
    "include",
    "focus",
    "widely",
    "characteriz",
    "term",
    "deem",
    "view",
}


_CALENDAR = (
    {stem(m) for m in MONTH_WORDS}
    | set(MONTH_ABBREVS)
    | {
        "spring",
        "summer",
        "autumn",
        "fall",
        "winter",
        "year",
        "month",
        "week",
        "day",
        "date",
    }
)


_GENERIC_NAME_WORDS = {"ai", "lab", "labs", "inc", "group", "company", "corp", "co", "ltd", "team", "us", "the"}


def _covers(claim_name: str, other: str) -> bool:
    """Every distinguishing word of the claim's name is in the other name (Qwen AI ~ Qwen lab; not Senate
    Commerce Committee ~ Senate)."""
    ka = set(entity_key(claim_name).split()) - _GENERIC_NAME_WORDS
    kb = set(entity_key(other).split()) - _GENERIC_NAME_WORDS
    return bool(ka) and ka <= kb


def _ents_match(a: str, b: str) -> bool:
    ka, kb = set(entity_key(a).split()), set(entity_key(b).split())
    return bool(ka and kb) and (ka <= kb or kb <= ka)


def _is_rare(name: str, idf: dict[str, float], threshold: float = 0.0) -> bool:
    return max((idf.get(w, 9.0) for w in entity_key(name).split()), default=0.0) >= (threshold or RARE_IDF)


# a company's legal or generic suffix: "CivicPay Solutions" is "CivicPay" on second mention
CORPORATE_SUFFIXES = frozenset(
    {"solutions", "inc", "corp", "corporation", "ltd", "llc", "plc", "group", "holdings", "technologies"}
)


def _mentions(text: str, entity: str) -> bool:
    """The name's words, in order and adjacent, anywhere in the text — or its acronym (WSJ), or the name
    without a corporate suffix ("CivicPay" for "CivicPay Solutions")."""
    words = [re.escape(w) for w in re.split(r"[\s'’-]+", entity) if w and w.lower() not in ("s",)]
    if words and re.search(r"\b" + r"(?:['’]s)?[\s-]+".join(words), text, re.I):
        return True
    suffixed = len(words) >= 2 and words[-1].lower().rstrip(".") in CORPORATE_SUFFIXES and len(words[0]) >= 4
    if suffixed and re.search(r"\b" + r"(?:['’]s)?[\s-]+".join(words[:-1]) + r"\b", text):  # case kept: a name
        return True
    initials = "".join(w[0] for w in entity.split() if w[:1].isupper())
    return len(initials) >= 3 and re.search(rf"\b{initials}\b", text) is not None


_NAME = r"[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*)*"


PAST_IRREGULAR = {
    "shut",
    "put",
    "cut",
    "set",
    "hit",
    "let",
    "quit",
    "spread",
    "cost",
    "hurt",
    "split",
    "kept",
    "held",
    "left",
    "sought",
    "thought",
    "taught",
    "fought",
    "caught",
    "bought",
    "spent",
    "lent",
    "meant",
    "dealt",
    "broke",
    "ran",
    "sent",
    "made",
    "went",
    "wrote",
    "took",
    "said",
    "told",
    "gave",
    "found",
    "began",
    "led",
    "won",
    "lost",
    "paid",
    "sold",
    "brought",
    "built",
    "stole",
    "struck",
    "hid",
    "met",
}


_AUX = {"has", "have", "had", "was", "were", "is", "are", "be", "been", "will", "would", "did", "does", "do"}
_ADVERB = {
    "not",
    "also",
    "already",
    "been",
    "being",
    "reportedly",
    "allegedly",
    "publicly",
    "never",
    "just",
    "formally",
}
_ATTRIBUTION_VERBS = {"say", "said", "claim", "report", "accord", "note", "state", "told", "write", "wrote", "allege"}


def main_verb(text: str) -> str | None:
    """The stem of a claim's main verb (past tense or participle after an auxiliary), skipping
    attribution ("Anthropic says ..."); None for a copula or when no verb is recognisable."""
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    for i, w in enumerate(words[1:], 1):
        lw = w.lower()
        if lw in _AUX:
            nxt = next((x for x in words[i + 1 : i + 4] if x.lower() not in _ADVERB), "")
            ln = nxt.lower()
            if ln.endswith(("ed", "en")) or ln in PAST_IRREGULAR:
                if stem(ln) in _ATTRIBUTION_VERBS:
                    continue
                return stem(ln)
            return None
        if w[0].isupper() or len(lw) < 3:
            continue
        if (lw.endswith("ed") and len(lw) > 4) or lw in PAST_IRREGULAR:
            if stem(lw) in _ATTRIBUTION_VERBS or lw in ("said", "told", "wrote"):
                continue
            return stem(lw)
    return None


_NEG_CUE = re.compile(
    r"\b(not|no|never|nothing|nobody|no one|none|neither|nor|without|cannot|rather than|instead of|"
    r"far from|yet to|declined to|refused to|failed to|[a-z]+n't)\b(?!\s+(only|just|merely|the first|"
    r"the only|alone|least)\b)",
    re.I,
)


def _negated_near(text: str, terms: set[str], window: int = 6, head: bool = False) -> bool:
    """A negation whose scope (the next few words) reaches one of the given terms; with `head`, the
    negated word itself must be one of them ("does not connect the two stories" negates connecting,
    not stories)."""
    for m in _NEG_CUE.finditer(text):
        scope = re.split(r"[,;:.!?—–()]", text[m.end() : m.end() + 80])[0]
        after = re.findall(r"[A-Za-z][A-Za-z'-]+", scope)[:window]
        if head:
            after = [w for w in after if w.lower() not in STOPWORDS and not w.lower().endswith("ly")][:1]
        if any(stem(w) in terms or stem(w).rstrip("e") in terms for w in after):
            return True
    return False


def _durations_of(f: Features) -> list[tuple[float, bool, str]]:
    out = [(d.days, d.approx, d.text) for d in f.durations]
    full = [d for d in f.dates if d.month and d.day]
    if len(full) >= 2 and re.search(r"\b(from|between|to|through|until|–|-)\b", f.text):
        import datetime as dt

        a, b = full[0], full[1]
        y = a.year or b.year or 2001
        try:
            days = (dt.date(b.year or y, b.month, b.day) - dt.date(y, a.month, a.day)).days  # type: ignore[arg-type]
            if days > 0:
                out.append((float(days), False, f"{a.text} to {b.text}"))
        except ValueError:
            pass
    return out


@lru_cache(maxsize=16384)
def common_word(word: str, doc_text: str) -> bool:
    """A capitalised single word the document also writes in lower case ("Story breaks", "One sentence")
    is an ordinary word at the start of a line, not a name."""
    if " " in word or not word[:1].isupper() or not word[1:].islower():
        return False
    return re.search(rf"(?<![/.\w@-]){re.escape(word.lower())}(?![\w@]|\.\w)", doc_text) is not None


def without_common_words(sent: Features, doc_text: str) -> Features:
    names = [e for e in sent.entities if not common_word(e, doc_text)]
    return sent if len(names) == len(sent.entities) else sent.model_copy(update={"entities": names})
