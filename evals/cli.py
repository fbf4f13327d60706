"""The `eval` front end: run a gold set through the verification graph, write the report, gate on the baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent.settings import PROJECT_ROOT

DEFAULT_DATASETS = [
    PROJECT_ROOT / "evals" / "gold" / "seed_claims.jsonl",
    PROJECT_ROOT / "evals" / "gold" / "seed_questions.jsonl",
]
DEFAULT_BASELINE = PROJECT_ROOT / "evals" / "baselines" / "seed.json"


def eval_command(
    dataset: Annotated[
        list[Path] | None,
        typer.Option(help="gold JSONL (claims and/or questions); default: the seed claims and questions"),
    ] = None,
    report: Annotated[Path, typer.Option(help="directory for results.jsonl, summary.json, report.md/.html")] = Path(
        "reports/eval"
    ),
    baseline: Annotated[Path, typer.Option(help="baseline summary to compare against")] = DEFAULT_BASELINE,
    gate: Annotated[
        bool,
        typer.Option(
            "--gate",
            help="exit 1 when macro-F1 < baseline − 0.02, a citation fails the slice check, or there is no baseline",
        ),
    ] = False,
    write_baseline: Annotated[
        bool, typer.Option("--write-baseline", help="save this run's summary as the baseline")
    ] = False,
    limit: Annotated[int | None, typer.Option(help="only the first N cases of each dataset")] = None,
    workers: Annotated[int, typer.Option(help="claims verified in parallel")] = 1,
    ingest_seeds: Annotated[bool, typer.Option(help="ingest seeds/ first when the store is empty")] = True,
) -> None:
    """Run the gold-answer eval suite and write a report (offline by default, LLM-assisted when configured)."""
    from agent.cli.common import State, console, err, fail
    from evals.dataset import Dataset
    from evals.report import gate as run_gate
    from evals.report import write_report
    from evals.runner import run_dataset

    paths = dataset or DEFAULT_DATASETS
    missing = [p for p in paths if not p.is_file()]
    if missing:
        fail(f"dataset not found: {missing[0]}")
    cases = []
    for p in paths:
        cases += Dataset.from_jsonl(p).cases[:limit]
    gold = Dataset(name="+".join(p.stem for p in paths), cases=cases)

    services = State.services()
    if services.guard(services.store.count) == 0:
        if not ingest_seeds:
            fail("the store is empty: run `crosscheck ingest` first", 1)
        from agent.app.ingest import ingest

        err.print(f"store empty: ingesting {services.settings.seeds_dir}")
        services.guard(
            lambda: ingest([services.settings.seeds_dir], services.settings, services.store, services.embedder)
        )
    rows, summary = services.guard(lambda: run_dataset(services, gold, workers=workers))
    base = json.loads(baseline.read_text(encoding="utf-8")) if baseline.is_file() else None
    files = write_report(report, rows, summary, base)
    console.print(summary_line(summary), soft_wrap=True)
    if base is not None:
        for key, d in json.loads(files["summary.json"].read_text())["baseline_deltas"].items():
            console.print(f"  {key:<22} {d['now']:9.3f}  (baseline {d['baseline']:.3f}, {d['delta']:+.3f})")
    else:
        err.print(f"no baseline at {baseline}: nothing to compare")
    console.print(f"report: {files['report.html']}")
    if write_baseline:
        keep = {k: v for k, v in summary.items() if k not in ("reliability", "baseline_deltas")}
        baseline.parent.mkdir(parents=True, exist_ok=True)
        baseline.write_text(json.dumps(keep, indent=2) + "\n", encoding="utf-8")
        console.print(f"baseline written: {baseline}")
    if gate:
        result = run_gate(summary, None if write_baseline else base)
        if base is None and not write_baseline:
            result.ok = False
            result.reasons.insert(0, f"no baseline at {baseline} to gate against (write one with --write-baseline)")
        if not result.ok:
            for reason in result.reasons:
                err.print(f"[bold red]gate failed:[/] {reason}")
            raise typer.Exit(1)
        console.print("gate passed")


def summary_line(summary: dict) -> str:
    parts = [f"{summary.get('dataset')}:"]
    if "macro_f1" in summary:
        parts.append(
            f"{summary['claims']} claims, accuracy {summary['accuracy']:.3f}, macro-F1 "
            f"{summary['macro_f1']:.3f}, quote validity {summary['quote_validity']:.3f} "
            f"({summary['invalid_citations']} invalid), ECE {summary['ece']:.3f}, "
            f"p50 {summary['latency_ms']['p50']:.0f} ms"
        )
    if "qa" in summary:
        qa = summary["qa"]
        kfr = qa["key_fact_recall"]
        parts.append(f"; {qa['questions']} questions, key-fact recall {kfr if kfr is None else round(kfr, 3)}")
    return " ".join(parts)


def register(app: typer.Typer) -> None:
    """Add this module's command(s) to the CLI."""
    app.command("eval")(eval_command)
