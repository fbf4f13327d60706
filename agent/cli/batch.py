"""`crosscheck batch`: verify a claim list in parallel, resumably, with error records for bad lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from agent.app.batch import (
    InputError,
    Item,
    Journal,
    default_workers,
    load_existing_output,
    load_items,
    output_format,
    run_items,
    write_output,
)
from agent.cli.render import markup
from agent.data.store import StoreError, StoreUnavailable
from agent.pipeline.services import UserError


# ------------------------------------------------------------------------------------------- output
class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.finished_time if task.finished else task.elapsed
        speed = task.completed / elapsed if elapsed and task.completed else None
        return Text(f"{speed:.1f} claims/s" if speed else "– claims/s", style="progress.data.speed")


def batch(
    file: Annotated[Path, typer.Argument(help="claims: .jsonl (`claim`, `id`), .csv (`claim` column) or .txt")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="output file (default: stdout)")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl | csv | html | md (default: by extension)")] = None,
    workers: Annotated[int, typer.Option(help="parallel verifications", min=1)] = default_workers(),
    resume: Annotated[bool, typer.Option("--resume", help="keep records already in OUT; do the rest")] = False,
) -> None:
    """Verify every claim in FILE; records come out in input order, bad lines as error records in place."""
    from agent.cli.common import Heartbeat, State, fail

    err = Console(stderr=True)
    try:
        fmt_name = output_format(output, fmt)
    except InputError as exc:
        fail(str(exc))
    if resume and output is None:
        fail("--resume needs an output file (-o OUT)")
    services = State.services()
    try:
        items = load_items(file, services.settings.max_claim_chars)
    except InputError as exc:
        fail(str(exc))
    for item in items:
        if item.error:
            err.print(f"[yellow]line {item.line}[/] ({markup(item.id)}): {markup(item.error)}", soft_wrap=True)
    todo = [i for i in items if i.error is None]
    if todo and services.guard(services.store.count) == 0:
        fail("the store is empty: run `crosscheck ingest` first")

    journal = Journal(output.with_name(output.name + ".partial")) if output is not None else None
    done: dict[str, dict[str, Any]] = {}
    if journal is not None:
        if resume:
            done = load_existing_output(output) if output is not None else {}
            done.update(journal.load())
        elif journal.path.exists():
            journal.path.unlink()
    todo = [i for i in todo if i.id not in done or "error" in done[i.id]]
    if resume and done:
        err.print(f"resuming: {len(items) - len(todo) - sum(1 for i in items if i.error)} done, {len(todo)} to go")

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err,
        transient=False,
        disable=not todo,
    ) as bar:
        task = bar.add_task("verifying", total=len(todo))
        beat = Heartbeat()
        sink = journal.open() if journal is not None else None
        try:

            def on_done(item: Item, rec: dict[str, Any]) -> None:
                done[item.id] = rec
                if sink is not None:
                    sink.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    sink.flush()
                if "error" in rec:
                    err.print(f"[red]line {item.line}[/] ({markup(item.id)}): {markup(rec['error'])}", soft_wrap=True)
                bar.advance(task)
                beat("verifying", int(bar.tasks[0].completed), len(todo))

            run_items(services, todo, workers, on_done)
        except KeyboardInterrupt:
            bar.stop()
            hint = " — rerun with --resume to finish" if journal is not None else ""
            err.print(f"interrupted after {len(done)} record(s){hint}")
            raise typer.Exit(130) from None
        except StoreUnavailable as exc:
            bar.stop()
            hint = " — rerun with --resume when it is back" if journal is not None else ""
            err.print(
                f"[bold red]error:[/] {markup(str(exc))}: stopped after {len(done)} record(s){hint}", soft_wrap=True
            )
            raise typer.Exit(3) from None
        except (StoreError, UserError) as exc:  # any other store or user error: the clean message, as elsewhere
            bar.stop()
            fail(str(exc))
        finally:
            if sink is not None:
                sink.close()

    records = [item.error_record() if item.error else done[item.id] for item in items]
    write_output(records, fmt_name, output, title=f"crosscheck batch: {file.name}")
    if journal is not None and journal.path.exists():
        journal.path.unlink()
    failed = sum("error" in r for r in records)
    counts: dict[str, int] = {}
    for r in records:
        counts[r.get("label", "ERROR")] = counts.get(r.get("label", "ERROR"), 0) + 1
    if output is not None and len(records) <= 50:
        err.print(verdict_table(records))
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    err.print(f"{len(records)} record(s): {summary}" + (f" → {markup(output)}" if output else ""), soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def verdict_table(records: list[dict[str, Any]]) -> Table:
    """One row per claim: the glance a person wants after a short batch."""
    from agent.cli.render import LABEL_STYLE

    table = Table(title="verdicts", expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("label", no_wrap=True)
    table.add_column("conf", justify="right", no_wrap=True)
    table.add_column("for / against", no_wrap=True)
    table.add_column("claim", ratio=1, overflow="fold")
    for r in records:
        if "error" in r:
            table.add_row(markup(r["id"]), "[red]ERROR[/]", "", "", markup(r["error"]))
            continue
        pro = sum(s["stance"] == "supports" for s in r.get("sources", []))
        con = sum(s["stance"] == "refutes" for s in r.get("sources", []))
        table.add_row(
            markup(r["id"]),
            f"[{LABEL_STYLE[r['label']]}]{r['label']}[/]",
            f"{r['confidence']:.2f}",
            f"{pro} / {con}",
            markup(r["claim"]),
        )
    return table


def register(app: typer.Typer) -> None:
    """Add `crosscheck batch` to the CLI."""
    app.command("batch")(batch)
