"""Stance rules and aggregation on hand-made evidence (no store needed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agent.data.corpus import chunk_document, load_paths
from agent.data.store import sentences_of
from agent.pipeline.nodes.cross_check import cross_check, idf_table
from agent.pipeline.nodes.decompose import split_claim
from agent.pipeline.nodes.verdict import aggregate, combine
from agent.schemas import Citation, Document, Evidence, Sentence, SourceStance

from .conftest import SEEDS


def _seed_idf() -> dict[str, float]:
    """The production IDF table over seeds/ split the way ingest splits it (no store, no embedder): the rule
    branches that ask whether a name is rare or known to the corpus run as they do in production."""
    docs = [d for d in load_paths([SEEDS]) if isinstance(d, Document)]
    sentences = {(s.doc_id, s.start): s for d in docs for c in chunk_document(d) for s in sentences_of(c)}
    return idf_table(SimpleNamespace(sentences=list(sentences.values())))


IDF = _seed_idf()


def ev(doc: str, text: str, dense: float = 0.6) -> Evidence:
    return Evidence(sentence=Sentence(doc_id=doc, chunk_id=f"{doc}:0", start=0, end=len(text), text=text), dense=dense)


def stances(claim: str, *evidence: Evidence) -> dict[str, str]:
    return {s.doc_id: s.stance for s in cross_check(claim, list(evidence), IDF)}


def test_numbers_by_unit_with_tolerance_for_approximations() -> None:
    a = ev("a", "Operators tied to Alibaba used roughly 25,000 fake accounts to run 28.8 million exchanges.")
    assert stances("Alibaba-linked operators used about 25,000 fraudulent accounts.", a) == {"a": "supports"}
    assert stances("Alibaba-linked operators used 30,000 fraudulent accounts.", a) == {"a": "refutes"}
    assert stances("Alibaba-linked operators ran nearly 29 million exchanges.", a) == {"a": "supports"}


def test_a_different_actor_does_not_decide_numbers() -> None:
    feb = ev(
        "f", "In February, DeepSeek, Moonshot AI and MiniMax used 24,000 fraudulent accounts for 16 million exchanges."
    )
    assert stances("Alibaba-linked operators used 24,000 fraudulent accounts.", feb) == {"f": "neutral"}


def test_dates_compare_with_the_date_next_to_the_claims_words() -> None:
    s = ev("s", "Bloomberg broke it on June 24, surfaced through a June 10 letter Anthropic sent to the Senate.")
    assert stances("Anthropic's letter to the Senate was sent on June 10.", s) == {"s": "supports"}
    assert stances("Anthropic's letter to the Senate was sent on June 24.", s) == {"s": "refutes"}


@pytest.mark.xfail(strict=True, reason="with the corpus IDF, 'dated' (rare in seeds) is a claim term the source lacks")
def test_a_dated_letter_is_addressed_by_a_june_10_letter() -> None:
    s = ev("s", "Bloomberg broke it on June 24, surfaced through a June 10 letter Anthropic sent to the Senate.")
    assert stances("Anthropic's letter to the Senate was dated June 10.", s) == {"s": "supports"}


def test_years_and_durations() -> None:
    s = ev("s", "The campaign ran from April 22 to June 5, 2026.")
    assert stances("The campaign ran between April and June 2025.", s) == {"s": "refutes"}
    assert stances("The campaign lasted 44 days.", s) == {"s": "supports"}
    assert stances("The campaign lasted about three months.", s) == {"s": "refutes"}


def test_response_types_denial_versus_no_comment() -> None:
    silent = ev("x", "Alibaba has not issued a public statement about the allegations.")
    hedged = ev("y", "Alibaba's response has not been made public yet, but it is expected to deny the allegations.")
    denial = ev("z", "Alibaba denies the allegations made by Anthropic.")
    assert stances("Alibaba has denied the allegations.", silent, hedged, denial) == {
        "x": "refutes",
        "y": "refutes",
        "z": "supports",
    }


def test_who_broke_the_story() -> None:
    a = ev("a", "On June 24, Reuters and CNBC broke the story.")
    b = ev("b", "Bloomberg broke it on June 24.")
    assert stances("Bloomberg broke the story.", a, b) == {"a": "refutes", "b": "supports"}


def test_unrelated_sentence_is_neutral() -> None:
    s = ev("s", "Distillation is the practice of training a small model on a larger model's outputs.", dense=0.3)
    assert stances("Alibaba's shares fell 4% after the news.", s) == {"s": "neutral"}


def _stance(doc: str, stance: str) -> SourceStance:
    c = Citation(doc_id=doc, chunk_id=f"{doc}:0", start=0, end=3, quote="abc")
    return SourceStance(doc_id=doc, stance=stance, reason=f"{doc} says so", citations=[c])  # type: ignore[arg-type]


def test_aggregation_labels_and_outliers() -> None:
    assert aggregate([]).label == "NOT_ENOUGH_INFO"
    assert aggregate([_stance("a", "neutral")]).label == "NOT_ENOUGH_INFO"
    assert aggregate([_stance("a", "supports"), _stance("b", "neutral")]).label == "SUPPORTED"
    assert aggregate([_stance("a", "refutes")]).label == "REFUTED"
    v = aggregate([_stance("a", "supports"), _stance("b", "supports"), _stance("c", "refutes")])
    assert v.label == "CONFLICTING" and "Outlier: c" in v.rationale and "a, b" in v.rationale
    assert 0 <= v.confidence <= 1


def test_aggregation_drops_citations_that_fail_the_slice_check() -> None:
    v = aggregate([_stance("a", "supports")], valid=lambda c: False)
    assert v.label == "SUPPORTED" and v.citations == []


def test_compound_claims_split_and_combine() -> None:
    assert split_claim("Bloomberg broke the story, and the campaign used around 25,000 accounts.") == [
        "Bloomberg broke the story.",
        "The campaign used around 25,000 accounts.",
    ]
    assert len(split_claim("The letter went to Tim Scott and Elizabeth Warren.")) == 1
    sup, ref, nei = (aggregate([_stance("a", x)]) for x in ("supports", "refutes", "neutral"))
    assert combine([sup, sup])[0] == "SUPPORTED"
    assert combine([sup, ref])[0] == "REFUTED"
    assert combine([sup, nei])[0] == "NOT_ENOUGH_INFO"


def test_negation_is_scoped_to_the_shared_words() -> None:
    s = ev("s", "The post does not publish the detection signatures or the specific account identifiers.")
    assert stances("Anthropic published its detection signatures and the specific account identifiers.", s) == {
        "s": "refutes"
    }
    idiom = ev(
        "i", "This is not only a legal fight: Anthropic published its detection signatures and account identifiers."
    )
    assert stances("Anthropic published its detection signatures and the specific account identifiers.", idiom) == {
        "i": "supports"
    }
    declined = ev("d", "Reuters notes that Anthropic declined to provide the underlying account logs to Reuters.")
    assert stances("Anthropic provided the underlying account logs to Reuters.", declined) == {"d": "refutes"}


def test_parts_differences_and_rates_of_a_figure_are_not_the_figure() -> None:
    s = ev("s", "Earlier in 2026 DeepSeek, Moonshot and MiniMax used 24,000 accounts for 16 million exchanges.")
    # the rules cannot compute shares or differences, so they abstain instead of matching the number
    assert stances("MiniMax accounted for most of the 16 million exchanges.", s) == {"s": "neutral"}
    assert stances("DeepSeek used about 1,000 more accounts than Moonshot.", s) == {"s": "neutral"}


def test_claim_initial_capitals_and_acronyms_name_the_same_people() -> None:
    from agent.pipeline.nodes.cross_check import _mentions, _trim_leading_words
    from agent.pipeline.nodes.extract import extract_features

    source = "Nothing changes for legitimate Claude API or Claude Code users, the WSJ reported."
    claim = extract_features("Legitimate Claude Code users are not directly affected.")
    assert claim.entities[0] == "Legitimate Claude Code"
    assert _trim_leading_words(claim, [source]).entities[0] == "Claude Code"
    news = extract_features("News of Anthropic's accusation broke on June 24.")
    assert _trim_leading_words(news, ["Anthropic said so."]).entities[0] == "Anthropic"
    # a name the sources use whole is left alone
    tim = extract_features("Tim Scott chairs the committee.")
    assert _trim_leading_words(tim, ["Chair Tim Scott"]).entities[0] == "Tim Scott"
    assert _mentions(source, "Wall Street Journal") and not _mentions(source, "Wall Street")
    # a company named again without its suffix, and what the suffix-less word must still be (a capitalised name)
    assert _mentions("Volta denied that its scooters were at fault.", "Volta Technologies")
    assert not _mentions("The volta of the poem turns here.", "Volta Technologies")
    assert not _mentions("The group denied it.", "Lazarus Group")


def test_a_title_case_headline_keeps_only_its_names() -> None:
    from agent.pipeline.nodes.cross_check import _recase_headline
    from agent.pipeline.nodes.extract import extract_features

    sources = ["Regulators said Volta recalled about 12,000 scooters after brake failures in Zipptown."]
    head = extract_features("Volta Recalls 12,000 Scooters After Brake Failures In Zipptown And Qorvex")
    assert head.entities[0] == "Volta Recalls"  # every capitalised run reads as a name
    # names the sources capitalise stay, ordinary words go lower case, an unknown non-word (Qorvex) stays a name
    assert _recase_headline(head, sources).entities == ["Volta", "Zipptown", "Qorvex"]
    plain = extract_features("Volta recalled 12,000 scooters after brake failures.")
    assert _recase_headline(plain, sources) is plain  # a sentence-case claim is left alone
    # in capitals: an acronym the sources write in capitals stays one
    loud = extract_features("VOLTA RECALLS 12,000 SCOOTERS AFTER NHTSA PROBE OF BRAKE FAILURES")
    assert _recase_headline(loud, [*sources, "The NHTSA opened a probe."]).entities == ["Volta", "NHTSA"]


def test_a_company_named_without_its_suffix_responds_for_it() -> None:
    s = ev("v", "Volta denied that its scooters caused the crashes, saying in a statement that it was cooperating.")
    assert stances("Volta Technologies admitted that its scooters caused the crashes.", s) == {"v": "refutes"}


def test_first_to_report_is_breaking_the_story() -> None:
    a = ev("a", "On June 24, Reuters and CNBC broke the story.")
    b = ev("b", "Bloomberg broke it on June 24.")
    assert stances("Reuters was first to report the news on June 24.", a, b) == {"a": "supports", "b": "refutes"}


def _with_texts(claim: str, doc_text: str, sentence: str, idf: dict[str, float] | None = None) -> str:
    e = ev("d", sentence)
    return cross_check(claim, [e], idf or IDF, doc_texts={"d": doc_text})[0].stance


def test_another_name_in_the_claims_place_refutes() -> None:
    sentence = "Regulators fined Zipp over the battery fires."
    text = f"{sentence} Volta, a rival, was not part of the case."
    assert _with_texts("Regulators fined Volta over the battery fires.", text, sentence) == "refutes"
    # "also" adds a name rather than replacing one (the exact value is pinned, strict xfail, below)
    # a source that never mentions the claim's name (one the corpus knows) does not say it was someone else
    known = {"volta": 3.0, "zipp": 3.0, "regulator": 3.0}
    assert _with_texts("Regulators fined Volta over the battery fires.", sentence, sentence, known) == "neutral"


@pytest.mark.xfail(strict=True, reason="today 'supports': a sentence about Zipp is read as stating Volta was fined")
def test_also_adds_a_name_so_the_source_neither_swaps_nor_states_it() -> None:
    sentence = "Regulators fined Zipp over the battery fires."
    text = f"{sentence} Volta, a rival, was not part of the case."
    assert _with_texts("Regulators also fined Volta over the battery fires.", text, sentence) == "neutral"


def test_a_sibling_name_with_one_word_changed_refutes() -> None:
    sentence = "The company wrote to the House Energy Committee about the fires."
    assert _with_texts("The company wrote to the House Commerce Committee about the fires.", sentence, sentence) == (
        "refutes"
    )


def test_figures_joined_by_and_stay_in_one_claim() -> None:
    assert split_claim("The recall involved about 12,000 scooters and 9.6 million rides.") == [
        "The recall involved about 12,000 scooters and 9.6 million rides."
    ]


def test_who_holds_a_title() -> None:
    s = ev("t", "The recall was ordered by Transport Minister Ana Ruiz and Deputy Director Omar Said.")
    assert stances("Omar Said is the transport minister.", s) == {"t": "refutes"}
    assert stances("Ana Ruiz is the minister who ordered the recall.", s) == {"t": "supports"}


def test_figures_without_the_claims_action_do_not_support() -> None:
    from agent.pipeline.nodes.cross_check import main_verb

    assert main_verb("Volta recalled about 12,000 scooters.") == "recall"
    assert main_verb("Regulators say about 12,000 scooters were recalled.") == "recall"
    assert main_verb("The recall is the largest so far.") is None
    s = ev("s", "Volta recalled about 12,000 scooters after the fires, regulators said.", dense=0.5)
    assert stances("Volta scrapped about 12,000 scooters after the fires.", s) == {"s": "neutral"}
    assert stances("Volta recalled roughly 12,000 scooters after the fires.", s) == {"s": "supports"}


def test_how_someone_responded_decides_a_response_claim() -> None:
    s = ev("r", "Volta did not respond to a request for comment on Friday.", dense=0.5)
    assert stances("Volta has not commented publicly on the regulator's findings.", s) == {"r": "supports"}
    assert stances("Volta denied the regulator's findings.", s) == {"r": "refutes"}


def test_response_cues_belong_to_the_actor() -> None:
    from agent.pipeline.nodes.checks.responses import responses_by as _responses_by

    assert _responses_by("Volta denies the findings.", "Volta") == {"deny"}
    assert _responses_by("The case is harder to dismiss as a rumour, analysts say of Volta.", "Volta") == set()
    assert _responses_by("If confirmed, it would show Volta cut corners.", "Volta") == set()
    assert _responses_by("Regulators declined to comment.", "Volta") == set()
    # an appositive between the actor and the cue
    long = "Volta Mobility, the company whose scooters make up most of the city's fleet, declined to comment."
    assert _responses_by(long, "Volta") == {"no_response"}


def test_a_list_with_one_name_swapped_refutes() -> None:
    s = ev("l", "The regulator named Volta, Zipp and Ryde as the operators at fault.")
    assert stances("The regulator named Volta, Zipp and Lime as the operators at fault.", s) == {"l": "refutes"}
    assert stances("The regulator named Volta, Zipp and Ryde as the operators at fault.", s) == {"l": "supports"}


def test_cleft_sentences_say_who_did_it() -> None:
    from agent.text import news_idiom

    assert news_idiom("The Ledger was the paper that broke the story.") == "The Ledger broke the story."


def test_who_did_it_needs_a_verb_not_an_adjective() -> None:
    s = ev("o", "Open weights, free of controversy, gain value.")
    assert stances("The Ledger opened an inquiry into the weights.", s) == {"o": "neutral"}
    other = ev("b", "The Ledger broke it on May 4, citing a letter from Volta.")
    assert stances("The Courier was first to report Volta's letter.", other) == {"b": "refutes"}


def test_rather_than_negates_what_follows() -> None:
    s = ev("n", "Rather than sue Volta in court, the city wrote to the regulator.", dense=0.6)
    assert stances("The city filed a lawsuit against Volta in court.", s) == {"n": "refutes"}


def test_a_plan_is_not_a_done_deed() -> None:
    s = ev("p", "Senators Ana Ruiz and Omar Said are drafting a bill that would ban scooter sharing.", dense=0.7)
    assert stances("Ruiz and Said's scooter sharing bill has already become law.", s) == {"p": "refutes"}
    done = ev("d", "The scooter sharing bill from Senators Ruiz and Said has become law.", dense=0.7)
    assert stances("Ruiz and Said's scooter sharing bill has already become law.", done) == {"d": "supports"}


def test_the_negated_word_must_be_the_claims_when_little_is_shared() -> None:
    from agent.pipeline.nodes.cross_check import _negated_near

    text = "The regulator's report does not connect the two stories about Volta."
    assert _negated_near(text, {"news"})  # "stories" is in the negation's scope ...
    assert not _negated_near(text, {"news"}, head=True)  # ... but connecting is what is negated
    assert _negated_near("Rather than sue Volta, the city wrote to the regulator.", {"sue"}, head=True)
    assert _negated_near("Volta declined to provide the logs.", {"provid"}, head=True)  # provided ~ provide


def _figure_check(claim: str, sentence: str):  # type: ignore[no-untyped-def]
    from agent.pipeline.nodes.checks import figures
    from agent.pipeline.nodes.checks.base import make_context
    from agent.pipeline.nodes.extract import extract_features

    ctx = make_context(extract_features(claim), ev("s", sentence), extract_features(sentence), IDF)
    assert ctx is not None
    return figures.check(ctx)


def test_money_states_a_figure_without_a_noun_but_never_contradicts_one() -> None:
    got = _figure_check(
        "The ransomware attack will cost the city over $6 million in total.",
        "The total cost of the ransomware attack is now put at $6.2 million.",
    )
    assert got.matched == ("q0",) and not got.refutes  # "over $6 million" holds for $6.2 million
    got = _figure_check(
        "The ransomware attack will cost the city under $5 million in total.",
        "The total cost of the ransomware attack is now put at $6.2 million.",
    )
    assert not got.matched and not got.refutes  # money alone is not enough to say it is the same sum
    got = _figure_check(
        "The city paid a ransom of about $2.5 million.",
        "The city council approved $1.8 million in emergency funds.",
    )
    assert not got.matched and not got.refutes


def test_money_governed_by_the_same_verb_contradicts() -> None:
    # "demanded $2.5 million" / "demanded $4 million": the verb says it is the same sum
    got = _figure_check(
        "The Volta hackers demanded $2.5 million from the city.",
        "The Volta hackers demanded roughly $4 million in cryptocurrency.",
    )
    assert not got.matched and got.refutes and "$4 million" in got.refutes[0].reason
    got = _figure_check(  # another verb: another sum, so still no contradiction
        "The Volta hackers demanded $2.5 million from the city.",
        "The city of Volta has spent $4 million on recovery.",
    )
    assert not got.refutes


def test_the_noun_a_sum_names_counts_as_its_governor() -> None:
    # "proposes a $2.1 million fine" / "a fine of $1.2 million": the head noun after the sum says it is the same sum
    got = _figure_check(
        "The Volta regulator proposes a $2.1 million fine for the operator.",
        "The Volta regulator set a fine of $1.2 million, the operator said.",
    )
    assert got.refutes and "$1.2 million" in got.refutes[0].reason
    got = _figure_check(  # another noun: another sum
        "The Volta regulator proposes a $2.1 million fine for the operator.",
        "The Volta regulator has a budget of $1.2 million, the operator said.",
    )
    assert not got.refutes


def test_a_bare_count_is_compared_through_its_governing_verb() -> None:
    # "employs 3,000" has no unit; "employs about 1,100 people" is the same count by the same verb
    got = _figure_check("Kestrel Deep employs 3,000 in Ardmoor.", "Kestrel Deep employs about 1,100 people in Ardmoor.")
    assert got.refutes and "1,100" in got.refutes[0].reason
    got = _figure_check("Kestrel Deep employs 1,100 in Ardmoor.", "Kestrel Deep employs about 1,100 people in Ardmoor.")
    assert got.matched == ("q0",) and not got.refutes
    got = _figure_check(  # another verb: another count
        "Kestrel Deep employs 3,000 in Ardmoor.", "Kestrel Deep evacuated 61 people in Ardmoor."
    )
    assert not got.refutes


def test_a_date_both_sides_state_counts_as_shared_words() -> None:
    """ "uncovered on the fifth of October" shares few words with "discovered early on Oct. 5": the date's own words
    count as shared when both sides give that day, so the sentence is checked (and its date matched)."""
    from agent.pipeline.nodes.checks import dates
    from agent.pipeline.nodes.checks.base import make_context
    from agent.pipeline.nodes.extract import extract_features

    text = "The attack was discovered early on Oct. 5, when billing servers were found encrypted."
    sent = extract_features(text)
    ctx = make_context(
        extract_features("The attack was uncovered on the fifth of October."), ev("s", text, 0.5), sent, IDF
    )
    assert ctx is not None and dates.check(ctx).matched == ("d0",)
    assert (
        make_context(
            extract_features("The attack was uncovered on the ninth of October."), ev("s", text, 0.5), sent, IDF
        )
        is None
    )


def test_short_durations_are_compared_by_ratio_not_by_three_days() -> None:
    from agent.pipeline.nodes.checks import durations
    from agent.pipeline.nodes.checks.base import make_context
    from agent.pipeline.nodes.extract import extract_features

    def check(claim: str, text: str):  # type: ignore[no-untyped-def]
        ctx = make_context(extract_features(claim), ev("s", text), extract_features(text), IDF)
        assert ctx is not None
        return durations.check(ctx)

    text = "Dispatchers logged 911 calls on paper for about 9 hours during the outage."
    assert not check("Dispatchers logged 911 calls on paper for about two days.", text).matched
    assert check("Dispatchers logged 911 calls on paper for nine hours.", text).matched == ("t0",)
    assert check("The portal was down for two weeks.", "The portal was down for 15 days.").matched == ("t0",)


def test_a_capitalised_first_word_the_sources_write_in_lower_case_is_not_a_name() -> None:
    """ "Dispatchers …" is no name: with it taken for one, no source could contradict the claim's duration."""
    text = "Emergency dispatchers logged 911 calls by hand on paper for roughly nine hours on Oct. 5."
    claim = "Dispatchers had to log 911 calls on paper for about two days."
    got = cross_check(claim, [ev("d", text)], IDF, doc_texts={"d": text})
    assert [s.stance for s in got] == ["refutes"]
    named = "Zephyrine had to log 911 calls on paper for about two days."  # never written in lower case
    assert [s.stance for s in cross_check(named, [ev("d", text)], IDF, doc_texts={"d": text})] == ["neutral"]


def test_a_duration_of_something_the_claim_does_not_mention_does_not_contradict_it() -> None:
    text = "The total includes credit monitoring for affected residents and roughly two months of waived late fees."
    claim = "Affected residents get free credit monitoring for two years."

    def stance(c: str) -> str:
        return cross_check(c, [ev("d", text)], IDF, doc_texts={"d": text})[0].stance

    assert stance(claim) == "neutral"  # the monitoring's length is not given
    assert stance("The city waived late fees for two years.") == "refutes"  # the fees are the claim's
