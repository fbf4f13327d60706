"""Hostile and messy input: nothing is dropped unsaid, nothing from the input takes over the terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from agent import cli
from agent.app.batch import load_items
from agent.app.session import Session
from agent.app.verify import verify_claim
from agent.cli import app
from agent.cli.chat import handle
from agent.cli.render import verdict_panel
from agent.data.corpus import chunk_document, load_paths, parse_text_document
from agent.schemas import Document
from agent.text import normalise_claim

from .conftest import make_services

ESC = "\x1b"
RED, RESET = "\x1b[31m", "\x1b[0m"
CLEAN = (
    "Anthropic says roughly 25,000 fraudulent accounts were used in the campaign it blames on Alibaba-linked operators."
)
HOSTILE = (
    f"{RED}Anthropic says roughly 25,000\x07 fraudulent accounts{RESET} were used in the campaign\x9b2J it "
    "blames on Alibaba-linked\u202e operators.\x1b]0;owned\x07"
)
RIVER = (
    "River Survey Finds Otters Returning\n\n"
    "The annual river survey, run by the county wildlife trust, counted otter spraints at forty sites along "
    "the valley this spring.\n\n"
    "Surveyors said the numbers were the highest since the programme began, with fresh signs at nine sites "
    "that had none last year.\n\n"
    "Volunteers walked 14 miles of riverbank during the survey.\n"
)
BROKEN_FM = (
    '---\ntitle: "Unclosed quote title\ndate: 2026-06-01\nauthor: [broken\n---\n'
    "The council approved the new cycle lane on Tuesday after a long debate among members.\n\n"
    "Construction is expected to start in the autumn and take about six months to finish.\n"
)


def sentences(doc: Document) -> list[str]:
    return [doc.text[s:e] for c in chunk_document(doc) for s, e in c.sentences]


def only_doc(path: Path) -> Document:
    (doc,) = load_paths([path])
    assert isinstance(doc, Document), doc
    return doc


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, embedder: Any) -> Any:
    """The real CLI over one set of services per data dir (the real embedder, loaded once)."""
    made: dict[str, Any] = {}

    def services(cls: Any) -> Any:
        settings = cls.settings()
        key = str(settings.data_dir)
        if key not in made:
            made[key] = make_services(settings.data_dir, embedder)
        return made[key]

    monkeypatch.setattr(cli.State, "services", classmethod(services))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


# ------------------------------------------------------------------------- row 1: the boilerplate trimmer
def test_a_last_paragraph_of_one_sentence_is_evidence(tmp_path: Path) -> None:
    (tmp_path / "river.txt").write_text(RIVER)
    doc = only_doc(tmp_path / "river.txt")
    assert sentences(doc)[-1] == "Volunteers walked 14 miles of riverbank during the survey."
    assert doc.notes == []  # nothing was trimmed, so nothing to report


def test_what_the_trimmer_drops_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(RIVER + "\nKeep reading\nRelated: Otters in the city\n")
    doc = only_doc(tmp_path / "a.txt")
    assert "Keep reading" not in "".join(sentences(doc))
    assert sentences(doc)[-1] == "Volunteers walked 14 miles of riverbank during the survey."
    (note,) = doc.notes
    assert note.startswith("lines 9-10 (2 non-blank") and "'Keep reading'" in note


# ------------------------------------------------------------------------- row 3: control sequences
def test_claims_are_normalised() -> None:
    assert normalise_claim(HOSTILE) == CLEAN
    assert normalise_claim("Cafe\u0301  opened\ton\nMonday") == "Caf\u00e9 opened on Monday"  # NFC, one space
    assert normalise_claim(f"{RED}{RESET}\x00 \x7f") == ""


def test_a_claim_with_escape_sequences_gets_the_clean_claims_verdict(seeded_services: Any) -> None:
    hostile, clean = verify_claim(seeded_services, HOSTILE), verify_claim(seeded_services, CLEAN)
    assert hostile.claim == clean.claim == CLEAN
    assert (hostile.label, hostile.confidence) == (clean.label, clean.confidence)
    assert [c.quote for c in hostile.citations] == [c.quote for c in clean.citations]


def test_nothing_printed_carries_an_escape_sequence(
    run_cli: Any, seeded_services: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli.State, "services", classmethod(lambda cls: seeded_services))
    verified = run_cli("verify", HOSTILE)
    assert verified.exit_code == 0 and ESC not in verified.output and "\x9b" not in verified.output
    assert "Anthropic says roughly 25,000 fraudulent accounts" in verified.output

    claims = tmp_path / "claims.txt"
    claims.write_text(f"{HOSTILE}\n{CLEAN}\n")
    out = tmp_path / "out.jsonl"
    batch = run_cli("batch", claims, "-o", out)
    assert batch.exit_code == 0, batch.output
    assert ESC not in batch.output and "\x07" not in batch.output  # the verdict table and the summary
    first, second = (json.loads(line) for line in out.read_text().splitlines())
    assert first["claim"] == CLEAN and first["label"] == second["label"]

    # what a document carries (title, quotes) is printed clean too, and stays exact in the record
    record = verify_claim(seeded_services, CLEAN)
    record.sources[0].title = f"{RED}Evil title{RESET}"
    record.sources[0].citations[0].quote += "\x1b[2J"
    record.rationale += "\x1b[?1049h"
    screen = io.StringIO()
    Console(file=screen, width=200).print(verdict_panel(record))
    assert ESC not in screen.getvalue() and "Evil title" in screen.getvalue()

    chat_screen = io.StringIO()
    handle(Session(seeded_services), HOSTILE, Console(file=chat_screen, width=200))
    handle(Session(seeded_services), f"/source {RED}nope", Console(file=chat_screen, width=200))
    assert ESC not in chat_screen.getvalue() and "fraudulent accounts" in chat_screen.getvalue()


def test_sources_prints_titles_without_escape_sequences(run_cli: Any, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "evil.txt").write_text(f"{RED}Lynx [bold]Update{RESET}\n\n" + RIVER.split("\n\n", 1)[1])
    data = ["--data-dir", tmp_path / "data"]
    assert run_cli(*data, "ingest", corpus).exit_code == 0
    listing = run_cli(*data, "sources")
    assert listing.exit_code == 0 and ESC not in listing.output
    assert "Lynx [bold]Update" in listing.output  # escaped for Rich markup, not interpreted


# ------------------------------------------------------------------------- row 4: nothing to index
def test_a_document_with_nothing_to_index_is_named_and_fails_the_run(run_cli: Any, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "words.txt").write_text("".join(f"word{i}\n" for i in range(200_000)))
    (corpus / "river.txt").write_text(RIVER)
    data = ["--data-dir", tmp_path / "data"]
    result = run_cli(*data, "ingest", corpus)
    assert result.exit_code == 1, result.output
    assert "words.txt: nothing to index: no sentence of three words or more (200,000 lines" in result.output
    assert "1 documents: 1 new" in result.output and "1 skipped" in result.output
    listing = run_cli(*data, "sources")
    assert "river" in listing.output and "words" not in listing.output  # no empty document in the store


# ------------------------------------------------------------------------- row 5: blank claim lines
def test_blank_lines_of_a_txt_claim_list_are_error_records_in_place(tmp_path: Path) -> None:
    f = tmp_path / "claims.txt"
    lines = [f"Claim number {i} is about otters." for i in range(8)]
    lines[3:3] = [""]
    lines[6:6] = ["   \t "]
    f.write_text("\n".join(lines) + "\n")
    items = load_items(f, max_chars=2000)
    assert len(items) == 10  # 10 lines in, 10 records out
    assert [(i.line, i.error) for i in items if i.error] == [(4, "empty claim"), (7, "empty claim")]
    assert [i.line for i in items] == list(range(1, 11))
    # a line of nothing but escape codes is empty too, and a hostile one is read as its clean claim
    f.write_text(f"{RED}{RESET}\x07\n{HOSTILE}\n")
    assert [(i.claim, i.error) for i in load_items(f, max_chars=2000)] == [("", "empty claim"), (CLEAN, None)]


# ------------------------------------------------------------------------- row 6: broken front matter
def test_broken_front_matter_is_named_and_not_evidence(run_cli: Any, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "broken.md").write_text(BROKEN_FM)
    doc = only_doc(corpus / "broken.md")
    assert "Unclosed" not in doc.meta.title and doc.meta.author is None
    assert sentences(doc) == [
        "The council approved the new cycle lane on Tuesday after a long debate among members.",
        "Construction is expected to start in the autumn and take about six months to finish.",
    ]
    (warning,) = doc.warnings
    assert "not valid YAML" in warning and "line 2" in warning

    result = run_cli("--data-dir", tmp_path / "data", "ingest", corpus)
    assert result.exit_code == 1, result.output
    assert "broken.md: front matter (lines 1-5) is not valid YAML" in result.output
    assert "1 new" in result.output  # the body is still ingested


def test_unclosed_front_matter_is_named(tmp_path: Path) -> None:
    (tmp_path / "open.md").write_text("---\ntitle: Never closed\nThe body starts here and goes on for a while.\n")
    doc = only_doc(tmp_path / "open.md")
    assert doc.warnings == ["front matter opened with --- is never closed: read as body text"]
    assert doc.meta.title == "title: Never closed"  # not the rule line "---"


def test_good_front_matter_still_reads() -> None:
    doc = parse_text_document("x", '---\ntitle: "A fine title"\nauthor: me\n---\nBody text of the article here.\n')
    assert (doc.meta.title, doc.meta.author, doc.warnings) == ("A fine title", "me", [])


# ------------------------------------------------------------------------- row 7: a headline first line
def test_a_short_headline_first_line_is_the_title(tmp_path: Path) -> None:
    (tmp_path / "lynx.txt").write_text(
        "Lynx Tracking Update\n\nRangers fitted three lynx with GPS collars in the northern forest last month.\n\n"
        "The collars will report positions every four hours for two years.\n"
    )
    doc = only_doc(tmp_path / "lynx.txt")
    assert doc.meta.title == "Lynx Tracking Update"
    body = sentences(doc)
    assert body[1] == "Rangers fitted three lynx with GPS collars in the northern forest last month."
    assert doc.meta.title not in body[1]  # never glued to the body's first sentence


def test_an_article_opening_with_a_sentence_keeps_its_first_sentence_as_title(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Rangers fitted three lynx with collars.\nMore text follows here today.\n")
    assert only_doc(tmp_path / "a.txt").meta.title == "Rangers fitted three lynx with collars."


# ------------------------------------------------------------------------- row 9: a size guard
def test_a_file_over_the_size_limit_is_named_and_skipped(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "big.txt").write_text(RIVER * 400)  # about 150 kB
    (corpus / "small.txt").write_text(RIVER)
    (corpus / "corpus.jsonl").write_text(
        json.dumps({"doc_id": "j-big", "text": RIVER * 400}) + "\n" + json.dumps({"doc_id": "j-ok", "text": RIVER})
    )
    monkeypatch.setenv("CROSSCHECK_INGEST__MAX_DOC_BYTES", "100000")
    result = run_cli("--data-dir", tmp_path / "data", "ingest", corpus)
    assert result.exit_code == 1, result.output
    assert "big.txt: 141 kB, over the 100 kB limit (ingest.max_doc_bytes)" in result.output
    assert "corpus.jsonl:1: record j-big is 141 kB, over the 100 kB limit" in result.output
    assert "2 documents: 2 new" in result.output
