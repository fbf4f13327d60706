"""A real `chroma run` stopped in the middle of a batch: bounded retries, then a clear stop (exit 3) with the
finished records journalled; after the server is back, `--resume` completes the run, each id exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .conftest import PROJECT_ROOT, SEEDS, free_port, start_chroma

CLAIMS = [json.loads(x)["claim"] for x in (PROJECT_ROOT / "evals/gold/seed_claims.jsonl").read_text().splitlines()]


def _lines(path: Path) -> Iterator[dict[str, object]]:
    if path.exists():
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                yield json.loads(raw)


def test_a_stopped_server_stops_the_batch_and_resume_completes_it(tmp_path: Path) -> None:
    port, store = free_port(), tmp_path / "server"
    server = start_chroma(store, port)
    env = {
        **os.environ,
        "CROSSCHECK_STORE__URL": f"http://127.0.0.1:{port}",
        "CROSSCHECK_STORE__RETRIES": "3",
        "CROSSCHECK_STORE__RETRY_WAIT_S": "0.2",
        "CROSSCHECK_DATA_DIR": str(tmp_path / "data"),
    }
    cli = [sys.executable, "-m", "agent.cli"]
    claims = tmp_path / "claims.txt"
    claims.write_text("\n".join(CLAIMS[:30]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    journal = out.with_name(out.name + ".partial")
    try:
        ingest = subprocess.run([*cli, "ingest", str(SEEDS)], env=env, capture_output=True, text=True, timeout=600)
        assert ingest.returncode == 0, ingest.stderr[-2000:]
        run = subprocess.Popen(
            [*cli, "batch", str(claims), "-o", str(out), "--workers", "1"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 300
        while len(list(_lines(journal))) < 3 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.1)
        server.terminate()
        server.wait(timeout=30)
        _, stderr = run.communicate(timeout=300)
        said = " ".join(stderr.split())
        assert run.returncode == 3, said[-2000:]
        assert "stopped answering" in said and "--resume" in said and "Traceback" not in said
        partial = list(_lines(journal))
        assert 3 <= len(partial) < 30 and not any("error" in r for r in partial)  # no claim marked failed

        server = start_chroma(store, port)  # the server is back, with its data
        again = subprocess.run(
            [*cli, "batch", str(claims), "-o", str(out), "--resume"], env=env, capture_output=True, text=True,
            timeout=600,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr[-2000:]
        assert f"resuming: {len(partial)} done" in again.stderr
        records = list(_lines(out))
        assert len(records) == len({r["id"] for r in records}) == 30  # every claim, each exactly once
        assert not any("error" in r for r in records) and not journal.exists()
    finally:
        server.terminate()
        server.wait(timeout=30)
