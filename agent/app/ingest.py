"""Ingestion: load → lock the store → skip unchanged (content hash) → chunk → embed → replace in the store.

The embed step encodes every chunk and every sentence of those chunks that has no stored vector yet, in
one pass; sentence vectors go to the index's vector cache (agent/data/index.py `VectorCache`, keyed by text), so
verification never encodes a sentence of an ingested document, also in a fresh process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from pydantic import BaseModel, Field

from agent.data.corpus import LoadError, chunk_document, content_hash, load_paths, why_no_chunks
from agent.data.index import VectorCache, vector_cache
from agent.data.lease import ServerLease
from agent.data.store import Embedder, VectorStore, embed_text, sentences_of
from agent.schemas import Chunk, Document
from agent.settings import Settings

Progress = Callable[[str, int, int], None]
"""progress(phase, done, total)"""


class IngestReport(BaseModel):
    documents: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    chunks_written: int = 0
    sentences_encoded: int = Field(0, description="distinct sentences encoded for the index (not cached before)")
    errors: list[str] = Field(default_factory=list, description="documents or lines skipped, with the reason")
    warnings: list[str] = Field(default_factory=list, description="parts of ingested documents that were not read")
    notes: list[str] = Field(default_factory=list, description="what was left out of the evidence by design")
    seconds: float = 0.0
    embed_seconds: float = 0.0
    lock_wait_seconds: float = Field(0.0, description="time spent waiting for another ingest of the same store")

    @property
    def skipped(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        return (
            f"{self.documents} documents: {self.new} new, {self.changed} changed, {self.unchanged} unchanged; "
            f"{self.chunks_written} chunks written; {self.skipped} skipped"
            + (f", {len(self.warnings)} with warnings" if self.warnings else "")
            + f"; {self.seconds:.1f}s"
            + (f" (waited {self.lock_wait_seconds:.1f}s for another ingest)" if self.lock_wait_seconds >= 0.1 else "")
        )

    @property
    def complete(self) -> bool:
        """Everything offered was read: nothing skipped, nothing in a document ignored (exit 0 only then)."""
        return not self.errors and not self.warnings


def _noop(phase: str, done: int, total: int) -> None:
    return None


def lock_path(settings: Settings) -> Path:
    """One file lock per data dir: the embedded store lives there. A server store adds a lease in the server
    (`store_lock`), which ingests from other machines or data dirs see too."""
    return settings.data_dir / "ingest.lock"


@contextmanager
def store_lock(settings: Settings, progress: Progress = _noop, store: VectorStore | None = None) -> Iterator[float]:
    """Hold the ingest lock of this store; yields the seconds spent waiting for another ingest to finish.

    An OS file lock (filelock: flock/LockFileEx), so a killed ingest releases it with its process; for a
    server store (`store.url`), also a lease record in the server itself (agent/data/lease.py), renewed while
    held and expiring if its holder dies."""
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    t0 = time.perf_counter()
    try:
        lock.acquire(timeout=0)
    except Timeout:
        progress(f"waiting for another ingest of this store ({path})", 0, 0)
        lock.acquire()
    lease = ServerLease(store.locks) if settings.store.url and store is not None else None
    try:
        if lease is not None:
            url = settings.store.url
            lease.acquire(lambda who: progress(f"waiting for another ingest of this store ({who} at {url})", 0, 0))
        try:
            yield time.perf_counter() - t0
        finally:
            if lease is not None:
                lease.release()
                if lease.lost:  # stalled past the lease's ttl: another ingest may have written meanwhile
                    progress(f"warning: the ingest lease on {settings.store.url} expired while held", 0, 0)
    finally:
        lock.release()


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    store: VectorStore,
    embedder: Embedder,
    progress: Progress = _noop,
    on_error: Callable[[LoadError], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    cache: VectorCache | None = None,
    rebuild: bool = False,
) -> IngestReport:
    """Load, chunk, embed and write; every skipped file, ignored part and trimmed tail is reported.

    on_error gets what was skipped (files, lines, documents with nothing to index); on_warning what was not
    read in a document that was kept (broken front matter); on_note what was left out of the evidence by
    design (trailing site boilerplate). Sentence vectors go to `cache` (default: the data dir's).
    `rebuild` empties the store first (under the lock), so everything is chunked and embedded anew: the way out
    of a damaged store or one built with another embedding model."""
    t0 = time.perf_counter()
    cache = cache if cache is not None else vector_cache(settings.data_dir, store)
    report = IngestReport()
    docs: dict[str, Document] = {}
    for n, item in enumerate(load_paths(paths, settings.ingest.max_doc_bytes or None), 1):
        progress("read", n, 0)
        if isinstance(item, LoadError):
            report.errors.append(str(item))
            if on_error:
                on_error(item)
            continue
        if item.doc_id in docs:
            report.errors.append(f"{item.meta.path}: duplicate doc_id {item.doc_id}, kept the first")
            continue
        for w in item.warnings:
            report.warnings.append(f"{item.meta.path or item.doc_id}: {w}")
            if on_warning:
                on_warning(report.warnings[-1])
        item.meta.content_hash = content_hash(
            item.text, settings.chunking.max_chars, settings.chunking.overlap_sentences, embedder.name
        )
        docs[item.doc_id] = item
    with store_lock(settings, progress, store) as waited:
        report.lock_wait_seconds = waited
        if rebuild:
            store.reset()
        store.check_model(embedder.name)  # before any encoding: vectors of two models never share a store
        # hashes are read under the lock: what an ingest that held it before us wrote counts as unchanged
        _index(docs, settings, store, embedder, cache, report, progress, on_error, on_note)
    report.seconds = time.perf_counter() - t0
    return report


def _index(
    docs: dict[str, Document],
    settings: Settings,
    store: VectorStore,
    embedder: Embedder,
    cache: VectorCache,
    report: IngestReport,
    progress: Progress,
    on_error: Callable[[LoadError], None] | None,
    on_note: Callable[[str], None] | None,
) -> None:
    """Chunk, embed and write the documents whose content hash differs from the stored one; encode their
    sentences for the index in the same pass."""
    known = store.stored_hashes(list(docs))
    todo: list[Document] = []
    chunks: list[Chunk] = []
    for n, d in enumerate([d for d in docs.values() if known.get(d.doc_id) != d.meta.content_hash]):
        progress("chunk", n, len(docs))
        doc_chunks = chunk_document(d, settings.chunking.max_chars, settings.chunking.overlap_sentences)
        if not doc_chunks:  # nothing to index: name it instead of storing an empty document
            why = why_no_chunks(d) + ("; the version ingested before is kept" if d.doc_id in known else "")
            report.errors.append(f"{d.meta.path or d.doc_id}: {why}")
            if on_error:
                on_error(LoadError(d.meta.path or d.doc_id, why))
            del docs[d.doc_id]
            continue
        d.meta.chunks = len(doc_chunks)
        chunks.extend(doc_chunks)
        todo.append(d)
        for note in d.notes:
            report.notes.append(f"{d.meta.path or d.doc_id}: {note}")
            if on_note:
                on_note(report.notes[-1])
    report.documents = len(docs)
    report.unchanged = len(docs) - len(todo)
    report.changed = sum(d.doc_id in known for d in todo)
    report.new = len(todo) - report.changed
    metas = {d.doc_id: d.meta for d in todo}
    texts = [embed_text(c, metas[c.doc_id]) for c in chunks]
    # the sentences exactly as the index reads them back from the stored chunks; known texts are not redone
    sentence_texts = cache.missing(embedder.name, [s.text for c in chunks for s in sentences_of(c)])
    n_chunks = len(texts)
    texts += sentence_texts

    # one big encode (chunks, then sentences), fed in slices so the bar moves; sentence-transformers sorts
    # each slice by length
    t_embed = time.perf_counter()
    step = max(settings.embedding.batch_size * 16, 512)
    parts: list[np.ndarray] = []
    progress("embed", 0, len(texts))
    for i in range(0, len(texts), step):
        parts.append(embedder.encode(texts[i : i + step]))
        progress("embed", min(i + step, len(texts)), len(texts))
    report.embed_seconds = time.perf_counter() - t_embed
    vectors = np.concatenate(parts) if parts else np.zeros((0, 384), np.float32)
    # sentence vectors first: a document is visible once its record is written, and then they are there
    if sentence_texts:
        cache.put(embedder.name, sentence_texts, vectors[n_chunks:])
    report.sentences_encoded = len(sentence_texts)
    if todo:
        store.write(todo, chunks, vectors[:n_chunks], model=embedder.name)
    report.chunks_written = len(chunks)
