"""Ingest benchmark: SciFact's corpus (5,183 abstracts) into a fresh embedded Chroma store.

Prints chunks/s, the ratio of end-to-end ingest throughput to raw `embedder.encode` throughput
on exactly the texts ingest embeds (target >= 0.85), and the unchanged re-ingest time
(target <= 5% of the first). The model is warmed before either measurement, so both see
the same process state. Run: `make bench-ingest` (or `python -m evals.bench_ingest --limit N`).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from agent.app.ingest import ingest  # noqa: E402
from agent.data.corpus import LoadError, chunk_document, load_paths  # noqa: E402
from agent.data.store import embed_text  # noqa: E402
from agent.pipeline.services import Services  # noqa: E402
from agent.settings import Settings  # noqa: E402


def embedded_texts(path: Path, settings: Settings, limit: int | None) -> list[str]:
    """The texts ingest hands to the model: embed_text(chunk, meta) for every chunk."""
    texts: list[str] = []
    for n, doc in enumerate(d for d in load_paths([path]) if not isinstance(d, LoadError)):
        if limit is not None and n >= limit:
            break
        for c in chunk_document(doc, settings.chunking.max_chars, settings.chunking.overlap_sentences):
            texts.append(embed_text(c, doc.meta))
    return texts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None, help="only the first N abstracts (quick runs)")
    ap.add_argument("--profile", type=Path, default=None, help="write a cProfile of the first ingest here")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        corpus = settings.benchmarks_dir / "scifact" / "corpus.jsonl"
        if not corpus.is_file():
            print(f"SciFact corpus not found at {corpus}")
            return 2
        if args.limit is not None:  # a smaller file, so ingest and raw encode see the same documents
            small = Path(tmp) / "corpus.jsonl"
            with corpus.open(encoding="utf-8") as src, small.open("w", encoding="utf-8") as dst:
                for i, line in enumerate(src):
                    if i >= args.limit:
                        break
                    dst.write(line)
            corpus = small

        services = Services.from_settings(settings)
        embedder, store = services.embedder, services.store

        t = time.perf_counter()
        texts = embedded_texts(corpus, settings, None)
        t_prep = time.perf_counter() - t
        # warm: load the model and run a few batches, so neither measurement pays for it
        t = time.perf_counter()
        embedder.encode(texts[: settings.embedding.batch_size * 2])
        t_warm = time.perf_counter() - t

        t = time.perf_counter()
        embedder.encode(texts)
        t_encode = time.perf_counter() - t

        prof = cProfile.Profile() if args.profile else None
        t = time.perf_counter()
        if prof:
            prof.enable()
        first = ingest([corpus], settings, store, embedder)
        if prof:
            prof.disable()
        t_first = time.perf_counter() - t

        t = time.perf_counter()
        second = ingest([corpus], settings, store, embedder)
        t_second = time.perf_counter() - t

        n = len(texts)
        assert first.chunks_written == n, (first.chunks_written, n)
        assert store.count() == n and second.chunks_written == 0 and second.unchanged == first.documents
        ratio = t_encode / t_first  # = (n / t_first) / (n / t_encode)
        rest = t_first - first.embed_seconds

        print(
            f"machine: {os.cpu_count()} cores, CPU ({platform.processor() or platform.machine()}), "
            f"python {platform.python_version()}"
        )
        print(f"corpus: {corpus}  documents: {first.documents}  chunks: {n}")
        print(f"model warm-up (load + 2 batches): {t_warm:.2f}s; texts prepared in {t_prep:.2f}s")
        print(f"raw embedder.encode:  {t_encode:7.2f}s  {n / t_encode:7.1f} chunks/s")
        print(
            f"first ingest:         {t_first:7.2f}s  {n / t_first:7.1f} chunks/s "
            f"(embed {first.embed_seconds:.2f}s, everything else {rest:.2f}s)"
        )
        print(
            f"ingest / encode throughput ratio: {ratio:.3f}  (target >= 0.85: {'met' if ratio >= 0.85 else 'NOT met'})"
        )
        print(
            f"time outside the model inside ingest (load, hash, chunk, Chroma writes): {rest:.2f}s "
            f"= {100 * rest / t_first:.1f}% of the first ingest; ingest-internal ratio "
            f"embed/total = {first.embed_seconds / t_first:.3f}"
        )
        print(
            f"unchanged re-ingest:  {t_second:7.2f}s = {100 * t_second / t_first:.1f}% of the first "
            f"(target <= 5%: {'met' if t_second <= 0.05 * t_first else 'NOT met'})"
        )
        if prof and args.profile:
            prof.dump_stats(str(args.profile))
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
