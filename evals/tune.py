"""Fit the verifier's decision thresholds and its confidence table on the DEV gold sets only.

    python -m evals.tune [--write]

Dev sets: `seed_claims.jsonl` and `heldout_claims.jsonl` (their errors may be read). The test sets
(`heldout2_claims.jsonl`, `test3_claims.jsonl`) and the public benchmarks are never used here.
A grid over the P(supports) / P(refutes) / on-topic thresholds is scored by macro-F1 (the
stance model's probabilities are cached, so each setting costs only the rules). With `--write`, the
best setting goes to `configs/default.toml`'s [stance] section by hand (printed), and the confidence
table — how often each label was right on dev, by how many sources agreed — to
`agent/pipeline/nodes/confidence.json`.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from agent.pipeline.services import Services
from agent.settings import PROJECT_ROOT, Settings, offline_environment
from evals import metrics as m
from evals.dataset import Dataset
from evals.runner import run_claims

DEV = [PROJECT_ROOT / "evals" / "gold" / "seed_claims.jsonl", PROJECT_ROOT / "evals" / "gold" / "heldout_claims.jsonl"]
CONFIDENCE = PROJECT_ROOT / "agent" / "pipeline" / "nodes" / "confidence.json"


def confidence_table(rows: list[dict]) -> dict[str, dict[str, float]]:
    """P(correct | label, agreeing sources capped at 3), Laplace-smoothed towards the label's own rate."""
    table: dict[str, dict[str, float]] = {}
    for label in ("SUPPORTED", "REFUTED", "CONFLICTING", "NOT_ENOUGH_INFO"):
        mine = [r for r in rows if r["pred"] == label]
        base = (sum(r["gold"] == label for r in mine) + 1) / (len(mine) + 2)
        table[label] = {"any": round(base, 3)}
        for n in (1, 2, 3):
            sub = [r for r in mine if min(3, _agreeing(r)) == n]
            table[label][str(n)] = round((sum(r["gold"] == label for r in sub) + 2 * base) / (len(sub) + 2), 3)
    return table


def _agreeing(row: dict) -> int:
    want = {"SUPPORTED": "supports", "REFUTED": "refutes"}.get(row["pred"])
    stances = row.get("stances", {}).values()
    return sum(s == want for s in stances) if want else sum(s != "neutral" for s in stances)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / ".crosscheck" / "eval")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--supports", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6, 0.7])
    ap.add_argument("--refutes", type=float, nargs="+", default=[0.6, 0.7, 0.8, 0.9, 0.95, 0.98])
    ap.add_argument("--on-topic", type=float, nargs="+", default=[0.5, 0.7])
    args = ap.parse_args(argv)
    offline_environment()
    settings = Settings(data_dir=args.data_dir)
    services = Services.from_settings(settings)
    if services.store.count() == 0:
        from agent.app.ingest import ingest

        ingest([settings.seeds_dir], settings, services.store, services.embedder)
    cases = [c for p in DEV for c in Dataset.from_jsonl(p).claims()]
    results = []
    # soft votes stay off: the dev sets are the ones the rules were written against, so they would favour them
    grid = itertools.product(args.supports, args.refutes, args.on_topic, (False,))
    for sup, ref, topic, soft in grid:
        services.settings.stance = settings.stance.model_copy(
            update={"supports": sup, "refutes": ref, "on_topic": topic, "soft": soft}
        )
        rows = run_claims(services, cases, with_ranking=False, show_progress=False)
        gold = [r["gold"] for r in rows]
        pred = [r["pred"] for r in rows]
        f1 = m.macro_f1(gold, pred)
        results.append((f1, sup, ref, topic, soft, rows))
        print(f"supports {sup} refutes {ref} on_topic {topic} soft {soft}: macro-F1 {f1:.3f}", flush=True)
    best = max(results, key=lambda r: r[0])
    f1, sup, ref, topic, soft, rows = best
    print(f"best on dev: supports={sup} refutes={ref} on_topic={topic} soft={str(soft).lower()} (macro-F1 {f1:.3f})")
    if args.write:
        CONFIDENCE.write_text(json.dumps(confidence_table(rows), indent=2) + "\n", encoding="utf-8")
        print(f"confidence table written: {CONFIDENCE}")


if __name__ == "__main__":
    main()
