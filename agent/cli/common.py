"""What every command shares: the settings and services of this invocation, the consoles, clean errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NoReturn

import typer
from rich.console import Console

from agent.cli.render import markup
from agent.settings import Settings
from agent.text import normalise_claim

console = Console()
err = Console(stderr=True)


class Heartbeat:
    """Progress for a stderr that is no terminal (a log file, CI, a pipe), where the rich bar stays silent until
    it ends: one plain line when a phase starts, when it completes, and at most one every `every_s` seconds
    between. A 20 MB article used to embed for 25 minutes with nothing in the log."""

    def __init__(self, every_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.every_s, self.clock = every_s, clock
        self.on = not err.is_terminal
        self._phase: str | None = None
        self._said = 0.0
        self._start = clock()

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if not self.on:
            return
        now = self.clock()
        new = phase != self._phase
        if new:
            self._phase, self._start = phase, now
        finished = bool(total) and done >= (total or 0)
        if new or finished or now - self._said >= self.every_s:
            pct = f" ({100 * done / total:.0f}%)" if total else ""
            count = f"{done:,}/{total:,}" if total else f"{done:,}"
            err.print(f"{markup(phase)}: {count}{pct}, {now - self._start:.0f} s", soft_wrap=True, highlight=False)
            self._said = now


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
            from agent.pipeline.services import Services

            cls._services = Services.from_settings(cls.settings())
        return cls._services


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {markup(message)}", soft_wrap=True)
    raise typer.Exit(code)


def warn(message: str, what: str = "skipped") -> None:
    err.print(f"[yellow]{what}[/] {markup(message)}", soft_wrap=True)


def checked_input(text: str, what: str) -> tuple[str, Any]:
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
