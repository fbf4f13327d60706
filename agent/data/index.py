"""An in-memory snapshot of the store's sentences for lexical (BM25) and sentence-level dense scoring."""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent.data.store import Embedder, Snapshot, VectorStore, sentences_of, version_key
from agent.schemas import Chunk, Citation, DocumentMeta, Evidence, Sentence
from agent.text import tokens

_TIME = re.compile(
    r"\b(19|20)\d{2}\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|"
    r"\b\d+\s*(days?|weeks?|months?|years?)\b|\b(one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(days?|weeks?|months?|years?)\b",
    re.I,
)
_AMOUNT = re.compile(r"\d[\d,.]*\s*(k|m|thousand|million|billion)?\b", re.I)


def slot_flags(text: str) -> tuple[float, float]:
    """Does a sentence state a time (date, duration) and/or an amount? Retrieval favours slot-bearing
    sentences for claims that carry the same kind of slot."""
    return float(bool(_TIME.search(text))), float(bool(_AMOUNT.search(_TIME.sub(" ", text))))


CACHE_FILE = "sentence_vectors.sqlite"
INDEX_FILE = "sentence_index.pkl"
INDEX_FORMAT = 2  # bump when the saved layout changes: an old file is then rebuilt, never misread


_PROBE = "Senators' studies: 25,000 accounts were denied; running campaigns, fake 28.8M exchanges (Qwen-3)."


def tokenizer_signature() -> str:
    """What the lexical index's tokens look like with this code: a saved index whose tokens were made by
    another tokenizer or stemmer is rebuilt, not misread."""
    return hashlib.sha1(" ".join(tokens(_PROBE)).encode()).hexdigest()[:12]


class VectorCache:
    """Sentence vectors on disk (SQLite, `data_dir/sentence_vectors.sqlite`), keyed by model and text.

    Ingest fills it with every sentence of every chunk it writes (agent/app/ingest.py), in the same encode pass
    as the chunks, so the index never encodes a sentence at query time, also in a fresh process after a
    restart. It lives next to the store: the lookup is one local SQLite read per batch of candidates. A server
    store also keeps every vector in the server (`SharedVectorCache`), so other machines read them too.

    Keys are sha1(model, sentence text), so a vector can only be used for the exact text it was computed
    from: removing a document or re-ingesting a changed one leaves at most unused rows, never a stale
    vector. A sentence shared by documents is stored once.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB)")
        self._lock = threading.Lock()

    @staticmethod
    def _key(model: str, text: str) -> str:
        return hashlib.sha1(f"{model}\x00{text}".encode()).hexdigest()

    @classmethod
    def of(cls, data_dir: Path) -> VectorCache:
        return cls(data_dir / CACHE_FILE)

    def missing(self, model: str, texts: list[str]) -> list[str]:
        """The distinct texts with no stored vector, in first-seen order."""
        distinct = list(dict.fromkeys(texts))
        return [t for t, v in zip(distinct, self.get(model, distinct), strict=True) if v is None]

    def get(self, model: str, texts: list[str]) -> list[np.ndarray | None]:
        keys = [self._key(model, t) for t in texts]
        found: dict[str, bytes] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                rows = self._db.execute(f"SELECT key, v FROM vec WHERE key IN ({','.join('?' * len(part))})", part)
                found.update(dict(rows.fetchall()))
        return [np.frombuffer(found[k], dtype=np.float32) if k in found else None for k in keys]

    def put(self, model: str, texts: list[str], vectors: np.ndarray) -> None:
        rows = [
            (self._key(model, t), np.asarray(v, dtype=np.float32).tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        with self._lock:
            try:
                self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)
                self._db.commit()
            except sqlite3.OperationalError:
                pass  # a cache: another process holding the lock only costs a recompute later


class SharedVectorCache(VectorCache):
    """For a server store: the local cache in front of the server's `__sentences` collection.

    Ingest writes each sentence vector to both; a lookup reads the local file first, then the server (and
    keeps what it found locally), so a machine that did not ingest pays a server read, not an encode, and a
    restart there is local again."""

    def __init__(self, path: Path, store: VectorStore) -> None:
        super().__init__(path)
        self.store = store

    def get(self, model: str, texts: list[str]) -> list[np.ndarray | None]:
        out = super().get(model, texts)
        gaps = list(dict.fromkeys(t for t, v in zip(texts, out, strict=True) if v is None))
        if not gaps:
            return out
        keys = {t: self._key(model, t) for t in gaps}
        remote = self.store.get_vectors(list(keys.values()))
        hits = [t for t in gaps if keys[t] in remote]
        if hits:
            super().put(model, hits, np.stack([remote[keys[t]] for t in hits]))
        return [v if v is not None else remote.get(keys[t]) for t, v in zip(texts, out, strict=True)]

    def put(self, model: str, texts: list[str], vectors: np.ndarray) -> None:
        super().put(model, texts, vectors)
        self.store.put_vectors([self._key(model, t) for t in texts], np.asarray(vectors, dtype=np.float32))


def vector_cache(data_dir: Path, store: VectorStore) -> VectorCache:
    """The sentence-vector cache for this store: the local file, plus the server's copy for a server store."""
    if store.settings.store.url:
        return SharedVectorCache(data_dir / CACHE_FILE, store)
    return VectorCache.of(data_dir)


def _units_by_doc(snap: Snapshot) -> dict[str, tuple[list[Sentence], dict[str, list[int]]]]:
    """Each document of a snapshot as its units (`_doc_units`)."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in snap.chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    return {d: _doc_units(cs) for d, cs in by_doc.items()}


def _versions(snap: Snapshot) -> dict[str, str]:
    return {d: version_key(m.content_hash, m.chunks) for d, m in snap.metas.items()}


def _doc_units(chunks: list[Chunk]) -> tuple[list[Sentence], dict[str, list[int]]]:
    """One document's sentences, each once in reading order (chunks overlap), and each chunk's sentences as
    positions in that list."""
    sentences: list[Sentence] = []
    at: dict[tuple[int, int], int] = {}
    by_chunk: dict[str, list[int]] = {}
    for chunk in chunks:
        for s in sentences_of(chunk):
            key = (s.start, s.end)
            if key not in at:
                at[key] = len(sentences)
                sentences.append(s)
            by_chunk.setdefault(chunk.chunk_id, []).append(at[key])
    return sentences, by_chunk


@dataclass
class SentenceIndex:
    sentences: list[Sentence]
    by_doc: dict[str, list[int]]
    by_chunk: dict[str, list[int]]
    metas: dict[str, DocumentMeta]
    texts: dict[str, str]
    bm25: object
    version: int
    slots: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    cache: VectorCache | None = None
    versions: dict[str, str] = field(default_factory=dict)  # doc_id -> `content_hash|chunks` it was built from
    saved_for: str = ""  # the store fingerprint of the file it was loaded from
    _vectors: dict[int, np.ndarray] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, store: VectorStore, cache: VectorCache | None = None) -> SentenceIndex:
        version = store.count()  # before the snapshot: a write during it makes the next refresh rebuild
        snap = store.snapshot()  # only fully written documents: offsets always match the texts read with them
        return cls._assemble(_units_by_doc(snap), {}, snap.metas, snap.texts, version, _versions(snap), cache)

    @classmethod
    def _assemble(
        cls,
        docs: dict[str, tuple[list[Sentence], dict[str, list[int]]]],
        old_slots: dict[str, np.ndarray],
        metas: dict[str, DocumentMeta],
        texts: dict[str, str],
        version: int,
        versions: dict[str, str],
        cache: VectorCache | None,
    ) -> SentenceIndex:
        """The index over documents' units (sentences, chunk -> positions), in document order; slots already
        computed for a document are reused, BM25 is fitted over the whole corpus (its idf is corpus-wide)."""
        import bm25s

        sentences: list[Sentence] = []
        by_doc: dict[str, list[int]] = {}
        by_chunk: dict[str, list[int]] = {}
        slot_rows: list[np.ndarray] = []
        for d in sorted(docs):
            units, chunks = docs[d]
            base = len(sentences)
            by_doc[d] = list(range(base, base + len(units)))
            for cid, local in chunks.items():
                by_chunk[cid] = [base + i for i in local]
            sentences += units
            rows = old_slots.get(d)
            if rows is None or len(rows) != len(units):
                rows = np.array([slot_flags(s.text) for s in units], dtype=np.float32).reshape(-1, 2)
            slot_rows.append(rows)
        slots = np.concatenate(slot_rows) if slot_rows else np.zeros((0, 2), np.float32)
        bm25 = bm25s.BM25()
        corpus = [tokens(s.text) or ["∅"] for s in sentences]
        if corpus:
            bm25.index(corpus, show_progress=False)
        return cls(sentences, by_doc, by_chunk, metas, texts, bm25, version, slots, cache, versions)

    def updated(
        self, store: VectorStore, current: dict[str, str] | None = None, max_share: float = 0.5
    ) -> SentenceIndex | None:
        """This index brought up to the store's content, reading only the documents added, changed or removed
        since it was built (a document's `content_hash|chunks` differs); the rest is reused as it is. None when
        more than `max_share` of the documents changed: a full build then reads about as much. `current` is
        `store.versions()` when the caller has just read it."""
        version = store.count()
        current = store.versions() if current is None else current  # `store.versions()` read by the caller
        fresh = [d for d, v in current.items() if self.versions.get(d) != v]
        kept = [d for d, v in self.versions.items() if current.get(d) == v]
        if not fresh and len(kept) == len(self.versions):
            self.version = version  # same documents, same positions: this index is current
            return self
        if len(fresh) > max_share * max(1, len(current)):
            return None
        snap = store.snapshot(doc_ids=fresh)
        docs = _units_by_doc(snap)
        old_slots: dict[str, np.ndarray] = {}
        by_doc_chunks: dict[str, dict[str, list[int]]] = {}
        for cid, ids in self.by_chunk.items():
            if ids:
                by_doc_chunks.setdefault(self.sentences[ids[0]].doc_id, {})[cid] = ids
        for d in kept:
            ids = self.by_doc.get(d, [])
            local = {g: i for i, g in enumerate(ids)}
            chunks = {cid: [local[g] for g in gs] for cid, gs in by_doc_chunks.get(d, {}).items()}
            docs[d] = ([self.sentences[g] for g in ids], chunks)
            old_slots[d] = self.slots[ids] if ids else np.zeros((0, 2), np.float32)
        metas = {d: self.metas[d] for d in kept if d in self.metas} | snap.metas
        texts = {d: self.texts[d] for d in kept if d in self.texts} | snap.texts
        versions = {d: self.versions[d] for d in kept} | _versions(snap)
        return self._assemble(docs, old_slots, metas, texts, version, versions, self.cache)

    # ------------------------------------------------------------ on disk, between processes
    def save(self, path: Path, fingerprint: str, base: str = "") -> None:
        """Keep this index for the next process (atomic: a reader sees the old file or the new one). `base` names
        what every version of the index shares (collection, embedding model, tokenizer): a later store content
        with the same base can be reached by `updated`."""
        state = {
            "fingerprint": fingerprint,
            "base": base,
            "format": INDEX_FORMAT,
            "sentences": [(s.doc_id, s.chunk_id, s.start, s.end, s.text) for s in self.sentences],
            "by_doc": self.by_doc,
            "by_chunk": self.by_chunk,
            "metas": {d: m.model_dump() for d, m in self.metas.items()},
            "texts": self.texts,
            "bm25": self.bm25,
            "version": self.version,
            "slots": self.slots,
            "versions": self.versions,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    @classmethod
    def load(
        cls, path: Path, fingerprint: str, cache: VectorCache | None = None, base: str | None = None
    ) -> SentenceIndex | None:
        """The index a previous process saved for exactly this store content, or None (absent, stale, unreadable).
        With `base`, an index saved for other content of the same store (same collection, model and tokenizer)
        is returned too (its `saved_for` differs from `fingerprint`): the caller brings it up to date with `updated`.

        The file is the user's own, written by this code into their data dir (a pickle: not for files from
        elsewhere)."""
        try:
            with path.open("rb") as fh:
                state = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
            return None
        if not isinstance(state, dict) or state.get("format") != INDEX_FORMAT:
            return None
        if state.get("fingerprint") != fingerprint and (base is None or state.get("base") != base):
            return None
        sentences = [Sentence(doc_id=d, chunk_id=c, start=a, end=b, text=x) for d, c, a, b, x in state["sentences"]]
        metas = {d: DocumentMeta(**m) for d, m in state["metas"].items()}
        return cls(
            sentences, state["by_doc"], state["by_chunk"], metas, state["texts"], state["bm25"], state["version"],
            state["slots"], cache, state["versions"], state["fingerprint"],
        )  # fmt: skip

    def lexical(self, query: str) -> np.ndarray:
        q = [t for t in tokens(query)]
        if not q or not self.sentences:
            return np.zeros(len(self.sentences), dtype=np.float32)
        vocab = getattr(self.bm25, "vocab_dict", {})
        q = [t for t in q if t in vocab]
        if not q:
            return np.zeros(len(self.sentences), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(q), dtype=np.float32)  # type: ignore[attr-defined]

    def vectors(self, ids: list[int], embedder: Embedder) -> np.ndarray:
        """Sentence embeddings: from the on-disk cache that ingest filled, kept for the process; a sentence
        not there (a store ingested elsewhere or by an older version) is encoded here and cached."""
        with self._lock:
            missing = [i for i in ids if i not in self._vectors]
            if missing and self.cache is not None:
                found = self.cache.get(embedder.name, [self.sentences[i].text for i in missing])
                for i, v in zip(missing, found, strict=True):
                    if v is not None:
                        self._vectors[i] = v
                missing = [i for i in missing if i not in self._vectors]
            if missing:
                vecs = embedder.encode([self.sentences[i].text for i in missing])
                if self.cache is not None:
                    self.cache.put(embedder.name, [self.sentences[i].text for i in missing], vecs)
                for i, v in zip(missing, vecs, strict=True):
                    self._vectors[i] = v
            if not ids:
                return np.zeros((0, embedder.dim), dtype=np.float32)
            return np.stack([self._vectors[i] for i in ids])

    def doc_sentences(self, evidence: list[Evidence]) -> dict[str, list[Sentence]]:
        """Every sentence of the documents the evidence comes from, in reading order."""
        docs = {e.sentence.doc_id for e in evidence}
        return {d: [self.sentences[i] for i in self.by_doc.get(d, [])] for d in docs}

    def valid_citation(self, c: Citation) -> bool:
        """The slice check: the quote is exactly the document's text between the offsets."""
        text = self.texts.get(c.doc_id)
        return text is not None and 0 <= c.start < c.end <= len(text) and text[c.start : c.end] == c.quote
