"""extract: the facts that decide verdicts in news — quantities, durations, dates, actors, negation, attribution.

The same extractor runs over the claim and over every evidence sentence, so the
cross-check compares like with like.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from agent.data.corpus import MONTH_ABBREVS, MONTHS
from agent.text import STOPWORDS, content_terms, stem

SCALE = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "mio": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "a dozen": 12,
    "dozen": 12,
    "a hundred": 100,
    "hundred": 100,
    "a few": 3,
    "several": 3,
    "half a": 0.5,
    "a couple of": 2,
    "a": 1,
    "an": 1,
}
UNIT_DAYS = {
    "day": 1,
    "days": 1,
    "week": 7,
    "weeks": 7,
    "month": 30.4,
    "months": 30.4,
    "year": 365,
    "years": 365,
    "hour": 1 / 24,
    "hours": 1 / 24,
}
APPROX_CUES = (
    "about",
    "around",
    "approximately",
    "roughly",
    "nearly",
    "almost",
    "some",
    "~",
    "circa",
    "close to",
    "an estimated",
    "estimated",
    "just under",
    "just over",
    "approx",
    "upwards of",
)
MORE_CUES = (
    "more than",
    "over",
    "at least",
    "upwards of",
    "in excess of",
    "exceeding",
    "above",
    "north of",
    "just over",
)
LESS_CUES = ("less than", "fewer than", "under", "below", "almost", "nearly", "just under", "up to", "at most")

NEGATION = re.compile(
    r"\b(not|no|never|none|neither|nor|without|n't|cannot|denied|denies|deny|declined|refused|failed to|"
    r"has yet to|have yet to|had yet to|yet to|absent|lack|lacks|lacked)\b|n't\b",
    re.I,
)
HEDGE = re.compile(
    r"\b(expected to|likely to|may|might|could|would|possibly|perhaps|if|whether|reportedly plans?|"
    r"is set to|plans? to|aims? to|rumou?red|speculat\w*)\b",
    re.I,
)
ATTRIBUTION = re.compile(
    r"\b(?i:according to|as reported by|citing|per)\s+((?:the\s+)?[A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*)*)|"
    r"((?:the\s+)?[A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*)*)\s+(?:says?|said|reported|reports|claims?|claimed|told|"
    r"wrote|alleges?|alleged|notes?|noted|confirmed|stated)\b"
)
RESPONSE_CLASSES: dict[str, re.Pattern[str]] = {
    "deny": re.compile(
        r"\b(den(y|ies|ied|ying|ial)|reject(s|ed)?|rebut(s|ted)?|refut(e|es|ed)|dismiss(es|ed)?|"
        r"disputed|disputes (the|this|these|that|those|its|their)|rebuttal|push(ed)? back)\b",
        re.I,
    ),
    "no_response": re.compile(
        r"\b(declin(ed|es) to comment|did not (respond|reply|comment|return|say|speak)|"
        r"(has|had) not (yet )?(responded|commented|issued|posted|returned|replied|made|said|spoken|released|"
        r"addressed)|have not (yet )?(responded|commented)|not (yet )?(been )?made public|"
        r"no (public )?(statement|comment|response)|not respond(ed)?|silent|silence|without comment|"
        r"(did|does) not (immediately )?(respond|comment)|yet to (respond|comment)|not returned|unanswered|pending)\b",
        re.I,
    ),
    "confirm": re.compile(r"\b(confirm(s|ed)?|admit(s|ted)?|acknowledg(e|es|ed)|conced(e|es|ed))\b", re.I),
}


class Quantity(BaseModel):
    value: float
    text: str
    unit: list[str] = Field(default_factory=list, description="stems of the words right after the number")
    approx: bool = False
    bound: Literal["more", "less"] | None = None
    relative: bool = Field(False, description="a difference or a rate (1,000 more than; 1,150 per account)")
    currency: str = Field("", description="$, € or £ when the figure is money")
    start: int = 0


class Duration(BaseModel):
    days: float
    text: str
    approx: bool = False
    start: int = 0


class DateMention(BaseModel):
    year: int | None = None
    month: int | None = None
    day: int | None = None
    text: str
    start: int = 0

    def granularity(self) -> int:
        return (self.year is not None) + (self.month is not None) + (self.day is not None)


class Features(BaseModel):
    """What the offline checks compare between a claim and a sentence."""

    text: str
    quantities: list[Quantity] = Field(default_factory=list)
    durations: list[Duration] = Field(default_factory=list)
    dates: list[DateMention] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list, description="capitalised names, as written")
    negated: bool = False
    hedged: bool = False
    attribution: list[str] = Field(default_factory=list)
    responses: list[str] = Field(default_factory=list, description="deny / no_response / confirm cues")
    terms: set[str] = Field(default_factory=set)

    def entity_keys(self) -> set[str]:
        return {entity_key(e) for e in self.entities}


_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_SCALE = r"(?:\s*(?P<scale>thousand|million|billion|trillion|mn|bn|tn|mio|[kKmMbB])\b)?"
# not a digit inside a name or code ("Th2 cells", "rs647161", "GPT-5")
QUANTITY_RE = re.compile(r"(?<![A-Za-z\d.,])(?P<pre>[~≈]|[$€£])?" + _NUM + _SCALE + r"(?P<plus>\+)?", re.I)
_CURRENCY_WORDS = {stem(w): c for w, c in (("dollar", "$"), ("euro", "€"), ("pound", "£"))}  # by unit stem
# unit abbreviations, as the stems of the words they stand for ("a 40-gigabyte sample" = "40 GB")
UNIT_ALIASES = {
    "KB": "kilobyte", "MB": "megabyte", "GB": "gigabyte", "TB": "terabyte", "PB": "petabyte", "km": "kilometre",
    "kilometer": "kilometre", "mi": "mile", "kg": "kilogram", "lb": "pound", "lbs": "pound", "ft": "feet",
    "cm": "centimetre", "mm": "millimetre", "kW": "kilowatt", "MW": "megawatt", "GW": "gigawatt",
}  # fmt: skip
_WORDNUM_RE = re.compile(
    r"\b(?P<w>" + "|".join(sorted((re.escape(k) for k in NUMBER_WORDS), key=len, reverse=True)) + r")\s+"
    r"(?P<unit>days?|weeks?|months?|years?|hours?)\b",
    re.I,
)
_DURATION_RE = re.compile(r"(?P<num>\d+(?:\.\d+)?)[\s-]*(?P<unit>days?|weeks?|months?|years?|hours?)\b", re.I)
_MONTH = "|".join(sorted([*MONTHS, *MONTH_ABBREVS], key=len, reverse=True))
_MONTH_IDX = {**MONTHS, **MONTH_ABBREVS}
_ORDINALS = {
    w: i + 1
    for i, w in enumerate(
        ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
         "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
         "twentieth")
    )  # fmt: skip
} | {f"twenty-{w}": 20 + i for w, i in (("first", 1), ("second", 2), ("third", 3), ("fourth", 4), ("fifth", 5),
        ("sixth", 6), ("seventh", 7), ("eighth", 8), ("ninth", 9))} | {"thirtieth": 30, "thirty-first": 31}  # fmt: skip
_ORDINAL = "|".join(sorted(_ORDINALS, key=len, reverse=True))
DATE_RES = [
    (re.compile(r"\b(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)"), "ymd"),
    (re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日)?"), "ymd"),
    (
        re.compile(
            rf"\b(?P<M>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>(?:19|20)\d{{2}})\b)?", re.I
        ),
        "Mdy",
    ),
    (
        re.compile(
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<M>{_MONTH})\b\.?(?:,?\s+(?P<y>(?:19|20)\d{{2}})\b)?",
            re.I,
        ),
        "dMy",
    ),
    (
        re.compile(
            rf"\b(?:the\s+)?(?P<dw>{_ORDINAL})(?![-\w])\s+of\s+(?P<M>{_MONTH})\b\.?(?:,?\s+(?P<y>(?:19|20)\d{{2}})\b)?",
            re.I,
        ),
        "dMy",
    ),
    (
        re.compile(
            rf"\b(?P<M>{_MONTH})\.?\s+(?:the\s+)?(?P<dw>{_ORDINAL})(?![-\w])(?:,?\s+(?P<y>(?:19|20)\d{{2}})\b)?", re.I
        ),
        "Mdy",
    ),
    (re.compile(rf"\b(?P<M>{_MONTH})\.?,?\s+(?:of\s+)?(?P<y>(?:19|20)\d{{2}})\b", re.I), "My"),
    (
        re.compile(
            rf"\b(?:in|since|until|by|early|late|mid|mid-|during|of|from|through|to|and|between|throughout|last|this|next)\s*-?\s*(?P<M>{'|'.join(MONTHS)})\b(?!\s+\d)",
            re.I,
        ),
        "M",
    ),
    # a month as a modifier: "the June accusation", "Anthropic's February disclosure" (not the verb "may")
    (
        re.compile(
            r"\b(?P<M>January|February|March|April|June|July|August|September|October|November|December)"
            r"(?=\s+[a-z]{3,})(?!\s+(?:of|and|or|to|in|on|at|for|the)\b)"
        ),
        "M",
    ),
    (re.compile(r"(?<![\d,.$-])\b(?P<y>(?:19|20)\d{2})\b(?![\d%-]|[.,]\d)"), "y"),
]
_ENTITY_RE = re.compile(
    r"\b(?:[A-Z][a-zA-Z0-9&'’.-]*[a-zA-Z0-9]|[A-Z])(?:\s+(?:of\s+|de\s+|the\s+)?(?:[A-Z][a-zA-Z0-9&'’.-]*[a-zA-Z0-9]|AI))*"
)
_NOT_ENTITY = (
    {w.capitalize() for w in STOPWORDS}
    | {m.capitalize() for m in _MONTH_IDX}
    | {
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        # weekday abbreviations ("Mon, Sept 21"); not "Sun", which is also a name
        "Mon",
        "Tue",
        "Tues",
        "Wed",
        "Thu",
        "Thur",
        "Thurs",
        "Fri",
        "Sat",
        "TL",
        "DR",
        "The",
        "A",
        "An",
        "In",
        "On",
        "At",
        "As",
        "It",
        "Its",
        "This",
        "That",
        "These",
        "Those",
        "He",
        "She",
        "They",
        "We",
        "I",
        "You",
        "What",
        "Why",
        "How",
        "Who",
        "When",
        "Where",
        "Here",
        "There",
        "If",
        "But",
        "And",
        "Or",
        "So",
        "Yet",
        "Not",
        "Nearly",
        "Almost",
        "About",
        "Roughly",
        "Approximately",
        "Over",
        "More",
        "Less",
        "Some",
        "Both",
        "Each",
        "Like",
        "Unlike",
        "While",
        "After",
        "Before",
        "Since",
        "Until",
        "During",
        "Between",
        "According",
        "Per",
    }
)


def entity_key(name: str) -> str:
    """`Alibaba's Qwen lab` → `alibaba qwen`: a comparable key for a name."""
    words = [stem(w) for w in re.split(r"[\s'’-]+", name) if w and w.lower() not in STOPWORDS and w.lower() != "s"]
    return " ".join(words)


def _cue_before(text: str, start: int, cues: tuple[str, ...]) -> bool:
    window = text[max(0, start - 22) : start].lower()
    return any(re.search(rf"(^|\W){re.escape(c)}\W*$", window) for c in cues)


def _unit_after(text: str, end: int) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", re.split(r"[,.;:()\[\]]", text[end : end + 60])[0])[:4]
    unit: list[str] = []
    for w in words:
        if w.lower() in (
            "and",
            "or",
            "in",
            "on",
            "at",
            "from",
            "to",
            "by",
            "over",
            "between",
            "during",
            "through",
            "via",
            "across",
            "with",
            "for",
            "than",
            "that",
            "which",
        ):
            break
        if w in UNIT_ALIASES:
            unit.append(stem(UNIT_ALIASES[w]))
            continue
        if w[0].isupper() and unit == [] and len(w) > 1:
            continue  # a name before the noun ("28.8 million Claude exchanges") is not the unit
        if w.lower() not in STOPWORDS:
            unit.append(stem(w))
    return unit[:3]


_UNITS_W = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS_W = {
    w: 10 * (i + 2)
    for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])
}
_SCALE_W = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_WORD = "|".join([*_TENS_W, *_UNITS_W, *_SCALE_W, "a"])
_WORD_QUANTITY = re.compile(rf"\b(?:{_WORD})(?:[\s-]+(?:and\s+)?(?:{_WORD}))*\b", re.I)


def _word_value(words: list[str]) -> float | None:
    total, current = 0.0, 0.0
    for w in words:
        if w in _UNITS_W:
            current += _UNITS_W[w]
        elif w in _TENS_W:
            current += _TENS_W[w]
        elif w == "a":
            current += 1
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _SCALE_W:
            total += (current or 1) * _SCALE_W[w]
            current = 0.0
    value = total + current
    return value or None


def _hedges(
    text: str, start: int, tilde: bool = False, plus: bool = False
) -> tuple[bool, Literal["more", "less"] | None]:
    """Is the figure written at `start` approximate ("about", "~"), and is it a bound ("over", "25,000+",
    "almost")?"""
    approx = tilde or _cue_before(text, start, APPROX_CUES)
    if plus or _cue_before(text, start, MORE_CUES):
        return approx, "more"
    return approx, "less" if _cue_before(text, start, LESS_CUES) else None


def _word_quantities(text: str) -> list[Quantity]:
    """Figures written in words: "twenty-five thousand accounts", "two million exchanges"."""
    out = []
    for m in _WORD_QUANTITY.finditer(text):
        words = [w.lower() for w in re.split(r"[\s-]+", m.group()) if w.lower() != "and"]
        while words and words[0] == "a" and len(words) > 1 and words[1] not in _SCALE_W:
            words = words[1:]
        if not words or words[0] in _SCALE_W:
            continue  # "28.8 million": the scale of a figure written in digits
        value = _word_value(words)
        if value is None or (value < 10 and not any(w in _SCALE_W for w in words)) or words == ["a"]:
            continue  # "one report", "two labs": too common to be a figure worth checking
        unit = _unit_after(text, m.end())
        if unit and unit[0] in ("day", "week", "month", "year", "hour", "percent", "%"):
            continue
        approx, bound = _hedges(text, m.start())
        out.append(Quantity(value=value, text=m.group(), unit=unit, approx=approx, bound=bound, start=m.start()))
    return out


def extract_quantities(text: str) -> list[Quantity]:
    out = _word_quantities(text)
    for m in QUANTITY_RE.finditer(text):
        raw = m.group("num")
        if re.fullmatch(r"(19|20)\d{2}", raw) and not m.group("scale"):
            continue  # a year
        before = text[max(0, m.start() - 1) : m.start()]
        after = text[m.end() : m.end() + 1]
        if before in "-:/" and before or after in ("-", ":", "/") and re.match(r"\d", text[m.end() + 1 : m.end() + 2]):
            continue  # dates like 2026-06-24, times like 23:00
        percent = _PERCENT.match(text, m.end())
        if (
            not m.group("scale")
            and not percent
            and re.search(r"\b[A-Z][\w.-]*[ -]$", text[max(0, m.start() - 20) : m.start()])
            and "," not in raw
            and float(raw) < 100
        ):
            continue  # part of a name: "Fable 5", "GPT-5.6", "Qwen 3"
        value = float(raw.replace(",", ""))
        scale = (m.group("scale") or "").lower()
        if scale:
            value *= SCALE[scale]
        unit = [] if percent else _unit_after(text, m.end())
        if unit and unit[0] in ("day", "week", "month", "year", "hour"):
            continue  # durations are their own slot
        if _MONTH_NEAR.search(text[max(0, m.start() - 12) : m.start()]) and value <= 31 and not scale:
            continue  # the day of a date
        approx, bound = _hedges(text, m.start(), tilde=m.group("pre") in ("~", "≈"), plus=bool(m.group("plus")))
        # a percentage is compared like a sum of money: with any percentage to state the figure, and only with
        # one the same word governs ("fell 11%" / "fell 8 percent") to contradict it
        currency = "%" if percent else m.group("pre") if m.group("pre") in ("$", "€", "£") else ""
        currency = currency or (_CURRENCY_WORDS.get(unit[0], "") if unit else "")
        relative = bool(
            re.match(
                r"\s+(?:\w+\s+){0,2}(more|fewer|less|greater|higher|lower)\b(?!\s+than\s+\d)",
                text[m.end() : m.end() + 40],
            )
            or re.search(
                r"\b(each|per|average|averaging|times|double|half)\b", text[max(0, m.start() - 30) : m.end() + 40]
            )
            # a part of a figure ("most of the 16 million") is not the figure
            or re.search(
                r"\b(most|majority|half|part|portion|share|fraction|third|quarter|bulk|all|none)\s+of\s+"
                r"(the\s+|its\s+|their\s+|those\s+|these\s+)?[~≈$]?$",
                text[max(0, m.start() - 30) : m.start()],
                re.I,
            )
        )
        out.append(
            Quantity(
                value=value,
                text=text[m.start() : percent.end()] if percent else m.group(),
                unit=unit,
                approx=approx,
                bound=bound,
                relative=relative,
                currency=currency,
                start=m.start(),
            )  # fmt: skip
        )
    return out


_PERCENT = re.compile(r"\s*(?:%|percent\b|per\s+cent\b|pct\b)", re.I)
_MONTH_NEAR = re.compile(rf"\b({_MONTH})\.?\s*$", re.I)


_RELATIVE_SPAN = re.compile(
    r"\s+(?:after|before|later|earlier|ago|since|from)\b|\s+of\s+(?:the|a|an|its|their|his|her)\b", re.I
)


def extract_durations(text: str) -> list[Duration]:
    """Durations of something ("six weeks", "44 days"); a gap ("within a day of", "two weeks after")
    is not one."""
    return [
        d
        for d in _durations(text)
        if not _RELATIVE_SPAN.match(text, d.start + len(d.text)) and not _cue_before(text, d.start, ("within",))
    ]


def _durations(text: str) -> list[Duration]:
    out = []
    for m in _DURATION_RE.finditer(text):
        n = float(m.group("num"))
        out.append(
            Duration(
                days=n * UNIT_DAYS[m.group("unit").lower()],
                text=m.group(),
                start=m.start(),
                approx=_cue_before(text, m.start(), APPROX_CUES) or "~" in text[max(0, m.start() - 2) : m.start()],
            )
        )
    for m in _WORDNUM_RE.finditer(text):
        word = m.group("w").lower()
        if word in VAGUE_NUMBER_WORDS:
            continue  # "a few months", "several weeks": no value to check, so no precise duration
        n = NUMBER_WORDS[word]
        half = _AND_A_HALF.match(text, m.end())  # "a month and a half", "two weeks and a half"
        out.append(
            Duration(
                days=(n + (0.5 if half else 0.0)) * UNIT_DAYS[m.group("unit").lower()],
                text=text[m.start() : half.end()] if half else m.group(),
                start=m.start(),
                approx=_cue_before(text, m.start(), APPROX_CUES),
            )
        )
    return out


VAGUE_NUMBER_WORDS = frozenset({"a few", "several", "a couple of"})
_AND_A_HALF = re.compile(r"\s+and\s+a\s+half\b", re.I)


# a news dateline: "ARDMOOR, Halvern, March 12 (Halvern Press Wire) - ", "WASHINGTON, June 24 (Reuters) — ": the
# place in capitals, a comma, and up to a dash; its date is when the story was filed, not when anything in it happened
_DATELINE = re.compile(r"\s*[A-Z][A-Z.'’-]{2,}(?:\s[A-Z][A-Z.'’-]+)*,[^\n]{0,70}?\s(?:-{1,2}|–|—)\s")


def extract_dates(text: str) -> list[DateMention]:
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    dateline = head.end() if (head := _DATELINE.match(text)) else 0
    for pattern, kind in DATE_RES:
        for m in pattern.finditer(text):
            s, e = m.span()
            if s < dateline:
                continue
            if kind == "M":
                s = m.start("M")
            if any(s < te and ts < e for ts, te in taken):
                continue
            g = m.groupdict()
            month = _MONTH_IDX[g["M"].lower()] if g.get("M") else (int(g["m"]) if g.get("m") else None)
            day = int(g["d"]) if g.get("d") else _ORDINALS.get((g.get("dw") or "").lower())
            year = int(g["y"]) if g.get("y") else None
            if day is not None and not 1 <= day <= 31 or month is not None and not 1 <= month <= 12:
                continue
            if kind == "M" and g["M"].lower() == "may":
                continue  # the modal verb
            taken.append((s, e))
            found.append(DateMention(year=year, month=month, day=day, text=text[s:e], start=s))
    # "between April and June 2026": a trailing year applies to the months before it
    found.sort(key=lambda d: d.start)
    for i, d in enumerate(found):
        if d.year is None and d.month is not None:
            for nxt in found[i + 1 : i + 3]:
                if nxt.year is not None and nxt.start - (d.start + len(d.text)) < 30:
                    d.year = nxt.year
                    break
    return found


_VERSION = re.compile(
    r"[ -](\d{1,2}(?:\.\d+)?)\b(?![,.]?\d)"
    r"(?!\s*(?:(?:thousand|million|billion|trillion|k|m|bn|percent|days?|weeks?|months?|years?|hours?)\b|%|[-–]\s*\d))",
    re.I,
)


def extract_entities(text: str) -> list[str]:
    out: list[str] = []
    for m in _ENTITY_RE.finditer(text):
        name = re.sub(r"['’]s$", "", m.group().strip(".'’-"))
        name = re.sub(r"-(linked|tied|backed|based|affiliated|led|owned|related|funded)$", "", name)
        words = name.split()
        while words and words[0] in _NOT_ENTITY:
            words = words[1:]
        while words and words[-1] in _NOT_ENTITY:
            words = words[:-1]
        name = " ".join(words)
        if not name or name in _NOT_ENTITY or len(name) < 2:
            continue
        version = _VERSION.match(text, m.end())
        if version and words and m.group().rstrip().endswith(words[-1]) and float(version.group(1)) < 100:
            name = f"{name} {version.group(1)}"  # "Qwen 3.5", "GPT 5": a model is named with its version
        for part in re.split(r"['’]s\s+|\s+(?:of|de|the)\s+" if len(words) > 3 else r"['’]s\s+", name):
            if part and part not in out:
                out.append(part)
    return out


def extract_features(text: str) -> Features:
    return Features(
        text=text,
        quantities=extract_quantities(text),
        durations=extract_durations(text),
        dates=extract_dates(text),
        entities=extract_entities(text),
        negated=bool(NEGATION.search(text)),
        hedged=bool(HEDGE.search(text)),
        attribution=[next(g for g in m.groups() if g) for m in ATTRIBUTION.finditer(text)],
        responses=[k for k, p in RESPONSE_CLASSES.items() if p.search(text)],
        terms=content_terms(text),
    )


def extract(claim: str, sentences: list[str], cache: dict[str, Features] | None = None) -> dict[str, Any]:
    """Features for the claim and every distinct evidence sentence (memoised in `cache`)."""
    cache = {} if cache is None else cache
    for s in [claim, *sentences]:
        if s not in cache:
            cache[s] = extract_features(s)
    return {"claim": cache[claim], "sentences": {s: cache[s] for s in sentences}}
