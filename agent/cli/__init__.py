"""The `crosscheck` command line: one module per command, registered on one Typer app.

Commands outside the product (the eval suite, `evals.cli`) register through the `crosscheck.commands`
entry point group, so the product never imports them.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli import ask, batch, chat, conflicts, ingest, verify
from agent.cli.common import State, err, fail
from agent.settings import Settings, offline_environment

app = typer.Typer(
    name="crosscheck",
    help="Verify claims against a corpus of articles and see what every source says, with exact quotes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


app.command()(ingest.ingest)
app.command()(ingest.sources)
app.command()(verify.verify)
app.command()(ask.ask)
app.command()(conflicts.conflicts)
batch.register(app)
chat.register(app)
for _plugin in entry_points(group="crosscheck.commands"):
    _plugin.load()(app)


def run() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    run()
