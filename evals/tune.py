"""Fit the verifier's decision thresholds and its confidence table on the DEV gold sets only.

    python -m evals.tune [--write]

Dev sets (their errors may be read): the seed set and held-out 1 on the seeds, and the two invented
stories outside them, `dev_story` (a long-form story) and `dev_headlines` (headline-style claims among
unrelated articles), each in its own data dir. `--sets seed heldout` fits on the seed articles alone (the
fit before session 11). The test sets (held-out 2, test 3, test headlines) and the public benchmarks are
never used here. A grid over the P(supports) / P(refutes) / on-topic thresholds is scored by the mean of the
sets' macro-F1, so a 48-claim story counts as much as the 123-claim seed set (the stance model's
probabilities are cached, so each setting costs only the rules). With `--write`, the
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

GOLD = PROJECT_ROOT / "evals" / "gold"
STORES = PROJECT_ROOT / ".crosscheck"
CORPORA = PROJECT_ROOT / "evals" / "corpora"
# name -> (gold file, data dir, corpus to ingest into it)
DEV = {
    "seed": (GOLD / "seed_claims.jsonl", STORES / "eval", None),
    "heldout": (GOLD / "heldout_claims.jsonl", STORES / "eval", None),
    "dev_story": (GOLD / "dev_story_claims.jsonl", STORES / "dev_story", CORPORA / "dev_story"),
    "dev_headlines": (
        GOLD / "dev_headlines_claims.jsonl",
        STORES / "dev_headlines",
        CORPORA / "dev_headlines",
    ),
}
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
    ap.add_argument("--sets", nargs="+", choices=sorted(DEV), default=list(DEV), help="dev sets to fit on")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--supports", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6, 0.7])
    ap.add_argument("--refutes", type=float, nargs="+", default=[0.6, 0.7, 0.8, 0.9, 0.95, 0.98])
    ap.add_argument("--on-topic", type=float, nargs="+", default=[0.5, 0.7])
    args = ap.parse_args(argv)
    offline_environment()
    groups: dict[Path, tuple[Services, list]] = {}
    for name in args.sets:
        gold, data_dir, corpus = DEV[name]
        if data_dir not in groups:
            services = Services.from_settings(Settings(data_dir=data_dir))
            if services.store.count() == 0:
                from agent.app.ingest import ingest

                ingest([corpus or services.settings.seeds_dir], services.settings, services.store, services.embedder)
            groups[data_dir] = (services, [])
        groups[data_dir][1].append((name, list(Dataset.from_jsonl(gold).claims())))
    base = next(iter(groups.values()))[0].settings.stance
    results = []
    # soft votes stay off: the dev sets are the ones the rules were written against, so they would favour them
    grid = itertools.product(args.supports, args.refutes, args.on_topic, (False,))
    for sup, ref, topic, soft in grid:
        stance = base.model_copy(update={"supports": sup, "refutes": ref, "on_topic": topic, "soft": soft})
        rows, f1s = [], {}
        for services, sets in groups.values():
            services.settings.stance = stance
            for name, cases in sets:
                got = run_claims(services, cases, with_ranking=False, show_progress=False)
                f1s[name] = m.macro_f1([r["gold"] for r in got], [r["pred"] for r in got])
                rows += got
        f1 = sum(f1s.values()) / len(f1s)
        results.append((f1, sup, ref, topic, soft, rows))
        each = " ".join(f"{n}={f:.3f}" for n, f in f1s.items())
        print(f"supports {sup} refutes {ref} on_topic {topic} soft {soft}: mean macro-F1 {f1:.3f} ({each})", flush=True)
    best = max(results, key=lambda r: r[0])
    f1, sup, ref, topic, soft, rows = best
    setting = f"supports={sup} refutes={ref} on_topic={topic} soft={str(soft).lower()}"
    print(f"best on dev: {setting} (mean macro-F1 {f1:.3f})")
    if args.write:
        CONFIDENCE.write_text(json.dumps(confidence_table(rows), indent=2) + "\n", encoding="utf-8")
        print(f"confidence table written: {CONFIDENCE}")


if __name__ == "__main__":
    main()
