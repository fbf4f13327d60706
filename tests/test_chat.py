"""`crosscheck chat`: classification, cited answers and follow-ups, and the REPL in a real terminal."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from agent.app.session import Session, classify
from agent.cli.chat import handle
from agent.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    "text,kind",
    [
        ("Who was the letter addressed to?", "question"),
        ("how many accounts", "question"),
        ("Did Alibaba deny it", "question"),
        ("and the February one?", "question"),
        ("Alibaba denied the accusation.", "claim"),
        ("Anthropic says 25,000 accounts were used", "claim"),
    ],
)
def test_classify(text: str, kind: str) -> None:
    assert classify(text) == kind


def test_answers_cite_exact_slices_and_follow_ups_use_context(seeded_services: Any, tmp_path: Path) -> None:
    from rich.console import Console

    session = Session(seeded_services)
    idx = seeded_services.index()
    turn = session.ask("How many exchanges with Claude did the campaign generate?")
    assert turn.answer is not None and turn.answer.citations  # one quote per answering source
    assert len({c.doc_id for c in turn.answer.citations}) == len(turn.answer.citations)
    assert all(idx.valid_citation(c) for c in turn.answer.citations)
    assert "28.8" in turn.answer.text

    follow = session.ask("and the February one?")
    assert "How many exchanges" in follow.query  # the previous question rides along into retrieval

    verdict = session.verify("Alibaba has publicly denied Anthropic's accusation.")
    assert verdict.record is not None and verdict.record.label == "CONFLICTING"
    refuters = {s.doc_id for s in verdict.record.sources if s.stance == "refutes"}
    assert refuters == {"004_eb269963b8a04d98"}  # "expected to deny", not a denial
    who = session.ask("which source disagrees?")
    assert who.answer is not None
    assert {c.doc_id for c in who.answer.citations} == refuters
    assert "[004_eb269963b8a04d98] contradicts it" in who.answer.text

    console = Console(file=open(os.devnull, "w"), width=100)  # noqa: SIM115
    assert handle(session, f"/export {tmp_path / 'v.jsonl'}", console)
    rows = [json.loads(x) for x in (tmp_path / "v.jsonl").read_text().splitlines()]
    assert [r["claim"] for r in rows] == ["Alibaba has publicly denied Anthropic's accusation."]
    assert handle(session, "/quit", console) is False


def test_repl_in_a_real_terminal(seeded_services: Any, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "50",
        "NO_COLOR": "1",
    }
    exe = str(Path(sys.executable).parent / "crosscheck")
    child = pexpect.spawn(
        exe,
        ["--data-dir", str(seeded_services.settings.data_dir), "chat"],
        env=env,
        encoding="utf-8",
        timeout=150,
        dimensions=(50, 120),
    )
    child.logfile_read = (tmp_path / "tty.log").open("w")
    try:
        child.expect("crosscheck>")
        child.sendline("How many exchanges with Claude did the campaign generate?")
        child.expect(r"\[1\] \d{3}_[0-9a-f]+ chars \d+")  # an answer with at least one citation
        child.expect("crosscheck>")
        child.sendline("Alibaba has publicly denied Anthropic's accusation.")
        child.expect(r"CONFLICTING(\x1b\[[0-9;]*m)*\s+confidence")  # 002 supports, 004 refutes
        child.expect("crosscheck>")
        child.sendline("/why")
        child.expect("Evidence behind")
        child.expect(r"“")  # quotes of the evidence
        child.expect("crosscheck>")
        # a grouped answer: the sources differ on who broke the story, each named with its answer
        child.sendline("Which outlet broke the story?")
        child.expect("The sources differ")
        child.expect("crosscheck>")

        # a follow-up that refers back says how it was read; a new question does not
        def bottom_border(question: str) -> str:
            """The answer panel's last line, where a follow-up says how it was read."""
            child.sendline(question)
            child.expect(r"╰[^\r\n]*")
            line = child.after
            child.expect("crosscheck>")
            return line

        assert "read with the previous turn" not in bottom_border("How many exchanges did the campaign generate?")
        assert "read with the previous turn" in bottom_border("and the February one?")
        assert "read with the previous turn" not in bottom_border("When did Anthropic send its letter?")
        child.sendline("/without 002_2a0152b85f9d3ae4")
        child.expect("without 002_2a0152b85f9d3ae4:")
        child.expect(r"╰[^\r\n]*")
        assert "002_2a0152b85f9d3ae4" not in child.before  # the question again, that source left out
        child.expect("crosscheck>")
        child.sendline("/conflicts")
        child.expect("points where they differ")
        child.expect("differs")
        child.expect("crosscheck>")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    history = seeded_services.settings.data_dir / "chat_history"  # saved across sessions, in the data dir
    assert "/why" in history.read_text()
    log = (tmp_path / "tty.log").read_text()
    assert "Traceback" not in log and re.search(r"chars \d+", log)
