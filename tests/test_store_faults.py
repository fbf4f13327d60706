"""A store built with another embedding model, and a damaged embedded store: named, and rebuilt on request.

Each step is a fresh `crosscheck` process (no in-process Chroma cache hides a damaged file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import SEEDS


def cli(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", "--data-dir", str(data), *args],
        capture_output=True, text=True, timeout=600, env={**os.environ, **env},
    )  # fmt: skip


def test_another_embedding_model_is_named_and_a_damaged_store_rebuilt(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = cli(data, "ingest", str(SEEDS))
    assert first.returncode == 0 and "5 new" in first.stdout, first.stderr[-2000:]

    other = cli(data, "verify", "Alibaba denied the accusation.", CROSSCHECK_EMBEDDING__MODEL="acme/other-model")
    assert other.returncode == 2 and "Traceback" not in other.stderr
    said = " ".join(other.stderr.split())
    assert "built with the embedding model 'packaged:all-MiniLM-L6-v2'" in said and "'acme/other-model'" in said
    assert "--rebuild" in said
    # extending it with the other model is refused too, and writes nothing
    more = cli(data, "ingest", str(SEEDS), CROSSCHECK_EMBEDDING__MODEL="acme/other-model")
    assert more.returncode != 0 and "built with the embedding model" in " ".join(more.stderr.split())

    sqlite = next((data / "chroma").glob("chroma.sqlite3"))
    sqlite.write_bytes(b"this is not a database" * 100)
    broken = cli(data, "sources")
    assert broken.returncode != 0 and "Traceback" not in broken.stderr
    assert "--rebuild" in " ".join(broken.stderr.split())

    rebuilt = cli(data, "ingest", "--rebuild", str(SEEDS))
    assert rebuilt.returncode == 0 and "5 new" in rebuilt.stdout, rebuilt.stderr[-2000:]
    listing = cli(data, "sources")
    assert listing.returncode == 0 and "5 sources" in listing.stdout
