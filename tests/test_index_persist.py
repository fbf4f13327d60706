"""The sentence index is saved with the store's fingerprint and every document's version: a restart loads it instead
of rebuilding it; a change to the store (a new, changed or removed document) is read for those documents only and
gives the index a full build would; a damaged file or another tokenizer means a rebuild, never a stale index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
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


def test_a_restart_loads_the_saved_index_and_a_change_updates_it(
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
    changed = _fresh(data, embedder).index()  # the store changed: updated from the saved index, not rebuilt
    assert builds == [] and any("14 miles of riverbank" in s.text for s in changed.sentences)

    (data / INDEX_FILE).write_bytes(b"not a pickle")
    assert _fresh(data, embedder).index().sentences and builds == [1]  # a damaged file: rebuilt


def _same(a: SentenceIndex, b: SentenceIndex) -> None:
    """Two indexes over the same store content hold the same units, offsets, texts, slots and BM25 scores."""
    assert [s.model_dump() for s in a.sentences] == [s.model_dump() for s in b.sentences]
    assert a.by_doc == b.by_doc and a.by_chunk == b.by_chunk and a.texts == b.texts and a.metas == b.metas
    assert a.versions == b.versions and (a.slots == b.slots).all()
    for q in ("Alibaba accounts", "riverbank survey miles", "Anthropic distillation Claude"):
        assert np.allclose(a.lexical(q), b.lexical(q))


def test_an_update_reads_only_what_changed_and_equals_a_full_build(
    saved: tuple[Path, SentenceIndex], seeds_copy: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Add a document, change one, remove one: the next process reads those documents' chunks only, and its
    index is the one a full build gives."""
    data, built = saved
    (seeds_copy / "005_riverbank.txt").write_text(
        "River survey\n\nVolunteers walked 14 miles of riverbank during the survey. They counted 212 herons.\n",
        encoding="utf-8",
    )
    f = next(seeds_copy.glob("001_*.txt"))
    f.write_text(f.read_text(encoding="utf-8") + "\n\nThe board met again on March 3, 2027.\n", encoding="utf-8")
    writer = _fresh(data, embedder)
    ingest([seeds_copy], writer.settings, writer.store, writer.embedder)
    gone = next(d for d in built.by_doc if d.startswith("003_"))
    writer.store.delete_documents([gone])

    builds = _count_builds(monkeypatch)
    read: list[list[str] | None] = []
    real_snapshot = type(writer.store).snapshot

    def spying(self: Any, *a: Any, **kw: Any) -> Any:
        read.append(kw.get("doc_ids"))
        return real_snapshot(self, *a, **kw)

    monkeypatch.setattr(type(writer.store), "snapshot", spying)
    updated = _fresh(data, embedder).index()
    assert builds == [] and len(read) == 1 and sorted(read[0] or []) == sorted(["005_riverbank", f.stem])
    assert gone not in updated.by_doc and "005_riverbank" in updated.by_doc
    assert any("March 3, 2027" in s.text for s in updated.sentences)

    monkeypatch.undo()
    _same(updated, SentenceIndex.build(_fresh(data, embedder).store))
    restarted = _fresh(data, embedder).index()  # the updated index was saved: a restart loads it as it is
    _same(restarted, updated)


def test_the_running_process_updates_its_index_in_memory(
    saved: tuple[Path, SentenceIndex], seeds_copy: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = saved
    services = _fresh(data, embedder)
    before = services.index()
    (seeds_copy / "005_riverbank.txt").write_text(
        "River survey\n\nVolunteers walked 14 miles of riverbank during the survey.\n", encoding="utf-8"
    )
    ingest([seeds_copy], services.settings, services.store, services.embedder)
    builds = _count_builds(monkeypatch)
    after = services.index()
    assert builds == [] and after is not before and "005_riverbank" in after.by_doc
    _same(after, SentenceIndex.build(services.store))


def test_when_most_documents_changed_the_index_is_built_whole(
    saved: tuple[Path, SentenceIndex], seeds_copy: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, built = saved
    for f in sorted(seeds_copy.glob("*.txt"))[:3]:
        f.write_text(f.read_text(encoding="utf-8") + "\n\nA new closing line was added.\n", encoding="utf-8")
    writer = _fresh(data, embedder)
    ingest([seeds_copy], writer.settings, writer.store, writer.embedder)
    builds = _count_builds(monkeypatch)
    _fresh(data, embedder).index()
    assert builds == [1]  # 3 of 5 changed: past max_share, one full read is as cheap


def test_an_index_saved_by_another_tokenizer_is_rebuilt(
    saved: tuple[Path, SentenceIndex], embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = saved
    builds = _count_builds(monkeypatch)
    monkeypatch.setattr("agent.pipeline.services.tokenizer_signature", lambda: "another-stemmer")
    _fresh(data, embedder).index()
    assert builds == [1]


def test_an_update_against_the_chroma_server(
    chroma_server: str, seeds_copy: Path, tmp_path: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Server mode (a real `chroma run`): one machine ingests, another keeps an index in its own data dir; a
    document added by the first is read by the second alone, and its index is a full build's."""
    first = make_services(tmp_path / "m1", embedder, store={"url": chroma_server})
    ingest([seeds_copy], first.settings, first.store, first.embedder)
    second = make_services(tmp_path / "m2", embedder, store={"url": chroma_server})
    second.index()
    (seeds_copy / "005_riverbank.txt").write_text(
        "River survey\n\nVolunteers walked 14 miles of riverbank during the survey.\n", encoding="utf-8"
    )
    ingest([seeds_copy], first.settings, first.store, first.embedder)
    builds = _count_builds(monkeypatch)
    updated = make_services(tmp_path / "m2", embedder, store={"url": chroma_server}).index()
    assert builds == [] and "005_riverbank" in updated.by_doc
    monkeypatch.undo()
    _same(updated, SentenceIndex.build(second.store))


def test_another_process_write_is_looked_for_every_refresh_s_and_own_writes_at_once(
    saved: tuple[Path, SentenceIndex], seeds_copy: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting the chunks before every claim is a scan that grows with the store, so a running process looks for
    another process's writes at most every `store.refresh_s` (1 s); its own writes it sees at once."""
    import agent.pipeline.services as services_module

    clock = type("Clock", (), {"t": 1000.0, "monotonic": lambda self: self.t})()
    monkeypatch.setattr(services_module, "time", clock)
    data, _ = saved
    reader = _fresh(data, embedder)
    reader.index()
    counted: list[int] = []
    real_count = type(reader.store).count
    monkeypatch.setattr(type(reader.store), "count", lambda self: counted.append(1) or real_count(self))
    for _ in range(5):
        reader.index()  # five claims within the second: no count
    assert counted == []

    (seeds_copy / "005_riverbank.txt").write_text(
        "River survey\n\nVolunteers walked 14 miles of riverbank during the survey.\n", encoding="utf-8"
    )
    writer = _fresh(data, embedder)  # another process
    ingest([seeds_copy], writer.settings, writer.store, writer.embedder)
    assert "005_riverbank" not in reader.index().by_doc and counted == []
    clock.t += 1.5
    assert "005_riverbank" in reader.index().by_doc and counted  # looked for, and found

    (seeds_copy / "006_otters.txt").write_text("Otters\n\nThe survey found 31 otters.\n", encoding="utf-8")
    ingest([seeds_copy], reader.settings, reader.store, reader.embedder)  # written by the reader itself
    assert "006_otters" in reader.index().by_doc  # at once, with the clock standing still


def test_the_idf_table_from_the_bm25_postings_is_the_scanned_one(saved: tuple[Path, SentenceIndex]) -> None:
    """A process's first claim reads idf from the BM25 postings (O(vocabulary)) instead of scanning every sentence;
    the two tables are the same."""
    from agent.pipeline.nodes.cross_check import idf_by_scan, idf_table

    _, built = saved
    assert idf_table(built) == idf_by_scan(built) and len(idf_table(built)) > 500
