"""Ingests into one `chroma run` server from different data dirs (as from two machines) are serialised by a
lease kept in the server; a dead holder's lease expires and is taken over, never someone else's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import chromadb

from agent.data.lease import ServerLease
from agent.data.store import Embedder

from .conftest import SEEDS, make_services


def _locks(url: str) -> object:
    host, port = url.removeprefix("http://").split(":")
    client = chromadb.HttpClient(host=host, port=int(port), settings=chromadb.Settings(anonymized_telemetry=False))
    return client.get_or_create_collection("crosscheck__locks")


def test_lease_is_exclusive_expires_and_is_only_released_by_its_holder(chroma_server: str) -> None:
    now = [1000.0]
    col = _locks(chroma_server)
    a = ServerLease(col, ttl_s=60, clock=lambda: now[0])
    b = ServerLease(col, ttl_s=60, clock=lambda: now[0])
    assert a.try_acquire() is None  # free: a holds it
    held_by = b.try_acquire()
    assert held_by is not None and held_by["holder"] == a.holder  # b is told who holds it
    b.release()  # b's release must not free a's lease
    assert b.try_acquire() is not None
    now[0] += 61  # a died without releasing: its lease expires and b takes it over
    assert b.try_acquire() is None
    assert a.try_acquire() is not None  # and a, back, does not get it while b's is live
    b.release()
    assert a.try_acquire() is None


def test_renewal_keeps_a_long_ingest_s_lease(chroma_server: str) -> None:
    col = _locks(chroma_server)
    a = ServerLease(col, ttl_s=1.5, poll_s=0.05)
    a.acquire()
    try:
        time.sleep(2.5)  # past ttl_s: only the renewals keep it
        assert ServerLease(col, ttl_s=1.5).try_acquire() is not None
        assert not a.lost
    finally:
        a.release()
    assert ServerLease(col).try_acquire() is None


def test_two_data_dirs_ingesting_into_one_server_store_each_document_once(
    chroma_server: str, tmp_path: Path, seeds_copy: Path, embedder: Embedder
) -> None:
    """Different data dirs share no file lock: only the server lease can make one wait for the other. The test
    holds the lease until both processes say they wait, so they really run at once."""
    held = ServerLease(_locks(chroma_server))
    held.acquire()
    procs, outs, logs = [], [], []
    try:
        for i in (1, 2):
            env = {
                **os.environ,
                "CROSSCHECK_DATA_DIR": str(tmp_path / f"machine{i}"),
                "CROSSCHECK_STORE__URL": chroma_server,
                "HF_HUB_OFFLINE": "1",
            }
            outs.append(tmp_path / f"ingest{i}.out")
            logs.append(tmp_path / f"ingest{i}.err")
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "agent.cli", "ingest", str(seeds_copy)],
                    env=env,
                    text=True,
                    stdout=outs[-1].open("w"),
                    stderr=logs[-1].open("w"),
                )
            )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not all("waiting for another ingest" in f.read_text() for f in logs):
            assert all(p.poll() is None for p in procs), [f.read_text() for f in logs]
            time.sleep(0.2)
        assert all(held.holder in f.read_text() for f in logs), [f.read_text() for f in logs]  # named holder
    finally:
        held.release()
    for p in procs:
        assert p.wait(timeout=300) == 0, [f.read_text() for f in logs]
    summaries = sorted(f.read_text() for f in outs)
    assert "0 new, 0 changed, 5 unchanged; 0 chunks written" in summaries[0], summaries
    assert "5 new, 0 changed, 0 unchanged" in summaries[1], summaries

    services = make_services(tmp_path / "reader", embedder, store={"url": chroma_server})
    metas = services.store.documents()
    assert sorted(m.doc_id for m in metas) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    chunks = services.store.all_chunks()
    assert len({c.chunk_id for c in chunks}) == len(chunks) == sum(m.chunks for m in metas)
