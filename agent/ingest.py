"""Ingestion: load → skip unchanged (content hash) → chunk → embed → replace in the store."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from agent.corpus import LoadError, chunk_document, content_hash, load_paths
from agent.schemas import Chunk, Document
from agent.settings import Settings
from agent.store import Embedder, VectorStore, embed_text

Progress = Callable[[str, int, int], None]
"""progress(phase, done, total)"""


class IngestReport(BaseModel):
    documents: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    chunks_written: int = 0
    errors: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def skipped(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        return (
            f"{self.documents} documents: {self.new} new, {self.changed} changed, {self.unchanged} unchanged; "
            f"{self.chunks_written} chunks written; {self.skipped} skipped; {self.seconds:.1f}s"
        )


def _noop(phase: str, done: int, total: int) -> None:
    return None


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    store: VectorStore,
    embedder: Embedder,
    progress: Progress = _noop,
    on_error: Callable[[LoadError], None] | None = None,
) -> IngestReport:
    t0 = time.perf_counter()
    report = IngestReport()
    docs: dict[str, Document] = {}
    for item in load_paths(paths):
        if isinstance(item, LoadError):
            report.errors.append(str(item))
            if on_error:
                on_error(item)
            continue
        if item.doc_id in docs:
            report.errors.append(f"{item.meta.path}: duplicate doc_id {item.doc_id}, kept the first")
            continue
        item.meta.content_hash = content_hash(
            item.text, settings.chunking.max_chars, settings.chunking.overlap_sentences, embedder.name
        )
        docs[item.doc_id] = item
    report.documents = len(docs)
    known = store.stored_hashes(list(docs))
    todo = [d for d in docs.values() if known.get(d.doc_id) != d.meta.content_hash]
    report.unchanged = len(docs) - len(todo)
    report.changed = sum(d.doc_id in known for d in todo)
    report.new = len(todo) - report.changed

    chunks: list[Chunk] = []
    for d in todo:
        doc_chunks = chunk_document(d, settings.chunking.max_chars, settings.chunking.overlap_sentences)
        d.meta.chunks = len(doc_chunks)
        chunks.extend(doc_chunks)
    metas = {d.doc_id: d.meta for d in todo}
    texts = [embed_text(c, metas[c.doc_id]) for c in chunks]

    # one big encode, fed in slices so the bar moves; sentence-transformers sorts each slice by length
    t_embed = time.perf_counter()
    step = max(settings.embedding.batch_size * 16, 512)
    parts: list[np.ndarray] = []
    progress("embed", 0, len(texts))
    for i in range(0, len(texts), step):
        parts.append(embedder.encode(texts[i : i + step]))
        progress("embed", min(i + step, len(texts)), len(texts))
    report.embed_seconds = time.perf_counter() - t_embed
    vectors = np.concatenate(parts) if parts else np.zeros((0, 384), np.float32)
    if todo:
        store.write(todo, chunks, vectors)
    report.chunks_written = len(chunks)
    report.seconds = time.perf_counter() - t0
    return report
