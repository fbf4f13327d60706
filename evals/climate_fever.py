"""Climate-FEVER (1,535 claims), closed evidence: each claim is verified against its own 5 evidence sentences.

`python -m evals.climate_fever [--limit N] [--report DIR] [--workers 2]` — each claim's five sentences become
five one-sentence documents in that claim's own Chroma collection under `.bench/climate-fever` (derived data,
never in the repo). 4-way accuracy and macro-F1, DISPUTED → CONFLICTING.

Each claim's result is kept in `<data-dir>/results/<verifier fingerprint>/<id>.result.json` so an interrupted
run resumes; the fingerprint (evals.benchmarks.verifier_fingerprint) changes with the stance settings, the
stance model's weights and the verifier's code, so a result is reused only by the verifier that computed it.

`--slice N` (the CI gate: `--slice 300 --gate`): a fixed sample of N claims (seed 0); `--gate` fails when 4-way
accuracy or macro-F1 falls more than 0.03 below `evals/baselines/climate-fever-slice<N>.json`, or when a citation
fails the slice check.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from agent.pipeline.services import Services
from agent.schemas import LABELS
from agent.settings import PROJECT_ROOT, Settings, offline_environment
from evals import benchmarks as bench
from evals.dataset import Case, QuoteValidity
from evals.report import write_report
from evals.runner import progress_bar, summarize_claims

LABEL_MAP = {
    "SUPPORTS": "SUPPORTED",
    "REFUTES": "REFUTED",
    "NOT_ENOUGH_INFO": "NOT_ENOUGH_INFO",
    "DISPUTED": "CONFLICTING",
}
STANCE_MAP = {"SUPPORTS": "supports", "REFUTES": "refutes", "NOT_ENOUGH_INFO": "neutral"}
GATED = ("accuracy", "macro_f1")


def slice_rows(rows: list[dict[str, Any]], n: int, seed: int = bench.SEED) -> list[dict[str, Any]]:
    """A seeded sample of `n` claims, in file order."""
    keep = set(bench.sample_ids((r["claim_id"] for r in rows), n, seed))
    return [r for r in rows if r["claim_id"] in keep]


def claim_corpus(row: dict[str, Any], out_dir: Path) -> Path:
    """The claim's five evidence sentences as a JSONL corpus, one document each (ids `<claim>-<i>`)."""
    path = out_dir / f"{row['claim_id']}.jsonl"
    if not path.exists():
        lines = [
            json.dumps({"doc_id": f"{row['claim_id']}-{i}", "title": e["article"], "text": e["evidence"]})
            for i, e in enumerate(row["evidences"])
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_one(row: dict[str, Any], base: Settings, embedder: Any, corpus_dir: Path, results_dir: Path) -> dict[str, Any]:
    """One claim, its result kept under the verifier's fingerprint so an interrupted run resumes where it stopped."""
    done = results_dir / f"{row['claim_id']}.result.json"
    if done.exists():
        return json.loads(done.read_text(encoding="utf-8"))
    result = verify_one(row, base, embedder, corpus_dir)
    tmp = done.with_suffix(".tmp")
    tmp.write_text(json.dumps(result), encoding="utf-8")
    tmp.replace(done)
    return result


def verify_one(row: dict[str, Any], base: Settings, embedder: Any, corpus_dir: Path) -> dict[str, Any]:
    from agent.app.ingest import ingest
    from agent.app.verify import verify_claim

    settings = base.model_copy(update={"store": base.store.model_copy(update={"collection": f"cf{row['claim_id']}"})})
    services = Services.from_settings(settings)
    services.embedder = embedder
    ingest([claim_corpus(row, corpus_dir)], settings, services.store, embedder)
    gold = LABEL_MAP[row["claim_label"]]
    gold_stances = {f"{row['claim_id']}-{i}": STANCE_MAP[e["evidence_label"]] for i, e in enumerate(row["evidences"])}
    sources = [d for d, s in gold_stances.items() if s != "neutral"]
    case = Case(id=row["claim_id"], inputs=row["claim"], label=gold, sources=sources)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    record = verify_claim(services, row["claim"], row["claim_id"])
    latency = (time.perf_counter() - t0) * 1000
    stanced = {s.doc_id for s in record.sources if s.stance != "neutral"}
    cited = {c.doc_id for c in record.citations}
    return {
        "id": case.id,
        "kind": "claim",
        "claim": row["claim"],
        "gold": gold,
        "pred": record.label,
        "correct": gold == record.label,
        "confidence": record.confidence,
        "gold_sources": sources,
        "citation_precision": len(cited & set(sources)) / len(cited) if cited and sources else None,
        "source_recall": len(stanced & set(sources)) / len(sources) if sources else None,
        "stance_agreement": sum(gold_stances.get(s.doc_id) == s.stance for s in record.sources) / 5,
        **QuoteValidity(services.index().valid_citation).evaluate(case, record),
        "latency_ms": latency,
        "llm": {
            "calls": record.llm.calls,
            "input_tokens": record.llm.input_tokens,
            "output_tokens": record.llm.output_tokens,
        },
        "rationale": record.rationale,
        "evidence": [
            {"doc_id": s.doc_id, "stance": f"{s.stance} (gold {gold_stances.get(s.doc_id)})", "quote": c.quote}
            for s in record.sources
            for c in s.citations[:1]
        ],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--slice", type=int, default=None, metavar="N", help="a seeded sample of N claims")
    ap.add_argument("--seed", type=int, default=bench.SEED, help="the slice's sampling seed")
    ap.add_argument("--report", type=Path, default=None, help="default reports/climate-fever[-slice<N>]")
    ap.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / ".bench" / "climate-fever")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--fresh", action="store_true", help="ignore results kept from an earlier (interrupted) run")
    bench.add_gate_arguments(ap, "climate-fever")
    args = ap.parse_args(argv)
    return bench.run_and_gate(args, "climate-fever", run, GATED)


def run(args: argparse.Namespace) -> dict[str, Any]:
    offline_environment()
    from agent.data.store import Embedder

    base = Settings(data_dir=args.data_dir)
    data = base.benchmarks_dir / "climate-fever" / "climate-fever.jsonl"
    if not data.is_file():
        sys.exit(f"Climate-FEVER data not found: {data} (settings.benchmarks_dir = {base.benchmarks_dir})")
    fingerprint = bench.verifier_fingerprint(base)
    corpus_dir = args.data_dir / "corpora"
    results_dir = args.data_dir / "results" / fingerprint
    corpus_dir.mkdir(parents=True, exist_ok=True)
    results_dir.mkdir(parents=True, exist_ok=True)
    if args.fresh:
        for f in results_dir.glob("*.result.json"):
            f.unlink()
    rows_in = [json.loads(x) for x in data.read_text(encoding="utf-8").splitlines() if x.strip()]
    if args.slice:
        rows_in = slice_rows(rows_in, args.slice, args.seed)
    rows_in = rows_in[: args.limit]
    cached = sum((results_dir / f"{r['claim_id']}.result.json").exists() for r in rows_in)
    print(f"verifier {fingerprint}: {cached} of {len(rows_in)} results kept from an earlier run ({results_dir})")
    embedder = Embedder(base.embedding)
    t0 = time.perf_counter()
    with progress_bar("Climate-FEVER claims", len(rows_in)) as advance, ThreadPoolExecutor(args.workers) as pool:
        futures = [pool.submit(run_one, r, base, embedder, corpus_dir, results_dir) for r in rows_in]
        for f in futures:
            f.result()
            advance()
    rows = [f.result() for f in futures]
    wall = time.perf_counter() - t0
    summary = summarize_claims(rows, LABELS)
    slice_info = None
    if args.slice:
        slice_info = {
            "claims": len(rows_in),
            "seed": args.seed,
            "claim_ids": bench.ids_digest(r["claim_id"] for r in rows_in),
        }
    summary.update(
        {
            "dataset": "climate-fever" + (f"-slice{args.slice}" if args.slice else ""),
            "slice": slice_info,
            "verifier": fingerprint,
            "stance_mode": getattr(getattr(base, "stance", None), "mode", "rules"),
            "wall_s": {"total": wall, "cached_results": cached},
            "extra": {"evidence stance agreement": sum(r["stance_agreement"] for r in rows) / len(rows)},
        }
    )
    write_report(
        args.report, rows, summary, bench.load_baseline(args.baseline), title="Climate-FEVER (closed evidence)"
    )
    print(
        f"{summary['dataset']}: {len(rows)} claims, 4-way accuracy {summary['accuracy']:.3f} "
        f"(paper baseline 0.3878), macro-F1 {summary['macro_f1']:.3f}, "
        f"quote validity {summary['quote_validity']:.3f}, p50 {summary['latency_ms']['p50'] or 0:.0f} ms, "
        f"p95 {summary['latency_ms']['p95'] or 0:.0f} ms; wall {wall:.0f}s ({cached} cached); "
        f"report {args.report / 'report.html'}"
    )
    return summary


if __name__ == "__main__":
    sys.exit(main())
