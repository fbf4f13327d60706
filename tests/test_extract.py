from __future__ import annotations

from agent.pipeline.nodes.extract import (
    extract_dates,
    extract_durations,
    extract_entities,
    extract_features,
    extract_quantities,
)


def test_quantities_with_scale_words_and_approximations() -> None:
    q = extract_quantities(
        "over 28.8 million exchanges through almost 25,000 fraudulent accounts, 25K fake accounts, ~24,000 accounts"
    )
    assert [(x.value, x.unit[0] if x.unit[0] == "exchange" else x.unit[-1]) for x in q] == [
        (28_800_000, "exchange"),
        (25_000, "account"),
        (25_000, "account"),
        (24_000, "account"),
    ]
    assert q[0].bound == "more" and q[1].bound == "less" and q[1].approx and q[3].approx
    assert not q[2].approx and q[2].bound is None


def test_years_times_and_relative_amounts_are_not_quantities() -> None:
    assert extract_quantities("In 2026, as of 2026-06-24 23:00 UTC, on June 10") == []
    assert extract_quantities("most of the 16 million exchanges")[0].relative
    q = extract_quantities("about 1,000 more accounts than before; roughly 1,150 exchanges per account")
    assert all(x.relative for x in q)


def test_durations() -> None:
    d = extract_durations("over six weeks, a period of 44 days, about three months")
    assert [round(x.days) for x in d] == [44, 42, 91]
    assert [x.approx for x in sorted(d, key=lambda x: x.days)] == [False, False, True]


def test_dates_full_partial_and_propagated_years() -> None:
    got = [
        (d.year, d.month, d.day)
        for d in extract_dates(
            "from April 22 to June 5, 2026; between April and June 2025; on 2026-02-23; January 2026; 2026年6月28日"
        )
    ]
    assert (2026, 4, 22) in got and (2026, 6, 5) in got
    assert (2025, 4, None) in got and (2025, 6, None) in got
    assert (2026, 2, 23) in got and (2026, 1, None) in got and (2026, 6, 28) in got
    assert extract_dates("Anthropic may publish more") == []  # the modal verb is not a month


def test_negation_response_and_attribution() -> None:
    f = extract_features("According to CNBC, Alibaba either declined to comment or denied the allegations.")
    assert f.negated and set(f.responses) == {"deny", "no_response"} and f.attribution == ["CNBC"]
    g = extract_features("Alibaba has not issued a public statement as of 2026-06-24 23:00 UTC.")
    assert g.responses == ["no_response"] and g.negated
    h = extract_features("Anthropic says the campaign ran for six weeks.")
    assert not h.negated and h.attribution == ["Anthropic"] and h.responses == []


def test_entities() -> None:
    ents = extract_entities("On June 24, Reuters and CNBC broke the story about Alibaba's Qwen lab and Moonshot AI.")
    assert {"Reuters", "CNBC", "Moonshot AI"} <= set(ents)
    assert "June" not in ents and "On" not in ents
    # a timeline's weekday abbreviations are not names ("Sun" may be one, so it is not dropped)
    timeline = "Mon, Sept 21 - Volta recalls its scooters; Wed, Sept 23 - Zipp follows."
    assert extract_entities(timeline) == ["Volta", "Zipp"]


def test_figures_written_in_words() -> None:
    from agent.pipeline.nodes.extract import extract_quantities

    q = extract_quantities("Roughly twenty-five thousand fake accounts made two million requests.")
    assert [(x.value, x.approx) for x in q] == [(25000, True), (2e6, False)]
    assert "account" in q[0].unit and "exchange" in q[1].unit  # "requests" are exchanges
    # the scale of a figure written in digits is not a second figure; small counts are not figures
    assert [x.value for x in extract_quantities("28.8 million exchanges by two labs")] == [28.8e6]


def test_a_gap_is_not_a_duration() -> None:
    from agent.pipeline.nodes.extract import extract_durations

    assert extract_durations("They shut the accounts within a day of detecting them.") == []
    assert extract_durations("The story broke two weeks after the letter.") == []
    assert [d.days for d in extract_durations("The campaign lasted six weeks.")] == [42]


def test_a_month_used_as_a_modifier_is_a_date() -> None:
    from agent.pipeline.nodes.extract import extract_dates

    assert [d.month for d in extract_dates("Volta's March recall named two models.")] == [3]
    assert extract_dates("Prices may rise.") == []


def test_a_model_is_named_with_its_version() -> None:
    from agent.pipeline.nodes.extract import extract_entities

    assert "Qwen 3.5" in extract_entities("The distilled model was Qwen 3.5.")
    assert extract_entities("Claude handled 28.8 million queries.") == ["Claude"]
    assert extract_entities("Volta 2 days later recalled them.") == ["Volta"]


def test_half_units_and_vague_counts_in_durations() -> None:
    f = extract_features("The campaign lasted roughly a month and a half.")
    assert [(d.text, round(d.days)) for d in f.durations] == [("a month and a half", 46)]
    # "a few months" has no value to check: it must not become a duration a claim is refuted by
    assert extract_features("raising such allegations for the second time in a few months").durations == []


def test_dates_with_ordinal_words() -> None:
    assert [(d.month, d.day) for d in extract_dates("The attack was uncovered on the fifth of October.")] == [(10, 5)]
    assert [(d.year, d.month, d.day) for d in extract_dates("It ended on October twenty-first, 2026.")] == [
        (2026, 10, 21)
    ]
    assert all(d.day is None for d in extract_dates("Its March second-quarter results were weak."))


def test_a_duration_of_something_is_a_duration_a_gap_is_not() -> None:
    assert [round(d.days) for d in extract_durations("Residents get two years of free credit monitoring.")] == [730]
    assert [round(d.days) for d in extract_durations("They were offered 24 months of monitoring.")] == [730]
    assert extract_durations("It reopened two weeks after the vote.") == []
    assert extract_durations("It was found within two weeks of the attack.") == []
    assert extract_durations("Talks resumed two weeks of the strike later.") == []


def test_money_and_unit_abbreviations() -> None:
    over = extract_quantities("The attack will cost the city over $6 million in total.")[0]
    assert (over.currency, over.bound, over.value) == ("$", "more", 6_000_000)
    assert [q.currency for q in extract_quantities("a £68m fee, a €312m probe and 5 million dollars")] == [
        "£", "€", "$",
    ]  # fmt: skip
    assert extract_quantities("the city filled 40 seats")[0].currency == ""
    gb = extract_quantities("a sample of around 40 GB of files")[0]
    assert gb.unit[0] == extract_quantities("posted a 40-gigabyte sample")[0].unit[0]


def test_a_dateline_date_is_when_the_story_was_filed_not_an_event() -> None:
    got = extract_dates("ARDMOOR, Halvern, March 12 (Halvern Press Wire) - Miners were trapped on March 10.")
    assert [d.text for d in got] == ["March 10"]
    got = extract_dates("WASHINGTON, June 24 (Reuters) — The firm said it found the campaign in April.")
    assert [d.text for d in got] == ["April"]
    # not a dateline: no place in capitals before a comma, or the date is the sentence's own
    assert [d.text for d in extract_dates("NASA said on March 3 - a Tuesday - that it would launch.")] == ["March 3"]
    assert [d.text for d in extract_dates("Friday, March 13: The province appoints a judge.")] == ["March 13"]


def test_percentages_are_figures_compared_like_money() -> None:
    got = extract_quantities("Shares Tumble 11% After Collapse")
    assert [(q.value, q.text, q.currency, q.unit) for q in got] == [(11.0, "11%", "%", [])]
    got = extract_quantities("Its shares fell 11 percent on Tuesday and about 3.5 per cent on Wednesday.")
    assert [(q.value, q.currency, q.approx) for q in got] == [(11.0, "%", False), (3.5, "%", True)]
