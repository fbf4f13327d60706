"""answers: a question answered source by source, and the sources grouped by what they say.

A question is typed by what it asks for — how many (a figure with its unit), when (a date or a period),
who / which (names), did / is / was (the stance of the claim it implies, from the verifier) — and every
source's own answer is read from its retrieved sentences with the same extractors the verifier uses.
Answers are grouped by normalised value ("~25,000" = "25K" = "almost 25,000"; a date inside a period is
the same answer), and the result says where the sources differ, with one exact quote per source, and
which sources say nothing. All of it is computed offline; with an LLM configured the model may only
rephrase the summary sentence, and a phrasing that brings in a figure of its own is discarded.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from agent.pipeline.nodes.checks.base import common_word
from agent.pipeline.nodes.checks.responses import responses_by
from agent.pipeline.nodes.extract import (
    DateMention,
    entity_key,
    extract_dates,
    extract_entities,
    extract_features,
    extract_quantities,
)
from agent.schemas import Citation, ClaimRecord, DocumentMeta, Evidence, LLMUsage, Sentence
from agent.text import content_terms, stem

AnswerKind = Literal["count", "duration", "when", "who", "response", "yesno", "other"]
WORDS = json.loads(Path(__file__).with_name("answer_words.json").read_text(encoding="utf-8"))
VERB_ALIASES: list[set[str]] = [{stem(w) for w in g} for g in WORDS["verb_aliases"]["groups"]]
SUBJECT_HEADS = frozenset(WORDS["subject_heads"]["words"])

_AUX = r"did|does|do|is|are|was|were|has|have|had|can|could|will|would|should"
_YESNO = re.compile(rf"^\s*(?P<aux>{_AUX})\s+(?P<rest>.+?)\s*\??\s*$", re.I)
_COUNT = re.compile(r"\bhow\s+(?:many|much)\s+(?P<unit>[^?]*)", re.I)
_HOW_LONG = re.compile(
    r"\bhow\s+long\b|\bhow\s+many\s+(?:days|weeks|months|years|hours)\b|\bwhat\s+(?:was|is)\s+the\s+(?:duration|length)\b",
    re.I,
)
# "How did CivicPay respond to …?", "How has Alibaba reacted?": how an actor responded (denied, no comment, …)
_RESPONSE_Q = re.compile(
    rf"^\s*(?:(?:and|so|but)\s+)?how\s+(?:{_AUX})\s+(?P<actor>.+?)\s+(?:respond|react|reply|answer)(?:ed)?\b", re.I
)
RESPONSE_LABELS = {"deny": "denied", "no_response": "declined to comment", "confirm": "confirmed"}
# a date answers a when-question only in a sentence sharing a fifth of its wording (idf-weighted): nearly every news
# sentence carries a date, and one sharing only "city" does not date the question's event (set on the dev story)
WHEN_COVERAGE = 0.2
DURATION_TOLERANCE = 0.10  # "six weeks" = "44 days" = "a month and a half": the same length, as people write it
# "when", "what date", and the same after a preposition: "On what date", "In which year", "By what time"
_WHEN = re.compile(
    r"^\s*(?:(?:and|so|but)\s+)?(?:when|since\s+when|"
    r"(?:(?:on|in|at|by|during|from|since|until|till)\s+)?(?:what|which)\s+(?:date|day|month|year|period|time|week))\b",
    re.I,
)
_WHO = re.compile(
    r"^\s*(?:(?:and|so|but)\s+)?(?:who(?:m|se)?|which|what\s+(?:outlet|company|lab|firm|source|newspaper))\b", re.I
)
_OBJECT_Q = re.compile(rf"^\s*(?:who(?:m)?|which\s+\w+|what\s+\w+)\s+(?:{_AUX})\s+(?!\w+(?:ed|ing)\b)", re.I)
_WH_WORDS = {"how", "many", "much", "when", "who", "whom", "whose", "which", "what", "date", "year", "did", "does"}
_PRONOUN = re.compile(r"\b(it|its|they|them|their|theirs|that|this|those|these|he|she|him|her)\b", re.I)
_LEAD = re.compile(r"^\s*(and|but|also|so|then|what about|how about|and what about|or)\b", re.I)
_PERIOD_JOIN = re.compile(r"^\s*(?:to|–|—|-|and|through|until|till)\s*$", re.I)
_DETERMINERS = {"the", "a", "an", "its", "their", "his", "her", "this", "that"}
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_PAREN = re.compile(r"\([^()]*\)")


# ------------------------------------------------------------------------------------------- models
class Question(BaseModel):
    """A question, typed by the kind of answer it asks for."""

    text: str = Field(description="the question as asked")
    kind: AnswerKind = Field(
        description="count: a figure; duration: a length of time; when: a date or period; who: names; yesno: a stance"
    )
    focus: list[str] = Field(default_factory=list, description="content stems an answering sentence should share")
    unit: list[str] = Field(default_factory=list, description="count: stems of the counted noun ('account')")
    amount: bool = Field(False, description="count: 'how much X' asks for an amount, which a sum of money gives")
    verb: str | None = Field(None, description="who: the stem of the verb the names are subject or object of")
    asks_object: bool = Field(False, description="who: 'who did Anthropic accuse?' asks for the verb's object")
    role: list[str] = Field(
        default_factory=list, description="who: 'who is Westmoor's chief information officer?' asks who holds the role"
    )
    claim: str | None = Field(None, description="yesno: the claim the question implies")
    entities: list[str] = Field(default_factory=list, description="names in the question: never its answer")
    query: str = Field("", description="what retrieval searches for (the previous turn rides along on a follow-up)")


class DatePoint(BaseModel):
    year: int | None = None
    month: int | None = None
    day: int | None = None

    def iso(self) -> str:
        parts = [f"{self.year:04d}" if self.year else "????"]
        if self.month:
            parts.append(f"{self.month:02d}")
            if self.day:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)


class Value(BaseModel):
    """One source's answer, normalised so that equal answers compare equal."""

    kind: AnswerKind
    text: str = Field(description="the answer as the source writes it")
    label: str = Field(description="the normalised answer, as shown to the user")
    number: float | None = Field(None, description="count: the figure; duration: the length in days")
    unit: list[str] = Field(default_factory=list, description="count: stems of the words after the figure")
    start: DatePoint | None = Field(None, description="when: the date, or the first day of the period")
    end: DatePoint | None = Field(None, description="when: the last day of the period (= start for a date)")
    names: list[str] = Field(default_factory=list, description="who: the names, as written")
    stance: Literal["yes", "no"] | None = Field(None, description="yesno: does the source support the claim")


class SourceAnswer(BaseModel):
    """What one source says in answer to the question; value None: it says nothing about it."""

    doc_id: str
    title: str = ""
    value: Value | None = None
    citation: Citation | None = Field(None, description="the sentence the value was read from (an exact slice)")
    reason: str = Field("", description="why this answer, or why none")


class AnswerGroup(BaseModel):
    """Sources that give the same answer."""

    label: str = Field(description="the answer the group shares, normalised")
    value: Value = Field(description="the most specific answer in the group")
    doc_ids: list[str]
    citations: list[Citation] = Field(description="one exact quote per source, in doc_ids order")


class GroupedAnswer(BaseModel):
    """The answer to a question: the sources grouped by what they say, where they differ, who is silent."""

    question: str
    kind: AnswerKind
    claim: str | None = Field(None, description="yesno: the implied claim the verifier checked")
    groups: list[AnswerGroup] = Field(default_factory=list, description="largest first")
    silent: list[str] = Field(default_factory=list, description="sources searched that say nothing about it")
    differ: bool = Field(False, description="the sources that answer give answers that are not compatible")
    sources: list[SourceAnswer] = Field(default_factory=list, description="every source's own answer")
    excluded: list[str] = Field(default_factory=list, description="sources left out on request (/without)")
    summary: str = Field("", description="one sentence: the answer, or where the sources differ")
    text: str = Field("", description="the summary and one line per answering source, with its quote")
    citations: list[Citation] = Field(default_factory=list)
    llm: LLMUsage = Field(default_factory=LLMUsage)


class Phrasing(BaseModel):
    """What an LLM may change: the wording of the summary sentence, nothing else."""

    text: str


# ------------------------------------------------------------------------------------------- questions
def refers_back(text: str) -> bool:
    """Does the question lean on the previous turn? A pronoun with no name in the question to refer to ("did
    they deny it?", but not "when did Anthropic send its letter?"), a lead-in ("and the February one?", "what
    about Bloomberg?"), or an ellipsis with one content word at most ("how many?")."""
    if _LEAD.search(text) or (_PRONOUN.search(text) and not extract_entities(text)):
        return True
    return len(content_terms(text) - _WH_WORDS) <= 1


def parse_question(text: str, previous: Question | None = None) -> Question:
    """Type a question by what it asks for. A follow-up (see `refers_back`) with no type of its own takes
    the previous question's; its retrieval query carries the previous question's words."""
    follow = previous is not None and refers_back(text)
    query = f"{text} {previous.query or previous.text}" if follow and previous is not None else text
    entities = extract_entities(text)
    focus = sorted(content_terms(text) - _WH_WORDS)
    base: dict[str, Any] = {"text": text, "focus": focus, "entities": entities, "query": query}
    if _HOW_LONG.search(text):
        return Question(kind="duration", **base)
    if (m := _RESPONSE_Q.match(text)) and (actor := extract_entities(m.group("actor"))):
        return Question(kind="response", **base | {"entities": actor + [e for e in entities if e not in actor]})
    if m := _COUNT.search(text):
        unit = [stem(w) for w in re.findall(r"[A-Za-z]+", m.group("unit"))[:3] if stem(w) in content_terms(w)]
        words = m.group().lower().split()
        # "how much ransom": an amount of the noun; "how much does X pay": the words after it are no unit
        amount = words[1] == "much" and len(words) > 2 and not re.fullmatch(_AUX, words[2])
        return Question(kind="count", unit=unit[:2], amount=amount, **base)
    if _WHEN.search(text):
        return Question(kind="when", **base)
    if _WHO.search(text):
        if role := _role_asked(text):
            return Question(kind="who", role=role, **base)
        return Question(kind="who", verb=_question_verb(text), asks_object=bool(_OBJECT_Q.search(text)), **base)
    if m := _YESNO.match(text):
        claim = implied_claim(m.group("aux"), m.group("rest"), previous if follow else None)
        return Question(kind="yesno", claim=claim, **base)
    if follow and previous is not None and previous.kind != "other":
        merged = sorted(set(focus) | set(previous.focus))
        return previous.model_copy(update={"text": text, "focus": merged, "query": query, "entities": entities})
    return Question(kind="other", **base)


_COPULAR_WHO = re.compile(r"^\s*who\s+(?:is|was|are|were)\s+(?P<np>[^?]+?)\s*\??\s*$", re.I)


def _role_asked(text: str) -> list[str]:
    """ "Who is Westmoor's chief information officer?" asks for the holder of a role: the role's words (names
    and possessives aside, the head noun last), or [] for any other question ("Who is leading the inquiry?")."""
    m = _COPULAR_WHO.match(text)
    if not m:
        return []
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", m.group("np"))
    if any(w.lower().endswith(("ing", "ed")) for w in words):
        return []  # a verb: "who was named …", "who is leading …"
    role = [w.lower() for w in words if not w[0].isupper() and content_terms(w)]
    return role[-3:]


def _question_verb(text: str) -> str | None:
    """The verb a who/which question asks about: the first content word after the wh-phrase that is not a
    name ("Which outlet *broke* the story?", "Who did Anthropic *accuse*?"). A longer wh-phrase ends at an
    auxiliary ("Which forensic firm is *leading* …") or, without one, at the first past form ("Which news
    outlet first *reported* …")."""
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", text)
    if len(words) > 2 and words[0].lower() in ("which", "what"):
        aux = next((i for i, w in enumerate(words[2:5], 2) if re.fullmatch(_AUX, w.lower())), None)
        if aux is not None:
            words = words[aux:]
        elif past := next((w for w in words[2:] if w[0].islower() and w.lower().endswith("ed")), None):
            return stem(past.lower())
    for i, w in enumerate(words[1:], 1):
        if i == 1 and words[0].lower() in ("which", "what"):
            continue  # the wh-noun: "which outlet"
        if w[0].isupper() or w.lower() in _WH_WORDS or not content_terms(w):
            continue
        return stem(w.lower())
    return None


def implied_claim(aux: str, rest: str, previous: Question | None = None) -> str:
    """ "Did Alibaba deny the accusation" → "Alibaba did deny the accusation"; "Has the Qwen team responded"
    → "The Qwen team has responded". On a follow-up a pronoun subject is the previous question's first name."""
    words = rest.split()
    if previous is not None and previous.entities and words and words[0].lower() in ("they", "it", "he", "she"):
        words[0] = previous.entities[0]
    n = 0
    while n < len(words) and words[n].lower() in _DETERMINERS:
        n += 1
    n = min(n + 1, len(words))
    while n < len(words):
        prev, w = words[n - 1], words[n]
        if w[0].isupper() or prev.endswith(("'s", "’s")) or w.lower() in SUBJECT_HEADS:
            n += 1
            continue
        break
    subject, predicate = " ".join(words[:n]), " ".join(words[n:])
    claim = f"{subject} {aux.lower()} {predicate}".strip()
    return claim[0].upper() + claim[1:] + "."


# ------------------------------------------------------------------------------------------- values
def _format_number(v: float) -> str:
    for scale, name in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if v >= scale:
            return f"{v / scale:.4g} {name}"
    return f"{v:,.0f}" if v == int(v) else f"{v:,.4g}"


def _days_label(days: float, approx: bool) -> str:
    shown = f"{days:g} days" if days < 60 else f"{days / 30.44:.1f} months"
    return f"about {shown}" if approx else shown


def duration_values(text: str) -> list[Value]:
    """Lengths of time a sentence states ("44 days", "six weeks", "a month and a half"), in days; else the
    length of a period it dates to the day ("April 22 to June 5, 2026": 44 days)."""
    out = [
        Value(kind="duration", text=d.text, label=_days_label(d.days, d.approx), number=d.days)
        for d in extract_features(text).durations
    ]
    if out:
        return out
    for _, v in when_values(text):
        a, b = v.start, v.end
        if a and b and a != b and a.year and a.month and a.day and b.year and b.month and b.day:
            days = (date(b.year, b.month, b.day) - date(a.year, a.month, a.day)).days
            if days > 0:
                out.append(Value(kind="duration", text=v.text, label=_days_label(days, False), number=float(days)))
    return out


def count_values(text: str, unit: list[str], amount: bool = False, verbs: Iterable[str] = ()) -> list[Value]:
    """Figures in a sentence counting the question's unit (any of its stems among the words after it). For
    "how much ransom did they demand", a sum of money is the amount in a sentence that names the ransom, or
    right after the question's own verb ("NightLedger demanded $2.5 million")."""
    out = []
    named = amount and bool(set(unit) & content_terms(text))
    own_verbs = set(verbs) - set(unit)
    for q in extract_quantities(text):
        said = amount and bool(
            (m := re.search(r"([A-Za-z]+)\s+(?:of\s+|about\s+|nearly\s+|almost\s+)?$", text[: q.start]))
            and stem(m.group(1)) in own_verbs
        )
        if q.relative or (unit and not set(unit) & set(q.unit) and not ((named or said) and q.currency)):
            continue
        out.append(Value(kind="count", text=q.text, label=_format_number(q.value), number=q.value, unit=q.unit))
    return out


def _point(d: DateMention) -> DatePoint:
    return DatePoint(year=d.year, month=d.month, day=d.day)


def _date_label(a: DatePoint, b: DatePoint) -> str:
    return a.iso() if a == b else f"{a.iso()} to {b.iso()}"


def when_values(text: str) -> list[tuple[int, Value]]:
    """Dates and periods ("April 22 to June 5, 2026", "between April and June 2025") with their offsets."""
    dates = sorted(extract_dates(text), key=lambda d: d.start)
    out: list[tuple[int, Value]] = []
    i = 0
    while i < len(dates):
        d = dates[i]
        nxt = dates[i + 1] if i + 1 < len(dates) else None
        if nxt is not None and _PERIOD_JOIN.match(text[d.start + len(d.text) : nxt.start]):
            a, b = _point(d), _point(nxt)
            if a.year is None:
                a.year = b.year
            span = text[d.start : nxt.start + len(nxt.text)]
            out.append((d.start, Value(kind="when", text=span, label=_date_label(a, b), start=a, end=b)))
            i += 2
            continue
        p = _point(d)
        out.append((d.start, Value(kind="when", text=d.text, label=_date_label(p, p), start=p, end=p)))
        i += 1
    return out


def _range(p: DatePoint, year: int) -> tuple[date, date]:
    y = p.year or year
    if p.month is None:
        return date(y, 1, 1), date(y, 12, 31)
    if p.day is None:
        return date(y, p.month, 1), date(y, p.month, calendar.monthrange(y, p.month)[1])
    return date(y, p.month, p.day), date(y, p.month, p.day)


def dates_compatible(a: Value, b: Value) -> bool:
    """One answer lies inside the other: "April 22 to June 5, 2026" inside "April–June 2026", "June 24"
    inside "2026-06-24". A missing year takes the other answer's."""
    assert a.start and a.end and b.start and b.end
    year = a.start.year or a.end.year or b.start.year or b.end.year or 2000
    a0, a1 = _range(a.start, a.end.year or year)[0], _range(a.end, a.start.year or year)[1]
    b0, b1 = _range(b.start, b.end.year or year)[0], _range(b.end, b.start.year or year)[1]
    return (a0 <= b0 and b1 <= a1) or (b0 <= a0 and a1 <= b1)


def _width(v: Value) -> int:
    assert v.start and v.end
    year = v.start.year or v.end.year or 2000
    return (_range(v.end, year)[1] - _range(v.start, year)[0]).days


def _clean(text: str) -> str:
    """Markdown links to their text, parentheses out: names inside "Reuters ([Krystal Hu](url))" are bylines."""
    text = _LINK.sub(r"\1", text)
    while _PAREN.search(text):
        text = _PAREN.sub(" ", text)
    return text


def _verb_stems(verb: str) -> set[str]:
    return set().union(*(g for g in VERB_ALIASES if verb in g), {verb})


_HEADS = "|".join(sorted(SUBJECT_HEADS))
_NP_WORD = rf"(?:[A-Z][\w&.'’-]*|and|or|the|its|&|,|{_HEADS})"
_NP_AFTER = re.compile(rf"^\s*((?:{_NP_WORD}\s*)+)")
_NP_BEFORE = re.compile(rf"((?:{_NP_WORD}\s*)+)$")


def _is_finite_verb(word: str, rest: str) -> bool:
    """ "reported", "broke", "reports it" are verbs; "reporting", "report" and a clause-final "reports"
    ("documented through Bloomberg reports.") are nouns."""
    if word.endswith("ing"):
        return False
    if word.endswith("ed") or (stem(word) != word and not word.endswith("s")):
        return True
    return word.endswith("s") and not word.endswith("ss") and bool(re.match(r"\s*\w", rest))


def _names_in(span: str, asked: set[str], doc_text: str) -> list[str]:
    """The names in a noun phrase. "X's Y lab" is X (a unit of X); "China's Alibaba" is Alibaba."""
    names = [n for n in extract_entities(span) if entity_key(n) and entity_key(n) not in asked]
    names = [n for n in names if not common_word(n, doc_text) and not re.fullmatch(r"[\d\s,.-]+", n)]
    out = []
    for n in names:
        owned = re.search(rf"['’]s\s+{re.escape(n)}\s*(\w+)?", span)
        owner = re.search(rf"{re.escape(n)}['’]s\s+[A-Z][\w&.-]*(?:\s+[A-Z][\w&.-]*)*\s*(\w+)?", span)
        if owned and (owned.group(1) or "").lower() in SUBJECT_HEADS:
            continue  # Alibaba's [Qwen] lab
        if owner and (owner.group(1) or "").lower() not in SUBJECT_HEADS:
            continue  # [China]'s Alibaba
        out.append(n)
    return out


_NAME = r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"


def _role_holders(text: str, question: Question) -> list[Value]:
    """The name a sentence puts in apposition to the asked role: "the chief information officer, Raymond
    Tull," / "chief information officer Raymond Tull" / "Raymond Tull, Westmoor's chief information officer"."""
    head = re.escape(question.role[-1])
    asked = {entity_key(e) for e in question.entities}
    for m in re.finditer(rf"\b{head}s?\b", text, re.I):
        near = text[max(0, m.start() - 60) : m.end()]
        if not all(re.search(rf"\b{re.escape(w)}", near, re.I) for w in question.role):
            continue
        after = re.match(rf",?\s+({_NAME})", text[m.end() :])
        before = re.search(rf"({_NAME}),\s+(?:[\w'’-]+\s+){{0,6}}$", text[: m.start()])
        for found in (after, before):
            names = [n for n in extract_entities(found.group(1)) if entity_key(n) not in asked] if found else []
            if names:
                return [Value(kind="who", text=names[0], label=entity_key(names[0]), names=names[:1])]
    return []


def who_values(text: str, question: Question, doc_text: str = "") -> list[Value]:
    """Names that are the subject (or, for "who did X accuse?", the object) of the question's verb, in the
    clause that has it: the noun phrase right before the verb, after it, or after "by" in the passive."""
    if question.role:
        return _role_holders(text, question)
    if question.verb is None:
        return []
    verbs = _verb_stems(question.verb)
    asked = {entity_key(e) for e in question.entities}
    out = []
    for clause in re.split(r"[;:]|\s[—–]\s", _clean(text)):
        for m in re.finditer(r"\b[a-z][a-z'-]+\b", clause):
            word = m.group()
            if stem(word) not in verbs or not _is_finite_verb(word, clause[m.end() :]):
                continue
            before, after = clause[: m.start()], clause[m.end() :]
            passive = re.search(r"\b(was|were|is|are|been|be)\s+(\w+ly\s+)?$", before)
            if question.asks_object:
                np = _NP_AFTER.match(after)
            elif passive or after.lstrip().startswith("by "):
                np = _NP_AFTER.match(after.lstrip()[3:]) if after.lstrip().startswith("by ") else None
            else:
                np = _NP_BEFORE.search(before)
            names = _names_in(np.group(1), asked, doc_text) if np else []
            if names:
                key = " | ".join(sorted({entity_key(n) for n in names}))
                out.append(Value(kind="who", text=", ".join(names), label=key, names=names))
                return out
    return out


# ------------------------------------------------------------------------------------------- per source
def _coverage(question: Question, text: str, idf: dict[str, float]) -> float:
    """How much of the question's wording (weighted by rarity) a sentence shares; the question's verb
    counts when the sentence has one of its aliases ("reported" for "broke")."""
    if not question.focus:
        return 0.0
    terms = content_terms(text)
    if question.verb and _verb_stems(question.verb) & {stem(w) for w in re.findall(r"[a-z]+", text.lower())}:
        terms = terms | {question.verb}
    weight = {t: idf.get(t, 1.0) for t in question.focus}
    return sum(w for t, w in weight.items() if t in terms) / (sum(weight.values()) or 1.0)


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in re.finditer(r"[:;]|\s[—–]\s", text):
        spans.append((start, m.start()))
        start = m.end()
    return [*spans, (start, len(text))]


def _pick_when(values: list[tuple[int, Value]], question: Question, text: str) -> Value | None:
    """The date nearest the question's words, in the same clause first; a period before a single date at
    a tie (and always, for "when did it happen / run")."""
    if not values:
        return None
    spots = [m.start() for m in re.finditer(r"[A-Za-z]+", text) if stem(m.group().lower()) in question.focus]
    if not spots:  # "... 28.8 million exchanges between April 22 and June 5": the period of what was asked
        return next((v for _, v in values if v.start != v.end), None) if wants_period(question) else None
    clause_of = _clauses(text)

    def clause(pos: int) -> int:
        return next(i for i, (a, b) in enumerate(clause_of) if a <= pos <= b)

    def distance(item: tuple[int, Value]) -> tuple[int, int]:
        pos, v = item
        near = min(abs(pos - s) + (0 if clause(pos) == clause(s) else 10_000) for s in spots)
        is_point = 0 if v.start != v.end else 1
        return (is_point, near) if wants_period(question) else (near, is_point)

    pos, value = min(values, key=distance)
    if not wants_period(question) and distance((pos, value))[0] > MAX_GAP:
        return None  # the nearest date is about something else in a long sentence
    return value


MAX_GAP = 120  # characters between a date and the question's nearest word in the same clause


def wants_period(question: Question) -> bool:
    """ "When did the campaign happen / run?" asks for a period, not the day it was reported."""
    return bool(set(question.focus) & PERIOD_VERBS)


PERIOD_VERBS = frozenset(stem(w) for w in WORDS["period_verbs"]["words"])


def read_value(question: Question, text: str, doc_text: str = "") -> Value | None:
    """The answer a sentence gives to a typed question, or None."""
    if question.kind == "count":
        found = count_values(text, question.unit, question.amount, question.focus)
        return found[0] if found else None
    if question.kind == "duration":
        spans = duration_values(text)
        return spans[0] if spans else None
    if question.kind == "when":
        return _pick_when(when_values(text), question, text)
    if question.kind == "who":
        found = who_values(text, question, doc_text)
        return found[0] if found else None
    if question.kind == "response":
        return response_value(text, question)
    return None


def response_value(text: str, question: Question) -> Value | None:
    """How the question's actor responded, when the sentence gives it one way only (the verifier's own reading:
    the actor named before the cue, the cue not hypothetical)."""
    kinds = responses_by(text, question.entities[0]) if question.entities else set()
    if len(kinds) != 1:
        return None
    (kind,) = kinds
    return Value(kind="response", text=RESPONSE_LABELS[kind], label=RESPONSE_LABELS[kind])


def source_answers(
    question: Question,
    evidence: list[Evidence],
    metas: dict[str, DocumentMeta],
    texts: dict[str, str] | None = None,
    idf: dict[str, float] | None = None,
    verifier: Callable[[str], ClaimRecord] | None = None,
) -> list[SourceAnswer]:
    """Each retrieved source's own answer. Typed questions read a value from the source's best sentence that
    has one (retrieval score plus how much of the question's wording it shares, which must be some);
    yes/no questions ask the verifier about the implied claim and take each source's stance and quote."""
    texts, idf = texts or {}, idf or {}
    docs = list(dict.fromkeys(e.sentence.doc_id for e in evidence))
    title = {d: metas[d].title if d in metas else "" for d in docs}
    if question.kind == "yesno":
        assert verifier is not None and question.claim is not None
        return _stance_answers(verifier(question.claim), docs, title)
    out = []
    for d in docs:
        best: tuple[float, SourceAnswer] | None = None
        for e in (e for e in evidence if e.sentence.doc_id == d):
            cov = _coverage(question, e.sentence.text, idf)
            rank = e.score + 0.3 * cov
            if question.kind == "other":
                if best is None or rank > best[0]:
                    best = (rank, SourceAnswer(doc_id=d, title=title[d], citation=e.citation(), reason="best sentence"))
                continue
            v = read_value(question, e.sentence.text, texts.get(d, ""))
            if v is None:
                continue
            period = v.kind == "when" and v.start != v.end and wants_period(question)
            exact_length = v.kind == "duration" and not v.label.startswith("about")
            too_little = cov == 0 or (question.kind == "when" and cov < WHEN_COVERAGE)
            if too_little and question.kind != "count" and not period and not exact_length:
                continue  # a date or a name in a sentence about something else
            rank += 0.5 * period
            if best is None or rank > best[0]:
                best = (rank, SourceAnswer(doc_id=d, title=title[d], value=v, citation=e.citation(), reason="read"))
        out.append(best[1] if best else SourceAnswer(doc_id=d, title=title[d], reason="no sentence answers it"))
    return out


def _stance_answers(record: ClaimRecord, docs: list[str], title: dict[str, str]) -> list[SourceAnswer]:
    by_doc = {s.doc_id: s for s in record.sources}
    out = []
    for d in dict.fromkeys([*docs, *by_doc]):
        s = by_doc.get(d)
        if s is None or s.stance == "neutral" or not s.citations:
            out.append(SourceAnswer(doc_id=d, title=title.get(d, "") or (s.title if s else ""), reason="silent"))
            continue
        yes = s.stance == "supports"
        v = Value(kind="yesno", text=s.citations[0].quote, label="yes" if yes else "no", stance="yes" if yes else "no")
        out.append(SourceAnswer(doc_id=d, title=s.title, value=v, citation=s.citations[0], reason=s.reason))
    return out


# ------------------------------------------------------------------------------------------- grouping
def same_answer(a: Value, b: Value) -> bool:
    """Are two answers the same once normalised? Figures within 2%, dates one inside the other, the same
    set of names, the same stance."""
    if a.kind != b.kind:
        return False
    if a.kind == "count":
        assert a.number is not None and b.number is not None
        return abs(a.number - b.number) <= 0.02 * max(a.number, b.number)
    if a.kind == "duration":
        assert a.number is not None and b.number is not None
        return abs(a.number - b.number) <= DURATION_TOLERANCE * max(a.number, b.number)
    if a.kind == "when":
        return dates_compatible(a, b)
    return a.label == b.label


def _specificity(v: Value) -> tuple[float, int]:
    if v.kind == "when":
        assert v.start is not None
        return float(_width(v)), 0 if v.start.year else 1
    if v.kind == "count":
        return 0.0, -len(re.sub(r"\D", "", v.text))  # "25,000" over "25K"
    return 0.0, 0


def _with_year(rep: Value, other: Value) -> Value:
    """A year-less date ("February 23") takes the year of a compatible answer in its group ("February 2026")."""
    if rep.kind != "when" or rep.start is None or rep.end is None or rep.start.year or other.start is None:
        return rep
    year = other.start.year or (other.end.year if other.end else None)
    if year is None:
        return rep
    start, end = rep.start.model_copy(update={"year": year}), rep.end.model_copy(update={"year": rep.end.year or year})
    return rep.model_copy(update={"start": start, "end": end, "label": _date_label(start, end)})


def group_answers(question: Question, answers: list[SourceAnswer], exclude: Iterable[str] = ()) -> GroupedAnswer:
    """Group the sources by answer (the most specific value represents each group), largest group first."""
    excluded = sorted(set(exclude))
    kept = [a for a in answers if a.doc_id not in excluded]
    with_value = sorted((a for a in kept if a.value is not None), key=lambda a: _specificity(a.value))  # type: ignore[arg-type]
    groups: list[AnswerGroup] = []
    for a in with_value:
        assert a.value is not None and a.citation is not None
        home = next((g for g in groups if same_answer(g.value, a.value)), None)
        if home is None:
            groups.append(AnswerGroup(label=a.value.label, value=a.value, doc_ids=[a.doc_id], citations=[a.citation]))
        else:
            home.doc_ids.append(a.doc_id)
            home.citations.append(a.citation)
            home.value = _with_year(home.value, a.value)
            home.label = home.value.label
    groups.sort(key=lambda g: (-len(g.doc_ids), g.doc_ids[0]))
    silent = [a.doc_id for a in kept if a.value is None and question.kind != "other"]
    out = GroupedAnswer(
        question=question.text,
        kind=question.kind,
        claim=question.claim,
        groups=groups,
        silent=silent,
        differ=len(groups) > 1,
        sources=kept,
        excluded=excluded,
        citations=[c for g in groups for c in g.citations] or [a.citation for a in kept if a.citation][:3],
    )
    out.summary = summarise(out)
    out.text = render_text(out)
    return out


def _ids(ids: list[str]) -> str:
    return ", ".join(ids)


def _shown(g: AnswerGroup, kind: AnswerKind) -> str:
    if kind == "yesno":
        return g.label
    if kind == "who":
        return " and ".join(g.value.names)
    if kind in ("count", "duration") and re.sub(r"\W", "", g.value.text) != re.sub(r"\W", "", g.label):
        return f"{g.label} (“{g.value.text}”)"
    return g.value.label


def summarise(answer: GroupedAnswer) -> str:
    """One plain sentence: the answer all answering sources share, or where they differ; who is silent."""
    kind = answer.kind
    on = f" on “{answer.claim}”" if kind == "yesno" else ""
    if kind == "other":
        return (
            "The sources' closest sentences:" if answer.citations else "None of the sources says anything about that."
        )
    if not answer.groups:
        return "None of the sources answers that."
    quiet = (
        f" {_ids(answer.silent)} {'says' if len(answer.silent) == 1 else 'say'} nothing about it."
        if answer.silent
        else ""
    )
    if not answer.differ:
        g = answer.groups[0]
        who = "The one source that answers" if len(g.doc_ids) == 1 else f"All {len(g.doc_ids)} sources that answer"
        return f"{who} ({_ids(g.doc_ids)}) {'says' if len(g.doc_ids) == 1 else 'agree'}{on}: {_shown(g, kind)}.{quiet}"
    parts = [f"{_shown(g, kind)} according to {_ids(g.doc_ids)}" for g in answer.groups]
    return f"The sources differ{on}: {'; '.join(parts)}.{quiet}"


def render_text(answer: GroupedAnswer) -> str:
    lines = [answer.summary]
    by_doc = {s.doc_id: s for s in answer.sources}
    for g in answer.groups:
        for d, c in zip(g.doc_ids, g.citations, strict=True):
            lines.append(f"  {g.label} — {d} ({by_doc[d].title[:60]}): “{c.quote.strip()}”")
    if answer.kind == "other":
        lines += [f"  “{c.quote.strip()}” [{c.doc_id}]" for c in answer.citations]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- wiring
_NUMBERS = re.compile(r"\d[\d,.]*")


def phrase(answer: GroupedAnswer, llm_stage: Callable[..., tuple[Phrasing, LLMUsage]]) -> GroupedAnswer:
    """Let a configured LLM reword the summary from the computed groups' quotes. A wording with a figure
    that is not in the computed summary or the quotes is refused: the values stay computed."""
    if not answer.groups:
        return answer
    evidence = [
        Evidence(sentence=Sentence(doc_id=c.doc_id, chunk_id=c.chunk_id, start=c.start, end=c.end, text=c.quote))
        for c in answer.citations
    ]
    prompt = f"{answer.question}\n(Rephrase, keeping every value and source id: {answer.summary})"
    out, usage = llm_stage("answer", (prompt, evidence), lambda: Phrasing(text=answer.summary))
    allowed = set(_NUMBERS.findall(answer.summary + " ".join(c.quote for c in answer.citations)))
    ok = out.text.strip() and set(_NUMBERS.findall(out.text)) <= allowed
    ok = ok and all(d in out.text for g in answer.groups for d in g.doc_ids)
    update: dict[str, Any] = {"llm": usage}
    if ok and out.text.strip() != answer.summary:
        update["summary"] = out.text.strip()
    updated = answer.model_copy(update=update)
    updated.text = render_text(updated)
    return updated


def answer_question(
    services: Any, text: str, previous: Question | None = None, exclude: Iterable[str] = ()
) -> GroupedAnswer:
    """What chat, `crosscheck ask` and the eval call: retrieve, read every source's answer, group them."""
    from agent.app.verify import verify_claim
    from agent.pipeline.nodes.retrieve import retrieve

    question = parse_question(text, previous)
    answer, _ = answer_parsed(services, question, exclude, verify_claim, retrieve)
    return answer


def answer_parsed(
    services: Any,
    question: Question,
    exclude: Iterable[str],
    verify: Callable[..., ClaimRecord],
    retrieve: Callable[..., list[Evidence]],
) -> tuple[GroupedAnswer, list[SourceAnswer]]:
    """`answer_question` for a parsed question; also returns every source's answer before exclusion."""
    index = services.index()
    excluded = set(exclude)
    every_sentence = services.settings.retrieval.model_copy(update={"per_doc": 100_000})
    evidence = retrieve(question.query, index, services.store, services.embedder, every_sentence)
    evidence = [e for e in evidence if e.sentence.doc_id not in excluded]

    def verifier(claim: str) -> ClaimRecord:
        record = verify(services, claim, "ask")
        return without_sources(record, excluded)

    answers = source_answers(question, evidence, index.metas, index.texts, services.idf(), verifier)
    grouped = group_answers(question, answers, excluded)
    if question.kind == "other":  # a free question: the configured LLM may answer from the evidence, citing it
        free, usage = services.llm_stage("answer", (question.query, evidence), lambda: grouped)
        return free.model_copy(update={"llm": usage}), answers
    return phrase(grouped, services.llm_stage), answers


def without_sources(record: ClaimRecord, exclude: Iterable[str]) -> ClaimRecord:
    """The verdict the other sources give: each source's stance is its own, so dropping one and re-aggregating
    is the re-check without it (compound claims are recombined part by part)."""
    from agent.pipeline.nodes.verdict import aggregate, combine, merge_sources

    drop = set(exclude)
    if not drop:
        return record
    if not record.subclaims:
        v = aggregate([s for s in record.sources if s.doc_id not in drop])
        return record.model_copy(
            update={
                "label": v.label,
                "confidence": v.confidence,
                "rationale": v.rationale,
                "sources": v.sources,
                "citations": v.citations,
            }
        )
    subs = [without_sources(s, drop) for s in record.subclaims]
    from agent.schemas import Verdict

    label, conf, why = combine(
        [Verdict(label=s.label, confidence=s.confidence, rationale=s.rationale, sources=s.sources) for s in subs]
    )
    return record.model_copy(
        update={
            "label": label,
            "confidence": conf,
            "rationale": why,
            "subclaims": subs,
            "sources": merge_sources([s.sources for s in subs]),
            "citations": [c for s in subs for c in s.citations],
        }
    )
