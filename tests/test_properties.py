"""Property-based tests (hypothesis): the extractors and the citation offsets hold for any text, not only
for the sentences the unit tests thought of."""

from __future__ import annotations

import calendar

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.data.corpus import chunk_document, parse_html_document, parse_text_document, split_sentences
from agent.data.store import sentences_of
from agent.pipeline.nodes.extract import extract_dates, extract_durations, extract_quantities

FAST = settings(max_examples=100, deadline=None)

WORDS = ["survey", "Volunteers", "counted", "May", "June", "March 3", "2026", "1,250", "$4.5", "bn", "million"]
WORDS += ["12 days", "about", "nearly", "3rd", "of", "the", "Dr.", "U.S.", "e.g.", "年", "月", "-", "~", "%", "+"]
# news-like text: words, figures, dates and the punctuation the extractors key on, in any order
news_text = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.integers(0, 10**9).map(str),
        st.integers(0, 10**9).map(lambda n: f"{n:,}"),
        st.sampled_from([" ", " ", ". ", ", ", "\n", "\n\n", "-", "/", ":", "  "]),
        st.text(max_size=4),
    ),
    max_size=40,
).map(" ".join)
any_text = st.one_of(news_text, st.text(max_size=300))


@FAST
@given(any_text)
def test_every_extracted_span_is_the_input_at_its_start(text: str) -> None:
    for found in [*extract_quantities(text), *extract_dates(text), *extract_durations(text)]:
        assert found.text, found
        assert text[found.start : found.start + len(found.text)] == found.text, found


@FAST
@given(st.integers(min_value=0, max_value=10**12))
def test_a_formatted_integer_is_read_back_as_its_value(n: int) -> None:
    text = f"Volunteers counted {n:,} birds on the river."
    values = [q.value for q in extract_quantities(text) if not q.relative]
    assert values == [n], (text, values)  # "1,999" too: with a comma it is a figure, never a year


@FAST
@given(st.integers(1, 12), st.integers(1, 31), st.integers(1900, 2099))
def test_a_month_day_year_date_is_read_back(month: int, day: int, year: int) -> None:
    text = f"The survey ended on {calendar.month_name[month]} {day}, {year}, after the rains."
    dates = extract_dates(text)
    assert [(d.year, d.month, d.day) for d in dates] == [(year, month, day)], (text, dates)
    assert not [q for q in extract_quantities(text) if q.value in (day, year)], "a date is not a figure"


def _check_offsets(doc_text: str, chunks: list) -> None:  # type: ignore[type-arg]
    for c in chunks:
        assert doc_text[c.start : c.end] == c.text
        for s, e in c.sentences:
            assert c.start <= s < e <= c.end
        for sent in sentences_of(c):  # what a citation quotes: always doc_text[start:end]
            assert sent.text and doc_text[sent.start : sent.end] == sent.text


# what comes before the body moves its offsets: front matter (good or broken), a headline, nothing
HEADS = ["", "---\ntitle: T\ndate: 2026-06-01\n---\n", '---\ntitle: "Unclosed\n---\n', "Lynx Tracking Update\n\n"]


@FAST
@given(st.sampled_from(HEADS), any_text, st.integers(40, 900), st.integers(0, 2))
def test_citation_offsets_map_back_exactly_in_any_document(head: str, body: str, max_chars: int, overlap: int) -> None:
    text = head + body
    doc = parse_text_document("d", text)
    assert doc.text == text  # offsets are into the file as read, not a cleaned copy
    chunks = chunk_document(doc, max_chars, overlap)
    _check_offsets(doc.text, chunks)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


@FAST
@given(st.lists(st.one_of(news_text, st.text(max_size=40)), max_size=6))
def test_citation_offsets_map_back_exactly_in_any_html_document(paragraphs: list[str]) -> None:
    html = "<html><head><title>T</title></head><body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>"
    doc = parse_html_document("h", html)
    _check_offsets(doc.text, chunk_document(doc))


@FAST
@given(any_text, st.data())
def test_sentence_spans_are_ordered_and_inside_the_region(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    spans = split_sentences(text, start, end)
    prev = start
    for s, e in spans:
        assert prev <= s < e <= end
        assert "\n" not in text[s:e]  # newlines are hard boundaries
        prev = e
