"""cross_check: per source document, a stance (supports / refutes / neutral), the sentences that decide
it, and a reason a person can check ("claim says 50,000 accounts; source says about 25,000").

Offline rules compare typed slots extracted from the claim and each sentence: quantities by unit,
durations, dates (the date nearest to the claim's own words), response type (denied vs no comment),
who did what (the subject of the claim's verb), and negation. A sentence about a different actor
(the February disclosure's labs when the claim is about Alibaba) is not used to check numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from agent.corpus import MONTH_ABBREVS
from agent.corpus import MONTHS as MONTH_WORDS
from agent.nodes.extract import RESPONSE_CLASSES, DateMention, Features, Quantity, entity_key, extract_features
from agent.nodes.reasoning import (
    Relation,
    as_evidence,
    parse_period,
    parse_relation,
    period_finding,
    relation_finding,
)
from agent.nodes.voters import Thresholds, Vote, decide, model_vote
from agent.schemas import Evidence, Sentence, SourceStance, Stance
from agent.text import FIRST_TO_REPORT, LIGHT_VERBS, STOPWORDS, news_idiom, stem

RARE_IDF = 2.4  # a name in fewer than ~10% of sentences
NOTABLE_IDF = 1.7  # a name in fewer than ~20% of sentences: not the corpus's omnipresent subject
# checks that compare values parsed on both sides (the rest — name substitution, negation, pending status,
# shared wording — are soft votes: they decide only with `stance.soft`, or in `rules` mode)
PRECISE_CHECKS = frozenset({"figure", "duration", "date", "response", "actor", "title", "period"})
GENERIC_UNIT = {"ai", "model", "firm", "total", "more", "new", "than", "additional"}


@dataclass
class Signal:
    stance: Stance
    strength: float
    reason: str
    evidence: Evidence
    slots: int = 0
    matched: frozenset[str] = frozenset()
    conflicts: tuple[tuple[str, str], ...] = ()
    kind: str = ""  # the check behind a refutation: figure, duration, date, response, actor, title, name, ...


def _q_compatible(c: Quantity, s: Quantity) -> bool | None:
    """True: same amount; False: a different amount; None: cannot tell (bounds)."""
    tol = 0.035 if (c.approx or s.approx or c.bound or s.bound) else 0.005
    if abs(c.value - s.value) <= tol * max(c.value, s.value):
        if c.bound and s.bound and c.bound != s.bound:
            return False  # "more than 25,000" vs "almost 25,000"
        if c.bound == "more" and not s.bound and not c.approx:
            return None  # "more than 25,000" vs "about 25,000": cannot tell
        return True
    return c.bound == "more" and s.value > c.value or c.bound == "less" and s.value < c.value


def _units_match(c: Quantity, s: Quantity) -> bool:
    cu = set(c.unit[:2]) - GENERIC_UNIT
    su = set(s.unit[:3]) - GENERIC_UNIT
    return bool(cu & su)


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


_NAME = r"[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*)*"
_PREPOSITION_BEFORE = re.compile(
    r"\b(?:of|against|on|about|for|with|to|from|by|at|in|into|over|toward|towards|versus|vs\.?)\s+(?:the\s+)?$", re.I
)


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


NEG_PCOV = 0.5  # how much of the claim's wording a negated sentence must share to refute it
NEG_BASE = 0.15
_DONE = re.compile(
    r"\b(?:has|have|had)\s+(?:already\s+)?(?:become|been\s+(?:passed|enacted|signed|approved|adopted|finali[sz]ed|"
    r"completed|settled|closed))\b|\b(?:became|become|is\s+now|already)\s+law\b|\b(?:was|were)\s+(?:passed|enacted|"
    r"signed into law|approved|adopted|finali[sz]ed|completed|settled)\b|\b(?:took|has taken|went into)\s+effect\b",
    re.I,
)
_PENDING = re.compile(
    r"\b(?:working on|drafting|drafts?|would|proposed|proposal|considering|plans? to|planning|expected to|pending|"
    r"yet to|introduc(?:e|ed|es|ing)|seeking|under review|could)\b",
    re.I,
)


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


def _responses_by(text: str, actor: str | None) -> set[str]:
    """Response cues (deny / no comment / confirm) the sentence gives to the actor: the actor named
    shortly before the cue, and the cue neither hypothetical ("if confirmed", "expected to deny") nor
    an infinitive with someone else's subject ("harder to dismiss")."""
    found = set()
    for kind, pattern in RESPONSE_CLASSES.items():
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 70) : m.start()]
            if re.search(r"\b(if|unless|whether|to|expected|likely|may|might|could|would)\s+(\w+\s+)?$", before, re.I):
                continue
            if actor is not None and not _mentions(before + m.group(), actor):
                continue
            found.add(kind)
    return found


def _is_rare(name: str, idf: dict[str, float], threshold: float = 0.0) -> bool:
    return max((idf.get(w, 9.0) for w in entity_key(name).split()), default=0.0) >= (threshold or RARE_IDF)


def _quoted(text: str) -> list[str]:
    return [m.group(2) for m in re.finditer(r"(^|\W)['\"“‘]([^'\"”’]{3,60})['\"”’](?=\W|$)", text)]


def coverage(claim_terms: set[str], sent_terms: set[str], idf: dict[str, float]) -> float:
    total = sum(idf.get(t, 3.0) for t in claim_terms)
    if not total:
        return 0.0
    return sum(idf.get(t, 3.0) for t in claim_terms & sent_terms) / total


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
def _common_word(word: str, doc_text: str) -> bool:
    """A capitalised single word the document also writes in lower case ("Story breaks", "One sentence")
    is an ordinary word at the start of a line, not a name."""
    if " " in word or not word[:1].isupper() or not word[1:].islower():
        return False
    return re.search(rf"(?<![/.\w@-]){re.escape(word.lower())}(?![\w@]|\.\w)", doc_text) is not None


def without_common_words(sent: Features, doc_text: str) -> Features:
    names = [e for e in sent.entities if not _common_word(e, doc_text)]
    return sent if len(names) == len(sent.entities) else sent.model_copy(update={"entities": names})


def sentence_signal(
    claim: Features,
    ev: Evidence,
    sent: Features,
    idf: dict[str, float],
    doc_entities: set[str] | None = None,
    doc_text: str = "",
) -> Signal | None:
    text = ev.sentence.text
    if doc_text:
        sent = without_common_words(sent, doc_text)
    cov = coverage(claim.terms, sent.terms, idf)
    pterms = predicate_terms(claim)
    pcov = coverage(pterms, sent.terms, idf) if pterms else cov
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
    support_slots = 0
    refutes: list[tuple[float, str, str]] = []  # (strength, reason, which check)

    # quantities, by unit
    matched: set[str] = set()
    conflicts: dict[str, str] = {}
    for i, qc in enumerate(claim.quantities):
        if qc.relative:
            continue
        same_unit = [qs for qs in sent.quantities if _units_match(qc, qs)]
        if not same_unit:
            continue
        verdicts = [(_q_compatible(qc, qs), qs) for qs in same_unit]
        if any(v for v, _ in verdicts):
            if not other_subject:
                support_slots += 1
                matched.add(f"q{i}")
        elif any(v is False for v, _ in verdicts) and not other_subject and focus:
            qs = next(q for v, q in verdicts if v is False)
            conflicts[f"q{i}"] = f"claim says {qc.text} {' '.join(qc.unit[:1])}; source says {qs.text}"
            refutes.append((0.9, conflicts[f"q{i}"], "figure"))

    # durations (also from date ranges: April 22 to June 5 = 44 days)
    sd = _durations_of(sent)
    for i, du in enumerate(_durations_of(claim)):
        if not sd or other_subject or not focus:
            continue
        tol = 0.2 if (du[1] or any(a for _, a, _ in sd)) else 0.1
        if any(abs(du[0] - d) <= tol * max(du[0], d) or abs(du[0] - d) <= 3 for d, _, _ in sd):
            support_slots += 1
            matched.add(f"t{i}")
        else:
            conflicts[f"t{i}"] = f"claim says {du[2]}; source says {sd[0][2]}"
            refutes.append((0.8, conflicts[f"t{i}"], "duration"))

    # dates: compare with the date written nearest to the claim's own words
    exact = [
        d for d in claim.dates if any(_date_cmp(d, ds) and ds.granularity() >= d.granularity() for ds in sent.dates)
    ]
    if len(claim.dates) >= 2 and len(exact) == len(claim.dates) and not other_subject:
        support_slots += len(exact)  # a range or list of dates, all stated
        matched.update(f"d{i}" for i in range(len(claim.dates)))
    elif (
        claim.dates
        and sent.dates
        and not other_subject
        and focus
        and pcov >= 0.3
        and (anchors := _anchor_positions(claim, text))
    ):
        near = _nearest(sent.dates, anchors)
        for i, dc in enumerate(claim.dates):
            results = [(_date_cmp(dc, ds), ds) for ds in sent.dates]
            near_results = [(r, ds) for r, ds in results if ds in near]
            if any(r for r, _ in results) and (
                any(r for r, _ in near_results) or not any(r is False for r, _ in near_results)
            ):
                support_slots += 1
                matched.add(f"d{i}")
            elif any(r is False for r, _ in near_results):
                ds = next(ds for r, ds in near_results if r is False)
                conflicts[f"d{i}"] = f"claim says {dc.text}; source says {ds.text}"
                refutes.append((0.8, conflicts[f"d{i}"], "date"))

    # response type: denied vs no comment vs confirmed
    actor = claim.entities[0] if claim.entities else None
    responded = False
    if claim.responses and sent.responses and (actor is None or actor not in missing):
        sent_resp = _responses_by(text, actor)
        if sent_resp & set(claim.responses):
            support_slots += 1 if len(sent_resp) == 1 else 0
            responded = len(sent_resp) == 1 and actor is not None and actor not in missing
        elif sent_resp:
            refutes.append(
                (0.85, f"claim says {'/'.join(claim.responses)}; source says {'/'.join(sorted(sent_resp))}", "response")
            )

    # who did it
    did_it = False
    if not claim.quantities:
        role, why = _role_check(claim, sent)
        if role is True:
            support_slots += 1
            did_it = stem(why.split()[-1]) not in LIGHT_VERBS  # "X made ..." says little; "X broke ..." a lot
        elif role is False and pcov >= 0.3:  # the names differ by definition: the other words must match
            refutes.append((0.75, why, "actor"))

    # who holds a title (chair, ranking member, CEO, founder ...)
    title, why = _title_check(claim.text, text)
    if title is True:
        support_slots += 1
    elif title is False:
        refutes.append((0.85, why, "title"))

    # a name the source never uses, in a sentence that says the same thing about someone else
    absent = [e for e in missing if not doc_entities or entity_key(e) not in doc_entities]
    # unheard: no word of the name is known to the corpus ("S-nitrosylated GAPDH" is not, GAPDH is known)
    unheard = [e for e in absent if all(w not in idf for w in entity_key(e).split())] if idf else absent
    additive = _ADDITIVE.search(claim.text) is not None  # "X has also accused ...": not instead of Y
    others = [f for f in foreign if _proper_name(f, text)]
    if (
        unheard
        and others
        and pcov >= 0.75
        and not refutes
        and not claim.quantities
        and not claim.dates
        and not additive
    ):
        refutes.append((0.7, f"claim names {unheard[0]}; source names {', '.join(others[:3])}", "name"))
    # the same words around another name: "accused Baidu of" vs "accuses Alibaba of"; "Senate Commerce
    # Committee" vs "Senate Banking Committee"
    if not refutes and not additive and pcov >= 0.5 and not _negated_near(text, pterms & sent.terms):
        proper = [f for f in foreign if _is_rare(f, idf, NOTABLE_IDF) and _proper_name(f, text)]
        for name in missing:
            known = bool(doc_entities) and entity_key(name) in (doc_entities or set())
            other = _substitute(claim.text, name, text, proper, aligned=known)
            if other:
                refutes.append((0.75, f"claim names {name}; source names {other}", "name"))
                break

    slot_info: dict[str, Any] = {"matched": frozenset(matched), "conflicts": tuple(conflicts.items())}
    if refutes:
        strength, why, kind = max(refutes)
        return Signal(
            "refutes", strength * min(1.0, 0.4 + cov), why, ev, -1 if conflicts else 0, **slot_info, kind=kind
        )

    # polarity: the same statement, negated in one and not the other (negation scoped to the shared words)
    shared = pterms & sent.terms
    # the claim's subject may be "the company" in the sentence; the other names it gives must be there
    missing_rare = [m for m in missing if _is_rare(m, idf) and m != claim.entities[0]]
    if (
        pcov >= NEG_PCOV
        and shared
        and not missing_rare  # "declined to give the logs to Reuters" says nothing of giving them to the FBI
        and not claim.responses
        and not sent.responses
        and _negated_near(claim.text, shared) != _negated_near(text, shared)
        # with less of the wording shared, the negated word itself must be the claim's
        and (pcov >= 0.6 or _negated_near(claim.text, shared, head=True) or _negated_near(text, shared, head=True))
    ):
        return Signal("refutes", NEG_BASE + 0.4 * pcov, "the source states the opposite (negation)", ev)
    # status: the claim says it has happened ("has become law"), the source that it is still to come
    if (
        pcov >= 0.4
        and shared
        and not missing_rare
        and _DONE.search(claim.text)
        and not _DONE.search(text)
        and _PENDING.search(text)
    ):
        return Signal("refutes", 0.6, "claim says it has happened; the source says it is still planned or pending", ev)

    quotes = _quoted(claim.text)
    if quotes:
        if not all(q.lower() in text.lower() for q in quotes):
            return Signal("neutral", 0.0, "", ev, support_slots, **slot_info) if matched else None
        support_slots += 1
    # a sentence that states one of the claim's figures without saying the claim still counts, for
    # the document, as the source stating that figure
    weak = Signal("neutral", 0.0, "", ev, support_slots, **slot_info) if matched and not other_subject else None
    if absent:
        return weak  # the claim names someone this source never mentions
    responded = responded and not missing_rare  # "the Qwen team rebutted it on X" is more than "Alibaba denies"
    # the same actor doing the claim's deed ("Bloomberg broke it") is most of what a who-did-it claim says
    did_it = did_it and pcov >= 0.2 and not missing_rare
    if not (
        pcov >= 0.7 or (support_slots and pcov >= 0.4) or (ev.dense >= 0.65 and pcov >= 0.55) or responded or did_it
    ):
        return weak  # (a claim about how someone responded is decided by who and how: "did not respond")
    if claim_slots(claim) and not matched:
        return None
    verb = main_verb(claim.text)
    if (
        verb
        and verb not in LIGHT_VERBS
        and verb not in sent.terms
        and verb in pterms
        and pcov < 0.85
        and ev.dense < 0.7
    ):
        return weak  # the source gives the claim's figures or words, but not what the claim says happened
    if any(q.relative for q in claim.quantities):
        return weak  # a difference, a rate or a part of a figure: needs arithmetic the rules do not do
    strength = min(1.0, pcov * (1.0 + 0.25 * support_slots) * (0.8 + 0.3 * max(0.0, ev.dense)))
    if (responded and not missing_rare) or did_it:
        strength = max(strength, 0.6)
    why = f"source states it ({'matching ' + str(support_slots) + ' fact(s)' if support_slots else 'same terms'})"
    # the same actor doing the claim's deed, or responding as the claim says: a structured check, not wording
    kind = "actor" if did_it else "response" if responded else ""
    return Signal("supports", strength, why, ev, support_slots, **slot_info, kind=kind)


def claim_slots(claim: Features) -> set[str]:
    """The checkable facts of a claim: each must be stated somewhere in a source for it to support."""
    slots = {f"q{i}" for i, q in enumerate(claim.quantities) if not q.relative}
    slots |= {f"d{i}" for i in range(len(claim.dates))}
    slots |= {f"t{i}" for i in range(len(_durations_of(claim)))}
    return slots


def doc_stance(
    signals: list[Signal], needs: set[str] | None = None, support_min: float = 0.5, refute_min: float = 0.35
) -> tuple[Stance, Signal | None]:
    """A document's stance from its sentences. Facts are pooled over the document: a figure the
    source states somewhere is not contradicted by another figure it gives elsewhere (that one is
    about something else), and a claim with several facts is supported only when all are stated."""
    needs = needs or set()
    matched: set[str] = set().union(*(s.matched for s in signals)) if signals else set()
    sup = max((s for s in signals if s.stance == "supports"), key=lambda s: s.strength, default=None)
    refs = [
        s for s in signals if s.stance == "refutes" and not ({k for k, _ in s.conflicts} <= matched and s.conflicts)
    ]
    ref = max(refs, key=lambda s: s.strength, default=None)
    if ref and ref.strength >= refute_min and (not sup or ref.strength >= sup.strength * 0.9 or ref.conflicts):
        return "refutes", ref
    if sup and sup.strength >= support_min and needs <= matched:
        return "supports", sup
    return "neutral", None


def cross_check(
    claim: str,
    evidence: list[Evidence],
    idf: dict[str, float],
    features: dict[str, Features] | None = None,
    metas: dict[str, Any] | None = None,
    doc_texts: dict[str, str] | None = None,
    doc_sentences: dict[str, list[Sentence]] | None = None,
    probs: dict[str, tuple[float, float, float]] | None = None,
    thresholds: Thresholds | None = None,
    use_checks: bool = True,
) -> list[SourceStance]:
    """One stance per document that contributed evidence, with the deciding sentences as citations.
    A claim relating two facts (a comparison, a rate, a gap between dates) is decided per document
    by the reasoning rules when the document states both sides (`doc_sentences` gives them).
    With `probs` (the stance model's probabilities by evidence text) the document's stance comes from
    `voters.decide` over the model's vote and the checks' votes; without, from the rules alone."""
    features = features if features is not None else {}
    cf = features.get(claim) or extract_features(claim)
    relation = parse_relation(claim)
    if relation:
        cf = _without_relation_figures(cf, relation)
    period = parse_period(claim) if not relation else None
    by_doc: dict[str, list[Evidence]] = {}
    for ev in evidence:
        by_doc.setdefault(ev.sentence.doc_id, []).append(ev)
    # only the retrieved documents' texts: a large corpus is not scanned per claim
    cf = _trim_leading_words(cf, [doc_texts[d] for d in by_doc if doc_texts and d in doc_texts])
    out: list[SourceStance] = []
    for doc_id, evs in by_doc.items():
        signals = []
        doc_text = (doc_texts or {}).get(doc_id, "")
        doc_entities = {entity_key(e) for e in cf.entities if _mentions(doc_text, e)}
        for ev in evs:
            sf = features.get(ev.sentence.text) or extract_features(ev.sentence.text)
            sig = sentence_signal(cf, ev, sf, idf, doc_entities, doc_text)
            if sig:
                signals.append(sig)
        if period and doc_sentences and doc_id in doc_sentences:
            signals = _with_period(signals, period_finding(period, claim, doc_sentences[doc_id], idf), cf)
        found = None
        if relation and doc_sentences and doc_id in doc_sentences:
            notable = lambda name: _is_rare(name, idf, NOTABLE_IDF)  # noqa: E731
            found = relation_finding(relation, doc_sentences[doc_id], idf, notable)
        if probs is not None:
            if not use_checks:  # the model alone
                signals, found = [], None
            needs = claim_slots(cf) if use_checks else set()
            # a source that never names one of the claim's names (in its text or title) cannot state the claim
            title = getattr((metas or {}).get(doc_id), "title", "") or ""
            named = not use_checks or all(entity_key(e) in doc_entities or _mentions(title, e) for e in cf.entities)
            stance, best, signals = _decide_with_model(signals, found, evs, probs, needs, thresholds, named)
        else:
            stance, best = doc_stance(signals, claim_slots(cf))
            if found:
                stance = "supports" if found.holds else "refutes"
                signals = [Signal(stance, 0.8, found.reason, as_evidence(s)) for s in found.evidence]
                best = signals[0]
            elif relation and stance == "supports":
                stance, best = "neutral", None  # the words match, but the comparison is not borne out
        meta = (metas or {}).get(doc_id)
        check = best.kind or None if best and stance != "neutral" else None
        clear = bool(best and stance == "refutes" and _unambiguous(cf, best, features))
        cites = [best.evidence.citation()] if best else []
        if best:
            cites += [s.evidence.citation() for s in signals if s.stance == stance and s is not best][:1]
        out.append(
            SourceStance(
                doc_id=doc_id,
                title=getattr(meta, "title", "") or "",
                date=getattr(meta, "date", None),
                outlet=getattr(meta, "outlet", None),
                stance=stance,
                reason=best.reason if best else "does not address the claim",
                citations=cites if stance != "neutral" else [evs[0].citation()],
                check=check,
                unambiguous=clear,
            )
        )
    out.sort(key=lambda s: ({"supports": 0, "refutes": 1, "neutral": 2}[s.stance], s.doc_id))
    return out


_EXPLICIT = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred)\b", re.I
)
_VAGUE = re.compile(r"\b(half|few|several|couple|some|many|dozens?|scores?)\b", re.I)


def _plain(text: str) -> bool:
    return bool(_EXPLICIT.search(text)) and not _VAGUE.search(text)


def _unambiguous(claim: Features, best: Signal, features: dict[str, Features]) -> bool:
    """A refutation on values both sides state plainly: the claim's conflicting figures or durations are
    written as a count ("44 days", "six weeks", "about 25,000"; a hedge only widens the tolerance), and so
    are the source sentence's values of that kind; dates and periods are always explicit. "A month and a
    half", "a few months", "several thousand" are readings, not values: a check on them may be right, but
    it must not overrule a model that reads the sentence whole."""
    if best.kind not in ("figure", "duration", "date", "period") or not best.conflicts:
        return False
    sent = features.get(best.evidence.sentence.text) or extract_features(best.evidence.sentence.text)
    durations = _durations_of(claim)
    for key, _ in best.conflicts:
        kind, i = key[0], int(key[1:]) if key[1:].isdigit() else -1
        if kind == "q" and 0 <= i < len(claim.quantities):
            ok = all(_plain(q.text) for q in [claim.quantities[i], *sent.quantities])
        elif kind == "t" and 0 <= i < len(durations):
            ok = _plain(durations[i][2]) and all(_plain(d.text) for d in sent.durations)
        else:
            ok = kind == "d"
        if not ok:
            return False
    return True


def _decide_with_model(
    signals: list[Signal],
    found: Any,
    evs: list[Evidence],
    probs: dict[str, tuple[float, float, float]],
    needs: set[str],
    thresholds: Thresholds | None,
    named: bool = True,
) -> tuple[Stance, Signal | None, list[Signal]]:
    """The rules' signals as votes (slot conflicts, periods and computed relations are precise), plus the
    model's vote, combined by `voters.decide`."""
    matched: set[str] = set().union(*(s.matched for s in signals)) if signals else set()
    votes = []
    for s in signals:
        if s.stance == "refutes" and s.conflicts and {k for k, _ in s.conflicts} <= matched:
            continue  # the source states the claim's figure elsewhere: this one is about something else
        precise = (
            s.kind in PRECISE_CHECKS or bool(s.conflicts)
            if s.stance == "refutes"
            else (s.slots == -2 or s.kind in PRECISE_CHECKS)
        )
        votes.append(Vote(s.stance, s.strength, s.reason, s.evidence, precise=precise))
    if found:
        stance: Stance = "supports" if found.holds else "refutes"
        votes += [Vote(stance, 0.9, found.reason, as_evidence(s), precise=True) for s in found.evidence[:1]]
    stance, vote = decide(model_vote(evs, probs), votes, needs <= matched, thresholds or Thresholds(), named)
    if vote is None:
        return "neutral", None, signals
    best = Signal(stance, vote.strength, vote.reason, vote.evidence)
    if found and vote.precise and vote.reason == found.reason:
        return stance, best, [best, *(Signal(stance, 0.9, "", as_evidence(s)) for s in found.evidence[1:])]
    return stance, best, [best, *(s for s in signals if s.stance == stance)]


def _with_period(
    signals: list[Signal], found: tuple[bool | None, str, list[Sentence]] | None, claim: Features
) -> list[Signal]:
    """A period the source dates the claim's event in decides the claim's date slots: outside it
    refutes; inside it matches them; across its edge, the dates can be neither matched nor refuted."""
    if found is None:
        return signals
    holds, why, sentences = found
    keys = {f"d{i}" for i in range(len(claim.dates))}
    ev = as_evidence(sentences[0])
    if holds is False:
        return [Signal("refutes", 0.85, why, ev, -1, conflicts=tuple((k, why) for k in sorted(keys)), kind="period")]
    kept = [s for s in signals if not (s.stance == "refutes" and s.conflicts and {k for k, _ in s.conflicts} <= keys)]
    if holds is None:
        return [s if s.stance != "supports" else Signal("neutral", 0.0, "", s.evidence) for s in kept]
    return [*kept, Signal("supports", 0.7, why, ev, -2, matched=frozenset(keys))]  # slots -2: a period check


def _without_relation_figures(claim: Features, rel: Relation) -> Features:
    """The figures that state a relation ("1,000 more", "two weeks after") are not facts to look up."""
    a, b = rel.span
    if rel.kind == "rate":
        a, b = 0, len(claim.text)
    inside = lambda start: a <= start < b  # noqa: E731
    return claim.model_copy(
        update={
            "quantities": [q.model_copy(update={"relative": True}) if inside(q.start) else q for q in claim.quantities],
            "durations": [d for d in claim.durations if not inside(d.start)],
        }
    )


def _trim_leading_words(claim: Features, texts: list[str]) -> Features:
    """A claim's first word is capitalised whatever it is: "News of Anthropic", "Legitimate Claude Code".
    When no source uses the whole name but does use it without its leading word(s), keep the shorter name."""
    if not texts or not claim.entities or not claim.text.startswith(claim.entities[0]):
        return claim
    words = claim.entities[0].split()
    name = claim.entities[0]
    while len(words) > 1 and not any(_mentions(t, name) for t in texts):
        words = words[1:]
        if words and words[0].lower() in ("of", "the", "for", "from"):
            words = words[1:]
        name = " ".join(words)
    if not words or name == claim.entities[0] or not any(_mentions(t, name) for t in texts):
        return claim
    return claim.model_copy(update={"entities": [name, *claim.entities[1:]]})


def _mentions(text: str, entity: str) -> bool:
    """The name's words, in order and adjacent, anywhere in the text — or its acronym (WSJ)."""
    words = [re.escape(w) for w in re.split(r"[\s'’-]+", entity) if w and w.lower() not in ("s",)]
    if words and re.search(r"\b" + r"(?:['’]s)?[\s-]+".join(words), text, re.I):
        return True
    initials = "".join(w[0] for w in entity.split() if w[:1].isupper())
    return len(initials) >= 3 and re.search(rf"\b{initials}\b", text) is not None


def idf_table(index: Any) -> dict[str, float]:
    n = len(index.sentences) or 1
    df: dict[str, int] = {}
    from agent.text import content_terms

    for s in index.sentences:
        for t in content_terms(s.text):
            df[t] = df.get(t, 0) + 1
    return {t: math.log(1 + n / c) for t, c in df.items()}
