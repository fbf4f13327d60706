from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from agent.cli import app, common
from agent.data.index import INDEX_FILE, SentenceIndex, tokenizer_signature
from agent.data.store import Embedder
from agent.settings import Settings

from .conftest import SEEDS, make_services

runner = CliRunner()


def test_ingest_and_sources_via_cli(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.md").write_text("")
    (bad / "corpus.jsonl").write_text(
        '{"doc_id": "j1", "title": "J", "text": "Some article text about things."}\n{oops\n'
    )
    data = ["--data-dir", str(tmp_path / "data")]
    result = runner.invoke(app, [*data, "ingest", str(SEEDS), str(bad)])
    assert result.exit_code == 1, result.output  # something was skipped
    assert "empty.md: empty file" in result.output
    assert "corpus.jsonl:2: not JSON" in result.output
    assert "6 documents: 6 new" in result.output
    assert "Traceback" not in result.output

    assert "sentence index up to date" in result.output  # the index follows the store at ingest, not at verify
    services = make_services(tmp_path / "data", Embedder(Settings().embedding))
    fingerprint = f"{services.store.fingerprint()}|{tokenizer_signature()}"
    assert SentenceIndex.load(tmp_path / "data" / INDEX_FILE, fingerprint) is not None

    again = runner.invoke(app, [*data, "ingest", str(SEEDS)])
    assert again.exit_code == 0 and "0 new, 0 changed, 5 unchanged" in again.output
    assert "sentence index" not in again.output  # nothing changed: nothing to update

    listing = runner.invoke(app, [*data, "sources"], terminal_width=200)
    assert listing.exit_code == 0
    for needle in ("000_4ef8fc55e1dac0fd", "2026-06-28", "j1", "6 sources"):
        assert needle in listing.output


def test_sources_on_empty_store_and_bad_server(tmp_path: Path) -> None:
    empty = runner.invoke(app, ["--data-dir", str(tmp_path / "d"), "sources"])
    assert empty.exit_code == 1 and "crosscheck ingest" in empty.output
    down = runner.invoke(app, ["--store-url", "http://127.0.0.1:9", "sources"])
    assert down.exit_code == 2 and "cannot open the Chroma store" in down.output
    assert "Traceback" not in down.output


def test_progress_lines_when_stderr_is_no_terminal(tmp_path: Path) -> None:
    """A log file or CI gets plain progress lines; the rich bar alone says nothing there until it ends."""
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "d"), "ingest", str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert re.search(r"embedding chunks and sentences: ([\d,]+)/\1 \(100%\)", result.output), result.output


def test_heartbeat_says_at_most_one_line_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(common, "err", Console(file=out, width=200))
    now = [0.0]
    beat = common.Heartbeat(every_s=30, clock=lambda: now[0])
    for i in range(1, 101):  # 100 steps, 1 s apart: the start, one line every 30 s, the end
        now[0] = float(i)
        beat("embedding", i, 100)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("embedding: 1/100 (1%)") and lines[-1].startswith("embedding: 100/100 (100%)")
    assert len(lines) == 5  # at 1, 31, 61, 91 s and the last step
    beat("verifying", 1, 10)
    assert out.getvalue().splitlines()[-1].startswith("verifying: 1/10")  # a new phase is said at once
