"""Runtime dependencies injected into the graph and the commands (never module globals)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from agent.data.index import INDEX_FILE, SentenceIndex, VectorCache, tokenizer_signature, vector_cache
from agent.data.store import Embedder, StoreError, VectorStore
from agent.schemas import LLMUsage
from agent.settings import Settings

T = TypeVar("T")
log = logging.getLogger(__name__)


class UserError(RuntimeError):
    """An error the user can fix; the CLI prints it without a traceback."""


@dataclass
class Services:
    settings: Settings
    store: VectorStore
    embedder: Embedder
    extras: dict[str, Any] = field(default_factory=dict)
    checks_only: bool = False  # the structured checks alone: the stance model is not called (a cheap first pass)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        services = cls(settings=settings, store=VectorStore(settings), embedder=Embedder(settings.embedding))
        if settings.llm.provider != "none":
            from agent.pipeline.llm import attach_llm

            attach_llm(services)
        return services

    def without_model(self) -> Services:
        """The same services (store, caches, lock shared) with the stance model switched off: the graph's
        checks still vote, as in combined mode, but no model vote is cast. The corpus map's first pass."""
        return replace(self, checks_only=True)

    # ---------------------------------------------------------------- shared, lazily built
    def index(self, refresh: bool = True) -> SentenceIndex:
        """The sentence index over the store, rebuilt when the store changed since it was built.
        `refresh=False` skips the store round trip when an index exists (nodes after retrieve, which
        already checked it for this claim)."""
        with self._lock:
            idx = self.extras.get("index")
            if idx is None or (refresh and self._store_changed(idx)):
                cache = self.extras.get("vector_cache")
                if cache is None:
                    cache = self.extras["vector_cache"] = vector_cache(self.settings.data_dir, self.store)
                self.store.check_model(self.embedder.name)
                seen = (self.store.writes, time.monotonic())
                idx = self._saved_or_built(cache, idx)
                self.extras["index"] = idx
                self.extras["index_seen"] = seen
                self.extras.pop("idf", None)
            return idx

    def _store_changed(self, idx: SentenceIndex) -> bool:
        """Has the store changed since `idx`? This process's own writes are seen at once (the store's write
        counter); another process's are looked for at most every `store.refresh_s` seconds, by counting the
        chunks: a scan that grows with the store (7 ms at 158,608 chunks, when retrieval takes 1 ms), so not
        before every claim."""
        writes, checked = self.extras.get("index_seen", (-1, float("-inf")))
        now = time.monotonic()
        if self.store.writes != writes:
            return True  # written here: `updated` reads what changed (nothing, if the write changed nothing)
        if now - checked < self.settings.store.refresh_s:
            return False
        self.extras["index_seen"] = (writes, now)
        return bool(idx.version != self.store.count())

    def _saved_or_built(self, cache: VectorCache, current: SentenceIndex | None = None) -> SentenceIndex:
        """The index a previous process saved for this exact store content (a restart pays no rebuild); else that
        index, or this process's `current` one, brought up to date by reading only the documents added, changed
        or removed since (`SentenceIndex.updated`); else a new one. Saved for the next process."""
        path = self.settings.data_dir / INDEX_FILE
        base = f"{self.settings.store.collection}|{self.store.embedding_model()}|{tokenizer_signature()}"
        versions = self.store.versions()  # metadata only: what each document's version is now
        fingerprint = f"{self.store.fingerprint(versions)}|{tokenizer_signature()}"
        prior = current
        if prior is None:
            saved = SentenceIndex.load(path, fingerprint, cache, base=base)
            if saved is not None and saved.saved_for == fingerprint:
                return saved
            prior = saved
        idx = prior.updated(self.store, versions) if prior is not None else None
        if idx is None:
            idx = SentenceIndex.build(self.store, cache)
        if idx is current:
            return idx  # nothing changed since this process built or loaded it (and saved it then)
        if f"{self.store.fingerprint()}|{tokenizer_signature()}" == fingerprint:  # nothing written meanwhile
            try:
                idx.save(path, fingerprint, base)
            except OSError as exc:  # a read-only data dir: the index still works, in memory
                log.warning("could not save the sentence index to %s: %s", path, exc)
        return idx

    def idf(self) -> dict[str, float]:
        idx = self.index(refresh=False)
        with self._lock:
            if "idf" not in self.extras:
                from agent.pipeline.nodes.cross_check import idf_table

                self.extras["idf"] = idf_table(idx)
            return self.extras["idf"]

    def stance_model(self) -> Any:
        """The stance cross-encoder, loaded on first use (None in `rules` mode)."""
        cfg = self.settings.stance
        if cfg.mode == "rules":
            return None
        with self._lock:
            if "stance_model" not in self.extras:
                from agent.stance.model import WEIGHTS_DIR, StanceModel, StanceModelMissing

                path = WEIGHTS_DIR if cfg.model == "packaged" else cfg.model
                try:
                    self.extras["stance_model"] = StanceModel(path, cfg.max_len, cfg.batch_size, cfg.threads, cfg.spin)
                except StanceModelMissing as exc:
                    raise UserError(str(exc)) from None
            return self.extras["stance_model"]

    def feature_cache(self) -> dict[str, Any]:
        return self.extras.setdefault("features", {})

    def llm_stage(self, stage: str, payload: Any, offline: Callable[[], T]) -> tuple[T, LLMUsage]:
        """Run a stage through the configured LLM, or offline. With provider `none` this is the offline path."""
        runner = self.extras.get("llm")
        if runner is None or self.settings.llm.provider == "none":
            return offline(), LLMUsage()
        return runner.run(stage, payload, offline)

    def guard(self, fn: Callable[[], T]) -> T:
        """Run fn, turning store and user errors into a clean CLI message."""
        import typer
        from rich.console import Console
        from rich.markup import escape

        try:
            return fn()
        except (StoreError, UserError) as exc:
            Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from None
