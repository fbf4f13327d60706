"""Encode once, at ingest: every sentence the index scores has its vector stored by ingest (issue 11)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from agent.app.ingest import ingest
from agent.app.verify import verify_claim
from agent.data.store import Embedder

from .conftest import make_services


class CountingEmbedder:
    """The real embedder, with a record of every text it was asked to encode."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.calls: list[list[str]] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        self.calls.append(list(texts))
        return self.inner.encode(texts, batch_size)

    @property
    def encoded(self) -> list[str]:
        return [t for call in self.calls for t in call]


def _restarted(data_dir: Path, embedder: Embedder) -> tuple[CountingEmbedder, object]:
    """A fresh process's view of the store: new services (new cache connection), a counting embedder."""
    counting = CountingEmbedder(embedder)
    services = make_services(data_dir, embedder)
    services.embedder = counting  # type: ignore[assignment]
    return counting, services


def test_index_after_ingest_encodes_no_sentence(tmp_path: Path, embedder: Embedder, seeds_copy: Path) -> None:
    data_dir = tmp_path / "data"
    first = make_services(data_dir, embedder)
    counting_ingest = CountingEmbedder(embedder)
    report = ingest([seeds_copy], first.settings, first.store, counting_ingest)  # type: ignore[arg-type]
    assert report.documents == 5 and report.sentences_encoded > 0
    assert len(counting_ingest.calls) == 1  # chunks and sentences in one encoder call on the seeds

    counting, services = _restarted(data_dir, embedder)
    idx = services.index()  # type: ignore[attr-defined]
    vecs = idx.vectors(list(range(len(idx.sentences))), counting)
    assert counting.calls == [], "the index encoded sentences that ingest should have stored"
    # the stored vectors are the model's vectors for exactly those texts
    sample = [0, len(idx.sentences) // 2, len(idx.sentences) - 1]
    fresh = embedder.encode([idx.sentences[i].text for i in sample])
    assert np.allclose(vecs[sample], fresh, atol=1e-5)

    record = verify_claim(services, "Anthropic says roughly 25,000 fraudulent accounts were used.")  # type: ignore[arg-type]
    assert record.label
    sentence_texts = {s.text for s in idx.sentences}
    assert not [t for t in counting.encoded if t in sentence_texts], "verify encoded a stored sentence"


def test_changed_document_gets_vectors_for_its_new_sentences(
    tmp_path: Path, embedder: Embedder, seeds_copy: Path
) -> None:
    data_dir = tmp_path / "data"
    first = make_services(data_dir, embedder)
    ingest([seeds_copy], first.settings, first.store, embedder)
    target = sorted(seeds_copy.iterdir())[0]
    new_sentence = "The committee later counted exactly 4,321 zebra crossings in Tallinn."
    target.write_text(target.read_text() + f"\n\n{new_sentence}\n")
    again = ingest([seeds_copy], first.settings, first.store, embedder)
    assert again.changed == 1 and again.unchanged == 4
    # only the sentences not cached before were encoded (the changed tail), not the whole document again
    assert 0 < again.sentences_encoded <= 3

    counting, services = _restarted(data_dir, embedder)
    idx = services.index()  # type: ignore[attr-defined]
    ids = [i for i, s in enumerate(idx.sentences) if "zebra crossings" in s.text]
    assert ids
    got = idx.vectors(ids, counting)
    assert counting.calls == []
    assert np.allclose(got, embedder.encode([idx.sentences[i].text for i in ids]), atol=1e-5)
