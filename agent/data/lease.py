"""A lease kept in a Chroma server: the ingest lock of a store that several machines share.

The ingest file lock (agent/app/ingest.py) only serialises ingests started from one data dir. Ingests from
two machines into one `chroma run` server need a lock both can see, so it lives in the server: one record in
the store's `__locks` collection. Chroma's `add` of an id that already exists is ignored, so the first
writer wins and every contender reads back who did (8 clients racing for one id, 40 rounds, against
`chroma run` 1.5: exactly one winner each round). The holder renews the lease while it works; a lease whose
holder died expires after `ttl_s` and is taken over, deleted only while it is still that holder's (a
`where` on the owner), so two waiters that both saw it expire cannot delete each other's.

Expiry compares the holder's clock with the waiter's: clocks that differ by less than `ttl_s` minus the
renewal period (80 s with the defaults) are safe.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

_VECTOR = [0.0]  # the lock record needs an embedding; nothing ever queries it


class ServerLease:
    """Mutual exclusion through a record in a Chroma collection (see the module docstring)."""

    def __init__(
        self,
        collection: Any,
        name: str = "ingest",
        ttl_s: float = 120.0,
        poll_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.collection = collection
        self.name = name
        self.ttl_s = ttl_s
        self.poll_s = poll_s
        self.clock = clock
        self.owner = uuid.uuid4().hex
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self.lost = False  # set when a renewal finds the lease taken over (the holder stalled past ttl_s)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _record(self) -> dict[str, Any] | None:
        got = self.collection.get(ids=[self.name], include=["metadatas"])
        metas = got.get("metadatas") or []
        return dict(metas[0]) if got.get("ids") and metas and metas[0] else None

    def _meta(self) -> dict[str, Any]:
        return {"owner": self.owner, "holder": self.holder, "expires": self.clock() + self.ttl_s}

    def try_acquire(self) -> dict[str, Any] | None:
        """Take the lease if it is free or expired; None when held now, else the record of who holds it."""
        self.collection.add(ids=[self.name], embeddings=[_VECTOR], documents=[""], metadatas=[self._meta()])
        rec = self._record()
        if rec is not None and rec.get("owner") == self.owner:
            return None
        if rec is not None and float(rec.get("expires", 0.0)) < self.clock():
            self.collection.delete(ids=[self.name], where={"owner": str(rec.get("owner"))})
            return self.try_acquire()
        return rec or {}

    def acquire(self, on_wait: Callable[[str], None] | None = None) -> float:
        """Block until held; returns the seconds waited. `on_wait(holder)` is called once, when it must wait."""
        t0 = time.perf_counter()
        told = False
        while (rec := self.try_acquire()) is not None:
            if not told and on_wait is not None:
                on_wait(str(rec.get("holder", "another process")))
                told = True
            time.sleep(self.poll_s)
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew, name="lease-renew", daemon=True)
        self._renewer.start()
        return time.perf_counter() - t0

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                rec = self._record()
                if rec is None or rec.get("owner") != self.owner:
                    self.lost = True
                    return
                self.collection.update(ids=[self.name], metadatas=[self._meta()])
            except Exception:  # a server blip: the next renewal tries again, well inside ttl_s
                continue

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
            self._renewer = None
        self.collection.delete(ids=[self.name], where={"owner": self.owner})
