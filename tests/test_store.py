"""Ingestion against the real embedding model and a real Chroma (embedded, and a `chroma run` server)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.context import Services
from agent.ingest import ingest
from agent.store import Embedder

from .conftest import SEEDS, make_services


def _check_store(services: Services, seeds: Path) -> dict[str, list[str]]:
    chunks = services.store.all_chunks()
    texts = services.store.document_texts(sorted({c.doc_id for c in chunks}))
    for c in chunks:
        assert c.text == texts[c.doc_id][c.start : c.end]
        for s, e in c.sentences:
            assert c.start <= s < e <= c.end
    for f in seeds.glob("*.txt"):
        assert texts[f.stem] == f.read_text(encoding="utf-8")
    by_doc: dict[str, list[str]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c.text)
    return by_doc


def test_ingest_seeds_twice_then_edit_one(services: Services, seeds_copy: Path) -> None:
    first = ingest([seeds_copy], services.settings, services.store, services.embedder)
    assert (first.documents, first.new, first.changed, first.unchanged) == (5, 5, 0, 0)
    metas = {m.doc_id: m for m in services.store.documents()}
    assert len(metas) == 5
    assert (
        metas["004_eb269963b8a04d98"].title
        == "Anthropic accuses Alibaba of the largest distillation campaign against Claude"
    )
    assert metas["001_530ad8e28140dcaf"].date == "2026-06-28"
    assert sum(m.chunks for m in metas.values()) == services.store.count() == first.chunks_written
    before = _check_store(services, seeds_copy)

    second = ingest([seeds_copy], services.settings, services.store, services.embedder)
    assert (second.new, second.changed, second.unchanged, second.chunks_written) == (0, 0, 5, 0)
    assert services.store.count() == first.chunks_written

    # edit one document: only its chunks change, none of its old chunks survive
    target = seeds_copy / "002_2a0152b85f9d3ae4.txt"
    text = target.read_text(encoding="utf-8")
    target.write_text(
        text.split("Our assessment")[0] + "A short new closing paragraph written for the test.\n", encoding="utf-8"
    )
    third = ingest([seeds_copy], services.settings, services.store, services.embedder)
    assert (third.new, third.changed, third.unchanged) == (0, 1, 4)
    after = _check_store(services, seeds_copy)
    assert after["002_2a0152b85f9d3ae4"] != before["002_2a0152b85f9d3ae4"]
    assert not any("Our assessment" in t for t in after["002_2a0152b85f9d3ae4"])
    for doc_id in before:
        if doc_id != "002_2a0152b85f9d3ae4":
            assert after[doc_id] == before[doc_id]
    assert services.store.count() == sum(len(v) for v in after.values())


def test_dense_query_finds_the_right_passage(seeded_services: Services) -> None:
    vec = seeded_services.embedder.encode(["How many fake accounts did Alibaba use?"])[0]
    hits = seeded_services.store.query(vec, k=3)
    chunks = {c.chunk_id: c for c in seeded_services.store.all_chunks()}
    assert "25,000" in chunks[hits[0][0]].text
    assert hits[0][1] > hits[-1][1] - 1e-6 > 0.3
    only = seeded_services.store.query(vec, k=3, doc_ids=["004_eb269963b8a04d98"])
    assert only and all(cid.startswith("004_eb269963b8a04d98:") for cid, _ in only)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    exe = shutil.which("chroma") or str(Path(__import__("sys").executable).parent / "chroma")
    port = _free_port()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            assert proc.poll() is None, "chroma run exited early"
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma server did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_client_server_mode(chroma_server: str, tmp_path: Path, embedder: Embedder, seeds_copy: Path) -> None:
    services = make_services(tmp_path / "unused", embedder, store={"url": chroma_server})
    first = ingest([seeds_copy], services.settings, services.store, services.embedder)
    assert first.new == 5 and first.chunks_written > 0
    assert not (tmp_path / "unused" / "chroma").exists()  # nothing written locally in server mode
    _check_store(services, seeds_copy)
    # a second client sees the same data and skips it all
    again = make_services(tmp_path / "unused", embedder, store={"url": chroma_server})
    second = ingest([seeds_copy], again.settings, again.store, again.embedder)
    assert (second.unchanged, second.chunks_written) == (5, 0)
    assert [m.doc_id for m in again.store.documents()] == sorted(p.stem for p in SEEDS.glob("*.txt"))


def test_unreachable_server_is_a_clean_error(tmp_path: Path, embedder: Embedder) -> None:
    from agent.store import StoreError

    services = make_services(tmp_path, embedder, store={"url": f"http://127.0.0.1:{_free_port()}"})
    with pytest.raises(StoreError, match="cannot open the Chroma store"):
        services.store.documents()
