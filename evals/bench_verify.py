"""Verify latency benchmark over evals/gold/seed_claims.jsonl (claims only), seeds/ in a temp store.

Prints per-claim `verify_claim` latency p50/p95 for a first pass (which also warms the model,
the sentence index and caches) and a second, warm pass (target p50 <= 50 ms), the median warm
time per graph stage, and the cold time from process start to the first verdict
(`crosscheck --data-dir D verify "..."`, 3 runs, median). Run: `make bench-verify`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from agent.app.ingest import ingest  # noqa: E402
from agent.app.verify import verify_claim  # noqa: E402
from agent.pipeline.services import Services  # noqa: E402
from agent.settings import PROJECT_ROOT, Settings  # noqa: E402

GOLD = PROJECT_ROOT / "evals" / "gold" / "seed_claims.jsonl"


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def run_pass(services: Services, claims: list[tuple[str, str]]) -> tuple[list[float], dict[str, list[float]]]:
    ms: list[float] = []
    stages: dict[str, list[float]] = {}
    for cid, claim in claims:
        t = time.perf_counter()
        rec = verify_claim(services, claim, cid)
        ms.append(1000 * (time.perf_counter() - t))
        for k, v in (rec.timing_ms or {}).items():
            stages.setdefault(k, []).append(float(v))
    return ms, stages


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None, help="only the first N claims")
    ap.add_argument("--cold-runs", type=int, default=3)
    args = ap.parse_args()

    claims = [(r["id"], r["claim"]) for r in map(json.loads, GOLD.read_text(encoding="utf-8").splitlines()) if r]
    claims = claims[: args.limit] if args.limit else claims

    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        data_dir = Path(tmp) / "data"
        settings = Settings(data_dir=data_dir)
        services = Services.from_settings(settings)
        t = time.perf_counter()
        rep = ingest([settings.seeds_dir], settings, services.store, services.embedder)
        t_ingest = time.perf_counter() - t

        first, _ = run_pass(services, claims)
        warm, stages = run_pass(services, claims)

        exe = Path(sys.executable).parent / "crosscheck"
        cold: list[float] = []
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
        for _ in range(args.cold_runs):
            t = time.perf_counter()
            proc = subprocess.run(
                [str(exe), "--data-dir", str(data_dir), "verify", claims[0][1]],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            cold.append(time.perf_counter() - t)
            if proc.returncode != 0:
                print(f"cold run failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
                return 1

        print(f"machine: {os.cpu_count()} cores, CPU ({platform.machine()}), python {platform.python_version()}")
        print(
            f"seeds: {rep.documents} documents, {rep.chunks_written} chunks, ingested in {t_ingest:.1f}s; "
            f"claims: {len(claims)}"
        )
        print(
            f"first pass (cold caches): p50 {pct(first, 0.5):7.1f} ms  p95 {pct(first, 0.95):7.1f} ms  "
            f"max {max(first):7.1f} ms  (first claim {first[0]:.0f} ms)"
        )
        print(
            f"warm pass:                p50 {pct(warm, 0.5):7.1f} ms  p95 {pct(warm, 0.95):7.1f} ms  "
            f"max {max(warm):7.1f} ms  (target p50 <= 50 ms: {'met' if pct(warm, 0.5) <= 50 else 'NOT met'})"
        )
        if stages:
            print("warm stage medians (ms): " + ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in stages.items()))
        print(
            f"cold CLI start to first verdict: median {statistics.median(cold):.2f}s "
            f"(runs: {', '.join(f'{c:.2f}s' for c in cold)})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
