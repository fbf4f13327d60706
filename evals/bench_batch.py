"""Batch throughput: 1,000 claims varied from the gold claims, offline, default workers; then 1 vs 2 workers.

    python -m evals.bench_batch [--n 1000] [--speedup-n 200]

The store is the seeds corpus in .bench/batch (ingested on first run). The index and the sentence vectors are
warmed before timing, so the numbers are steady-state verification throughput of `run_items` (what
`crosscheck batch` runs), not model-loading time.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from agent.settings import PROJECT_ROOT, Settings, offline_environment

PREFIXES = ["", "Reportedly, ", "According to the reports, ", "It is claimed that ", "Sources say "]
NUMBERS = {
    "25,000": ["24,000", "30,000", "25,000"],
    "28.8 million": ["16 million", "28.8 million"],
    "six weeks": ["six weeks", "two months"],
    "June": ["June", "February"],
}


def vary(claims: list[str], n: int) -> list[str]:
    """Deterministic variations: prefixes, swapped numbers/dates, a trailing clause."""
    out: list[str] = []
    i = 0
    while len(out) < n:
        base = claims[i % len(claims)]
        k = i // len(claims)
        text = base
        for old, news in NUMBERS.items():
            if old in text:
                text = text.replace(old, news[k % len(news)])
        prefix = PREFIXES[k % len(PREFIXES)]
        text = prefix + text
        if k % 3 == 2:
            text = text.rstrip(".") + ", the articles say."
        out.append(text)
        i += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--speedup-n", type=int, default=200)
    args = ap.parse_args()
    offline_environment()
    from agent.app.batch import Item, default_workers, run_items
    from agent.app.ingest import ingest
    from agent.pipeline.services import Services

    services = Services.from_settings(Settings(data_dir=PROJECT_ROOT / ".bench" / "batch"))
    if services.store.count() == 0:
        ingest([services.settings.seeds_dir], services.settings, services.store, services.embedder)
    gold = [json.loads(x)["claim"] for x in (PROJECT_ROOT / "evals/gold/seed_claims.jsonl").read_text().splitlines()]
    claims = vary(gold, args.n)
    items = [Item(i + 1, str(i + 1), c) for i, c in enumerate(claims)]

    t = time.perf_counter()
    run_items(services, items[:4], 1, lambda *_: None)  # warm: index, sentence vectors, graph
    print(f"warm-up (index + sentence vectors + graph): {time.perf_counter() - t:.1f}s")

    def timed(batch: list[Item], workers: int) -> float:
        labels: dict[str, int] = {}

        def done(_item: Item, rec: dict) -> None:
            key = rec.get("label", "ERROR")
            labels[key] = labels.get(key, 0) + 1

        model = services.stance_model()
        if model is not None:
            model.clear_cache()  # the 1- and 2-worker runs re-check claims the first run scored
        t0 = time.perf_counter()
        run_items(services, batch, workers, done)
        dt = time.perf_counter() - t0
        print(f"  {len(batch)} claims, {workers} worker(s): {dt:.1f}s = {len(batch) / dt:.1f} claims/s  {labels}")
        return len(batch) / dt

    w = default_workers()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; default workers {w}")
    rate = timed(items, w)
    sub = items[: args.speedup_n]
    r1 = timed(sub, 1)
    r2 = timed(sub, 2)
    print(
        f"RESULT throughput {rate:.1f} claims/s over {len(items)} claims (default {w} workers); "
        f"speed-up 1→2 workers {r2 / r1:.2f}x ({r1:.1f} → {r2:.1f} claims/s)"
    )


if __name__ == "__main__":
    main()
