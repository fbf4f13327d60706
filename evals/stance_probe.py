"""A claim-level probe of stance models on the DEV sets, apart from the decision rules.

    python -m evals.stance_probe MODEL_DIR [MODEL_DIR ...] [--pairs FILE]

The shipped verifier runs over the four news dev sets (`evals.tune.DEV`) once, recording every (claim, unit) pair
it sends the model; each model given then scores those same pairs. Per set, and pooled:

- AUC of the claim's best P(refutes): REFUTED claims against NOT_ENOUGH_INFO ones (can the model tell a
  contradicted claim from one nobody states?);
- AUC of the claim's best P(supports): SUPPORTED claims against NOT_ENOUGH_INFO ones.

0.5 is chance. It takes about a minute per model, against ~5 minutes for `evals.tune`, and it says whether a
retrained model carries more signal before any threshold is fitted. The pairs are kept in `--pairs` (default
`.crosscheck/probe_pairs.json`) and reused; delete the file after the retrieval changes. Dev sets only.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.settings import PROJECT_ROOT, Settings, offline_environment
from evals.dataset import Dataset
from evals.tune import DEV

PAIRS = PROJECT_ROOT / ".crosscheck" / "probe_pairs.json"


def auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """P(a random positive scores above a random negative), ties counted half."""
    if not pos or not neg:
        return float("nan")
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def capture(path: Path) -> list[dict[str, Any]]:
    """Every dev claim with its gold label and the (claim, unit) pairs the shipped verifier scores for it."""
    from agent.pipeline.services import Services
    from evals.runner import run_claims

    rows: list[dict[str, Any]] = []
    services_of: dict[Path, Services] = {}  # the seed set and held-out 1 share one store: load it once
    for name, (gold, data_dir, _corpus) in DEV.items():
        if data_dir not in services_of:
            services_of[data_dir] = Services.from_settings(Settings(data_dir=data_dir))
        services = services_of[data_dir]
        model = services.stance_model()
        seen: list[tuple[str, str]] = []
        score = model.score

        def recording(claim: str, evidence: list[str], _score: Any = score, _seen: list = seen) -> Any:
            _seen.extend((claim, e) for e in evidence)
            return _score(claim, evidence)

        model.score = recording
        for case in Dataset.from_jsonl(gold).claims():
            seen.clear()
            run_claims(services, [case], with_ranking=False, show_progress=False)
            rows.append({"set": name, "id": case.id, "gold": case.label, "pairs": sorted(set(seen))})
        model.score = score
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows), encoding="utf-8")
    return rows


def probe(model_dir: Path, rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    from agent.stance.model import StanceModel

    model = StanceModel(model_dir)
    best: list[tuple[str, str, float, float]] = []
    for r in rows:
        sup = ref = 0.0
        for claim, unit in r["pairs"]:
            p = model.score(claim, [unit])[0]  # one pair per call: the same numbers whatever else was retrieved
            sup, ref = max(sup, float(p[0])), max(ref, float(p[1]))
        best.append((r["set"], r["gold"], sup, ref))
    out: dict[str, dict[str, float]] = {}
    for name in [*DEV, "all"]:
        mine = [b for b in best if name in ("all", b[0])]
        nei_s = [s for _, g, s, _ in mine if g == "NOT_ENOUGH_INFO"]
        nei_r = [r for _, g, _, r in mine if g == "NOT_ENOUGH_INFO"]
        out[name] = {
            "claims": len(mine),
            "auc_refutes_vs_nei": round(auc([r for _, g, _, r in mine if g == "REFUTED"], nei_r), 3),
            "auc_supports_vs_nei": round(auc([s for _, g, s, _ in mine if g == "SUPPORTED"], nei_s), 3),
        }
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=Path, nargs="+", help="stance model folders (int8 ONNX + tokenizer)")
    ap.add_argument("--pairs", type=Path, default=PAIRS)
    args = ap.parse_args(argv)
    offline_environment()
    rows = json.loads(args.pairs.read_text(encoding="utf-8")) if args.pairs.exists() else capture(args.pairs)
    for model_dir in args.models:
        for name, r in probe(model_dir, rows).items():
            print(
                f"{model_dir}  {name:14s} n={r['claims']:3d}"
                f"  AUC refutes (REFUTED vs NEI) {r['auc_refutes_vs_nei']:.3f}"
                f"  AUC supports (SUPPORTED vs NEI) {r['auc_supports_vs_nei']:.3f}"
            )


if __name__ == "__main__":
    main()
