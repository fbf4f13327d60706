"""reasoning: claims that relate two facts the sources state separately.

A comparison ("used more accounts than"), a difference ("about 1,000 more"), a multiple ("more than
double"), a rate ("each account produced roughly 1,150 exchanges"), a gap between two dated events
("two weeks after the letter") or their order ("by the time it wrote, the campaign had ended"). The
slot rules compare one fact with one sentence and must abstain on these; here each side's fact is
found in the document, the arithmetic is done, and the result is compared with what the claim says.
A document that does not state both sides gets no signal (neutral), never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from agent.pipeline.nodes.extract import (
    NUMBER_WORDS,
    SCALE,
    UNIT_DAYS,
    DateMention,
    Features,
    Quantity,
    entity_key,
    extract_entities,
    extract_features,
)
from agent.schemas import Evidence, Sentence
from agent.text import LIGHT_VERBS, STOPWORDS, content_terms, stem

Kind = Literal["compare", "difference", "multiple", "rate", "gap", "order"]


@dataclass(frozen=True)
class Relation:
    """What a reasoning claim asserts about two sides (left and right as written in the claim)."""

    kind: Kind
    left: str
    right: str
    op: str  # compare: gt/lt; difference: more/less; gap: after/before; order: after_end/during/before_start
    amount: float | None = None  # the claimed difference, factor, rate or gap (days)
    bound: str | None = None  # "more" / "less": "more than double", "nearly two weeks"
    exact: bool = False  # "exactly two weeks"
    unit: str = ""  # stem of the compared quantity's noun, when written ("accounts")
    per: str = ""  # a rate's denominator noun ("account")
    given_right: float | None = None  # the right side's figure, when the claim states it
    span: tuple[int, int] = (0, 0)  # where the relation's own figures are written in the claim


_NUMWORD = "|".join(sorted((re.escape(k) for k in NUMBER_WORDS if len(k) > 2), key=len, reverse=True))
_AMOUNT = rf"(?P<n>\d[\d,]*(?:\.\d+)?|{_NUMWORD})(?:\s*(?P<scale>thousand|million|billion|k|m|bn)\b)?"
_HEDGE = (
    r"(?P<cue>exactly|precisely|just|only|about|around|roughly|approximately|nearly|almost|some|over|"
    r"more than|less than|under|at least)?\s*"
)

_GAP = re.compile(
    _HEDGE + _AMOUNT + r"\s+(?P<u>days?|weeks?|months?|years?)\s+(?P<dir>after|later than|before|earlier than|"
    r"following|prior to|ahead of)\b",
    re.I,
)
_BY_THE_TIME = re.compile(
    r"\b(?:by the time|when)\s+(?P<a>[^,]+),\s*(?P<b>.+?)\s+(?:had\s+)?(?:already\s+)?(?:been\s+)?"
    r"(?P<v>ended|finished|stopped|concluded|wrapped up|over|begun|started)\b",
    re.I,
)
_AFTER_END = re.compile(
    r"^(?P<a>.+?)\s+(?:only\s+|well\s+|shortly\s+|just\s+)?(?P<dir>after|before|once)\s+(?P<b>.+?)\s+"
    r"(?:had\s+)?(?:already\s+)?(?P<v>ended|finished|stopped|concluded|wrapped up|was over|began|started|begun)\b",
    re.I,
)
_DURING = re.compile(
    r"^(?P<a>.+?)\s+(?:while|as)\s+(?P<b>.+?)\s+(?:was|were|is|are)\s+(?:still\s+)(?:going on|ongoing|"
    r"underway|under way|running|active|in progress|happening|continuing)\b",
    re.I,
)
_MULTIPLE = re.compile(
    r"(?P<cue>more than|over|at least|less than|under|nearly|almost|about|roughly|around)?\s*"
    r"(?P<f>double|twice|triple|three times|four times|five times|ten times|half(?=\s+(?:as|the)\b)|"
    r"(?P<x>\d+(?:\.\d+)?)\s*(?:times|x)\b)"
    r"(?:\s+(?:as\s+(?:large|big|many|much|high)\s+as|the\s+size\s+of|that\s+of|the))?",
    re.I,
)
_DIFFERENCE = re.compile(
    r"(?P<cue>about|around|roughly|approximately|nearly|almost|some|exactly|just)?\s*" + _AMOUNT + r"\s+"
    r"(?P<u1>(?:[a-z-]+\s+){0,2}?)(?P<dir>more|fewer|less|greater|higher|lower)\s+(?P<u2>(?:[a-z-]+\s+){0,2}?)than\b",
    re.I,
)
_COMPARE = re.compile(
    r"\b(?P<dir>more|fewer|less|greater|higher|larger|bigger|smaller|lower)\s+(?P<u>(?:[a-z-]+\s+){0,2}?)than\b"
    r"(?!\s*(?:[~$≈]?\d|a\b|an\b|one\b|two\b|three\b|four\b|five\b|six\b|half\b|double\b|twice\b))|"
    r"\b(?P<verb>exceed(?:ed|s)?|surpass(?:ed|es)?|outnumber(?:ed|s)?|outstrip(?:ped|s)?|eclipse[ds]?|"
    r"dwarf(?:ed|s)?|topped|tops|trail(?:ed|s)?|lag(?:ged|s)?\s+behind|fell\s+short\s+of)\b",
    re.I,
)
_RATE = re.compile(r"\b(?:each|every|per|apiece|on average|an average of|average of|averaged)\b", re.I)
_FIRST_FIGURE = re.compile(_AMOUNT, re.I)


def _number(n: str, scale: str | None) -> float:
    n = n.lower()
    value = float(NUMBER_WORDS[n]) if n in NUMBER_WORDS else float(n.replace(",", ""))
    return value * SCALE.get((scale or "").lower(), 1.0)


def _bound(cue: str | None) -> tuple[str | None, bool]:
    cue = (cue or "").lower()
    if cue in ("more than", "over", "at least"):
        return "more", False
    if cue in ("less than", "under", "nearly", "almost"):
        return "less", False
    return None, cue in ("exactly", "precisely", "just", "only")


def parse_relation(claim: str) -> Relation | None:
    """The relation a claim asserts, or None for a claim that states facts one by one."""
    text = claim.strip().rstrip(".")
    if m := _GAP.search(text):
        bound, exact = _bound(m.group("cue"))
        days = _number(m.group("n"), None) * UNIT_DAYS[m.group("u").lower()]
        direction = "after" if m.group("dir").lower() in ("after", "later than", "following") else "before"
        return Relation(
            "gap", text[: m.start()], text[m.end() :], direction, days, bound, exact, span=(m.start(), m.end())
        )
    if m := _BY_THE_TIME.search(text):
        op = "after_end" if m.group("v").lower() not in ("begun", "started") else "after_start"
        return Relation("order", m.group("a"), m.group("b"), op, span=m.span())
    if m := _AFTER_END.search(text):
        started = m.group("v").lower() in ("began", "started", "begun")
        before = m.group("dir").lower() == "before"
        op = ("before_start" if started else "before_end") if before else ("after_start" if started else "after_end")
        return Relation("order", m.group("a"), m.group("b"), op, span=m.span())
    if m := _DURING.search(text):
        return Relation("order", m.group("a"), m.group("b"), "during", span=m.span())
    if m := _MULTIPLE.search(text):
        f = m.group("f").lower()
        factor = {"double": 2, "twice": 2, "triple": 3, "half": 0.5}.get(f) or _number(
            m.group("x") or f.split()[0], None
        )
        bound, _ = _bound(m.group("cue"))
        right = text[m.end() :]
        given = _FIRST_FIGURE.search(right)
        return Relation(
            "multiple",
            text[: m.start()],
            right,
            "gt",
            float(factor),
            bound,
            given_right=_number(given.group("n"), given.group("scale"))
            if given and given.group("n")[0].isdigit()
            else None,
            span=(m.start(), len(text)),
        )
    if (m := _DIFFERENCE.search(text)) and (m.group("n")[0].isdigit() or m.group("n").lower() in NUMBER_WORDS):
        unit = _noun(m.group("u2") or m.group("u1"))
        op = "more" if m.group("dir").lower() in ("more", "greater", "higher") else "less"
        return Relation(
            "difference",
            text[: m.start()],
            text[m.end() :],
            op,
            _number(m.group("n"), m.group("scale")),
            exact=(m.group("cue") or "").lower() == "exactly",
            unit=unit,
            span=(m.start(), m.end()),
        )
    if m := _COMPARE.search(text):
        if m.group("verb"):
            lt = re.match(r"(trail|lag|fell)", m.group("verb"), re.I)
            return Relation("compare", text[: m.start()], text[m.end() :], "lt" if lt else "gt", span=m.span())
        op = "gt" if m.group("dir").lower() in ("more", "greater", "higher", "larger", "bigger") else "lt"
        return Relation("compare", text[: m.start()], text[m.end() :], op, unit=_noun(m.group("u")), span=m.span())
    if (r := _RATE.search(text)) and (fig := _figure_after(text, r.end())):
        n, unit, span = fig
        per = _noun(_noun_phrase(text[r.end() :]))
        if per and unit and per != unit:
            return Relation("rate", text, "", "eq", n, unit=unit, per=per, span=span)
    return None


def _figure_after(text: str, pos: int) -> tuple[float, str, tuple[int, int]] | None:
    for m in re.finditer(r"(?P<n>\d[\d,]*(?:\.\d+)?)(?:\s*(?P<scale>thousand|million|billion|k|m)\b)?", text):
        if m.start() < pos - 80:
            continue
        words = re.findall(r"[A-Za-z-]+", text[m.end() : m.end() + 40])
        unit = _noun(" ".join(words[:2]), first=True)
        return _number(m.group("n"), m.group("scale")), unit, m.span()
    return None


def _noun_phrase(text: str) -> str:
    """The words of the noun phrase a text starts with ("fake account" in "fake account in the ...")."""
    out: list[str] = []
    for w in re.findall(r"[A-Za-z][A-Za-z-]*", text)[:6]:
        if w.lower() in STOPWORDS or w.lower() in ("had", "has", "was", "were", "is", "are", "produced", "made"):
            if out:
                break
            continue
        out.append(w)
    return " ".join(w for w in out if not w[0].isupper())


def _noun(words: str, first: bool = False) -> str:
    stems = [stem(w) for w in re.findall(r"[A-Za-z-]+", words or "") if w.lower() not in STOPWORDS]
    stems = [s for s in stems if s not in ("fake", "fraudulent", "more", "less", "fewer", "than", "average")]
    if not stems:
        return ""
    return stems[0] if first else stems[-1]


# --------------------------------------------------------------------------------------------- facts


_KNOWN: ContextVar[Mapping[str, Features] | None] = ContextVar("known_features", default=None)


@lru_cache(maxsize=65536)
def _parsed(text: str) -> Features:
    return extract_features(text)


def features_of(text: str) -> Features:
    """A text's features: the ones the extract node already computed for this verification when it has
    them (`known_features`), so a claim and its evidence are parsed once; parsed here otherwise."""
    known = (_KNOWN.get() or {}).get(text)
    return known if known is not None else _parsed(text)


@contextmanager
def known_features(features: Mapping[str, Features]) -> Iterator[None]:
    """Within this block (this thread / context only), `features_of` answers from `features`."""
    token = _KNOWN.set(features)
    try:
        yield
    finally:
        _KNOWN.reset(token)


@dataclass
class Fact:
    value: float
    units: frozenset[str]
    sentence: Sentence
    owner: str | None  # the nearest notable name in the sentence, as an entity key
    approx: bool


def _owner(sent: Features, pos: int, notable: Callable[[str], bool]) -> str | None:
    best: tuple[int, str] | None = None
    for name in sent.entities:
        if not notable(name):
            continue
        for m in re.finditer(re.escape(name), sent.text):
            d = min(abs(m.start() - pos), abs(m.end() - pos))
            if best is None or d < best[0]:
                best = (d, entity_key(name))
    return best[1] if best else None


def quantity_facts(sentences: Sequence[Sentence], notable: Callable[[str], bool]) -> list[Fact]:
    facts = []
    for s in sentences:
        f = features_of(s.text)
        for q in f.quantities:
            if q.relative or not q.unit:
                continue
            owner = _owner(f, q.start, notable)
            facts.append(Fact(q.value, frozenset(q.unit[:3]), s, owner, q.approx or q.bound is not None))
    return facts


def _names(side: str, notable: Callable[[str], bool]) -> set[str]:
    keys = set()
    for e in extract_entities(side):
        if notable(e):
            keys.update(entity_key(e).split())
    return keys


def _owned_by(f: Fact, names: set[str]) -> bool:
    return f.owner is not None and bool(set(f.owner.split()) & names)


def _consensus(facts: list[Fact]) -> Fact | None:
    """The figure the document states most often among the candidates (first written on a tie)."""
    best: tuple[int, int, Fact] | None = None
    for i, f in enumerate(facts):
        n = sum(1 for g in facts if abs(g.value - f.value) <= 0.035 * max(g.value, f.value))
        if best is None or (n, -i) > (best[0], best[1]):
            best = (n, -i, f)
    return best[2] if best else None


def _side_values(
    rel: Relation, unit_terms: set[str], facts: list[Fact], notable: Callable[[str], bool]
) -> tuple[Fact | None, Fact | None]:
    """Each side's figure for the compared unit, from the sentences naming that side's actors.
    A side that names nobody ("the earlier campaign") takes a figure owned by someone else."""
    usable = [f for f in facts if f.units & unit_terms]
    ln, rn = _names(rel.left, notable), _names(rel.right, notable)
    ln, rn = ln - rn, rn - ln
    left = [f for f in usable if _owned_by(f, ln)] if ln else []
    if ln and not left:
        left = [f for f in usable if f.owner is None]
    lf = _consensus(left)
    if rn:
        right = [f for f in usable if _owned_by(f, rn)]
    else:
        right = [f for f in usable if f.owner is not None and not _owned_by(f, ln)]
    if lf is not None:
        right = [f for f in right if abs(f.value - lf.value) > 0.035 * max(f.value, lf.value)]
    return lf, _consensus(right)


def _unit_terms(rel: Relation, facts: list[Fact]) -> set[str]:
    if rel.unit:
        return {rel.unit}
    claim_terms = content_terms(rel.left + " " + rel.right)
    seen = set().union(*(f.units for f in facts)) if facts else set()
    return (claim_terms & seen) - {"ai", "model", "total", "new", "additional"}


@dataclass
class Finding:
    holds: bool
    reason: str
    evidence: list[Sentence]


def _close(a: float, b: float, approx: bool) -> bool:
    return abs(a - b) <= (0.12 if approx else 0.035) * max(abs(a), abs(b), 1e-9)


def check_quantities(rel: Relation, facts: list[Fact], notable: Callable[[str], bool]) -> Finding | None:
    units = _unit_terms(rel, facts)
    if not units:
        return None
    if rel.kind == "rate":
        return _check_rate(rel, facts, notable)
    lf, rf = _side_values(rel, units, facts, notable)
    if lf is None:
        return None
    right = rf.value if rf is not None else rel.given_right
    if rel.given_right is not None and rf is not None and not _close(rf.value, rel.given_right, True):
        right = rel.given_right
    if right is None or right <= 0:
        return None
    left = lf.value
    cites = [lf.sentence] + ([rf.sentence] if rf is not None else [])
    unit = sorted(units)[0]
    said = f"source gives {_fmt(left)} vs {_fmt(right)} {unit}"
    if rel.kind == "compare":
        holds = left > right if rel.op == "gt" else left < right
        return Finding(holds, f"{said}: the first is {'larger' if left > right else 'smaller'}", cites)
    if rel.kind == "difference":
        diff = left - right if rel.op == "more" else right - left
        holds = diff > 0 and _close(diff, rel.amount or 0, not rel.exact)
        return Finding(
            holds, f"{said}: a difference of {_fmt(abs(left - right))}, claim says {_fmt(rel.amount or 0)}", cites
        )
    if rel.kind == "multiple":
        factor = left / right
        want = rel.amount or 1.0
        if rel.bound == "more":
            holds = factor > want
        elif rel.bound == "less":
            holds = want * 0.85 <= factor < want
        else:
            holds = _close(factor, want, True)
        return Finding(
            holds,
            f"{said}: {factor:.2f} times, claim says {'more than ' if rel.bound == 'more' else ''}{want:g} times",
            cites,
        )
    return None


def _check_rate(rel: Relation, facts: list[Fact], notable: Callable[[str], bool]) -> Finding | None:
    names = _names(rel.left, notable)
    pick = [f for f in facts if _owned_by(f, names)] + [f for f in facts if f.owner is None] if names else facts
    num = _consensus([f for f in pick if rel.unit in f.units])
    den = _consensus([f for f in pick if rel.per in f.units])
    if num is None or den is None or den.value <= 0:
        return None
    rate = num.value / den.value
    holds = _close(rate, rel.amount or 0, True)
    return Finding(
        holds,
        f"source gives {_fmt(num.value)} {rel.unit} over {_fmt(den.value)} {rel.per}: {_fmt(rate)} each, "
        f"claim says {_fmt(rel.amount or 0)}",
        [num.sentence, den.sentence],
    )


def _fmt(v: float) -> str:
    for scale, word in ((1e9, " billion"), (1e6, " million")):
        if abs(v) >= scale:
            return f"{v / scale:g}{word}"
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2g}"


# --------------------------------------------------------------------------------------------- events

# words that place an event in time rather than say which event it is
_EVENT_STOP = {
    "run",
    "ran",
    "occur",
    "unfold",
    "span",
    "make",
    "made",
    "earlier",
    "previous",
    "prior",
    "later",
    "last",
    "next",
    "new",
    *NUMBER_WORDS,
    "link",
    "tie",
    "tied",
    "affiliat",
    "back",
    "base",
    "relat",  # "Qwen-linked": who, not which event
    "ended",
    "started",
    "began",
    "begun",
    "finished",
    "concluded",
    "stopped",
    "lasted",
    "already",
    "still",
    "time",
    "date",
    "day",
    "exactly",
    "end",
    "begin",
    "start",
    "go",
    "went",
    "on",
    "follow",
    "come",
    "came",
    "happen",
    "take",
    "took",
    "place",
    "precede",
    "after",
    "before",
}
_RANGE = re.compile(r"\b(from|between)\b|[–—-]\s*(?=[A-Z0-9])|\b(through|until|to)\b", re.I)


@dataclass
class Event:
    start: dt.date
    end: dt.date
    sentence: Sentence
    score: float


class Calendar:
    """The year a yearless date means in one document: the year the document gives the same day or
    month elsewhere ("between April and June" in the summary, "April and June 2025" in the body),
    else the year it mentions most."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        self.known: dict[tuple[int, int | None], int] = {}
        counts: dict[int, int] = {}
        mentions = [d for s in sentences for d in features_of(s.text).dates if d.year]
        for d in sorted(mentions, key=lambda d: d.day is not None):  # month-level mentions first
            year = d.year or 0
            counts[year] = counts.get(year, 0) + 1
            if d.month:
                self.known.setdefault((d.month, d.day), year)
                self.known.setdefault((d.month, None), year)
        self.year = max(counts, key=lambda y: counts[y]) if counts else None

    def date(self, d: DateMention, last: bool = False, year: int | None = None) -> dt.date | None:
        if d.month is None:
            return None
        y = d.year or year or self.known.get((d.month, d.day)) or self.known.get((d.month, None)) or self.year
        if y is None:
            return None
        try:
            if d.day is None:
                return _month_end(y, d.month) if last else dt.date(y, d.month, 1)
            return dt.date(y, d.month, d.day)
        except ValueError:
            return None


def _month_end(y: int, m: int) -> dt.date:
    return (dt.date(y + (m == 12), m % 12 + 1, 1)) - dt.timedelta(days=1)


_CALENDAR_WORDS = {
    "week",
    "month",
    "year",
    "spring",
    "summer",
    "autumn",
    "fall",
    "winter",
    "half",
    "quarter",
    "first",
    "second",
    "third",
    "fourth",
    "late",
    "early",
    "mid",
    "about",
    "roughly",
    "nearly",
}
RARE_NAME_IDF = 2.4


def _other_figures(claimed: Sequence[Quantity], stated: Sequence[Quantity]) -> bool:
    for c in claimed:
        same_unit = [q for q in stated if set(q.unit[:2]) & set(c.unit[:2])]
        close = [q for q in same_unit if abs(q.value - c.value) <= 0.035 * max(q.value, c.value)]
        if same_unit and not close:
            return True
    return False


def find_event(
    phrase: str,
    sentences: Sequence[Sentence],
    idf: dict[str, float],
    cal: Calendar,
    span: bool = False,
    fallback: bool = False,
    days: bool = True,
    prefer_span: bool = False,
    figures: Sequence[Quantity] = (),
    years: bool = False,
) -> Event | None:
    """The dated event a phrase describes: the date (or range, when `span`) written nearest to the
    phrase's own words. Names alone do not pick a date ("Anthropic" is near every date in a story
    about Anthropic), but a rare name in the phrase must be in the dated sentence. A document that
    never uses most of the phrase's words does not describe the event at all. A document with one
    date range and nothing better gives that range for a period ("the campaign"). `days=False` also
    takes month-only dates ("between April and June"); `prefer_span` takes a range over a single day
    unless the day is a much better match. A sentence giving a different figure for one of the claim's
    `figures` (24,000 accounts when the claim says 25,000) is about another event. `years` takes only bare
    years ("a 2023 audit"), each an event spanning its year: for a claim dated only by its year."""
    names = {w for e in extract_entities(phrase) for w in entity_key(e).split()}
    terms = (
        {t for t in content_terms(phrase) if t not in _EVENT_STOP and t not in _CALENDAR_WORDS} - names - LIGHT_VERBS
    )
    rare = {n for n in names if idf.get(n, 9.0) >= RARE_NAME_IDF}
    if not terms:
        return None
    doc_terms: set[str] = set().union(*(features_of(s.text).terms for s in sentences)) if sentences else set()
    # the event's own words and rare names: a source that uses few of them describes another event
    marks = terms | rare
    weight = sum(idf.get(t, 3.0) for t in marks)
    if sum(idf.get(t, 3.0) for t in marks & doc_terms) < 0.6 * weight:
        return None
    if len(terms) >= 2 and sum(idf.get(t, 3.0) for t in terms & doc_terms) < 0.5 * sum(idf.get(t, 3.0) for t in terms):
        return None  # the names are there, but not what happened to them ("a hearing was scheduled")
    if rare and not rare & doc_terms:
        return None
    best: dict[bool, Event] = {}
    ranges: dict[tuple[dt.date, dt.date], Event] = {}
    for s in sentences:
        f = features_of(s.text)
        if years:
            dated = [d for d in f.dates if d.month is None and d.year]
        else:
            dated = [d for d in f.dates if d.month is not None and (d.day is not None or not days)]
        if not dated or _other_figures(figures, f.quantities):
            continue
        words = [(m.start(), stem(m.group())) for m in re.finditer(r"[A-Za-z][A-Za-z'-]+", s.text)]
        range_ends: set[int] = set()
        for i, d in enumerate(dated):
            if i in range_ends:
                continue  # "June 5" in "April 22 to June 5" is the end of that range, not an event of its own
            score = 0.0
            for pos, w in words:
                if w in terms or w in rare:
                    gap = max(0, d.start - pos, pos - (d.start + len(d.text)))
                    score += idf.get(w, 3.0) / (1.0 + gap / 40.0)
            start, end = (
                (dt.date(d.year, 1, 1), dt.date(d.year, 12, 31))
                if d.month is None and d.year is not None  # a bare year ("a 2023 audit"): `years` only
                else (cal.date(d), cal.date(d, last=True))
            )
            if start is None or end is None:
                continue
            nxt = dated[i + 1] if i + 1 < len(dated) else None
            if nxt is not None and _RANGE.search(s.text[max(0, d.start - 12) : nxt.start + 1]):
                end_date = cal.date(nxt, last=True, year=nxt.year or start.year)
                if end_date is not None and end_date > start:
                    end = end_date
                    range_ends.add(i + 1)
                    ranges.setdefault((start, end), Event(start, end, s, score))
            is_span = end > start and (d.day is not None or nxt is not None and end != cal.date(d, last=True))
            if span and not is_span:
                continue
            if is_span not in best or score > best[is_span].score:
                best[is_span] = Event(start, end, s, score)
    found = [e for e in best.values() if e.score >= 1.5]
    if found:
        top = max(found, key=lambda e: e.score)
        spans = sorted((e for e in found if e.end > e.start), key=lambda e: -e.score)
        if prefer_span and spans and spans[0].score >= 0.6 * top.score:
            return spans[0]
        return top
    if fallback and len(ranges) == 1:
        return next(iter(ranges.values()))
    return None


def check_events(rel: Relation, sentences: Sequence[Sentence], idf: dict[str, float]) -> Finding | None:
    cal = Calendar(sentences)
    period = rel.kind == "order" and rel.op == "during"
    a = find_event(rel.left, sentences, idf, cal)
    b = find_event(rel.right, sentences, idf, cal, span=period, fallback=rel.kind == "order")
    if a is None or b is None or (a.start == b.start and a.end == b.end):
        return None
    cites = [a.sentence] + ([b.sentence] if b.sentence != a.sentence else [])
    when_a, (b0, b1) = a.start, (b.start, b.end)
    said = f"source dates the first to {when_a:%B %-d, %Y} and the second to {b0:%B %-d}" + (
        f"–{b1:%B %-d, %Y}" if b1 != b0 else f", {b0:%Y}"
    )
    if rel.kind == "gap":
        ref = b1 if rel.op == "after" else b0
        days = (when_a - ref).days if rel.op == "after" else (ref - when_a).days
        want = rel.amount or 0.0
        if rel.exact:
            holds = abs(days - want) <= 1
        elif rel.bound == "more":
            holds = days > want
        elif rel.bound == "less":
            holds = want * 0.7 <= days < want
        else:
            holds = abs(days - want) <= max(1.0, 0.2 * want)
        return Finding(holds, f"{said}: {days} days apart, claim says {want:g}", cites)
    ops = {
        "after_end": when_a > b1,
        "after_start": when_a > b0,
        "before_end": when_a < b1,
        "before_start": when_a < b0,
        "during": b0 <= when_a <= b1 and b1 > b0,
    }
    if rel.op == "during" and b1 == b0:
        return None  # the second event has no span to be inside of
    return Finding(ops[rel.op], said, cites)


def relation_finding(
    rel: Relation, sentences: Sequence[Sentence], idf: dict[str, float], notable: Callable[[str], bool]
) -> Finding | None:
    """Does the document bear the relation out (holds), contradict it (not holds), or not say (None)?"""
    if rel.kind in ("gap", "order"):
        return check_events(rel, sentences, idf)
    return check_quantities(rel, quantity_facts(sentences, notable), notable)


def as_evidence(s: Sentence) -> Evidence:
    return Evidence(sentence=s)


# --------------------------------------------------------------------------------------------- periods

_SEASONS = {
    "spring": ((3, 20), (6, 21)),
    "summer": ((6, 21), (9, 22)),
    "autumn": ((9, 22), (12, 21)),
    "fall": ((9, 22), (12, 21)),
}
_HALF = re.compile(r"\b(?:the\s+)?(first|second|1st|2nd)\s+half\s+of\s+((?:19|20)\d{2})\b", re.I)
_QUARTER = re.compile(
    r"\b(?:Q([1-4])\s*((?:19|20)\d{2})|(?:the\s+)?(first|second|third|fourth)\s+quarter\s+of\s+((?:19|20)\d{2}))\b",
    re.I,
)
_SEASON = re.compile(r"\b(spring|summer|autumn|fall)\s+(?:of\s+)?((?:19|20)\d{2})\b", re.I)
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "fourth": 4}


@dataclass(frozen=True)
class Period:
    """A stretch of time a claim places an event in ("in 2025", "spring 2025", "between April and
    June 2026", "from April 22 to June 5, 2026"); `precise` when both ends are days."""

    start: dt.date
    end: dt.date
    precise: bool
    span: tuple[int, int]
    text: str


def parse_period(claim: str) -> Period | None:
    """The claim's period, when every date it writes belongs to that one period; None for a claim
    with a single exact day (the slot rules compare those) or with dates of several events."""
    dates = features_of(claim).dates
    if m := _HALF.search(claim):
        h, y = _ORDINAL[m.group(1).lower()], int(m.group(2))
        start, end = (dt.date(y, 1, 1), dt.date(y, 6, 30)) if h == 1 else (dt.date(y, 7, 1), dt.date(y, 12, 31))
        found = Period(start, end, False, m.span(), m.group())
    elif m := _QUARTER.search(claim):
        q = int(m.group(1)) if m.group(1) else _ORDINAL[m.group(3).lower()]
        y = int(m.group(2) or m.group(4))
        found = Period(dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q), False, m.span(), m.group())
    elif m := _SEASON.search(claim):
        (m0, d0), (m1, d1) = _SEASONS[m.group(1).lower()]
        y = int(m.group(2))
        found = Period(dt.date(y, m0, d0), dt.date(y, m1, d1), False, m.span(), m.group())
    elif len(dates) == 2 and _RANGE.search(claim[max(0, dates[0].start - 12) : dates[1].start]):
        cal = Calendar([])
        first, last = dates
        year = first.year or last.year
        lo, hi = cal.date(first, year=year), cal.date(last, last=True, year=year)
        if lo is None or hi is None or hi <= lo:
            return None
        precise = first.day is not None and last.day is not None
        span = (first.start, last.start + len(last.text))
        found = Period(lo, hi, precise, span, claim[span[0] : span[1]])
    elif len(dates) == 1 and dates[0].day is None and dates[0].year is not None:
        only, y = dates[0], dates[0].year
        lo = dt.date(y, only.month or 1, 1)
        hi = _month_end(y, only.month) if only.month else dt.date(y, 12, 31)
        found = Period(lo, hi, False, (only.start, only.start + len(only.text)), only.text)
    else:
        return None
    a, b = found.span
    if any(not (a <= d.start < b) for d in dates):
        return None  # another date in the claim: it is about more than one event's time
    return found


BARE_YEAR_MARGIN = 1.5


def period_finding(
    period: Period, claim: str, sentences: Sequence[Sentence], idf: dict[str, float]
) -> tuple[bool | None, str, list[Sentence]] | None:
    """Does the document date the claim's event inside the claim's period (True), outside it
    (False), or across its edge (None: cannot tell)? None when it dates no such event."""
    a, b = period.span
    phrase = claim[:a] + " " + claim[b:]
    cal = Calendar(sentences)
    figures = [q for q in features_of(claim).quantities if not q.relative and q.unit]
    ev = find_event(
        phrase, sentences, idf, cal, span=period.precise, fallback=True, days=False, prefer_span=True, figures=figures
    )
    if period.start.timetuple().tm_yday == 1 and (period.end - period.start).days >= 364:
        # a claim dated by its year alone: a bare year in the source ("a 2023 audit") dates the event when
        # its sentence matches the claim's words clearly better than any dated sentence does
        bare = find_event(phrase, sentences, idf, cal, days=False, figures=figures, years=True)
        if bare is not None and (ev is None or bare.score >= BARE_YEAR_MARGIN * ev.score):
            ev = bare
    if ev is None:
        return None
    when = f"{ev.start:%B %-d, %Y}" + (f" to {ev.end:%B %-d, %Y}" if ev.end != ev.start else "")
    if (ev.start.month, ev.start.day, ev.end.month, ev.end.day) == (1, 1, 12, 31) and ev.start.year == ev.end.year:
        when = str(ev.start.year)
    said = f"claim says {period.text}; source dates it {when}"
    if period.precise:
        same = abs((ev.start - period.start).days) <= 1 and abs((ev.end - period.end).days) <= 1
        return same, said, [ev.sentence]
    slack = max(3, (ev.end - ev.start).days * 0.15)
    if (period.start - ev.start).days <= slack and (ev.end - period.end).days <= slack:
        return True, said, [ev.sentence]
    if ev.end < period.start or ev.start > period.end:
        return False, said, [ev.sentence]
    return None, said, [ev.sentence]
