"""Before / model only / combined, on every gold set and benchmark slice: the README's quality table.

    python -m evals.compare [--modes rules model combined] [--out reports/compare]

Each mode runs the same commands the gate runs (`crosscheck eval` on the claim sets, the SciFact and
Climate-FEVER slices), with `CROSSCHECK_STANCE__MODE` set; summaries go to OUT/<mode>/, and
OUT/table.md holds one row per metric and one column per mode.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from agent.settings import PROJECT_ROOT

CLAIM_SETS = {  # name -> (file, dev or test)
    "seed": ("seed_claims.jsonl", "dev"),
    "heldout": ("heldout_claims.jsonl", "dev"),
    "heldout2": ("heldout2_claims.jsonl", "test"),
    "test3": ("test3_claims.jsonl", "test"),
}


def run_mode(mode: str, out: Path) -> dict[str, Any]:
    env = {**os.environ, "CROSSCHECK_STANCE__MODE": mode}
    out.mkdir(parents=True, exist_ok=True)
    exe = [sys.executable, "-c", "from agent.cli import run; run()"]
    results: dict[str, Any] = {}
    for name, (file, _) in CLAIM_SETS.items():
        report = out / name
        subprocess.run(
            [*exe, "--data-dir", str(PROJECT_ROOT / ".crosscheck" / "eval"), "eval", "--dataset",
             str(PROJECT_ROOT / "evals" / "gold" / file), "--report", str(report), "--baseline", "/nonexistent"],
            env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        results[name] = json.loads((report / "summary.json").read_text())
    for module, name, n in (("evals.scifact", "scifact", 100), ("evals.climate_fever", "climate_fever", 300)):
        summary = out / f"{name}.json"
        subprocess.run(
            [sys.executable, "-m", module, "--slice", str(n), "--summary-out", str(summary),
             "--report", str(out / name)],
            env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        results[name] = json.loads(summary.read_text())
    (out / "all.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


def _wrong_refuted(s: dict[str, Any]) -> tuple[int, int]:
    return int(s.get("refuted_wrong_confident", 0)), int(s.get("refuted_verdicts", 0))


def table(by_mode: dict[str, dict[str, Any]]) -> str:
    modes = list(by_mode)
    rows: list[tuple[str, list[str]]] = []

    def add(label: str, fn: Any) -> None:
        rows.append((label, [fn(by_mode[m]) for m in modes]))

    for name, (_, kind) in CLAIM_SETS.items():
        add(f"{name} ({kind}) macro-F1 / accuracy",
            lambda r, n=name: f"{r[n]['macro_f1']:.3f} / {r[n]['accuracy']:.3f}")  # fmt: skip
    add("SciFact slice (100 dev claims, 509 abstracts): label-only F1 / sentence selection+label F1",
        lambda r: f"{r['scifact']['official']['abstract_label_only']['f1']:.3f} / "
        f"{r['scifact']['official']['sentence_selection_label']['f1']:.3f}")  # fmt: skip
    add(
        "Climate-FEVER slice (300 claims): 4-way accuracy / macro-F1",
        lambda r: f"{r['climate_fever']['accuracy']:.3f} / {r['climate_fever']['macro_f1']:.3f}",
    )
    sets = [*CLAIM_SETS, "scifact", "climate_fever"]
    add(
        "wrong REFUTED with confidence ≥ 0.9 (all sets)",
        lambda r: "{} of {} REFUTED".format(*map(sum, zip(*(_wrong_refuted(r[s]) for s in sets), strict=True))),
    )
    add(
        "NOT_ENOUGH_INFO labelled SUPPORTED (seed/held-out/test sets)",
        lambda r: str(sum(int(r[s].get("nei_as_supported", 0)) for s in CLAIM_SETS)),
    )

    def cites(r: dict[str, Any]) -> str:
        total = sum(r[s].get("citations", 0) for s in sets)
        bad = sum(r[s].get("invalid_citations", 0) for s in sets)
        return f"{1 - bad / max(1, total):.1%} of {total}"

    add("citations passing the slice check", cites)
    add(
        "seed verify latency p50 / p95 (ms)",
        lambda r: f"{r['seed']['latency_ms']['p50']:.0f} / {r['seed']['latency_ms']['p95']:.0f}",
    )
    add(
        "SciFact slice verify latency p50 / p95 (ms)",
        lambda r: f"{r['scifact']['latency_ms']['p50']:.0f} / {r['scifact']['latency_ms']['p95']:.0f}",
    )
    head = "| metric | " + " | ".join(modes) + " |\n|---|" + "---|" * len(modes) + "\n"
    return head + "".join(f"| {label} | " + " | ".join(vals) + " |\n" for label, vals in rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modes", nargs="+", default=["rules", "model", "combined"])
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "compare")
    ap.add_argument("--reuse", action="store_true", help="table from existing OUT/<mode>/all.json only")
    args = ap.parse_args(argv)
    by_mode = {}
    for mode in args.modes:
        cached = args.out / mode / "all.json"
        by_mode[mode] = json.loads(cached.read_text()) if args.reuse else run_mode(mode, args.out / mode)
        print(f"{mode}: done", flush=True)
    text = table(by_mode)
    (args.out / "table.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
