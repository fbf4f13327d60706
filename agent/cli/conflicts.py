"""`crosscheck conflicts`: the map of where the sources disagree, with no claim from the user."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from agent.cli.common import State, console, err, fail
from agent.cli.render import markup

if TYPE_CHECKING:
    from agent.app.conflicts import ConflictMap

FORMATS = ("table", "jsonl", "html")
STAGES = {"checks": "checking statements (structured checks)", "model": "reading candidates (stance model)"}


def conflicts(
    out: Annotated[Path | None, typer.Option("--output", "-o", help="write to FILE (format from its suffix)")] = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="table | jsonl | html")] = None,
    max_per_source: Annotated[
        int, typer.Option(help="checkable statements taken from each source (bounds the cost on large corpora)")
    ] = 40,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="let the stance model read every statement, not only those the checks flag: the same "
            "disagreements, a complete list of agreements, 1.3-1.8x slower (measured on the seeds and the dev story)",
        ),
    ] = False,
) -> None:
    """Mine every source for checkable statements (figures, dates, periods, durations, responses), check each
    against the other sources, and list the points where they differ, with each source's quote."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from agent.app.conflicts import conflict_map

    fmt = fmt or {".jsonl": "jsonl", ".json": "jsonl", ".html": "html", ".htm": "html"}.get(
        out.suffix.lower() if out else "", "table"
    )
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if max_per_source < 1:
        fail("--max-per-source must be at least 1")
    services = State.services()
    if services.guard(services.store.count) == 0:
        fail("the store is empty: run `crosscheck ingest` first", 1)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("checking statements", total=None)
        cmap = services.guard(
            lambda: conflict_map(
                services,
                max_per_source=max_per_source,
                two_pass=not full,
                progress=lambda done, total, stage: bar.update(
                    task, completed=done, total=total, description=STAGES.get(stage, stage)
                ),
            )
        )
    if fmt == "jsonl":
        lines = [p.model_dump_json() for p in cmap.disagreements]
        lines += [p.model_copy(update={"check": "agree"}).model_dump_json() for p in cmap.agreements]
        text = "".join(line + "\n" for line in lines)
    elif fmt == "html":
        from agent.app.report import conflicts_html

        text = conflicts_html(cmap)
    else:
        text = ""
    if fmt == "table":
        print_map(cmap)
    elif out is None:
        typer.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        err.print(f"wrote {len(cmap.disagreements)} disagreements to {markup(str(out))}", soft_wrap=True)


def print_map(cmap: ConflictMap, out: Console | None = None) -> None:
    """The map as rich tables: one per point (each source: same / differs / says nothing, with its quote)."""
    out = out or console
    alone = f" ({cmap.statements_alone} more that no other source comes near, not checked)"
    out.print(
        f"{cmap.statements_checked} checkable statements from {len(cmap.sources)} sources: "
        f"{len(cmap.disagreements)} points where they differ" + (alone if cmap.statements_alone else ""),
        soft_wrap=True,
    )  # fmt: skip
    for n, p in enumerate(cmap.disagreements, 1):
        table = Table(title=f"{n}. {markup(p.statement)}", title_justify="left", show_lines=True)
        for col in ("source", "says", "quote"):
            table.add_column(col, overflow="fold")
        for v in p.supporting:
            table.add_row(markup(v.doc_id), "[green]same[/]", markup(v.quote.quote if v.quote else ""))
        for v in p.refuting:
            quote = markup(v.quote.quote if v.quote else "")
            table.add_row(markup(v.doc_id), "[red]differs[/]", f"{quote}\n[dim italic]{markup(v.reason)}[/]")
        for d in p.silent:
            table.add_row(markup(d), "[dim]says nothing[/]", "")
        out.print(table)
    if cmap.agreements:
        table = Table(title="what they agree on", title_justify="left")
        table.add_column("statement", overflow="fold")
        table.add_column("sources", justify="right")
        for p in cmap.agreements:
            table.add_row(markup(p.statement), str(len(p.supporting)))
        out.print(table)
