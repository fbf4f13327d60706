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
from typing import Any

from agent.pipeline.nodes import checks
from agent.pipeline.nodes.checks import quotes
from agent.pipeline.nodes.checks.base import (
    NOTABLE_IDF,
    _durations_of,
    _is_rare,
    _mentions,
    common_word,
    make_context,
)
from agent.pipeline.nodes.checks.base import _negated_near as _negated_near  # re-exported: tests
from agent.pipeline.nodes.checks.base import coverage as coverage
from agent.pipeline.nodes.checks.base import main_verb as main_verb
from agent.pipeline.nodes.checks.base import predicate_terms as predicate_terms
from agent.pipeline.nodes.checks.base import without_common_words as without_common_words
from agent.pipeline.nodes.extract import Features, entity_key, extract_features
from agent.pipeline.nodes.reasoning import (
    Relation,
    as_evidence,
    known_features,
    parse_period,
    parse_relation,
    period_finding,
    relation_finding,
)
from agent.pipeline.nodes.voters import Thresholds, Vote, decide, model_vote
from agent.schemas import Evidence, Sentence, SourceStance, Stance
from agent.text import LIGHT_VERBS

# checks that compare values parsed on both sides (the rest — name substitution, negation, pending status,
# shared wording — are soft votes: they decide only with `stance.soft`, or in `rules` mode)
PRECISE_CHECKS = frozenset({"figure", "duration", "date", "response", "actor", "title", "period"})


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


def sentence_signal(
    claim: Features,
    ev: Evidence,
    sent: Features,
    idf: dict[str, float],
    doc_entities: set[str] | None = None,
    doc_text: str = "",
) -> Signal | None:
    """One sentence's signal: the checks in `agent.pipeline.nodes.checks`, in order, combined. A refutation from
    a slot or name check wins (the strongest); else negation or pending status decide; else the
    sentence supports when it says enough of the claim, or is neutral holding the facts it states."""
    ctx = make_context(claim, ev, sent, idf, doc_entities, doc_text)
    if ctx is None:
        return None
    fig, dur, dat, resp, act, tit = (check(ctx) for check in checks.SLOT_CHECKS)
    results = [fig, dur, dat, resp, act, tit]
    if not any(r.refutes for r in results):
        results += [check(ctx) for check in checks.NAME_CHECKS]
    support_slots = sum(r.slots for r in results)
    matched = {k for r in results for k in r.matched}
    conflicts = [c for r in results for c in r.conflicts]
    refutes = [x for r in results for x in r.refutes]
    slot_info: dict[str, Any] = {"matched": frozenset(matched), "conflicts": tuple(conflicts)}
    if refutes:
        strength, why, kind = max(refutes)
        return Signal(
            "refutes", strength * min(1.0, 0.4 + ctx.coverage), why, ev, -1 if conflicts else 0, **slot_info, kind=kind
        )
    for check in checks.DECIDING_CHECKS:
        if decided := check(ctx).refutes:
            return Signal("refutes", decided[0].strength, decided[0].reason, ev)  # a soft vote: no kind

    pcov, missing_rare = ctx.pcov, ctx.missing_rare
    quoted = quotes.check(ctx)
    if quoted is False:
        return Signal("neutral", 0.0, "", ev, support_slots, **slot_info) if matched else None
    if quoted:
        support_slots += 1
    # a sentence that states one of the claim's figures without saying the claim still counts, for
    # the document, as the source stating that figure
    weak = Signal("neutral", 0.0, "", ev, support_slots, **slot_info) if matched and not ctx.other_subject else None
    if ctx.absent:
        return weak  # the claim names someone this source never mentions
    responded = resp.decisive and not missing_rare  # "the Qwen team rebutted it on X" is more than "Alibaba denies"
    # the same actor doing the claim's deed ("Bloomberg broke it") is most of what a who-did-it claim says
    did_it = act.decisive and pcov >= 0.2 and not missing_rare
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
        and verb not in ctx.sent.terms
        and verb in ctx.pterms
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
    with known_features(features):  # the reasoning rules read the features extract already computed
        return _stances(claim, evidence, idf, features, metas, doc_texts, doc_sentences, probs, thresholds, use_checks)


def _stances(
    claim: str,
    evidence: list[Evidence],
    idf: dict[str, float],
    features: dict[str, Features],
    metas: dict[str, Any] | None,
    doc_texts: dict[str, str] | None,
    doc_sentences: dict[str, list[Sentence]] | None,
    probs: dict[str, tuple[float, float, float]] | None,
    thresholds: Thresholds | None,
    use_checks: bool,
) -> list[SourceStance]:
    cf = features.get(claim) or extract_features(claim)
    relation = parse_relation(claim)
    if relation:
        cf = _without_relation_figures(cf, relation)
    period = parse_period(claim) if not relation else None
    by_doc: dict[str, list[Evidence]] = {}
    for ev in evidence:
        by_doc.setdefault(ev.sentence.doc_id, []).append(ev)
    # only the retrieved documents' texts: a large corpus is not scanned per claim
    texts = [doc_texts[d] for d in by_doc if doc_texts and d in doc_texts]
    cf = _trim_leading_words(_recase_headline(cf, texts), texts)
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
    source: dict[int, Signal] = {}  # id(vote) -> the signal it came from: its kind and conflicts stay on the stance
    for s in signals:
        if s.stance == "refutes" and s.conflicts and {k for k, _ in s.conflicts} <= matched:
            continue  # the source states the claim's figure elsewhere: this one is about something else
        precise = (
            s.kind in PRECISE_CHECKS or bool(s.conflicts)
            if s.stance == "refutes"
            else (s.slots == -2 or s.kind in PRECISE_CHECKS)
        )
        votes.append(Vote(s.stance, s.strength, s.reason, s.evidence, precise=precise))
        source[id(votes[-1])] = s
    if found:
        stance: Stance = "supports" if found.holds else "refutes"
        votes += [Vote(stance, 0.9, found.reason, as_evidence(s), precise=True) for s in found.evidence[:1]]
    stance, vote = decide(model_vote(evs, probs), votes, needs <= matched, thresholds or Thresholds(), named)
    if vote is None:
        return "neutral", None, signals
    origin = source.get(id(vote))
    best = Signal(stance, vote.strength, vote.reason, vote.evidence)
    if origin is not None:  # a check decided: keep which one and the values it compared
        best = Signal(
            stance,
            vote.strength,
            vote.reason,
            vote.evidence,
            origin.slots,
            conflicts=origin.conflicts,
            kind=origin.kind,
        )
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
    if " " not in claim.entities[0] and _an_ordinary_first_word(claim.entities[0], texts):
        return claim.model_copy(update={"entities": claim.entities[1:]})  # "Dispatchers had to log …"
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


_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def _recase_headline(claim: Features, texts: list[str]) -> Features:
    """A claim written as a Title Case headline ("Westmoor Won't Pay $2.5 Million Ransom After Cyberattack")
    capitalises every word, so every run of words reads as a name. A word the sources capitalise inside a
    sentence keeps its capital; so does a word no source uses that is not an ordinary English word (a name the
    sources lack); the others are written in lower case, and the claim is read again from that text (names,
    attributions; same length, so every offset holds). An
    ALL-CAPS headline is read the same way, a word in capitals staying so only where the sources write it so
    (an acronym: "FBI")."""
    long = [w for w in _WORD.findall(claim.text) if len(w) >= 4]
    if not texts or len(long) < 4 or sum(w[0].isupper() for w in long) < 0.75 * len(long):
        return claim
    from agent.stance.model import vocabulary  # here: a sentence-case claim never loads the model module

    shouting = sum(w.isupper() for w in long) >= 0.75 * len(long)
    known: dict[str, bool] = {}
    words = vocabulary()

    def recase(m: re.Match[str]) -> str:
        w = m.group()
        if shouting and w.isupper():
            if any(re.search(rf"\b{re.escape(w)}\b", t) for t in texts):
                return w  # an acronym the sources write in capitals too
            w = w.capitalize()
        if not w[0].isupper() or w.isupper():
            return w  # lower case, or an acronym
        if w not in known:
            ordinary = any(common_word(w, t) for t in texts) or w.lower() in words
            known[w] = ordinary and not _capitalised_inside(w, texts)
        return w.lower() if known[w] else w

    return extract_features(_WORD.sub(recase, claim.text)).model_copy(update={"text": claim.text})


def _an_ordinary_first_word(word: str, texts: list[str]) -> bool:
    """A claim's capitalised first word that the sources write in lower case ("dispatchers", "people") and never
    capitalise inside a sentence is an ordinary word, not a name."""
    return any(common_word(word, t) for t in texts) and not _capitalised_inside(word, texts)


def _capitalised_inside(word: str, texts: list[str]) -> bool:
    """The sources write the word capitalised inside a sentence (after a lower-case word or a comma): a name."""
    cap = re.compile(rf"(?<=[a-z0-9,;:] ){re.escape(word)}\b")
    return any(cap.search(t) for t in texts)


def idf_table(index: Any) -> dict[str, float]:
    """log(1 + N / df) of every content term (`agent.text.content_terms`) over the index's N sentences.

    Read from the BM25 postings when the index has them: a token's column holds one entry per sentence that
    contains it, so df is a difference of two offsets and the table costs O(vocabulary). Counting by a scan of
    every sentence cost a process's first claim 5 s at 442,841 sentences (the same table:
    `tests/test_index_persist.py`).
    """
    n = len(index.sentences) or 1
    bm25 = getattr(index, "bm25", None)
    scores, vocab = getattr(bm25, "scores", None), getattr(bm25, "vocab_dict", None)
    if isinstance(scores, dict) and "indptr" in scores and vocab is not None:
        indptr = scores["indptr"]
        out: dict[str, float] = {}
        for t, i in vocab.items():
            c = int(indptr[i + 1] - indptr[i]) if i + 1 < len(indptr) else 0
            if c and t and not t[0].isdigit() and len(t) > 1:
                out[t] = math.log(1 + n / c)
        return out
    return idf_by_scan(index)


def idf_by_scan(index: Any) -> dict[str, float]:
    n = len(index.sentences) or 1
    df: dict[str, int] = {}
    from agent.text import content_terms

    for s in index.sentences:
        for t in content_terms(s.text):
            df[t] = df.get(t, 0) + 1
    return {t: math.log(1 + n / c) for t, c in df.items()}
