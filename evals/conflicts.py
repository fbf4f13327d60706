"""Score the corpus map (`crosscheck conflicts`) on the gold list of disagreements between the seed articles.

    python -m evals.conflicts [--gold evals/gold/seed_conflicts.jsonl] [--data-dir .crosscheck/eval]

A reported point matches a gold disagreement when it sets one source against another whose gold values
differ (both non-null), and its quote for one of them overlaps that source's gold quote. Precision: matched
points / reported points; recall: gold disagreements matched by some point. The set is a test set: only the
aggregates are printed, never which points matched, so nobody tunes on them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from agent.settings import PROJECT_ROOT

GOLD = PROJECT_ROOT / "evals" / "gold" / "seed_conflicts.jsonl"


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _overlaps(a: str, b: str) -> bool:
    a, b = _norm(a), _norm(b)
    return bool(a and b) and (a in b or b in a)


def point_matches(point: dict[str, Any], gold: dict[str, Any]) -> bool:
    values, quotes = gold["values"], gold.get("quotes", {})
    quote_of = {v["doc_id"]: (v.get("quote") or {}).get("quote", "") for v in point["supporting"] + point["refuting"]}
    quote_of.setdefault(point["origin"]["doc_id"], point["origin"]["quote"])
    for s in point["supporting"]:
        for r in point["refuting"]:
            a, b = values.get(s["doc_id"]), values.get(r["doc_id"])
            if a is None or b is None or a == b:
                continue
            if any(_overlaps(quote_of.get(d, ""), quotes.get(d, "")) for d in (s["doc_id"], r["doc_id"])):
                return True
    return False


def score(points: list[dict[str, Any]], gold: list[dict[str, Any]]) -> dict[str, float]:
    matched_points = sum(any(point_matches(p, g) for g in gold) for p in points)
    found = sum(any(point_matches(p, g) for p in points) for g in gold)
    return {
        "reported": len(points),
        "gold": len(gold),
        "precision": matched_points / len(points) if points else 0.0,
        "recall": found / len(gold) if gold else 0.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / ".crosscheck" / "eval")
    ap.add_argument("--one-pass", action="store_true", help="verify every statement in full (no checks-only pass)")
    args = ap.parse_args()

    from agent.app.conflicts import conflict_map
    from agent.app.ingest import ingest
    from agent.pipeline.services import Services
    from agent.settings import Settings

    services = Services.from_settings(Settings(data_dir=args.data_dir))
    if services.store.count() == 0:
        ingest([services.settings.seeds_dir], services.settings, services.store, services.embedder)
    gold = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    t0 = time.perf_counter()
    services.index(), services.stance_model()  # loading is not the map's time
    cmap = conflict_map(services, two_pass=not args.one_pass)
    wall = time.perf_counter() - t0
    index = services.index()
    quotes = [v.quote for p in cmap.disagreements for v in p.supporting + p.refuting if v.quote]
    valid = sum(index.valid_citation(q) for q in quotes)
    result = score([p.model_dump() for p in cmap.disagreements], gold)
    result |= {"quotes_valid": f"{valid}/{len(quotes)}", "wall_s": round(wall, 1)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
