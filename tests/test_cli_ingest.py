from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from agent.cli import app

from .conftest import SEEDS

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

    again = runner.invoke(app, [*data, "ingest", str(SEEDS)])
    assert again.exit_code == 0 and "0 new, 0 changed, 5 unchanged" in again.output

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
