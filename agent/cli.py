"""The `crosscheck` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from agent.render import markup
from agent.settings import Settings, offline_environment
from agent.text import normalise_claim

app = typer.Typer(
    name="crosscheck",
    help="Verify claims against a corpus of articles and see what every source says, with exact quotes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)


class State:
    overrides: dict[str, Any] = {}
    _services: Any = None

    @classmethod
    def settings(cls) -> Settings:
        try:
            return Settings(**cls.overrides)
        except Exception as exc:  # pydantic ValidationError or a TOML syntax error: a config problem
            fail(f"invalid configuration: {exc}")

    @classmethod
    def services(cls) -> Any:
        if cls._services is None:
            from agent.context import Services

            cls._services = Services.from_settings(cls.settings())
        return cls._services


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {markup(message)}", soft_wrap=True)
    raise typer.Exit(code)


def warn(message: str, what: str = "skipped") -> None:
    err.print(f"[yellow]{what}[/] {markup(message)}", soft_wrap=True)


@app.callback()
def main(
    config: Annotated[Path | None, typer.Option(help="extra TOML config file (over configs/default.toml)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="where the embedded store lives")] = None,
    store_url: Annotated[str | None, typer.Option(help="Chroma server URL, e.g. http://127.0.0.1:8000")] = None,
    llm_provider: Annotated[
        str | None, typer.Option(help="none | openai | anthropic | ollama | openai-compatible")
    ] = None,
    llm_model: Annotated[str | None, typer.Option(help="model name for the LLM provider")] = None,
    llm_base_url: Annotated[str | None, typer.Option(help="base URL of an OpenAI-compatible server")] = None,
) -> None:
    offline_environment()
    if config is not None:
        if not config.is_file():
            fail(f"config file not found: {config}")
        os.environ["CROSSCHECK_CONFIG"] = str(config)
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    base = Settings() if (store_url or llm_provider or llm_model or llm_base_url) else None
    if store_url is not None and base is not None:
        overrides["store"] = base.store.model_copy(update={"url": store_url})
    if base is not None and (llm_provider or llm_model or llm_base_url):
        upd = {k: v for k, v in {"provider": llm_provider, "model": llm_model, "base_url": llm_base_url}.items() if v}
        overrides["llm"] = base.llm.model_copy(update=upd)
    State.overrides = overrides
    State._services = None


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="files or folders (default: seeds/)")] = None,
) -> None:
    """Load articles into the store; unchanged documents are skipped, changed ones replaced."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from agent.ingest import ingest as run_ingest

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
        phases = {"read": "reading files", "chunk": "chunking", "embed": "embedding chunks"}

        def progress(phase: str, done: int, total: int) -> None:
            if phase.startswith("waiting"):  # said once, also when stderr is no terminal: why nothing moves
                err.print(f"[dim]{markup(phase)}[/]", soft_wrap=True)
            bar.update(task, description=phases.get(phase, phase), completed=done, total=total or None)

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
            )
        )
    console.print(report.summary(), soft_wrap=True)
    if not report.complete:  # something was skipped or not read: 1, as for unreadable files
        raise typer.Exit(1)


@app.command()
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


@app.command()
def verify(
    claim: Annotated[str, typer.Argument(help="the claim to check")],
    as_json: Annotated[bool, typer.Option("--json", help="print the batch record as JSON")] = False,
) -> None:
    """Verify one claim: label, confidence, rationale and what each source says, with quotes."""
    from agent.render import verdict_panel
    from agent.verify import verify_claim

    claim, services = _checked_input(claim, "claim")
    record = services.guard(lambda: verify_claim(services, claim))
    if as_json:
        print(record.model_dump_json(indent=2))
    else:
        console.print(verdict_panel(record))


def _checked_input(text: str, what: str) -> tuple[str, Any]:
    """The normalised claim or question and the services, or a clean exit: empty, too long, empty store."""
    text = normalise_claim(text)
    if not text:
        fail(f"the {what} is empty")
    services = State.services()
    if len(text) > services.settings.max_claim_chars:
        fail(f"the {what} is longer than {services.settings.max_claim_chars} characters")
    if services.guard(services.store.count) == 0:
        fail("the store is empty: run `crosscheck ingest` first", 1)
    return text, services


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question to answer")],
    as_json: Annotated[bool, typer.Option("--json", help="print the grouped answer as JSON")] = False,
) -> None:
    """Answer one question source by source: the sources grouped by what they say, where they differ,
    one exact quote each, and which sources say nothing."""
    from agent.answers import answer_question

    question, services = _checked_input(question, "question")
    answer = services.guard(lambda: answer_question(services, question))
    if as_json:
        print(answer.model_dump_json(indent=2))
    else:
        from rich.panel import Panel
        from rich.text import Text

        console.print(Panel(Text(answer.text), title=markup(question), title_align="left", border_style="cyan"))


def _register_front_ends() -> None:
    from agent import batch, chat, evaluation

    for module in (batch, chat, evaluation):
        module.register(app)


_register_front_ends()


def run() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    run()
