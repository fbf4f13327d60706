"""Concurrent ingests of one store are serialised; readers only ever see fully written documents."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from filelock import FileLock

from agent.app.ingest import ingest, lock_path
from agent.data.corpus import chunk_document, content_hash, load_paths
from agent.data.index import SentenceIndex
from agent.data.store import chunk_metadata
from agent.pipeline.services import Services
from agent.schemas import Document

from .conftest import SEEDS, make_services


def _crosscheck(data_dir: Path, *args: str, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "CROSSCHECK_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "agent.cli", *args], env=env, text=True, **popen
    )


def test_two_ingest_processes_of_one_folder_store_each_document_once(
    tmp_path: Path, seeds_copy: Path, embedder: object
) -> None:
    """Both processes are made to reach the lock while the test holds it, so they really run at once; then
    one does the work and the other, re-reading the hashes under the lock, finds everything unchanged."""
    data = tmp_path / "data"
    settings = make_services(data, embedder).settings  # type: ignore[arg-type]
    held = FileLock(str(lock_path(settings)))
    held.acquire()
    logs = [tmp_path / f"ingest{i}.err" for i in (1, 2)]
    outs = [tmp_path / f"ingest{i}.out" for i in (1, 2)]
    procs = []
    try:
        for out, log in zip(outs, logs, strict=True):
            procs.append(_crosscheck(data, "ingest", str(seeds_copy), stdout=out.open("w"), stderr=log.open("w")))
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not all("waiting for another ingest" in f.read_text() for f in logs):
            assert all(p.poll() is None for p in procs), [f.read_text() for f in logs]
            time.sleep(0.2)
    finally:
        held.release()
    for p in procs:
        assert p.wait(timeout=300) == 0
    summaries = sorted(f.read_text() for f in outs)
    waited = ["waiting for another ingest" in f.read_text() for f in logs]
    assert waited == [True, True], [f.read_text() for f in logs]
    assert "0 new, 0 changed, 5 unchanged; 0 chunks written" in summaries[0], summaries
    assert "5 new, 0 changed, 0 unchanged" in summaries[1], summaries

    # the store holds each document once, with exactly the chunks one ingest cuts from it
    services = make_services(data, embedder)  # type: ignore[arg-type]
    metas = services.store.documents()
    assert sorted(m.doc_id for m in metas) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    chunks = services.store.all_chunks()
    assert len({c.chunk_id for c in chunks}) == len(chunks) == sum(m.chunks for m in metas)
    for m in metas:
        assert m.chunks == len([c for c in chunks if c.doc_id == m.doc_id])


def _half_written(services: Services, doc: Document, upto: int) -> None:
    """What a reader sees while another process is inside VectorStore.write: old record and chunks
    gone, only the first `upto` new chunks in, record not yet written."""
    chunks = chunk_document(doc, services.settings.chunking.max_chars, services.settings.chunking.overlap_sentences)
    doc.meta.chunks = len(chunks)
    store = services.store
    store.delete_documents([doc.doc_id])
    part = chunks[:upto]
    vecs = np.zeros((len(part), 384), np.float32)
    vecs[:, 0] = 1.0
    store.chunks.add(
        ids=[c.chunk_id for c in part],
        embeddings=vecs,
        documents=[c.text for c in part],
        metadatas=[chunk_metadata(c, doc.meta.content_hash) for c in part],
    )


def test_reader_never_sees_a_half_written_document(services: Services, seeds_copy: Path) -> None:
    ingest([seeds_copy], services.settings, services.store, services.embedder)
    target = "002_2a0152b85f9d3ae4"
    path = seeds_copy / f"{target}.txt"
    path.write_text("Editors' note: this story was rewritten.\n\n" + path.read_text(encoding="utf-8"), "utf-8")
    doc = next(d for d in load_paths([path]) if isinstance(d, Document))
    doc.meta.content_hash = content_hash(doc.text, "half")

    # mid-write: the new chunks are partly in, the record is not: the document is not in the view
    _half_written(services, doc, upto=2)
    snap = services.store.snapshot(attempts=1)
    assert target not in snap.metas and all(c.doc_id != target for c in snap.chunks)
    assert len(snap.metas) == 4

    # an old record left with new chunks (a writer that published the record before its chunks) is
    # incomplete: named, and left out rather than cited with offsets from another text
    services.store.docs.add(
        ids=[target],
        embeddings=np.ones((1, 384), np.float32) / np.sqrt(384),
        documents=[doc.text],
        metadatas=[{"title": doc.meta.title, "content_hash": doc.meta.content_hash, "chunks": doc.meta.chunks}],
    )
    snap = services.store.snapshot(attempts=2, pause_s=0.01)
    assert snap.incomplete == [target] and target not in snap.texts

    index = SentenceIndex.build(services.store)
    assert target not in index.by_doc
    for s in index.sentences:  # every sentence the verifier can cite is a slice of the text read with it
        assert index.texts[s.doc_id][s.start : s.end] == s.text


def test_new_text_with_old_chunks_is_left_out(services: Services, seeds_copy: Path) -> None:
    """A record of the edited text over chunks cut from the old one (same count, other offsets) is the
    'citation is not a slice of its document' case: the chunks' content_hash tag keeps it out."""
    ingest([seeds_copy], services.settings, services.store, services.embedder)
    target = "002_2a0152b85f9d3ae4"
    got = services.store.docs.get(ids=[target], include=["metadatas", "documents", "embeddings"])
    meta = dict(got["metadatas"][0])  # type: ignore[index]
    services.store.docs.upsert(
        ids=[target],
        embeddings=got["embeddings"],  # type: ignore[arg-type]
        documents=["Editors' note: this story was rewritten.\n\n" + got["documents"][0]],  # type: ignore[index]
        metadatas=[{**meta, "content_hash": "edited"}],
    )
    snap = services.store.snapshot(attempts=1)
    assert snap.incomplete == [target]
    index = SentenceIndex.build(services.store)
    assert target not in index.by_doc and len(index.metas) == 4
    for s in index.sentences:
        assert index.texts[s.doc_id][s.start : s.end] == s.text
