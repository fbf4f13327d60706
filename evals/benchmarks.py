"""What the public-benchmark slices share: seeded samples, the verifier fingerprint for result caches, the gate.

A slice is a fixed, seeded sample of a public benchmark small enough for CI (`--slice N`). Its baseline
(`evals/baselines/<name>.json`) records which slice it was measured on, so a gate never compares two
different samples; `--write-baseline` regenerates it after an intended change to the verifier.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agent.settings import PROJECT_ROOT
from evals.report import GateResult, _get, gate

BASELINES = PROJECT_ROOT / "evals" / "baselines"
SLICE_TOLERANCE = 0.03
SEED = 0
PACKAGED_WEIGHTS = PROJECT_ROOT / "agent" / "stance" / "weights" / "model.int8.onnx"
# Settings that cannot change a verdict (paths, the per-claim collection name) stay out of the fingerprint.
_NOT_VERDICT = {"data_dir", "seeds_dir", "benchmarks_dir", "store"}


# ------------------------------------------------------------------------------------------ sampling
def sample_ids(ids: Iterable[Any], n: int, seed: int = SEED) -> list[Any]:
    """`n` of `ids` drawn with `random.Random(seed)` from their sorted order, returned sorted (all when n >= len)."""
    pool = sorted(set(ids), key=str)
    if n >= len(pool):
        return pool
    return sorted(random.Random(seed).sample(pool, n), key=str)


def ids_digest(ids: Iterable[Any]) -> str:
    """A short hash of a set of ids: what a baseline records about the slice it was measured on."""
    return hashlib.sha256("\n".join(sorted(str(i) for i in ids)).encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------------------ fingerprint
def _file_stamp(path: Path) -> str:
    st = path.stat()
    return f"{path.name}:{st.st_size}:{st.st_mtime_ns}"


def _source_digest(root: Path = PROJECT_ROOT) -> str:
    """The verifier's code and prompts: a result computed by other rules is another result."""
    h = hashlib.sha256()
    files = sorted([*(root / "agent").rglob("*.py"), *(root / "prompts").glob("*")])
    for f in files:
        if f.is_file():
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def verifier_fingerprint(settings: Any, weights: Path | None = None, source: bool = True) -> str:
    """A short hash of what decides a verdict: the stance settings (`"rules"` when Settings has none), the stance
    model's weights (size and mtime), the other verdict-relevant settings, and the verifier's source.

    Per-claim result caches live under `results/<fingerprint>/`, so a cached verdict is reused only by the same
    verifier; a changed setting, retrained model or edited rule gets a fresh folder.
    """
    stance = getattr(settings, "stance", None)
    parts = [stance.model_dump_json() if stance is not None else "rules"]
    weights = PACKAGED_WEIGHTS if weights is None else weights
    model = getattr(stance, "model", "packaged")
    if isinstance(model, str) and model != "packaged":
        weights = Path(model) / "model.int8.onnx"
    parts.append(_file_stamp(weights) if weights.is_file() else "no-weights")
    if hasattr(settings, "model_dump_json"):
        parts.append(settings.model_dump_json(exclude=_NOT_VERDICT | {"stance"}))
    if source:
        parts.append(_source_digest())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


# ------------------------------------------------------------------------------------------ gate + baseline
def add_gate_arguments(ap: argparse.ArgumentParser, name: str) -> None:
    ap.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help=f"baseline summary (default with --slice: evals/baselines/{name}-slice<N>.json)",
    )
    ap.add_argument(
        "--gate",
        action="store_true",
        help=f"exit 1 when a gated metric falls more than {SLICE_TOLERANCE} below the baseline, "
        "a citation fails the slice check, or a claim raised",
    )
    ap.add_argument("--write-baseline", action="store_true", help="save this run's summary as the baseline")
    ap.add_argument("--summary-out", type=Path, default=None, help="also write summary.json to this file")


def default_baseline(name: str, n: int | None) -> Path | None:
    return BASELINES / f"{name}-slice{n}.json" if n else None


def load_baseline(path: Path | None) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path is not None and path.is_file() else None


def gate_slice(
    summary: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    metrics: Sequence[str],
    tolerance: float = SLICE_TOLERANCE,
) -> GateResult:
    """evals.report.gate on the benchmark's own metrics, plus: no baseline, or one for another slice, fails."""
    if baseline is None:
        return GateResult(False, ["no baseline to gate against (write one with --write-baseline)"])
    if baseline.get("slice") != summary.get("slice"):
        return GateResult(
            False,
            [
                f"the baseline was measured on another slice ({baseline.get('slice')}) "
                f"than this run ({summary.get('slice')}): regenerate it with --write-baseline"
            ],
        )
    lacking = [k for k in metrics if not isinstance(_get(dict(baseline), k), int | float)]
    if lacking:
        return GateResult(False, [f"the baseline has no {', '.join(lacking)}: regenerate it with --write-baseline"])
    return gate(dict(summary), dict(baseline), tolerance, metrics=metrics)


def baseline_view(summary: Mapping[str, Any]) -> dict[str, Any]:
    """What a baseline file keeps of a summary (no plot data, no deltas against an older baseline)."""
    return {k: v for k, v in summary.items() if k not in ("reliability", "baseline_deltas")}


def finish(
    summary: dict[str, Any],
    baseline_path: Path | None,
    baseline: Mapping[str, Any] | None,
    metrics: Sequence[str],
    *,
    gate_on: bool,
    write_baseline: bool,
    summary_out: Path | None,
) -> int:
    """Deltas, `--summary-out`, `--write-baseline` and `--gate` after a benchmark run; returns the exit status."""
    from evals.report import deltas

    if summary_out is not None:
        summary_out.parent.mkdir(parents=True, exist_ok=True)
        summary_out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if baseline is not None:
        for key, d in deltas(summary, dict(baseline)).items():
            print(f"  {key:<40} {d['now']:9.3f}  (baseline {d['baseline']:.3f}, {d['delta']:+.3f})")
        if baseline.get("verifier") and baseline.get("verifier") != summary.get("verifier"):
            print(f"  note: baseline from verifier {baseline.get('verifier')}, this run {summary.get('verifier')}")
    elif baseline_path is not None:
        print(f"no baseline at {baseline_path}: nothing to compare", file=sys.stderr)
    if write_baseline:
        if baseline_path is None:
            print("--write-baseline needs --baseline FILE (or --slice N for the default)", file=sys.stderr)
            return 2
        baseline_path.parent.mkdir(parents=True, exist_ok=True)
        baseline_path.write_text(json.dumps(baseline_view(summary), indent=2) + "\n", encoding="utf-8")
        print(f"baseline written: {baseline_path}")
        baseline = baseline_view(summary)
    if gate_on:
        result = gate_slice(summary, baseline, metrics)
        if not result.ok:
            for reason in result.reasons:
                print(f"gate failed: {reason}", file=sys.stderr)
            return 1
        print("gate passed")
    return 0


def run_and_gate(
    args: argparse.Namespace, bench_name: str, run: Any, gated: Sequence[str], data_dir_default: bool = False
) -> int:
    """A benchmark's `main` after parsing: default report (and data) paths named for the run
    (`<bench>` or `<bench>-slice<N>`), the default baseline, the run, then gate / baseline / summary."""
    name = f"{bench_name}-slice{args.slice}" if args.slice else bench_name
    args.report = args.report or PROJECT_ROOT / "reports" / name
    if data_dir_default:
        args.data_dir = args.data_dir or PROJECT_ROOT / ".bench" / name
    args.baseline = args.baseline or default_baseline(bench_name, args.slice)
    summary = run(args)
    return finish(
        summary,
        args.baseline,
        load_baseline(args.baseline),
        gated,
        gate_on=args.gate,
        write_baseline=args.write_baseline,
        summary_out=args.summary_out,
    )
