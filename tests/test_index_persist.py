"""The sentence index is saved with the store's fingerprint: a restart loads it instead of rebuilding it, and any
change to the store (a new, changed or removed document) or a damaged file means a rebuild, never a stale index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.app.ingest import ingest
from agent.data.index import INDEX_FILE, SentenceIndex

from .conftest import make_services


def _fresh(data: Path, embedder: Any) -> Any:
    return make_services(data, embedder)


def _count_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """SentenceIndex.build, counted: one entry per real build from the store."""
    builds: list[int] = []
    real_build = SentenceIndex.build.__func__  # type: ignore[attr-defined]

    def counting(cls: type[SentenceIndex], *a: Any, **kw: Any) -> SentenceIndex:
        builds.append(1)
        return real_build(cls, *a, **kw)

    monkeypatch.setattr(SentenceIndex, "build", classmethod(counting))
    return builds


@pytest.fixture
def saved(seeds_copy: Path, tmp_path: Path, embedder: Any) -> tuple[Path, SentenceIndex]:
    """A store with the seeds and the index its first process built and saved."""
    data = tmp_path / "data"
    first = _fresh(data, embedder)
    ingest([seeds_copy], first.settings, first.store, first.embedder)
    return data, first.index()


def test_a_restart_loads_the_saved_index_and_a_change_rebuilds_it(
    saved: tuple[Path, SentenceIndex], seeds_copy: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, built = saved
    assert (data / INDEX_FILE).exists()

    builds = _count_builds(monkeypatch)
    again = _fresh(data, embedder).index()  # a restart: loaded, not rebuilt
    assert builds == [] and [s.text for s in again.sentences] == [s.text for s in built.sentences]
    assert again.texts == built.texts and again.lexical("Alibaba accounts").shape == (len(built.sentences),)

    f = next(seeds_copy.glob("002_*.txt"))
    f.write_text(f.read_text(encoding="utf-8") + "\n\nVolunteers walked 14 miles of riverbank during the survey.\n")
    writer = _fresh(data, embedder)
    ingest([seeds_copy], writer.settings, writer.store, writer.embedder)
    changed = _fresh(data, embedder).index()  # the store changed: rebuilt, and the new sentence is there
    assert builds == [1] and any("14 miles of riverbank" in s.text for s in changed.sentences)

    (data / INDEX_FILE).write_bytes(b"not a pickle")
    assert _fresh(data, embedder).index().sentences and builds == [1, 1]  # a damaged file: rebuilt


def test_an_index_saved_by_another_tokenizer_is_rebuilt(
    saved: tuple[Path, SentenceIndex], embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = saved
    builds = _count_builds(monkeypatch)
    monkeypatch.setattr("agent.pipeline.services.tokenizer_signature", lambda: "another-stemmer")
    _fresh(data, embedder).index()
    assert builds == [1]
