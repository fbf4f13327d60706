"""`crosscheck ingest` and `crosscheck sources`: fill the store, list what is in it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from agent.cli.common import Heartbeat, State, console, err, warn
from agent.cli.render import markup
from agent.data.index import INDEX_FILE


def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="files or folders (default: seeds/)")] = None,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild", help="empty the store first and re-embed everything (a damaged store, a new embedding model)"
        ),
    ] = False,
) -> None:
    """Load articles into the store; unchanged documents are skipped, changed ones replaced."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from agent.app.ingest import ingest as run_ingest

    services = State.services()
    targets = paths or [services.settings.seeds_dir]
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=None)
        phases = {"read": "reading files", "chunk": "chunking", "embed": "embedding chunks and sentences"}
        beat = Heartbeat()

        def progress(phase: str, done: int, total: int) -> None:
            if phase.startswith("waiting"):  # said once, also when stderr is no terminal: why nothing moves
                err.print(f"[dim]{markup(phase)}[/]", soft_wrap=True)
            elif phase.startswith("warning: "):
                warn(phase.removeprefix("warning: "), "warning")
                return
            bar.update(task, description=phases.get(phase, phase), completed=done, total=total or None)
            beat(phases.get(phase, phase), done, total)

        def on_error(e: Any) -> None:
            warn(str(e))

        report = services.guard(
            lambda: run_ingest(
                targets,
                services.settings,
                services.store,
                services.embedder,
                progress,
                on_error,
                on_note=lambda m: err.print(f"[dim]note {markup(m)}[/]", soft_wrap=True),
                on_warning=lambda m: warn(m, "warning"),
                rebuild=rebuild,
            )
        )
        if report.new or report.changed or not (services.settings.data_dir / INDEX_FILE).exists():
            # the sentence index follows the store here, reading only what changed, not in the next verify
            bar.update(task, description="updating the sentence index", completed=0, total=None)
            beat("updating the sentence index", 0, None)
            t0 = time.perf_counter()
            idx = services.guard(lambda: services.index())
            beat("updating the sentence index", len(idx.sentences), len(idx.sentences))
            took = time.perf_counter() - t0
            said = f"sentence index up to date: {len(idx.sentences):,} sentences, {took:.1f}s"
            err.print(f"[dim]{said}[/]", soft_wrap=True)
    console.print(report.summary(), soft_wrap=True)
    if not report.complete:  # something was skipped or not read: 1, as for unreadable files
        raise typer.Exit(1)


def sources() -> None:
    """List the ingested documents: id, title, date, chunk count."""
    services = State.services()
    metas = services.guard(services.store.documents)
    if not metas:
        err.print("no documents ingested yet: run `crosscheck ingest`")
        raise typer.Exit(1)
    table = Table(title=f"{len(metas)} sources")
    for col in ("doc_id", "title", "date", "chunks"):
        table.add_column(col, overflow="fold")
    for m in metas:
        table.add_row(*(markup(v) for v in (m.doc_id, m.title, m.date or "—", str(m.chunks))))
    console.print(table)
