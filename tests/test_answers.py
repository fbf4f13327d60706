"""Answers grouped by what each source says: typing, normalised values, the seeds' disagreements,
follow-ups, /without and /source in chat, and `crosscheck ask --json`.

The questions and expected per-source answers were written by reading seeds/ (not from any gold file)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from rich.console import Console

from agent.app.answers import (
    GroupedAnswer,
    Value,
    answer_question,
    count_values,
    dates_compatible,
    parse_question,
    refers_back,
    response_value,
    same_answer,
    source_answers,
    when_values,
    who_values,
)
from agent.app.session import Session
from agent.cli.chat import handle

D000, D001, D002, D003, D004 = (
    "000_4ef8fc55e1dac0fd",
    "001_530ad8e28140dcaf",
    "002_2a0152b85f9d3ae4",
    "003_9be5edd4fc6ed721",
    "004_eb269963b8a04d98",
)


def group_of(answer: GroupedAnswer, doc_id: str) -> Value | None:
    return next((g.value for g in answer.groups if doc_id in g.doc_ids), None)


def assert_exact_quotes(services: Any, answer: GroupedAnswer) -> None:
    index = services.index()
    cites = [*answer.citations, *(c for g in answer.groups for c in g.citations)]
    cites += [a.citation for a in answer.sources if a.citation is not None]
    assert cites
    for c in cites:
        assert index.texts[c.doc_id][c.start : c.end] == c.quote
        assert index.valid_citation(c)
    for g in answer.groups:  # one quote per source
        assert len(g.citations) == len(g.doc_ids) and [c.doc_id for c in g.citations] == g.doc_ids


# ------------------------------------------------------------------------------------------- pure parts
def test_figures_normalise_across_ways_of_writing_them() -> None:
    a, b, c = (count_values(t, ["account"])[0] for t in ("~25,000 accounts", "25K accounts", "almost 25,000 accounts"))
    assert a.number == b.number == c.number == 25_000
    assert same_answer(a, b) and same_answer(b, c)
    assert not same_answer(a, count_values("24,000 accounts", ["account"])[0])


def test_a_when_question_may_open_with_a_preposition() -> None:
    for q in ("On what date did they get in?", "In what year did the audit warn?", "By which day was it fixed?"):
        assert parse_question(q).kind == "when", q
    assert parse_question("In which city did it happen?").kind == "other"  # a place, not a time


def test_how_much_of_a_noun_is_a_sum_of_money_in_a_sentence_naming_it() -> None:
    q = parse_question("How much ransom did the attackers demand?")
    assert q.kind == "count" and q.amount and q.unit == ["ransom"]
    found = count_values("The city will not pay the $2.5 million demanded as ransom.", q.unit, q.amount)
    assert [v.number for v in found] == [2_500_000]
    assert not count_values("The group demanded $4 million in cryptocurrency.", q.unit, q.amount)  # no ransom named
    # ... or right after the question's own verb
    said = count_values("NightLedger demanded $4 million in cryptocurrency.", q.unit, q.amount, q.focus)
    assert [v.number for v in said] == [4_000_000]
    assert not count_values("It spent $4 million on recovery.", q.unit, q.amount, q.focus)
    # "how much does X pay": the words after it are not a unit, so money needs its own noun there
    pay = parse_question("How much does Westmoor pay Halvex Security for monitoring?")
    assert not pay.amount
    assert not count_values("Westmoor will not pay the $2.5 million ransom.", pay.unit, pay.amount)


def test_a_longer_wh_phrase_ends_at_its_auxiliary_or_its_past_form() -> None:
    assert parse_question("Which forensic firm is leading the investigation?").verb == "lead"
    assert parse_question("Which news outlet first reported the attack?").verb == "report"
    assert parse_question("Which outlet broke the story?").verb == "break"
    leading = parse_question("Who is leading the inquiry?")
    assert leading.verb == "lead" and not leading.asks_object  # the subject is asked, as in "who leads"


def test_who_holds_a_role_is_read_from_an_apposition() -> None:
    q = parse_question("Who is Westmoor's chief information officer?")
    assert q.kind == "who" and q.role == ["chief", "information", "officer"] and q.verb is None
    for text in (
        "The city's chief information officer, Raymond Tull, said investigators were still working.",
        "Raymond Tull, Westmoor's chief information officer, does not dispute the audit's findings.",
        '"She did it," said Raymond Tull, the city\'s chief information officer.',
    ):
        assert [v.names for v in who_values(text, q)] == [["Raymond Tull"]], text
    assert not who_values("The chief information officer said nothing.", q)
    assert not who_values("Raymond Tull, the finance officer, spoke.", q)  # another role


def test_how_an_actor_responded_is_its_own_kind_of_answer() -> None:
    q = parse_question("How did CivicPay Solutions respond to questions about the breach?")
    assert q.kind == "response" and q.entities[0] == "CivicPay Solutions"
    said = {
        "CivicPay Solutions, the company that runs it, declined to comment on the breach.": "declined to comment",
        "CivicPay Solutions denied that its software was the entry point.": "denied",
        "CivicPay Solutions confirmed the breach on Tuesday.": "confirmed",
    }
    for text, label in said.items():
        value = response_value(text, q)
        assert value is not None and value.label == label, text
    assert response_value("Regulators declined to comment.", q) is None  # someone else's response
    assert response_value("CivicPay Solutions is expected to deny the report.", q) is None  # not yet said
    assert parse_question("How did it go?").kind == "other"


def test_a_date_answers_a_when_question_only_in_a_sentence_about_its_event() -> None:
    from agent.schemas import Evidence, Sentence

    def ev(doc: str, text: str) -> Evidence:
        return Evidence(sentence=Sentence(doc_id=doc, chunk_id=f"{doc}:0", start=0, end=len(text), text=text))

    q = parse_question("On what date did the attackers first get into the city network?")
    evidence = [
        ev("a", "The attackers first got into the city network on Sept. 14, investigators said."),
        ev("b", "The city's payment portal came back on Oct. 16."),  # shares only "city": dates something else
    ]
    answers = {a.doc_id: a for a in source_answers(q, evidence, {}, idf={"city": 1.0, "network": 3.0, "attacker": 3.0})}
    assert answers["a"].value is not None and answers["a"].value.label.endswith("09-14")
    assert answers["b"].value is None


def test_a_period_inside_a_period_is_the_same_answer() -> None:
    exact = when_values("from April 22 to June 5, 2026")[0][1]
    months = when_values("between April and June 2026")[0][1]
    other_year = when_values("between April and June 2025")[0][1]
    assert exact.label == "2026-04-22 to 2026-06-05" and months.label == "2026-04 to 2026-06"
    assert dates_compatible(exact, months) and dates_compatible(months, exact)
    assert not dates_compatible(exact, other_year)
    day = when_values("On June 24, the story broke")[0][1]
    assert dates_compatible(day, when_values("on 2026-06-24")[0][1])


@pytest.mark.parametrize(
    "question,kind",
    [
        ("How many fraudulent accounts did Alibaba use?", "count"),
        ("When did the campaign happen?", "when"),
        ("Which outlet broke the story?", "who"),
        ("Did Alibaba deny the accusation?", "yesno"),
        ("What is distillation?", "other"),
    ],
)
def test_questions_are_typed_by_what_they_ask(question: str, kind: str) -> None:
    assert parse_question(question).kind == kind


def test_yes_no_questions_imply_a_claim() -> None:
    assert parse_question("Did Alibaba deny the accusation?").claim == "Alibaba did deny the accusation."
    assert parse_question("Has the Qwen team responded?").claim == "The Qwen team has responded."


@pytest.mark.parametrize(
    "text,back",
    [
        ("When did the campaign happen?", False),
        ("Which outlet broke the story?", False),
        ("Did they deny it?", True),
        ("When did Anthropic send its letter?", False),  # "its" has its name in the question
        ("Who did they write to?", True),
        ("and the February one?", True),
        ("What about Bloomberg?", True),
        ("how many?", True),
    ],
)
def test_follow_ups_are_only_questions_that_refer_back(text: str, back: bool) -> None:
    assert refers_back(text) is back


# ------------------------------------------------------------------------------------------- on the seeds
def test_every_source_agrees_on_the_account_count(seeded_services: Any) -> None:
    answer = answer_question(seeded_services, "How many fraudulent accounts did Alibaba use?")
    assert not answer.differ and len(answer.groups) == 1
    assert answer.groups[0].value.number == 25_000 and len(answer.groups[0].doc_ids) >= 4
    assert "25,000" in answer.summary
    assert_exact_quotes(seeded_services, answer)


def test_the_campaign_year_disagreement_is_named(seeded_services: Any) -> None:
    answer = answer_question(seeded_services, "When did the campaign happen?")
    assert answer.differ
    main = group_of(answer, D000)
    assert main is not None and main.label == "2026-04-22 to 2026-06-05"
    assert {D001, D002, D003} <= set(next(g.doc_ids for g in answer.groups if g.value == main))
    odd = group_of(answer, D004)  # "between April and June 2025"
    assert odd is not None and odd.start is not None and odd.start.year == 2025
    assert "differ" in answer.summary and D004 in answer.summary and "2025" in answer.summary
    assert_exact_quotes(seeded_services, answer)


def test_which_outlet_broke_the_story(seeded_services: Any) -> None:
    answer = answer_question(seeded_services, "Which outlet broke the story?")
    assert answer.differ
    v001, v003 = group_of(answer, D001), group_of(answer, D003)
    assert v001 is not None and set(v001.names) == {"Reuters", "CNBC"}
    assert v003 is not None and v003.names == ["Bloomberg"]
    v000 = group_of(answer, D000)  # "Reuters ([Krystal Hu, ...](url)), Bloomberg (...) ... reported": no bylines
    assert v000 is not None and {"Reuters", "Bloomberg"} <= set(v000.names) and "Krystal Hu" not in v000.names
    assert D004 in answer.silent  # it says Bloomberg obtained the letter, not who broke the story
    assert_exact_quotes(seeded_services, answer)


def test_did_alibaba_deny_splits_the_sources(seeded_services: Any) -> None:
    answer = answer_question(seeded_services, "Did Alibaba deny the accusation?")
    assert answer.kind == "yesno" and answer.differ
    yes, no = group_of(answer, D002), group_of(answer, D000)
    assert yes is not None and yes.stance == "yes"  # "Alibaba denies the allegations"
    assert no is not None and no.stance == "no"  # "Alibaba has not issued a public statement"
    assert_exact_quotes(seeded_services, answer)


# ------------------------------------------------------------------------------------------- chat
def quiet_console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=140, color_system=None), buf


def test_a_new_question_does_not_retrieve_on_the_previous_turn(seeded_services: Any) -> None:
    session = Session(seeded_services)
    session.ask("How did Alibaba respond to the accusation?")
    fresh = session.ask("When did the campaign happen?")
    assert fresh.query == "When did the campaign happen?"
    assert fresh.grouped is not None and group_of(fresh.grouped, D000) is not None
    follow = session.ask("and how many accounts did they use?")
    assert "When did the campaign happen?" in follow.query
    assert follow.grouped is not None and follow.grouped.kind == "count"


def test_an_elliptical_follow_up_keeps_the_previous_question_type(seeded_services: Any) -> None:
    session = Session(seeded_services)
    session.ask("How many exchanges with Claude did the campaign generate?")
    follow = session.ask("and the February one?")
    assert follow.grouped is not None and follow.grouped.kind == "count"
    assert "How many exchanges" in follow.query


def test_without_drops_a_source_from_the_last_question(seeded_services: Any) -> None:
    session = Session(seeded_services)
    console, buf = quiet_console()
    handle(session, "When did the campaign happen?", console)
    assert session.last is not None and session.last.grouped is not None and session.last.grouped.differ
    handle(session, f"/without {D004[:3]}", console)
    again = session.last.grouped
    assert again is not None and again.excluded == [D004]
    assert not again.differ and all(D004 not in g.doc_ids for g in again.groups) and D004 not in again.silent
    assert f"without {D004}" in buf.getvalue() and "2025" not in again.text
    assert_exact_quotes(seeded_services, again)


def test_without_rejudges_the_last_claim(seeded_services: Any) -> None:
    session = Session(seeded_services)
    turn = session.verify("Alibaba has publicly denied Anthropic's accusation.")
    assert turn.record is not None
    deciding = [s.doc_id for s in turn.record.sources if s.stance != "neutral"]
    assert deciding
    out = session.without(deciding[0])
    assert not isinstance(out, type(turn))
    assert deciding[0] not in {s.doc_id for s in out.sources}
    assert all(c.doc_id != deciding[0] for c in out.citations)
    if len(deciding) == 1:
        assert out.label == "NOT_ENOUGH_INFO"


def test_source_shows_that_sources_own_answer(seeded_services: Any) -> None:
    session = Session(seeded_services)
    console, buf = quiet_console()
    handle(session, "When did the campaign happen?", console)
    handle(session, f"/source {D004}", console)
    shown = buf.getvalue().split(D004, 1)[1]
    assert "its answer to" in shown and "2025" in shown and "between April and June 2025" in shown
    handle(session, f"/source {D001}", console)
    assert "2026-04-22 to 2026-06-05" in buf.getvalue()


# ------------------------------------------------------------------------------------------- ask --json
def test_ask_json_schema(seeded_services: Any) -> None:
    from typer.testing import CliRunner

    from agent.cli import app

    data_dir = str(seeded_services.settings.data_dir)
    result = CliRunner().invoke(app, ["--data-dir", data_dir, "ask", "Which outlet broke the story?", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"question", "kind", "groups", "silent", "differ", "sources", "summary", "text", "citations"} <= set(out)
    for g in out["groups"]:
        assert {"label", "value", "doc_ids", "citations"} <= set(g)
        assert all({"doc_id", "chunk_id", "start", "end", "quote"} <= set(c) for c in g["citations"])
    answer = GroupedAnswer.model_validate(out)
    assert answer.kind == "who" and answer.differ
    assert_exact_quotes(seeded_services, answer)
    plain = CliRunner().invoke(app, ["--data-dir", data_dir, "ask", "How many fraudulent accounts did Alibaba use?"])
    assert plain.exit_code == 0 and "25,000" in plain.stdout


def test_how_long_questions_compare_lengths_of_time() -> None:
    from agent.app.answers import duration_values, same_answer

    assert parse_question("How long did the campaign last?").kind == "duration"
    assert parse_question("How many weeks did it run?").kind == "duration"
    assert parse_question("How many accounts were used?").kind == "count"
    weeks = duration_values("operators used fake accounts over six weeks")[0]
    days = duration_values("a period of 44 days")[0]
    period = duration_values("between April 22 and June 5, 2026")[0]
    assert (weeks.number, days.number, period.number) == (42, 44, 44)
    assert same_answer(weeks, days) and same_answer(days, period)  # as people write the same length
    assert not same_answer(days, duration_values("over three months")[0])
    assert duration_values("between April and June 2025") == []  # no day: no length to compute
